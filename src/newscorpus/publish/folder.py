"""Publishing a release as a Hugging Face dataset folder that ``datasets.load_dataset`` loads.

The folder holds ``README.md`` (the card, with ``configs`` and ``dataset_info``
in its YAML) and ``data/{config}/{split}-0000K-of-0000N.parquet`` shards, whose
schema metadata carries the ``Features`` so ``ClassLabel`` survives loading.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from newscorpus.core.atomic import atomic_write_text, default_mode
from newscorpus.core.errors import ReleaseError, UsageError
from newscorpus.derive.writers import BATCH_ROWS
from newscorpus.model.gold import AGREEMENT_CHART
from newscorpus.publish.card import published_configs, render_card
from newscorpus.publish.standoff import (
    KNOWN_CONFIGS,
    Rehydration,
    match_copies,
    read_marker,
    rewrite_parquet,
    set_texts,
    withheld_ids,
)
from newscorpus.release.diff import changes_since
from newscorpus.release.manifest import Manifest, load_manifest, release_dir
from newscorpus.release.verify import newest_release, verify

MARKER = ".newscorpus.json"
SHARD_ROWS = 256 * BATCH_ROWS
"""Rows per published Parquet shard: about 100–300 MB of documents, the size the Hub recommends."""


def _check_out(out: Path) -> None:
    if out.exists() and not (out / MARKER).is_file() and any(out.iterdir()):
        raise ReleaseError(f"{out} exists and is not a newscorpus publication. Try another --out, or empty it.")


def _write_parquet(source: Path, folder: Path, split: str, rows: int, config: str, withheld: set[str] | None) -> None:
    """Write one Arrow file as Parquet shards of ``SHARD_ROWS`` rows, batch for batch, into ``folder``.

    The shards are named as the Hub names them, ``{split}-0000K-of-0000N.parquet``, and cut by row
    count alone, so the same release publishes the same files. With ``withheld``, the texts it may
    not share are emptied.
    """
    folder.mkdir(parents=True, exist_ok=True)
    shards = max(1, math.ceil(rows / SHARD_ROWS))
    with pa.ipc.open_stream(source) as reader:
        batches = iter(reader)
        for shard in range(shards):
            path = folder / f"{split}-{shard:05d}-of-{shards:05d}.parquet"
            with pq.ParquetWriter(path, reader.schema, compression="zstd") as writer:
                # Release batches hold BATCH_ROWS rows, which divides SHARD_ROWS: shards end on batch ends.
                for batch in islice(batches, SHARD_ROWS // BATCH_ROWS):
                    if withheld is not None:
                        if config == "documents":
                            withheld.update(withheld_ids(batch))
                        batch = set_texts(config, batch, dict.fromkeys(withheld))
                    writer.write_batch(batch)


@contextmanager
def _writing(out: Path) -> Iterator[Path]:
    """Yield a temp folder beside ``out`` to write into; on success it replaces ``out`` (an earlier one only then)."""
    _check_out(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        tmp.chmod(default_mode(directory=True))
        yield tmp
        if out.exists():
            old = out.with_name(f".{out.name}.old-{os.getpid()}")
            out.rename(old)
            tmp.rename(out)
            shutil.rmtree(old)
        else:
            tmp.rename(out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def agreement_chart(corpus: Path, version: str) -> Path | None:
    """Return the agreement chart of the last pull if release ``version`` is the newest (built after it), else None."""
    chart = corpus / AGREEMENT_CHART
    return chart if chart.is_file() and version == newest_release(corpus) else None


def _finish(folder: Path, card: str, marker: dict[str, Any]) -> None:
    """Write the card and the publication marker: the last files of a publication."""
    atomic_write_text(folder / "README.md", card)
    atomic_write_text(folder / MARKER, json.dumps(marker, indent=2, ensure_ascii=False) + "\n")


def publish(corpus: Path, version: str, out: Path, *, standoff: bool = False) -> Manifest:
    """Write release ``version`` as a dataset folder at ``out``; an earlier publication there is replaced atomically.

    With ``standoff``, every article that is not redistributable is published without its text
    (see ``newscorpus.publish.standoff``); ``rehydrate`` fills the texts back in from the user's copies.
    """
    manifest = load_manifest(corpus, version)
    report = verify(corpus, version)
    if not report.valid:
        first = report.errors[0]
        raise ReleaseError(f"Release {version} does not match its manifest: {first.file} {first.message}")
    configs = published_configs(manifest)
    if standoff and "documents" not in configs:
        raise ReleaseError(
            f"Release {version} has no documents config, which says which texts may be shared. "
            "Try a release built with it (`newscorpus build --config documents …`)."
        )
    if standoff and (unknown := sorted(set(configs) - set(KNOWN_CONFIGS))):
        raise ReleaseError(
            f"Stand-off publishing does not know where the configs {', '.join(unknown)} hold text, so it would "
            "publish it. Try a release built with only the configs it knows: " + ", ".join(KNOWN_CONFIGS) + "."
        )
    withheld: set[str] | None = set() if standoff else None
    changes = changes_since(corpus, version)
    chart = agreement_chart(corpus, version)
    linked = chart.name if chart else None  # beside the card, which links it relative
    with _writing(out) as tmp:
        if chart:
            shutil.copyfile(chart, tmp / chart.name)
        for config, rows in configs.items():  # documents first: it names the texts to withhold
            for split, n in rows.items():
                source = release_dir(corpus, version) / config / f"{split}.arrow"
                _write_parquet(source, tmp / "data" / config, split, n, config, withheld)
        card = render_card(manifest, changes=changes, agreement_chart=linked)
        marker: dict[str, Any] = {"version": version, "inputs_sha256": manifest.inputs_sha256}
        if withheld is not None:
            marker["standoff"] = {"withheld": len(withheld), "card": card}
            card = render_card(manifest, standoff=len(withheld), changes=changes, agreement_chart=linked)
        _finish(tmp, card, marker)
    return manifest


def rehydrate(published: Path, source: Path, out: Path) -> Rehydration:
    """Write ``published`` (a stand-off publication) to ``out`` with its texts filled in from the copies at ``source``.

    Each copy is matched by id, else by URL, and taken only if its text has the published
    ``text_sha256``. What is missing or does not match is reported and stays withheld; when
    nothing is, ``out`` is the full publication byte for byte.
    """
    marker = read_marker(published, MARKER)
    wanted: dict[str, tuple[str, str | None]] = {}
    for path in sorted((published / "data" / "documents").glob("*.parquet")):
        table = pq.read_table(path, columns=["id", "text_sha256", "url", "redistributable"])
        for row in table.to_pylist():
            if not row["redistributable"]:
                wanted[row["id"]] = (row["text_sha256"], row["url"])
    texts, result = match_copies(wanted, source)
    if out.resolve() == published.resolve():
        raise UsageError(f"{out} is the stand-off folder itself. Try another --out: the stand-off folder stays.")
    with _writing(out) as tmp:
        for path in sorted((published / "data").rglob("*.parquet")):
            name = path.relative_to(published)
            rewrite_parquet(path, tmp / name, dict(texts), name.parts[1])
        if (chart := published / Path(AGREEMENT_CHART).name).is_file():  # the card links it
            shutil.copyfile(chart, tmp / chart.name)
        if result.complete:
            card = marker["standoff"]["card"]
            marker = {k: v for k, v in marker.items() if k != "standoff"}
        else:
            card = (published / "README.md").read_text(encoding="utf-8")
            marker["standoff"]["withheld"] = len(result.missing) + len(result.mismatched)
        _finish(tmp, card, marker)
    return result
