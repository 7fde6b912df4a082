"""Reading a corpus on every core gives what reading it here gives: the same items in the same order."""

from __future__ import annotations

import itertools
import json
import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES, SEED_NAME
from helpers import add_json_articles, write_gold
from hypothesis import given
from hypothesis import strategies as st

from newscorpus.core.codes import Code
from newscorpus.core.executor import LocalExecutor, RayExecutor
from newscorpus.core.report import Problem
from newscorpus.ingest import corpus as corpus_module
from newscorpus.ingest import pieces
from newscorpus.ingest.corpus import FILES_PER_JOB, iter_corpus
from newscorpus.ingest.listing import raw_files
from newscorpus.ingest.pieces import RECORDS_PER_JOB, jsonl_ranges
from newscorpus.model.article import Article

BAD = FIXTURES / "bad"


def summary(article: Article) -> tuple[str, str, str, int]:
    """What the tests compare of an article; module-level, so it can travel to the workers."""
    return article.id, article.text_sha256, article.annotation.entities.status, len(article.entities)


@pytest.fixture
def mixed_corpus(corpus: Path) -> Path:
    """Every kind of input, across several jobs: bad files, a long JSONL, duplicates, good and stale gold."""
    for fixture in sorted(BAD.iterdir()):
        if fixture.name not in {"README.md", "make_fixtures.py"}:
            shutil.copy(fixture, corpus / "raw" / fixture.name)
    seed = (corpus / "raw" / f"{SEED_NAME}.txt").read_text(encoding="utf-8")
    many = corpus / "raw" / "many"
    many.mkdir()
    for i in range(FILES_PER_JOB + 7):
        # Every fifth a copy of the one before: duplicates by text, some across job boundaries.
        variant = seed.replace("Paris", f"Paris ({i - (i % 5 == 4)})")
        (many / f"artikel-{i:03d}.txt").write_text(variant, encoding="utf-8")
    add_json_articles(corpus, RECORDS_PER_JOB * 3 + 5)
    add_json_articles(corpus, 2, name="zz-repeat.jsonl", url="https://example.org/artikel/bulk.jsonl-0.html")
    # Copies: the seed's bytes without its sidecar, and a record of the long JSONL with its whitespace changed.
    shutil.copy(corpus / "raw" / f"{SEED_NAME}.txt", many / "zz-copy.txt")
    record = json.loads((corpus / "raw" / "bulk.jsonl").read_text(encoding="utf-8").splitlines()[RECORDS_PER_JOB + 1])
    record |= {"url": "https://example.org/respaced", "body": record["body"].replace(" ", "\n  ")}
    (corpus / "raw" / "zz-respaced.json").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    first = next(a for a in iter_corpus(corpus) if isinstance(a, Article) and a.id.startswith("artikel-001"))
    write_gold(corpus, first, [("Paris", "LOC")])
    stale = write_gold(corpus, next(a for a in iter_corpus(corpus) if isinstance(a, Article)), [])
    stale.write_text(json.dumps({**json.loads(stale.read_text(encoding="utf-8")), "text_sha256": "0" * 64}))
    (corpus / "annotations" / "nobody.json").write_text("{}", encoding="utf-8")
    return corpus


def read(corpus: Path, processes: int) -> tuple[list[object], int]:
    files = []
    with LocalExecutor(processes) as executor:
        items = list(iter_corpus(corpus, lambda: files.append(1), convert=summary, executor=executor))
    return items, len(files)


def test_reading_on_two_cores_gives_the_same_items_in_the_same_order(mixed_corpus: Path) -> None:
    here, files_here = read(mixed_corpus, 1)
    there, files_there = read(mixed_corpus, 2)
    assert there == here
    assert files_here == files_there == len(raw_files(mixed_corpus))
    plain = [summary(a) if isinstance(a, Article) else a for a in iter_corpus(mixed_corpus)]
    assert plain == here

    problems = [p for p in here if isinstance(p, Problem)]
    assert {"raw/many/zz-copy.txt", "raw/zz-respaced.json"} <= {p.file for p in problems if p.severity == "warning"}
    expected = {Code.DUPLICATE_EXACT, Code.DUPLICATE_TEXT, Code.ID_DUPLICATE, Code.GOLD_STALE, Code.GOLD_ORPHAN}
    assert expected <= {p.code for p in problems}
    orphans = [(p.file, p.article_id) for p in problems if p.code is Code.GOLD_ORPHAN]
    assert orphans == [("annotations/nobody.json", "nobody")]
    assert any(isinstance(a, tuple) and a[2] == "gold" and a[3] == 1 for a in here)
    assert sum(isinstance(a, tuple) for a in here) > FILES_PER_JOB + RECORDS_PER_JOB * 3


