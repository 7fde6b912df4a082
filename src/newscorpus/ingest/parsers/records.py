"""JSON records: a ``.json`` file's object or array of objects, or a JSONL line, parsed into articles or problems.

A record in the corpus's keys, a Hugging Face or DataTrove record, a news-please record
(``newsplease``), a schema.org article (``schemaorg``) or a trafilatura record (``trafilatura``)
becomes one article; a record's bytes are hashed as the file holds them.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator

from pydantic import ValidationError

from newscorpus.core.codes import Code
from newscorpus.core.report import Problem
from newscorpus.ingest.encoding import Decoded, UndecodableError, decode_text, json_utf16
from newscorpus.ingest.ids import id_from_filename
from newscorpus.ingest.make import ParseResult, make_article
from newscorpus.ingest.parsers import newsplease, schemaorg, trafilatura
from newscorpus.ingest.parsers.jsonarray import MAX_ARRAY_BYTES, array_elements
from newscorpus.ingest.parsers.jsonl import JsonArticle, validation_problems
from newscorpus.ingest.parsers.notes import RecordNotes
from newscorpus.ingest.parsers.repair import Decided, Repaired, digits_as_dates, mend_surrogates, repaired
from newscorpus.model.article import MAX_TEXT_CHARS, Article
from newscorpus.model.sidecar import Sidecar

MAX_FILE_BYTES = MAX_TEXT_CHARS
"""A single-article file, or one JSONL line, may be at most this large (2 MiB). A character takes at
least one byte, so this is the limit a raw article meets first."""


def guarded(results: Iterator[ParseResult], name: str, line: int | None = None) -> Iterator[ParseResult]:
    """Turn a decoding failure inside a parser into a problem for that file or line."""
    try:
        yield from results
    except UndecodableError as exc:
        yield Problem(code=exc.code, file=name, line=line, message=f"{'this line' if line else 'the file'} {exc}")


def too_big(
    name: str, size: int, line: int | None = None, limit: int = MAX_FILE_BYTES, of: str = "one article"
) -> Problem:
    """Return the problem of a file (or a line of one) of ``size`` bytes, over the ``limit`` for ``of``."""
    what = "this line" if line else "the file"
    return Problem(
        code=Code.RAW_TOO_BIG,
        file=name,
        line=line,
        message=f"{what} is {size:,} bytes, over the limit of {limit:,} for {of}",
    )


def json_object(
    data: bytes,
    name: str,
    stem: str | None,
    sidecar: Sidecar,
    line: int | None,
    notes: RecordNotes,
    encoding: str | None = None,
) -> Iterator[ParseResult]:
    """Parse one JSON object's bytes ``data``: a .json file's (id from ``stem``), or a JSONL line's (at ``line``).

    ``encoding`` is the file's, where ``data`` is not its bytes but their UTF-8 (then their hash is that of ``data``).
    """
    decoded = decode_text(data)
    as_given = decoded if encoding is None else Decoded(decoded.text, encoding)
    yield from json_record(as_given, hashlib.sha256(data).hexdigest(), name, stem, sidecar, line, notes)
    yield from json_utf16(decoded, name, line)  # a UTF-16 line in a UTF-8 JSONL file too


def json_array(data: bytes, name: str, sidecar: Sidecar, notes: RecordNotes) -> Iterator[ParseResult]:
    """Parse a .json file that holds an array: each element a record, at the line it starts on, as in JSONL."""
    decoded = decode_text(data)
    yield from json_utf16(decoded, name)
    try:
        for element, line in array_elements(decoded.text):
            raw = element.encode("utf-8")  # the record's own bytes: the file's, if the file is UTF-8
            if len(raw) > MAX_FILE_BYTES:
                yield too_big(name, len(raw), line)
                continue
            text = Decoded(element, decoded.encoding)
            yield from json_record(text, hashlib.sha256(raw).hexdigest(), name, None, sidecar, line, notes)
    except json.JSONDecodeError as exc:
        message = f"breaks the JSON array here: {exc.msg} (column {exc.colno}); the records before it are read"
        yield Problem(code=Code.JSON_MALFORMED, file=name, line=exc.lineno, message=message)


def json_record(
    decoded: Decoded,
    raw_sha256: str,
    name: str,
    stem: str | None,
    sidecar: Sidecar,
    line: int | None,
    notes: RecordNotes,
) -> Iterator[ParseResult]:
    """Parse one JSON article record, decoded from raw bytes whose sha256 is ``raw_sha256``."""
    source, halves = mend_surrogates(decoded.text)
    translated = newsplease.translate(source) or schemaorg.translate(source) or trafilatura.translate(source)
    text = digits_as_dates(translated.text if translated else source)
    mended = None
    try:
        obj = JsonArticle.model_validate_json(text)
    except ValidationError as exc:
        if (read := _repaired(text, exc)) is None:
            for problem in validation_problems(exc, name, line):
                given_as = translated.given_as.get(problem.field or "") if translated else None
                yield problem.model_copy(update={"field": given_as}) if given_as else problem
            return
        obj, mended = read
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
    decided = (translated.decided if translated else Decided()) | (mended.decided if mended else Decided())
    decided.halved = bool(halves)
    decided.markup = markup_in(result)
    notes.add(obj, line, None if "id" in overrides else result.id, decided, translated.unkept if translated else ())
    yield result


_MARKUP = re.compile(
    r"</?(?:p|br|div|span|a|b|i|u|em|strong|h[1-6]|ul|ol|li|img|figure|figcaption|blockquote|table|tr|td|iframe)"
    r"\b[^<>]*>|&(?:nbsp|amp|quot|lt|gt|shy|apos|[a-zA-Z]uml|szlig|#\d{2,6}|#[xX][0-9a-fA-F]{2,5});"
)
"""An HTML tag or character reference, as a CMS export's fields hold them; plain German text holds neither."""


def markup_in(article: Article) -> set[str]:
    """Return the kinds of the blocks of ``article`` whose text holds HTML tags or character references."""
    text = article.text
    if "<" not in text and "&" not in text:  # most texts: two scans in C, no regex
        return set()
    return {b.kind for b in article.blocks if _MARKUP.search(text, b.start, b.end)}


def _repaired(text: str, error: ValidationError) -> tuple[JsonArticle, Repaired] | None:
    """Return the record read as real files write it (``repair``), and what that decided; None if it cannot be."""
    mended = repaired(text, error)
    try:
        return None if mended is None else (JsonArticle.model_validate_json(mended.text), mended)
    except ValidationError:
        return None


def json_file(
    read: Callable[[], bytes], size: int, array: bool, name: str, stem: str, sidecar: Sidecar, notes: RecordNotes
) -> Iterator[ParseResult]:
    """Parse a .json file of ``size`` bytes: an ``array`` of objects, or one object. ``read`` gives its bytes.

    A file over its limit is not read: its size says enough.
    """
    if array and size > MAX_ARRAY_BYTES:
        of = "a JSON array; write it as JSONL (one object per line), which is read in parallel"
        yield too_big(name, size, limit=MAX_ARRAY_BYTES, of=of)
        return
    if not array and size > MAX_FILE_BYTES:
        yield too_big(name, size)
        return
    if array:
        yield from guarded(json_array(read(), name, sidecar, notes), name)
    else:
        yield from guarded(json_object(read(), name, stem, sidecar, None, notes), name)
    yield from notes.problems(name)
