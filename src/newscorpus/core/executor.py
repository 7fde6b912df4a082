"""Where the CPU-bound jobs of a command run: on this machine's cores, or on a Ray cluster.

Both executors run the same module-level job functions and hand their results back in the
order of the jobs, so a command gives the same output, byte for byte, on either. The local
one is the embedded default; Ray (``pip install 'newscorpus[ray]'``) takes a command past one
machine. Jobs must be sized so that one job is worth a round trip: tens of articles, not one.
"""

from __future__ import annotations

import gc
import importlib
import importlib.metadata
import os
import pickle
import platform
import socket
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Collection, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from types import TracebackType
from typing import Any, TypeVar

from newscorpus.core.errors import NewscorpusError, UsageError
from newscorpus.core.pool import WINDOW, apply_chunk, chunks, collect_seldom, ordered_map, prepare_worker, worker_pool

J = TypeVar("J")
R = TypeVar("R")

CONNECT_SECONDS = 5.0
"""How long an address may take to answer before it counts as unreachable."""
TASK_RETRIES = 3
"""How often Ray runs a job again whose node died; jobs write their files atomically, so a rerun is harmless."""
INLINE_WORK = 100 * 1024
"""Bytes of a pickled work that travel with each Ray task, Ray's own limit for an argument sent with its task
(``max_direct_call_object_size``); a bigger one is put in the object store once a map, as Ray would put it once a task.
"""
_ENVIRONMENT = ("newscorpus", "pyarrow", "pydantic", "somajo", "datasets")
"""Packages whose versions decide the bytes of a release: every node must have the driver's."""


class ClusterError(NewscorpusError):
    """The Ray cluster could not be reached, or lost work it could not redo."""


class Executor(ABC):
    """Runs jobs on some workers and yields their results in job order."""

    workers: int
    """How many jobs can run at once: what job sizes and windows are chosen for."""
    smallest_job: int = 8
    """Fewest single-article files a read job takes, even near the end of a read where jobs shrink: a job costs the
    driver its round trip whatever its size (on this machine's pool about 0.1 ms of CPU)."""
    largest_job: int = 512
    """Most single-article files a read job takes: a worker holds a job's rows until it spills them, and a worker
    that dies takes its job's work with it."""
    quick_jobs: int = 1
    """Jobs that take a worker milliseconds (hashing files, writing a shard) sent together: ``chunk`` for their map."""
    jobs_per_worker: int = 8
    """Read jobs a worker gets of a corpus, within the smallest and the largest (``ingest.corpus.files_per_job``):
    more keep workers even, fewer cost the driver fewer round trips."""
    tail_jobs_per_worker: int = 2
    """Near the end of a read, jobs shrink to about this many a worker of what is left, down to the smallest job
    (``ingest.corpus.job_size``): the last jobs are short, so no worker idles long waiting for another's."""

    @abstractmethod
    def map(self, work: Callable[[J], R], jobs: Iterable[J], chunk: int = 1) -> Iterator[R]:
        """Yield ``work(job)`` for each job, in order; jobs travel ``chunk`` at a time."""

    def close(self) -> None:  # noqa: B027 - an executor in this process holds nothing
        """Release what the executor holds: its worker processes, or its cluster connection."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


class LocalExecutor(Executor):
    """The embedded default: a process pool on this machine (``processes``; None: all cores; 1: this process).

    The pool is started by the first map and kept until ``close``: a build's phases (reading,
    shards, stitching, hashing) share its workers, which would otherwise be forked, and import
    what the jobs need, again for each phase.
    """

    def __init__(self, processes: int | None = None) -> None:
        self.workers = processes or os.cpu_count() or 1
        self._pool: ProcessPoolExecutor | None = None

    def map(self, work: Callable[[J], R], jobs: Iterable[J], chunk: int = 1) -> Iterator[R]:
        """Yield ``work(job)`` for each job, in order, from a bounded window of jobs on the pool."""
        if self.workers > 1 and self._pool is None:
            self._pool = worker_pool(self.workers)
        return self._mapped(ordered_map(work, jobs, self.workers, chunk, self._pool))

    def _mapped(self, results: Iterator[R]) -> Iterator[R]:
        try:
            yield from results
        except BrokenProcessPool:
            self.close()  # a worker died: the next map starts a pool afresh
            raise

    def close(self) -> None:
        """End the pool's workers, if a map started them."""
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None


