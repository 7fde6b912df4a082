"""Articles read but not yet admitted: what deduplication needs of each, made on the worker that read it.

A worker turns each article it read into a ``Candidate``; a job's candidates travel back to the
driver as one ``Candidates`` object of columns, which ``ingest.admission`` admits in reading order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from typing import Any, Generic, NamedTuple, TypeVar, get_args

import numpy as np
import numpy.typing as npt

from newscorpus.core.report import Problem
from newscorpus.ingest.make import ParseResult
from newscorpus.ingest.parsers import parse_file
from newscorpus.ingest.seal import NO_SEAL, SEAL_BYTES, gold_seal
from newscorpus.model.article import LAYERS, Article
from newscorpus.model.gold import gold_name, with_gold
from newscorpus.model.sidecar import ImportFormat

IMPORT_SOURCES = frozenset(get_args(ImportFormat))
KEYS = ("id", "raw", "text")
"""What deduplication looks at, in the order of the columns of ``Candidates.keys``."""
T = TypeVar("T")


class Candidate(NamedTuple, Generic[T]):
    """An article read from a raw file but not yet admitted: what deduplication needs, and what it became."""

    id: str
    raw_sha256: bytes
    text_key: bytes  # the text up to whitespace, so that a re-spaced copy is caught too
    words: int  # the text's words, as ``str.split`` counts them: a release counts them, the key has them for free
    line: int | None
    imported: bool  # from a public corpus, which may repeat a text on purpose
    gold_problems: list[Problem]  # why its gold was kept out; the article is kept without it
    gold_seal: bytes  # of its gold file as read (``ingest.seal``), applied or not; ``NO_SEAL`` if it has none
    value: T


def read_raw_file(corpus: Path, name: str) -> Iterator[Problem | Candidate[Article]]:
    """Parse raw file ``name`` (``raw/…``) into problems and candidates, each with its gold applied."""
    return candidates(corpus, parse_file(corpus / name, name))


def candidates(corpus: Path, results: Iterable[ParseResult]) -> Iterator[Problem | Candidate[Article]]:
    """Turn what a parser gave into problems and candidates, each with its gold applied."""
    for result in results:
        if isinstance(result, Problem):
            yield result
            continue
        # Before gold may change the sources.
        imported = any(getattr(result.annotation, layer).source in IMPORT_SOURCES for layer in LAYERS)
        result, gold_problems, gold = with_gold(corpus, result)
        seal = NO_SEAL if gold is None else gold_seal(gold_name(result.id), gold)
        raw = bytes.fromhex(result.raw_sha256)
        key, words = text_key(result.text)
        yield Candidate(result.id, raw, key, words, result.raw_line, imported, gold_problems, seal, result)


class TextKey(NamedTuple):
    """An article's ``text_key``, and its words, which the key's one ``str.split`` counts."""

    digest: bytes
    words: int


def text_key(text: str) -> TextKey:
    """Return the sha256 digest of ``text`` with whitespace collapsed: what two copies of one article share.

    Every run of whitespace (as ``str.split`` sees it: spaces, tabs, newlines, no-break and the other
    Unicode spaces) counts as one space, and whitespace at either end counts as none. So a copy whose
    lines were wrapped, spaced or split into blocks differently (a kicker and a headline as one block
    or two) has the same key; any other difference, even of one character, gives another key. The
    words are those of ``text.split()``, each but the last followed by one space in the collapsed text.
    """
    collapsed = " ".join(text.split())
    return TextKey(hashlib.sha256(collapsed.encode("utf-8")).digest(), collapsed.count(" ") + 1 if collapsed else 0)


def id_keys(ids: list[str]) -> npt.NDArray[np.uint64]:
    """Return the 64-bit key of each id: Python's own string hash, which the string caches.

    It differs between processes, so keys are made where they are looked up, on the driver, and never kept.
    """
    return np.fromiter(map(hash, ids), dtype=np.int64, count=len(ids)).view(np.uint64)


DIGESTS_WIDTH = 64
"""Bytes of a candidate's digests: the raw bytes' sha256, then its text key's."""


@dataclass(slots=True)
class Candidates(Generic[T]):
    """A job's candidates as columns, in reading order: one object travels back per job, not one per article."""

    ids: list[str]
    digests: npt.NDArray[np.uint8]  # one row each: the raw bytes' sha256, then the text key
    lines: list[int | None]
    imported: list[bool]
    gold_problems: dict[int, list[Problem]]
    values: list[T]
    seals: npt.NDArray[np.uint8]  # one row each: its ``Candidate.gold_seal``

    @classmethod
    def of(cls, found: list[Candidate[Any]], values: list[T]) -> Candidates[T]:
        """Return the columns of ``found``, each with its value (what the command made of it)."""
        rows = b"".join(c.raw_sha256 + c.text_key for c in found)
        return cls(
            [c.id for c in found],
            np.frombuffer(rows, dtype=np.uint8).reshape(len(found), DIGESTS_WIDTH),
            [c.line for c in found],
            [c.imported for c in found],
            {n: c.gold_problems for n, c in enumerate(found) if c.gold_problems},
            values,
            np.frombuffer(b"".join(c.gold_seal for c in found), dtype=np.uint8).reshape(len(found), SEAL_BYTES),
        )

    @classmethod
    def joined(cls, runs: Sequence[Candidates[T]]) -> Candidates[T]:
        """Return the candidates of ``runs`` (at least one), one run after the other, numbered from 0."""
        starts = list(accumulate((len(run) for run in runs), initial=0))
        return cls(
            [i for run in runs for i in run.ids],
            np.concatenate([run.digests for run in runs]),
            [line for run in runs for line in run.lines],
            [one for run in runs for one in run.imported],
            {
                n + start: found
                for run, start in zip(runs, starts, strict=False)
                for n, found in run.gold_problems.items()
            },
            [value for run in runs for value in run.values],
            np.concatenate([run.seals for run in runs]),
        )

    def __len__(self) -> int:
        return len(self.ids)

    def keys(self) -> npt.NDArray[np.uint64]:
        """Return each candidate's 64-bit keys, one column per ``KEYS``: the id's, then 8 bytes of each digest."""
        if not len(self):
            return np.zeros((0, len(KEYS)), dtype=np.uint64)
        digests = [np.ascontiguousarray(self.digests[:, s : s + 8]).view("<u8").ravel() for s in (0, 32)]
        return np.stack([id_keys(self.ids), *digests], axis=1)

    def full(self, kind: int, n: int) -> bytes:
        """Return what candidate ``n``'s key of ``kind`` (``KEYS``) stands for: its id, or a whole digest."""
        return full_value(kind, self.ids[n], self.digests[n])


def full_value(kind: int, article_id: str, digests: npt.NDArray[np.uint8]) -> bytes:
    """Return what a key of ``kind`` stands for, given the id and the row of digests: two equal keys must share it."""
    if kind == 0:
        return article_id.encode("utf-8")
    return digests[:32].tobytes() if kind == 1 else digests[32:].tobytes()
