"""Benchmarks: speed, scale and robustness of kbbot as measured facts (`make bench` -> BENCHMARKS.md)."""
