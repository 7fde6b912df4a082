"""CPU-bound work on every core, in order, with flat memory.

Parsing and tokenising are pure Python, so threads would not help: jobs go to a process pool.
Results come back in the order of the jobs, and only a bounded window of jobs is
in flight, so a corpus of any size streams through in the same memory.
"""

from __future__ import annotations

import ctypes
import gc
import importlib.abc
import os
import signal
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any, TypeVar

J = TypeVar("J")
R = TypeVar("R")

_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
WINDOW = 4
"""Chunks in flight per process: enough to keep every worker busy while the caller consumes."""


YOUNG_OBJECTS = 20_000
"""Objects allocated (less those freed) before a collection of the youngest generation; CPython's default is 700."""


def collect_seldom() -> None:
    """Collect garbage after ``YOUNG_OBJECTS`` new objects, not 700: what a process that reads articles runs on.

    A job holds its articles until it ends, so at 700 every collection walks objects that all
    survive, and the older generations are walked again as they grow: about a tenth of the CPU
    of reading a JSONL record. Cyclic garbage (the tokenizer's) is still collected, a young
    generation of some megabytes at a time.
    """
    gc.set_threshold(YOUNG_OBJECTS, *gc.get_threshold()[1:])


@contextmanager
def frozen_gc() -> Iterator[None]:
    """Leave the objects that exist now (imported modules, schemas) out of garbage collection for a while.

    The tokenizer makes millions of short-lived cyclic objects, so full collections run often;
    each would walk every long-lived object too, which cost a tenth of a tokenising build.
    Meanwhile collections run seldom (``collect_seldom``). Forked workers inherit both; the
    frozen objects also spare copying their pages.
    """
    threshold = gc.get_threshold()
    gc.freeze()
    collect_seldom()
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def trim_heap() -> None:
    """Give the C heap's free pages back to the system (glibc's ``malloc_trim``); elsewhere, do nothing.

    Python frees small objects into the C heap, which keeps their pages. A build that has
    read its articles frees a lot of them, but its next phases allocate large buffers, which
    the heap maps afresh: without a trim, the peak would hold both (4 MiB of 129 at 100,000
    articles).
    """
    if (trim := _glibc("malloc_trim")) is not None:
        trim(0)


def _glibc(function: str) -> Any:
    """Return glibc's ``function``, or None where there is none."""
    # Linux only: elsewhere CDLL(None) may not load (Windows), and musl has no malloc_trim or mallopt.
    return getattr(ctypes.CDLL(None), function, None) if sys.platform.startswith("linux") else None


_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # from <malloc.h>
WORKER_HEAP_KEPT = 256 << 20
"""Free memory a worker's heap keeps for its next job instead of giving it back (glibc)."""
WORKER_MMAP_FROM = 32 << 20
"""Allocations a worker's heap maps of their own from this size on (glibc); smaller ones reuse its memory."""


def keep_heap() -> None:
    """Have this worker's C heap keep freed memory for the next job (glibc's ``mallopt``); elsewhere, do nothing.

    Each job allocates and frees the same buffers (a job's articles, their signatures' arrays of
    megabytes). Under glibc's defaults the heap gave much of it back at each free, or mapped
    and unmapped it, and the next job faulted it in again: 12 minor faults per page copy, 3 when
    kept, and the workers' system time about 30 % lower. A worker's memory stays at its high-water
    mark between jobs instead.
    """
    if (mallopt := _glibc("mallopt")) is not None:
        mallopt(_M_MMAP_THRESHOLD, WORKER_MMAP_FROM)
        mallopt(_M_TRIM_THRESHOLD, WORKER_HEAP_KEPT)


class _NoPandas(importlib.abc.MetaPathFinder):
    """Refuses to find pandas: what pyarrow's first look for it then sees."""

    def find_spec(self, name: str, path: Sequence[str] | None, target: ModuleType | None = None) -> ModuleSpec | None:
        if name == "pandas":
            raise ModuleNotFoundError("left out of this worker", name=name)
        return None


def spare_pandas() -> None:
    """Keep pyarrow from importing pandas into this process, where nothing else has imported it yet.

    pyarrow looks for pandas once per process, at its first conversion of Python objects
    (apache/arrow#34994), to tell pandas objects from others: 0.35 s and 55 MiB in each
    worker, whose jobs give it lists and numpy arrays with their types. Shown no pandas that
    once, pyarrow takes those as they are; pandas stays importable, and pyarrow's pandas
    conversions (``to_pandas``) import it when called. Arrays whose type pyarrow must infer
    still import it (its C++ looks for pandas' missing values), so jobs name their types.
    """
    if "pandas" in sys.modules:
        return
    import pyarrow as pa  # here: the pool itself is imported where pyarrow is not needed

    finder = _NoPandas()
    sys.meta_path.insert(0, finder)
    try:
        pa.array([], pa.int8())
    finally:
        sys.meta_path.remove(finder)


def prepare_worker() -> None:
    """Set up this process to run jobs: its heap kept between jobs (``keep_heap``), pandas spared (``spare_pandas``)."""
    keep_heap()
    spare_pandas()


def _start_worker(parent: int) -> None:
    """Set up a pool's worker: it ends with ``parent`` (``_die_with``) and is prepared for jobs (``prepare_worker``)."""
    _die_with(parent)
    prepare_worker()


def _die_with(parent: int) -> None:
    """Have the kernel end this worker when ``parent`` dies, killed or not (Linux).

    A worker waits for jobs on a pipe that its sibling workers also hold open, so it would not
    notice its parent's death and would wait forever: a killed build would leave orphans behind.
    """
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(1)


def apply_chunk(work: Callable[[J], R], chunk: list[J]) -> list[R]:
    """Return ``work(job)`` for each job of one chunk: what a worker runs per round trip."""
    return [work(job) for job in chunk]


def chunks(jobs: Iterable[J], size: int) -> Iterator[list[J]]:
    """Yield the jobs in lists of ``size`` (the last one shorter), reading them lazily."""
    chunk: list[J] = []
    for job in jobs:
        chunk.append(job)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def worker_pool(processes: int) -> ProcessPoolExecutor:
    """Return a pool of ``processes`` worker processes that end when this process does, killed or not."""
    return ProcessPoolExecutor(max_workers=processes, initializer=_start_worker, initargs=(os.getpid(),))


def ordered_map(
    work: Callable[[J], R],
    jobs: Iterable[J],
    processes: int | None = None,
    chunk: int = 16,
    pool: ProcessPoolExecutor | None = None,
) -> Iterator[R]:
    """Yield ``work(job)`` for each job, in order; with more than one process (default: all cores), in a pool.

    ``work`` must be a module-level function and jobs must pickle. Jobs are read lazily and
    sent in chunks of ``chunk`` (one round trip each), at most ``WINDOW`` chunks per process
    ahead of the one the caller is waiting for. ``pool`` (of ``processes`` workers) runs them if
    given, else a pool of this map's own.
    """
    processes = processes or os.cpu_count() or 1
    if processes == 1:
        yield from map(work, jobs)
    elif pool is None:
        with worker_pool(processes) as own:
            yield from ordered_map(work, jobs, processes, chunk, own)
    else:
        pending: deque[Future[list[R]]] = deque()
        try:
            for part in chunks(jobs, chunk):
                pending.append(pool.submit(apply_chunk, work, part))
                if len(pending) >= WINDOW * processes:
                    yield from pending.popleft().result()
            while pending:
                yield from pending.popleft().result()
        finally:
            for future in pending:  # a map left early (an error) does not hold a shared pool's workers
                future.cancel()
