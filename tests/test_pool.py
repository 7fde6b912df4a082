from __future__ import annotations

import ctypes
import gc
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newscorpus.core.pool import WINDOW, YOUNG_OBJECTS, frozen_gc, ordered_map, trim_heap, worker_pool
from tests.helpers import add_json_articles, rss_mib, square_and_pid


@settings(max_examples=10, deadline=None)
@given(st.lists(st.integers(), max_size=200), st.integers(1, 40))
def test_results_come_back_in_job_order(jobs: list[int], chunk: int) -> None:
    assert [r for r, _ in ordered_map(square_and_pid, jobs, 2, chunk=chunk)] == [x * x for x in jobs]


def test_one_process_runs_here_and_two_run_elsewhere() -> None:
    assert {pid for _, pid in ordered_map(square_and_pid, range(10), 1)} == {os.getpid()}
    assert os.getpid() not in {pid for _, pid in ordered_map(square_and_pid, range(100), 2, chunk=5)}


@pytest.mark.parametrize("processes", [1, 2])
def test_jobs_are_read_lazily_within_a_bounded_window(processes: int) -> None:
    read = []

    def jobs() -> Iterator[int]:
        for x in range(10_000):
            read.append(x)
            yield x

    results = ordered_map(square_and_pid, jobs(), processes, chunk=4)
    for _ in range(3):
        next(results)
    assert len(read) <= WINDOW * processes * 4 + 4
    results.close()


def test_a_pool_given_to_maps_keeps_its_workers_and_an_abandoned_map_leaves_it_usable() -> None:
    with worker_pool(2) as pool:
        first = list(ordered_map(square_and_pid, range(40), 2, chunk=2, pool=pool))
        abandoned = ordered_map(square_and_pid, range(100_000), 2, chunk=2, pool=pool)
        next(abandoned)
        abandoned.close()  # its pending chunks are cancelled, not left to run before the next map's
        second = list(ordered_map(square_and_pid, range(40), 2, chunk=2, pool=pool))
    assert [r for r, _ in second] == [x * x for x in range(40)]
    assert len({pid for _, pid in first + second}) <= 2  # the same two workers, not two more


SPARED = """
import sys
from newscorpus.core.pool import spare_pandas
import numpy as np
import pyarrow as pa

spare_pandas()
pa.array(["a"], pa.string())
pa.array(np.arange(3))
pa.Table.from_pylist([{"a": 1}], schema=pa.schema([("a", pa.int64())]))
assert "pandas" not in sys.modules, "pyarrow imported pandas"
assert pa.table({"a": [1, 2]}).to_pandas()["a"].tolist() == [1, 2]  # imported when asked for
"""


def test_a_worker_spares_pyarrow_s_import_of_pandas_which_stays_importable() -> None:
    subprocess.run([sys.executable, "-c", SPARED], check=True, timeout=120)  # a fresh interpreter: no pandas yet


KEPT = """
import resource, sys
from newscorpus.core.pool import keep_heap

if sys.argv[1] == "kept":
    keep_heap()


def allocate():
    blocks = [bytes(50_000) for _ in range(2000)]  # 100 MB from the heap: each block is below the mmap threshold
    del blocks


allocate()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
allocate()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux") or not hasattr(ctypes.CDLL(None), "mallopt"), reason="glibc")
def test_a_kept_heap_serves_the_next_job_without_faulting_its_memory_in_again() -> None:
    """By default glibc gives a freed top of the heap back, and the next job faults it in: 100 MB, 24,000 pages."""
    faults = {
        heap: int(subprocess.run([sys.executable, "-c", KEPT, heap], capture_output=True, text=True, check=True).stdout)
        for heap in ("default", "kept")
    }
    assert faults["default"] > 15_000
    assert faults["kept"] < faults["default"] / 5


BUILT = """
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[2])
from helpers import pandas_imported
from newscorpus.core.executor import LocalExecutor
from newscorpus.release.build import build

with LocalExecutor(2) as executor:
    build(Path(sys.argv[1]), "1.0.0", executor=executor)
    print(sorted(set(executor.map(pandas_imported, range(16)))), pandas_imported(None))
"""


def test_a_build_imports_no_pandas_in_its_workers_or_here(corpus: Path) -> None:
    """Every Arrow array a job makes names its type: one whose type pyarrow infers imports pandas (0.35 s)."""
    add_json_articles(corpus, 30)
    done = subprocess.run(
        [sys.executable, "-c", BUILT, str(corpus), str(Path(__file__).parent)],
        capture_output=True, text=True, check=True, timeout=300,
    )  # fmt: skip
    workers, here = done.stdout.strip().rsplit("] ", 1)
    assert "True" not in workers
    assert "True" not in here
    assert workers.count("False") >= 1


def collection_state(_: int) -> tuple[tuple[int, int, int], int]:
    return gc.get_threshold(), gc.get_freeze_count()


def test_while_frozen_collections_run_seldom_in_workers_too_and_both_are_undone_after() -> None:
    before = gc.get_threshold(), gc.get_freeze_count()
    with frozen_gc():
        assert gc.get_threshold()[0] == YOUNG_OBJECTS
        assert gc.get_freeze_count() > before[1]
        for threshold, frozen in ordered_map(collection_state, range(4), 2, chunk=1):  # forked now: they inherit it
            assert threshold == (YOUNG_OBJECTS, *before[0][1:])
            assert frozen > 0
    assert (gc.get_threshold(), gc.get_freeze_count()) == before


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or not hasattr(ctypes.CDLL(None), "malloc_trim"), reason="glibc's only"
)
def test_trimming_gives_the_heap_s_free_pages_back() -> None:
    """Freed between live blocks, so that the heap cannot shrink from its top: only a trim gives the pages back."""
    blocks = [bytes(4000 + n % 7) for n in range(20_000)]  # 80 MB in the C heap, not in Python's arenas
    kept = blocks[::16]
    del blocks
    before = rss_mib()
    trim_heap()
    assert before - rss_mib() > 40
    assert len(kept) == 1_250
