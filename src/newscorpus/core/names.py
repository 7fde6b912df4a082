"""A compact, immutable sequence of names (file paths): one string and the end of each name in it."""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import TypeVar, overload

import numpy as np
import numpy.typing as npt

JOIN_BATCH = 4096
RUN_NAMES = 16
"""Names a run of numbers in one batch has at least, on average, for ``GrowingNames.at`` to take it whole."""
T = TypeVar("T")


class Names(Sequence[str]):
    """Names held as one string and an array of ends, each name a ``str`` again when read.

    A corpus of 100,000 articles lists about 200,000 files; as ``str`` objects in a list each costs
    about 80 bytes, held for the whole build. Here a name costs its characters and 8 bytes.
    """

    __slots__ = ("_ends", "_joined")

    def __init__(self, names: Iterable[str] = ()) -> None:
        # Joined a batch at a time: the names of 200,000 files as strings at once cost about 16 MB.
        names, joined, ends = iter(names), [], array("q")
        while batch := list(islice(names, JOIN_BATCH)):
            joined.append("".join(batch))
            ends.extend(map(len, batch))
        self._joined = "".join(joined)
        # A Python array, not numpy's: a build reads names one at a time, ten per article, and
        # an item of this array is an int at once (a name read in 0.2 µs instead of 0.7).
        self._ends = _shifted(ends, 0, accumulate=True)

    def __len__(self) -> int:
        return len(self._ends)

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> Names: ...
    def __getitem__(self, index: int | slice) -> str | Names:
        ends = self._ends
        if isinstance(index, slice):
            start, stop, step = index.indices(len(ends))
            if step == 1:  # cut from the joined string and the ends, not a string made of each name
                return self._between(start, max(start, stop))
            return Names(self[n] for n in range(start, stop, step))
        if index < 0:
            index += len(ends)
        if not 0 <= index < len(ends):
            raise IndexError("Names index out of range")
        return self._joined[ends[index - 1] if index else 0 : ends[index]]

    @classmethod
    def chained(cls, parts: Sequence[Names]) -> Names:
        """Return the names of ``parts``, one after another, as one ``Names``: joined, not made a string each."""
        if len(parts) == 1:
            return parts[0]  # immutable: shared, not copied
        names, ends, base = cls(), array("q"), 0
        for part in parts:
            ends.extend(_shifted(array("q", part._ends), base))
            base += len(part._joined)
        names._joined, names._ends = "".join(part._joined for part in parts), ends
        return names

    def _between(self, start: int, stop: int) -> Names:
        """Return names ``start`` to ``stop`` (exclusive, ``start <= stop``) as Names of their own, copied."""
        base = self._ends[start - 1] if start else 0
        names = Names()
        names._joined = self._joined[base : self._ends[stop - 1]] if stop > start else ""
        names._ends = _shifted(self._ends[start:stop], -base)  # a copy: the slice keeps nothing of this one alive
        return names

    def take(self, places: Iterable[int]) -> list[str]:
        """Return the names at ``places`` (each from 0 and within the length, unchecked), in that order.

        Cut from the joined string in one comprehension: through ``self[n]``, each cost a call and its checks
        (0.35 µs instead of 0.1).
        """
        joined, ends = self._joined, self._ends
        return [joined[ends[n - 1] if n else 0 : ends[n]] for n in places]

    def __iter__(self) -> Iterator[str]:
        joined, start = self._joined, 0
        for end in self._ends:  # each end an int as it is read: a list of them all took 36 bytes a file
            yield joined[start:end]
            start = end

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Names):
            return NotImplemented
        return self._joined == other._joined and self._ends == other._ends

    __hash__ = None  # type: ignore[assignment]  # mutable-looking equality: like a list, never a dict key

    def __repr__(self) -> str:
        return f"Names({list(self)!r})"


class Computed(Sequence[T]):
    """A read-only sequence whose items are made when read (``_item``), indexed and sliced as a list is."""

    __slots__ = ()

    def _item(self, n: int) -> T:
        """Return item ``n`` (from 0, within the length)."""
        raise NotImplementedError

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> list[T]: ...
    def __getitem__(self, index: int | slice) -> T | list[T]:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            return (
                self._slice(start, max(start, stop)) if step == 1 else [self._item(n) for n in range(start, stop, step)]
            )
        return self._item(range(len(self))[index])  # negative indices, and the IndexError past the end

    def _slice(self, start: int, stop: int) -> list[T]:
        """Return items ``start`` to ``stop`` (exclusive, ``start <= stop``); a kind may read them quicker together."""
        return [self._item(n) for n in range(start, stop)]

    def __iter__(self) -> Iterator[T]:
        return map(self._item, range(len(self)))


