"""Demo rows for the buy-in loop, one module per topic, written by the demo builder."""
