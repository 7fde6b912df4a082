"""Listing a corpus folder: its raw files (with sidecars) and gold files, in a fixed order, as names."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from newscorpus.core.errors import UsageError
from newscorpus.model.gold import ANNOTATIONS_DIR
from newscorpus.model.sidecar import SIDECAR_SUFFIX

RAW_DIR = "raw"


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


def relative_name(corpus: Path, path: Path) -> str:
    """Return how a file is named in reports and manifests: relative to the corpus, with /."""
    return path.relative_to(corpus).as_posix()


def raw_files(corpus: Path) -> list[Path]:
    """Return the raw article files in their fixed reading order (sidecars excluded)."""
    return [corpus / name for name in Listing.of(corpus).article_files()]


@dataclass(frozen=True)
class Listing:
    """The files of a corpus folder, listed once: a command reads them, and a release records them, from one list."""

    raw: list[str]  # under raw/ (sidecars too), relative to it
    gold: list[str]  # under annotations/, relative to it

    @classmethod
    def of(cls, corpus: Path) -> Listing:
        """List the raw files and gold files of ``corpus`` now."""
        return cls(file_names(check_corpus(corpus) / RAW_DIR), file_names(corpus / ANNOTATIONS_DIR))

    def article_files(self) -> list[str]:
        """Return the raw files that hold articles (sidecars left out), relative to the corpus, in reading order."""
        return [f"{RAW_DIR}/{name}" for name in self.raw if not name.endswith(SIDECAR_SUFFIX)]

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
