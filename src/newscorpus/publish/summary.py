"""What a published folder holds, as ``datasets.load_dataset`` sees it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import datasets

from newscorpus.core.errors import ReleaseError
from newscorpus.derive.configs import CONFIGS, get_config


@dataclass
class ConfigSummary:
    """Rows of one config per split, and what the config counts over all splits, by heading."""

    config: str
    rows: dict[str, int] = field(default_factory=dict)
    counts: dict[str, Counter[str]] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)


def summarize(folder: Path, config: str | None = None) -> ConfigSummary:
    """Load ``config`` (default: the first registered) of a published folder with ``load_dataset``; count its rows.

    What else is counted is the config's own ``summarize``: entities per label and topics for
    ``documents``, say. Reading names through the loaded ``ClassLabel`` features also proves
    those features survived loading.
    """
    if not (folder / "README.md").is_file():
        raise ReleaseError(f"{folder} holds no published dataset. Try `newscorpus publish VERSION --out {folder}`.")
    name = config or next(iter(CONFIGS))
    chosen = get_config(name)()
    if not (folder / "data" / name).is_dir():
        there = ", ".join(c for c in CONFIGS if (folder / "data" / c).is_dir())
        raise ReleaseError(
            f"{folder} holds no {name} config: a config without rows is not published. Its configs are {there}; "
            "try `--config` with one of them."
        )
    loaded = datasets.load_dataset(str(folder), name)
    summary = ConfigSummary(name)
    for split, dataset in loaded.items():
        summary.rows[split] = dataset.num_rows
        summary.files += [f["filename"] for f in dataset.cache_files]
        for heading, counts in chosen.summarize(dataset).items():
            summary.counts.setdefault(heading, Counter()).update(counts)
    return summary
