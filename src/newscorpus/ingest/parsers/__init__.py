"""Raw files in, articles or problems out: one parser per raw format.

Every raw file yields at least one article or one problem, so nothing is lost
silently (one that holds no record at all is told so by ``ingest.corpus``). The
formats are chosen by file suffix; a ``.json`` file holds one object or an array (``records``).
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from newscorpus.core.codes import Code
from newscorpus.core.errors import InvalidInput
from newscorpus.core.offsets import normalize_text
from newscorpus.core.report import Problem
from newscorpus.ingest.encoding import bomless_utf16, decode_text
from newscorpus.ingest.ids import id_from_filename
from newscorpus.ingest.make import ParseResult, make_article
from newscorpus.ingest.parsers import germeval, gnad
from newscorpus.ingest.parsers.compressed import (
    CODECS,
    COMPRESSED_JSON_SUFFIXES,
    COMPRESSED_SUFFIXES,
    JSONL_SUFFIXES,
    broken_stream,
    decompressed,
    decompressed_lines,
    json_codec,
    jsonl_codec,
)
from newscorpus.ingest.parsers.jsonarray import MAX_ARRAY_BYTES, holds_json_lines, starts_array
from newscorpus.ingest.parsers.notes import RecordNotes
from newscorpus.ingest.parsers.pagecopy import PageCopyError, parse_page_copy
from newscorpus.ingest.parsers.records import MAX_FILE_BYTES, guarded, json_file, json_object, too_big
from newscorpus.model.sidecar import Sidecar, load_sidecar, sidecar_path

SUFFIXES = (".txt", ".json", *JSONL_SUFFIXES)
IMPORT_SUFFIXES = (".tsv", ".csv")
RAW_SUFFIXES = SUFFIXES + COMPRESSED_SUFFIXES + COMPRESSED_JSON_SUFFIXES + IMPORT_SUFFIXES
"""Every raw file a sidecar may stand beside: a raw format, compressed JSONL or JSON, an import."""
_PAGE_TEXT = ". Try saving the article's text as a page copy (.txt: what selecting the page and copying it gives)"
_CONVERT = {
    ".html": _PAGE_TEXT,
    ".htm": _PAGE_TEXT,
    ".pdf": _PAGE_TEXT,
    ".docx": _PAGE_TEXT,
    ".xml": ". Try converting its items to JSON Lines: an object a line, with headline, body, url and published_at",
    ".rss": ". Try converting its items to JSON Lines: an object a line, with headline, body, url and published_at",
}
"""What to do with a file of a format often dropped in by mistake: an article's page, a document, a feed."""
_IMPORT_SIDECAR_FIELDS = {"format", "split", "license", "redistributable"}
"""Public corpora imported with `newscorpus import`; their sidecar names the format."""


def _page_copy(data: bytes, name: str, stem: str, sidecar: Sidecar) -> Iterator[ParseResult]:
    decoded = decode_text(data)
    text = normalize_text(decoded.text)
    try:
        page = parse_page_copy(text, sidecar)
    except PageCopyError as exc:
        yield Problem(code=exc.code, file=name, line=exc.line, field=exc.field, message=str(exc))
        return
    result = make_article(
        parts=page.parts,
        metadata={**page.metadata, **sidecar.overrides()},
        raw_file=name,
        raw_sha256=hashlib.sha256(data).hexdigest(),
        encoding=decoded.encoding,
        fallback_id=id_from_filename(stem),
        checked=text is decoded.text,  # normalising changed nothing: the parts are slices of checked text
    )
    yield from result if isinstance(result, list) else [result]
    yield from bomless_utf16(decoded, name)
    dated = "updated_at" if "updated_at" in page.metadata else "published_at"
    if page.untimed and not isinstance(result, list) and dated not in sidecar.model_fields_set:
        message = (
            "the date line gives a date without a time, so it was read as 00:00 Europe/Berlin time. "
            f"Where the time is known, give {dated} in a sidecar."
        )
        line = page.untimed
        yield Problem(code=Code.DATE_NO_TIME, file=name, line=line, field=dated, severity="warning", message=message)


