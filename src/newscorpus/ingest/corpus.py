"""Reading a corpus folder: raw articles, their sidecars and their gold.

``iter_corpus`` is the one pass every command builds on. It yields articles
(deduplicated, gold applied) and problems in a fixed order, streaming: it
keeps only ids and hashes in memory, never texts. It can read on every core:
files are parsed and articles converted there, deduplication stays here.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Generic, TypeVar, overload

from newscorpus.core.codes import Code
from newscorpus.core.executor import Executor, LocalExecutor, executor_for
from newscorpus.core.report import Problem, Report
from newscorpus.ingest.admission import Admission, orphans
from newscorpus.ingest.candidates import Candidate, Candidates
from newscorpus.ingest.listing import Listing, unreadable_entries
from newscorpus.ingest.parsers.notes import RecordNotes
from newscorpus.ingest.pieces import Piece, pieces_of, read_piece, single
from newscorpus.model.article import Article

FILES_PER_JOB = 64
"""Single-article files per job: at least enough to outweigh a round trip; else about the executor's jobs per
worker, so that workers stay even, but no more files than the executor's largest job (see ``files_per_job``)."""
ADMIT_ARTICLES, ADMIT_SECONDS = 4096, 0.25
"""Jobs are admitted together until this many candidates wait, or the first of them has waited this long: a batch
costs the driver about what one job does (0.6 ms), and the progress shown lags by a job at most."""
T = TypeVar("T")


Convert = Callable[[int, list[Candidate[Article]]], list[T]]
"""What a command makes of the articles of one job (numbered in order), on the worker that read them: each is the
``value`` of its candidate, which has what the reading learnt of it on the way (its word count, say)."""


Job = tuple[int, list[Piece]]
"""A read job: its number and its pieces. The corpus and the conversion go to the workers once per command."""
ReadJob = tuple[list[tuple[list[Problem | int], RecordNotes | None]] | None, Candidates[T]]
"""What a worker makes of a read job: each piece's problems and candidates (by number), and the candidates.

None for the pieces of a job of whole files that each gave one candidate and nothing else: the
common case, told in one word, not a list and a tuple a file for the driver to unpickle and walk.
"""


@dataclass(frozen=True)
class Plain:
    """Pieces that are ``count`` whole files, each of which gave one candidate and nothing else.

    File ``first + n`` (a place in the names read) gave candidate ``n``.
    """

    first: int
    count: int

    def pieces(self) -> list[tuple[list[Problem | int], int, bool]]:
        """Return these pieces one by one, as ``ReadPieces`` lists them."""
        return [([n], self.first + n, True) for n in range(self.count)]


ReadPieces = list[tuple[list[Problem | int], int, bool]] | Plain
"""A job's pieces as the driver has them: what each became (candidates by number), its file, whether it ends it."""


def _read_job(corpus: Path, convert: Convert[T], job: Job) -> ReadJob[T]:
    """Read one job's pieces and convert their articles together, on a worker."""
    index, pieces = job
    read = [read_piece(corpus, piece) for piece in pieces]
    found = [item for items, _ in read for item in items if isinstance(item, Candidate)]
    values = convert(index, found)
    if len(found) == len(pieces) and all(len(items) == 1 for items, _ in read) and all(type(p) is str for p in pieces):
        return None, Candidates.of(found, values)  # whole files (str pieces), one candidate each: ``Plain``
    numbers = iter(range(len(found)))
    return (
        [([item if isinstance(item, Problem) else next(numbers) for item in items], notes) for items, notes in read],
        Candidates.of(found, values),
    )


