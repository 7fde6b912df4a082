"""Schema snapshots: the schema as derived from the models, frozen once per version.

``schemas/v<X.Y.Z>.json`` holds the JSON Schema of each record type, the Arrow
schema, the Hugging Face ``Features``, the label sets and the rules (validators)
of each record type. The newest snapshot's version is the schema version: it
lives nowhere else.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from newscorpus.core.atomic import atomic_write_text
from newscorpus.core.codes import Code
from newscorpus.core.errors import SchemaError
from newscorpus.core.report import Problem, Report
from newscorpus.core.semver import bump, parse_semver
from newscorpus.derive.configs import CONFIGS
from newscorpus.derive.features import feature_dict, fields_for, schema_for
from newscorpus.model.article import Article
from newscorpus.model.gold import GoldFile
from newscorpus.model.labels import label_sets, schemas_dir
from newscorpus.model.rules import rules_of
from newscorpus.release.schema_diff import LEVELS, Change, Level, diff_snapshots, level_between, required_level

# The problems of a file (or JSONL line) that cannot be read as its format at all: JSON that does not parse,
# YAML that does not either, and bytes that are empty, binary, undecodable or too big. No schema change causes
# these, and no loosened rule fixes them.
_MALFORMED = frozenset(
    {
        Code.JSON_MALFORMED,
        Code.SIDECAR_MALFORMED,
        Code.RAW_EMPTY,
        Code.RAW_NUL_BYTES,
        Code.RAW_CONTROL_CHAR,
        Code.RAW_UNDECODABLE,
        Code.RAW_MOJIBAKE,
        Code.RAW_TOO_BIG,
    }
)


def record_types() -> dict[str, type[BaseModel]]:
    """Return every record type by its name: the article, the gold file, and the row model of each registered config."""
    records: dict[str, type[BaseModel]] = {"Article": Article, "GoldFile": GoldFile}
    return records | {c.model.__name__: c.model for c in CONFIGS.values()}


def snapshot() -> dict[str, Any]:
    """Return the schema as the code defines it now, as plain JSON data."""
    records = record_types()
    return {
        "records": {name: model.model_json_schema() for name, model in records.items()},
        "arrow_schemas": {name: {f.name: str(f.type) for f in schema_for(c.model)} for name, c in CONFIGS.items()},
        "features": {name: feature_dict(fields_for(config.model)) for name, config in CONFIGS.items()},
        "labels": label_sets().model_dump(mode="json"),
        "validators": {name: rules_of(model) for name, model in records.items()},
    }


def snapshot_versions(folder: Path | None = None) -> list[str]:
    """Return the versions that have a snapshot, oldest first."""
    folder = folder or schemas_dir()
    versions = [p.stem.removeprefix("v") for p in folder.glob("v*.json")]
    return sorted(versions, key=parse_semver)


def schema_version(folder: Path | None = None) -> str:
    """Return the current schema version: the newest snapshot's."""
    versions = snapshot_versions(folder)
    if not versions:
        raise SchemaError(f"No schema snapshot in {folder or schemas_dir()}. Try `newscorpus schema bump major`.")
    return versions[-1]


def snapshot_path(version: str, folder: Path | None = None) -> Path:
    """Return the path of the snapshot of ``version``."""
    return (folder or schemas_dir()) / f"v{version}.json"


def write_snapshot(version: str, folder: Path | None = None) -> Path:
    """Freeze the current schema as the snapshot of ``version``."""
    parse_semver(version)
    path = snapshot_path(version, folder)
    atomic_write_text(path, json.dumps({"version": version, **snapshot()}, indent=2, ensure_ascii=False) + "\n")
    return path


@dataclass(frozen=True)
class UnderBump:
    """A snapshot whose version was bumped less than its changes need."""

    old_version: str
    new_version: str
    needed: Level
    bumped: Level | None
    changes: list[Change]


@dataclass(frozen=True)
class SchemaCheck:
    """The outcome of ``check_schema``: pending changes, under-bumped snapshots, invalid data."""

    version: str
    pending: list[Change]
    under_bumped: list[UnderBump]
    report: Report | None

    @property
    def malformed(self) -> list[Problem]:
        """Errors of inputs that cannot be read as their format at all: the file is broken, not the schema."""
        return [p for p in self.report.errors if p.code in _MALFORMED] if self.report else []

    @property
    def rejected(self) -> list[Problem]:
        """Errors of inputs that read, but that the current models reject."""
        return [p for p in self.report.errors if p.code not in _MALFORMED] if self.report else []

    @property
    def ok(self) -> bool:
        """True when the code equals the newest snapshot, every bump is big enough and the data is valid."""
        return not self.pending and not self.under_bumped and (self.report is None or self.report.valid)


def read_snapshot(version: str, folder: Path | None = None) -> dict[str, Any]:
    """Return the frozen snapshot of ``version``, without its version key."""
    data: dict[str, Any] = json.loads(snapshot_path(version, folder).read_text(encoding="utf-8"))
    if data.pop("version", None) != version:
        raise SchemaError(
            f"{snapshot_path(version, folder)} does not say it is version {version}. Restore it from git."
        )
    return data


def pending_changes(folder: Path | None = None) -> list[Change]:
    """Return how the code's schema differs from the newest snapshot, classified."""
    current = json.loads(json.dumps(snapshot()))  # as it reads back from JSON: tuples become lists
    return diff_snapshots(read_snapshot(schema_version(folder), folder), current)


def under_bumped(folder: Path | None = None) -> list[UnderBump]:
    """Return every pair of consecutive snapshots whose version bump is smaller than their changes need."""
    versions = snapshot_versions(folder)
    found = []
    for old, new in itertools.pairwise(versions):
        changes = diff_snapshots(read_snapshot(old, folder), read_snapshot(new, folder))
        needed = required_level(changes)
        bumped = level_between(parse_semver(old), parse_semver(new))
        if needed and (bumped is None or LEVELS.index(bumped) < LEVELS.index(needed)):
            found.append(UnderBump(old, new, needed, bumped, changes))
    return found


def check_schema(report: Report | None = None) -> SchemaCheck:
    """Compare the code with the newest snapshot and check every bump; ``report`` is the corpus revalidated, if any.

    The caller revalidates (``newscorpus.ingest.corpus.validate``): the schema layer does not read corpora.
    """
    return SchemaCheck(schema_version(), pending_changes(), under_bumped(), report)


def bump_schema(level: Level | None = None, folder: Path | None = None) -> tuple[str, list[Change]]:
    """Freeze the code's schema as a new snapshot; refuse a smaller bump than its changes need."""
    versions = snapshot_versions(folder)
    if not versions:
        return write_snapshot("1.0.0", folder).stem.removeprefix("v"), []
    changes = pending_changes(folder)
    needed = required_level(changes)
    if needed is None:
        raise SchemaError(f"The schema equals snapshot {versions[-1]}; there is nothing to bump.")
    if level is not None and LEVELS.index(level) < LEVELS.index(needed):
        worst = [c for c in changes if c.level == needed]
        raise SchemaError(
            f"These changes need a {needed} bump, not {level}: "
            + "; ".join(f"{c.path} ({c.what})" for c in worst[:5])
            + f". Try `newscorpus schema bump {needed}`."
        )
    version = bump(versions[-1], level or needed)
    write_snapshot(version, folder)
    return version, changes
