"""Demo rows for the buy-in loop, one module per topic, called from referrals' DemoBuilder."""
