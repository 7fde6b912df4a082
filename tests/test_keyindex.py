"""KeyIndex against the dict it stands for: key → the first holder that brought it, over any run of batches."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from newscorpus.core.keyindex import KeyIndex, first_places

# Few distinct keys, so that batches repeat keys within themselves and across batches; both ends of uint64.
keys = st.one_of(st.integers(0, 40), st.integers(2**64 - 3, 2**64 - 1), st.integers(0, 2**64 - 1))
batches = st.lists(st.tuples(st.booleans(), st.lists(keys, max_size=60)), max_size=25)


@settings(max_examples=200, deadline=None)
@given(batches, st.lists(keys, max_size=60))
def test_key_index_gives_each_key_its_first_holder(steps: list[tuple[bool, list[int]]], asked: list[int]) -> None:
    index, model, holder = KeyIndex(), dict[int, int](), 0
    for claiming, batch in steps:
        values = np.array(batch, dtype=np.uint64)
        holders = np.arange(holder, holder + len(batch), dtype=np.int64)
        holder += len(batch)
        if claiming:
            expected = [model.setdefault(k, h) for k, h in zip(batch, holders.tolist(), strict=True)]
            assert index.claim(values, holders).tolist() == expected
        else:  # add takes only keys nobody has
            fresh = [(k, h) for k, h in zip(batch, holders.tolist(), strict=True) if k not in model]
            index.add(np.array([k for k, _ in fresh], dtype=np.uint64), np.array([h for _, h in fresh], dtype=np.int64))
            for k, h in fresh:
                model.setdefault(k, h)
        assert index.find(np.array(asked, dtype=np.uint64)).tolist() == [model.get(k, -1) for k in asked]
        # Merged runs stay sorted, each key in one run only, each with its holder.
        held = {k: h for run, by in index._runs for k, h in zip(run.tolist(), by.tolist(), strict=True)}
        assert all(bool(np.all(run[1:] > run[:-1])) for run, _ in index._runs)
        assert held == model
        assert sum(len(run) for run, _ in index._runs) == len(model)


@settings(max_examples=200)
@given(st.lists(st.integers(0, 2**64 - 1) | st.integers(0, 5), max_size=60))
def test_first_places_are_what_numpy_s_unique_gives(values: list[int]) -> None:
    """Equal keys are common (copies share band keys): each must point at its first place, as numpy's stable sort."""
    keys = np.array(values, dtype=np.uint64)
    fresh, first, inverse = first_places(keys)
    expected = np.unique(keys, return_index=True, return_inverse=True)
    assert [fresh.tolist(), first.tolist(), inverse.tolist()] == [e.tolist() for e in expected]
