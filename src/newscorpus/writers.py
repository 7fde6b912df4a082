"""Arrow IPC stream writers for every config and split of a release, fed row by row in batches."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Any

import pyarrow as pa
from pydantic import BaseModel

from newscorpus.features import row_encoder, schema_for
from newscorpus.ids import SPLITS

BATCH_ROWS = 256


class ReleaseWriters:
    """One ``{config}/{split}.arrow`` stream per config and split; every file exists, even if empty."""

    def __init__(self, folder: Path, models: dict[str, type[BaseModel]]) -> None:
        self.models = models
        self.rows = {config: dict.fromkeys(SPLITS, 0) for config in models}
        self._pending: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._writers = {}
        for config, model in models.items():
            (folder / config).mkdir(parents=True)
            for split in SPLITS:
                path = folder / config / f"{split}.arrow"
                self._writers[(config, split)] = pa.ipc.new_stream(str(path), schema_for(model))
                self._pending[(config, split)] = []

    def add(self, config: str, split: str, record: BaseModel | dict[str, Any], *, encoded: bool = False) -> None:
        """Queue one record (or a row ``row_encoder`` already encoded); a full batch is written at once."""
        pending = self._pending[(config, split)]
        pending.append(record if encoded else row_encoder(self.models[config])(record))
        if len(pending) >= BATCH_ROWS:
            self._flush(config, split)

    def _flush(self, config: str, split: str) -> None:
        pending = self._pending[(config, split)]
        if pending:
            batch = pa.RecordBatch.from_pylist(pending, schema=schema_for(self.models[config]))
            self._writers[(config, split)].write_batch(batch)
            self.rows[config][split] += len(pending)
            pending.clear()

    def __enter__(self) -> ReleaseWriters:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if kind is None:
            for config, split in self._writers:
                self._flush(config, split)
        for writer in self._writers.values():
            writer.close()