def files_per_job(files: int, workers: int, largest: int, per_worker: int) -> int:
    """Return how many of ``files`` single-article files go to one job: ``per_worker`` jobs each, at most ``largest``.

    Bigger jobs cost the driver less per article: a Ray task costs it about a millisecond of
    CPU, whatever its size. Smaller ones share the work out more evenly at the end.
    """
    return min(largest, max(FILES_PER_JOB, files // (workers * per_worker)))


def smallest_job(files: int, workers: int, smallest: int, per_worker: int) -> int:
    """Return the fewest of ``files`` single-article files a job on ``workers`` takes: ``smallest``, or fewer.

    Fewer for a corpus too small to give every worker ``per_worker`` jobs of that size, but
    never under the local 8. Ray's floor (64) is for its round trips; with it, 80 files on 2 nodes
    made 2 jobs, and one node did little.
    """
    return min(smallest, max(Executor.smallest_job, files // (workers * per_worker)))


def job_size(per_job: int, left: int, workers: int, smallest: int, tail: int) -> int:
    """Return how many files the next job takes: ``per_job``, shrinking once ``left`` files are few, to ``smallest``.

    Jobs of one size leave a worker idle for up to a whole job at the end while another finishes
    its last (4 s for 125 articles tokenised cold); shrinking them then to ``tail`` jobs a worker
    of what is left (``Executor.tail_jobs_per_worker``), as guided self-scheduling does, costs a
    few more round trips and leaves only short jobs for the end.
    """
    return min(per_job, max(smallest, left // (workers * tail)))


def _read(
    corpus: Path, names: Sequence[str], convert: Convert[T], executor: Executor
) -> Iterator[tuple[ReadPieces, Candidates[T]]]:
    """Yield each job's pieces in order, and its candidates; a piece as what it became, its file, whether it ends it.

    A file is its place in ``names``. Single-article files go to the workers ``files_per_job`` to a
    job (fewer at the end: ``job_size``), every other piece a job of its own.
    """
    per_job = files_per_job(len(names), executor.workers, executor.largest_job, executor.jobs_per_worker)
    smallest = smallest_job(len(names), executor.workers, executor.smallest_job, executor.jobs_per_worker)
    tail = executor.tail_jobs_per_worker
    ends: deque[tuple[str, bool]] = deque()
    # Jobs may run on other machines: they must find the corpus from any working folder.
    where = corpus.absolute()

    def jobs() -> Iterator[Job]:
        left = sum(single(name.lower()) for name in names)  # single-article files not yet sent
        files: list[Piece] = []
        index, size = 0, job_size(per_job, left, executor.workers, smallest, tail)
        for piece, name, ends_file in pieces_of(corpus, names, executor.workers):
            ends.append((name, ends_file))
            if isinstance(piece, str):
                files.append(piece)
                if len(files) < size:
                    continue
                pieces, files = files, []
                left -= len(pieces)
                size = job_size(per_job, left, executor.workers, smallest, tail)
            else:
                if files:
                    yield index, files
                    index, left, files = index + 1, left - len(files), []
                    size = job_size(per_job, left, executor.workers, smallest, tail)
                pieces = [piece]
            yield index, pieces
            index += 1
        if files:
            yield index, files

    notes: RecordNotes | None = None  # of the JSONL file being read, told at its end
    told = False  # whether the file being read gave anything yet
    file = 0  # the place of the file being read in ``names``
    # Bound once, not sent with every job: on Ray, through the object store once or with each task if small.
    for results, found in executor.map(partial(_read_job, where, convert), jobs()):
        if results is None:  # whole files, one candidate each: each ends its file, none is a JSONL file's
            for _ in range(len(found)):
                ends.popleft()
            yield Plain(file, len(found)), found
            file += len(found)
            continue
        made: list[tuple[list[Problem | int], int, bool]] = []
        for items, noted in results:
            name, ends_file = ends.popleft()
            if noted is not None:
                notes = notes or RecordNotes()
                notes.merge(noted)
            if ends_file and notes is not None:  # told even where the file's last piece is a problem of its own
                items = [*items, *notes.problems(name)]
                notes = None
            told = told or bool(items)
            if ends_file:
                if not told:  # an empty JSONL file, or an empty array: every file is accounted for
                    items = [_nothing_read(name)]
                told = False
            made.append((items, file, ends_file))
            file += ends_file
        yield made, found


def _together(read: Iterator[tuple[ReadPieces, Candidates[T]]]) -> Iterator[tuple[ReadPieces, Candidates[T]]]:
    """Join the jobs ``read`` yields into batches for the admission (``ADMIT_ARTICLES``, ``ADMIT_SECONDS``).

    The admission keeps its rule, one candidate at a time in reading order, on any cut into batches.
    """
    waiting: list[tuple[ReadPieces, Candidates[T]]] = []
    count, since = 0, 0.0
    for job in read:
        if not waiting:
            since = time.monotonic()
        waiting.append(job)
        count += len(job[1])
        if count >= ADMIT_ARTICLES or time.monotonic() - since >= ADMIT_SECONDS:
            yield _joined(waiting)
            waiting, count = [], 0
    if waiting:
        yield _joined(waiting)


def _joined(jobs: list[tuple[ReadPieces, Candidates[T]]]) -> tuple[ReadPieces, Candidates[T]]:
    """Return ``jobs`` as one: their pieces in order, each candidate numbered among all of theirs."""
    if len(jobs) == 1:
        return jobs[0]
    found = Candidates.joined([found for _, found in jobs])
    first = jobs[0][0]
    if all(isinstance(made, Plain) for made, _ in jobs) and isinstance(first, Plain):
        return Plain(first.first, len(found)), found  # consecutive jobs: their files follow one another
    pieces: list[tuple[list[Problem | int], int, bool]] = []
    start = 0
    for made, run in jobs:
        listed = made.pieces() if isinstance(made, Plain) else made
        pieces += [([i if isinstance(i, Problem) else i + start for i in items], file, e) for items, file, e in listed]
        start += len(run)
    return pieces, found


def _nothing_read(name: str) -> Problem:
    message = "holds no records (it is empty, or every line is blank, or an empty array): nothing was read from it"
    return Problem(code=Code.RAW_EMPTY, file=name, severity="warning", message=message)


def _each(convert: Callable[[Article], T], job: int, found: list[Candidate[Article]]) -> list[T]:
    return [convert(candidate.value) for candidate in found]


def _keep(article: Article) -> Article:
    return article


@overload
def iter_corpus(
    corpus: Path,
    on_file: Callable[[], None] | None = None,
    *,
    executor: Executor | None = None,
    listing: Listing | None = None,
    admission: Admission | None = None,
) -> Iterator[Article | Problem]: ...
@overload
def iter_corpus(
    corpus: Path,
    on_file: Callable[[], None] | None = None,
    *,
    convert: Callable[[Article], T],
    executor: Executor | None = None,
    listing: Listing | None = None,
    admission: Admission | None = None,
) -> Iterator[T | Problem]: ...
@overload
def iter_corpus(
    corpus: Path,
    on_file: Callable[[], None] | None = None,
    *,
    convert_job: Convert[T],
    executor: Executor | None = None,
    listing: Listing | None = None,
    admission: Admission | None = None,
) -> Iterator[T | Problem]: ...
def iter_corpus(
    corpus: Path,
    on_file: Callable[[], None] | None = None,
    *,
    convert: Callable[[Article], Any] = _keep,
    convert_job: Convert[Any] | None = None,
    executor: Executor | None = None,
    listing: Listing | None = None,
    admission: Admission | None = None,
) -> Iterator[Any]:
    """Yield every valid article (gold applied) and every problem, in a fixed order.

    With ``convert``, each article is yielded as ``convert(article)``; with ``convert_job``, the
    articles of each job are converted together (given the job's number) and yielded one by one.
    The work runs on ``executor`` (default: this process); on any executor what is yielded, and
    its order, stay the same. Then conversions must be module-level functions or partials of one.
    Only their small results travel between processes: an ``Article`` would cost about as much
    to unpickle as to parse. ``listing`` is the corpus's files if the caller listed them already;
    ``admission``, if given, is where the admitted articles' ids, files and lines are kept: it must be new, and
    made for the listing's article files (``Admission(listing.article_files())``), which are the files read.
    """
    listing = listing or Listing.of(corpus)
    admission = Admission(listing.article_files()) if admission is None else admission
    raw_names, gold_names, names = listing.raw, listing.gold, admission.names
    job_convert = convert_job or partial(_each, convert)
    for pieces, found in _together(_read(corpus, names, job_convert, executor or LocalExecutor(1))):
        if isinstance(pieces, Plain):
            yield from _plain(admission.admit_files(pieces.first, found), found, on_file)
            continue
        made = admission.admit([(items, file) for items, file, _ in pieces], found)
        for (_, _, ends_file), items in zip(pieces, made, strict=True):
            yield from items
            if ends_file and on_file:
                on_file()
    yield from unreadable_entries(corpus, listing.others)
    yield from orphans(admission, raw_names, gold_names)


def _plain(turned: list[Problem | None], found: Candidates[T], on_file: Callable[[], None] | None) -> Iterator[Any]:
    """Yield what each of ``found``, one a file, became (``turned``: its problem, or None if admitted), in order.

    As ``iter_corpus`` yields any piece's: a problem, or the gold's problems and the value.
    """
    values, gold = found.values, found.gold_problems
    for n, problem in enumerate(turned):
        if problem is not None:
            yield problem
        else:
            yield from gold.get(n, ())
            yield values[n]
        if on_file:
            on_file()


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
    corpus: Path,
    on_file: Callable[[], None] | None = None,
    processes: int | None = None,
    ray: str | None = None,
    listing: Listing | None = None,
) -> Report:
    """Parse every raw file and gold file of ``corpus``; report every problem.

    The work runs on ``processes`` cores (default: all), or on the Ray cluster at address ``ray``.
    ``listing`` is the corpus's files if the caller listed them already.
    """
    listing = listing or Listing.of(corpus)
    report = Report(files_checked=len(listing.raw) + len(listing.gold))  # what ``listing.inputs()`` names
    # Only whether each article is valid matters here, so nothing of it travels back.
    with executor_for(processes, ray) as executor:
        for result in iter_corpus(corpus, on_file, convert=_nothing, executor=executor, listing=listing):
            if isinstance(result, Problem):
                report.problems.append(result)
            else:
                report.articles_valid += 1
    return report
