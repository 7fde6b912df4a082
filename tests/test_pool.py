from __future__ import annotations

import ctypes
import gc
import os
import sys
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newscorpus.core.pool import WINDOW, YOUNG_OBJECTS, frozen_gc, ordered_map, trim_heap
from tests.helpers import rss_mib


def square_and_pid(x: int) -> tuple[int, int]:
    return x * x, os.getpid()


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
