"""Reading a corpus folder: raw articles, their sidecars and their gold.

``iter_corpus`` is the one pass every command builds on. It yields articles
(deduplicated, gold applied) and problems in a fixed order, streaming: it
keeps only ids and hashes in memory, never texts. It can read on every core:
files are parsed and articles converted there, deduplication stays here.
"""

from __future__ import annotations

import hashlib
import mmap
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path, PurePosixPath
from typing import Any, Generic, NamedTuple, TypeVar, get_args, overload

from newscorpus.core.codes import Code
from newscorpus.core.errors import UsageError
from newscorpus.core.executor import Executor, LocalExecutor, executor_for
from newscorpus.core.report import Problem, Report
from newscorpus.ingest.make import ParseResult
from newscorpus.ingest.parsers import IMPORT_SUFFIXES, SUFFIXES, parse_file, parse_jsonl_range
from newscorpus.ingest.parsers.jsonl import RecordNotes
from newscorpus.model.article import LAYERS, Article
from newscorpus.model.gold import ANNOTATIONS_DIR, with_gold
from newscorpus.model.sidecar import SIDECAR_SUFFIX, ImportFormat

RAW_DIR = "raw"
IMPORT_SOURCES = frozenset(get_args(ImportFormat))
FILES_PER_JOB, MAX_FILES_PER_JOB, JOBS_PER_WORKER = 64, 512, 16
"""Single-article files per job: at least enough to outweigh a round trip; else about ``JOBS_PER_WORKER`` jobs per
worker, so that workers stay even, but no more files than the maximum (see ``files_per_job``)."""
RECORDS_PER_JOB = 16
"""Records of an import, which the driver reads, sent to another process at once."""
RANGES_PER_WORKER = 8
MIN_RANGE_BYTES, MAX_RANGE_BYTES = 256 << 10, 8 << 20
"""A JSONL file is cut into about ``RANGES_PER_WORKER`` parts per worker, each within these bounds."""
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


@dataclass(frozen=True)
class Listing:
    """The files of a corpus folder, listed once: a command reads them, and a release records them, from one list."""

    raw: list[str]  # under raw/ (sidecars too), relative to it
    gold: list[str]  # under annotations/, relative to it

    @classmethod
    def of(cls, corpus: Path) -> Listing:
        """List the raw files and gold files of ``corpus`` now."""
        return cls(file_names(check_corpus(corpus) / RAW_DIR), file_names(corpus / ANNOTATIONS_DIR))

    def inputs(self) -> list[str]:
        """Return every file a release is built from (raw files, sidecars, gold files), relative to the corpus."""
        return [f"{RAW_DIR}/{name}" for name in self.raw] + [f"{ANNOTATIONS_DIR}/{name}" for name in self.gold]


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
    return _candidates(corpus, name, parse_file(corpus / name, name))


def _candidates(corpus: Path, name: str, results: Iterable[ParseResult]) -> Iterator[Problem | Candidate[Article]]:
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


@dataclass(frozen=True, slots=True)
class JsonlRange:
    """The lines of a JSONL file that begin in bytes ``start`` to ``stop``, the first being ``line``."""

    name: str
    start: int
    stop: int
    line: int
    last: bool  # whether it ends the file


Piece = str | JsonlRange | list[Problem | Candidate[Article]]
"""A single-article raw file, part of a JSONL file, or records the driver already read from an import."""
Convert = Callable[[int, list[Article]], list[T]]
"""What a command makes of the articles of one job (numbered in order), on the worker that read them."""


def jsonl_ranges(path: Path, name: str, size: int) -> Iterator[JsonlRange]:
    """Cut a JSONL file into parts of about ``size`` bytes, each ending with a line, numbering their first lines.

    One pass of the driver over the bytes, in C (``find``, ``count``): cheap next to parsing them.
    """
    with path.open("rb") as handle:
        data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) if path.stat().st_size else b""
    total, start, line = len(data), 0, 1
    try:
        while True:
            end = data.find(b"\n", start + size - 1) if start + size <= total else -1
            stop = total if end < 0 else end + 1
            yield JsonlRange(name, start, stop, line, stop >= total)
            if stop >= total:
                return
            line += data[start:stop].count(b"\n")
            start = stop
    finally:
        if isinstance(data, mmap.mmap):
            data.close()