def _imported(path: Path, name: str, sidecar: Sidecar) -> Iterator[ParseResult]:
    """Parse a raw file that is an import of a public corpus, as its sidecar's ``format`` says."""
    for field in sorted(sidecar.model_fields_set - _IMPORT_SIDECAR_FIELDS):
        yield Problem(
            code=Code.SIDECAR_NOT_FOR_IMPORT,
            file=sidecar_path(name),
            field=field,
            message="does not apply to an imported corpus, whose records each carry their own; remove it",
        )
    parse = {"germeval2014": germeval.parse, "10kgnad": gnad.parse}[sidecar.format or ""]
    yield from parse(path, name, sidecar)


def parse_file(path: Path, name: str) -> Iterator[ParseResult]:
    """Parse one raw file (shown as ``name``) into articles and problems; a file that cannot be read is one."""
    try:
        yield from _parse_file(path, name)
    except OSError as exc:
        yield unreadable(name, exc)


def unreadable(name: str, exc: OSError) -> Problem:
    """Return the problem of raw file ``name``, which could not be read (``exc``)."""
    message = f"could not be read ({exc.strerror or exc}). Check that it is there and that it may be read"
    return Problem(code=Code.RAW_UNREADABLE, file=name, message=message)


def _parse_file(path: Path, name: str) -> Iterator[ParseResult]:
    suffix = path.suffix.lower()
    if suffix in IMPORT_SUFFIXES:
        try:
            sidecar = load_sidecar(sidecar_path(path), sidecar_path(name))
        except InvalidInput as exc:
            yield from exc.report.problems
            return
        if sidecar.format is None:
            yield Problem(
                code=Code.RAW_FORMAT_UNNAMED,
                file=name,
                message=f"is a {suffix} file without a sidecar naming its format. Try `newscorpus import`.",
            )
            return
        yield from _imported(path, name, sidecar)
        return
    if suffix not in SUFFIXES and not jsonl_codec(name) and not json_codec(name):
        formats = f"{', '.join(SUFFIXES)} (JSON and JSON Lines also compressed: {', '.join(CODECS)})"
        hint = _CONVERT.get(suffix, "")
        yield Problem(
            code=Code.RAW_UNSUPPORTED_FORMAT,
            file=name,
            message=f"has an unsupported format {suffix or '(no suffix)'}; use one of {formats}{hint}",
        )
        return
    try:
        sidecar = load_sidecar(sidecar_path(path), sidecar_path(name))
    except InvalidInput as exc:
        yield from exc.report.problems
        return
    notes = RecordNotes()  # of a .json or .jsonl file, told once at its end
    if suffix in JSONL_SUFFIXES:
        yield from _jsonl_lines(path, name, sidecar, 0, None, 1, notes)
        yield from notes.problems(name)
        return
    if codec := jsonl_codec(name):
        try:
            yield from _jsonl_records(decompressed_lines(path, codec), name, sidecar, 1, notes)
        except OSError as exc:
            yield broken_stream(name, codec, exc)
        yield from notes.problems(name)
        return
    if codec := json_codec(name):
        try:
            data = decompressed(path, codec, MAX_ARRAY_BYTES)
        except OSError as exc:
            yield broken_stream(name, codec, exc, kept="nothing of it was read")
            return
        stem = Path(path.stem).stem  # x.json.gz: x
        array = starts_array(data[:64])
        if not array and holds_json_lines(data):  # it reads the first two lines, however long the file
            yield from _json_lines(io.BytesIO(data), len(data), name, sidecar, notes)
            return
        yield from json_file(lambda: data, len(data), array, name, stem, sidecar, notes)
        return
    with path.open("rb") as handle:  # one open for the size and the bytes
        size = os.fstat(handle.fileno()).st_size
        if suffix == ".json":
            # Read once if it is small, as most are: its head is then the whole file.
            data = handle.read() if size <= MAX_FILE_BYTES else b""
            head = data or handle.read(MAX_FILE_BYTES)
            handle.seek(0)
            if not (array := starts_array(head[:64])) and holds_json_lines(head):
                yield from _json_lines(io.BytesIO(data) if data else handle, size, name, sidecar, notes)
                return
            yield from json_file(lambda: data or handle.read(), size, array, name, path.stem, sidecar, notes)
            return
        if size > MAX_FILE_BYTES:
            yield too_big(name, size)
            return
        data = handle.read()
    yield from guarded(_page_copy(data, name, path.stem, sidecar), name)


