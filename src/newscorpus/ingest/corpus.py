"""Reading a corpus folder: raw articles, their sidecars and their gold.

``iter_corpus`` is the one pass every command builds on. It yields articles
(deduplicated, gold applied) and problems in a fixed order, streaming: it
keeps only ids and hashes in memory, never texts. It can read on every core:
files are parsed and articles converted there, deduplication stays here.
"""

from __future__ import annotations

import hashlib
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Any, Generic, TypeVar, get_args, overload

from newscorpus.core.codes import Code
from newscorpus.core.errors import UsageError
from newscorpus.core.pool import ordered_map
from newscorpus.core.report import Problem, Report
from newscorpus.ingest.parsers import IMPORT_SUFFIXES, SUFFIXES, parse_file
from newscorpus.model.article import LAYERS, Article
from newscorpus.model.gold import ANNOTATIONS_DIR, apply_gold, gold_path, load_gold
from newscorpus.model.sidecar import SIDECAR_SUFFIX, ImportFormat

RAW_DIR = "raw"
IMPORT_SOURCES = frozenset(get_args(ImportFormat))
MULTI_RECORD_SUFFIXES = (".jsonl", *IMPORT_SUFFIXES)
FILES_PER_JOB = 64
RECORDS_PER_JOB = 16
"""Work sent to another process at once: enough to outweigh a round trip, little enough to keep cores even."""
T = TypeVar("T")


def check_corpus(corpus: Path) -> Path:
    """Return ``corpus`` if it looks like a corpus folder, else raise a usage error naming the fix."""
    if not (corpus / RAW_DIR).is_dir():
        raise UsageError(f"{corpus} has no {RAW_DIR}/ folder. Try --corpus DIR with the folder that holds raw/.")
    return corpus


def file_names(folder: Path) -> list[str]:
    """Return the files under ``folder`` as relative POSIX names in path order; hidden ones left out.

    Names, not ``Path`` objects: a corpus of 100,000 files would hold tens of MB of them.
    """
    names: list[str] = []

    # A depth-first walk over sorted entries gives path order without sorting everything at the end;
    # os.scandir knows each entry's type without a stat.
    def walk(directory: str, prefix: str) -> None:
        try:
            entries = sorted(os.scandir(directory), key=lambda entry: entry.name)
        except (FileNotFoundError, NotADirectoryError):
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_dir(follow_symlinks=False):
                walk(entry.path, f"{prefix}{entry.name}/")
            elif entry.is_file():
                names.append(prefix + entry.name)

    walk(str(folder), "")
    return names


def _files(folder: Path) -> list[Path]:
    """Return the files under ``folder`` in path order, hidden files and folders left out."""
    return [folder / name for name in file_names(folder)]


def relative_name(corpus: Path, path: Path) -> str:
    """Return how a file is named in reports and manifests: relative to the corpus, with /."""
    return path.relative_to(corpus).as_posix()


def raw_files(corpus: Path) -> list[Path]:
    """Return the raw article files in their fixed reading order (sidecars excluded)."""
    return [p for p in _files(corpus / RAW_DIR) if not p.name.endswith(SIDECAR_SUFFIX)]


def input_names(corpus: Path) -> list[str]:
    """Return every file a release is built from (raw files, sidecars, gold files), named relative to ``corpus``."""
    return [f"{folder}/{name}" for folder in (RAW_DIR, ANNOTATIONS_DIR) for name in file_names(corpus / folder)]


