"""The buy-in forms, one module per topic; they only validate."""
