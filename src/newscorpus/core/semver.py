"""Semantic versions, for releases and for the schema."""

from __future__ import annotations

import re

from newscorpus.core.errors import UsageError

SEMVER_PATTERN = r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$"
_SEMVER = re.compile(SEMVER_PATTERN)


def parse_semver(version: str) -> tuple[int, int, int]:
    """Return ``(major, minor, patch)``, or raise a usage error for anything but X.Y.Z."""
    match = _SEMVER.match(version)
    if not match:
        raise UsageError(f"{version!r} is not a version of the form X.Y.Z (such as 1.0.0).")
    major, minor, patch = (int(g) for g in match.groups())
    return major, minor, patch


def bump(version: str, level: str) -> str:
    """Return ``version`` bumped by ``level`` (major, minor or patch)."""
    major, minor, patch = parse_semver(version)
    if level == "major":
        return f"{major + 1}.0.0"
    if level == "minor":
        return f"{major}.{minor + 1}.0"
    if level == "patch":
        return f"{major}.{minor}.{patch + 1}"
    raise UsageError(f"{level!r} is not a bump level; use major, minor or patch.")
