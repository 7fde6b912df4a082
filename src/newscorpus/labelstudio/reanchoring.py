"""A text corrected under its task: gold carried to the new text (push), and annotations made on the old one (pull).

When push sends a task a new text, the text the task held is the one its annotations were made
on, and the one the article's gold file was pulled from. Push keeps it in the task data
(``previous_text``) and carries the gold file's spans to the new text at once
(``newscorpus.model.reanchor``): the spans that moved and the topic go as a prediction of
model_version ``reanchored``, replacing the predictions made for the old text, and each span the
correction touched is a problem naming it, and is named in the task's ``reanchored`` field (the
Re-anchored tab), for a person to check. Pull carries the annotations made before the change in
the same way (``newscorpus.labelstudio.adjudicate``) and writes gold for the new text, so a
build never needs the old text, nor the server.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from newscorpus.core.codes import Code
from newscorpus.core.offsets import sha256_text
from newscorpus.core.plural import plural
from newscorpus.core.report import Problem
from newscorpus.labelstudio.convert import Converted, from_results, to_results
from newscorpus.labelstudio.corrections import describe
from newscorpus.labelstudio.push_plan import Update
from newscorpus.labelstudio.views import PREVIOUS_TEXT, PUSH_FIELDS, REANCHORED, TEXT_CHANGED_AT
from newscorpus.model.article import Entity
from newscorpus.model.gold import ANNOTATIONS_DIR, GoldFile, gold_path, load_gold
from newscorpus.model.reanchor import reanchor, reanchor_gold

MODEL_VERSION = "reanchored"
"""The ``model_version`` of the prediction that carries gold spans to a corrected text."""

Flagged = list[tuple[Entity, str]]
"""Spans a correction touched, each with why (naming it)."""


def earlier_gold(corpus: Path, article_id: str) -> GoldFile | None:
    """Return the article's gold file as it stands, or None if it has none (or an unreadable one)."""
    path = gold_path(corpus, article_id)
    if not path.is_file():
        return None
    loaded = load_gold(path, path.name)
    return loaded if isinstance(loaded, GoldFile) else None


@dataclass(frozen=True)
class TextUpdate:
    """What push sends a task whose text changed: its data, the predictions replacing its old ones, what it found."""

    data: dict[str, Any]
    predictions: list[dict[str, Any]]
    problems: list[Problem] = field(default_factory=list)
    reanchored: bool = False
    """The article's gold file was carried to the new text."""


def text_update(step: Update, old: Mapping[str, Any], gold: GoldFile | None, now: str) -> TextUpdate:
    """Return what to send a task whose text changed, given its data on the server ``old`` and the article's gold file.

    The task's old text (if its hash checks out) goes along as ``previous_text``; a gold file made
    on it is carried to the new text (see the module). If the task holds the new text already (an
    earlier push stopped after sending it), what that push said of the old text is kept.
    """
    rerun = old.get("text_sha256") == step.data["text_sha256"]
    before = old.get(PREVIOUS_TEXT) if rerun else old.get("text")
    data = step.sent(old[TEXT_CHANGED_AT]) if rerun and TEXT_CHANGED_AT in old else step.sent(now)
    predictions = list(step.predictions)
    if not isinstance(before, str) or not (rerun or sha256_text(before) == old.get("text_sha256")):
        return TextUpdate(data=data, predictions=predictions)
    data[PREVIOUS_TEXT] = before
    if gold is None or gold.text_sha256 != sha256_text(before):
        return TextUpdate(data=data, predictions=predictions)
    carried, result = reanchor_gold(gold, before, step.data["text"])
    entities = carried.entities.spans if carried.entities and carried.entities.status == "gold" else None
    topic = carried.topic.label if carried.topic and carried.topic.status == "gold" else None
    if results := to_results(entities, topic):
        predictions.append({"model_version": MODEL_VERSION, "result": results})
    if result.moved or result.flagged:
        touched = [span for span, _ in result.flagged]
        check = f"; check {', '.join(describe(span) for span in touched)}" if touched else ""
        data[REANCHORED] = f"{plural(len(result.moved), 'gold span')} moved{check}"
    name = f"{ANNOTATIONS_DIR}/{gold.article_id}.json"
    spans = gold.entities.spans if gold.entities else []
    problems = [
        Problem(
            code=Code.GOLD_REANCHOR_CONFLICT,
            file=name,
            field=f"entities.spans.{spans.index(span)}",
            article_id=gold.article_id,
            severity="warning",
            message=f"{why}: it stays out of gold until someone checks it in Label Studio "
            f"(task {step.task_id}, tab Re-anchored), then `newscorpus labelstudio pull`.",
        )
        for span, why in result.flagged
    ]
    return TextUpdate(data=data, predictions=predictions, problems=problems, reanchored=True)


def keep_push_fields(data: dict[str, Any], old: Mapping[str, Any]) -> dict[str, Any]:
    """Return new task ``data`` (a layer's status changed) with what push said of the task's text history in ``old``."""
    return {**data, **{name: old[name] for name in PUSH_FIELDS if name in old}}


def reanchor_results(previous: str, text: str, results: list[dict[str, Any]]) -> tuple[Converted, Flagged] | None:
    """Return an annotation made on ``previous`` over ``text``: its spans moved there, and those a correction touched.

    None if the annotation was not made on ``previous`` (a span of it does not fit there). If
    the correction touched every span, the entity layer is flawed: no span left would say "no
    names", which the annotator did not.
    """
    before = from_results(previous, results)
    if before.rejected:
        return None
    result = reanchor(previous, text, before.entities)
    converted = replace(before, entities=result.moved)
    if result.flagged and not result.moved:
        converted.flawed.add("entities")
    return converted, result.flagged
