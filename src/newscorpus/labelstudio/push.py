"""``push``: the corpus into a Label Studio project, upserted by article id.

Label Studio's importer does not deduplicate, so push learns the project's tasks first:
from its ledger and what changed since, else by listing them all
(``newscorpus.labelstudio.ledger``). What to send is decided article by article, without
the server (``newscorpus.labelstudio.push_plan``); this module sends it. New tasks go in
batches from a second thread while the corpus is still being read, those of articles with
gold last (they wait in a temporary file); updates go one by one, and a task whose text
changed gets its gold carried to the new text (``newscorpus.labelstudio.reanchoring``, which
needs the old text the server still holds). Then push creates the tabs
(``newscorpus.labelstudio.views``) and writes the new ledger.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from label_studio_sdk import LabelStudio

from newscorpus.core.codes import Code
from newscorpus.core.executor import executor_for
from newscorpus.core.report import Problem
from newscorpus.ingest.corpus import iter_corpus
from newscorpus.labelstudio.client import Connection, client, ensure_project, talking_to
from newscorpus.labelstudio.config import DEFAULT_PROJECT
from newscorpus.labelstudio.home import default_home
from newscorpus.labelstudio.ledger import (
    KnownTask,
    Ledger,
    Listed,
    catch_up,
    changed_since,
    from_listing,
    known_task,
    ledger_path,
    load_ledger,
    merge,
    newest_change,
    save_ledger,
)
from newscorpus.labelstudio.push_plan import Create, Unchanged, Update, new_task, plan_push
from newscorpus.labelstudio.reanchoring import earlier_gold, keep_push_fields, text_update
from newscorpus.labelstudio.views import TEXT_CHANGED_AT, ensure_views

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
    refreshed: list[str] = field(default_factory=list)
    """Same text, other data (a layer's status changed): the task's data updated in place."""
    unchanged: list[str] = field(default_factory=list)
    flagged_for_review: list[str] = field(default_factory=list)
    reanchored: list[str] = field(default_factory=list)
    """The text changed under gold: the gold spans went to the new text as predictions (``reanchoring``)."""
    views_created: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _listed(sdk: LabelStudio, project_id: int, query: str | None = None) -> Iterator[Listed]:
    """List the project's tasks (those the Data Manager ``query`` selects) as ids and data."""
    tasks: Iterable[Any] = sdk.tasks.list(project=project_id, page_size=LIST_PAGE_SIZE, fields="task_only", query=query)
    for task in tasks:
        yield task.id, task.data or {}


def _known_tasks(sdk: LabelStudio, project: Any, ledger: Ledger | None) -> tuple[dict[str, KnownTask], list[Problem]]:
    """Return the project's tasks by article id: the ledger and what changed since, else a full listing."""
    known = catch_up(ledger, lambda since: _listed(sdk, project.id, changed_since(since)), project.task_number)
    return (known, []) if known is not None else from_listing(_listed(sdk, project.id))


class _Importer:
    """Sends new tasks in batches from a second thread; records the created tasks in the ledger as ids come back."""

    def __init__(
        self,
        sdk: LabelStudio,
        project_id: int,
        sender: ThreadPoolExecutor,
        ledger: dict[str, KnownTask],
        result: PushResult,
        on_progress: Callable[[int, int | None], None] | None,
    ) -> None:
        self.sdk, self.project_id, self.sender = sdk, project_id, sender
        self.ledger, self.result, self.on_progress = ledger, result, on_progress
        self.sending: deque[tuple[list[dict[str, Any]], Future[Any]]] = deque()
        self.batch: list[dict[str, Any]] = []
        self.size = BATCH_SIZE
        self.failed = threading.Event()

    def add(self, task: dict[str, Any] | None) -> None:
        """Add a new task to the batch (None: send what is left); send the batch when it is full."""
        if task is not None:
            self.batch.append(task)
        if self.batch and (task is None or len(self.batch) == self.size):
            self.sending.append((self.batch, self.sender.submit(self._send, self.batch)))
            self.batch, self.size = [], min(2 * self.size, MAX_BATCHES_GROWTH * BATCH_SIZE)
        self.settle(block=False)

    def _send(self, tasks: list[dict[str, Any]]) -> Any:
        if self.failed.is_set():  # after a failed batch send nothing more: the error ends the push
            return None
        try:
            # No retries: the SDK would retry a POST on a 5xx and import the batch twice.
            return self.sdk.projects.import_tasks(
                id=self.project_id,
                request=tasks,  # type: ignore[arg-type]  # the import payloads, as JSON: the SDK passes them on
                return_task_ids=True,
                request_options={"max_retries": 0},
            )
        except BaseException:
            self.failed.set()
            raise

    def settle(self, block: bool) -> None:
        """Take in the batches the server has answered (with ``block``, all of them, waiting)."""
        while self.sending and (block or self.sending[0][1].done()):
            tasks, future = self.sending.popleft()
            task_ids = getattr(future.result(), "task_ids", None) or []
            if len(task_ids) == len(tasks):  # else the ledger stays short, and the next push lists in full
                for task, task_id in zip(tasks, task_ids, strict=True):
                    self.ledger[task["data"]["article_id"]] = known_task(task_id, task["data"])
            self.result.created += [task["data"]["article_id"] for task in tasks]
            if self.on_progress:
                self.on_progress(len(self.result.created), None)


def _valid(items: Iterable[dict[str, Any] | Problem], problems: list[Problem]) -> Iterator[dict[str, Any]]:
    """Pass the payloads on, and put the problems of articles that could not be read into ``problems``."""
    for item in items:
        if isinstance(item, Problem):
            problems.append(item)
        else:
            yield item


def push(
    corpus: Path,
    conn: Connection,
    project_title: str = DEFAULT_PROJECT,
    *,
    on_progress: Callable[[int, int | None], None] | None = None,
    ledgers: Path | None = None,
    processes: int | None = None,
    ray: str | None = None,
) -> PushResult:
    """Push every valid article of ``corpus``; return what was created, updated and left alone.

    New tasks are sent in batches from a second thread while the corpus is still being read
    on ``processes`` cores (default: all), or on the Ray cluster at address ``ray``; new tasks
    with gold wait in a temporary file and go last. ``ledgers`` is the folder of push ledgers
    (default: ``ledgers/`` in the corpus's Label Studio home; see ``newscorpus.labelstudio.ledger``).
    """
    sdk = client(conn)
    with (
        talking_to(conn),
        ThreadPoolExecutor(max_workers=1) as sender,
        executor_for(processes, ray) as executor,
        tempfile.TemporaryFile("w+", encoding="utf-8") as later,  # new tasks with gold, sent last
    ):
        project = ensure_project(sdk, project_title)
        result = PushResult(project_id=project.id)
        path = ledger_path(conn.url, project.id, ledgers or default_home(corpus).root / "ledgers")
        started: str | None = None
        known: dict[str, KnownTask] = {}
        if project.task_number:  # an empty project (a new one, say) has nothing to learn
            started = newest_change(sdk, project.id)
            known, result.problems = _known_tasks(sdk, project, load_ledger(path, conn.url, project.id))
        max_id = max((t.id for t in known.values()), default=0)
        ledger = dict(known)  # what the ledger becomes
        importer = _Importer(sdk, project.id, sender, ledger, result, on_progress)
        # Articles are parsed and made into payloads on every core; only the payloads come back.
        payloads = _valid(iter_corpus(corpus, convert=new_task, executor=executor), result.problems)
        for step in plan_push(known, payloads):
            match step:
                case Create(later=True):
                    later.write(json.dumps(step.task, ensure_ascii=False) + "\n")
                case Create():
                    importer.add(step.task)
                case Update():
                    ledger[step.article_id] = _update(sdk, step, corpus, result)
                case Unchanged():
                    result.unchanged.append(step.article_id)
        later.seek(0)
        for line in later:
            importer.add(json.loads(line))
        importer.add(None)
        importer.settle(block=True)
        result.views_created = ensure_views(sdk, project.id)
        finished = newest_change(sdk, project.id)
        if started is not None:  # changes others made to older tasks while this push ran
            merge(ledger, _listed(sdk, project.id, changed_since(started, max_id)), strict=False)
        save_ledger(path, Ledger(url=conn.url, project_id=project.id, watermark=finished, tasks=ledger))
    # Push carried that gold to the new text, and the pull that follows writes it: it is no longer just stale.
    carried = set(result.reanchored)
    result.problems = [p for p in result.problems if not (p.code == Code.GOLD_STALE and p.article_id in carried)]
    return result


def _update(sdk: LabelStudio, step: Update, corpus: Path, result: PushResult) -> KnownTask:
    """Send a task its new data; if its text changed, carry its gold there and flag its annotations for review."""
    task_id = str(step.task_id)
    if step.why == "data":
        data = step.data
        if TEXT_CHANGED_AT in data:  # what push said of the text's history: only the server holds all of it
            data = keep_push_fields(data, sdk.tasks.get(id=task_id).data or {})
        sdk.tasks.update(id=task_id, data=data)
        result.refreshed.append(step.article_id)
        return known_task(step.task_id, data)
    old = sdk.tasks.get(id=task_id)
    # Stamped as it is sent, not when the push began: an annotation made on the old text before now is older.
    now = dt.datetime.now(dt.UTC).isoformat()
    update = text_update(step, old.data or {}, earlier_gold(corpus, step.article_id), now)
    for made in sdk.predictions.list(task=step.task_id):  # for the old text
        if made.id is not None:
            sdk.predictions.delete(id=made.id)
    sdk.tasks.update(id=task_id, data=update.data)
    for prediction in update.predictions:
        sdk.predictions.create(task=step.task_id, **prediction)
    result.updated.append(step.article_id)
    result.problems += update.problems
    if update.reanchored:
        result.reanchored.append(step.article_id)
    # The annotations themselves, not the task's total_annotations: Label Studio can stop keeping that count.
    if any(not a.was_cancelled for a in sdk.annotations.list(id=step.task_id)):
        result.flagged_for_review.append(step.article_id)
    return known_task(step.task_id, update.data)
