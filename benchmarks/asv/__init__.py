"""asv's benchmark package (``benchmark_dir`` in asv.conf.json): see benchmarks.py."""
