"""What reading a raw file gave, cached by everything it depends on, so a rebuild re-parses only what changed.

An entry's key is the sha256 of the code (every file of the package, ``schemas/labels.yaml``
and the versions of the libraries that shape a record or a row), of what the reader makes of
each article (``purpose``), and of the file's name, its bytes and its sidecar's bytes. Gold is
applied after parsing and found by article id, so an entry also records the sha256 of each
article's gold file (or that it had none); an entry whose gold changed since is a miss.

Entries are pickles in the user's cache folder (``$NEWSCORPUS_CACHE``), like the token cache:
trusted as much as that folder is. They are written atomically but not synced: an entry that a
power cut leaves torn fails to load, and a failed load is a miss. Nothing is ever evicted;
deleting the folder is always safe.
"""

from __future__ import annotations

import contextlib
import hashlib
import pickle
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import TypeVar

from newscorpus.atomic import atomic_write_bytes
from newscorpus.gold import gold_path
from newscorpus.report import Problem
from newscorpus.resources import project_path
from newscorpus.sidecar import SIDECAR_SUFFIX
from newscorpus.tokens import cache_root

T = TypeVar("T")
_LIBRARIES = ("pydantic", "pydantic-core", "pyarrow", "datasets", "somajo", "charset-normalizer", "pyyaml")


@cache
def code_fingerprint() -> str:
    """Return the sha256 of everything that decides what a raw file becomes: the code, the labels, the libraries."""
    digest = hashlib.sha256(f"python {sys.version}\n".encode())
    for library in _LIBRARIES:
        digest.update(f"{library} {version(library)}\n".encode())
    package = Path(__file__).resolve().parent
    files = sorted(p for p in package.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    for path in [*files, project_path("schemas") / "labels.yaml"]:
        digest.update(f"{path.name}\0".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _sha256_or_none(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


@dataclass(frozen=True)
class FileCache:
    """Cached results of reading single-article raw files, for one ``purpose`` (what each article is made into)."""

    purpose: str
    folder: Path | None = None

    def _path(self, corpus: Path, name: str) -> Path:
        raw = corpus / name
        sidecar = raw.with_name(raw.name.rsplit(".", 1)[0] + SIDECAR_SUFFIX)
        key = hashlib.sha256(f"{code_fingerprint()}\0{self.purpose}\0{name}\0".encode())
        key.update(hashlib.sha256(raw.read_bytes()).digest())
        key.update((_sha256_or_none(sidecar) or "no sidecar").encode())
        hexkey = key.hexdigest()
        return (self.folder or cache_root() / "files") / hexkey[:2] / f"{hexkey}.pickle"

    def read(self, corpus: Path, name: str, make: Callable[[], list[T]]) -> list[T]:
        """Return what ``make()`` returns for raw file ``name``: cached if nothing it depends on changed.

        ``make`` returns problems and articles (anything else with an ``id``); the gold file of
        each article is part of what the result depends on.
        """
        try:
            path = self._path(corpus, name)
        except OSError:  # unreadable now: the reader reports it, and that report is not cached
            return make()
        with contextlib.suppress(Exception):  # a missing, torn or foreign entry is a miss, whatever it raises
            golds, items = pickle.loads(path.read_bytes())  # noqa: S301  (our own cache; see the module docs)
            if all(_sha256_or_none(gold_path(corpus, i)) == digest for i, digest in golds):
                return items
        items = make()
        ids = [item.id for item in items if not isinstance(item, Problem)]  # type: ignore[attr-defined]
        golds = [(i, _sha256_or_none(gold_path(corpus, i))) for i in ids]
        atomic_write_bytes(path, pickle.dumps((golds, items), protocol=pickle.HIGHEST_PROTOCOL), durable=False)
        return items