def _read_piece(corpus: Path, piece: Piece) -> tuple[list[Problem | Candidate[Article]], RecordNotes | None]:
    if isinstance(piece, str):
        return list(read_raw_file(corpus, piece)), None
    if isinstance(piece, list):
        return piece, None
    notes = RecordNotes()
    parsed = parse_jsonl_range(corpus / piece.name, piece.name, piece.start, piece.stop, piece.line, notes)
    return list(_candidates(corpus, piece.name, parsed)), notes


Job = tuple[int, list[Piece]]
"""A read job: its number and its pieces. The corpus and the conversion go to the workers once per command."""
PieceResult = tuple[list[Problem | Candidate[T]], RecordNotes | None]


def _read_job(corpus: Path, convert: Convert[T], job: Job) -> list[PieceResult[T]]:
    """Read one job's pieces and convert their articles together, on a worker."""
    index, pieces = job
    read = [_read_piece(corpus, piece) for piece in pieces]
    articles = [item.value for items, _ in read for item in items if isinstance(item, Candidate)]
    values = iter(convert(index, articles))
    return [
        ([item if isinstance(item, Problem) else item._replace(value=next(values)) for item in items], notes)  # type: ignore[misc,arg-type]
        for items, notes in read
    ]


def _pieces(corpus: Path, names: Iterable[str], workers: int) -> Iterator[tuple[Piece, str, bool]]:
    """Yield the pieces of the raw files in order, each with its file and whether it ends it.

    A JSONL file is cut into byte ranges that the workers read themselves, small enough for
    every worker to get several; an import is read here, in order, and sent a chunk of records at a time.
    """
    for name in names:
        lowered = name.lower()
        if lowered.endswith(".jsonl"):
            path = corpus / name
            size = min(MAX_RANGE_BYTES, max(MIN_RANGE_BYTES, path.stat().st_size // (workers * RANGES_PER_WORKER)))
            for part in jsonl_ranges(path, name, size):
                yield part, name, part.last
        elif lowered.endswith(IMPORT_SUFFIXES):
            records: list[Problem | Candidate[Article]] = []
            for item in read_raw_file(corpus, name):
                records.append(item)
                if len(records) == RECORDS_PER_JOB:
                    yield records, name, False
                    records = []
            yield records, name, True
        else:
            yield name, name, True


def files_per_job(files: int, workers: int) -> int:
    """Return how many of ``files`` single-article files go to one job on ``workers`` workers.

    Bigger jobs cost the driver less per article: a Ray task costs it about a millisecond of
    CPU, whatever its size. Smaller ones share the work out more evenly at the end.
    """
    return min(MAX_FILES_PER_JOB, max(FILES_PER_JOB, files // (workers * JOBS_PER_WORKER)))


def _read(
    corpus: Path, names: list[str], convert: Convert[T], executor: Executor
) -> Iterator[tuple[list[Problem | Candidate[T]], bool]]:
    """Yield what each piece of the raw files became, in order, and whether it ends a file.

    Single-article files go to the workers ``files_per_job`` to a job, every other piece a job of its own.
    """
    per_job = files_per_job(len(names), executor.workers)
    ends: deque[tuple[str, bool]] = deque()
    # Jobs may run on other machines: they must find the corpus from any working folder.
    where = corpus.absolute()

    def jobs() -> Iterator[Job]:
        files: list[Piece] = []
        index = 0
        for piece, name, ends_file in _pieces(corpus, names, executor.workers):
            ends.append((name, ends_file))
            if isinstance(piece, str):
                files.append(piece)
                if len(files) < per_job:
                    continue
                pieces, files = files, []
            else:
                if files:
                    yield index, files
                    index, files = index + 1, []
                pieces = [piece]
            yield index, pieces
            index += 1
        if files:
            yield index, files

    notes: RecordNotes | None = None  # of the JSONL file being read, told at its end
    # Bound once: a Ray task sends its work function through the object store once, not with every job.
    for results in executor.map(partial(_read_job, where, convert), jobs()):
        for items, found in results:
            name, ends_file = ends.popleft()
            if found is not None:
                notes = notes or RecordNotes()
                notes.merge(found)
                if ends_file:
                    items = [*items, *notes.problems(name)]
                    notes = None
            yield items, ends_file


def _each(convert: Callable[[Article], T], job: int, articles: list[Article]) -> list[T]:
    return [convert(article) for article in articles]


def _keep(article: Article) -> Article:
    return article


@overload
def iter_corpus(
    corpus: Path,
    on_file: Callable[[], None] | None = None,
    *,
    executor: Executor | None = None,
    listing: Listing | None = None,
) -> Iterator[Article | Problem]: ...
@overload
def iter_corpus(
    corpus: Path,
    on_file: Callable[[], None] | None = None,
    *,
    convert: Callable[[Article], T],
    executor: Executor | None = None,
    listing: Listing | None = None,
) -> Iterator[T | Problem]: ...
@overload
def iter_corpus(
    corpus: Path,
    on_file: Callable[[], None] | None = None,
    *,
    convert_job: Convert[T],
    executor: Executor | None = None,
    listing: Listing | None = None,
) -> Iterator[T | Problem]: ...
def iter_corpus(
    corpus: Path,
    on_file: Callable[[], None] | None = None,
    *,
    convert: Callable[[Article], Any] = _keep,
    convert_job: Convert[Any] | None = None,
    executor: Executor | None = None,
    listing: Listing | None = None,
) -> Iterator[Any]:
    """Yield every valid article (gold applied) and every problem, in a fixed order.

    With ``convert``, each article is yielded as ``convert(article)``; with ``convert_job``, the
    articles of each job are converted together (given the job's number) and yielded one by one.
    The work runs on ``executor`` (default: this process); on any executor what is yielded, and
    its order, stay the same. Then conversions must be module-level functions or partials of one.
    Only their small results travel between processes: an ``Article`` would cost about as much
    to unpickle as to parse. ``listing`` is the corpus's files if the caller listed them already.
    """
    admission = _Admission()
    listing = listing or Listing.of(corpus)
    raw_names, gold_names = listing.raw, listing.gold
    names = [f"{RAW_DIR}/{name}" for name in raw_names if not name.endswith(SIDECAR_SUFFIX)]
    job_convert = convert_job or partial(_each, convert)
    for items, ends_file in _read(corpus, names, job_convert, executor or LocalExecutor(1)):
        for item in items:
            yield from admission.admit(item)
        if ends_file and on_file:
            on_file()
    yield from _orphans(admission.ids, raw_names, gold_names)


S = TypeVar("S")


class JobGather(Generic[S]):
    """Gathers the admitted articles of each job, for a ``convert_job`` that gives each article ``(job, place)``.

    Such a conversion makes one object per job (columns: pickled once) and gives each article
    its place in it; ``iter_corpus`` yields the admitted ones one by one, in order. ``add`` them;
    ``admitted`` gets each job with the places of its admitted articles, once its last is in
    (and the last job at ``done``), so the caller works a job at a time, not an article.
    """

    def __init__(self, admitted: Callable[[S, list[int]], None]) -> None:
        self._admitted = admitted
        self._job: S | None = None
        self._places: list[int] = []

    def add(self, job: S, place: int) -> None:
        """Add an admitted article: ``place`` in ``job``."""
        if job is not self._job:
            self.done()
            self._job = job
        self._places.append(place)

    def done(self) -> None:
        """Hand on the job being gathered, if any."""
        if self._job is not None:
            self._admitted(self._job, self._places)
        self._job, self._places = None, []


def _nothing(article: Article) -> None:
    return None


def validate(
    corpus: Path, on_file: Callable[[], None] | None = None, processes: int | None = None, ray: str | None = None
) -> Report:
    """Parse every raw file and gold file of ``corpus``; report every problem.

    The work runs on ``processes`` cores (default: all), or on the Ray cluster at address ``ray``.
    """
    listing = Listing.of(corpus)
    report = Report(files_checked=len(listing.inputs()))
    # Only whether each article is valid matters here, so nothing of it travels back.
    with executor_for(processes, ray) as executor:
        for result in iter_corpus(corpus, on_file, convert=_nothing, executor=executor, listing=listing):
            if isinstance(result, Problem):
                report.problems.append(result)
            else:
                report.articles_valid += 1
    return report
