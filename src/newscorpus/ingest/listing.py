"""Listing a corpus folder: its raw files (with sidecars) and gold files, in a fixed order, as names."""

from __future__ import annotations

import hashlib
import os
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from newscorpus.core.codes import Code
from newscorpus.core.errors import UsageError
from newscorpus.core.names import GrowingNames, Names, NamesAt
from newscorpus.core.report import Problem
from newscorpus.model.gold import ANNOTATIONS_DIR
from newscorpus.model.sidecar import SIDECAR_SUFFIX

RAW_DIR = "raw"


def check_corpus(corpus: Path) -> Path:
    """Return ``corpus`` if it looks like a corpus folder, else raise a usage error naming the fix."""
    if not (corpus / RAW_DIR).is_dir():
        raise UsageError(f"{corpus} has no {RAW_DIR}/ folder. Try --corpus DIR with the folder that holds raw/.")
    return corpus


SYSTEM_FILES = frozenset({"Thumbs.db", "thumbs.db", "ehthumbs.db", "desktop.ini", "Desktop.ini"})
"""Files Windows Explorer makes, hidden, in a folder it shows: a thumbnail cache that changes whenever it is
redrawn, a folder's view settings. Copied off Windows they are plain files; no article is one."""


def walk_folder(folder: Path) -> tuple[Names, list[str]]:
    """Return the files under ``folder`` as relative POSIX names in path order, and every other entry there.

    Hidden entries are left out: a dot's (``.DS_Store``, macOS's ``._`` copies) and the files Windows
    keeps hidden in any folder it shows (``SYSTEM_FILES``). Names, not ``Path`` objects: a corpus of
    100,000 files would hold tens of MB of them.

    The others are neither files nor folders one can read: a broken link, a link to a folder
    (not followed: it could loop), a pipe, a socket, a file whose name is not UTF-8. They are
    named, so that none goes unreported.
    """
    others: list[str] = []

    def files() -> Iterator[str]:
        # A depth-first walk over sorted entries gives path order without sorting everything at the end.
        # A stack, not a recursive closure: that closure is a reference cycle, and kept both lists alive
        # until the next garbage collection (during a build, never).
        stack = [(*_sorted_entries(str(folder)), str(folder), "")]
        while stack:
            names, special, path, prefix = stack[-1]
            for name in names:  # an iterator: after a subfolder, the walk goes on where it left off
                if name.startswith(".") or name in SYSTEM_FILES:
                    continue
                kind = special.get(name, _FILE)
                if kind == _FOLDER:
                    stack.append((*_sorted_entries(f"{path}/{name}"), f"{path}/{name}", f"{prefix}{name}/"))
                    break
                name = prefix + name
                if kind == _FILE and _utf8(name):
                    yield name
                else:
                    others.append(name)
            else:
                stack.pop()

    # Straight into Names: the 200,000 names of a big corpus as a list of strings first cost about 16 MB.
    return Names(files()), others


_FOLDER, _FILE, _OTHER = range(3)


def _sorted_entries(directory: str) -> tuple[Iterator[str], dict[str, int]]:
    """Return the names of ``directory``'s entries sorted, and what each is that is no file (``_FOLDER``, ``_OTHER``).

    Names only, not ``(name, kind)`` tuples or ``os.DirEntry`` objects: a folder of 100,000 gold
    files is sorted whole (strings sort quicker than tuples of them, and take about half the memory).
    ``os.scandir`` knows each entry's type without a stat; a link to a file counts as a file.
    """
    names: list[str] = []
    special: dict[str, int] = {}
    try:
        with os.scandir(directory) as scanned:
            for entry in scanned:
                names.append(entry.name)
                if entry.is_dir(follow_symlinks=False):
                    special[entry.name] = _FOLDER
                elif not entry.is_file():
                    special[entry.name] = _OTHER
    except (FileNotFoundError, NotADirectoryError):
        return iter(()), {}
    names.sort()
    return iter(names), special


def _utf8(name: str) -> bool:
    """Return whether ``name`` is text: a name that is not UTF-8 on disk is listed with surrogates for its bytes."""
    if name.isascii():
        return True
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def shown_name(name: str) -> str:
    r"""Return ``name`` as text one can print and write: the bytes of a name that is not UTF-8 as ``\xNN``."""
    return name if _utf8(name) else os.fsencode(name).decode("utf-8", "backslashreplace")


