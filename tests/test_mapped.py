"""Arrays in mappings of their own: freed, their pages go back to the system even amid live heap blocks."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from newscorpus.core.keyindex import KeyIndex
from newscorpus.core.mapped import MAPPED_BYTES, mapped_empty
from tests.helpers import rss_mib


@given(st.integers(0, 3 * MAPPED_BYTES // 8), st.sampled_from([np.uint8, np.int32, np.uint64]))
def test_a_mapped_array_has_its_length_and_type_and_takes_what_is_written(count: int, kind: type) -> None:
    array = mapped_empty(count, kind)
    assert (len(array), array.dtype) == (count, np.dtype(kind))
    array[:] = np.arange(count) % 200
    assert np.array_equal(array, np.arange(count, dtype=np.int64) % 200)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_freed_large_arrays_give_their_pages_back_between_live_heap_blocks() -> None:
    # Freeing a large block moves glibc's threshold up to it: blocks of 1 MiB then come from the heap,
    # whose pages stay resident when freed between live blocks. np.empty fails this test.
    np.ones(4 << 20, dtype=np.uint8).sum()  # made and freed
    arrays, pins = [], []
    for _ in range(40):
        arrays.append(mapped_empty(1 << 20, np.uint8))
        arrays[-1].fill(1)
        pins.append(bytes(100_000))  # a live heap block after each
    before = rss_mib()
    del arrays
    assert before - rss_mib() >= 30
    assert len(pins) == 40


def test_a_key_index_merged_into_mapped_runs_keeps_every_key_s_first_holder() -> None:
    rng = np.random.default_rng(7)
    index, model, holder = KeyIndex(), {}, 0
    for _ in range(4):  # runs of 20,000 keys and more merge into arrays of their own mappings
        keys = rng.integers(0, 50_000, 20_000, dtype=np.uint64)
        holders = np.arange(holder, holder + len(keys), dtype=np.int64)
        holder += len(keys)
        expected = [model.setdefault(k, h) for k, h in zip(keys.tolist(), holders.tolist(), strict=True)]
        assert index.claim(keys, holders).tolist() == expected
    asked = rng.integers(0, 60_000, 5_000, dtype=np.uint64)
    assert index.find(asked).tolist() == [model.get(k, -1) for k in asked.tolist()]
    assert max(run.nbytes for run, _ in index._runs) >= MAPPED_BYTES
