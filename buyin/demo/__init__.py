"""Demo rows of the buy-in loop, one module per topic, written by referrals.demo.builder."""
