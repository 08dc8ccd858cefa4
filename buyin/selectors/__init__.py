"""Reads for the buy-in loop, one module per topic, scoped by the user who asks."""
