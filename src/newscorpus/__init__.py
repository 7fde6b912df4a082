"""newscorpus."""
