"""Reading a corpus folder: raw articles, their sidecars and their gold.

``iter_corpus`` is the one pass every command builds on. It yields articles
(deduplicated, gold applied) and problems in a fixed order, streaming: it
keeps only ids and hashes in memory, never texts.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath
from typing import get_args

from newscorpus.article import Article
from newscorpus.errors import UsageError
from newscorpus.gold import ANNOTATIONS_DIR, apply_gold, gold_path, load_gold
from newscorpus.parsers import IMPORT_SUFFIXES, SUFFIXES, parse_file
from newscorpus.report import Problem, Report
from newscorpus.sidecar import SIDECAR_SUFFIX, ImportFormat

RAW_DIR = "raw"
IMPORT_SOURCES = frozenset(get_args(ImportFormat))


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


def _files(folder: Path) -> list[Path]:
    """Return the files under ``folder`` in path order, hidden files and folders left out."""
    return [folder / name for name in file_names(folder)]


def relative_name(corpus: Path, path: Path) -> str:
    """Return how a file is named in reports and manifests: relative to the corpus, with /."""
    return path.relative_to(corpus).as_posix()


def raw_files(corpus: Path) -> list[Path]:
    """Return the raw article files in their fixed reading order (sidecars excluded)."""
    return [p for p in _files(corpus / RAW_DIR) if not p.name.endswith(SIDECAR_SUFFIX)]


def input_files(corpus: Path) -> list[Path]:
    """Return every file a release is built from: raw files, sidecars and gold files."""
    return _files(corpus / RAW_DIR) + _files(corpus / ANNOTATIONS_DIR)


def sha256_file(path: Path) -> str:
    """Return the hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _orphans(ids: dict[str, str], raw_names: list[str], gold_names: list[str]) -> Iterator[Problem]:
    sidecars = [name for name in raw_names if name.endswith(SIDECAR_SUFFIX)]
    wanted = {name.removesuffix(SIDECAR_SUFFIX) for name in sidecars}
    # Only the raw files a sidecar asks for are remembered: the listing may hold 100,000 names.
    beside = {
        base
        for name in (raw_names if wanted else [])
        if not name.endswith(SIDECAR_SUFFIX)
        and (path := PurePosixPath(name)).suffix.lower() in SUFFIXES + IMPORT_SUFFIXES
        and (base := str(path.with_suffix(""))) in wanted
    }
    for name in sidecars:
        if name.removesuffix(SIDECAR_SUFFIX) not in beside:
            yield Problem(file=f"{RAW_DIR}/{name}", message="is a sidecar without a raw file beside it")
    for name in gold_names:
        path = PurePosixPath(name)
        if path.suffix != ".json" or path.stem not in ids:
            yield Problem(
                file=f"{ANNOTATIONS_DIR}/{name}",
                message=f"is gold for {path.stem!r}, which is no article in {RAW_DIR}/",
                article_id=path.stem,
            )


def iter_corpus(corpus: Path, on_file: Callable[[], None] | None = None) -> Iterator[Article | Problem]:
    """Yield every valid article (gold applied) and every problem, in a fixed order."""
    ids: dict[str, str] = {}
    texts: dict[bytes, str] = {}  # digests, not hex: the index is kept for every article
    gold_names = file_names(corpus / ANNOTATIONS_DIR)
    gold_ids = {n.removesuffix(".json") for n in gold_names if n.endswith(".json") and "/" not in n}
    raw_names = file_names(check_corpus(corpus) / RAW_DIR)
    for raw_name in raw_names:
        if raw_name.endswith(SIDECAR_SUFFIX):
            continue
        name = f"{RAW_DIR}/{raw_name}"
        for result in parse_file(corpus / name, name):
            if isinstance(result, Problem):
                yield result
                continue
            where = f"{name}:{result.raw_line}" if result.raw_line else name
            if result.id in ids:
                yield Problem(
                    file=name,
                    line=result.raw_line,
                    field="id",
                    article_id=result.id,
                    message=f"repeats the id of {ids[result.id]}. Give one of them another id (`id:` in a sidecar).",
                )
                continue
            # A public corpus may repeat a sentence on purpose; only articles are deduplicated.
            digest = bytes.fromhex(result.text_sha256)
            if digest in texts and result.annotation.source not in IMPORT_SOURCES:
                yield Problem(
                    file=name,
                    line=result.raw_line,
                    severity="warning",
                    article_id=result.id,
                    message=f"is an exact duplicate of {texts[digest]}; only that copy is kept",
                )
                continue
            ids[result.id] = where
            texts[digest] = where
            if result.id in gold_ids:
                gold_file = gold_path(corpus, result.id)
                gold_name = relative_name(corpus, gold_file)
                gold = load_gold(gold_file, gold_name)
                applied = gold if isinstance(gold, list) else apply_gold(result, gold, gold_name)
                if isinstance(applied, list):
                    yield from applied
                else:
                    result = applied
            yield result
        if on_file:
            on_file()
    yield from _orphans(ids, raw_names, gold_names)


def validate(corpus: Path, on_file: Callable[[], None] | None = None) -> Report:
    """Parse every raw file and gold file of ``corpus`` and report every problem at once."""
    report = Report(files_checked=len(input_files(check_corpus(corpus))))
    for result in iter_corpus(corpus, on_file):
        if isinstance(result, Problem):
            report.problems.append(result)
        else:
            report.articles_valid += 1
    return report