def _versions() -> dict[str, str]:
    """Return what decides a release's bytes on this node: the Python and the versions of `_ENVIRONMENT`."""
    versions = {"python": platform.python_version()}
    for name in _ENVIRONMENT:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "missing"
    return versions


def _freeze_imports() -> None:
    """Leave what this Ray worker holds now, its imports, out of garbage collection, once per process.

    The local pool's workers inherit that from their parent (see ``frozen_gc``); a Ray worker
    would walk every module of Ray and of the build in each full collection, tens of them a build.
    It collects seldom too (``collect_seldom``): it runs only our jobs until the build's Ray job ends.
    It is prepared for jobs as the local pool's workers are (``prepare_worker``).
    """
    if not gc.get_freeze_count():
        prepare_worker()
        gc.collect()
        gc.freeze()
        collect_seldom()


def _probe(driver: dict[str, str], warm: Collection[str]) -> dict[str, str]:
    """Return this node's `_versions`; if they are the driver's, import ``warm`` first, as the jobs would."""
    found = _versions()
    if found == driver:
        for module in warm:
            importlib.import_module(module)
        _freeze_imports()
    return found


def _apply_chunk(work: bytes, chunk: bytes) -> bytes:
    """Return ``work(job)`` for each job of a pickled chunk, pickled: the Ray task, in a worker with its imports frozen.

    ``work`` comes pickled too. Both ways in one piece, by the C pickler: Ray's own (cloudpickle, in
    Python) would go through a chunk object by object, and send each array in a result as a buffer of
    its own; both cost the driver (a build's job result holds about ten arrays).
    """
    _freeze_imports()
    jobs: list[Any] = pickle.loads(chunk)  # noqa: S301 - pickled by this package's driver
    return pickle.dumps(apply_chunk(pickle.loads(work), jobs), protocol=pickle.HIGHEST_PROTOCOL)  # noqa: S301


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise UsageError(
            "--ray needs Ray, an optional extra that is not installed. Try `pip install 'newscorpus[ray]'`."
        ) from None
    return ray


def _check_reachable(address: str) -> None:
    """Fail within seconds, not after Ray's own minute of retries, if nothing listens at ``address``."""
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise UsageError(f"{address!r} is no Ray address. Try HOST:PORT, such as 127.0.0.1:6379, or auto.")
    try:
        socket.create_connection((host, int(port)), timeout=CONNECT_SECONDS).close()
    except OSError as exc:
        raise ClusterError(
            f"No Ray cluster answers at {address} ({exc.strerror or exc}). Start one there with "
            "`ray start --head`, or check the address given with --ray or NEWSCORPUS_RAY_ADDRESS."
        ) from None