def unreadable_entries(corpus: Path, names: list[str]) -> Iterator[Problem]:
    """Yield a problem for each entry of ``corpus`` (named relative to it) that is not a file one can read.

    A file whose name is not UTF-8 is one: a release records its files by name, in JSON, and
    the name's bytes cannot be written there as they are. It is shown with those bytes escaped.
    """
    for name in names:
        if (shown := shown_name(name)) != name:  # not UTF-8
            message = (
                "has a name that is not UTF-8 (its bytes shown here as \\xNN), so no release can record it. "
                "Rename it with the letters it should have, in UTF-8"
            )
            yield Problem(code=Code.RAW_UNREADABLE, file=shown, message=message)
            continue
        path = corpus / name
        if not path.is_symlink():
            message = "is neither a file nor a folder (a pipe, a socket or a device); only files are read"
        elif path.is_dir():
            message = (
                f"is a link to the folder {path.readlink()}; links to folders are not followed. "
                "Move or copy its files here instead"
            )
        else:
            message = f"is a link to {path.readlink()}, which does not exist. Remove the link or restore its target"
        yield Problem(code=Code.RAW_UNREADABLE, file=name, message=message)


def relative_name(corpus: Path, path: Path) -> str:
    """Return how a file is named in reports and manifests: relative to the corpus, with /."""
    return path.relative_to(corpus).as_posix()


def raw_files(corpus: Path) -> list[Path]:
    """Return the raw article files in their fixed reading order (sidecars excluded)."""
    return [corpus / name for name in Listing.of(corpus).article_files()]


@dataclass(frozen=True)
class Listing:
    """The files of a corpus folder, listed once: a command reads them, and a release records them, from one list."""

    raw: Names  # under raw/ (sidecars too), relative to it
    gold: Names  # under annotations/, relative to it
    others: list[str] = field(default_factory=list)  # neither files nor folders (``walk_folder``), from the corpus

    @classmethod
    def of(cls, corpus: Path) -> Listing:
        """List the raw files and gold files of ``corpus`` now."""
        raw, odd_raw = walk_folder(check_corpus(corpus) / RAW_DIR)
        gold, odd_gold = walk_folder(corpus / ANNOTATIONS_DIR)
        others = [f"{RAW_DIR}/{name}" for name in odd_raw] + [f"{ANNOTATIONS_DIR}/{name}" for name in odd_gold]
        return cls(raw, gold, others)

    def article_files(self) -> NamesAt:
        """Return the raw files that hold articles (sidecars left out), relative to the corpus, in reading order.

        The listing's own names at their places (4 bytes a file): a copy under ``raw/`` took 34 bytes a
        file at 100,000 articles, held all through a build's reading.
        """
        places = array("i", (n for n, name in enumerate(self.raw) if not name.endswith(SIDECAR_SUFFIX)))
        return NamesAt(self.raw, places, f"{RAW_DIR}/")

    def article_count(self) -> int:
        """Return how many files ``article_files`` lists, without making their names (a progress bar's length)."""
        return sum(not name.endswith(SIDECAR_SUFFIX) for name in self.raw)

    def inputs(self) -> GrowingNames:
        """Return every file a release is built from (raw files, sidecars, gold files), relative to the corpus.

        The listing's own names under their folders' prefixes: joined again, the 200,000 names of a
        100k corpus took 7 MB, and twice that while they were joined, at the end of a build.
        """
        inputs = GrowingNames()
        inputs.extend(self.raw, f"{RAW_DIR}/")
        inputs.extend(self.gold, f"{ANNOTATIONS_DIR}/")
        return inputs


def sha256_file(path: str | Path) -> str:
    """Return the hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    # Unbuffered, 64 KiB a read: most inputs are a few KB, and each 1 MiB read of a small file
    # allocated (and mapped) a megabyte; a 14 µs file hashes in 10. Large files hash as fast.
    with open(path, "rb", buffering=0) as handle:  # noqa: PTH123 - a str path too: see release.inputs
        while chunk := handle.read(1 << 16):
            digest.update(chunk)
    return digest.hexdigest()
