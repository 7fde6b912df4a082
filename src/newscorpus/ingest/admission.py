"""Deduplication in reading order: which read articles are admitted, which are copies, which ids repeat.

A worker turns each article it read into a ``Candidate`` (what deduplication needs, and what the
article became); the driver admits them one by one in reading order (``Admission``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Generic, NamedTuple, TypeVar, get_args

from newscorpus.core.codes import Code
from newscorpus.core.report import Problem
from newscorpus.ingest.listing import RAW_DIR
from newscorpus.ingest.make import ParseResult
from newscorpus.ingest.parsers import RAW_SUFFIXES, parse_file
from newscorpus.model.article import LAYERS, Article
from newscorpus.model.gold import ANNOTATIONS_DIR, with_gold
from newscorpus.model.sidecar import SIDECAR_SUFFIX, ImportFormat, sidecar_path

IMPORT_SOURCES = frozenset(get_args(ImportFormat))
T = TypeVar("T")


def orphans(ids: dict[str, str], raw_names: list[str], gold_names: list[str]) -> Iterator[Problem]:
    """Yield a problem for each sidecar without its raw file, and each gold file of no admitted article (``ids``)."""
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
    for name in gold_names:
        # String operations, not PurePosixPath: there is a gold file for every annotated article.
        stem, dot, suffix = name.rpartition("/")[2].rpartition(".")
        stem = stem if dot else suffix
        if not dot or suffix != "json" or stem not in ids:
            yield Problem(
                code=Code.GOLD_ORPHAN,
                file=f"{ANNOTATIONS_DIR}/{name}",
                message=f"is gold for {stem!r}, which is no article in {RAW_DIR}/",
                article_id=stem,
            )


class Candidate(NamedTuple, Generic[T]):
    """An article read from a raw file but not yet admitted: what deduplication needs, and what it became.

    A named tuple: one travels back from a worker per article, and a tuple unpickles in a
    tenth of the time a slotted dataclass takes.
    """

    id: str
    raw_sha256: bytes
    text_key: bytes  # the text up to whitespace, so that a re-spaced copy is caught too
    file: str
    line: int | None
    imported: bool  # from a public corpus, which may repeat a text on purpose
    gold_problems: list[Problem]  # why its gold was kept out; the article is kept without it
    value: T

    @property
    def where(self) -> str:
        """The raw file, with the line for a record of a multi-record file."""
        return f"{self.file}:{self.line}" if self.line else self.file

    def problem(self, code: Code, **fields: Any) -> Problem:
        """Return a problem of ``code`` with this article, placed at its file, line and id."""
        return Problem(code=code, file=self.file, line=self.line, article_id=self.id, **fields)


def read_raw_file(corpus: Path, name: str) -> Iterator[Problem | Candidate[Article]]:
    """Parse raw file ``name`` (``raw/…``) into problems and candidates, each with its gold applied."""
    return candidates(corpus, name, parse_file(corpus / name, name))


def candidates(corpus: Path, name: str, results: Iterable[ParseResult]) -> Iterator[Problem | Candidate[Article]]:
    """Turn what a parser gave for raw file ``name`` into problems and candidates, each with its gold applied."""
    for result in results:
        if isinstance(result, Problem):
            yield result
            continue
        # Before gold may change the sources.
        imported = any(getattr(result.annotation, layer).source in IMPORT_SOURCES for layer in LAYERS)
        result, gold_problems = with_gold(corpus, result)
        raw = bytes.fromhex(result.raw_sha256)
        yield Candidate(result.id, raw, text_key(result.text), name, result.raw_line, imported, gold_problems, result)


def text_key(text: str) -> bytes:
    """Return the sha256 digest of ``text`` with whitespace collapsed: what two copies of one article share.

    Every run of whitespace (as ``str.split`` sees it: spaces, tabs, newlines, no-break and the other
    Unicode spaces) counts as one space, and whitespace at either end counts as none. So a copy whose
    lines were wrapped, spaced or split into blocks differently (a kicker and a headline as one block
    or two) has the same key; any other difference, even of one character, gives another key.
    """
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).digest()


class Admission:
    """Deduplication in reading order: the first article with an id, with the raw bytes or with a text is kept."""

    def __init__(self) -> None:
        self.ids: dict[str, str] = {}
        # Digests, not texts: an entry is kept for every article.
        self.raws: dict[bytes, str] = {}
        self.texts: dict[bytes, str] = {}

    def admit(self, item: Problem | Candidate[T]) -> Iterator[Problem | T]:
        """Yield what ``item`` becomes: its problem, a duplicate's warning, or its gold's problems and its value."""
        if isinstance(item, Problem):
            yield item
            return
        where = item.where
        # A copy is a duplicate before its id is looked at: the same bytes with a copied sidecar share
        # the id too, and are still only a copy. Public corpora repeat texts on purpose, so theirs stay.
        if not item.imported and (kept := self.raws.get(item.raw_sha256)):
            message = f"is an exact duplicate of {kept} (the same bytes); only that copy is kept"
            yield item.problem(code=Code.DUPLICATE_EXACT, severity="warning", message=message)
            return
        if not item.imported and (kept := self.texts.get(item.text_key)):
            message = f"is a duplicate of {kept}: the same text up to whitespace; only that copy is kept"
            yield item.problem(code=Code.DUPLICATE_TEXT, severity="warning", message=message)
            return
        if item.id in self.ids:
            message = (
                f"repeats the id of {self.ids[item.id]}. Give one of them another id "
                "(`id` in a JSON record, `id:` in the sidecar of a single-article file)."
            )
            yield item.problem(code=Code.ID_DUPLICATE, field="id", message=message)
            return
        self.ids[item.id] = where
        self.raws.setdefault(item.raw_sha256, where)
        self.texts.setdefault(item.text_key, where)
        yield from item.gold_problems
        yield item.value
