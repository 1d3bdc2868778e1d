"""Benchmarks: each prints its figures and, as its last line, the same figures as JSON."""
