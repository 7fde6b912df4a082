"""Release manifests: what a release holds and what it was built from, with hashes."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, overload

from pydantic import ConfigDict, Field, GetCoreSchemaHandler, TypeAdapter, ValidationError
from pydantic.dataclasses import dataclass
from pydantic_core import core_schema

from newscorpus.core.errors import ReleaseError, SchemaError
from newscorpus.core.names import Names
from newscorpus.core.plural import plural
from newscorpus.core.report import Problem
from newscorpus.core.semver import SEMVER_PATTERN, parse_semver
from newscorpus.derive.statistics import Statistics
from newscorpus.model.article import Record, Sha256
from newscorpus.release.schema import schema_version

MANIFEST = "manifest.json"
RELEASES_DIR = "releases"
DIGEST_BYTES = 32  # of a sha256
UNRECORDED_THRESHOLD = 0.5
"""The near-duplicate threshold of a release whose manifest names none: every release before it could be set."""


class FileEntry(Record):
    """One data file of a release."""

    path: str
    sha256: Sha256
    bytes: int
    rows: int


@dataclass(frozen=True, slots=True, config=ConfigDict(strict=True, extra="forbid"))
class InputEntry:
    """One input file (raw, sidecar or gold) a release was built from.

    A slotted dataclass rather than a model: a manifest holds one per input file, and
    100,000 of them as models would take about 20 MB more while a release is built.
    """

    path: str
    sha256: Sha256

    @classmethod
    def unchecked(cls, path: str, sha256: str) -> InputEntry:
        """Return an entry the build made itself (a listed path, a digest from hashlib), without validating it.

        Validating each of 100,000 entries took the build's driver about 2 µs apiece.
        """
        entry = object.__new__(cls)
        # Through the slots' descriptors, as the frozen dataclass's own __init__ sets its fields, and quicker.
        _SET_PATH(entry, path)
        _SET_SHA256(entry, sha256)
        return entry


@dataclass(frozen=True, slots=True, config=ConfigDict(strict=True, extra="forbid"))
class ArticleEntry:
    """One article of a release: its split and its near-duplicate cluster (the id of the cluster's first article).

    A slotted dataclass like ``InputEntry``: a manifest holds one per article.
    """

    id: str
    split: str
    cluster: str

    @classmethod
    def unchecked(cls, article_id: str, split: str, cluster: str) -> ArticleEntry:
        """Return an entry the build made itself (ids of valid articles, their splits), without validating it."""
        entry = object.__new__(cls)
        _SET_ID(entry, article_id)
        _SET_SPLIT(entry, split)
        _SET_CLUSTER(entry, cluster)
        return entry


_SET_PATH, _SET_SHA256 = (vars(InputEntry)[name].__set__ for name in ("path", "sha256"))
_SET_ID, _SET_SPLIT, _SET_CLUSTER = (vars(ArticleEntry)[name].__set__ for name in ("id", "split", "cluster"))


class InputList(Sequence[InputEntry]):
    """A manifest's input entries as two columns: the paths, and their sha256 digests as 32 bytes each.

    A corpus of 100,000 articles has about 200,000 inputs. As entries (an object, a path and a
    64-character hex string each) they took about 240 bytes apiece, and were the peak of a
    build's memory; here about 70. An entry is made when it is read. In JSON it is the list of
    entries it always was.
    """

    __slots__ = ("_digests", "_paths")

    def __init__(self, paths: Names, digests: bytes | bytearray) -> None:
        if len(digests) != DIGEST_BYTES * len(paths):
            raise ValueError(f"{len(paths)} paths need {DIGEST_BYTES} bytes of digest each, not {len(digests)} in all")
        self._paths, self._digests = paths, digests

    @classmethod
    def of(cls, entries: Iterable[InputEntry]) -> InputList:
        """Return the list of ``entries``, in their order."""
        listed = list(entries)
        return cls(Names(e.path for e in listed), b"".join(bytes.fromhex(e.sha256) for e in listed))

    def __len__(self) -> int:
        return len(self._paths)

    @overload
    def __getitem__(self, index: int) -> InputEntry: ...
    @overload
    def __getitem__(self, index: slice) -> list[InputEntry]: ...
    def __getitem__(self, index: int | slice) -> InputEntry | list[InputEntry]:
        if isinstance(index, slice):
            return [self[n] for n in range(*index.indices(len(self)))]
        n = range(len(self))[index]  # negative indices, and the IndexError past the end
        return InputEntry.unchecked(self._paths[n], self._digests[DIGEST_BYTES * n : DIGEST_BYTES * (n + 1)].hex())

    def __iter__(self) -> Iterator[InputEntry]:
        for n, path in enumerate(self._paths):
            yield InputEntry.unchecked(path, self._digests[DIGEST_BYTES * n : DIGEST_BYTES * (n + 1)].hex())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, InputList):
            return self._paths == other._paths and self._digests == other._digests
        return isinstance(other, list) and list(self) == other

    __hash__ = None  # type: ignore[assignment]  # like a list: never a dict key

    def __repr__(self) -> str:
        return f"InputList({list(self)!r})"

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        """Validate and serialise as a list of ``InputEntry``, held as columns."""
        entries = handler.generate_schema(list[InputEntry])
        listed = core_schema.no_info_after_validator_function(cls.of, entries)
        return core_schema.json_or_python_schema(
            json_schema=listed,
            python_schema=core_schema.union_schema([core_schema.is_instance_schema(cls), listed]),
            serialization=core_schema.plain_serializer_function_ser_schema(list, return_schema=entries),
        )


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
    articles: list[ArticleEntry] | None = Field(
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
        lists: list[tuple[bytes, Sequence[Any], TypeAdapter[Any]]] = [
            (b"inputs", self.inputs, _INPUT_LIST),
            (b"articles", self.articles or [], _ARTICLE_LIST),
        ]
        for key, entries, adapter in lists:
            if not entries:
                continue
            # Keys and strings are JSON-escaped, so these bytes can only be the key with its empty list.
            before, _, rest = rest.partition(b'"' + key + b'": []')
            yield before + b'"' + key + b'": ['
            for start in range(0, len(entries), per_piece):
                listed = adapter.dump_json(entries[start : start + per_piece], indent=2)
                # One level deeper than a list of its own: the entries of "[\n  {…}\n]", indented by two more.
                lines = listed.removeprefix(b"[").removesuffix(b"\n]").replace(b"\n", b"\n  ")
                yield (b"," if start else b"") + lines
            rest = b"\n  ]" + rest
        yield rest


_INPUT_LIST: TypeAdapter[list[InputEntry]] = TypeAdapter(list[InputEntry])
_ARTICLE_LIST: TypeAdapter[list[ArticleEntry]] = TypeAdapter(list[ArticleEntry])


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
