"""The one root exception of newscorpus and its kinds.

Library code raises these; only the CLI turns them into exit codes. Every
message says what went wrong and, where there is one, the next step.
"""

from __future__ import annotations

from newscorpus.core.report import Report


class NewscorpusError(Exception):
    """Root of every error newscorpus raises on purpose."""

    exit_code = 1


class InvalidInput(NewscorpusError):
    """Raw articles or annotations failed validation; ``report`` holds every problem."""

    def __init__(self, message: str, report: Report) -> None:
        super().__init__(message)
        self.report = report


class ReleaseError(NewscorpusError):
    """A release cannot be built, found, verified or published as asked."""


class SchemaError(NewscorpusError):
    """The schema in the code and the data or snapshots disagree."""


class UsageError(NewscorpusError):
    """An argument is malformed (a version that is not semver, a missing folder)."""

    exit_code = 2