class RayExecutor(Executor):
    """Jobs as Ray tasks on the cluster at ``address`` (HOST:PORT, or ``auto`` for the one this machine belongs to).

    Every node must read the corpus at the same path and run the same versions of the packages
    that decide a release's bytes; both are checked before any job runs.
    """

    # A task costs the driver 0.4-1.2 ms of CPU (its threads included), several times a local job, and more with a
    # read job's result past 100 KB (at 512 files, 0.27 MB: 1.2 ms in all): jobs are bigger, to pay it less often.
    # Four read jobs a worker, not eight: at 4,000 articles on 2 nodes the driver's CPU went 31.1 -> 27.3 µs an
    # article and the cold build stayed 1.77 times the local one (bench, medians of 3: results-ray-b6d34e3.json).
    # And they shrink at the end to one a worker of what is left, not two: 11 read tasks at 4,000 articles, not 16,
    # and the driver's CPU an article 16.6 -> 15.5 µs (warm builds on 2 nodes, medians of 10, alternating runs).
    # Down to 128 files, not 64, and eight quick jobs a task, not four: 10 read tasks at 4,000 articles, not 11, and
    # 2 shard tasks, not 4 (of 14 shards).
    smallest_job, largest_job, quick_jobs, jobs_per_worker, tail_jobs_per_worker = 128, 2048, 8, 4, 1

    def __init__(self, address: str, warm: Collection[str] = ()) -> None:
        ray = self._ray = _import_ray()
        if address != "auto":
            _check_reachable(address)
        # On loopback the driver's own address is loopback too: Ray need not probe the network for it.
        local = {"_node_ip_address": "127.0.0.1"} if address.startswith(("127.", "localhost:")) else {}
        try:
            ray.init(address=address, logging_level="ERROR", log_to_driver=False, configure_logging=False, **local)
        except (ConnectionError, RuntimeError) as exc:
            raise ClusterError(
                f"Could not join the Ray cluster at {address}: {exc}. Try `ray status --address {address}`."
            ) from None
        try:
            self.workers = max(1, int(ray.cluster_resources().get("CPU", 1)))
            self._probes = self._probe_nodes(warm)
        except BaseException:
            ray.shutdown()
            raise
        self._task = ray.remote(max_retries=TASK_RETRIES)(_apply_chunk)

    def _probe_nodes(self, warm: Collection[str]) -> list[tuple[dict[str, Any], Any]]:
        """Start a probe on every node: its versions, and its worker importing ``warm`` (module names) meanwhile.

        Only `_checked`, before the first job, waits for them: until then the driver goes on with
        its own work (imports, listing) while the nodes start their workers and import.
        """
        ray = self._ray
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        probe = ray.remote(num_cpus=0)(_probe)
        self._mine = _versions()  # read once: the check compares every node's answer with these
        return [
            (node, probe.options(scheduling_strategy=NodeAffinitySchedulingStrategy(node["NodeID"], soft=False)).remote(
                self._mine, tuple(warm)
            ))
            for node in ray.nodes()
            if node.get("Alive")
        ]  # fmt: skip

    def _checked(self) -> None:
        """Refuse a cluster whose nodes would build other bytes: other package versions than this driver's."""
        mine = self._mine
        for node, ref in self._probes:  # none left once checked: later maps neither wait nor check again
            versions = self._ray.get(ref)
            if versions != mine:
                differ = ", ".join(f"{k} {versions.get(k)} (here {v})" for k, v in mine.items() if versions.get(k) != v)
                raise ClusterError(
                    f"Ray node {node.get('NodeManagerAddress')} runs {differ}; its part of a release could differ. "
                    "Install the same versions on every node (`pip install 'newscorpus[ray]'` from the same lock)."
                )
        self._probes = []

    def map(self, work: Callable[[J], R], jobs: Iterable[J], chunk: int = 1) -> Iterator[R]:
        """Yield ``work(job)`` for each job, in order, from a bounded window of Ray tasks."""
        ray = self._ray
        self._checked()
        # A big work (the ids of a corpus) goes to the object store once, not with every task; a small one travels
        # with each: a ``ray.put`` cost the driver 0.5-0.7 ms of CPU, its threads included, and a build maps 5 times.
        pickled = ray.cloudpickle.dumps(work, protocol=pickle.HIGHEST_PROTOCOL)
        shared = pickled if len(pickled) < INLINE_WORK else ray.put(pickled)
        pending: deque[Any] = deque()

        def results(ref: Any) -> list[R]:
            try:
                return pickle.loads(ray.get(ref))  # type: ignore[no-any-return]  # noqa: S301 - our task's result
            except ray.exceptions.RayTaskError as exc:
                raise exc.as_instanceof_cause() from None
            except ray.exceptions.RayError as exc:
                raise ClusterError(
                    f"The Ray cluster lost a job and could not run it again ({type(exc).__name__}: "
                    f"{str(exc).splitlines()[0]}). Nothing was written; try again once `ray status` shows "
                    "the nodes healthy."
                ) from None

        for part in chunks(jobs, chunk):
            pending.append(self._task.remote(shared, pickle.dumps(part, protocol=pickle.HIGHEST_PROTOCOL)))
            if len(pending) >= WINDOW * self.workers:
                yield from results(pending.popleft())
        while pending:
            yield from results(pending.popleft())

    def close(self) -> None:
        """Leave the cluster; it keeps running for the next command."""
        self._ray.shutdown()


def executor_for(processes: int | None = None, ray: str | None = None, warm: Collection[str] = ()) -> Executor:
    """Return the Ray executor for cluster address ``ray``, else the local one with ``processes`` (None: all cores).

    On Ray, every node imports the modules named in ``warm`` (those the jobs need) while the caller goes on.
    """
    return RayExecutor(ray, warm) if ray else LocalExecutor(processes)
