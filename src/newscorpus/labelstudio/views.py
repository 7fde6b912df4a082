"""The Label Studio views (Data Manager tabs) push creates, so annotators see what to do first.

Every task's data carry the status of each layer of its article (``entities_status``,
``topic_status``: none, gold, needs_review, needs_adjudication) and ``gold_layers``, how
many of its layers are gold. The tabs filter on them; a task shows in every tab one of
its layers belongs to:

- **To annotate**: a layer nobody annotated yet; tasks without any gold first;
- **Needs review**: a layer annotated before the text changed, or with a rejected span;
- **Needs adjudication**: a layer the annotators disagree on;
- **Gold**: a layer that is gold;
- **Re-anchored**: the text was corrected under gold spans, which push carried to the new text
  (the ``reanchored`` field names the spans the correction touched, for a person to check).

They are created once, in this order, so "To annotate" is the first tab; a tab of the
same title is left as it is, so an annotator's changes to it stay.
"""

from __future__ import annotations

from typing import Any

from label_studio_sdk import LabelStudio

STATUS_FIELDS = {"entities": "entities_status", "topic": "topic_status"}
"""The task data field holding each layer's status."""
GOLD_LAYERS = "gold_layers"
"""The task data field holding how many layers of the task's article are gold."""
TEXT_CHANGED_AT = "text_changed_at"
"""When push last sent the task a new text (ISO, UTC): annotations older than that were made on another text."""
PREVIOUS_TEXT = "previous_text"
"""The text the task held before that, so that pull can carry those annotations' spans to the new text."""
REANCHORED = "reanchored"
"""What push made of the gold spans when the text changed: how many moved, and each one to check."""
PUSH_FIELDS = (TEXT_CHANGED_AT, PREVIOUS_TEXT, REANCHORED)
"""Task data that push sets from the task's history, not from the article: a change of the article keeps them."""


def _any_layer(status: str) -> dict[str, Any]:
    items = [
        {"filter": f"filter:tasks:data.{name}", "operator": "equal", "type": "String", "value": status}
        for name in STATUS_FIELDS.values()
    ]
    return {"conjunction": "or", "items": items}


def _filled(name: str) -> dict[str, Any]:
    item = {"filter": f"filter:tasks:data.{name}", "operator": "empty", "type": "String", "value": False}
    return {"conjunction": "and", "items": [item]}


VIEWS: dict[str, dict[str, Any]] = {
    "To annotate": {"filters": _any_layer("none"), "ordering": [f"tasks:data.{GOLD_LAYERS}"]},
    "Needs review": {"filters": _any_layer("needs_review"), "ordering": ["tasks:id"]},
    "Needs adjudication": {"filters": _any_layer("needs_adjudication"), "ordering": ["tasks:id"]},
    "Gold": {"filters": _any_layer("gold"), "ordering": ["tasks:id"]},
    "Re-anchored": {"filters": _filled(REANCHORED), "ordering": ["tasks:id"]},
}
"""Each tab's title, filters and ordering, in the Data Manager's format."""


def ensure_views(sdk: LabelStudio, project_id: int) -> list[str]:
    """Create the tabs of ``VIEWS`` that the project lacks (by title); return the titles created."""
    titles = {(view.data or {}).get("title") for view in sdk.views.list(project=project_id)}
    created = []
    for title, view in VIEWS.items():
        if title not in titles:
            sdk.views.create(project=project_id, data={"title": title, **view})
            created.append(title)
    return created
