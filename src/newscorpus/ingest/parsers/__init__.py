"""Raw files in, articles or problems out: one parser per raw format.

Every raw file yields at least one article or one problem, so nothing is lost
silently (one that holds no record at all is told so by ``ingest.corpus``). The
formats are chosen by file suffix; a ``.json`` file holds one object or an array.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from pydantic import ValidationError

from newscorpus.core.codes import Code
from newscorpus.core.errors import InvalidInput
from newscorpus.core.offsets import normalize_text
from newscorpus.core.report import Problem
from newscorpus.ingest.encoding import Decoded, UndecodableError, decode_text
from newscorpus.ingest.ids import id_from_filename
from newscorpus.ingest.make import ParseResult, make_article
from newscorpus.ingest.parsers import germeval, gnad, newsplease
from newscorpus.ingest.parsers.compressed import (
    COMPRESSED_JSON_SUFFIXES,
    COMPRESSED_SUFFIXES,
    broken_stream,
    decompressed,
    decompressed_lines,
    json_codec,
    jsonl_codec,
)
from newscorpus.ingest.parsers.jsonarray import MAX_ARRAY_BYTES, array_elements, starts_array
from newscorpus.ingest.parsers.jsonl import JsonArticle, RecordNotes, validation_problems
from newscorpus.ingest.parsers.pagecopy import PageCopyError, parse_page_copy
from newscorpus.model.article import MAX_TEXT_CHARS
from newscorpus.model.sidecar import Sidecar, load_sidecar, sidecar_path

SUFFIXES = (".txt", ".json", ".jsonl")
IMPORT_SUFFIXES = (".tsv", ".csv")
RAW_SUFFIXES = SUFFIXES + COMPRESSED_SUFFIXES + COMPRESSED_JSON_SUFFIXES + IMPORT_SUFFIXES
"""Every raw file a sidecar may stand beside: a raw format, compressed JSONL, an import."""
_IMPORT_SIDECAR_FIELDS = {"format", "split", "license", "redistributable"}
"""Public corpora imported with `newscorpus import`; their sidecar names the format."""
MAX_FILE_BYTES = MAX_TEXT_CHARS
"""A single-article file, or one JSONL line, may be at most this large (2 MiB). A character takes at
least one byte, so this is the limit a raw article meets first."""


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


def _json_object(
    data: bytes, name: str, stem: str | None, sidecar: Sidecar, line: int | None, notes: RecordNotes
) -> Iterator[ParseResult]:
    yield from _json_record(decode_text(data), hashlib.sha256(data).hexdigest(), name, stem, sidecar, line, notes)


def _json_array(data: bytes, name: str, sidecar: Sidecar, notes: RecordNotes) -> Iterator[ParseResult]:
    """Parse a .json file that holds an array: each element a record, at the line it starts on, as in JSONL."""
    decoded = decode_text(data)
    try:
        for element, line in array_elements(decoded.text):
            raw = element.encode("utf-8")  # the record's own bytes: the file's, if the file is UTF-8
            if len(raw) > MAX_FILE_BYTES:
                yield _too_big(name, len(raw), line)
                continue
            text = Decoded(element, decoded.encoding)
            yield from _json_record(text, hashlib.sha256(raw).hexdigest(), name, None, sidecar, line, notes)
    except json.JSONDecodeError as exc:
        message = f"breaks the JSON array here: {exc.msg} (column {exc.colno}); the records before it are read"
        yield Problem(code=Code.JSON_MALFORMED, file=name, line=exc.lineno, message=message)


def _json_record(
    decoded: Decoded,
    raw_sha256: str,
    name: str,
    stem: str | None,
    sidecar: Sidecar,
    line: int | None,
    notes: RecordNotes,
) -> Iterator[ParseResult]:
    """Parse one JSON article record, decoded from raw bytes whose sha256 is ``raw_sha256``."""
    translated = newsplease.translate(decoded.text)
    try:
        obj = JsonArticle.model_validate_json(translated.text if translated else decoded.text)
    except ValidationError as exc:
        for problem in validation_problems(exc, name, line):
            given_as = translated.given_as.get(problem.field or "") if translated else None
            yield problem.model_copy(update={"field": given_as}) if given_as else problem
        return
    if found := obj.problems():
        yield from (
            Problem(code=code, file=name, line=line, field=field, message=message) for code, field, message in found
        )
        return
    overrides = sidecar.overrides()
    result = make_article(
        parts=obj.parts(),
        metadata={**obj.article_metadata(), **overrides},
        raw_file=name,
        raw_sha256=raw_sha256,
        encoding=decoded.encoding,
        fallback_id=id_from_filename(stem) if stem else None,
        line=line,
        normalized=True,  # parts() normalises every part
    )
    if isinstance(result, list):
        yield from result
        return
    notes.add(obj, line, made_id=None if "id" in overrides else result.id, translated=translated)
    yield result


def _guarded(results: Iterator[ParseResult], name: str, line: int | None = None) -> Iterator[ParseResult]:
    """Turn a decoding failure inside a parser into a problem for that file or line."""
    try:
        yield from results
    except UndecodableError as exc:
        yield Problem(code=exc.code, file=name, line=line, message=f"{'this line' if line else 'the file'} {exc}")


def _too_big(
    name: str, size: int, line: int | None = None, limit: int = MAX_FILE_BYTES, of: str = "one article"
) -> Problem:
    what = "this line" if line else "the file"
    return Problem(
        code=Code.RAW_TOO_BIG,
        file=name,
        line=line,
        message=f"{what} is {size:,} bytes, over the limit of {limit:,} for {of}",
    )


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
        formats = ", ".join(SUFFIXES + COMPRESSED_SUFFIXES + COMPRESSED_JSON_SUFFIXES)
        yield Problem(
            code=Code.RAW_UNSUPPORTED_FORMAT,
            file=name,
            message=f"has an unsupported format {suffix or '(no suffix)'}; use one of {formats}",
        )
        return
    try:
        sidecar = load_sidecar(sidecar_path(path), sidecar_path(name))
    except InvalidInput as exc:
        yield from exc.report.problems
        return
    notes = RecordNotes()  # of a .json or .jsonl file, told once at its end
    if suffix == ".jsonl":
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
            message = f"could not be decompressed as {codec} ({exc}); nothing of it was read"
            yield Problem(code=Code.RAW_UNREADABLE, file=name, message=message)
            return
        stem = Path(path.stem).stem  # x.json.gz: x
        yield from _json_file(data, len(data), starts_array(data[:64]), name, stem, sidecar, notes)
        return
    with path.open("rb") as handle:  # one open for the size and the bytes
        size = os.fstat(handle.fileno()).st_size
        if suffix == ".json":
            array = starts_array(handle.read(64))
            handle.seek(0)
            fits = size <= (MAX_ARRAY_BYTES if array else MAX_FILE_BYTES)  # else only the size is needed
            yield from _json_file(handle.read() if fits else b"", size, array, name, path.stem, sidecar, notes)
            return
        if size > MAX_FILE_BYTES:
            yield _too_big(name, size)
            return
        data = handle.read()
    yield from _guarded(_page_copy(data, name, path.stem, sidecar), name)


def _json_file(
    data: bytes, size: int, array: bool, name: str, stem: str, sidecar: Sidecar, notes: RecordNotes
) -> Iterator[ParseResult]:
    """Parse a .json file of ``size`` bytes, ``data`` (unread if too big): an ``array`` of objects, or one object."""
    if array and size > MAX_ARRAY_BYTES:
        of = "a JSON array; write it as JSONL (one object per line), which is read in parallel"
        yield _too_big(name, size, limit=MAX_ARRAY_BYTES, of=of)
        return
    if not array and size > MAX_FILE_BYTES:
        yield _too_big(name, size)
        return
    if array:
        yield from _guarded(_json_array(data, name, sidecar, notes), name)
    else:
        yield from _guarded(_json_object(data, name, stem, sidecar, None, notes), name)
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
    lines: Iterable[bytes], name: str, sidecar: Sidecar, line: int, notes: RecordNotes
) -> Iterator[ParseResult]:
    """Parse JSONL lines, the first being line ``line`` of raw file ``name``."""
    for number, raw in enumerate(lines, start=line):
        if len(raw) > MAX_FILE_BYTES:
            yield _too_big(name, len(raw), number)
        elif raw.strip():
            record = _json_object(raw.rstrip(b"\r\n"), name, None, sidecar, number, notes)
            yield from _guarded(record, name, number)


def parse_jsonl_range(
    path: Path, name: str, start: int, stop: int, line: int, notes: RecordNotes
) -> Iterator[ParseResult]:
    """Parse part of a JSONL file: the lines that begin in bytes ``start`` to ``stop``, the first being ``line``.

    Several workers can so read one big file at once. The notes of its records go into ``notes``,
    to be told once for the whole file (``RecordNotes.merge``); a sidecar problem is told by the part
    that starts the file.
    """
    yield from _jsonl_part(path, name, start == 0, lambda s: _jsonl_lines(path, name, s, start, stop, line, notes))


def parse_jsonl_chunk(path: Path, name: str, data: bytes, line: int, notes: RecordNotes) -> Iterator[ParseResult]:
    """Parse lines of a compressed JSONL file, decompressed elsewhere: ``data``, whose first line is ``line``.

    As ``parse_jsonl_range``: notes go into ``notes``, and the chunk that starts the file tells a sidecar problem.
    """
    yield from _jsonl_part(path, name, line == 1, lambda s: _jsonl_records(io.BytesIO(data), name, s, line, notes))


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
