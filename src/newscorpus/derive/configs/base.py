"""What a config is, and the registry of configs: a release holds one dataset per registered config.

As with a ``datasets`` builder and its ``BuilderConfig`` s, a config is one class: its name, its
record model (its Arrow schema and ``Features`` derive from it), the rows it makes of one article,
what it counts into the release statistics and what ``newscorpus summary`` counts of it once
published. Registering the class is all it takes: the build, the writers, the manifest, the
card, the schema snapshot and the CLI iterate over ``CONFIGS``, whose order (the order of
registration) is the order of the configs in a build and in its manifest.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, TypeAlias, TypeVar

import pyarrow as pa

from newscorpus.core.errors import ReleaseError, UsageError
from newscorpus.core.report import Problem
from newscorpus.derive.encode import record_table
from newscorpus.model.article import Article, Record

if TYPE_CHECKING:  # datasets takes seconds to import; only building or summarising needs it
    import datasets


@dataclass(frozen=True, slots=True)
class TableRows:
    """One article's rows as rows ``start`` to ``stop`` (exclusive) of ``table``, made for a whole job at once.

    Not a slice of it: slicing a table per article, and concatenating the slices again, cost more
    than making the table. ``derive.writers.as_table`` gathers such rows with one ``take``.
    """

    table: pa.Table
    start: int
    stop: int

    def __len__(self) -> int:
        return self.stop - self.start

    def rows(self) -> pa.Table:
        """Return these rows as a table of their own."""
        return self.table.slice(self.start, len(self))


Rows: TypeAlias = list[dict[str, Any]] | TableRows
"""One article's rows of a config, encoded for Arrow: dicts as ``row_encoder`` makes them, or rows of a table of its
schema made for the whole job (``table_rows``)."""
C = TypeVar("C", bound="Config")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class Config(ABC):
    """One config of a release: a dataset of ``model`` rows that each article may add rows to.

    An instance is made per build, in the building process, and sent to the processes that
    parse the articles: ``rows`` and ``count`` run there, so only encoded rows and counts travel.
    """

    name: ClassVar[str]
    """The config's name: its folder in a release and a published folder, and ``load_dataset``'s config name."""
    model: ClassVar[type[Record]]
    """The record model of one row."""
    description: ClassVar[str]
    """What a row is and holds, in one Markdown sentence for the dataset card ("one row per …")."""
    counts: ClassVar[tuple[str, ...]] = ()
    """The ``Statistics`` fields that ``count`` fills: 0 at least in a release that holds this config, else none."""
    task_categories: ClassVar[tuple[str, ...]] = ()
    """The Hub's task categories this config serves (``token-classification``, …), for the card's metadata."""
    task_ids: ClassVar[tuple[str, ...]] = ()
    """The Hub's task ids this config serves (``named-entity-recognition``, …), for the card's metadata."""

    @abstractmethod
    def rows(self, article: Article) -> Rows | Problem:
        """Return ``article``'s rows, encoded (none if it does not belong here), or the problem that keeps it out."""

    def rows_many(self, articles: Sequence[Article]) -> Sequence[Rows | Problem]:
        """Return ``rows`` of each of ``articles``, in order: one read job's articles at once.

        A config whose rows cost less made together (one table for all, a range of it per article) overrides it.
        """
        return [self.rows(article) for article in articles]

    def table_rows(self, records: Sequence[Record | None]) -> list[Rows]:
        """Return each article's rows where each gives one record of ``model`` or none (None), made as one table.

        One ``record_table`` for all of them, a column at a time: a row at a time cost a pydantic
        dump and a dict per record, four times as long.
        """
        table = record_table([record for record in records if record is not None], self.model)
        rows: list[Rows] = []
        at = 0
        for record in records:
            rows.append(TableRows(table, at, at + (record is not None)))
            at += record is not None
        return rows

    def count(self, rows: Rows) -> dict[str, int]:
        """Return what ``rows`` (never empty) add to the release statistics, by ``Statistics`` field (``counts``)."""
        return {}

    def summarize(self, split: datasets.Dataset) -> dict[str, Counter[str]]:
        """Return what ``newscorpus summary`` prints of one loaded split besides its rows: a counter per heading."""
        return {}

    def class_label(self, feature: object) -> datasets.ClassLabel:
        """Return ``feature`` of a loaded split if it is still a ``ClassLabel``, else raise: loading lost it."""
        from datasets import ClassLabel  # loaded by then: a split was loaded

        if not isinstance(feature, ClassLabel):
            raise ReleaseError(
                f"The {self.name} config lost a ClassLabel feature on load: the card's YAML disagrees with the data. "
                "Try publishing the release again with `newscorpus publish`."
            )
        return feature


CONFIGS: dict[str, type[Config]] = {}
"""Every config by name, in the order they were registered: the order of a build and of its manifest."""


def register(config: type[C]) -> type[C]:
    """Register the config class ``config`` after those registered before it (a class decorator)."""
    if not _NAME.match(config.name):
        raise UsageError(f"{config.name!r} is no config name. Try lower-case letters, digits and _, as `ner`.")
    if config.name in CONFIGS:
        raise UsageError(
            f"A config named {config.name} is registered already ({CONFIGS[config.name].__qualname__}). "
            "Give the new one another name, or unregister the old one first."
        )
    CONFIGS[config.name] = config
    return config


def unregister(name: str) -> None:
    """Remove config ``name`` from the registry (a test's toy config, say)."""
    CONFIGS.pop(get_config(name).name)


def get_config(name: str) -> type[Config]:
    """Return the config class registered as ``name``, or raise naming the ones there are."""
    if name not in CONFIGS:
        raise UsageError(f"This code has no config {name}; its configs are {', '.join(CONFIGS)}.")
    return CONFIGS[name]


def select_configs(names: Collection[str] | None = None) -> list[Config]:
    """Return the configs ``names`` (default: all) for one build, in registry order; refuse unknown names or none."""
    if names is None:
        names = list(CONFIGS)
    unknown = sorted(set(names) - set(CONFIGS))
    if unknown or not names:
        what = f"Unknown config {', '.join(unknown)}" if unknown else "No config chosen"
        raise UsageError(f"{what}. Try one or more of {', '.join(CONFIGS)}.")
    return [config() for name, config in CONFIGS.items() if name in names]
