"""Publishing a release as a Hugging Face dataset folder that ``datasets.load_dataset`` loads.

The folder holds ``README.md`` (the card, with ``configs`` and ``dataset_info``
in its YAML) and ``data/{config}/{split}-00000-of-00001.parquet``, whose
schema metadata carries the ``Features`` so ``ClassLabel`` survives loading.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from newscorpus.core.atomic import atomic_write_text, default_mode
from newscorpus.core.errors import ReleaseError
from newscorpus.publish.card import published_configs, render_card
from newscorpus.release.build import verify
from newscorpus.release.manifest import Manifest, load_manifest, release_dir

MARKER = ".newscorpus.json"


def _check_out(out: Path) -> None:
    if out.exists() and not (out / MARKER).is_file() and any(out.iterdir()):
        raise ReleaseError(f"{out} exists and is not a newscorpus publication. Try another --out, or empty it.")


def _write_parquet(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with pa.ipc.open_stream(source) as reader, pq.ParquetWriter(target, reader.schema, compression="zstd") as writer:
        for batch in reader:
            writer.write_batch(batch)


def publish(corpus: Path, version: str, out: Path) -> Manifest:
    """Write release ``version`` as a dataset folder at ``out``; an earlier publication there is replaced atomically."""
    manifest = load_manifest(corpus, version)
    report = verify(corpus, version)
    if not report.valid:
        first = report.errors[0]
        raise ReleaseError(f"Release {version} does not match its manifest: {first.file} {first.message}")
    _check_out(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        tmp.chmod(default_mode(directory=True))
        for config, rows in published_configs(manifest).items():
            for split in rows:
                _write_parquet(
                    release_dir(corpus, version) / config / f"{split}.arrow",
                    tmp / "data" / config / f"{split}-00000-of-00001.parquet",
                )
        atomic_write_text(tmp / "README.md", render_card(manifest))
        atomic_write_text(
            tmp / MARKER, json.dumps({"version": version, "inputs_sha256": manifest.inputs_sha256}, indent=2) + "\n"
        )
        if out.exists():
            old = out.with_name(f".{out.name}.old-{os.getpid()}")
            out.rename(old)
            tmp.rename(out)
            shutil.rmtree(old)
        else:
            tmp.rename(out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return manifest
