"""Where a pulled gold layer contradicts gold the article already has: the corrections a pull reports.

A pull replaces a layer of an article's gold only with that layer of an annotation (see
``newscorpus.labelstudio.pull``). When the layer it replaces was gold already (imported, as
GermEval's spans, or an earlier pull's), every difference is named: each span removed or added,
each span changed (a removed and an added span that overlap on the same level), a changed topic.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from newscorpus.model.article import Article, Entity, LayerName
from newscorpus.model.gold import GoldFile


class SpanChange(BaseModel):
    """One span of the existing gold and the span that replaces it."""

    model_config = ConfigDict(extra="forbid")
    before: Entity
    after: Entity


class Correction(BaseModel):
    """A pulled gold layer that differs from the gold the article had there."""

    model_config = ConfigDict(extra="forbid")
    article_id: str
    task_id: int | None = None
    layer: LayerName
    source: str | None
    """Where the replaced gold came from (an import such as germeval2014, or label-studio)."""
    removed: list[Entity] = []
    added: list[Entity] = []
    changed: list[SpanChange] = []
    topic_before: str | None = None
    topic_after: str | None = None

    def changes(self) -> list[str]:
        """Return one line per difference, naming each span by label, text and offsets."""
        if self.layer == "topic":
            return [f"topic {self.topic_before} → {self.topic_after}"]
        return (
            [f"removed {describe(e)}" for e in self.removed]
            + [f"added {describe(e)}" for e in self.added]
            + [f"changed {describe(c.before)} → {describe(c.after)}" for c in self.changed]
        )


def describe(entity: Entity) -> str:
    """Name a span: label (inner if nested), text and offsets."""
    inner = " inner" if entity.level else ""
    return f'{entity.label}{inner} "{entity.text}" [{entity.start}:{entity.end}]'


def _key(entity: Entity) -> tuple[int, int, str, int]:
    return entity.start, entity.end, entity.label, entity.level


def _span_correction(before: list[Entity], after: list[Entity]) -> tuple[list[Entity], list[Entity], list[SpanChange]]:
    """Return (removed, added, changed) from the spans before to the spans after."""
    old, new = {_key(e) for e in before}, {_key(e) for e in after}
    removed = [e for e in before if _key(e) not in new]
    added = [e for e in after if _key(e) not in old]
    changed = []
    for gone in list(removed):
        match = next((e for e in added if e.level == gone.level and e.start < gone.end and gone.start < e.end), None)
        if match is not None:
            changed.append(SpanChange(before=gone, after=match))
            removed.remove(gone)
            added.remove(match)
    return removed, added, changed


def corrections(article: Article, gold: GoldFile, task_id: int | None = None) -> list[Correction]:
    """Return where ``gold``'s gold layers contradict the gold ``article`` already has (none if it had none)."""
    found: dict[LayerName, dict[str, Any]] = {}
    if gold.entities and gold.entities.status == "gold" and article.annotation.entities.status == "gold":
        removed, added, changed = _span_correction(article.entities, gold.entities.spans)
        if removed or added or changed:
            found["entities"] = {"removed": removed, "added": added, "changed": changed}
    if (
        gold.topic
        and gold.topic.status == "gold"
        and article.annotation.topic.status == "gold"
        and gold.topic.label != article.topic
    ):
        found["topic"] = {"topic_before": article.topic, "topic_after": gold.topic.label}
    return [
        Correction(
            article_id=article.id,
            task_id=task_id,
            layer=layer,
            source=getattr(article.annotation, layer).source,
            **differences,
        )
        for layer, differences in found.items()
    ]
