"""One annotation as pull reads it: who made it (pseudonymously), what it says, on which text.

An annotation made before its task's text last changed was made on the text before; it is read
over that text and carried to the new one (``newscorpus.labelstudio.reanchoring``) if its spans
fit there, else it is stale. ``newscorpus.labelstudio.adjudicate`` decides what the reads make gold.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from newscorpus.labelstudio.convert import Converted, from_results
from newscorpus.labelstudio.reanchoring import Flagged, reanchor_results
from newscorpus.model.gold import AnnotationRef


@dataclass
class Read:
    """One annotation as pulled and converted."""

    annotator: str
    ground_truth: bool
    cancelled: bool
    stale: bool
    stamp: dt.datetime | None
    ref: AnnotationRef
    converted: Converted = field(repr=False)
    reanchored: bool = False
    """Made on the text before the last change, and carried to the new one."""
    touched: Flagged = field(default_factory=list)
    """The spans of it that the correction touched: left out."""

    @property
    def usable(self) -> bool:
        """Neither skipped/cancelled nor made on an older text that it cannot be carried from."""
        return not self.cancelled and not self.stale


def pseudonym(email: str) -> str:
    """Return a stable pseudonymous annotator id: a hash of the login, never the login."""
    return "annotator-" + hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()[:10]


def parse_time(value: Any) -> dt.datetime | None:
    """Return a time Label Studio gave as a datetime or as ISO text (None stays None)."""
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value))


def read_annotation(
    raw: dict[str, Any],
    text: str,
    task: tuple[int, int],
    names: Mapping[int, str],
    changed: dt.datetime | None,
    previous: str | None = None,
) -> Read:
    """Convert one annotation of task ``(project id, task id)`` over ``text``.

    An annotation older than the text's last change (``changed``) is carried from the text
    before it, ``previous``, if it was made there.
    """
    user = raw.get("completed_by")
    user_id = user.get("id") if isinstance(user, dict) else user
    login = names.get(user_id) if isinstance(user_id, int) else None
    annotator = pseudonym(login) if login is not None else f"annotator-id{user_id}"
    created, updated = parse_time(raw.get("created_at")), parse_time(raw.get("updated_at"))
    stamp = updated or created
    stale = changed is not None and (stamp is None or stamp < changed)
    carried = reanchor_results(previous, text, raw.get("result") or []) if stale and previous is not None else None
    converted, touched = carried or (from_results(text, raw.get("result") or []), [])
    ref = AnnotationRef(
        project_id=task[0], task_id=task[1], annotation_id=raw["id"], annotator=annotator,
        ground_truth=bool(raw.get("ground_truth")), layers=converted.layers, created_at=created, updated_at=updated,
    )  # fmt: skip
    return Read(
        annotator=annotator,
        ground_truth=ref.ground_truth,
        cancelled=bool(raw.get("was_cancelled")),
        stale=stale and carried is None,
        stamp=stamp,
        ref=ref,
        converted=converted,
        reanchored=carried is not None,
        touched=touched,
    )
