"""``push``: the corpus into a Label Studio project, upserted by article id.

Label Studio's importer does not deduplicate, so push learns the project's
tasks first (from its ledger and what changed since, else by listing them all):
an article with a task of the same ``text_sha256`` and data is skipped, a
new one is created, one whose text changed is updated in place and its
existing annotations are flagged for review (``text_changed_at`` on the task;
pull keeps annotations older than that out of gold), and one whose other data
changed (a layer's status, after a pull) is updated in place.

Gold and imported layers travel as predictions, one per source (the layer's
``source`` is the prediction's ``model_version``), so annotators correct
rather than start from zero. The task data carry each layer's status, which
the tabs push creates filter on (``newscorpus.labelstudio.views``). New tasks
without gold are imported first, so in the default order (by task id) they
come before tasks that have gold.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from label_studio_sdk import LabelStudio

from newscorpus.core.report import Problem
from newscorpus.ingest.corpus import iter_corpus
from newscorpus.labelstudio.client import Connection, client, ensure_project, talking_to
from newscorpus.labelstudio.config import DEFAULT_PROJECT
from newscorpus.labelstudio.convert import to_results
from newscorpus.labelstudio.ledger import (
    NEWEST_FIRST,
    KnownTask,
    Ledger,
    changed_since,
    data_sha256,
    known_task,
    ledger_path,
    load_ledger,
    save_ledger,
    watermark_of,
)
from newscorpus.labelstudio.server import default_home
from newscorpus.labelstudio.views import GOLD_LAYERS, STATUS_FIELDS, ensure_views
from newscorpus.model.article import Article

BATCH_SIZE = 500
"""Tasks in the first import request; each next one is twice as large, up to ``MAX_BATCHES_GROWTH`` times.

