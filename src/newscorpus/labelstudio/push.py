"""``push``: the corpus into a Label Studio project, upserted by article id.

Label Studio's importer does not deduplicate, so push learns the project's
tasks first (from its ledger and what changed since, else by listing them all):
an article with a task of the same ``text_sha256`` is skipped, a
new one is created, one whose text changed is updated in place and its
existing annotations are flagged for review (``text_changed_at`` on the task;
pull keeps annotations older than that out of gold). Gold and imported spans
travel as predictions, so annotators correct rather than start from zero.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from label_studio_sdk import LabelStudio

from newscorpus.article import Article
from newscorpus.corpus import iter_corpus
from newscorpus.labelstudio.client import Connection, client, ensure_project, talking_to
from newscorpus.labelstudio.config import DEFAULT_PROJECT
from newscorpus.labelstudio.convert import to_results
from newscorpus.labelstudio.ledger import (
    NEWEST_FIRST,
    KnownTask,
    Ledger,
    changed_since,
    ledger_path,
    load_ledger,
    save_ledger,
    watermark_of,
)
from newscorpus.report import Problem

BATCH_SIZE = 500
"""Tasks in the first import request; each next one is twice as large, up to ``MAX_BATCHES_GROWTH`` times.

The first is small so that the server starts importing early; later ones are large because
every request costs the server a fixed time (one transaction each)."""
MAX_BATCHES_GROWTH = 8
LIST_PAGE_SIZE = 1000


@dataclass
class PushResult:
    """What a push did, by article id."""

    project_id: int
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    flagged_for_review: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def task_data(article: Article) -> dict[str, Any]:
    """Return the task data of an article; ``article_id`` is the key every later push and pull uses."""
    data: dict[str, Any] = {"text": article.text, "article_id": article.id, "text_sha256": article.text_sha256}
    if article.headline:
        data["headline"] = article.headline
    return data


def new_task(article: Article) -> dict[str, Any]:
    """Return an import payload: the task, and its gold or imported spans as a prediction."""
    task: dict[str, Any] = {"data": task_data(article)}
    if article.entities or article.topic:
        task["predictions"] = [
            {
                "model_version": article.annotation.source or "newscorpus",
                "result": to_results(article.entities, article.topic),
            }
        ]
    return task


def _list(sdk: LabelStudio, project_id: int, query: str | None = None) -> Iterator[Any]:
    return iter(sdk.tasks.list(project=project_id, page_size=LIST_PAGE_SIZE, fields="task_only", query=query))


def _newest_change(sdk: LabelStudio, project_id: int) -> str | None:
    """Return the server time of the project's most recent task change (the watermark), or None."""
    tasks = sdk.tasks.list(project=project_id, page_size=1, fields="task_only", query=NEWEST_FIRST)
    return watermark_of(next(iter(tasks), None))


def _merge(known: dict[str, KnownTask], tasks: Iterator[Any], strict: bool) -> list[Problem] | None:
    """Add listed tasks to ``known``; return the duplicates, or None if ``strict`` and one turned up."""
    problems, seen = [], set()
    for task in tasks:
        article_id = (task.data or {}).get("article_id")
        if not article_id:
            continue
        old = known.get(article_id)
        if article_id in seen or (strict and old is not None and old.id != task.id):
            if strict:
                return None  # a re-created or duplicated task: only a full listing can tell
            problems.append(
                Problem(file=f"label-studio task {task.id}", message=f"duplicates the task of {article_id!r}")
            )
            continue
        seen.add(article_id)
        known[article_id] = KnownTask(id=task.id, text_sha256=task.data.get("text_sha256"))
    return problems


def _known_tasks(sdk: LabelStudio, project: Any, ledger: Ledger | None) -> tuple[dict[str, KnownTask], list[Problem]]:
    """Return the project's tasks by article id: the ledger and what changed since, else a full listing."""
    if ledger is not None and ledger.watermark is not None:
        known = dict(ledger.tasks)
        merged = _merge(known, _list(sdk, project.id, changed_since(ledger.watermark)), strict=True)
        if merged is not None and len(known) == project.task_number:
            return known, []
    known = {}
    problems = _merge(known, _list(sdk, project.id), strict=False) or []
    return known, problems


