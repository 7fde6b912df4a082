"""Release manifests: what a release holds and what it was built from, with hashes."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError

from newscorpus.core.errors import ReleaseError, SchemaError
from newscorpus.core.plural import plural
from newscorpus.core.report import Problem
from newscorpus.core.semver import SEMVER_PATTERN, parse_semver
from newscorpus.derive.statistics import Statistics
from newscorpus.model.article import Record, Sha256
from newscorpus.release.entries import ArticleList, InputList
from newscorpus.release.schema import schema_version

MANIFEST = "manifest.json"
RELEASES_DIR = "releases"
UNRECORDED_THRESHOLD = 0.5
"""The near-duplicate threshold of a release whose manifest names none: every release before it could be set."""


class FileEntry(Record):
    """One data file of a release."""

    path: str
    sha256: Sha256
    bytes: int
    rows: int


class Manifest(Record):
    """The manifest of one release: enough to verify it and to rebuild it byte for byte."""

    name: str = "newscorpus"
    version: str = Field(pattern=SEMVER_PATTERN)
    schema_version: str = Field(pattern=SEMVER_PATTERN)
    duplicate_threshold: float | None = Field(
        None,
        gt=0,
        le=1,
        description="The similarity from which articles were near-duplicates, when it was not 0.5 (none: 0.5).",
    )
    splits: dict[str, dict[str, int]] = Field(description="Rows per split, per config.")
    statistics: Statistics
    files: list[FileEntry]
    inputs: InputList
    inputs_sha256: Sha256 = Field(description="sha256 over the sorted input paths and hashes.")
    rejected: list[Problem] = Field(description="Every input left out of the release, with its reason.")
    articles: ArticleList | None = Field(
        None, description="Every article with its split and cluster, in reading order (none before schema 3.1)."
    )

    @property
    def threshold(self) -> float:
        """Return the near-duplicate threshold this release was built with."""
        return UNRECORDED_THRESHOLD if self.duplicate_threshold is None else self.duplicate_threshold

    def to_json(self) -> str:
        """Serialise deterministically, for byte-identical rebuilds (a release from before clusters as it was)."""
        exclude: dict[str, Any] = {}
        if self.articles is None:
            exclude["articles"] = True
        if self.statistics.duplicates is None:
            exclude["statistics"] = {"duplicates"}
        if self.duplicate_threshold is None:
            exclude["duplicate_threshold"] = True  # as every release before it could be set was written
        return self.model_dump_json(indent=2, exclude=exclude or None) + "\n"

    def json_pieces(self, per_piece: int = 1000) -> Iterator[bytes]:
        """Yield ``to_json()`` as UTF-8 in pieces, ``per_piece`` inputs or articles each: those lists are never whole.

        A corpus of 100,000 files has a manifest of about 14 MB; held as one string (and
        copied on the way to bytes) it was the peak of a build's memory.
        """
        empty: dict[str, list[Any] | None] = {"inputs": [], "articles": [] if self.articles is not None else None}
        rest = self.model_copy(update=empty).to_json().encode()
        lists: tuple[tuple[bytes, Sequence[Any] | None, type[InputList | ArticleList]], ...] = (
            (b"inputs", self.inputs, InputList),
            (b"articles", self.articles, ArticleList),
        )
        for key, given, kind in lists:
            if not given:
                continue
            # As validated; a copy made with ``model_copy(update=…)`` may hold a plain list of entries.
            entries = given if isinstance(given, kind) else kind.of(given)
            # Keys and strings are JSON-escaped, so these bytes can only be the key with its empty list.
            before, _, rest = rest.partition(b'"' + key + b'": []')
            yield before + b'"' + key + b'": ['
            for start in range(0, len(entries), per_piece):
                yield (b"," if start else b"") + entries.json_objects(start, min(start + per_piece, len(entries)))
            rest = b"\n  ]" + rest
        yield rest


def release_dir(corpus: Path, version: str) -> Path:
    """Return the folder of release ``version``."""
    parse_semver(version)
    return corpus / RELEASES_DIR / version


def release_versions(corpus: Path) -> list[str]:
    """Return the versions of every release in ``corpus``, oldest first (a build's temp folder is none)."""
    folder = corpus / RELEASES_DIR
    if not folder.is_dir():
        return []
    found = [p.name for p in folder.iterdir() if re.match(SEMVER_PATTERN, p.name) and (p / MANIFEST).is_file()]
    return sorted(found, key=parse_semver)


def previous_manifest(corpus: Path, version: str | None) -> Manifest | None:
    """Return the manifest of the newest release before ``version`` (without one: the newest), if any."""
    versions = release_versions(corpus)
    if version is not None:
        versions = [v for v in versions if parse_semver(v) < parse_semver(version)]
    return read_manifest(release_dir(corpus, versions[-1]) / MANIFEST) if versions else None


def read_manifest(path: Path) -> Manifest:
    """Read a manifest file, or raise a release error saying what is wrong with it."""
    try:
        return Manifest.model_validate_json(path.read_bytes())
    except FileNotFoundError as exc:
        raise ReleaseError(f"No release at {path.parent}: it has no {path.name}.") from exc
    except ValidationError as exc:
        raise ReleaseError(
            f"{path} is not a valid manifest: {plural(exc.error_count(), 'problem')}, first: {exc.errors()[0]['msg']}"
        ) from exc


def find_manifest(corpus: Path, version: str) -> Manifest:
    """Read the manifest of release ``version``, whatever its schema; if there is none, name the releases there are."""
    path = release_dir(corpus, version) / MANIFEST
    if not path.is_file():
        versions = release_versions(corpus)
        if not versions:
            raise ReleaseError(f"{corpus} has no release yet. Try `newscorpus build --version {version}`.")
        raise ReleaseError(
            f"{corpus} has no release {version}; its releases are {', '.join(versions)}. "
            "Name one of them, or build a new one with `newscorpus build` (it picks the next version)."
        )
    return read_manifest(path)


def load_manifest(corpus: Path, version: str) -> Manifest:
    """Read the manifest of release ``version``, refusing one built with another schema major."""
    from newscorpus.release.history import rebuild_elsewhere  # history names this module's paths

    manifest = find_manifest(corpus, version)
    code = schema_version()
    if parse_semver(manifest.schema_version)[0] != parse_semver(code)[0]:
        raise SchemaError(
            f"Release {version} was built with schema {manifest.schema_version}, but this code has schema {code}: "
            "another major, which is incompatible and is not reinterpreted. To release the corpus as it is now, "
            f"try `newscorpus build` (it picks the next version). To use release {version} itself: "
            + rebuild_elsewhere(corpus, version)
        )
    return manifest
