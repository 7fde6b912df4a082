"""What a release is built from: every input file (raw, sidecar, gold) with its sha256, and their hash."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np

from newscorpus.core.codes import Code
from newscorpus.core.errors import ReleaseError
from newscorpus.core.executor import Executor
from newscorpus.core.names import Names
from newscorpus.core.plural import plural
from newscorpus.core.report import Problem
from newscorpus.ingest.listing import Listing, sha256_file
from newscorpus.ingest.seal import NO_SEAL, SEAL_BYTES, folded, gold_seal, joined
from newscorpus.model.gold import ANNOTATIONS_DIR
from newscorpus.release.entries import DIGEST_BYTES, InputEntry, InputList

HASHES_PER_JOB, HASH_JOBS_PER_WORKER = 2048, 8
"""Files hashed in one job: at least ``HASHES_PER_JOB``, else about ``HASH_JOBS_PER_WORKER`` jobs per worker. Hashing
a file is quick beside a job's round trip, which costs a Ray driver about a millisecond of CPU whatever its size."""


class HashedInputs(NamedTuple):
    """Every input file with its hash, their hash, and the seal of the gold files among them (``ingest.seal``)."""

    inputs: InputList
    inputs_sha256: str
    gold_seal: bytes  # of every gold file but the unapplied ones named to ``hash_inputs``


_GOLD_PREFIX = f"{ANNOTATIONS_DIR}/"


def _sha256_files(job: tuple[Path, str, Names, Collection[str]]) -> tuple[bytes, bytes, bytes]:
    """Return the sha256 of each file of a job, one after another, and the seal of its gold files but ``unapplied``.

    And the job's part of what the inputs' hash hashes: a line per file, its path and its sha256 in hex (made
    here, not on the driver: 1 µs an input there).
    """
    corpus, prefix, names, unapplied = job
    digests, seals, lines = [], [], []
    root = str(corpus)
    for name in names:
        path = prefix + name
        try:
            # A str: joining and opening a Path cost about 4 µs of a small input's 17-20.
            digest = bytes.fromhex(sha256_file(os.path.join(root, path)))  # noqa: PTH118
        except OSError as exc:
            raise ReleaseError(
                f"{path} could not be read to hash it ({exc.strerror or exc}): it changed while the build ran, or "
                "may not be read. Nothing was released. Check it, then build again."
            ) from None
        digests.append(digest)
        lines.append(f"{path}\0{digest.hex()}\n")
        if prefix == _GOLD_PREFIX and path not in unapplied:
            seals.append(gold_seal(path, digest))
    seal = folded(np.frombuffer(b"".join(seals), dtype=np.uint8).reshape(len(seals), SEAL_BYTES))
    return b"".join(digests), seal, "".join(lines).encode()


def hash_inputs(
    corpus: Path, executor: Executor, listing: Listing | None = None, unapplied: Collection[str] = frozenset()
) -> HashedInputs:
    """Return every input file (of ``listing``, else listed now) with its hash (on ``executor``), and their hash.

    Also the seal of the gold files, but for ``unapplied`` (names relative to the corpus): those no
    article took, the orphans. A build compares it with the seal of the gold its articles applied.
    """
    paths = (listing or Listing.of(corpus)).inputs()
    where = corpus.absolute()
    per_job = max(HASHES_PER_JOB, -(-len(paths) // (executor.workers * HASH_JOBS_PER_WORKER)))
    jobs = (
        (where, prefix, names[start : start + per_job], unapplied if prefix == _GOLD_PREFIX else ())
        for prefix, names in paths.batches()
        for start in range(0, len(names), per_job)
    )
    # Made at its size and filled in place: grown or joined, the digests were held twice on the way.
    digests, at, seal, combined = bytearray(DIGEST_BYTES * len(paths)), 0, NO_SEAL, hashlib.sha256()
    for part, part_seal, lines in executor.map(_sha256_files, jobs, executor.quick_jobs):
        digests[at : at + len(part)] = part
        at += len(part)
        seal = joined(seal, part_seal)
        combined.update(lines)
    return HashedInputs(InputList(paths, digests), combined.hexdigest(), seal)


def sealed_inputs(
    corpus: Path, executor: Executor, listing: Listing, problems: Iterable[Problem], applied: bytes
) -> HashedInputs:
    """Hash the inputs (``hash_inputs``) and check that the gold files hashed are those read: the seal ``applied``.

    ``problems`` are the build's; its orphaned gold files were applied to no article. A gold file
    rewritten, added or removed while the build ran breaks the seal: the build is refused.
    """
    unapplied = {p.file for p in problems if p.code == Code.GOLD_ORPHAN}
    hashed = hash_inputs(corpus, executor, listing, unapplied)
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
    if not changed:
        return ""
    return f"{plural(len(changed), 'input file')} changed ({', '.join(changed[:5])}{', …' if len(changed) > 5 else ''})"
