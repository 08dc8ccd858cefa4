"""Writes for the voice, one module per topic; each is atomic and keyword-only."""
