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

Skipped or cancelled annotations are never gold; neither are annotations made
before the task's text last changed (the layer needs review), nor a task whose
text is no longer the article's text. A gold file holds only the layers some
annotation completed; a layer no annotation of this pull completed keeps what
the earlier gold file said, and without one the article keeps its own (an
import's gold). Where a pulled gold layer contradicts gold the article has,
the pull reports it as a correction (``newscorpus.labelstudio.corrections``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from pydantic import BaseModel, ConfigDict

from newscorpus.core.offsets import sha256_text
from newscorpus.core.plural import plural
from newscorpus.labelstudio.config import NO_ENTITIES_CHOICE
from newscorpus.labelstudio.convert import Converted, from_results
from newscorpus.labelstudio.corrections import Correction, corrections
from newscorpus.model.article import LAYERS, Article, Entity, LayerName
from newscorpus.model.gold import AnnotationRef, EntityGold, GoldFile, GoldStatus, TopicGold
from newscorpus.model.label_types import Topic


@dataclass(frozen=True)
class Task:
    """One task as fetched: its id, its data and its annotations (Label Studio's JSON)."""

    id: int
    data: dict[str, Any]
    annotations: list[dict[str, Any]]


@dataclass(frozen=True)
class Fetched:
    """A project as fetched: every task, and the annotators' logins by user id (only ever hashed)."""

    project_id: int
    tasks: list[Task]
    names: dict[int, str]


class Finding(BaseModel):
    """Something a pull kept out of gold, with where it came from."""

    model_config = ConfigDict(extra="forbid")
    article_id: str | None
    task_id: int
    annotation_id: int | None = None
    reason: str


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

    @property
    def usable(self) -> bool:
        """Neither skipped/cancelled nor made on an older text."""
        return not self.cancelled and not self.stale


def pseudonym(email: str) -> str:
    """Return a stable pseudonymous annotator id: a hash of the login, never the login."""
    return "annotator-" + hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()[:10]


def _time(value: Any) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value))


def read_annotation(
    raw: dict[str, Any], text: str, task: tuple[int, int], names: Mapping[int, str], changed: dt.datetime | None
) -> Read:
    """Convert one annotation of task ``(project id, task id)`` over ``text``."""
    user = raw.get("completed_by")
    user_id = user.get("id") if isinstance(user, dict) else user
    login = names.get(user_id) if isinstance(user_id, int) else None
    annotator = pseudonym(login) if login is not None else f"annotator-id{user_id}"
    created, updated = _time(raw.get("created_at")), _time(raw.get("updated_at"))
    stamp = updated or created
    converted = from_results(text, raw.get("result") or [])
    ref = AnnotationRef(
        project_id=task[0], task_id=task[1], annotation_id=raw["id"], annotator=annotator,
        ground_truth=bool(raw.get("ground_truth")), layers=converted.layers, created_at=created, updated_at=updated,
    )  # fmt: skip
    return Read(
        annotator=annotator,
        ground_truth=ref.ground_truth,
        cancelled=bool(raw.get("was_cancelled")),
        stale=changed is not None and (stamp is None or stamp < changed),
        stamp=stamp,
        ref=ref,
        converted=converted,
    )


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
        return "needs_review", None, f"the chosen annotation has rejected {layer} results"
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
    changed = _time(task.data.get("text_changed_at"))
    where = (fetched.project_id, task.id)
    reads = [read_annotation(raw, article.text, where, fetched.names, changed) for raw in task.annotations]
    for read in reads:
        found = [*read.converted.rejected]
        if read.usable and not read.converted.completed:
            found.append(f"completes no layer: mark the names or tick {NO_ENTITIES_CHOICE!r}, or choose a topic")
        out.findings += [
            Finding(article_id=article.id, task_id=task.id, annotation_id=read.ref.annotation_id, reason=reason)
            for reason in found
        ]
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
    out.gold_files[article.id] = carry_over(gold, old)


def adjudicate(fetched: Fetched, articles: Mapping[str, Article], earlier: Mapping[str, GoldFile]) -> Adjudication:
    """Decide a pull: gold per layer from the ``fetched`` tasks, over the ``articles`` as they stand.

    ``articles`` are the corpus's, with imported gold and the gold files applied (so corrections
    show); ``earlier`` holds their gold files as they stand, by article id.
    """
    out = Adjudication()
    for task in fetched.tasks:
        article_id = task.data.get("article_id")
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
