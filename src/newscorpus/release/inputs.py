"""What a release is built from: every input file (raw, sidecar, gold) with its sha256, and their hash.

A build reads its raw files first and hashes them at the end. A file rewritten between the two
(a feed script adding files as the build runs, one still half written when listed) would leave a
release whose manifest records bytes it was not built from. So a build stamps the raw files
(their size and time of last change) before reading them, and the hashing checks the stamps
(``stamp_raw``, ``hash_inputs``). Gold files have their own, stronger check (``ingest.seal``).
"""

from __future__ import annotations

import hashlib
import os
from array import array
from collections.abc import Collection, Iterable, Iterator, Sequence
from pathlib import Path
from typing import NamedTuple, TypeAlias

import numpy as np

from newscorpus.core.codes import Code
from newscorpus.core.errors import ReleaseError
from newscorpus.core.executor import Executor
from newscorpus.core.names import GrowingNames, Names
from newscorpus.core.plural import plural
from newscorpus.core.report import Problem
from newscorpus.ingest.listing import RAW_DIR, Listing, sha256_file
from newscorpus.ingest.seal import NO_SEAL, SEAL_BYTES, folded, gold_seal, joined
from newscorpus.model.gold import ANNOTATIONS_DIR
from newscorpus.release.entries import DIGEST_BYTES, InputEntry, InputList, hex_digests, interleaved

HASHES_PER_JOB, HASH_JOBS_PER_WORKER = 2048, 8
"""Files hashed in one job: at least ``HASHES_PER_JOB``, else about ``HASH_JOBS_PER_WORKER`` jobs per worker. Hashing
a file is quick beside a job's round trip, which costs a Ray driver about a millisecond of CPU whatever its size."""


class HashedInputs(NamedTuple):
    """Every input file with its hash, their hash, and the seal of the gold files among them (``ingest.seal``)."""

    inputs: InputList
    inputs_sha256: str
    gold_seal: bytes  # of every gold file but the unapplied ones named to ``hash_inputs``


_GOLD_PREFIX, _RAW_PREFIX = f"{ANNOTATIONS_DIR}/", f"{RAW_DIR}/"
Stamps: TypeAlias = "array[int]"
"""Raw files' stamps (``_stamp``), in the listing's order: 8 bytes a file, held by the driver all through a build."""
_MIX = 0x9E3779B97F4A7C15  # odd: times it, sizes stay distinct modulo 2**64, so a change of size alone always shows


def _stamp(path: str) -> int:
    """Return the file at ``path``'s size and time of last change (ns) mixed into 64 bits; 0 if it cannot be found."""
    try:
        found = os.stat(path)  # noqa: PTH116 - a str path: see _sha256_files
    except OSError:
        return 0
    return (found.st_mtime_ns ^ (found.st_size * _MIX)) & 0xFFFF_FFFF_FFFF_FFFF


def _stamp_files(job: tuple[Path, str, Names]) -> bytes:
    """Return the stamps of the files of a job, one after another."""
    corpus, prefix, names = job
    root = str(corpus)
    return array("Q", [_stamp(os.path.join(root, prefix + name)) for name in names]).tobytes()  # noqa: PTH118


def _some_changed(paths: Sequence[str], noun: str) -> str:
    """Say that ``paths`` (``noun``s) changed, naming the first five."""
    return f"{plural(len(paths), noun)} changed ({', '.join(paths[:5])}{', …' if len(paths) > 5 else ''})"


def _changed(paths: Sequence[str]) -> ReleaseError:
    return ReleaseError(
        f"{_some_changed(paths, 'raw file')} while the build ran: size or time of last change are not what they "
        "were before the reading, so the manifest could record other bytes than those released. Nothing was "
        "released. Build again once the files stay as they are; a script that adds files should write each under "
        "a name starting with a dot and then rename it, so that no build lists one half written."
    )


def _sha256_files(job: tuple[Path, str, Names, Collection[str], bytes | None]) -> tuple[bytes, bytes]:
    """Return the sha256 of each file of a job, one after another, and the seal of its gold files but ``unapplied``.

    Given their ``stamps`` (``stamp_raw``), a file whose stamp differs now, once hashed, is refused.
    """
    corpus, prefix, names, unapplied, stamps = job
    digests, seals = [], []
    root = str(corpus)
    before = array("Q", stamps or b"")
    changed = []
    for n, name in enumerate(names):
        path = prefix + name
        # A str: joining and opening a Path cost about 4 µs of a small input's 17-20.
        where = os.path.join(root, path)  # noqa: PTH118
        try:
            digest = bytes.fromhex(sha256_file(where))
        except OSError as exc:
            raise ReleaseError(
                f"{path} could not be read to hash it ({exc.strerror or exc}): it changed while the build ran, or "
                "may not be read. Nothing was released. Check it, then build again."
            ) from None
        if stamps is not None and _stamp(where) != before[n]:  # taken after the hash
            changed.append(path)
        digests.append(digest)
        if prefix == _GOLD_PREFIX and path not in unapplied:
            seals.append(gold_seal(path, digest))
    if changed:
        raise _changed(changed)
    seal = folded(np.frombuffer(b"".join(seals), dtype=np.uint8).reshape(len(seals), SEAL_BYTES))
    return b"".join(digests), seal


