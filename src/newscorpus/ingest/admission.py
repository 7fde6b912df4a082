"""Deduplication in reading order: which read articles are admitted, which are copies, which ids repeat.

The driver admits a job's candidates (``ingest.candidates``) at once, in reading order: their
keys are looked up together (``core.keyindex``), and only a job where some key was seen before
goes through its candidates one by one. The driver keeps no dict per article: per admitted
article its id, where it was read and three keys (about 12 bytes each); its digests (64 bytes) go to a
scratch file. A key is 64 bits of a digest; a key held by another value is told apart by the whole value.
"""

from __future__ import annotations

import unicodedata
from array import array
from collections.abc import Iterator, Sequence
from itertools import islice, repeat
from pathlib import Path
from typing import Literal, TypeVar

import numpy as np
import numpy.typing as npt

from newscorpus.core.codes import Code
from newscorpus.core.errors import ReleaseError
from newscorpus.core.keyindex import Holders, KeyIndex
from newscorpus.core.names import GrowingNames, NamesAt
from newscorpus.core.report import Problem
from newscorpus.core.rowfile import RowFile
from newscorpus.ingest.candidates import DIGESTS_WIDTH, KEYS, Candidates, full_value, id_keys
from newscorpus.ingest.listing import RAW_DIR
from newscorpus.ingest.parsers import RAW_SUFFIXES
from newscorpus.ingest.seal import NO_SEAL, folded, joined
from newscorpus.model.gold import ANNOTATIONS_DIR
from newscorpus.model.sidecar import SIDECAR_SUFFIX, sidecar_path

T = TypeVar("T")
ORPHAN_BATCH = 8192  # gold files looked up at once


def orphans(admission: Admission, raw_names: Sequence[str], gold_names: Sequence[str]) -> Iterator[Problem]:
    """Yield a problem for each sidecar without its raw file, and each gold file of no admitted article.

    The other gold files are those the admitted articles' workers read: their seal is ``Admission.gold_seal``.
    """
    sidecars = [name for name in raw_names if name.endswith(SIDECAR_SUFFIX)]
    wanted = {name.removesuffix(SIDECAR_SUFFIX) for name in sidecars}
    # Only the raw files a sidecar asks for are remembered: the listing may hold 100,000 names.
    beside = {
        base
        for name in (raw_names if wanted else [])
        if not name.endswith(SIDECAR_SUFFIX)
        and name.lower().endswith(RAW_SUFFIXES)
        and (base := sidecar_path(name).removesuffix(SIDECAR_SUFFIX)) in wanted
    }
    for name in sidecars:
        if name.removesuffix(SIDECAR_SUFFIX) not in beside:
            message = "is a sidecar without a raw file beside it"
            yield Problem(code=Code.SIDECAR_ORPHAN, file=f"{RAW_DIR}/{name}", message=message)
    # String operations, not PurePosixPath: there is a gold file for every annotated article. A batch at a time:
    # the split names of 100,000 gold files, all at once, were the peak of a build's memory.
    names = iter(gold_names)
    while batch := list(islice(names, ORPHAN_BATCH)):
        joined = "".join(batch)
        # Every name <stem>.json in the folder itself, as usual: the stems split off at once, in C.
        usual = (
            "/" not in joined and joined.count(".json") == len(batch) and all(map(str.endswith, batch, repeat(".json")))
        )
        if usual and all(admission.admitted(joined.split(".json")[:-1])):
            continue  # the gold of admitted articles, every one: told without a Python step a file
        split = [name.rpartition("/")[2].rpartition(".") for name in batch]
        known = admission.admitted([stem for stem, _, _ in split])
        for name, (stem, dot, suffix), kept in zip(batch, split, known, strict=True):
            stem = stem if dot else suffix
            if "/" in name:  # never read: an article's gold is annotations/<its id>.json
                message = (
                    f"is in a subfolder of {ANNOTATIONS_DIR}/, where no gold is read. "
                    f"Move it to {ANNOTATIONS_DIR}/{stem}.json if it is the gold of article {stem!r}"
                )
                yield Problem(code=Code.GOLD_ORPHAN, file=f"{ANNOTATIONS_DIR}/{name}", message=message, article_id=stem)
            elif not dot or suffix != "json" or not kept:
                yield Problem(
                    code=Code.GOLD_ORPHAN,
                    file=f"{ANNOTATIONS_DIR}/{name}",
                    message=f"is gold for {stem!r}, which is no article in {RAW_DIR}/",
                    article_id=stem,
                )


