"""What a release is built from: every input file (raw, sidecar, gold) with its sha256, and their hash."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path

from newscorpus.core.errors import ReleaseError
from newscorpus.core.executor import Executor
from newscorpus.core.names import Names
from newscorpus.core.plural import plural
from newscorpus.ingest.listing import Listing, sha256_file
from newscorpus.release.entries import DIGEST_BYTES, InputEntry, InputList

HASHES_PER_JOB, HASH_JOBS_PER_WORKER = 2048, 8
"""Files hashed in one job: at least ``HASHES_PER_JOB``, else about ``HASH_JOBS_PER_WORKER`` jobs per worker. Hashing
a file is quick beside a job's round trip, which costs a Ray driver about a millisecond of CPU whatever its size."""


def _sha256_files(job: tuple[Path, str, Names]) -> bytes:
    corpus, prefix, names = job
    digests = []
    root = str(corpus)
    for name in names:
        path = prefix + name
        try:
            # A str: joining and opening a Path cost about 4 µs of a small input's 17-20.
            digests.append(bytes.fromhex(sha256_file(os.path.join(root, path))))  # noqa: PTH118
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
    jobs = (
        (where, prefix, names[start : start + per_job])
        for prefix, names in paths.batches()
        for start in range(0, len(names), per_job)
    )
    # Made at its size and filled in place: grown or joined, the digests were held twice on the way.
    digests, at = bytearray(DIGEST_BYTES * len(paths)), 0
    for part in executor.map(_sha256_files, jobs):
        digests[at : at + len(part)] = part
        at += len(part)
    # From the columns, not the entries: an ``InputEntry`` made per input cost the driver 2 µs each, 0.5 this way.
    combined, view = hashlib.sha256(), memoryview(digests)
    for n, path in enumerate(paths):
        combined.update(f"{path}\0{view[DIGEST_BYTES * n : DIGEST_BYTES * (n + 1)].hex()}\n".encode())
    return InputList(paths, digests), combined.hexdigest()


def changed_inputs(before: Sequence[InputEntry], after: Sequence[InputEntry]) -> str:
    """Say which inputs differ between two lists, "" if none: how many, and the first five."""
    old, new = {e.path: e.sha256 for e in before}, {e.path: e.sha256 for e in after}
    changed = sorted(p for p in old.keys() | new.keys() if old.get(p) != new.get(p))
    if not changed:
        return ""
    return f"{plural(len(changed), 'input file')} changed ({', '.join(changed[:5])}{', …' if len(changed) > 5 else ''})"
