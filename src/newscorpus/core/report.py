"""Validation reports: every problem as data (code, file, line, field, message)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, model_validator
from pydantic_core import ErrorDetails

from newscorpus.core.codes import Code, CodedValueError


class Problem(BaseModel):
    """One thing wrong with one input file. ``error`` blocks a build; ``warning`` only reports."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)
    code: Code = Field(description="What kind of problem it is, as `area.kind` (see the README's Problem codes).")
    file: str = Field(description="Path relative to the corpus folder.")
    line: int | None = None
    field: str | None = None
    message: str
    severity: Literal["error", "warning"] = "error"
    article_id: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _uncoded_in_old_manifests(cls, data: Any, info: ValidationInfo) -> Any:
        # Manifests written before problems had codes list their rejected inputs without one; they must still read.
        if info.mode == "json" and isinstance(data, dict) and "code" not in data:
            return {"code": Code.PROBLEM_UNCODED.value, **data}
        return data


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


_NOT_OBJECT = {"model_type", "model_attributes_type", "dict_type"}
_BY_TYPE = {"json_invalid": Code.JSON_MALFORMED, "missing": Code.FIELD_MISSING, "extra_forbidden": Code.FIELD_UNKNOWN}
_DATE_ERRORS = ("timezone_aware", "datetime_parsing", "datetime_from_date_parsing", "datetime_type")
_HINTS = dict.fromkeys(_DATE_ERRORS, "Try ISO 8601 with the UTC offset, such as 2025-09-04T14:07:00+02:00.")
"""The next step, by pydantic error type, where its own message does not name one."""


def _code_of(item: ErrorDetails) -> Code:
    """Return the code of one pydantic error: the one its validator named, else by its type, else by its place."""
    if isinstance(error := item.get("ctx", {}).get("error"), CodedValueError):
        return error.code
    if code := _BY_TYPE.get(item["type"]):
        return code
    if item["loc"]:
        return Code.FIELD_INVALID
    return Code.RECORD_NOT_OBJECT if item["type"] in _NOT_OBJECT else Code.RECORD_INVALID


def problems_from_validation(
    error: ValidationError, file: str, line: int | None = None, article_id: str | None = None
) -> list[Problem]:
    """Turn a pydantic ``ValidationError`` into one problem per failing field."""
    problems = []
    for item in error.errors(include_url=False):
        field = ".".join(str(part) for part in item["loc"]) or None
        message = item["msg"].removeprefix("Value error, ")
        if hint := _HINTS.get(item["type"]):
            message = f"{message}. {hint}"
        code = _code_of(item)
        problems.append(Problem(code=code, file=file, line=line, field=field, message=message, article_id=article_id))
    return problems
