"""The label sets, read from ``schemas/labels.yaml``.

That file is the only place labels are written; ClassLabel names, validation
and the Label Studio config all derive from it.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from newscorpus.core.errors import SchemaError
from newscorpus.core.resources import project_path


def schemas_dir() -> Path:
    """Return the ``schemas/`` folder."""
    return project_path("schemas")


class Label(BaseModel):
    """One label and the hint annotators see for it."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)
    name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]*$")
    description: str = Field(min_length=1)


class LabelSets(BaseModel):
    """Every label set of the corpus, in ClassLabel order."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)
    entity_labels: tuple[Label, ...]
    topics: tuple[Label, ...]

    def entity_names(self) -> tuple[str, ...]:
        """Return the entity label names in ClassLabel order."""
        return tuple(label.name for label in self.entity_labels)

    def topic_names(self) -> tuple[str, ...]:
        """Return the topic names in ClassLabel order."""
        return tuple(label.name for label in self.topics)


@cache
def label_sets() -> LabelSets:
    """Load and check ``schemas/labels.yaml`` once per process."""
    path = schemas_dir() / "labels.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    sets = LabelSets.model_validate({k: tuple(v) for k, v in data.items()}, strict=False)
    for name, names in (("entity_labels", sets.entity_names()), ("topics", sets.topic_names())):
        if len(set(names)) != len(names):
            raise SchemaError(f"{path}: {name} lists a label twice. Give every label one entry.")
    return sets
