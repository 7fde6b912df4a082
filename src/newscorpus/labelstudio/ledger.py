"""What ``push`` last knew of a project's tasks, so a push with little to do need not list them all.

Listing every task is the slow part of a push (Label Studio serialises each one
in full, text included). The ledger keeps each article's task id, text hash,
the hash of the rest of its task data (the layer statuses, say: a pull that makes
a layer gold changes them, and the next push updates the task in place) and when
its text last changed, and a watermark: the server's own ``updated_at`` of the
newest change push saw.
The next push asks only for tasks changed after the watermark, merges them, and
trusts the result only if its size equals the project's task count; a deleted,
foreign or duplicated task makes it fall back to the full listing. A push cut
off mid-way leaves the old ledger, and the tasks it created show up as changes.
Deciding this needs no server: a listing reaches it as plain ids and data (``Listed``);
only ``newest_change`` asks the server, for the watermark.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from label_studio_sdk import LabelStudio
from pydantic import ValidationError

from newscorpus.core.atomic import atomic_write_text
from newscorpus.core.codes import Code
from newscorpus.core.report import Problem
from newscorpus.labelstudio.views import PUSH_FIELDS, TEXT_CHANGED_AT
from newscorpus.model.article import Record

# The format Label Studio's Data Manager parses in a Datetime filter.
_FILTER_TIME = "%Y-%m-%dT%H:%M:%S.%fZ"

Listed = tuple[int, dict[str, Any]]
"""A task as a listing gives it: its id and its data."""


class KnownTask(Record):
    """One task as push last saw it."""

    id: int
    text_sha256: str | None
    data_sha256: str  # required: a ledger from before it was kept is unreadable, so push lists in full once
    text_changed_at: str | None = None


def data_sha256(data: dict[str, Any]) -> str:
    """Return the hash push compares a task's data by: every field but the text (its hash stands in for it).

    The ``PUSH_FIELDS`` are left out too: push sets them from the task's history, the article does not say them.
    """
    rest = {key: value for key, value in data.items() if key not in ("text", *PUSH_FIELDS)}
    return hashlib.sha256(json.dumps(rest, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def known_task(task_id: int, data: dict[str, Any]) -> KnownTask:
    """Return what the ledger keeps of a task with ``data``."""
    return KnownTask(
        id=task_id,
        text_sha256=data.get("text_sha256"),
        data_sha256=data_sha256(data),
        text_changed_at=data.get(TEXT_CHANGED_AT),
    )


class Ledger(Record):
    """The tasks of one project by article id, as of ``watermark`` (server time)."""

    url: str
    project_id: int
    watermark: str | None = None
    tasks: dict[str, KnownTask]


def ledger_path(url: str, project_id: int, folder: Path) -> Path:
    """Return where in ``folder`` (``ledgers/`` of the Label Studio home) the ledger of a project on a server lives."""
    key = hashlib.sha256(url.encode()).hexdigest()[:12]
    return folder / f"{key}-{project_id}.json"


def load_ledger(path: Path, url: str, project_id: int) -> Ledger | None:
    """Return the ledger at ``path`` if it is readable and for this project, else None (list in full)."""
    try:
        ledger = Ledger.model_validate_json(path.read_bytes())
    except (OSError, ValidationError):
        return None
    return ledger if (ledger.url, ledger.project_id) == (url, project_id) else None


def save_ledger(path: Path, ledger: Ledger) -> None:
    """Write the ledger atomically."""
    atomic_write_text(path, json.dumps(ledger.model_dump(mode="json"), sort_keys=True))


def merge(known: dict[str, KnownTask], tasks: Iterable[Listed], strict: bool) -> list[Problem] | None:
    """Add listed tasks to ``known``; return the duplicates, or None if ``strict`` and one turned up.

    A task without an ``article_id`` is not push's and is left out.
    """
    problems, seen = [], set()
    for task_id, data in tasks:
        article_id = data.get("article_id")
        if not article_id:
            continue
        old = known.get(article_id)
        if article_id in seen or (strict and old is not None and old.id != task_id):
            if strict:
                return None  # a re-created or duplicated task: only a full listing can tell
            problems.append(
                Problem(
                    code=Code.LABELSTUDIO_DUPLICATE_TASK,
                    file=f"label-studio task {task_id}",
                    message=f"duplicates the task of {article_id!r}",
                )
            )
            continue
        seen.add(article_id)
        known[article_id] = known_task(task_id, data)
    return problems


def from_listing(tasks: Iterable[Listed]) -> tuple[dict[str, KnownTask], list[Problem]]:
    """Return the tasks of a full listing by article id, and a problem for each duplicate (the first one counts)."""
    known: dict[str, KnownTask] = {}
    problems = merge(known, tasks, strict=False) or []
    return known, problems


def catch_up(
    ledger: Ledger | None, list_changed: Callable[[str], Iterable[Listed]], task_number: int | None
) -> dict[str, KnownTask] | None:
    """Return the ledger's tasks with those changed since its watermark, or None if only a full listing can tell.

    ``list_changed(watermark)`` lists the tasks changed after ``watermark``; it is not called
    without a ledger (none, an unreadable one, another project's) or a watermark. None also
    when a changed task is a re-created or duplicated one, or when the tasks do not add up to
    the project's ``task_number`` (a task deleted, or one that is not push's).
    """
    if ledger is None or ledger.watermark is None:
        return None
    known = dict(ledger.tasks)
    if merge(known, list_changed(ledger.watermark), strict=True) is None or len(known) != task_number:
        return None
    return known


def changed_since(watermark: str, max_id: int | None = None) -> str:
    """Return the Data Manager query for tasks changed after ``watermark`` (with an id up to ``max_id``)."""
    items: list[dict[str, Any]] = [
        {"filter": "filter:tasks:updated_at", "operator": "greater", "type": "Datetime", "value": watermark}
    ]
    if max_id is not None:
        items.append({"filter": "filter:tasks:id", "operator": "less_or_equal", "type": "Number", "value": max_id})
    return json.dumps({"filters": {"conjunction": "and", "items": items}})


NEWEST_FIRST = json.dumps({"ordering": ["-tasks:updated_at"]})
"""The Data Manager query that lists the most recently changed task first."""


def newest_change(sdk: LabelStudio, project_id: int) -> str | None:
    """Return the server time of the project's most recent task change (the watermark), or None."""
    tasks: Iterable[Any] = sdk.tasks.list(project=project_id, page_size=1, fields="task_only", query=NEWEST_FIRST)
    return watermark_of(next(iter(tasks), None))


def watermark_of(task: Any | None) -> str | None:
    """Return a task's ``updated_at`` in the filter's format, or None."""
    when: dt.datetime | None = getattr(task, "updated_at", None)
    return when.astimezone(dt.UTC).strftime(_FILTER_TIME) if when else None
