"""Releases: building and verifying them, their manifests, schema snapshots and how schema changes are classified."""

BUILD_MODULES = ("newscorpus.release.build",)
"""What a Ray node imports while the driver starts a build: the build module imports every module its jobs run.
Named here, not in that module, so that the CLI can name it before importing the build."""
