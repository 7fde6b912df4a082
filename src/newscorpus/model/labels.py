"""The label sets, read from ``schemas/labels.yaml``.

That file is the only place labels are written; ClassLabel names, validation
and the Label Studio config all derive from it. The ``Literal`` types the models
validate with are generated from it into ``model/label_types.py``, so that type
checkers see them too (a ``Literal`` built at import time is opaque to them);
``newscorpus schema labels`` writes that module, and ``newscorpus schema check``
fails while it is stale.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from newscorpus.core.atomic import atomic_write_text
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


LABEL_TYPES = Path(__file__).with_name("label_types.py")
"""The module of ``Literal`` types generated from the label sets."""


def render_label_types(sets: LabelSets) -> str:
    """Return the source of ``model/label_types.py`` for ``sets``: one ``Literal`` per label set, and the BIO tags."""
    tags = ("O", *(f"{prefix}-{name}" for name in sets.entity_names() for prefix in ("B", "I")))

    def literal(name: str, doc: str, values: tuple[str, ...]) -> str:
        lines = "".join(f"    {json.dumps(value)},\n" for value in values)  # double quotes, as ruff formats
        return f'{name} = Literal[\n{lines}]\n"""{doc}"""\n'

    return "\n".join(
        [
            '"""Generated from schemas/labels.yaml by `newscorpus schema labels`: do not edit."""\n',
            "from typing import Literal\n",
            literal("EntityLabel", "A NoSta-D entity label, in ClassLabel order.", sets.entity_names()),
            literal("Topic", "A 10kGNAD topic, in ClassLabel order.", sets.topic_names()),
            literal("NerTag", "A GermEval 2014 BIO tag: O, then B-/I- of each entity label in order.", tags),
        ]
    )


def label_types_stale() -> bool:
    """Whether ``model/label_types.py`` differs from what ``schemas/labels.yaml`` generates."""
    try:
        return LABEL_TYPES.read_text(encoding="utf-8") != render_label_types(label_sets())
    except FileNotFoundError:
        return True


def write_label_types() -> Path:
    """Generate ``model/label_types.py`` from ``schemas/labels.yaml``; return its path."""
    atomic_write_text(LABEL_TYPES, render_label_types(label_sets()))
    return LABEL_TYPES


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
