"""A 64-bit key → the first holder that had it, in sorted runs: about 12 bytes a key, looked up a batch at a time."""

from __future__ import annotations

from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from newscorpus.core.mapped import mapped_empty

Holders = npt.NDArray[np.int64]
Positions = npt.NDArray[np.signedinteger[Any]]


class KeyIndex:
    """Key → the first holder (a number from 0) that had it, in sorted runs, at about 12 bytes a key.

    A dict would take about 80 bytes a key. The keys a batch brings that nobody had make a
    sorted run; runs of similar size merge, as in an LSM tree, so a lookup searches about
    log2(all keys / keys per batch) runs and each key is copied as often in all. A key is in
    one run only.
    """

    def __init__(self) -> None:
        self._runs: list[tuple[npt.NDArray[np.uint64], npt.NDArray[np.int32]]] = []

    def find(self, keys: npt.NDArray[np.uint64]) -> Holders:
        """Return the holder of each key, -1 for a key nobody has."""
        holders: Holders = np.full(len(keys), -1, dtype=np.int64)
        if not self._runs or not len(keys):
            return holders
        # Sorted needles: numpy's binary search starts each from where the one before ended, so a
        # batch walks a run once instead of jumping about it (2.7 times faster in a run of 1.7M keys).
        order = np.argsort(keys)
        needles = keys[order]
        found: Holders = np.full(len(keys), -1, dtype=np.int64)
        for run, by in self._runs:
            at = np.minimum(np.searchsorted(run, needles), len(run) - 1)
            hit = run[at] == needles
            found[hit] = by[at[hit]]
        holders[order] = found
        return holders

    def add(self, keys: npt.NDArray[np.uint64], holders: Holders) -> None:
        """Give each of ``keys`` (none held yet) to its holder; a key that repeats goes to its first holder."""
        if len(keys):
            fresh, first, _ = first_places(keys)
            self._push(fresh, holders[first])

    def _push(self, keys: npt.NDArray[np.uint64], holders: Holders) -> None:
        """Add a run of sorted keys, none held yet, with their holders."""
        self._runs.append((keys, holders.astype(np.int32)))
        while len(self._runs) > 1 and 2 * len(self._runs[-1][0]) >= len(self._runs[-2][0]):
            # The last merge of a build holds both runs and the merged one at once: the peak of the
            # driver's memory while it reads. ``np.insert`` held about as much again in index arrays
            # (a merge of 580,000 keys: 13 MiB at its peak, 9 this way), and the keys went last.
            newer, by_newer = self._runs.pop()
            older, by_older = self._runs.pop()
            # Each newer key goes where it sorts among the older ones, moved on by the newer keys before it.
            # In 32 bits where they fit: the places are held while the merged keys are made.
            kind = np.int32 if len(older) + len(newer) <= np.iinfo(np.int32).max else np.int64
            places: Positions = np.searchsorted(older, newer).astype(kind)
            np.add(places, np.arange(len(places), dtype=kind), out=places)
            olds = np.ones(len(older) + len(newer), dtype=bool)
            olds[places] = False
            merged = _interleaved(older, newer, places, olds)
            del older, newer
            self._runs.append((merged, _interleaved(by_older, by_newer, places, olds)))

    def claim(self, keys: npt.NDArray[np.uint64], holders: Holders) -> Holders:
        """Return the holder each key has, in order; ``holders[i]`` brought ``keys[i]`` and takes it if nobody has.

        Keys come in order: of two that bring one new key, the first takes it.
        """
        found = self.find(keys)
        new = np.flatnonzero(found < 0)
        if len(new):
            # Each key's first place is its first holder, as keys come in order.
            fresh, first, inverse = first_places(keys[new])
            owners = holders[new][first]
            found[new] = owners[inverse]
            self._push(fresh, owners)
        return found


def first_places(keys: npt.NDArray[np.uint64]) -> tuple[npt.NDArray[np.uint64], Holders, Holders]:
    """Return the distinct keys, sorted, the first place of each, and where each key is among them.

    What ``np.unique(keys, return_index=True, return_inverse=True)`` returns, twice as fast: numpy
    finds first places with a stable sort, for 64-bit keys a merge sort (5 ms for the 70,000 band
    keys of 4,096 articles); here the fast sort, and the smallest place among equal keys.
    """
    if not len(keys):
        return keys[:0], np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    order = np.argsort(keys)
    ordered = keys[order]
    new = np.empty(len(keys), dtype=bool)
    new[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    inverse: Holders = np.empty(len(keys), dtype=np.int64)
    if len(starts) == len(keys):  # every key distinct, as a batch's keys usually are: each is its own first place
        inverse[order] = np.arange(len(keys))
        return ordered, order.astype(np.int64, copy=False), inverse
    inverse[order] = np.cumsum(new) - 1
    return ordered[starts], np.minimum.reduceat(order, starts).astype(np.int64), inverse


A = TypeVar("A", bound=np.generic)


def _interleaved(
    older: npt.NDArray[A], newer: npt.NDArray[A], places: Positions, olds: npt.NDArray[np.bool_]
) -> npt.NDArray[A]:
    """Return one array of both: ``newer``'s items at ``places``, ``older``'s where ``olds`` is set, in order."""
    into: npt.NDArray[A] = mapped_empty(len(olds), older.dtype)
    into[places] = newer
    into[olds] = older
    return into
