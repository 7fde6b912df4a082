"""What a published folder holds, as ``datasets.load_dataset`` sees it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path

import datasets
from datasets import ClassLabel

from newscorpus.core.errors import ReleaseError


@dataclass
class ConfigSummary:
    """Counts of one config, per split and over all splits."""

    rows: dict[str, int] = field(default_factory=dict)
    entities: Counter[str] = field(default_factory=Counter)
    topics: Counter[str] = field(default_factory=Counter)
    files: list[str] = field(default_factory=list)


def summarize(folder: Path, config: str = "documents") -> ConfigSummary:
    """Load ``config`` of a published folder with ``load_dataset``; count rows, entities and topics.

    Entities are the gold spans in ``documents`` and the ``B-`` tags in ``ner``; topics are the
    gold topics in ``documents`` and the labels in ``topics``. Reading the names through the loaded
    ``ClassLabel`` features also proves those features survived loading.
    """
    if not (folder / "README.md").is_file():
        raise ReleaseError(f"{folder} holds no published dataset. Try `newscorpus publish VERSION --out {folder}`.")
    loaded = datasets.load_dataset(str(folder), config)
    summary = ConfigSummary()
    for split, dataset in loaded.items():
        summary.rows[split] = dataset.num_rows
        summary.files += [f["filename"] for f in dataset.cache_files]
        features = dataset.features
        if config == "documents":
            label, topic = (
                _class_label(folder, features["entities"].feature["label"]),
                _class_label(folder, features["topic"]),
            )
            for entities in dataset["entities"]:
                summary.entities.update(label.int2str(e["label"]) for e in entities)
            summary.topics.update(topic.int2str(t) for t in dataset["topic"] if t is not None)
        elif config == "ner":
            tag = _class_label(folder, features["ner_tags"].feature)
            for tags in chain(dataset["ner_tags"], dataset["nested_ner_tags"]):
                summary.entities.update(name[2:] for name in map(tag.int2str, tags) if name.startswith("B-"))
        elif config == "topics":
            label = _class_label(folder, features["label"])
            summary.topics.update(map(label.int2str, dataset["label"]))
    return summary


def _class_label(folder: Path, feature: object) -> ClassLabel:
    if not isinstance(feature, ClassLabel):
        raise ReleaseError(f"{folder}: a ClassLabel feature was lost on load; the card's YAML disagrees with the data.")
    return feature
