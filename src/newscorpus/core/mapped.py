"""Arrays in mappings of their own: what a driver grows and frees as it reads goes back to the system at once."""

from __future__ import annotations

import mmap
from typing import Any

import numpy as np
import numpy.typing as npt

MAPPED_BYTES = 128 * 1024
"""Arrays this large or larger get a mapping of their own: glibc's first threshold for mapping a block."""


def mapped_empty(count: int, dtype: npt.DTypeLike) -> npt.NDArray[Any]:
    """Return an array of ``count`` items, not set, in an anonymous mapping of its own if it is large.

    The C heap keeps the pages of a freed block unless the block had a mapping of its own, and
    glibc maps only blocks larger than every mapped block freed before (up to 32 MiB). The
    driver's key index merges its runs into ever larger arrays and frees the old ones: from the
    heap, their pages stayed resident, 3 MiB of a 100,000-article build's peak. A mapping goes
    when its array goes, and pages never written (a growing array's spare room) cost nothing.
    """
    kind = np.dtype(dtype)
    size = count * kind.itemsize
    if size < MAPPED_BYTES:
        return np.empty(count, dtype=kind)
    return np.frombuffer(mmap.mmap(-1, size), dtype=kind, count=count)
