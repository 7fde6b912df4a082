"""Arrow IPC stream writers for every config and split of a release, fed encoded rows, written in batches."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Any

import pyarrow as pa
from pydantic import BaseModel

from newscorpus.derive.configs import Rows
from newscorpus.derive.features import schema_for
from newscorpus.ingest.ids import SPLITS

BATCH_ROWS = 256


class ReleaseWriters:
    """One ``{config}/{split}.arrow`` stream per config and split; every file exists, even if empty."""

    def __init__(self, folder: Path, models: dict[str, type[BaseModel]]) -> None:
        self.models = models
        self.rows = {config: dict.fromkeys(SPLITS, 0) for config in models}
        self._pending: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._tables: dict[tuple[str, str], list[pa.Table]] = {}
        self._writers = {}
        for config, model in models.items():
            (folder / config).mkdir(parents=True)
            for split in SPLITS:
                path = folder / config / f"{split}.arrow"
                self._writers[(config, split)] = pa.ipc.new_stream(str(path), schema_for(model))
                self._pending[(config, split)] = []
                self._tables[(config, split)] = []

    def add_rows(self, config: str, split: str, rows: Rows) -> None:
        """Queue one article's rows of ``config``, as its ``Config.rows`` encoded them: dicts, or a table."""
        if isinstance(rows, pa.Table):
            self.add_table(config, split, rows)
        else:
            for row in rows:
                self.add(config, split, row)

    def add(self, config: str, split: str, row: dict[str, Any]) -> None:
        """Queue one row, encoded by ``row_encoder`` of the config's model; a full batch is written at once."""
        pending = self._pending[(config, split)]
        pending.append(row)
        if len(pending) >= BATCH_ROWS:
            self._queue_pending(config, split)

    def add_table(self, config: str, split: str, table: pa.Table) -> None:
        """Queue rows already encoded as a table of the config's schema (made on another core, say)."""
        tables = self._tables[(config, split)]
        tables.append(table)
        while sum(t.num_rows for t in tables) >= BATCH_ROWS:
            self._write(config, split, BATCH_ROWS)

    def _queue_pending(self, config: str, split: str) -> None:
        pending = self._pending[(config, split)]
        if pending:
            self.add_table(config, split, pa.Table.from_pylist(pending, schema=schema_for(self.models[config])))
            pending.clear()

    def _write(self, config: str, split: str, rows: int) -> None:
        """Write the first ``rows`` queued rows as one batch: every batch has BATCH_ROWS rows but the last."""
        tables = self._tables[(config, split)]
        queued = pa.concat_tables(tables)
        self._writers[(config, split)].write_batch(queued.slice(0, rows).combine_chunks().to_batches()[0])
        rest = queued.slice(rows)
        tables[:] = [rest] if rest.num_rows else []
        self.rows[config][split] += rows

    def _flush(self, config: str, split: str) -> None:
        self._queue_pending(config, split)
        if queued := sum(t.num_rows for t in self._tables[(config, split)]):
            self._write(config, split, queued)

    def __enter__(self) -> ReleaseWriters:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if kind is None:
            for config, split in self._writers:
                self._flush(config, split)
        for writer in self._writers.values():
            writer.close()
