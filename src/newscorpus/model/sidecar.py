"""Sidecar metadata: ``NAME.meta.yaml`` next to a raw file.

A raw file is kept exactly as received, so whatever it cannot say
unambiguously (where the kicker ends, the outlet, the licence) is said in a
sidecar. Sidecar values override what the parser infers.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Literal, overload

import yaml
from pydantic import ConfigDict, Field, ValidationError

from newscorpus.core.codes import Code
from newscorpus.core.errors import InvalidInput
from newscorpus.core.report import Problem, Report, problems_from_validation
from newscorpus.model.article import ArticleId
from newscorpus.model.keys import unknown_key
from newscorpus.model.label_types import Topic
from newscorpus.model.metadata import Metadata

SIDECAR_SUFFIX = ".meta.yaml"


ImportFormat = Literal["germeval2014", "10kgnad"]


class Sidecar(Metadata):
    """Metadata that overrides or completes what a raw file says."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)
    format: ImportFormat | None = Field(
        None, description="The public corpus a raw file is an import of; `newscorpus import` writes it."
    )
    id: ArticleId | None = None
    kicker: str | None = Field(None, description="How the first line starts; the rest of it is the headline.")
    headline: str | None = Field(None, description="How the first line ends; what comes before it is the kicker.")
    topic: Topic | None = None

    def overrides(self) -> dict[str, object]:
        """Return the metadata fields this sidecar sets (not the layout hints)."""
        return self.model_dump(exclude_none=True, exclude={"kicker", "headline", "format"})


@overload
def sidecar_path(raw: str) -> str: ...
@overload
def sidecar_path(raw: Path) -> Path: ...
def sidecar_path(raw: str | Path) -> str | Path:
    """Return where the sidecar of ``raw`` is: a path for a path, a corpus name (``raw/a.meta.yaml``) for a name."""
    if isinstance(raw, str):
        return raw.rsplit(".", 1)[0] + SIDECAR_SUFFIX
    return raw.with_name(sidecar_path(raw.name))


def _iso(value: object) -> str:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    raise TypeError(f"cannot read {value!r} from YAML")


def _digit_dates(data: object, name: str) -> list[Problem]:
    """Return a problem for each date of sidecar ``data`` given as digits alone, which pydantic reads as a timestamp.

    ``"20250904"`` became a day of 1970, silently; a sidecar is written by hand, so it is refused with the fix.
    """
    if not isinstance(data, dict):
        return []
    return [
        Problem(
            code=Code.FIELD_INVALID,
            file=name,
            field=key,
            message=f"is digits alone ({value.strip()!r}), no date; give it in ISO 8601 with its UTC offset, "
            "such as 2025-09-04T14:07:00+02:00",
        )
        for key in ("published_at", "updated_at")
        if isinstance(value := data.get(key), str) and value.strip().isdigit()
    ]


def load_sidecar(path: Path, name: str) -> Sidecar:
    """Load the sidecar at ``path`` (shown as ``name``); an absent one is empty.

    Raises ``InvalidInput`` whose ``report`` lists every problem.
    """
    if not path.is_file():
        return Sidecar()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if digits := _digit_dates(data, name):
            raise InvalidInput(f"{name} is invalid", Report(problems=digits))
        # Through JSON, so YAML dates and quoted ISO strings validate alike.
        return Sidecar.model_validate_json(json.dumps(data, default=_iso))
    except ValidationError as exc:
        problems = problems_from_validation(exc, name)
        for n, item in enumerate(exc.errors(include_url=False)):
            if item["type"] == "extra_forbidden":
                message = unknown_key(str(item["loc"][-1]), list(Sidecar.model_fields), "sidecar key")
                problems[n] = problems[n].model_copy(update={"message": f"{message}, or removing it."})
        raise InvalidInput(f"{name} is invalid", Report(problems=problems)) from exc
    except (yaml.YAMLError, UnicodeDecodeError, TypeError) as exc:
        where = getattr(exc, "problem_mark", None)
        line = where.line + 1 if where is not None else None
        message = f"is not readable YAML: {' '.join(str(exc).split())}"
        problem = Problem(code=Code.SIDECAR_MALFORMED, file=name, line=line, message=message)
        raise InvalidInput(f"{name} {message}", Report(problems=[problem])) from exc
