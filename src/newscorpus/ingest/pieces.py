"""The pieces a corpus is read in: single-article files, parts of JSONL files, chunks of records.

A JSONL file is cut into byte ranges that the workers read themselves; a compressed one is
decompressed here and its lines sent on in chunks, as is one in UTF-16, decoded (Windows
PowerShell writes it so); an import is read here and sent a chunk of records at a time. Each
piece knows its file, so problems and line numbers stay exact.
"""

from __future__ import annotations

import mmap
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from newscorpus.core.codes import Code
from newscorpus.core.report import Problem
from newscorpus.ingest.candidates import Candidate, candidates, read_raw_file
from newscorpus.ingest.encoding import UTF16_HEAD_BYTES, bom_of, utf16_encoding, utf16_read
from newscorpus.ingest.parsers import IMPORT_SUFFIXES, parse_jsonl_chunk, parse_jsonl_range
from newscorpus.ingest.parsers.compressed import (
    COMPRESSED_SUFFIXES,
    JSONL_SUFFIXES,
    broken_stream,
    decompressed_chunks,
    jsonl_codec,
)
from newscorpus.ingest.parsers.notes import RecordNotes
from newscorpus.model.article import Article

RECORDS_PER_JOB = 16
"""Records of an import, which the driver reads, sent to another process at once."""
DECOMPRESSED_BYTES = 1 << 20
"""A compressed JSONL file goes to the workers this many decompressed bytes at a time (whole lines)."""
RANGES_PER_WORKER, TAIL_RANGES_PER_WORKER = 8, 2
MIN_RANGE_BYTES, MAX_RANGE_BYTES = 256 << 10, 8 << 20
"""A JSONL file is cut into about ``RANGES_PER_WORKER`` parts per worker, each within these bounds; near its end,
into about ``TAIL_RANGES_PER_WORKER`` per worker of what is left (see ``range_size``)."""


@dataclass(frozen=True, slots=True)
class JsonlRange:
    """The lines of a JSONL file that begin in bytes ``start`` to ``stop``, the first being ``line``."""

    name: str
    start: int
    stop: int
    line: int
    last: bool  # whether it ends the file


@dataclass(frozen=True, slots=True)
class JsonlChunk:
    """Lines of a compressed JSONL file, decompressed by the driver: ``data``, the first being ``line``.

    Or of a UTF-16 one, in UTF-8: ``encoding`` is then the file's.
    """

    name: str
    line: int
    data: bytes
    encoding: str | None = None


Piece = str | JsonlRange | JsonlChunk | list[Problem | Candidate[Article]]
"""A single-article raw file, part of a JSONL file (as a byte range, or decompressed lines), or records the
driver already read from an import."""