def push(
    corpus: Path,
    conn: Connection,
    project_title: str = DEFAULT_PROJECT,
    *,
    on_progress: Callable[[int, int | None], None] | None = None,
    ledgers: Path | None = None,
    processes: int | None = None,
) -> PushResult:
    """Push every valid article of ``corpus``; return what was created, updated and left alone.

    New tasks are sent in batches from a second thread while the corpus is still being read
    on ``processes`` cores (default: all). ``ledgers`` is the folder of push ledgers (see
    ``newscorpus.labelstudio.ledger``).
    """
    sdk = client(conn)
    with talking_to(conn), ThreadPoolExecutor(max_workers=1) as sender:
        project = ensure_project(sdk, project_title)
        result = PushResult(project_id=project.id)
        path = ledger_path(conn.url, project.id, ledgers)
        started, known = None, {}
        if project.task_number:  # an empty project (a new one, say) has nothing to learn
            started = _newest_change(sdk, project.id)
            known, result.problems = _known_tasks(sdk, project, load_ledger(path, conn.url, project.id))
        max_id = max((t.id for t in known.values()), default=0)
        sending: deque[tuple[list[dict[str, Any]], Future[Any]]] = deque()
        batch: list[dict[str, Any]] = []

        failed = threading.Event()

        def send(tasks: list[dict[str, Any]]) -> Any:
            if failed.is_set():  # after a failed batch send nothing more: the error ends the push
                return None
            try:
                # No retries: the SDK would retry a POST on a 5xx and import the batch twice.
                return sdk.projects.import_tasks(
                    id=project.id, request=tasks, return_task_ids=True, request_options={"max_retries": 0}
                )
            except BaseException:
                failed.set()
                raise

        def settle(block: bool) -> None:
            while sending and (block or sending[0][1].done()):
                tasks, future = sending.popleft()
                task_ids = getattr(future.result(), "task_ids", None) or []
                if len(task_ids) == len(tasks):  # else the ledger stays short, and the next push lists in full
                    for task, task_id in zip(tasks, task_ids, strict=True):
                        known[task["data"]["article_id"]] = KnownTask(
                            id=task_id, text_sha256=task["data"]["text_sha256"]
                        )
                result.created += [task["data"]["article_id"] for task in tasks]
                if on_progress:
                    on_progress(len(result.created), None)

        size = BATCH_SIZE
        # Articles are parsed and made into payloads on every core; only the payloads come back.
        for item in iter_corpus(corpus, convert=new_task, processes=processes):
            if isinstance(item, Problem):
                result.problems.append(item)
                continue
            article_id, text_sha256 = item["data"]["article_id"], item["data"]["text_sha256"]
            task = known.get(article_id)
            if task is None:
                batch.append(item)
            elif task.text_sha256 == text_sha256:
                result.unchanged.append(article_id)
            else:
                _update(sdk, task.id, item["data"], result)
                known[article_id] = KnownTask(id=task.id, text_sha256=text_sha256)
            if len(batch) == size:
                sending.append((batch, sender.submit(send, batch)))
                batch, size = [], min(2 * size, MAX_BATCHES_GROWTH * BATCH_SIZE)
            settle(block=False)
        if batch:
            sending.append((batch, sender.submit(send, batch)))
        settle(block=True)
        finished = _newest_change(sdk, project.id)
        if started is not None:  # changes others made to older tasks while this push ran
            _merge(known, _list(sdk, project.id, changed_since(started, max_id)), strict=False)
        save_ledger(path, Ledger(url=conn.url, project_id=project.id, watermark=finished, tasks=known))
    return result


def _update(sdk: LabelStudio, task_id: int, data: dict[str, Any], result: PushResult) -> None:
    """Give a task the article's new text; flag its annotations for review (pull keeps them out of gold)."""
    now = dt.datetime.now(dt.UTC).isoformat()
    task = sdk.tasks.update(id=str(task_id), data={**data, "text_changed_at": now})
    result.updated.append(data["article_id"])
    if task.total_annotations:
        result.flagged_for_review.append(data["article_id"])
