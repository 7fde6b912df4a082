"""Fixed-width rows in an unlinked scratch file, read back by number: what a driver keeps per article but seldom reads.

A build's driver keeps a near-duplicate sketch (128 bytes) and two digests (64 bytes) for
every admitted article, but reads them only for the few that share a key with a later one. In
memory they were about a fifth of the driver's peak at 100,000 articles, and grow with the
corpus. Here they cost no memory: reads go through ``pread`` (the page cache keeps the
recent ones), not ``mmap``, whose touched pages would count as the process's own.
"""

from __future__ import annotations

import os
import tempfile
import weakref
from itertools import pairwise
from pathlib import Path

import numpy as np
import numpy.typing as npt

Rows = npt.NDArray[np.uint8]
GAP_BYTES, SPAN_BYTES = 8192, 65536
"""Rows at most ``GAP_BYTES`` apart are read in one call, the rows between them too (a ``pread`` costs about 2 µs),
within one aligned stretch of ``SPAN_BYTES``: read whole, a job's scattered candidates took most of the file at
once (about 5 MiB more at the peak of a build of 100,000)."""


class RowFile:
    """Rows of ``width`` bytes appended in order and read back by number (from 0), in a file nobody else sees.

    The file is unlinked as soon as it is made, so a killed process leaves nothing behind; its
    descriptor closes when the ``RowFile`` goes.
    """

    def __init__(self, width: int, folder: Path | None = None) -> None:
        fd, path = tempfile.mkstemp(prefix=".rows-", dir=folder)
        Path(path).unlink()
        self.width = width
        self._fd = fd
        self._count = 0
        weakref.finalize(self, os.close, fd)

    def __len__(self) -> int:
        return self._count

    def append(self, rows: Rows) -> None:
        """Add ``rows`` (one per line of a 2-D array of ``width`` columns) after those added before."""
        if rows.ndim != 2 or rows.shape[1] != self.width:
            raise ValueError(f"rows of {self.width} bytes expected, not an array of shape {rows.shape}")
        data = memoryview(np.ascontiguousarray(rows, dtype=np.uint8).tobytes())
        at = self._count * self.width
        while data:  # a write may take only part of it
            done = os.pwrite(self._fd, data, at)
            data, at = data[done:], at + done
        self._count += len(rows)

    def take(self, numbers: npt.NDArray[np.int64]) -> Rows:
        """Return the rows of ``numbers``, in their order (each read once however often it is asked for)."""
        wanted, inverse = np.unique(numbers, return_inverse=True)
        if len(wanted) and not 0 <= wanted[0] <= wanted[-1] < self._count:
            raise IndexError(f"rows {wanted[0]}…{wanted[-1]} asked for, of {self._count}")
        width, fd = self.width, self._fd
        taken: Rows = np.empty((len(wanted), width), dtype=np.uint8)
        # One read per run of rows no further apart than ``GAP_BYTES`` (the rows between are read too: a read call
        # costs more than copying that many bytes), and within one ``SPAN_BYTES`` stretch of the file, so that what
        # is read at once stays small. The candidates of a job's near-duplicate keys lie scattered over the file.
        stretch = wanted // max(SPAN_BYTES // width, 1)
        firsts = np.flatnonzero(
            (np.diff(wanted, prepend=-(1 << 40)) > max(GAP_BYTES // width, 1)) | (np.diff(stretch, prepend=-1) != 0)
        )
        for lo, hi in pairwise(np.append(firsts, len(wanted)).tolist()):
            first, last = int(wanted[lo]), int(wanted[hi - 1])
            read = np.frombuffer(os.pread(fd, width * (last - first + 1), width * first), dtype=np.uint8)
            taken[lo:hi] = read.reshape(-1, width)[wanted[lo:hi] - first]
        return taken[inverse.ravel()]
