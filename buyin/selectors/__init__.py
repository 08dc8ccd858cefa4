"""Reads for the buy-in loop, one module per topic; each is scoped by the user asking."""