def _hashed_lines(prefix: str, names: Names, digests: bytes | bytearray) -> bytes:
    """Return what the inputs' hash hashes of ``names`` (each read as ``prefix`` and the name) with their ``digests``.

    A line per file: its path, NUL, its sha256 in hex. Made here (0.17 µs an input): the jobs made them before, and
    sending them back (90 bytes an input) cost the driver more.
    """
    return interleaved([prefix, list(names), "\0", hex_digests(digests), "\n"], len(names)).encode()


def _jobs(
    corpus: Path, executor: Executor, paths: GrowingNames, raw_only: bool = False
) -> Iterator[tuple[Path, str, Names]]:
    """Yield the jobs the inputs ``paths`` (``Listing.inputs``) are stamped and hashed in: folder, prefix, names."""
    where = corpus.absolute()
    per_job = max(HASHES_PER_JOB, -(-len(paths) // (executor.workers * HASH_JOBS_PER_WORKER)))
    for prefix, names in paths.batches():
        if raw_only and prefix != _RAW_PREFIX:
            return
        for start in range(0, len(names), per_job):
            yield where, prefix, names[start : start + per_job]


def stamp_raw(corpus: Path, executor: Executor, listing: Listing) -> Stamps:
    """Return the stamps of the raw files and sidecars of ``listing``, made on ``executor``: before a build reads them.

    ``hash_inputs`` given them refuses a file whose stamp differs once it is hashed.
    """
    stamps = array("Q")
    for part in executor.map(
        _stamp_files, _jobs(corpus, executor, listing.inputs(), raw_only=True), executor.quick_jobs
    ):
        stamps.frombytes(part)
    return stamps


def hash_inputs(
    corpus: Path,
    executor: Executor,
    listing: Listing | None = None,
    unapplied: Collection[str] = frozenset(),
    stamps: Stamps | None = None,
) -> HashedInputs:
    """Return every input file (of ``listing``, else listed now) with its hash (on ``executor``), and their hash.

    Also the seal of the gold files, but for ``unapplied`` (names relative to the corpus): those no
    article took, the orphans. A build compares it with the seal of the gold its articles applied.
    With the raw files' ``stamps`` (``stamp_raw``, of the same listing), a raw file stamped otherwise
    now is refused with a ``ReleaseError``.
    """
    paths = (listing or Listing.of(corpus)).inputs()

    def jobs() -> Iterator[tuple[Path, str, Names, Collection[str], bytes | None]]:
        at = 0  # the raw files sent so far
        for where, prefix, names in _jobs(corpus, executor, paths):
            given = None
            if stamps is not None and prefix == _RAW_PREFIX:
                given, at = stamps[at : at + len(names)].tobytes(), at + len(names)
            yield where, prefix, names, unapplied if prefix == _GOLD_PREFIX else (), given

    # Made at its size and filled in place: grown or joined, the digests were held twice on the way.
    digests, at, seal = bytearray(DIGEST_BYTES * len(paths)), 0, NO_SEAL
    for part, part_seal in executor.map(_sha256_files, jobs(), executor.quick_jobs):
        digests[at : at + len(part)] = part
        at += len(part)
        seal = joined(seal, part_seal)
    combined, at = hashlib.sha256(), 0
    for _, prefix, names in _jobs(corpus, executor, paths):  # a job's part at a time: the lines of all are big
        combined.update(_hashed_lines(prefix, names, digests[at : at + DIGEST_BYTES * len(names)]))
        at += DIGEST_BYTES * len(names)
    return HashedInputs(InputList(paths, digests), combined.hexdigest(), seal)


def sealed_inputs(
    corpus: Path, executor: Executor, listing: Listing, problems: Iterable[Problem], applied: bytes, stamps: Stamps
) -> HashedInputs:
    """Hash the inputs (``hash_inputs``) and check that they are those read: the gold's seal ``applied``, ``stamps``.

    ``problems`` are the build's; its orphaned gold files were applied to no article. A gold file
    rewritten, added or removed while the build ran breaks the seal, a raw file rewritten its stamp:
    the build is refused.
    """
    unapplied = {p.file for p in problems if p.code == Code.GOLD_ORPHAN}
    hashed = hash_inputs(corpus, executor, listing, unapplied, stamps)
    if hashed.gold_seal != applied:
        raise ReleaseError(
            f"The gold files in {ANNOTATIONS_DIR}/ changed while the build ran (a `newscorpus labelstudio pull`?): "
            "those the articles were read with are not those the manifest would record. Nothing was released. "
            "Try the build again once they stay as they are."
        )
    return hashed


def changed_inputs(before: Sequence[InputEntry], after: Sequence[InputEntry]) -> str:
    """Say which inputs differ between two lists, "" if none: how many, and the first five."""
    old, new = {e.path: e.sha256 for e in before}, {e.path: e.sha256 for e in after}
    changed = sorted(p for p in old.keys() | new.keys() if old.get(p) != new.get(p))
    return _some_changed(changed, "input file") if changed else ""
