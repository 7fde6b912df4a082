"""``pull``: every task and annotation of a project into ``corpus/annotations/``.

Everything is fetched and checked before anything is written, so a server
that dies mid-pull leaves the previous files as they were; each file is then
written atomically, and only if it changed. Adjudication:

- a non-cancelled annotation flagged ``ground_truth`` wins (the latest, if several);
- otherwise a single usable annotation is gold, and so are several identical ones;
- otherwise the article needs adjudication, and the disagreement is reported.

Skipped or cancelled annotations are never gold; neither are annotations made
before the task's text last changed (they need review), nor a task whose text
is no longer the article's text.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from newscorpus.article import Article
from newscorpus.atomic import atomic_write_text
from newscorpus.corpus import iter_corpus
from newscorpus.gold import AnnotationRef, GoldFile, gold_path
from newscorpus.labelstudio.agreement import AgreementReport, agreement
from newscorpus.labelstudio.client import Connection, all_tasks, client, find_project, talking_to
from newscorpus.labelstudio.config import DEFAULT_PROJECT
from newscorpus.labelstudio.convert import Converted, from_results
from newscorpus.labelstudio.server import LabelStudioError
from newscorpus.offsets import sha256_text

REPORT = Path("reports") / "labelstudio-pull.json"


class Finding(BaseModel):
    """Something a pull kept out of gold, with where it came from."""

    model_config = ConfigDict(extra="forbid")
    article_id: str | None
    task_id: int
    annotation_id: int | None = None
    reason: str


class PullReport(BaseModel):
    """Everything a pull found: rejected spans, stale tasks, disagreements, agreement."""

    model_config = ConfigDict(extra="forbid")
    project_id: int
    tasks: int
    gold: list[str]
    needs_adjudication: list[str]
    needs_review: list[str]
    written: list[str]
    findings: list[Finding]
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
    ref = AnnotationRef(
        project_id=task[0], task_id=task[1], annotation_id=raw["id"], annotator=annotator,
        ground_truth=bool(raw.get("ground_truth")), created_at=created, updated_at=updated,
    )  # fmt: skip
    return Read(
        annotator=annotator,
        ground_truth=ref.ground_truth,
        cancelled=bool(raw.get("was_cancelled")),
        stale=changed is not None and (stamp is None or stamp < changed),
        stamp=stamp,
        ref=ref,
        converted=from_results(text, raw.get("result") or []),
    )


def adjudicate(reads: list[Read]) -> tuple[str | None, Read | None, str | None]:
    """Return (status, the annotation taken as gold, why not gold) for one task's annotations."""
    usable = [r for r in reads if r.usable]
    if not usable:
        stale = any(r.stale and not r.cancelled for r in reads)
        return ("needs_review", None, "annotated before the text changed") if stale else (None, None, None)
    truths = [r for r in usable if r.ground_truth]
    if truths:
        chosen: Read | None = max(truths, key=lambda r: r.stamp or dt.datetime.min.replace(tzinfo=dt.UTC))
    elif all(
        r.converted.entities == usable[0].converted.entities and r.converted.topic == usable[0].converted.topic
        for r in usable
    ):
        chosen = usable[0]
    else:
        topics = {r.annotator: r.converted.topic for r in usable}
        spans = {r.annotator: len(r.converted.entities) for r in usable}
        return "needs_adjudication", None, f"annotators disagree: topics {topics}, spans per annotator {spans}"
    if chosen.converted.rejected:
        return "needs_review", None, "the chosen annotation has rejected spans"
    return "gold", chosen, None


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
    articles = _current_articles(corpus, {(t.data or {}).get("article_id") for t in tasks})
    findings: list[Finding] = []
    gold_files: dict[str, GoldFile] = {}
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
        usable = [r for r in reads if r.usable]
        if len(usable) > 1:
            spans[article.id] = {r.annotator: r.converted.entities for r in usable}
            topics[article.id] = {r.annotator: r.converted.topic for r in usable if r.converted.topic}
        status, chosen, why = adjudicate(reads)
        if status is None:
            continue
        if why:
            findings.append(Finding(article_id=article.id, task_id=task.id, reason=why))
        gold_files[article.id] = GoldFile(
            article_id=article.id,
            text_sha256=article.text_sha256,
            status=status,
            topic=chosen.converted.topic if chosen else None,
            entities=chosen.converted.entities if chosen else [],
            annotations=[r.ref for r in reads if not r.cancelled],
        )
    written = _write(corpus, gold_files)
    report = PullReport(
        project_id=project.id,
        tasks=len(tasks),
        gold=sorted(a for a, g in gold_files.items() if g.status == "gold"),
        needs_adjudication=sorted(a for a, g in gold_files.items() if g.status == "needs_adjudication"),
        needs_review=sorted(a for a, g in gold_files.items() if g.status == "needs_review"),
        written=written,
        findings=findings,
        agreement=agreement(spans, topics),
    )
    atomic_write_text(corpus / REPORT, report.model_dump_json(indent=2) + "\n")
    return report


def _write(corpus: Path, gold_files: dict[str, GoldFile]) -> list[str]:
    written = []
    for article_id, gold in sorted(gold_files.items()):
        path = gold_path(corpus, article_id)
        content = gold.model_dump_json(indent=2) + "\n"
        if not path.is_file() or path.read_text(encoding="utf-8") != content:
            atomic_write_text(path, content)
            written.append(article_id)
    return written
