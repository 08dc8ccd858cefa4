"""Made-up history at scale: the demo program (`manage.py seed_demo`) and the benchmarks' data."""
