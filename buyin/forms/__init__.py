"""Forms for the buy-in loop, one module per topic; they only validate."""