The first is small so that the server starts importing early; later ones are large because
every request costs the server a fixed time (one transaction each)."""
MAX_BATCHES_GROWTH = 8
LIST_PAGE_SIZE = 1000
DEFAULT_MODEL_VERSION = "newscorpus"
"""The ``model_version`` of a prediction from a layer that names no source."""


@dataclass
class PushResult:
    """What a push did, by article id."""

    project_id: int
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    refreshed: list[str] = field(default_factory=list)
    """Same text, other data (a layer's status changed): the task's data updated in place."""
    unchanged: list[str] = field(default_factory=list)
    flagged_for_review: list[str] = field(default_factory=list)
    views_created: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def task_data(article: Article) -> dict[str, Any]:
    """Return the task data of an article; ``article_id`` is the key every later push and pull uses."""
    data: dict[str, Any] = {"text": article.text, "article_id": article.id, "text_sha256": article.text_sha256}
    if article.headline:
        data["headline"] = article.headline
    layers = {layer: getattr(article.annotation, layer).status for layer in STATUS_FIELDS}
    data |= {STATUS_FIELDS[layer]: status for layer, status in layers.items()}
    data[GOLD_LAYERS] = sum(status == "gold" for status in layers.values())
    return data


def predictions(article: Article) -> list[dict[str, Any]]:
    """Return the article's gold and imported layers as predictions, one per source (its ``model_version``).

    A gold entity layer without spans goes as the "no names" tick.
    """
    by_source: dict[str, dict[str, Any]] = {}
    entities, topic = article.annotation.entities, article.annotation.topic
    if article.entities or entities.status == "gold":
        by_source.setdefault(entities.source or DEFAULT_MODEL_VERSION, {})["entities"] = article.entities
    if article.topic is not None:
        by_source.setdefault(topic.source or DEFAULT_MODEL_VERSION, {})["topic"] = article.topic
    return [
        {"model_version": source, "result": to_results(layers.get("entities"), layers.get("topic"))}
        for source, layers in by_source.items()
    ]


def new_task(article: Article) -> dict[str, Any]:
    """Return an import payload: the task, and its gold or imported layers as predictions."""
    task: dict[str, Any] = {"data": task_data(article)}
    if found := predictions(article):
        task["predictions"] = found
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
        known[article_id] = known_task(task.id, task.data)
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
    on ``processes`` cores (default: all); new tasks with gold wait in a temporary file and go
    last. ``ledgers`` is the folder of push ledgers (default: ``ledgers/`` in the corpus's Label
    Studio home; see ``newscorpus.labelstudio.ledger``).
    """
    sdk = client(conn)
    with (
        talking_to(conn),
        ThreadPoolExecutor(max_workers=1) as sender,
        tempfile.TemporaryFile("w+", encoding="utf-8") as later,  # new tasks with gold, sent last
    ):
        project = ensure_project(sdk, project_title)
        result = PushResult(project_id=project.id)
        path = ledger_path(conn.url, project.id, ledgers or default_home(corpus).root / "ledgers")
        started, known = None, {}
        if project.task_number:  # an empty project (a new one, say) has nothing to learn
            started = _newest_change(sdk, project.id)
            known, result.problems = _known_tasks(sdk, project, load_ledger(path, conn.url, project.id))
        max_id = max((t.id for t in known.values()), default=0)
        sending: deque[tuple[list[dict[str, Any]], Future[Any]]] = deque()
        batch: list[dict[str, Any]] = []
        size = BATCH_SIZE

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
                        known[task["data"]["article_id"]] = known_task(task_id, task["data"])
                result.created += [task["data"]["article_id"] for task in tasks]
                if on_progress:
                    on_progress(len(result.created), None)

        def queue(task: dict[str, Any] | None) -> None:
            """Add a new task to the batch (None: send what is left); send the batch when it is full."""
            nonlocal batch, size
            if task is not None:
                batch.append(task)
            if batch and (task is None or len(batch) == size):
                sending.append((batch, sender.submit(send, batch)))
                batch, size = [], min(2 * size, MAX_BATCHES_GROWTH * BATCH_SIZE)
            settle(block=False)

        # Articles are parsed and made into payloads on every core; only the payloads come back.
        for item in iter_corpus(corpus, convert=new_task, processes=processes):
            if isinstance(item, Problem):
                result.problems.append(item)
                continue
            data = item["data"]
            article_id, task = data["article_id"], known.get(data["article_id"])
            if task is None and data[GOLD_LAYERS]:
                later.write(json.dumps(item, ensure_ascii=False) + "\n")
            elif task is None:
                queue(item)
            elif task.text_sha256 != data["text_sha256"]:
                known[article_id] = _update(sdk, task.id, data, result)
            elif task.data_sha256 != data_sha256(data):
                known[article_id] = _refresh(sdk, task, data, result)
            else:
                result.unchanged.append(article_id)
        later.seek(0)
        for line in later:
            queue(json.loads(line))
        queue(None)
        settle(block=True)
        result.views_created = ensure_views(sdk, project.id)
        finished = _newest_change(sdk, project.id)
        if started is not None:  # changes others made to older tasks while this push ran
            _merge(known, _list(sdk, project.id, changed_since(started, max_id)), strict=False)
        save_ledger(path, Ledger(url=conn.url, project_id=project.id, watermark=finished, tasks=known))
    return result


def _update(sdk: LabelStudio, task_id: int, data: dict[str, Any], result: PushResult) -> KnownTask:
    """Give a task the article's new text; flag its annotations for review (pull keeps them out of gold)."""
    data = {**data, "text_changed_at": dt.datetime.now(dt.UTC).isoformat()}
    sdk.tasks.update(id=str(task_id), data=data)
    result.updated.append(data["article_id"])
    # The annotations themselves, not the task's total_annotations: Label Studio can stop keeping that count.
    if any(not a.was_cancelled for a in sdk.annotations.list(id=task_id)):
        result.flagged_for_review.append(data["article_id"])
    return known_task(task_id, data)


def _refresh(sdk: LabelStudio, known: KnownTask, data: dict[str, Any], result: PushResult) -> KnownTask:
    """Give a task the article's new data (same text), keeping when its text last changed."""
    if known.text_changed_at is not None:
        data = {**data, "text_changed_at": known.text_changed_at}
    sdk.tasks.update(id=str(known.id), data=data)
    result.refreshed.append(data["article_id"])
    return known_task(known.id, data)
