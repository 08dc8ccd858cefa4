"""Demo rows for the buy-in loop, one module per topic; referrals.demo's builder calls them."""
