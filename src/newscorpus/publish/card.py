"""The dataset card: ``dataset_card.md`` rendered with the release's figures and YAML metadata."""

from __future__ import annotations

from typing import Any

from datasets import ClassLabel, DatasetInfo, List, SplitDict, SplitInfo, Value
from datasets.info import DatasetInfosDict
from datasets.utils.metadata import MetadataConfigs
from huggingface_hub import DatasetCard, DatasetCardData
from pydantic import BaseModel

from newscorpus.core.resources import project_path
from newscorpus.derive.configs import get_config
from newscorpus.derive.features import features_for
from newscorpus.ingest.ids import SPLITS
from newscorpus.model.article import OFFSET_RULE
from newscorpus.model.labels import label_sets
from newscorpus.release.diff import ReleaseDiff
from newscorpus.release.manifest import Manifest

_SIZE_CATEGORIES = [(1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")]
_HF_LICENSES = {"cc-by-4.0", "cc-by-sa-4.0", "cc-by-nc-4.0", "cc-by-nc-sa-4.0", "cc0-1.0", "apache-2.0", "mit"}


def hub_license(spdx: str) -> str:
    """Return the Hub's licence id for an SPDX id; custom ``LicenseRef-…`` licences are ``other``."""
    return spdx.lower() if spdx.lower() in _HF_LICENSES else "other"


def size_category(n: int) -> str:
    """Return the Hub's size category for ``n`` rows."""
    return next((name for bound, name in _SIZE_CATEGORIES if n < bound), "n>1M")


def published_splits(rows: dict[str, int]) -> dict[str, int]:
    """Return the splits a config publishes: ``load_dataset`` refuses a split without rows."""
    return {split: n for split, n in rows.items() if n}


def data_files(config: str, rows: dict[str, int]) -> list[dict[str, str]]:
    """Return the ``data_files`` of one config, per published split, as the card's YAML lists them."""
    return [{"split": split, "path": f"data/{config}/{split}-*.parquet"} for split in published_splits(rows)]


def published_configs(manifest: Manifest) -> dict[str, dict[str, int]]:
    """Return the configs a release publishes, with their splits: a config without rows is left out."""
    return {config: published_splits(rows) for config, rows in manifest.splits.items() if any(rows.values())}


def card_data(manifest: Manifest) -> DatasetCardData:
    """Return the card's YAML metadata: licence, tasks (those of the release's configs), size, configs and features."""
    configs = [get_config(name) for name in manifest.splits]
    data = DatasetCardData(
        language=["de"],
        license=sorted({hub_license(name) for name in manifest.statistics.licenses}) or ["other"],
        pretty_name="newscorpus",
        task_categories=list(dict.fromkeys(task for c in configs for task in c.task_categories)) or None,
        task_ids=list(dict.fromkeys(task for c in configs for task in c.task_ids)) or None,
        size_categories=[size_category(manifest.statistics.articles)],
    )
    # The version keys datasets' cache: it hashes the card's configs, not the files, so without it a
    # folder republished with a new release of the same shape loads the old release from the cache.
    published = published_configs(manifest)
    files = {c: {"version": manifest.version, "data_files": data_files(c, rows)} for c, rows in published.items()}
    MetadataConfigs(files).to_dataset_card_data(data)
    infos = {
        config: DatasetInfo(
            features=features_for(get_config(config).model),
            config_name=config,
            splits=SplitDict({s: SplitInfo(name=s, num_examples=n) for s, n in rows.items()}),
        )
        for config, rows in published.items()
    }
    DatasetInfosDict(infos).to_dataset_card_data(data)
    return data


def describe_feature(feature: Any) -> str:
    """Return a short readable type for the card: ``string``, ``ClassLabel (9)``, ``list of {…}``."""
    if isinstance(feature, ClassLabel):
        return f"ClassLabel ({feature.num_classes})"
    if isinstance(feature, List):
        return f"list of {describe_feature(feature.feature)}"
    if isinstance(feature, dict):
        return "{" + ", ".join(feature) + "}"
    if isinstance(feature, Value):
        return str(feature.dtype)
    return type(feature).__name__


def _fields(model: type[BaseModel]) -> list[dict[str, str]]:
    """Return the card's table of a config's fields: each one's name, readable type and description."""
    features = features_for(model)
    return [
        {
            "name": name,
            "type": describe_feature(features[name]),
            "description": (field.description or "").replace("|", "\\|"),
        }
        for name, field in model.model_fields.items()
    ]


CHANGES_LISTED = 20
"""How many ids, and changed texts, the card's "Changes since" section lists; the diff command lists them all."""


def render_card(
    manifest: Manifest,
    standoff: int | None = None,
    changes: ReleaseDiff | None = None,
    agreement_chart: str | None = None,
) -> str:
    """Render the dataset card of a release.

    ``standoff``: how many texts a stand-off publication withholds; ``changes``: what the release
    changed since the one before it (``release.diff.changes_since``), None for the first release;
    ``agreement_chart``: the annotators' agreement chart, relative to the card, if it goes along.
    """
    published = published_configs(manifest)
    fields = {config: _fields(get_config(config).model) for config in published}
    card = DatasetCard.from_template(
        card_data(manifest),
        template_path=str(project_path("dataset_card.md")),
        version=manifest.version,
        schema_version=manifest.schema_version,
        inputs_sha256=manifest.inputs_sha256,
        splits=SPLITS,
        configs=manifest.splits,
        descriptions={config: get_config(config).description for config in manifest.splits},
        published=published,
        statistics=manifest.statistics,
        threshold=manifest.threshold,
        licenses=manifest.statistics.licenses,
        offset_rule=OFFSET_RULE,
        fields=fields,
        entity_labels=label_sets().entity_labels,
        standoff=standoff,
        changes=changes,
        listed=CHANGES_LISTED,
        agreement_chart=agreement_chart,
    )
    return str(card)
