"""The buy-in pages, one module per topic."""
