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
from pathlib import Path

import numpy as np
import numpy.typing as npt

Rows = npt.NDArray[np.uint8]
GAP_BYTES = 8192
"""Rows at most this far apart are read in one call, the rows between them too: a ``pread`` costs about 2 µs."""


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
        if not len(wanted):
            return np.empty((0, width), dtype=np.uint8)
        # One read per run of rows no further apart than ``GAP_BYTES``: a read call costs more than copying that many
        # bytes, and the candidates of a job's near-duplicate keys lie scattered over the earlier articles.
        firsts = np.flatnonzero(np.diff(wanted, prepend=-(1 << 40)) > max(GAP_BYTES // width, 1))
        lasts = np.append(firsts[1:], len(wanted)) - 1
        spans = zip(wanted[firsts].tolist(), (wanted[lasts] - wanted[firsts] + 1).tolist(), strict=True)
        read = np.frombuffer(b"".join([os.pread(fd, width * size, width * row) for row, size in spans]), np.uint8)
        # Where each wanted row starts in what was read: its run's place there, and its distance from the run's first.
        run = np.repeat(np.arange(len(firsts)), np.diff(np.append(firsts, len(wanted))))
        span_starts = np.concatenate([[0], np.cumsum(wanted[lasts] - wanted[firsts] + 1)[:-1]])
        rows = span_starts[run] + wanted - wanted[firsts][run]
        taken: Rows = read.reshape(-1, width)[rows][inverse.ravel()]
        return taken
