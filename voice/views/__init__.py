"""The voice's pages, one module per topic."""
