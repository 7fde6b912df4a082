"""A manifest's entries, one per input file and one per article: slotted dataclasses, listed as columns.

A corpus of 100,000 articles has about 200,000 input files. As objects each entry took an
object and two or three strings (about 240 bytes an input, 130 an article) for the whole
build: the peak of its memory. ``InputList`` and ``ArticleList`` hold the same entries as
columns (``core.names``) and make an entry when it is read; in JSON each is the list of
entries it always was.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from json.encoder import encode_basestring  # the C encoder of json.dumps
from typing import Any, TypeVar

from pydantic import ConfigDict, GetCoreSchemaHandler
from pydantic.dataclasses import dataclass
from pydantic_core import core_schema

from newscorpus.core.names import Computed, GrowingNames, Names, NamesAt
from newscorpus.model.article import Sha256

DIGEST_BYTES = 32  # of a sha256
E = TypeVar("E")


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


class _Listed(Computed[E]):
    """Entries held as columns, made when read: the sequence, equality and pydantic schema of both lists."""

    __slots__ = ()
    _entry: type[E]

    @classmethod
    def of(cls, entries: Iterable[E]) -> _Listed[E]:
        """Return the list of ``entries``, in their order."""
        raise NotImplementedError

    def __eq__(self, other: object) -> bool:
        if isinstance(other, _Listed) and type(other) is type(self):
            return self._columns() == other._columns()
        return isinstance(other, list) and list(self) == other

    __hash__ = None  # type: ignore[assignment]  # like a list: never a dict key

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list(self)!r})"

    def _columns(self) -> tuple[object, ...]:
        raise NotImplementedError

    def _escaped_fields(self, start: int, stop: int) -> tuple[list[str], ...]:
        """Return the fields of entries ``start`` to ``stop``, JSON-escaped and unquoted, a list each."""
        raise NotImplementedError

    def json_objects(self, start: int, stop: int) -> bytes:
        """Return entries ``start`` to ``stop`` as a manifest lists them: comma-separated objects, no brackets.

        The lines between the brackets of pydantic's indented dump of a list of the entries, indented
        by two more (tested alike). Written from the columns: making each entry and dumping those
        took the driver about 6 µs an article.
        """
        count = stop - start
        if count <= 0:
            return b""
        names = list(self._entry.__dataclass_fields__)  # type: ignore[attr-defined]
        # What comes before each value: the end of the object before and the opening of this one, else a comma.
        before = [f'"\n    }},\n    {{\n      "{names[0]}": "', *(f'",\n      "{name}": "' for name in names[1:])]
        # Escaped a column at a time, joined by ``interleaved``: escaping each value and interleaving iterators over the
        # pieces took the driver 1.4 µs an article.
        pieces = [piece for pair in zip(before, self._escaped_fields(start, stop), strict=True) for piece in pair]
        return (interleaved(pieces, count)[len('"\n    },') :] + '"\n    }').encode()

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        """Validate and serialise as a list of entries, held as columns."""
        entries = handler.generate_schema(list[cls._entry])  # type: ignore[name-defined]
        listed = core_schema.no_info_after_validator_function(cls.of, entries)
        return core_schema.json_or_python_schema(
            json_schema=listed,
            python_schema=core_schema.union_schema([core_schema.is_instance_schema(cls), listed]),
            serialization=core_schema.plain_serializer_function_ser_schema(list, return_schema=entries),
        )


def interleaved(pieces: Sequence[str | list[str]], count: int) -> str:
    """Return ``count`` rows joined, each its ``pieces`` in order: a ``str`` in every row alike, a list one a row.

    Made in C: one join of a list filled a piece at a time by slices, not a string made per row.
    """
    parts = [""] * (len(pieces) * count)
    for k, piece in enumerate(pieces):
        parts[k :: len(pieces)] = [piece] * count if isinstance(piece, str) else piece
    return "".join(parts)


def hex_digests(digests: bytes | bytearray) -> list[str]:
    """Return each sha256 of ``digests`` (32 bytes each, one after another) in hex: cut and split in C."""
    return digests.hex("\n", DIGEST_BYTES).split("\n") if digests else []


def _escaped(values: Sequence[str]) -> list[str]:
    """Return ``values`` JSON-escaped, without their quotes; as they are if none needs it (usual, checked at once)."""
    listed = list(values)
    joined = "".join(listed)
    if len(encode_basestring(joined)) == len(joined) + 2:  # only the quotes added: nothing escaped
        return listed
    return [encode_basestring(value)[1:-1] for value in listed]


class InputList(_Listed[InputEntry]):
    """A manifest's input entries as two columns: the paths, and their sha256 digests as 32 bytes each (70 bytes)."""

    __slots__ = ("_digests", "_paths")
    _entry = InputEntry

    def __init__(self, paths: Names | GrowingNames, digests: bytes | bytearray) -> None:
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

    def _item(self, n: int) -> InputEntry:
        return InputEntry.unchecked(self._paths[n], self._digests[DIGEST_BYTES * n : DIGEST_BYTES * (n + 1)].hex())

    def _escaped_fields(self, start: int, stop: int) -> tuple[list[str], ...]:
        # Hex digits need no escaping.
        return _escaped(self._paths[start:stop]), hex_digests(self._digests[DIGEST_BYTES * start : DIGEST_BYTES * stop])

    def _columns(self) -> tuple[object, ...]:
        paths = self._paths if isinstance(self._paths, Names) else self._paths.names()
        return paths, bytes(self._digests)


class ArticleList(_Listed[ArticleEntry]):
    """A manifest's article entries as three columns of names: ids, splits and clusters (about 45 bytes each).

    A build gives the clusters as the ids at their first articles' places (``NamesAt``): most
    articles are a cluster of their own, and a copy of the ids cost 35 bytes an article.
    """

    __slots__ = ("_clusters", "_ids", "_splits")
    _entry = ArticleEntry

    def __init__(self, ids: Names, splits: Names, clusters: Names | NamesAt) -> None:
        if not len(ids) == len(splits) == len(clusters):
            raise ValueError(f"{len(ids)} ids need as many splits and clusters, not {len(splits)} and {len(clusters)}")
        self._ids, self._splits, self._clusters = ids, splits, clusters

    @classmethod
    def of(cls, entries: Iterable[ArticleEntry]) -> ArticleList:
        """Return the list of ``entries``, in their order."""
        listed = list(entries)
        return cls(Names(e.id for e in listed), Names(e.split for e in listed), Names(e.cluster for e in listed))

    def __len__(self) -> int:
        return len(self._ids)

    @property
    def ids(self) -> Names:
        """Return the articles' ids, in order."""
        return self._ids

    def _item(self, n: int) -> ArticleEntry:
        return ArticleEntry.unchecked(self._ids[n], self._splits[n], self._clusters[n])

    def _escaped_fields(self, start: int, stop: int) -> tuple[list[str], ...]:
        return tuple(map(_escaped, (self._ids[start:stop], self._splits[start:stop], self._clusters[start:stop])))

    def _columns(self) -> tuple[object, ...]:
        clusters = self._clusters if isinstance(self._clusters, Names) else Names(self._clusters)
        return self._ids, self._splits, clusters