def range_size(size: int, left: int, workers: int) -> int:
    """Return the bytes of the next range of a JSONL file: ``size``, shrinking once ``left`` bytes are few.

    As single-article files' jobs do (``ingest.corpus.job_size``): ranges of one size left a worker
    idle for up to a whole range at the end of a file (0.05-0.57 s of a 20,000-record build's 5 s)
    while the other read the last one.
    """
    return min(size, max(MIN_RANGE_BYTES, left // (workers * TAIL_RANGES_PER_WORKER)))


def jsonl_ranges(path: Path, name: str, size: int, workers: int = 1) -> Iterator[JsonlRange]:
    """Cut a JSONL file into parts of about ``size`` bytes, each ending with a line, numbering their first lines.

    Near the end of the file the parts shrink (``range_size``), so that its ``workers`` finish
    together. One pass of the driver over the bytes, in C (``find``, ``count``): cheap next to
    parsing them.
    """
    with path.open("rb") as handle:
        data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) if path.stat().st_size else b""
    total, start, line = len(data), 0, 1
    try:
        while True:
            want = range_size(size, total - start, workers)
            end = data.find(b"\n", start + want - 1) if start + want <= total else -1
            stop = total if end < 0 else end + 1
            yield JsonlRange(name, start, stop, line, stop >= total)
            if stop >= total:
                return
            line += data[start:stop].count(b"\n")
            start = stop
    finally:
        if isinstance(data, mmap.mmap):
            data.close()


def read_piece(corpus: Path, piece: Piece) -> tuple[list[Problem | Candidate[Article]], RecordNotes | None]:
    """Read one piece on a worker: its problems and candidates, and the notes of a JSONL file's records."""
    if isinstance(piece, str):
        return list(read_raw_file(corpus, piece)), None
    if isinstance(piece, list):
        return piece, None
    notes = RecordNotes()
    if isinstance(piece, JsonlChunk):
        parsed = parse_jsonl_chunk(corpus / piece.name, piece.name, piece.data, piece.line, notes, piece.encoding)
        return list(candidates(corpus, parsed)), notes
    parsed = parse_jsonl_range(corpus / piece.name, piece.name, piece.start, piece.stop, piece.line, notes)
    return list(candidates(corpus, parsed)), notes


def pieces_of(corpus: Path, names: Iterable[str], workers: int) -> Iterator[tuple[Piece, str, bool]]:
    """Yield the pieces of the raw files in order, each with its file and whether it ends it.

    A JSONL file is cut into byte ranges that the workers read themselves, small enough for
    every worker to get several; an import is read here, in order, and sent a chunk of records at a time.
    """
    for name in names:
        lowered = name.lower()
        if single(lowered):
            yield name, name, True
        elif lowered.endswith(JSONL_SUFFIXES):
            path = corpus / name
            try:
                with path.open("rb") as handle:
                    utf16 = utf16_encoding(handle.read(UTF16_HEAD_BYTES))
                    mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) if utf16 else None
                size = min(MAX_RANGE_BYTES, max(MIN_RANGE_BYTES, path.stat().st_size // (workers * RANGES_PER_WORKER)))
                parts = [] if utf16 else list(jsonl_ranges(path, name, size, workers))
            except (OSError, ValueError):  # ValueError: emptied since it was read (mmap refuses an empty file)
                yield name, name, True  # read whole by a worker, which reports why it cannot be read
                continue
            if utf16 and mapped is not None:
                yield from utf16_chunks(mapped, name, utf16)
            for part in parts:
                yield part, name, part.last
        elif codec := jsonl_codec(lowered):
            yield from _chunks(corpus, name, codec)
        elif lowered.endswith(IMPORT_SUFFIXES):
            records: list[Problem | Candidate[Article]] = []
            for item in read_raw_file(corpus, name):
                records.append(item)
                if len(records) == RECORDS_PER_JOB:
                    yield records, name, False
                    records = []
            yield records, name, True


def _chunks(corpus: Path, name: str, codec: str) -> Iterator[tuple[Piece, str, bool]]:
    """Yield a compressed JSONL file as chunks of decompressed lines; where its stream breaks, that problem."""
    after = 1  # the line after the chunks so far
    try:
        for line, data in decompressed_chunks(corpus / name, codec, DECOMPRESSED_BYTES):
            yield JsonlChunk(name, line, data), name, False
            after = line + data.count(b"\n")
    except OSError as exc:
        yield [broken_stream(name, codec, exc)], name, True
        return
    yield JsonlChunk(name, after, b""), name, True  # ends the file, so its notes are told; a lone one starts it too


def utf16_chunks(data: mmap.mmap, name: str, encoding: str) -> Iterator[tuple[Piece, str, bool]]:
    """Yield a JSONL file in UTF-16 (``utf16_encoding``) as chunks of its lines in UTF-8, after a warning.

    ``data`` is the file, mapped; it is closed at the end. JSON Lines are UTF-8; Windows
    PowerShell (``>``, ``Out-File``) writes UTF-16. Each line is decoded on its own, so one that
    is not UTF-16 is that line's problem alone. Its records' hashes are those of their UTF-8
    bytes, as in a JSON array that is not UTF-8.
    """
    try:
        # A byte-order mark says which order, and is no part of the first line.
        mark, order = bom_of(data[:2]) or (b"", encoding)
        newline, at, line, first, lines, size = "\n".encode(order), len(mark), 1, 1, [], 0
        if at < len(data):  # a byte-order mark alone holds no line: the file is empty, as that says
            yield [utf16_read(name, encoding, "UTF-8 (JSON Lines are UTF-8)")], name, False
        while at < len(data):
            end = data.find(newline, at)
            while end >= 0 and (end - at) % 2:  # a newline's bytes across two code units are none
                end = data.find(newline, end + 1)
            stop = len(data) if end < 0 else end + 2
            try:
                lines.append(data[at:stop].decode(order).encode("utf-8"))
                size += len(lines[-1])
            except UnicodeDecodeError as exc:
                if lines:
                    yield JsonlChunk(name, first, b"".join(lines), encoding), name, False
                message = f"this line is not UTF-16, as the file is ({exc.reason} at byte {at + exc.start})"
                yield [Problem(code=Code.RAW_UNDECODABLE, file=name, line=line, message=message)], name, False
                first, lines, size = line + 1, [], 0
            line, at = line + 1, stop
            if size >= DECOMPRESSED_BYTES:
                yield JsonlChunk(name, first, b"".join(lines), encoding), name, False
                first, lines, size = line, [], 0
        yield JsonlChunk(name, first, b"".join(lines), encoding), name, True  # ends the file, told its notes
    finally:
        data.close()


def single(lowered: str) -> bool:
    """Whether a raw file (its name in lower case) holds one article: not JSONL (compressed or not), not an import."""
    return not lowered.endswith((*JSONL_SUFFIXES, *COMPRESSED_SUFFIXES, *IMPORT_SUFFIXES))