def sha256_file(path: Path) -> str:
    """Return the hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _orphans(ids: dict[str, str], raw_names: list[str], gold_names: list[str]) -> Iterator[Problem]:
    sidecars = [name for name in raw_names if name.endswith(SIDECAR_SUFFIX)]
    wanted = {name.removesuffix(SIDECAR_SUFFIX) for name in sidecars}
    # Only the raw files a sidecar asks for are remembered: the listing may hold 100,000 names.
    beside = {
        base
        for name in (raw_names if wanted else [])
        if not name.endswith(SIDECAR_SUFFIX)
        and (path := PurePosixPath(name)).suffix.lower() in SUFFIXES + IMPORT_SUFFIXES
        and (base := str(path.with_suffix(""))) in wanted
    }
    for name in sidecars:
        if name.removesuffix(SIDECAR_SUFFIX) not in beside:
            message = "is a sidecar without a raw file beside it"
            yield Problem(code=Code.SIDECAR_ORPHAN, file=f"{RAW_DIR}/{name}", message=message)
    for name in gold_names:
        path = PurePosixPath(name)
        if path.suffix != ".json" or path.stem not in ids:
            yield Problem(
                code=Code.GOLD_ORPHAN,
                file=f"{ANNOTATIONS_DIR}/{name}",
                message=f"is gold for {path.stem!r}, which is no article in {RAW_DIR}/",
                article_id=path.stem,
            )


@dataclass(frozen=True, slots=True)
class Candidate(Generic[T]):
    """An article read from a raw file but not yet admitted: what deduplication needs, and what it became."""

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
    for result in parse_file(corpus / name, name):
        if isinstance(result, Problem):
            yield result
            continue
        # Before gold may change the sources.
        imported = any(getattr(result.annotation, layer).source in IMPORT_SOURCES for layer in LAYERS)
        gold_problems: list[Problem] = []
        gold_file = gold_path(corpus, result.id)
        if gold_file.is_file():
            gold_name = relative_name(corpus, gold_file)
            gold = load_gold(gold_file, gold_name)
            applied = gold if isinstance(gold, list) else apply_gold(result, gold, gold_name)
            if isinstance(applied, list):
                gold_problems = applied
            else:
                result = applied
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


class _Admission:
    """Deduplication in reading order: the first article with an id, with the raw bytes or with a text is kept."""

    def __init__(self) -> None:
        self.ids: dict[str, str] = {}
        # Digests, not texts: an entry is kept for every article.
        self.raws: dict[bytes, str] = {}
        self.texts: dict[bytes, str] = {}

    def admit(self, item: Problem | Candidate[T]) -> Iterator[Problem | T]:
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


def _converted(item: Problem | Candidate[Article], convert: Callable[[Article], T]) -> Problem | Candidate[T]:
    return item if isinstance(item, Problem) else replace(item, value=convert(item.value))  # type: ignore[arg-type,return-value]


Piece = str | list[Problem | Candidate[Article]]
"""A single-article raw file to read, or records already read from a multi-record file."""


def _pieces(corpus: Path, names: Iterable[str]) -> Iterator[tuple[Piece, bool]]:
    """Yield single-article files by name, multi-record files as chunks of records read here; and if it ends a file."""
    for name in names:
        if not name.lower().endswith(MULTI_RECORD_SUFFIXES):
            yield name, True
            continue
        records: list[Problem | Candidate[Article]] = []
        for item in read_raw_file(corpus, name):
            records.append(item)
            if len(records) == RECORDS_PER_JOB:
                yield records, False
                records = []
        yield records, True


def _read_job(job: tuple[Path, Callable[[Article], T], list[Piece]]) -> list[list[Problem | Candidate[T]]]:
    corpus, convert, pieces = job
    return [
        [_converted(item, convert) for item in (read_raw_file(corpus, p) if isinstance(p, str) else p)] for p in pieces
    ]


def _read(
    corpus: Path, names: Iterable[str], convert: Callable[[Article], T], processes: int | None
) -> Iterator[tuple[Iterable[Problem | Candidate[T]], bool]]:
    """Yield what each raw file, or each chunk of a multi-record file's records, became; and whether it ends a file."""
    if processes == 1:
        for name in names:
            yield (_converted(item, convert) for item in read_raw_file(corpus, name)), True
        return
    ends: deque[bool] = deque()

    # Single-article files are read on the workers, FILES_PER_JOB to a job; a multi-record file is read
    # here (it must be read in order) and its records are converted there a chunk to a job, so that one
    # big import uses every core too.
    def jobs() -> Iterator[tuple[Path, Callable[[Article], T], list[Piece]]]:
        files: list[Piece] = []
        for piece, ends_file in _pieces(corpus, names):
            ends.append(ends_file)
            if isinstance(piece, str):
                files.append(piece)
            if files and (len(files) == FILES_PER_JOB or not isinstance(piece, str)):
                yield corpus, convert, files
                files = []
            if not isinstance(piece, str):
                yield corpus, convert, [piece]
        if files:
            yield corpus, convert, files

    for pieces in ordered_map(_read_job, jobs(), processes, chunk=1):
        for piece in pieces:
            yield piece, ends.popleft()


def _keep(article: Article) -> Article:
    return article


@overload
def iter_corpus(corpus: Path, on_file: Callable[[], None] | None = None) -> Iterator[Article | Problem]: ...
@overload
def iter_corpus(
    corpus: Path,
    on_file: Callable[[], None] | None = None,
    *,
    convert: Callable[[Article], T],
    processes: int | None = 1,
) -> Iterator[T | Problem]: ...
def iter_corpus(
    corpus: Path,
    on_file: Callable[[], None] | None = None,
    *,
    convert: Callable[[Article], Any] = _keep,
    processes: int | None = 1,
) -> Iterator[Any]:
    """Yield every valid article (gold applied) and every problem, in a fixed order.

    With ``convert``, each article is yielded as ``convert(article)``; with more than one process,
    files are read and articles converted on that many cores (None: all) (``convert`` must then be a
    module-level function or a partial of one), and what is yielded, and its order, stay the same.
    Only the small ``convert`` results travel between processes: an ``Article`` would cost about
    as much to unpickle as to parse.
    """
    admission = _Admission()
    gold_names = file_names(corpus / ANNOTATIONS_DIR)
    raw_names = file_names(check_corpus(corpus) / RAW_DIR)
    names = (f"{RAW_DIR}/{name}" for name in raw_names if not name.endswith(SIDECAR_SUFFIX))
    for items, ends_file in _read(corpus, names, convert, processes):
        for item in items:
            yield from admission.admit(item)
        if ends_file and on_file:
            on_file()
    yield from _orphans(admission.ids, raw_names, gold_names)


def _nothing(article: Article) -> None:
    return None


def validate(corpus: Path, on_file: Callable[[], None] | None = None, processes: int | None = None) -> Report:
    """Parse every raw file and gold file of ``corpus`` on ``processes`` cores (default: all); report every problem."""
    report = Report(files_checked=len(input_names(check_corpus(corpus))))
    # Only whether each article is valid matters here, so nothing of it travels back.
    for result in iter_corpus(corpus, on_file, convert=_nothing, processes=processes):
        if isinstance(result, Problem):
            report.problems.append(result)
        else:
            report.articles_valid += 1
    return report
