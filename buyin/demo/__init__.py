"""Demo rows for the buy-in loop, called from referrals.demo.builder.DemoBuilder."""
