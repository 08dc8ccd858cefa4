"""Forms of the buy-in pages, one module per topic: they validate, the services decide."""
