"""Compressed JSONL and JSON (``.jsonl.gz``, ``.json.zst``, …), as crawls and exports ship them, kept as received.

A compressed stream cannot be cut into byte ranges that workers seek to, so one reader
decompresses a JSONL file (pyarrow's codecs, in C) and hands the lines on in chunks, each with
the number of its first line. A record is the same whichever way its file came: its bytes are
the line. A compressed ``.json`` file (an object, or an array) is decompressed whole, by a worker.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

from newscorpus.core.codes import Code
from newscorpus.core.report import Problem

CODECS = {".gz": "gzip", ".bz2": "bz2", ".zst": "zstd"}
JSONL_SUFFIXES = (".jsonl", ".ndjson")
"""JSON Lines, under either name: NDJSON (Elasticsearch's and BigQuery's exports, jq's output) is the same format."""
COMPRESSED_SUFFIXES = tuple(f"{kind}{suffix}" for kind in JSONL_SUFFIXES for suffix in CODECS)
COMPRESSED_JSON_SUFFIXES = tuple(f".json{suffix}" for suffix in CODECS)
READ_BYTES = 1 << 20


def jsonl_codec(name: str) -> str | None:
    """Return the codec of a compressed JSONL file's name, None for any other name."""
    return next(filter(None, (_codec(name, kind) for kind in JSONL_SUFFIXES)), None)


def json_codec(name: str) -> str | None:
    """Return the codec of a compressed ``.json`` file's name, None for any other name."""
    return _codec(name, ".json")


def _codec(name: str, kind: str) -> str | None:
    lowered = name.lower()
    return next((codec for suffix, codec in CODECS.items() if lowered.endswith(f"{kind}{suffix}")), None)


def decompressed(path: Path, codec: str, limit: int) -> bytes:
    """Return the decompressed bytes of ``path``, or its first ``limit`` + 1 if it has more (too big to read).

    A damaged stream raises ``OSError``.
    """
    import pyarrow as pa

    parts, size = [], 0
    with pa.input_stream(str(path), compression=codec) as stream:
        while size <= limit and (block := stream.read(min(READ_BYTES, limit + 1 - size))):
            parts.append(block)
            size += len(block)
    return b"".join(parts)


def decompressed_chunks(path: Path, codec: str, size: int = READ_BYTES) -> Iterator[tuple[int, bytes]]:
    """Yield the decompressed lines of ``path`` in chunks of about ``size`` bytes: each with its first line's number.

    Every chunk but the last ends with a line break. A damaged stream raises ``OSError`` where it breaks,
    after the chunks before it.
    """
    import pyarrow as pa  # only for a compressed file: importing it costs a command that reads none

    line, rest = 1, b""
    with pa.input_stream(str(path), compression=codec) as stream:
        while block := stream.read(size):
            data = rest + block
            cut = data.rfind(b"\n") + 1
            if not cut:  # a line longer than a read: read on
                rest = data
                continue
            rest = data[cut:]
            yield line, data[:cut]
            line += data.count(b"\n", 0, cut)
    if rest:
        yield line, rest


def broken_stream(
    name: str, codec: str, exc: OSError, kept: str = "the records decompressed before the break are read"
) -> Problem:
    """Return the problem of compressed file ``name``, whose stream breaks (``exc``); ``kept`` says what was read."""
    message = f"could not be decompressed as {codec} ({exc}); {kept}"
    return Problem(code=Code.RAW_UNREADABLE, file=name, message=message)


def decompressed_lines(path: Path, codec: str) -> Iterator[bytes]:
    """Yield the decompressed lines of ``path``, each with its line break (LF only, as reading a file splits)."""
    for _, chunk in decompressed_chunks(path, codec):
        yield from io.BytesIO(chunk)
