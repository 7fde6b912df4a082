"""``python -m newscorpus``."""

from newscorpus.cli import main

main()
