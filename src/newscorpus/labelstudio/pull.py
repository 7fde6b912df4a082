"""``pull``: every task and annotation of a project into ``corpus/annotations/``, layer by layer.

Everything is fetched and checked before anything is written, so a server
that dies mid-pull leaves the previous files as they were; each file is then
written atomically, and only if it changed.

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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from newscorpus.core.atomic import atomic_write_text
from newscorpus.core.offsets import sha256_text
from newscorpus.core.plural import plural
from newscorpus.ingest.corpus import iter_corpus
from newscorpus.labelstudio.agreement import AgreementReport, agreement
from newscorpus.labelstudio.client import Connection, all_tasks, client, find_project, talking_to
from newscorpus.labelstudio.config import DEFAULT_PROJECT, NO_ENTITIES_CHOICE
from newscorpus.labelstudio.convert import Converted, from_results
from newscorpus.labelstudio.corrections import Correction, corrections
from newscorpus.labelstudio.server import LabelStudioError
from newscorpus.model.article import LAYERS, Article
from newscorpus.model.gold import (
    AnnotationRef,
    EntityGold,
    GoldFile,
    GoldStatus,
    LayerName,
    TopicGold,
    gold_path,
    load_gold,
)

REPORT = Path("reports") / "labelstudio-pull.json"


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


class PullReport(BaseModel):
    """Everything a pull found: per layer what it decided, rejected spans, disagreements, corrections, agreement."""

    model_config = ConfigDict(extra="forbid")
    project_id: int
    tasks: int
    entities: LayerOutcome
    topic: LayerOutcome
    written: list[str]
    findings: list[Finding]
    corrections: list[Correction]
    agreement: AgreementReport


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
    raw: dict[str, Any], text: str, task: tuple[int, int], names: dict[int, str], changed: dt.datetime | None
) -> Read:
    """Convert one annotation of task ``(project id, task id)`` over ``text``."""
    user = raw.get("completed_by")
    user_id = user.get("id") if isinstance(user, dict) else user
    annotator = pseudonym(names[user_id]) if user_id in names else f"annotator-id{user_id}"
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


def adjudicate(reads: list[Read], layer: LayerName) -> tuple[GoldStatus | None, Read | None, str | None]:
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
    verdicts = {layer: adjudicate(reads, layer) for layer in LAYERS}
    why = [reason for _, _, reason in verdicts.values() if reason]
    status, chosen, _ = verdicts["entities"]
    entities = None
    if status is not None:
        entities = EntityGold(status=status, spans=chosen.converted.entities if chosen else [])
    status, chosen, _ = verdicts["topic"]
    topic = TopicGold(status=status, label=chosen.converted.topic if chosen else None) if status else None
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
    layers = {layer: getattr(old, layer) for layer in kept}
    return new.model_copy(update={**layers, "annotations": [*new.annotations, *refs]})


def _earlier(corpus: Path, article_id: str) -> GoldFile | None:
    """Return the article's gold file as it stands, or None if it has none (or an unreadable one)."""
    path = gold_path(corpus, article_id)
    if not path.is_file():
        return None
    loaded = load_gold(path, path.name)
    return loaded if isinstance(loaded, GoldFile) else None


def _fetch(sdk: Any, project_id: int) -> tuple[list[Any], dict[int, str]]:
    tasks = all_tasks(sdk, project_id)
    names = {user.id: user.email for user in sdk.users.list() if user.email}
    return tasks, names


def _current_articles(corpus: Path, wanted: set[str]) -> dict[str, Article]:
    return {a.id: a for a in iter_corpus(corpus) if isinstance(a, Article) and a.id in wanted}


def pull(corpus: Path, conn: Connection, project_title: str = DEFAULT_PROJECT) -> PullReport:
    """Pull the project's annotations into ``corpus/annotations/`` and write the pull report."""
    sdk = client(conn)
    with talking_to(conn):
        project = find_project(sdk, project_title)
        if project is None:
            raise LabelStudioError(
                f"Label Studio at {conn.url} has no project {project_title!r}. Try `newscorpus labelstudio push`."
            )
        tasks, names = _fetch(sdk, project.id)
    # The articles as they stand: imported gold and the earlier gold files applied, so corrections show.
    articles = _current_articles(corpus, {(t.data or {}).get("article_id") for t in tasks})
    findings: list[Finding] = []
    gold_files: dict[str, GoldFile] = {}
    found: list[Correction] = []
    outcome: dict[LayerName, LayerOutcome] = {layer: LayerOutcome() for layer in LAYERS}
    spans: dict[str, dict[str, list[Any]]] = {}
    topics: dict[str, dict[str, str]] = {}
    for task in tasks:
        data = task.data or {}
        article = articles.get(data.get("article_id"))
        if article is None:
            findings.append(
                Finding(article_id=data.get("article_id"), task_id=task.id, reason="names no article in the corpus")
            )
            continue
        if data.get("text_sha256") != article.text_sha256 or sha256_text(data.get("text", "")) != article.text_sha256:
            findings.append(
                Finding(
                    article_id=article.id,
                    task_id=task.id,
                    reason="the task's text is not the article's current text; push again",
                )
            )
            continue
        changed = _time(data.get("text_changed_at"))
        reads = [
            read_annotation(raw, article.text, (project.id, task.id), names, changed) for raw in task.annotations or []
        ]
        for read in reads:
            findings += [
                Finding(article_id=article.id, task_id=task.id, annotation_id=read.ref.annotation_id, reason=r)
                for r in read.converted.rejected
            ]
            if read.usable and not read.converted.completed:
                reason = f"completes no layer: mark the names or tick {NO_ENTITIES_CHOICE!r}, or choose a topic"
                findings.append(
                    Finding(article_id=article.id, task_id=task.id, annotation_id=read.ref.annotation_id, reason=reason)
                )
        usable = [r for r in reads if r.usable]
        if len(by_spans := [r for r in usable if "entities" in r.converted.completed]) > 1:
            spans[article.id] = {r.annotator: r.converted.entities for r in by_spans}
        if len(by_topic := [r for r in usable if r.converted.topic]) > 1:
            topics[article.id] = {r.annotator: r.converted.topic for r in by_topic}  # type: ignore[misc]
        gold, why = gold_file(article, reads)
        findings += [Finding(article_id=article.id, task_id=task.id, reason=reason) for reason in why]
        if gold is None:
            continue
        for layer in LAYERS:
            if (layer_gold := getattr(gold, layer)) is not None:
                getattr(outcome[layer], layer_gold.status).append(article.id)
        found += corrections(article, gold, task.id)
        gold_files[article.id] = carry_over(gold, _earlier(corpus, article.id))
    written = _write(corpus, gold_files)
    report = PullReport(
        project_id=project.id,
        tasks=len(tasks),
        entities=_sorted(outcome["entities"]),
        topic=_sorted(outcome["topic"]),
        written=written,
        findings=findings,
        corrections=found,
        agreement=agreement(spans, topics),
    )
    atomic_write_text(corpus / REPORT, report.model_dump_json(indent=2) + "\n")
    return report


def _sorted(outcome: LayerOutcome) -> LayerOutcome:
    return LayerOutcome(**{status: sorted(ids) for status, ids in outcome.model_dump().items()})


def _write(corpus: Path, gold_files: dict[str, GoldFile]) -> list[str]:
    written = []
    for article_id, gold in sorted(gold_files.items()):
        path = gold_path(corpus, article_id)
        content = gold.model_dump_json(indent=2) + "\n"
        if not path.is_file() or path.read_text(encoding="utf-8") != content:
            atomic_write_text(path, content)
            written.append(article_id)
    return written