class NamesAt(Computed[str]):
    """The names at given places of other names (a file number per article): 4 bytes each, not a string each.

    Each is read as ``prefix`` and the name (``raw/``), so names held elsewhere are listed under their folder.
    """

    __slots__ = ("_names", "_places", "_prefix")

    def __init__(self, names: Sequence[str], places: array[int], prefix: str = "") -> None:
        self._names, self._places, self._prefix = names, places, prefix

    def __len__(self) -> int:
        return len(self._places)

    def _item(self, n: int) -> str:
        return self._prefix + self._names[self._places[n]]

    def __iter__(self) -> Iterator[str]:
        names, prefix = self._names, self._prefix
        if not isinstance(names, Names):
            yield from map(self._item, range(len(self)))
            return
        # Cut from the joined string: a build reads its raw files' names twice, 0.66 µs a name through ``_item``.
        joined, ends = names._joined, names._ends
        for n in self._places:
            yield prefix + joined[ends[n - 1] if n else 0 : ends[n]]

    def _slice(self, start: int, stop: int) -> list[str]:
        if not isinstance(self._names, Names):
            return super()._slice(start, stop)
        taken = self._names.take(self._places[start:stop])
        return list(map(self._prefix.__add__, taken)) if self._prefix else taken


class GrowingNames(Computed[str]):
    """Names added a batch at a time (``extend``), each batch as ``Names``: about 8 bytes and the characters each.

    The ids of 100,000 admitted articles as strings in a list took about 70 bytes apiece. A batch
    may be read under a prefix (``raw/``), so that names held elsewhere are listed without a copy.
    """

    __slots__ = ("_batches", "_count", "_firsts", "_prefixes")

    def __init__(self) -> None:
        self._batches: list[Names] = []
        self._prefixes: list[str] = []
        self._firsts: list[int] = []  # the place of each batch's first name
        self._count = 0

    def extend(self, names: Sequence[str], prefix: str = "") -> None:
        """Add ``names`` after those added before, each read as ``prefix`` and the name; ``Names`` are not copied."""
        if names:
            self._batches.append(names if isinstance(names, Names) else Names(names))
            self._prefixes.append(prefix)
            self._firsts.append(self._count)
            self._count += len(names)

    def batches(self) -> Iterator[tuple[str, Names]]:
        """Yield each batch, in order, with its prefix."""
        return zip(self._prefixes, self._batches, strict=True)

    def __len__(self) -> int:
        return self._count

    def _item(self, n: int) -> str:
        batch = bisect_right(self._firsts, n) - 1
        return self._prefixes[batch] + self._batches[batch][n - self._firsts[batch]]

    def __iter__(self) -> Iterator[str]:
        for prefix, batch in self.batches():
            yield from map(prefix.__add__, batch) if prefix else batch

    def at(self, numbers: npt.NDArray[np.int64]) -> list[str]:
        """Return the names at ``numbers`` (each from 0, within the length), their batches found all at once.

        Through ``_item`` each cost a bisect (1 µs of 1.3); ``names()`` instead would join every name, about
        2 MB at 100,000 ids, at the driver's peak.
        """
        batches, prefixes, firsts = self._batches, self._prefixes, self._firsts
        if not len(numbers):
            return []
        which = np.searchsorted(firsts, numbers, side="right") - 1
        within = (numbers - np.asarray(firsts, dtype=np.int64)[which]).tolist()
        cuts = np.flatnonzero(which[1:] != which[:-1]) + 1  # where the numbers go on in another batch
        if len(cuts) > len(numbers) // RUN_NAMES:  # scattered: each name from its batch
            return [prefixes[b] + batches[b][n] for b, n in zip(which.tolist(), within, strict=True)]
        # Runs in one batch, as numbers in reading order come: a ``take`` a run (4,000 ids, 8 batches: 0.90 -> 0.46 ms).
        out: list[str] = []
        for start, stop in zip([0, *cuts.tolist()], [*cuts.tolist(), len(within)], strict=True):
            b = int(which[start])
            taken = batches[b].take(within[start:stop])
            out += map(prefixes[b].__add__, taken) if prefixes[b] else taken
        return out

    def _slice(self, start: int, stop: int) -> list[str]:
        # A batch at a time: through ``_item``, a name cost a bisect and a lookup (1 µs of a manifest's 1.3 per input).
        out: list[str] = []
        for prefix, batch, first in zip(self._prefixes, self._batches, self._firsts, strict=True):
            if (lo := max(start - first, 0)) < (hi := min(stop - first, len(batch))):
                out += map(prefix.__add__, batch[lo:hi]) if prefix else batch[lo:hi]
        return out

    def names(self) -> Names:
        """Return every name added, as one ``Names``.

        Without prefixes, the batches are chained, and the result becomes the only batch: the
        names are then held once, not twice (about 3.5 MB for the ids of 100,000 articles).
        """
        if any(self._prefixes):
            return Names(self)
        names = Names.chained(self._batches)
        if names:
            self._batches, self._prefixes, self._firsts = [names], [""], [0]
        return names


def _shifted(values: array[int], by: int, accumulate: bool = False) -> array[int]:
    """Return ``values`` (an ``array("q")`` of its own, changed in place) plus ``by``, summed if ``accumulate``."""
    if values:
        view = np.frombuffer(values, dtype=np.int64)  # writable: it shares the array's memory
        if accumulate:
            np.cumsum(view, out=view)
        view += by
        del view  # an array whose memory numpy still shares could not grow
    return values
