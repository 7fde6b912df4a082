"""What a release is built from: every input file (raw, sidecar, gold) with its sha256, and their hash."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from newscorpus.core.errors import ReleaseError
from newscorpus.core.executor import Executor
from newscorpus.core.names import Names
from newscorpus.core.plural import plural
from newscorpus.ingest.listing import Listing, sha256_file
from newscorpus.release.entries import InputEntry, InputList

HASHES_PER_JOB, HASH_JOBS_PER_WORKER = 2048, 8
"""Files hashed in one job: at least ``HASHES_PER_JOB``, else about ``HASH_JOBS_PER_WORKER`` jobs per worker. Hashing
a file is quick beside a job's round trip, which costs a Ray driver about a millisecond of CPU whatever its size."""


def _sha256_files(job: tuple[Path, Names]) -> bytes:
    corpus, paths = job
    digests = []
    for path in paths:
        try:
            digests.append(bytes.fromhex(sha256_file(corpus / path)))
        except OSError as exc:
            raise ReleaseError(
                f"{path} could not be read to hash it ({exc.strerror or exc}): it changed while the build ran, or "
                "may not be read. Nothing was released. Check it, then build again."
            ) from None
    return b"".join(digests)


def hash_inputs(corpus: Path, executor: Executor, listing: Listing | None = None) -> tuple[InputList, str]:
    """Return every input file (of ``listing``, else listed now) with its hash (on ``executor``), and their hash."""
    paths = (listing or Listing.of(corpus)).inputs()
    where = corpus.absolute()
    per_job = max(HASHES_PER_JOB, -(-len(paths) // (executor.workers * HASH_JOBS_PER_WORKER)))
    jobs = ((where, paths[start : start + per_job]) for start in range(0, len(paths), per_job))
    digests = bytearray()  # grown in place: joining the jobs' digests would hold them twice
    for part in executor.map(_sha256_files, jobs):
        digests += part
    inputs = InputList(paths, digests)
    combined = hashlib.sha256()
    for entry in inputs:
        combined.update(f"{entry.path}\0{entry.sha256}\n".encode())
    return inputs, combined.hexdigest()


def changed_inputs(before: Sequence[InputEntry], after: Sequence[InputEntry]) -> str:
    """Say which inputs differ between two lists, "" if none: how many, and the first five."""
    old, new = {e.path: e.sha256 for e in before}, {e.path: e.sha256 for e in after}
    changed = sorted(p for p in old.keys() | new.keys() if old.get(p) != new.get(p))
    if not changed:
        return ""
    return f"{plural(len(changed), 'input file')} changed ({', '.join(changed[:5])}{', …' if len(changed) > 5 else ''})"
