"""What a pull makes of a project's tasks: gold per layer, and everything kept out of it.

Pure: its inputs are the fetched tasks, the articles as they stand and their gold files;
``newscorpus.labelstudio.pull`` fetches them and writes what comes out.

An annotation completes the layers it says something about (see
``newscorpus.labelstudio.config``): the entities by a marked name or the "no
names" tick, the topic by a chosen topic. Each layer is adjudicated on its own,
over the annotations that completed it:

- a non-cancelled annotation flagged ``ground_truth`` wins (the latest, if several);
- otherwise a single usable annotation is gold, and so are several identical ones;
- otherwise the layer needs adjudication, and the disagreement is reported.

Skipped or cancelled annotations are never gold, nor a task whose text is no
longer the article's text. An annotation made before the task's text last changed
is carried to the new text (``newscorpus.labelstudio.reanchoring``): the spans the
correction left alone move, each span it touched is reported; such an annotation
counts for a layer only if no annotation made since completed it. One that cannot
be carried (its spans do not fit the text before) is not gold: the layer needs review.

A gold file holds only the layers some annotation completed; a layer no annotation
of this pull completed keeps what the earlier gold file said (carried to a
corrected text too), and without one the article keeps its own (an import's
gold). Where a pulled gold layer contradicts gold the article has,
the pull reports it as a correction (``newscorpus.labelstudio.corrections``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from pydantic import BaseModel, ConfigDict

from newscorpus.core.codes import Code
from newscorpus.core.offsets import sha256_text
from newscorpus.core.plural import plural
from newscorpus.labelstudio.config import NO_ENTITIES_CHOICE
from newscorpus.labelstudio.corrections import Correction, corrections
from newscorpus.labelstudio.reading import Read, parse_time, read_annotation
from newscorpus.labelstudio.reanchoring import Flagged
from newscorpus.labelstudio.views import PREVIOUS_TEXT, TEXT_CHANGED_AT
from newscorpus.model.article import LAYERS, Article, Entity, LayerName
from newscorpus.model.gold import EntityGold, GoldFile, GoldStatus, TopicGold
from newscorpus.model.label_types import Topic
from newscorpus.model.reanchor import reanchor_gold


@dataclass(frozen=True)
class Task:
    """One task as fetched: its id, its data and its annotations (Label Studio's JSON)."""

    id: int
    data: dict[str, Any]
    annotations: list[dict[str, Any]]
    updated_at: dt.datetime | None = None
    """When the task last changed, as the listing said (an annotation's change changes it)."""


@dataclass(frozen=True)
class Fetched:
    """A project as fetched: every task, and the annotators' logins by user id (only ever hashed)."""

    project_id: int
    tasks: list[Task]
    names: dict[int, str]
    changed: dict[int, str] = field(default_factory=dict)
    """Tasks that changed while they were read, by id, with what changed: reported, never adjudicated."""


class Finding(BaseModel):
    """Something a pull kept out of gold, with where it came from."""

    model_config = ConfigDict(extra="forbid")
    article_id: str | None
    task_id: int
    annotation_id: int | None = None
    reason: str
    code: Code | None = None


class LayerOutcome(BaseModel):
    """The articles whose layer this pull made gold, or held back, by status."""

    model_config = ConfigDict(extra="forbid")
    gold: list[str] = []
    needs_adjudication: list[str] = []
    needs_review: list[str] = []


@dataclass
class Adjudication:
    """What a pull decided: the gold files to write, and what it reports."""

    gold_files: dict[str, GoldFile] = field(default_factory=dict)
    """By article id; each with the layers of the earlier gold file that no annotation of this pull completed."""
    findings: list[Finding] = field(default_factory=list)
    corrections: list[Correction] = field(default_factory=list)
    outcome: dict[LayerName, LayerOutcome] = field(default_factory=lambda: {layer: LayerOutcome() for layer in LAYERS})
    """Per layer, the articles by status, sorted."""
    spans: dict[str, dict[str, list[Entity]]] = field(default_factory=dict)
    """The spans of each article that two or more usable annotations gave, by annotator: for the agreement."""
    topics: dict[str, dict[str, str]] = field(default_factory=dict)
    """The same for topics."""


def _value(read: Read, layer: LayerName) -> tuple[object, bool]:
    """Return what an annotation says about ``layer``, and whether a result of it was rejected."""
    value = read.converted.entities if layer == "entities" else read.converted.topic
    return value, layer in read.converted.flawed


def _say(read: Read, layer: LayerName) -> str:
    if layer == "topic":
        return str(read.converted.topic)
    return plural(len(read.converted.entities), "span") if read.converted.entities else NO_ENTITIES_CHOICE.lower()


def adjudicate_layer(reads: list[Read], layer: LayerName) -> tuple[GoldStatus | None, Read | None, str | None]:
    """Return (status, the annotation taken as gold, why not gold) for one layer of one task's annotations.

    Only the annotations that completed ``layer`` count; None as status: none did, so the layer is left out.
    """
    done = [r for r in reads if layer in r.converted.completed]
    usable = [r for r in done if r.usable]
    usable = [r for r in usable if not r.reanchored] or usable  # one made on the new text has been reviewed
    if not usable:
        stale = any(r.stale and not r.cancelled for r in done)
        return ("needs_review", None, f"{layer} annotated before the text changed") if stale else (None, None, None)
    truths = [r for r in usable if r.ground_truth]
    if truths:
        chosen = max(truths, key=lambda r: r.stamp or dt.datetime.min.replace(tzinfo=dt.UTC))
    elif all(_value(r, layer) == _value(usable[0], layer) for r in usable):
        chosen = usable[0]
    else:
        said = {r.annotator: _say(r, layer) for r in usable}
        return "needs_adjudication", None, f"annotators disagree on the {layer}: {said}"
    if layer in chosen.converted.flawed:
        return "needs_review", None, f"the chosen annotation has rejected {layer} results, or a correction touched all"
    return "gold", chosen, None


def gold_file(article: Article, reads: list[Read]) -> tuple[GoldFile | None, list[str]]:
    """Return the gold file of one task's annotations (None if they complete no layer) and why layers are not gold."""
    verdicts = {layer: adjudicate_layer(reads, layer) for layer in LAYERS}
    why = [reason for _, _, reason in verdicts.values() if reason]
    status, chosen, _ = verdicts["entities"]
    entities = None
    if status is not None:
        entities = EntityGold(status=status, spans=chosen.converted.entities if chosen else [])
    status, chosen, _ = verdicts["topic"]
    # The model checks the name at run time (a choice from an older config is refused there).
    label = cast(Topic | None, chosen.converted.topic if chosen else None)
    topic = TopicGold(status=status, label=label) if status else None
    if entities is None and topic is None:
        return None, why
    refs = [r.ref for r in reads if not r.cancelled and r.converted.completed]
    gold = GoldFile(
        article_id=article.id, text_sha256=article.text_sha256, entities=entities, topic=topic, annotations=refs
    )
    return gold, why


def carry_over(new: GoldFile, old: GoldFile | None) -> GoldFile:
    """Return ``new`` with the layers of the earlier gold file ``old`` that no annotation of this pull completed.

    Only an earlier file for the same text counts: gold for another text is stale.
    """
    if old is None or old.text_sha256 != new.text_sha256:
        return new
    kept = {layer for layer in LAYERS if getattr(new, layer) is None and getattr(old, layer) is not None}
    if not kept:
        return new
    refs = [
        ref.model_copy(update={"layers": [layer for layer in ref.layers if layer in kept]})
        for ref in old.annotations
        if kept & set(ref.layers)
    ]
    layers: dict[str, Any] = {layer: getattr(old, layer) for layer in kept}
    return new.model_copy(update={**layers, "annotations": [*new.annotations, *refs]})


def _same_text(data: dict[str, Any], article: Article) -> bool:
    """Whether the task holds the article's current text (by its hash, and by the text itself)."""
    return data.get("text_sha256") == article.text_sha256 == sha256_text(data.get("text", ""))


def _adjudicate_task(out: Adjudication, task: Task, article: Article, fetched: Fetched, old: GoldFile | None) -> None:
    """Add what one task's annotations make of ``article`` to ``out``."""
    changed = parse_time(task.data.get(TEXT_CHANGED_AT))
    previous = task.data.get(PREVIOUS_TEXT) if isinstance(task.data.get(PREVIOUS_TEXT), str) else None
    where = (fetched.project_id, task.id)
    reads = [read_annotation(raw, article.text, where, fetched.names, changed, previous) for raw in task.annotations]
    # Once someone annotated the names on the new text, the spans a correction touched have been checked.
    checked = any(r.usable and not r.reanchored and "entities" in r.converted.completed for r in reads)
    for read in reads:
        found = [*read.converted.rejected]
        if read.usable and not read.converted.completed:
            found.append(f"completes no layer: mark the names or tick {NO_ENTITIES_CHOICE!r}, or choose a topic")
        out.findings += [
            Finding(article_id=article.id, task_id=task.id, annotation_id=read.ref.annotation_id, reason=reason)
            for reason in found
        ]
        if read.usable and not checked:
            out.findings += _touched(article.id, task.id, read.ref.annotation_id, read.touched)
    usable = [r for r in reads if r.usable]
    if len(by_spans := [r for r in usable if "entities" in r.converted.completed]) > 1:
        out.spans[article.id] = {r.annotator: r.converted.entities for r in by_spans}
    if len(by_topic := [r for r in usable if r.converted.topic]) > 1:
        out.topics[article.id] = {r.annotator: r.converted.topic for r in by_topic}  # type: ignore[misc]
    gold, why = gold_file(article, reads)
    out.findings += [Finding(article_id=article.id, task_id=task.id, reason=reason) for reason in why]
    if gold is None:
        return
    for layer in LAYERS:
        if (layer_gold := getattr(gold, layer)) is not None:
            getattr(out.outcome[layer], layer_gold.status).append(article.id)
    out.corrections += corrections(article, gold, task.id)
    if old is not None and previous is not None and old.text_sha256 == sha256_text(previous):
        old, moved = reanchor_gold(old, previous, article.text)
        if gold.entities is None:  # only then is the earlier entity layer carried over
            out.findings += _touched(article.id, task.id, None, moved.flagged)
    out.gold_files[article.id] = carry_over(gold, old)


def _touched(article_id: str, task_id: int, annotation_id: int | None, touched: Flagged) -> list[Finding]:
    """Return a finding for each span a text correction touched, naming it (the others moved)."""
    return [
        Finding(
            article_id=article_id, task_id=task_id, annotation_id=annotation_id, code=Code.GOLD_REANCHOR_CONFLICT,
            reason=f"{why}: left out of gold until someone checks it (tab Re-anchored)",
        )
        for _, why in touched
    ]  # fmt: skip


def adjudicate(fetched: Fetched, articles: Mapping[str, Article], earlier: Mapping[str, GoldFile]) -> Adjudication:
    """Decide a pull: gold per layer from the ``fetched`` tasks, over the ``articles`` as they stand.

    ``articles`` are the corpus's, with imported gold and the gold files applied (so corrections
    show); ``earlier`` holds their gold files as they stand, by article id.
    """
    out = Adjudication()
    for task in fetched.tasks:
        article_id = task.data.get("article_id")
        if why := fetched.changed.get(task.id):
            out.findings.append(
                Finding(article_id=article_id, task_id=task.id, reason=why, code=Code.LABELSTUDIO_TASK_CHANGED)
            )
            continue
        article = articles.get(article_id) if isinstance(article_id, str) else None
        if article is not None and _same_text(task.data, article):
            _adjudicate_task(out, task, article, fetched, earlier.get(article.id))
            continue
        reason = "names no article in the corpus"
        if article is not None:
            reason = "the task's text is not the article's current text; push again"
        out.findings.append(Finding(article_id=article_id, task_id=task.id, reason=reason))
    out.outcome = {
        layer: LayerOutcome(**{status: sorted(ids) for status, ids in outcome.model_dump().items()})
        for layer, outcome in out.outcome.items()
    }
    return out
