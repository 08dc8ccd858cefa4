"""The buy-in forms, one module per topic: they validate; the services decide."""
