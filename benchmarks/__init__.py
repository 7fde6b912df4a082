"""Benchmarks of the newscorpus pipeline: a synthetic corpus generator and the figures in ``benchmarks.run``."""
