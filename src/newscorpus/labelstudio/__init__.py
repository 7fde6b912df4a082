"""Gold annotations through a real Label Studio server: serve, push, pull, adjudicate."""
