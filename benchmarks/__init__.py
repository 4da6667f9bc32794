"""Reproducible speed comparisons against named baselines. Run ``python -m benchmarks``."""
