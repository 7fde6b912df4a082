"""Schema snapshots: the schema as derived from the models, frozen once per version.

``schemas/v<X.Y.Z>.json`` holds the JSON Schema of each record type, the Arrow
schema, the Hugging Face ``Features`` and the label sets. The newest snapshot's
version is the schema version: it lives nowhere else.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from newscorpus.article import Article
from newscorpus.atomic import atomic_write_text
from newscorpus.errors import SchemaError
from newscorpus.features import article_features, article_schema
from newscorpus.gold import GoldFile
from newscorpus.labels import label_sets, schemas_dir
from newscorpus.semver import parse_semver

RECORD_TYPES = {"Article": Article, "GoldFile": GoldFile}


def snapshot() -> dict[str, Any]:
    """Return the schema as the code defines it now, as plain JSON data."""
    return {
        "records": {name: model.model_json_schema() for name, model in RECORD_TYPES.items()},
        "arrow_schema": {field.name: str(field.type) for field in article_schema()},
        "features": {"documents": article_features().to_dict()},
        "labels": label_sets().model_dump(mode="json"),
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
