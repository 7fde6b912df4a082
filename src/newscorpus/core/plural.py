"""Counts in messages: "1 error", "2 errors"."""

from __future__ import annotations


def plural(count: int, noun: str, many: str | None = None) -> str:
    """Return ``count`` with ``noun``, or with its plural ``many`` (default: ``noun`` + "s") unless it is one."""
    return f"{count} {noun if count == 1 else many or noun + 's'}"