def test_a_jsonl_file_read_in_byte_ranges_gives_what_reading_it_whole_gives(
    mixed_corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole, _ = read(mixed_corpus, 2)
    # Ranges of a few records each: the long JSONL file is read by several jobs, its notes told once at its end.
    monkeypatch.setattr(pieces, "MIN_RANGE_BYTES", 2000)
    size = (mixed_corpus / "raw" / "bulk.jsonl").stat().st_size
    assert len(list(jsonl_ranges(mixed_corpus / "raw" / "bulk.jsonl", "raw/bulk.jsonl", 2000))) > 3 < size // 2000
    parts, files = read(mixed_corpus, 2)
    assert parts == whole
    assert files == len(raw_files(mixed_corpus))


@given(
    lines=st.lists(st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"")), max_size=30),
    newline_at_end=st.booleans(),
    size=st.integers(1, 200),
    workers=st.integers(1, 4),
)
def test_byte_ranges_cover_a_jsonl_file_in_whole_lines_and_number_them(
    tmp_path_factory: pytest.TempPathFactory, lines: list[bytes], newline_at_end: bool, size: int, workers: int
) -> None:
    data = b"\n".join(lines) + (b"\n" if newline_at_end and lines else b"")
    path = tmp_path_factory.mktemp("ranges") / "f.jsonl"
    path.write_bytes(data)
    ranges = list(jsonl_ranges(path, "raw/f.jsonl", size, workers))
    assert ranges[0].start == 0
    assert ranges[-1].stop == len(data)
    assert ranges[-1].last
    assert not any(r.last for r in ranges[:-1])
    for before, after in itertools.pairwise(ranges):
        assert before.stop == after.start
        assert data[before.stop - 1 : before.stop] == b"\n"
    for part in ranges:
        assert part.line == data[: part.start].count(b"\n") + 1


