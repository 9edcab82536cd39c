"""Benchmarks, run by hand (`python -m bench.<name>`): figures and a ratio to a same-run baseline."""
