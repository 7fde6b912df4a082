"""A compact, immutable sequence of names (file paths): one string and the end of each name in it."""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice, pairwise
from typing import overload

import numpy as np

JOIN_BATCH = 4096


class Names(Sequence[str]):
    """Names held as one string and an array of ends, each name a ``str`` again when read.

    A corpus of 100,000 articles lists about 200,000 files; as ``str`` objects in a list each costs
    about 80 bytes, held for the whole build. Here a name costs its characters and 8 bytes.
    """

    __slots__ = ("_ends", "_joined")

    def __init__(self, names: Iterable[str] = ()) -> None:
        # Joined a batch at a time: the names of 200,000 files as strings at once cost about 16 MB.
        names, joined, lengths = iter(names), [], array("q")
        while batch := list(islice(names, JOIN_BATCH)):
            joined.append("".join(batch))
            lengths.extend(map(len, batch))
        self._joined = "".join(joined)
        self._ends = np.cumsum(np.frombuffer(lengths, dtype=np.int64) if lengths else [], dtype=np.int64)

    def __len__(self) -> int:
        return len(self._ends)

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> Names: ...
    def __getitem__(self, index: int | slice) -> str | Names:
        if isinstance(index, slice):
            return Names(self[n] for n in range(*index.indices(len(self))))
        n = range(len(self))[index]  # negative indices, and the IndexError past the end
        return self._joined[int(self._ends[n - 1]) if n else 0 : int(self._ends[n])]

    def __iter__(self) -> Iterator[str]:
        joined = self._joined
        for start, end in pairwise([0, *self._ends.tolist()]):
            yield joined[start:end]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Names):
            return NotImplemented
        return self._joined == other._joined and np.array_equal(self._ends, other._ends)

    __hash__ = None  # type: ignore[assignment]  # mutable-looking equality: like a list, never a dict key

    def __repr__(self) -> str:
        return f"Names({list(self)!r})"


class NamesAt(Sequence[str]):
    """The names at given places of other names (a file number per article): 4 bytes each, not a string each."""

    __slots__ = ("_names", "_places")

    def __init__(self, names: Sequence[str], places: array[int]) -> None:
        self._names, self._places = names, places

    def __len__(self) -> int:
        return len(self._places)

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> list[str]: ...
    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [self._names[n] for n in self._places[index]]
        return self._names[self._places[index]]

    def __iter__(self) -> Iterator[str]:
        names = self._names
        return (names[n] for n in self._places)