@pytest.mark.parametrize("workers", [2, 3])
def test_the_last_ranges_of_a_jsonl_file_shrink_so_that_no_worker_waits_long_for_another(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    monkeypatch.setattr(pieces, "MIN_RANGE_BYTES", 1_000)
    path = tmp_path / "f.jsonl"
    path.write_bytes(b"".join(b'{"n": %07d, "pad": "%s"}\n' % (n, b"x" * 70) for n in range(2_000)))  # 100 bytes
    size = 20_000
    lengths = [r.stop - r.start for r in jsonl_ranges(path, "raw/f.jsonl", size, workers)]
    assert lengths[0] >= size  # full ranges first: a range ends at the line after its size
    assert lengths[-1] <= 1_100  # the smallest range, and a line
    assert lengths == sorted(lengths, reverse=True)  # never growing again
    for at, length in enumerate(lengths):  # each at most its share of what was left, or the smallest
        left = sum(lengths[at:])
        assert length <= max(1_000, min(size, left // (2 * workers))) + 100


def schedule(per_job: int, files: int, workers: int, smallest: int, tail: int) -> list[int]:
    """The sizes of the jobs that ``files`` single-article files make, as ``_read`` cuts them."""
    sizes, left = [], files
    while left:
        size = min(left, corpus_module.job_size(per_job, left, workers, smallest, tail))
        sizes.append(size)
        left -= size
    return sizes


@given(
    st.integers(1, 512),
    st.integers(0, 20_000),
    st.integers(1, 64),
    st.sampled_from([LocalExecutor, RayExecutor]),
)
def test_jobs_keep_their_size_then_shrink_toward_the_end(
    per_job: int, files: int, workers: int, kind: type[LocalExecutor | RayExecutor]
) -> None:
    smallest, at_end = kind.smallest_job, kind.tail_jobs_per_worker
    sizes = schedule(per_job, files, workers, smallest, at_end)
    assert sum(sizes) == files
    assert all(0 < size <= per_job for size in sizes)
    assert sizes == sorted(sizes, reverse=True)  # never a big job after a small one
    tail = min(per_job, smallest)
    if workers * at_end > 1:  # the last job is short, but where one worker takes one at the end: nobody waits for it
        assert not sizes or sizes[-1] <= tail
    assert all(size >= tail for size in sizes[:-1])  # but none is smaller than the executor's smallest, but the last
    # While every worker still has ``at_end`` full jobs ahead, jobs keep the full size.
    full = sum(1 for n in itertools.accumulate(sizes, initial=0) if files - n >= at_end * workers * per_job)
    assert sizes[: min(full, len(sizes))] == [per_job] * min(full, len(sizes))


@given(st.integers(0, 10**7), st.integers(1, 1000), st.sampled_from([LocalExecutor, RayExecutor]))
def test_jobs_grow_with_the_files_per_worker_up_to_the_executor_s_largest(
    files: int, workers: int, kind: type[LocalExecutor | RayExecutor]
) -> None:
    """A Ray task costs the driver more than a local job: Ray's jobs may grow bigger, never past its largest."""
    jobs = workers * kind.jobs_per_worker  # what the workers should get, at most
    per_job = corpus_module.files_per_job(files, workers, kind.largest_job, kind.jobs_per_worker)
    assert corpus_module.FILES_PER_JOB <= per_job <= kind.largest_job
    many = jobs * kind.largest_job  # so many files fill every job
    assert (
        corpus_module.files_per_job(many + files, workers, kind.largest_job, kind.jobs_per_worker) == kind.largest_job
    )
    if corpus_module.FILES_PER_JOB < per_job < kind.largest_job:  # neither bound: the workers get their jobs
        assert jobs <= files // per_job < 2 * jobs


@given(st.integers(0, 10**6), st.integers(1, 1000), st.sampled_from([LocalExecutor, RayExecutor]))
def test_the_smallest_job_is_the_executor_s_unless_the_corpus_is_small(
    files: int, workers: int, kind: type[LocalExecutor | RayExecutor]
) -> None:
    """A small corpus on Ray gets the local floor, so every node has jobs; a big one Ray's, for fewer round trips."""
    smallest = corpus_module.smallest_job(files, workers, kind.smallest_job, kind.jobs_per_worker)
    assert LocalExecutor.smallest_job <= smallest <= kind.smallest_job
    per_worker = workers * kind.jobs_per_worker  # jobs that keep every worker busy
    assert smallest * per_worker <= max(files, LocalExecutor.smallest_job * per_worker)
    enough = workers * kind.jobs_per_worker * kind.smallest_job
    assert (
        corpus_module.smallest_job(enough + files, workers, kind.smallest_job, kind.jobs_per_worker)
        == kind.smallest_job
    )


def test_the_jobs_of_a_read_shrink_at_its_end(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What ``_read`` sends: full jobs, then smaller ones, every file once and in order."""
    for i in range(100):
        (corpus / "raw" / f"artikel-{i:03d}.json").write_text(
            json.dumps({"id": f"artikel-{i:03d}", "headline": "Meldung", "body": f"Ein Satz über Köln, Nummer {i}."}),
            encoding="utf-8",
        )
    monkeypatch.setattr(corpus_module, "files_per_job", lambda files, workers, largest, per_worker: 20)
    sent: list[int] = []

    class Recording(LocalExecutor):
        def map(self, work, jobs, chunk=1):
            def noted():
                for job in jobs:
                    sent.append(len(job[1]))
                    yield job

            return super().map(work, noted(), chunk)

    items = list(iter_corpus(corpus, executor=Recording(1)))
    assert sum(isinstance(item, Article) for item in items) == 101  # the seed and the 100
    assert sum(sent) == 101
    assert sent[0] == 20
    assert sent == sorted(sent, reverse=True)
    assert sent[-1] <= LocalExecutor.smallest_job


@pytest.mark.parametrize("processes", [1, 2])
def test_jobs_admitted_together_give_what_jobs_admitted_one_by_one_give(
    mixed_corpus: Path, monkeypatch: pytest.MonkeyPatch, processes: int
) -> None:
    """The driver admits a batch of jobs at once: any cut into batches gives the same items in the same order."""
    admitted: list[int] = []
    admit = corpus_module.Admission._admit  # where ``admit`` and ``admit_files`` (whole files alone) both go

    def counted(self, found, files):  # type: ignore[no-untyped-def]
        admitted.append(len(found))
        return admit(self, found, files)

    monkeypatch.setattr(corpus_module.Admission, "_admit", counted)
    runs = {}
    for articles, seconds in ((1, 0.0), (10**9, 1e9), (40, 1e9)):
        monkeypatch.setattr(corpus_module, "ADMIT_ARTICLES", articles)
        monkeypatch.setattr(corpus_module, "ADMIT_SECONDS", seconds)
        admitted.clear()
        runs[articles] = read(mixed_corpus, processes), list(admitted)
    (one_by_one, jobs), (all_at_once, whole), (by_forty, forties) = runs[1], runs[10**9], runs[40]
    assert all_at_once == by_forty == one_by_one
    assert len(jobs) > 3  # every job alone
    assert whole == [sum(jobs)]  # all of them as one batch
    assert len(jobs) > len(forties) > 1
    assert all(n >= 40 for n in forties[:-1])
    assert sum(forties) == sum(jobs)


def test_jobs_of_whole_files_told_in_one_word_give_what_listed_pieces_give(
    mixed_corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A job of whole files that gave one candidate each comes back without its pieces (``Plain``): the same items in
    the same order as with every piece listed, duplicates, gold problems and JSONL files between them included."""
    plain: list[int] = []
    admit_files = corpus_module.Admission.admit_files

    def counted(self, first, found):  # type: ignore[no-untyped-def]
        plain.append(len(found))
        return admit_files(self, first, found)

    monkeypatch.setattr(corpus_module.Admission, "admit_files", counted)
    monkeypatch.setattr(corpus_module, "ADMIT_ARTICLES", 1)  # each job a batch: one of listed pieces lists them all
    told = read(mixed_corpus, 1)
    assert len(plain) > 1  # some batches were whole files alone, told in one word
    real = corpus_module._read_job

    def listed(corpus, convert, job):  # type: ignore[no-untyped-def]
        made, found = real(corpus, convert, job)
        return ([([n], None) for n in range(len(found))] if made is None else made), found

    monkeypatch.setattr(corpus_module, "_read_job", listed)
    plain.clear()
    assert read(mixed_corpus, 1) == told
    assert plain == []
