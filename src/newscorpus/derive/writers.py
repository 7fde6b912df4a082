"""Arrow IPC streams as a release stores them: batches of ``BATCH_ROWS`` rows, and streams made of shards.

A stream is a schema message, record batch messages and an end-of-stream marker, and a
batch message does not depend on where in the stream it stands. So shards written on many
machines, each cut at a multiple of ``BATCH_ROWS``, stitch into the very bytes one writer
would have written.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Iterable
from functools import cache
from itertools import groupby
from pathlib import Path
from typing import Any, cast

import numpy as np
import pyarrow as pa
from pydantic import BaseModel

from newscorpus.core.ranges import run_indices
from newscorpus.derive.configs import Rows, TableRows
from newscorpus.derive.features import schema_for

BATCH_ROWS = 256
_EOS = b"\xff\xff\xff\xff\x00\x00\x00\x00"
"""The end-of-stream marker: a continuation token and a zero length."""


def as_table(parts: Iterable[Rows], model: type[BaseModel]) -> pa.Table:
    """Return rows as one table of ``model``'s schema, from what ``Config.rows`` made: lists of dicts or table rows."""
    schema = schema_for(model)
    tables = []
    # Consecutive parts of one kind are made into one table: rows of one job's table gathered with one take.
    for source, run in groupby(parts, key=lambda part: id(part.table) if isinstance(part, TableRows) else None):
        if source is None:
            tables.append(pa.Table.from_pylist([row for rows in run for row in cast(list[Any], rows)], schema=schema))
        else:
            ranges = cast(list[TableRows], list(run))
            starts, sizes = zip(*((part.start, len(part)) for part in ranges), strict=True)
            tables.append(ranges[0].table.take(run_indices(starts, sizes)))
    if len(tables) == 1:
        return tables[0]
    # One chunk: each would be a batch of its own in a spill.
    return pa.concat_tables(tables or [schema.empty_table()]).combine_chunks()


def write_stream(path: Path, table: pa.Table) -> None:
    """Write ``table`` as an IPC stream in batches of ``BATCH_ROWS`` rows, the last one shorter.

    Each batch is copied into arrays of its own: Arrow writes a batch that is a slice of a longer
    array with the bytes around it as padding, and a fresh array with zeros. So the bytes depend
    on the rows alone, not on how the table happens to be cut into chunks (runs of a spill).
    """
    with pa.ipc.new_stream(str(path), table.schema) as writer:
        for start in range(0, table.num_rows, BATCH_ROWS):
            part = table.slice(start, BATCH_ROWS)
            writer.write_batch(part.take(np.arange(part.num_rows)).combine_chunks().to_batches()[0])


def _checked_stream(shard: Path, prefix: bytes, model: type[BaseModel]) -> memoryview:
    """Return the bytes of ``shard``, checked to be a whole stream that starts with ``prefix`` (``model``'s schema)."""
    data = memoryview(shard.read_bytes())
    if data[: len(prefix)] != prefix or data[-len(_EOS) :] != _EOS:
        raise ValueError(f"{shard} is no stream of the schema of {model.__name__}")
    return data


@cache
def _prefix(schema: pa.Schema) -> bytes:
    sink = io.BytesIO()
    pa.ipc.new_stream(sink, schema).close()
    empty = sink.getvalue()
    assert empty.endswith(_EOS)  # noqa: S101 - the IPC format's own rule, checked once per schema
    return empty[: -len(_EOS)]


def stream_rows(data: bytes | memoryview) -> int:
    """Return how many rows the IPC stream ``data`` holds, from its batches' headers (the columns are not read)."""
    return sum(batch.num_rows for batch in pa.ipc.open_stream(pa.py_buffer(data)))


def stitched_before(target: Path, model: type[BaseModel], rows: int) -> tuple[str, int] | None:
    """Return the sha256 and size of ``target`` if it is a whole stream of ``model``'s schema of ``rows`` rows.

    None if it is missing, cut short or another stream: what a stitch that died left behind.
    """
    try:
        data = _checked_stream(target, _prefix(schema_for(model)), model)
        if stream_rows(data) == rows:
            return hashlib.sha256(data).hexdigest(), len(data)
    except (OSError, ValueError):  # pyarrow's ArrowInvalid is a ValueError
        pass
    return None


def stitch(target: Path, shards: list[Path], model: type[BaseModel]) -> tuple[str, int, int]:
    """Write one IPC stream from ``shards`` (streams of ``model``'s schema, in order); return its sha256, size, rows.

    A single shard is that stream already (a split of at most ``derive.shards.SHARD_ROWS`` rows):
    it is checked and linked into place, not copied. Linked, not moved: a Ray task run again after
    its node died must find its shards as the first run did.
    """
    prefix = _prefix(schema_for(model))
    if len(shards) == 1:
        data = _checked_stream(shards[0], prefix, model)
        target.unlink(missing_ok=True)
        try:
            os.link(shards[0], target)
        except OSError:  # a file system without hard links
            target.write_bytes(data)
        return hashlib.sha256(data).hexdigest(), len(data), stream_rows(data)
    digest, rows = hashlib.sha256(), 0
    with target.open("wb") as out:

        def put(data: bytes | memoryview) -> None:
            out.write(data)
            digest.update(data)

        put(prefix)
        for shard in shards:
            data = _checked_stream(shard, prefix, model)
            rows += stream_rows(data)
            put(data[len(prefix) : -len(_EOS)])
        put(_EOS)
        size = out.tell()
    return digest.hexdigest(), size, rows
