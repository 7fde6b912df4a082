"""Bringing a public corpus into the corpus: a byte-for-byte copy in raw/imports/ and its sidecar.

The copy is never edited, so it can always be checked against the published
file (the sidecar's comment names its sha256) and, for GermEval, the export
can be compared with it byte for byte. What the file cannot say itself (its
format, its split, its licence) goes into the sidecar.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import yaml

from newscorpus.core.atomic import atomic_write_bytes, atomic_write_text
from newscorpus.core.errors import NewscorpusError, UsageError
from newscorpus.ingest.ids import SPLITS, slugify
from newscorpus.ingest.listing import RAW_DIR, check_corpus, relative_name
from newscorpus.ingest.parsers import germeval, gnad
from newscorpus.model.sidecar import load_sidecar, sidecar_path

IMPORTS_DIR = "imports"


class ImportConflict(NewscorpusError):
    """A different file, or the same file with another split, was imported under this name before."""


@dataclass(frozen=True)
class Dataset:
    """What the corpus knows about a public dataset it can import."""

    title: str
    citation: str
    license: str
    licence_note: str
    suffix: str
    prefix: str = ""
    split_required: bool = False


def _load_datasets() -> dict[str, Dataset]:
    """Read the table of importable datasets (``datasets.yaml``), each with its parser's licence."""
    table = yaml.safe_load(Path(__file__).with_name("datasets.yaml").read_text(encoding="utf-8"))
    licences = {parser.FORMAT: parser.LICENSE for parser in (germeval, gnad)}
    return {fmt: Dataset(license=licences[fmt], **fields) for fmt, fields in table.items()}


DATASETS = _load_datasets()


def _dataset(fmt: str) -> Dataset:
    if fmt not in DATASETS:
        raise UsageError(f"{fmt!r} is no importable format; use one of {', '.join(DATASETS)}")
    return DATASETS[fmt]


def import_path(corpus: Path, fmt: str, source_file: Path) -> Path:
    """Return where ``source_file`` is imported to: ``raw/imports/<fmt>/<name>``."""
    dataset = _dataset(fmt)
    name = source_file.name
    if not name.startswith(dataset.prefix):
        name = dataset.prefix + name
    return corpus / RAW_DIR / IMPORTS_DIR / fmt / name


def sidecar_text(fmt: str, source_name: str, sha256: str, split: str | None) -> str:
    """Return the sidecar of an import: its fields, after a comment saying where the file came from."""
    dataset = _dataset(fmt)
    fields: dict[str, object] = {"format": fmt}
    if split is not None:
        fields["split"] = split
    fields |= {"license": dataset.license, "redistributable": True}
    comment = (
        f"# {dataset.title}.\n"
        f"# {dataset.citation}. Licence {dataset.licence_note}.\n"
        f"# Imported with `newscorpus import {fmt}` from {json.dumps(source_name, ensure_ascii=False)} "
        f"(sha256 {sha256}).\n"
        "# The raw file beside this sidecar is that file, byte for byte: never edit it.\n"
    )
    dumped: str = yaml.safe_dump(fields, sort_keys=False, allow_unicode=True)
    return comment + dumped


def _check_request(corpus: Path, fmt: str, source_file: Path, split: str | None) -> None:
    dataset = _dataset(fmt)
    check_corpus(corpus)
    if not source_file.is_file():
        raise UsageError(f"{source_file} is not a file")
    if source_file.suffix.lower() != dataset.suffix:
        raise UsageError(f"{source_file} is no {dataset.suffix} file; a {fmt} import must be one")
    if not slugify(source_file.stem):
        raise UsageError(f"{source_file.name} gives no id: rename it to letters or digits, keeping {dataset.suffix}")
    if split is not None and split not in SPLITS:
        raise UsageError(f"split {split!r} is none of {', '.join(SPLITS)}")
    if split is None and dataset.split_required:
        raise UsageError(
            f"a {fmt} file is one split: give --split {'/'.join(SPLITS)} "
            "(NER-de-train.tsv is train, NER-de-dev.tsv validation, NER-de-test.tsv test)"
        )


def import_file(corpus: Path, fmt: str, source_file: Path, split: str | None) -> Path:
    """Copy ``source_file`` into the corpus with a sidecar naming its format; return the raw copy's path.

    Importing the same file again (same bytes, same split) is a no-op, so a script may repeat it.
    A different file under the same name is refused: replacing gold silently would change a release.
    """
    _check_request(corpus, fmt, source_file, split)
    dest = import_path(corpus, fmt, source_file)
    data = source_file.read_bytes()
    sidecar = sidecar_path(dest)
    sidecar_name = relative_name(corpus, sidecar)
    if dest.exists():
        if dest.read_bytes() != data:
            raise ImportConflict(
                f"{relative_name(corpus, dest)} holds another file than {source_file}. To replace it, delete it and "
                f"{sidecar_name}, then import again; to keep both, rename {source_file.name} before importing."
            )
        if sidecar.is_file():
            existing = load_sidecar(sidecar, sidecar_name)
            if existing.format != fmt or existing.split != split:
                raise ImportConflict(
                    f"{relative_name(corpus, dest)} was imported as format {existing.format}, split {existing.split}, "
                    f"not format {fmt}, split {split}. To change that, edit {sidecar_name}."
                )
            return dest
    else:
        atomic_write_bytes(dest, data)
    # After the raw file: if this is interrupted, importing again finds the copy and writes the sidecar.
    atomic_write_text(sidecar, sidecar_text(fmt, source_file.name, hashlib.sha256(data).hexdigest(), split))
    return dest
