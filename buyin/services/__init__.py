"""Writes for the buy-in loop, one module per topic; each is atomic and keyword-only."""
