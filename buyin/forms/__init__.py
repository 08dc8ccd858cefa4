"""Forms of the buy-in pages, one module per topic; they only validate."""
