"""Validation reports: every problem as data (file, line, field, message)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class Problem(BaseModel):
    """One thing wrong with one input file. ``error`` blocks a build; ``warning`` only reports."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)
    file: str = Field(description="Path relative to the corpus folder.")
    line: int | None = None
    field: str | None = None
    message: str
    severity: Literal["error", "warning"] = "error"
    article_id: str | None = None


class Report(BaseModel):
    """The outcome of validating a corpus: what was read and every problem found."""

    model_config = ConfigDict(strict=True, extra="forbid")
    files_checked: int = 0
    articles_valid: int = 0
    problems: list[Problem] = Field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        """Problems that make the corpus invalid."""
        return [p for p in self.problems if p.severity == "error"]

    @property
    def valid(self) -> bool:
        """True when no problem is an error."""
        return not self.errors


def problems_from_validation(
    error: ValidationError, file: str, line: int | None = None, article_id: str | None = None
) -> list[Problem]:
    """Turn a pydantic ``ValidationError`` into one problem per failing field."""
    problems = []
    for item in error.errors(include_url=False):
        field = ".".join(str(part) for part in item["loc"]) or None
        message = item["msg"].removeprefix("Value error, ")
        problems.append(Problem(file=file, line=line, field=field, message=message, article_id=article_id))
    return problems
