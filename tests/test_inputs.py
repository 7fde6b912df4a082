"""The inputs a release records: every file with its sha256, hashed in jobs sized to the workers."""

from __future__ import annotations

import hashlib
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newscorpus.core.errors import ReleaseError
from newscorpus.core.executor import LocalExecutor
from newscorpus.ingest.listing import Listing
from newscorpus.ingest.seal import SEAL_BYTES, gold_seal
from newscorpus.release import inputs
from newscorpus.release.inputs import hash_inputs

J = TypeVar("J")
R = TypeVar("R")


class _Sizing(LocalExecutor):
    """This process as the executor, claiming ``workers`` workers and noting each job's number of files."""

    def __init__(self, workers: int) -> None:
        super().__init__(1)
        self.workers, self.sizes = workers, list[int]()
        self.unapplied: list[tuple[str, object]] = []  # the prefix of each job, and the unapplied names it was given
        self.chunks: list[int] = []  # how many jobs each map sends together

    def map(self, work: Callable[[J], R], jobs: Iterable[J], chunk: int = 1) -> Iterator[R]:
        def noted(job: J) -> J:
            self.sizes.append(len(job[2]))  # type: ignore[index]
            if len(job) > 3:  # type: ignore[arg-type]  # a hashing job, not a stamping one
                self.unapplied.append((job[1], job[3]))  # type: ignore[index]
            return job

        self.chunks.append(chunk)
        return super().map(work, (noted(job) for job in jobs), chunk)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(files=st.integers(1, 60), workers=st.integers(1, 4), smallest=st.integers(1, 8), quick=st.integers(1, 4))