def _json_lines(
    lines: Iterable[bytes], size: int, name: str, sidecar: Sidecar, notes: RecordNotes
) -> Iterator[ParseResult]:
    """Parse a ``.json`` file of ``size`` bytes that holds JSON Lines (``holds_json_lines``) as a JSONL file is read.

    Whole, by one worker, as a JSON array is: past ``MAX_ARRAY_BYTES`` it belongs in a ``.jsonl``, read in parallel.
    """
    if size > MAX_ARRAY_BYTES:
        yield too_big(name, size, limit=MAX_ARRAY_BYTES, of="JSON Lines named .json; name it .jsonl, read in parallel")
        return
    message = "holds JSON Lines (an object on each line), not one JSON document; it was read as JSONL. Name it .jsonl"
    yield Problem(code=Code.JSON_LINES, file=name, severity="warning", message=message)
    yield from _jsonl_records(lines, name, sidecar, 1, notes)
    yield from notes.problems(name)


def _jsonl_lines(
    path: Path, name: str, sidecar: Sidecar, start: int, stop: int | None, line: int, notes: RecordNotes
) -> Iterator[ParseResult]:
    """Parse the lines of a JSONL file that begin in bytes ``start`` to ``stop`` (None: the end), from ``line``."""
    with path.open("rb") as handle:
        handle.seek(start)
        yield from _jsonl_records(_until(handle, start, stop), name, sidecar, line, notes)


def _until(lines: Iterable[bytes], at: int, stop: int | None) -> Iterator[bytes]:
    """Yield the lines that begin before byte ``stop`` (None: all), the first beginning at byte ``at``."""
    for raw in lines:
        if stop is not None and at >= stop:
            return
        at += len(raw)
        yield raw


def _jsonl_records(
    lines: Iterable[bytes], name: str, sidecar: Sidecar, line: int, notes: RecordNotes, encoding: str | None = None
) -> Iterator[ParseResult]:
    """Parse JSONL lines, the first being line ``line`` of raw file ``name``.

    ``encoding`` is the file's, if the lines are not its own bytes but their UTF-8 (``ingest.pieces.utf16_chunks``).
    """
    for number, raw in enumerate(lines, start=line):
        if len(raw) > MAX_FILE_BYTES:
            yield too_big(name, len(raw), number)
        elif raw.strip():
            record = json_object(raw.rstrip(b"\r\n"), name, None, sidecar, number, notes, encoding)
            yield from guarded(record, name, number)


def parse_jsonl_range(
    path: Path, name: str, start: int, stop: int, line: int, notes: RecordNotes
) -> Iterator[ParseResult]:
    """Parse part of a JSONL file: the lines that begin in bytes ``start`` to ``stop``, the first being ``line``.

    Several workers can so read one big file at once. The notes of its records go into ``notes``,
    to be told once for the whole file (``RecordNotes.merge``); a sidecar problem is told by the part
    that starts the file.
    """
    yield from _jsonl_part(path, name, start == 0, lambda s: _jsonl_lines(path, name, s, start, stop, line, notes))


def parse_jsonl_chunk(
    path: Path, name: str, data: bytes, line: int, notes: RecordNotes, encoding: str | None = None
) -> Iterator[ParseResult]:
    """Parse lines of a compressed JSONL file, decompressed elsewhere: ``data``, whose first line is ``line``.

    Or of a UTF-16 one, decoded elsewhere into UTF-8: ``encoding`` is then the file's. As
    ``parse_jsonl_range``: notes go into ``notes``, and the chunk that starts the file tells a sidecar problem.
    """
    yield from _jsonl_part(
        path, name, line == 1, lambda s: _jsonl_records(io.BytesIO(data), name, s, line, notes, encoding)
    )


def _jsonl_part(
    path: Path, name: str, first: bool, read: Callable[[Sidecar], Iterator[ParseResult]]
) -> Iterator[ParseResult]:
    """Parse one part of a JSONL file with the file's sidecar (``read``); only the ``first`` part tells its problems."""
    try:
        sidecar = load_sidecar(sidecar_path(path), sidecar_path(name))
    except InvalidInput as exc:
        if first:
            yield from exc.report.problems
        return
    try:
        yield from read(sidecar)
    except OSError as exc:
        yield unreadable(name, exc)