class Admission:
    """Deduplication in reading order: the first article with an id, with the raw bytes or with a text is kept."""

    def __init__(self, names: Sequence[str], scratch: Path | None = None) -> None:
        self.names = names  # the raw files read, in order: an article's file is a number among them
        self.ids = GrowingNames()  # of the admitted articles, in order: an article's number is its place here
        self._files = array("i")  # where each was read (a place in ``names``)
        self.lines = array("i")  # and at which line: 0 for none
        # Read back only where a later candidate's key matches: on disk (``core.rowfile``), in ``scratch`` if given.
        self._digests = RowFile(DIGESTS_WIDTH, scratch)
        self._index = tuple(KeyIndex() for _ in KEYS)
        self._collided: dict[tuple[int, bytes], int] = {}  # (kind, value) → holder, where another value has its key
        self._settled = False
        self.gold_seal = NO_SEAL  # of the gold files of the admitted articles, as their workers read them

    def settle(self) -> None:
        """Let go of the key indexes once every article is read: the admitted articles stay, and none may be added.

        Three keys an article (3.6 MB at 100,000), which a build held through laying out its articles.
        """
        self._index, self._collided, self._settled = tuple(KeyIndex() for _ in KEYS), {}, True

    @property
    def files(self) -> NamesAt:
        """Return the raw file of each admitted article, in order."""
        return NamesAt(self.names, self._files)

    def admit(self, pieces: list[tuple[list[Problem | int], int]], found: Candidates[T]) -> list[list[Problem | T]]:
        """Admit a job's candidates in reading order; return what each of its pieces becomes, in order.

        A piece is its items (problems, and candidates by their number in ``found``) and its raw file's
        place in ``names``. An admitted candidate becomes its gold's problems and its value; another, its problem.
        """
        files = [0] * len(found)
        for items, file in pieces:
            for item in items:
                if not isinstance(item, Problem):
                    files[item] = file
        turned = self._admit(found, files)
        out: list[list[Problem | T]] = []
        for items, _ in pieces:
            made: list[Problem | T] = []
            for item in items:
                if isinstance(item, Problem):
                    made.append(item)
                elif (problem := turned[item]) is not None:
                    made.append(problem)
                else:
                    made += found.gold_problems.get(item, ())
                    made.append(found.values[item])
            out.append(made)
        return out

    def admit_files(self, first: int, found: Candidates[T]) -> list[Problem | None]:
        """Admit candidates read one a file, candidate ``n`` from file ``first + n`` of ``names``, in reading order.

        Return the problem of each turned away, None for each admitted (``admit`` for such pieces, without a list
        a piece).
        """
        return self._admit(found, range(first, first + len(found)))

    def admitted(self, ids: list[str]) -> list[bool]:
        """Return whether an article of each id was admitted."""
        self._check_open()
        holders = self._index[0].find(id_keys(ids))
        held = self.ids.at(np.maximum(holders, 0)) if len(self.ids) else [""] * len(ids)  # for -1: unused
        if held == ids and (holders >= 0).all():  # every one, as a build's gold usually is: compared in C
            return [True] * len(ids)
        return [
            (h >= 0 and name == i) or (0, i.encode("utf-8")) in self._collided
            for h, name, i in zip(holders.tolist(), held, ids, strict=True)
        ]

    def _admit(self, found: Candidates[T], files: Sequence[int]) -> list[Problem | None]:
        """Return the problem of each candidate turned away, None for each admitted; remember the admitted."""
        self._check_open()
        keys, first = found.keys(), len(self.ids)
        held = np.stack([self._held(kind, keys[:, kind], found) for kind in range(len(KEYS))], axis=1)
        repeated = any(len(np.unique(keys[:, kind])) < len(found) for kind in range(len(KEYS)))
        if not len(found) or ((held == -1).all() and not repeated):  # nothing seen before: every one is admitted
            for kind in range(len(KEYS)):
                self._index[kind].add(keys[:, kind], np.arange(first, first + len(found)))
            # Whole columns, as a build's jobs usually are: taken row by row, they cost the driver 0.2 µs an article.
            ids, lines, digests, seals = found.ids, found.lines, found.digests, found.seals
            self._files.extend(files)
            turned: list[Problem | None] = [None] * len(found)
        else:
            rows, turned = self._one_by_one(found, files, keys, held)
            ids, lines = [found.ids[n] for n in rows], [found.lines[n] for n in rows]
            digests, seals = found.digests[rows], found.seals[rows]
            self._files.extend([files[n] for n in rows])
        self.ids.extend(ids)
        self.lines.extend([line or 0 for line in lines])
        self._digests.append(digests)
        self.gold_seal = joined(self.gold_seal, folded(seals))
        return turned

    def _check_open(self) -> None:
        """Refuse to go on once settled: the key indexes are gone."""
        if self._settled:
            raise ReleaseError("This admission is settled: no article may be admitted or looked up. Make a new one.")

    def _held(self, kind: int, keys: npt.NDArray[np.uint64], found: Candidates[T]) -> Holders:
        """Return who holds each key's value: an admitted article, -1 if the key is free, -2 if another value has it."""
        holders = self._index[kind].find(keys)
        for n in np.flatnonzero(holders >= 0).tolist():
            value = found.full(kind, n)
            if self._full(kind, int(holders[n])) != value:
                holders[n] = self._collided.get((kind, value), -2)
        return holders

    def _full(self, kind: int, article: int) -> bytes:
        """Return what admitted ``article``'s key of ``kind`` stands for."""
        return full_value(kind, self.ids[article], self._digests.take(np.array([article]))[0])

    def _one_by_one(
        self, found: Candidates[T], files: Sequence[int], keys: npt.NDArray[np.uint64], held: Holders
    ) -> tuple[list[int], list[Problem | None]]:
        """Admit a job whose keys were seen before, or repeat: each candidate in turn, as the ones before left it."""
        first = len(self.ids)
        mine: list[dict[int, tuple[bytes, int]]] = [{} for _ in KEYS]  # key → (value, holder), admitted in this job
        rows: list[int] = []
        turned: list[Problem | None] = []

        def holder(kind: int, n: int) -> int | None:
            if (h := int(held[n, kind])) >= 0:
                return h
            value, entry = found.full(kind, n), mine[kind].get(int(keys[n, kind]))
            if h == -1 and entry is not None and entry[0] == value:
                return entry[1]
            return self._collided.get((kind, value))

        def place(article: int) -> tuple[str, int]:
            if article < first:
                return self.names[self._files[article]], self.lines[article]
            n = rows[article - first]
            return self.names[files[n]], found.lines[n] or 0

        def where(article: int) -> str:
            file, line = place(article)
            return f"{file}:{line}" if line else file

        for n in range(len(found)):
            code, field = None, None
            # A copy is a duplicate before its id is looked at: the same bytes with a copied sidecar share
            # the id too, and are still only a copy. Public corpora repeat texts on purpose, so theirs stay.
            if not found.imported[n] and (kept := holder(1, n)) is not None:
                code, message = Code.DUPLICATE_EXACT, f"is an exact duplicate of {where(kept)} (the same bytes)"
                message += "; only that copy is kept"
            elif not found.imported[n] and (kept := holder(2, n)) is not None:
                code, message = Code.DUPLICATE_TEXT, f"is a duplicate of {where(kept)}: the same text up to whitespace"
                message += "; only that copy is kept"
            elif (kept := holder(0, n)) is not None:
                code, field = Code.ID_DUPLICATE, "id"
                apart = _composed_apart(self.names[files[n]], place(kept)[0])
                message = (
                    f"repeats the id of {where(kept)}.{apart} Give one of them another id "
                    "(`id` in a JSON record, `id:` in the sidecar of a single-article file)."
                )
            if code is not None:
                severity: Literal["error", "warning"] = "error" if code is Code.ID_DUPLICATE else "warning"
                turned.append(
                    Problem(
                        code=code,
                        file=self.names[files[n]],
                        line=found.lines[n],
                        article_id=found.ids[n],
                        field=field,
                        severity=severity,
                        message=message,
                    )
                )
                continue
            turned.append(None)
            number = first + len(rows)
            for kind in range(len(KEYS)):
                if holder(kind, n) is not None:
                    continue  # its value is held already: the first holder keeps it
                key, value = int(keys[n, kind]), found.full(kind, n)
                if held[n, kind] == -2 or key in mine[kind]:
                    self._collided[(kind, value)] = number  # another value has its key
                else:
                    mine[kind][key] = (value, number)
            rows.append(n)
        for kind, taken in enumerate(mine):
            if taken:
                numbers = np.array([h for _, h in taken.values()], dtype=np.int64)
                self._index[kind].add(np.array(list(taken), dtype=np.uint64), numbers)
        return rows, turned


def _composed_apart(name: str, other: str) -> str:
    """Say so where two file names differ only in how their letters are composed: they look alike in a message."""
    if name == other or unicodedata.normalize("NFC", name) != unicodedata.normalize("NFC", other):
        return ""
    return (
        " The two file names look alike but differ in how their letters are composed (one NFC, one NFD, as macOS "
        "writes names): two files, whose names give one id."
    )