def test_inputs_are_hashed_in_jobs_sized_to_the_workers(
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    files: int,
    workers: int,
    smallest: int,
    quick: int,
) -> None:
    """Whatever the jobs, and however many travel together (Ray sends ``quick_jobs``), the hashes are the same."""
    corpus = tmp_path_factory.mktemp("corpus")
    (corpus / "raw").mkdir()
    for n in range(files):
        (corpus / "raw" / f"{n:03d}-ä.txt").write_bytes(f"Artikel {n}\n".encode())
    monkeypatch.setattr(inputs, "HASHES_PER_JOB", smallest)
    executor = _Sizing(workers)
    executor.quick_jobs = quick
    entries, combined, _ = hash_inputs(corpus, executor, Listing.of(corpus))
    assert executor.chunks == [quick]

    assert [(e.path, e.sha256) for e in entries] == [
        (p, hashlib.sha256((corpus / p).read_bytes()).hexdigest()) for p in Listing.of(corpus).inputs()
    ]
    assert combined == hashlib.sha256(b"".join(f"{e.path}\0{e.sha256}\n".encode() for e in entries)).hexdigest()
    assert sum(executor.sizes) == files
    assert len(executor.sizes) <= max(-(-files // smallest), 1)  # never smaller than the smallest job
    assert len(executor.sizes) <= workers * inputs.HASH_JOBS_PER_WORKER  # nor more jobs than the workers need
    assert all(size == executor.sizes[0] for size in executor.sizes[:-1])


def test_gold_files_are_hashed_after_the_raw_files_under_their_folder(tmp_path: Path) -> None:
    """Jobs stop where the raw files end: each file is hashed once, by its own path, raw files first."""
    files = {"raw/a.txt": b"Artikel a\n", "raw/b.txt": b"Artikel b\n", "annotations/a.json": b'{"id": "a"}'}
    for name, data in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    executor = _Sizing(2)
    entries, combined, _ = hash_inputs(tmp_path, executor, Listing.of(tmp_path))

    assert [(e.path, e.sha256) for e in entries] == [(p, hashlib.sha256(d).hexdigest()) for p, d in files.items()]
    assert executor.sizes == [2, 1]
    # Each file's line under its own folder, raw and gold alike.
    lines = "".join(f"{p}\0{hashlib.sha256(d).hexdigest()}\n" for p, d in files.items())
    assert combined == hashlib.sha256(lines.encode()).hexdigest()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(gold=st.integers(0, 12), smallest=st.integers(1, 5), unapplied=st.sets(st.integers(0, 11)))
def test_the_gold_seal_is_of_every_gold_file_but_the_unapplied_in_any_jobs(
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    gold: int,
    smallest: int,
    unapplied: set[int],
) -> None:
    corpus = tmp_path_factory.mktemp("corpus")
    (corpus / "raw").mkdir()
    (corpus / "raw" / "a.txt").write_bytes(b"Artikel\n")
    (corpus / "annotations").mkdir()
    names = [f"annotations/g-{n:02d}-ß.json" for n in range(gold)]
    for n, name in enumerate(names):
        (corpus / name).write_bytes(b'{"n": %d}' % n)
    monkeypatch.setattr(inputs, "HASHES_PER_JOB", smallest)
    left_out = {names[n] for n in unapplied if n < gold}
    executor = _Sizing(3)
    _, _, seal = hash_inputs(corpus, executor, Listing.of(corpus), left_out)
    assert all(given == (left_out if prefix == "annotations/" else ()) for prefix, given in executor.unapplied)

    expected = 0
    for name in set(names) - left_out:
        expected ^= int.from_bytes(gold_seal(name, hashlib.sha256((corpus / name).read_bytes()).digest()), "little")
    assert seal == expected.to_bytes(SEAL_BYTES, "little")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    files=st.integers(1, 14),
    gold=st.integers(0, 3),
    smallest=st.integers(1, 5),
    changed=st.sets(st.integers(0, 13)),
    how=st.sampled_from(["appended", "same size", "touched", "removed"]),
)
def test_raw_files_stamped_before_and_changed_since_are_named_in_any_jobs(
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    files: int,
    gold: int,
    smallest: int,
    changed: set[int],
    how: str,
) -> None:
    """A build stamps the raw files before it reads them; the hashing names those changed since, whatever the jobs."""
    corpus = tmp_path_factory.mktemp("corpus")
    (corpus / "raw").mkdir()
    (corpus / "annotations").mkdir()
    names = [f"raw/{n:02d}-ü.txt" for n in range(files)]
    day_ago = time.time_ns() - 86_400 * 10**9  # raw files are older than the build that reads them
    for n, name in enumerate(names):
        (corpus / name).write_bytes(f"Artikel {n}\n".encode())
        os.utime(corpus / name, ns=(day_ago, day_ago))
    for n in range(gold):
        (corpus / f"annotations/g{n}.json").write_bytes(b"{}")
    monkeypatch.setattr(inputs, "HASHES_PER_JOB", smallest)
    executor, listing = _Sizing(2), Listing.of(corpus)
    stamps = inputs.stamp_raw(corpus, executor, listing)
    touched = sorted(names[n] for n in changed if n < files)
    for name in touched:
        path = corpus / name
        if how == "appended":
            path.write_bytes(path.read_bytes() + b"mehr\n")
        elif how == "same size":
            path.write_bytes(path.read_bytes().replace(b"Artikel", b"Beitrag"))
        elif how == "touched":
            path.touch()
        else:
            path.unlink()

    if not touched:
        entries, _, _ = hash_inputs(corpus, executor, listing, stamps=stamps)
        assert [e.path for e in entries] == list(listing.inputs())
    elif how == "removed":
        with pytest.raises(ReleaseError, match=rf"^{re.escape(touched[0])} could not be read to hash it"):
            hash_inputs(corpus, executor, listing, stamps=stamps)
    else:
        with pytest.raises(ReleaseError, match=r"raw files? changed \((.*)\) while the build ran") as caught:
            hash_inputs(corpus, executor, listing, stamps=stamps)
        named = re.search(r"changed \((.*?)\) while", str(caught.value)).group(1).split(", ")  # type: ignore[union-attr]
        # The first job with a changed file names its own (jobs hold at most 5 files here): the first ones.
        assert named == touched[: len(named)]
        assert named
    if how != "removed":
        hash_inputs(corpus, executor, Listing.of(corpus))  # without stamps, nothing is checked


@settings(max_examples=40, deadline=None)
@given(
    size=st.integers(0, 1 << 30),
    mtime=st.integers(0, 4_000_000_000 * 10**9),
    other_size=st.integers(0, 1 << 30),
    other_mtime=st.integers(0, 4_000_000_000 * 10**9),
)
def test_a_change_of_size_or_of_time_alone_always_changes_the_stamp(
    tmp_path_factory: pytest.TempPathFactory, size: int, mtime: int, other_size: int, other_mtime: int
) -> None:
    path = tmp_path_factory.mktemp("stamp") / "a.txt"

    def stamped(length: int, ns: int) -> int:
        with path.open("wb") as handle:
            handle.truncate(length)  # sparse: a gigabyte costs nothing
        os.utime(path, ns=(ns, ns))
        return inputs._stamp(str(path))

    first = stamped(size, mtime)
    assert (stamped(other_size, mtime) == first) == (other_size == size)
    assert (stamped(size, other_mtime) == first) == (other_mtime == mtime)
    assert inputs._stamp(str(path.with_name("gone.txt"))) == 0  # a file not found
