"""Rows kept in a scratch file: read back by number exactly as appended, and nothing left on disk."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newscorpus.core import rowfile
from newscorpus.core.rowfile import RowFile


@settings(max_examples=60, deadline=None)
@given(
    width=st.integers(1, 40),
    batches=st.lists(st.integers(0, 9), max_size=8),
    data=st.data(),
)
def test_rows_read_back_are_the_rows_appended(width: int, batches: list[int], data: st.DataObject) -> None:
    """Any numbers, repeated and in any order, give the rows an array of all appended rows gives."""
    rows, kept = RowFile(width), np.zeros((0, width), dtype=np.uint8)
    for size in batches:
        drawn = data.draw(st.lists(st.binary(min_size=width, max_size=width), min_size=size, max_size=size))
        batch = np.frombuffer(b"".join(drawn), dtype=np.uint8).reshape(size, width)
        rows.append(batch)
        kept = np.concatenate([kept, batch])
        assert len(rows) == len(kept)
    numbers = np.array(data.draw(st.lists(st.integers(0, len(kept) - 1), max_size=20)) if len(kept) else [], np.int64)
    # Rows read in spans (the rows between near ones too, within stretches of the file) or one run at a time: the same.
    drawn = (data.draw(st.integers(0, 3 * width)), data.draw(st.integers(0, 4 * width)))
    for gap, span in ((rowfile.GAP_BYTES, rowfile.SPAN_BYTES), drawn):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(rowfile, "GAP_BYTES", gap)
            patch.setattr(rowfile, "SPAN_BYTES", span)
            taken = rows.take(numbers)
        assert taken.shape == (len(numbers), width)
        assert np.array_equal(taken, kept[numbers])


def test_rows_of_another_width_or_numbers_past_the_end_are_refused() -> None:
    rows = RowFile(4)
    rows.append(np.arange(8, dtype=np.uint8).reshape(2, 4))
    with pytest.raises(ValueError, match="rows of 4 bytes"):
        rows.append(np.zeros((1, 5), dtype=np.uint8))
    with pytest.raises(IndexError):
        rows.take(np.array([2]))
    with pytest.raises(IndexError):
        rows.take(np.array([-1]))
    assert np.array_equal(rows.take(np.array([1, 0])), [[4, 5, 6, 7], [0, 1, 2, 3]])


def test_the_scratch_file_is_never_seen_in_its_folder(tmp_path: Path) -> None:
    """Unlinked at once: a killed build leaves no scratch file in its release folder."""
    rows = RowFile(2, tmp_path)
    rows.append(np.ones((3, 2), dtype=np.uint8))
    assert list(tmp_path.iterdir()) == []
    assert rows.take(np.array([2])).tolist() == [[1, 1]]
