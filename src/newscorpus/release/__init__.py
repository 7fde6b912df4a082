"""Releases: building and verifying them, their manifests, schema snapshots and how schema changes are classified."""
