"""The load test: annotators post and update annotations while a curator pushes new articles, then pulls.

Simulated annotators are threads in a process of their own (so their client work does
not slow the push down), each with its own share of the project's tasks: it posts an
annotation (a topic) to a task of its share, or changes the topic of the one it posted,
in a loop with no pause, through the REST API. They talk only to 127.0.0.1, and stop
after ``seconds`` or ``max_requests`` each, whichever comes first. While they work,
``labelstudio push`` sends the new articles and ``labelstudio pull`` reads the project;
after they stop, a last pull is checked against every annotation they were answered 201
(created) or 200 (changed) for.

The figures (issue 13): the push under load against the same push idle, failed requests
(5xx and timeouts; any other refusal is counted too), lost annotations (one the server
acknowledged that the last pull has neither as gold with its last topic nor reports), and
whether the pull made under load read each task whole: every annotation it took is one
version the server acknowledged, and none acknowledged before the pull began is missing.
``fig_load_test`` runs it on a fresh server per database, PostgreSQL and SQLite.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import multiprocessing
import queue
import random
import shutil
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from benchmarks.common import REPO, Bench, Figure, timed

REQUEST_TIMEOUT = 60.0
"""Seconds an annotator waits for an answer before counting a timeout."""
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@dataclass
class Annotation:
    """One annotation an annotator was answered for, with every version the server acknowledged."""

    annotation_id: int
    task_id: int
    article_id: str
    versions: list[tuple[dt.datetime, str, float]] = field(default_factory=list)
    """(the server's updated_at, the topic, when the answer came on our clock)."""

    @property
    def key(self) -> tuple[int, int]:
        """The task and annotation ids, as a gold file names them."""
        return self.task_id, self.annotation_id

    @property
    def last(self) -> tuple[dt.datetime, str, float]:
        """The newest acknowledged version."""
        return max(self.versions)


@dataclass
class Work:
    """What the annotators did: their annotations, requests, and each failed request."""

    annotations: list[Annotation] = field(default_factory=list)
    requests: int = 0
    failures: list[str] = field(default_factory=list)


def _stamp(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def _annotate(
    url: str, key: str, share: list[tuple[int, str]], topics: list[str], until: float, max_requests: int,
    stop: Any, seed: int,
) -> Work:  # fmt: skip
    """One annotator: post a topic to a task of ``share``, or change the one posted, until told to stop."""
    import httpx

    from newscorpus.labelstudio.convert import to_results

    rng = random.Random(seed)
    work = Work()
    mine: dict[int, Annotation] = {}
    unsure: set[int] = set()  # a failed post may still have been saved: leave that task alone
    with httpx.Client(base_url=url, headers={"Authorization": f"Token {key}"}, timeout=REQUEST_TIMEOUT) as http:
        while work.requests < max_requests and time.monotonic() < until and not stop.is_set():
            task_id, article_id = rng.choice(share)
            if task_id in unsure:
                continue
            annotation = mine.get(task_id)
            current = annotation.last[1] if annotation else None
            topic = rng.choice([t for t in topics if t != current])
            body = {"result": to_results(None, topic, origin="manual")}
            work.requests += 1
            try:
                if annotation is None:
                    answer = http.post(f"/api/tasks/{task_id}/annotations/", json={**body, "lead_time": 1.0})
                else:
                    answer = http.patch(f"/api/annotations/{annotation.annotation_id}/", json=body)
            except httpx.TimeoutException:
                work.failures.append(f"timeout after {REQUEST_TIMEOUT:.0f} s")
                unsure.add(task_id)
                continue
            except httpx.TransportError as exc:
                work.failures.append(f"{type(exc).__name__}")
                unsure.add(task_id)
                continue
            if answer.status_code not in (200, 201):
                work.failures.append(f"HTTP {answer.status_code}")
                unsure.add(task_id)
                continue
            saved = answer.json()
            if annotation is None:
                annotation = mine[task_id] = Annotation(saved["id"], task_id, article_id)
                work.annotations.append(annotation)
            annotation.versions.append((_stamp(saved["updated_at"]), topic, time.time()))
    return work


def _annotators(
    url: str, key: str, shares: list[list[tuple[int, str]]], seconds: float, max_requests: int, stop: Any,
    ready: Any, out: Any,
) -> None:  # fmt: skip
    """The annotators' process: one thread per share; put what they did on ``out`` when all have stopped."""
    import httpx  # noqa: F401 - loaded before ``ready``, so that the load starts at once

    from newscorpus.labelstudio.convert import to_results  # noqa: F401
    from newscorpus.model.labels import label_sets

    topics = list(label_sets().topic_names())
    until = time.monotonic() + seconds
    ready.set()
    with ThreadPoolExecutor(max_workers=len(shares)) as pool:
        done = list(
            pool.map(lambda i: _annotate(url, key, shares[i], topics, until, max_requests, stop, i), range(len(shares)))
        )
    out.put(Work(
        annotations=[a for w in done for a in w.annotations],
        requests=sum(w.requests for w in done),
        failures=[f for w in done for f in w.failures],
    ))  # fmt: skip


class Annotators:
    """``n`` simulated annotators in a process of their own, on the tasks ``tasks`` (task id, article id)."""

    def __init__(
        self, url: str, key: str, tasks: list[tuple[int, str]], n: int, seconds: float, max_requests: int
    ) -> None:
        if urlparse(url).hostname not in LOOPBACK:
            raise ValueError(f"the load test sends requests only to this machine, not to {url}")
        context = multiprocessing.get_context("spawn")  # no fork of a process that runs threads
        self._stop, self._ready, self._out = context.Event(), context.Event(), context.Queue()
        shares = [tasks[i::n] for i in range(n)]
        self._process = context.Process(
            target=_annotators,
            args=(url, key, shares, seconds, max_requests, self._stop, self._ready, self._out),
            daemon=True,
        )

    def __enter__(self) -> Annotators:
        self._process.start()
        while not self._ready.wait(0.5):
            if not self._process.is_alive():
                raise RuntimeError(f"the annotators' process ended with code {self._process.exitcode} at its start")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._process.is_alive():
            self._stop.set()
            self._process.join(REQUEST_TIMEOUT + 30)
            if self._process.is_alive():
                self._process.kill()

    def stop(self) -> Work:
        """Tell the annotators to stop; return what they did once each has had its last answer."""
        self._stop.set()
        deadline = time.monotonic() + REQUEST_TIMEOUT + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(queue.Empty):
                work = self._out.get(timeout=0.5)
                self._process.join()
                return work
            if not self._process.is_alive():
                raise RuntimeError(f"the annotators' process ended with code {self._process.exitcode}, saying nothing")
        raise RuntimeError(f"the annotators did not stop within {REQUEST_TIMEOUT + 30:.0f} s")


@dataclass
class PullCheck:
    """How a pull compares with the annotations the server acknowledged."""

    missing: list[int] = field(default_factory=list)
    """Annotations acknowledged before the pull began that it has neither as gold nor reports."""
    half_read: list[int] = field(default_factory=list)
    """Annotations the pull took in a version the server never acknowledged."""
    changing: int = 0
    """Annotations changed while the pull ran."""
    details: list[str] = field(default_factory=list)
    """What was pulled of each half-read annotation, and what the server had acknowledged when."""


def check_pull(corpus: Path, report: Any, annotations: list[Annotation], began: float, ended: float) -> PullCheck:
    """Compare the gold files and report of a pull that ran from ``began`` to ``ended`` with ``annotations``.

    A task the pull reports (a finding names it) counts as reported, not as missing.
    """
    from newscorpus.model.gold import GoldFile, gold_path, load_gold

    reported = {f.task_id for f in report.findings}
    check = PullCheck()
    for annotation in annotations:
        acked = [v for v in annotation.versions if v[2] < began]
        check.changing += any(began <= v[2] <= ended for v in annotation.versions)
        path = gold_path(corpus, annotation.article_id)
        gold = load_gold(path, path.name) if path.is_file() else None
        ref = None
        if isinstance(gold, GoldFile):
            ref = next((r for r in gold.annotations if (r.task_id, r.annotation_id) == annotation.key), None)
        if ref is None or gold is None or gold.topic is None:
            if acked and annotation.task_id not in reported:
                check.missing.append(annotation.annotation_id)
            continue
        topics = {stamp: topic for stamp, topic, _ in annotation.versions}
        if topics.get(ref.updated_at) != gold.topic.label or (acked and ref.updated_at < max(acked)[0]):
            check.half_read.append(annotation.annotation_id)
            versions = ", ".join(f"{s.isoformat()} {t} ({at - began:+.2f} s)" for s, t, at in annotation.versions)
            check.details.append(
                f"annotation {annotation.annotation_id}: pulled {ref.updated_at} {gold.topic.label}; "
                f"acknowledged (answer time from the pull's start): {versions}"
            )
    return check


@dataclass
class LoadResult:
    """The figures of one load test on one server."""

    new_articles: int
    idle_push: float
    load_push: float | None
    push_error: str | None
    created: int
    """Tasks the push under load created (counted on the server if the push failed)."""
    work: Work
    pull_under_load: float | None
    pull_error: str | None
    during: PullCheck | None
    after: PullCheck

    @property
    def failed(self) -> int:
        """Failed requests: the annotators', and a push or pull under load that failed."""
        return len(self.work.failures) + (self.push_error is not None) + (self.pull_error is not None)

    @property
    def lost(self) -> int:
        """Acknowledged annotations the last pull has neither as gold with their last version nor reports."""
        return len(self.after.missing) + len(self.after.half_read)

    @property
    def inconsistent(self) -> int:
        """Annotations the pull under load read in part or missed; a pull that failed counts as one."""
        if self.during is None:
            return 1
        return len(self.during.missing) + len(self.during.half_read)


def _delete(sdk: Any, title: str, delete: Callable[[Any, int], None] | None) -> None:
    from newscorpus.labelstudio.client import find_project

    with contextlib.suppress(Exception):
        if (project := find_project(sdk, title)) is not None:
            (delete or (lambda sdk, project_id: sdk.projects.delete(id=project_id)))(sdk, project.id)


def load_test(
    conn: Any, base: Path, full: Path, *, annotators: int, seconds: float, max_requests: int, work_dir: Path,
    log: Callable[[str], None] = print, delete: Callable[[Any, int], None] | None = None,
) -> LoadResult:  # fmt: skip
    """Push ``full`` (``base`` plus new articles) idle, then under load into a project holding ``base``; pull.

    ``base``'s articles are the annotators' tasks. Each run uses fresh projects, deleted afterwards,
    and pulls into a copy of ``full`` in ``work_dir``, so no gold file of an earlier run is taken for its own.
    ``delete(sdk, project_id)`` deletes a project (default: the SDK's call).
    """
    from newscorpus.labelstudio.client import all_tasks, client
    from newscorpus.labelstudio.pull import pull
    from newscorpus.labelstudio.push import push

    sdk = client(conn)
    tag = uuid.uuid4().hex[:8]
    idle_title, load_title = f"load-idle-{tag}", f"load-{tag}"
    ledgers = work_dir / f"ledgers-{tag}"
    under_load = work_dir / f"pulled-under-load-{tag}"  # the gold files as the pull under load left them
    corpus = work_dir / f"corpus-{tag}"
    shutil.copytree(full, corpus)
    try:
        push(base, conn, idle_title, ledgers=ledgers)
        idle, pushed = timed(lambda: push(full, conn, idle_title, ledgers=ledgers))
        new_articles = len(pushed.created)
        log(f"idle push: {new_articles:,} new articles in {idle:.1f} s")
        _delete(sdk, idle_title, delete)
        project_id = push(base, conn, load_title, ledgers=ledgers).project_id
        tasks = [(t.id, t.data["article_id"]) for t in all_tasks(sdk, project_id)]
        load_push = push_error = pull_under_load = pull_error = report = None
        with Annotators(conn.url, conn.api_key, tasks, annotators, seconds, max_requests) as crowd:
            time.sleep(min(1.0, seconds / 10))  # the load is on before the push starts
            try:
                load_push, pushed = timed(lambda: push(corpus, conn, load_title, ledgers=ledgers))
                log(f"push under load: {len(pushed.created):,} new articles in {load_push:.1f} s")
            except Exception as exc:  # the figure is that it failed, and how
                push_error = f"{type(exc).__name__}: {exc}"
                log(f"push under load failed: {push_error}")
            began = time.time()
            try:
                pull_under_load, report = timed(lambda: pull(corpus, conn, load_title))
                ended = time.time()
                shutil.copytree(corpus / "annotations", under_load / "annotations")
                log(f"pull under load: {report.tasks:,} tasks in {pull_under_load:.1f} s")
            except Exception as exc:
                pull_error = f"{type(exc).__name__}: {exc}"
                log(f"pull under load failed: {pull_error}")
            work = crowd.stop()
        failed = f" ({', '.join(sorted(set(work.failures)))})" if work.failures else ""
        log(
            f"{annotators} annotators: {work.requests:,} requests, {len(work.annotations):,} annotations, "
            f"{len(work.failures):,} failed{failed}"
        )
        during = None if report is None else check_pull(under_load, report, work.annotations, began, ended)
        final_began = time.time()
        final = pull(corpus, conn, load_title)
        after = check_pull(corpus, final, work.annotations, final_began, time.time())
        created = (sdk.projects.get(id=project_id).task_number or 0) - len(tasks)
        return LoadResult(
            new_articles=new_articles, idle_push=idle, load_push=load_push, push_error=push_error, created=created,
            work=work, pull_under_load=pull_under_load, pull_error=pull_error, during=during, after=after,
        )  # fmt: skip
    finally:
        _delete(sdk, idle_title, delete)
        _delete(sdk, load_title, delete)
        shutil.rmtree(under_load, ignore_errors=True)
        shutil.rmtree(corpus, ignore_errors=True)


def server_home(root: Path) -> Any:
    """Return a fresh Label Studio home in ``root`` using the project's Label Studio install (installed if need be)."""
    from newscorpus.labelstudio.home import Home
    from newscorpus.labelstudio.server import ensure_installed

    ensure_installed(Home(REPO / ".labelstudio"))
    home = Home(root)
    root.mkdir(parents=True, exist_ok=True)
    home.venv.symlink_to(REPO / ".labelstudio" / "venv")
    return home


def start_times(home: Any, backend: str, port: int, log: Callable[[str], None]) -> tuple[float, float]:
    """Start a fresh server on ``backend``, stop it, start it again; return both start-up times (it is left up)."""
    from newscorpus.labelstudio.server import start, stop

    first, _ = timed(lambda: start(home, port, backend=backend, say=log))
    stop(home)
    later, _ = timed(lambda: start(home, port, backend=backend, say=log))
    log(f"{backend}: first start {first:.0f} s (database made and migrated), later start {later:.0f} s")
    return first, later


def fig_load_test(bench: Bench) -> list[Figure]:
    """The load test on a fresh server per database (or on the running one): its figures, and start-up times."""
    from newscorpus.labelstudio.client import connection
    from newscorpus.labelstudio.server import stop

    args = bench.args
    base_n = max(args.load_annotators * 25, 50)
    base = bench.corpus(base_n, f"load-base-{base_n}")
    full = bench.corpus(base_n + args.load_articles, f"load-full-{base_n + args.load_articles}")
    figures: list[Figure] = []
    for i, backend in enumerate(args.load_backends):
        home = None if backend == "running" else server_home(bench.tmp / f"ls-{backend}")
        try:
            starts = start_times(home, backend, 8290 + i, bench.log) if home else None
            result = load_test(
                connection(home) if home else bench.connection(), base, full, annotators=args.load_annotators,
                seconds=args.load_seconds, max_requests=args.load_requests, work_dir=bench.tmp / f"load-{backend}",
                log=bench.log,
            )  # fmt: skip
        finally:
            if home:
                stop(home)
        figures += load_figures(backend, result, args.load_annotators, starts)
    return figures


def load_figures(
    backend: str, r: LoadResult, annotators: int, starts: tuple[float, float] | None = None
) -> list[Figure]:
    """Return the figures of one backend's load test, and its first and later start-up times if measured."""
    work = r.work
    context = {
        "new_articles": r.new_articles, "created_under_load": r.created, "push_error": r.push_error,
        "annotators": annotators, "requests": work.requests, "annotations": len(work.annotations),
        "failures": sorted(set(work.failures)),
    }  # fmt: skip
    during = r.during or PullCheck()
    pull = {
        "pull_seconds": r.pull_under_load, "pull_error": r.pull_error, "changing_during_pull": during.changing,
        "missing": during.missing[:20], "half_read": during.details[:20],
    }  # fmt: skip
    push_runs = [r.load_push if r.load_push is not None and r.created == r.new_articles else float("inf")]
    return [
        Figure(
            f"load_push_{backend}", f"{backend}: push of {r.new_articles:,} new articles while {annotators} annotators "
            "post and update annotations (inf: it failed)", "s", push_runs, 3.0, "<=",
            "the same push, idle", "s", [r.idle_push], context,
        ),
        Figure(f"load_failed_{backend}", f"{backend}: failed requests (5xx, timeouts, other refusals) of the "
               f"annotators' {work.requests:,}, the push and the pull", "requests", [float(r.failed)], 0, "<=",
               extra=context),
        Figure(f"load_lost_{backend}", f"{backend}: acknowledged annotations missing from the last pull, or not in "
               f"their last version, of {len(work.annotations):,}", "annotations", [float(r.lost)], 0, "<=",
               extra={"missing": r.after.missing[:20], "not_last": r.after.details[:20]}),
        Figure(f"load_pull_{backend}", f"{backend}: annotations the pull under load missed or read in a version never "
               "acknowledged (a failed pull counts 1)", "annotations", [float(r.inconsistent)], 0, "<=",
               extra=pull),
    ] + ([
        Figure(f"ls_start_first_{backend}", f"{backend}: first start of Label Studio (database made and migrated)",
               "s", [starts[0]], None, "<="),
        Figure(f"ls_start_{backend}", f"{backend}: a later start of Label Studio", "s", [starts[1]], None, "<="),
    ] if starts else [])  # fmt: skip
