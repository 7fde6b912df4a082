"""Runs of rows as indices: what gathers many short runs of a table in one ``take``."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def run_indices(starts: npt.ArrayLike, sizes: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """Return the indices of runs ``starts[i]`` to ``starts[i] + sizes[i] - 1``, one run after another, as one array."""
    first = np.asarray(starts, dtype=np.int64)
    lengths = np.asarray(sizes, dtype=np.int64)
    # Each index is its place in the output plus how far its run's start lies from where the run begins there.
    indices: npt.NDArray[np.int64] = np.arange(int(lengths.sum()), dtype=np.int64) + np.repeat(
        first - (np.cumsum(lengths) - lengths), lengths
    )
    return indices
