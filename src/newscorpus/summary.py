"""What a published folder holds, as ``datasets.load_dataset`` sees it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import datasets
from datasets import ClassLabel

from newscorpus.errors import ReleaseError


@dataclass
class ConfigSummary:
    """Counts of one config, per split and over all splits."""

    rows: dict[str, int] = field(default_factory=dict)
    entities: Counter[str] = field(default_factory=Counter)
    topics: Counter[str] = field(default_factory=Counter)
    files: list[str] = field(default_factory=list)


def summarize(folder: Path, config: str = "documents") -> ConfigSummary:
    """Load ``config`` of a published folder with ``load_dataset`` and count rows, entities and topics."""
    if not (folder / "README.md").is_file():
        raise ReleaseError(f"{folder} holds no published dataset. Try `newscorpus publish VERSION --out {folder}`.")
    loaded = datasets.load_dataset(str(folder), config)
    summary = ConfigSummary()
    for split, dataset in loaded.items():
        summary.rows[split] = dataset.num_rows
        summary.files += [f["filename"] for f in dataset.cache_files]
        label = dataset.features["entities"].feature["label"]
        topic = dataset.features["topic"]
        if not (isinstance(label, ClassLabel) and isinstance(topic, ClassLabel)):
            raise ReleaseError(
                f"{folder}: the ClassLabel features were lost on load; the card's YAML disagrees with the data."
            )
        for entities in dataset["entities"]:
            summary.entities.update(label.int2str(e["label"]) for e in entities)
        summary.topics.update(topic.int2str(t) for t in dataset["topic"] if t is not None)
    return summary
