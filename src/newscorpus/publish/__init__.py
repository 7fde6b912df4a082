"""Publishing a release: the Hugging Face dataset folder, its card, the Hub upload and a summary of what loads."""
