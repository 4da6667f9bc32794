"""Reproducible speed comparisons against named baselines (DESIGN §8). Run ``python -m benchmarks``."""
