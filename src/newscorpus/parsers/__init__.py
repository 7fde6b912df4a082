"""Raw files in, articles or problems out: one parser per raw format.

Every raw file yields at least one article or one problem, so nothing is lost
silently. The formats are chosen by file suffix.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

from pydantic import ValidationError

from newscorpus.article import MAX_TEXT_CHARS, Article
from newscorpus.encoding import UndecodableError, decode_text, text_problem
from newscorpus.errors import InvalidInput
from newscorpus.ids import assign_split, id_from_filename, id_from_url
from newscorpus.offsets import assemble, normalize_text, sha256_text
from newscorpus.parsers.jsonl import JsonArticle, RecordNotes, validation_problems
from newscorpus.parsers.pagecopy import PageCopyError, parse_page_copy
from newscorpus.report import Problem, problems_from_validation
from newscorpus.sidecar import SIDECAR_SUFFIX, Sidecar, load_sidecar, sidecar_path

SUFFIXES = (".txt", ".json", ".jsonl")
IMPORT_SUFFIXES = (".tsv", ".csv")
_IMPORT_SIDECAR_FIELDS = {"format", "split", "license", "redistributable"}
"""Public corpora imported with `newscorpus import`; their sidecar names the format."""
MAX_FILE_BYTES = MAX_TEXT_CHARS
"""A single-article file, or one JSONL line, may be at most this large (2 MiB). A character takes at
least one byte, so this is the limit a raw article meets first."""
DEFAULTS: dict[str, object] = {"license": "LicenseRef-unknown", "redistributable": False}
"""What an article gets when neither the raw file nor its sidecar names a licence: not redistributable."""

ParseResult = Article | Problem


def make_article(
    *,
    parts: list[tuple[str, str]],
    metadata: dict[str, object],
    raw_file: str,
    raw_sha256: str,
    encoding: str,
    fallback_id: str | None,
    line: int | None = None,
    allow_c1: bool = False,
    checked: bool = False,
) -> ParseResult | list[Problem]:
    """Assemble text and blocks from parts and validate the article; return it or its problems.

    ``allow_c1`` is for imports of published corpora, which are kept losslessly (see ``text_problem``).
    ``checked`` says every part is a slice of one text that was normalised and passed ``text_problem``
    already, so neither is done again (the model still checks NFC and control characters).
    """
    text, blocks = assemble(parts, normalized=checked)
    if not checked and (problem := text_problem(text, allow_c1=allow_c1)):
        # JSON escapes (\\u0000, M\\u00c3\\u00bc) become characters only after decoding: check the text again.
        return [Problem(file=raw_file, line=line, field="text", message=f"the article's text {problem}")]
    fields = {**DEFAULTS, **metadata}
    if "id" not in fields:
        url = fields.get("url")
        fields["id"] = id_from_url(url) if isinstance(url, str) else fallback_id
    if not fields["id"]:
        return [Problem(file=raw_file, line=line, field="id", message="has neither an id nor a url to derive one from")]
    fields.setdefault("split", assign_split(str(fields["id"])))
    try:
        return Article.model_validate(
            {
                **fields,
                "text": text,
                "blocks": [{"kind": k, "start": s, "end": e} for k, s, e in blocks],
                "raw_file": raw_file,
                "raw_line": line,
                "raw_encoding": encoding,
                "raw_sha256": raw_sha256,
                "text_sha256": sha256_text(text),
            }
        )
    except ValidationError as exc:
        return problems_from_validation(exc, raw_file, line, article_id=str(fields["id"]))


def _page_copy(data: bytes, name: str, stem: str, sidecar: Sidecar) -> Iterator[ParseResult]:
    decoded = decode_text(data)
    text = normalize_text(decoded.text)
    try:
        page = parse_page_copy(text, sidecar)
    except PageCopyError as exc:
        yield Problem(file=name, line=exc.line, field=exc.field, message=str(exc))
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
    decoded = decode_text(data)
    try:
        obj = JsonArticle.model_validate_json(decoded.text)
    except ValidationError as exc:
        yield from validation_problems(exc, name, line)
        return
    if found := obj.problems():
        yield from (Problem(file=name, line=line, field=field, message=message) for field, message in found)
        return
    overrides = sidecar.overrides()
    result = make_article(
        parts=obj.parts(),
        metadata={**obj.article_metadata(), **overrides},
        raw_file=name,
        raw_sha256=hashlib.sha256(data).hexdigest(),
        encoding=decoded.encoding,
        fallback_id=id_from_filename(stem) if stem else None,
        line=line,
    )
    if isinstance(result, list):
        yield from result
        return
    notes.add(obj, line, made_id=None if "id" in overrides else result.id)
    yield result


def _guarded(results: Iterator[ParseResult], name: str, line: int | None = None) -> Iterator[ParseResult]:
    """Turn a decoding failure inside a parser into a problem for that file or line."""
    try:
        yield from results
    except UndecodableError as exc:
        yield Problem(file=name, line=line, message=f"{'this line' if line else 'the file'} {exc}")


def _too_big(name: str, size: int, line: int | None = None) -> Problem:
    what = "this line" if line else "the file"
    return Problem(
        file=name, line=line, message=f"{what} is {size:,} bytes, over the limit of {MAX_FILE_BYTES:,} for one article"
    )


def _imported(path: Path, name: str, sidecar: Sidecar) -> Iterator[ParseResult]:
    """Parse a raw file that is an import of a public corpus, as its sidecar's ``format`` says."""
    from newscorpus.parsers import germeval, gnad  # the import formats build on this module

    for field in sorted(sidecar.model_fields_set - _IMPORT_SIDECAR_FIELDS):
        yield Problem(
            file=name.rsplit(".", 1)[0] + SIDECAR_SUFFIX,
            field=field,
            message="does not apply to an imported corpus, whose records each carry their own; remove it",
        )
    parse = {"germeval2014": germeval.parse, "10kgnad": gnad.parse}[sidecar.format or ""]
    yield from parse(path, name, sidecar)


def parse_file(path: Path, name: str) -> Iterator[ParseResult]:
    """Parse one raw file (shown as ``name``) into articles and problems."""
    suffix = path.suffix.lower()
    if suffix in IMPORT_SUFFIXES:
        try:
            sidecar = load_sidecar(sidecar_path(path), name.rsplit(".", 1)[0] + SIDECAR_SUFFIX)
        except InvalidInput as exc:
            yield from exc.report or [Problem(file=name, field="sidecar", message=str(exc))]  # type: ignore[misc]
            return
        if sidecar.format is None:
            yield Problem(
                file=name, message=f"is a {suffix} file without a sidecar naming its format. Try `newscorpus import`."
            )
            return
        yield from _imported(path, name, sidecar)
        return
    if suffix not in SUFFIXES:
        yield Problem(
            file=name, message=f"has an unsupported format {suffix or '(no suffix)'}; use one of {', '.join(SUFFIXES)}"
        )
        return
    try:
        sidecar = load_sidecar(sidecar_path(path), name.rsplit(".", 1)[0] + SIDECAR_SUFFIX)
    except InvalidInput as exc:
        yield from exc.report or [Problem(file=name, field="sidecar", message=str(exc))]  # type: ignore[misc]
        return
    notes = RecordNotes()  # of a .json or .jsonl file, told once at its end
    if suffix == ".jsonl":
        with path.open("rb") as lines:
            for number, raw in enumerate(lines, start=1):
                if len(raw) > MAX_FILE_BYTES:
                    yield _too_big(name, len(raw), number)
                elif raw.strip():
                    record = _json_object(raw.rstrip(b"\r\n"), name, None, sidecar, number, notes)
                    yield from _guarded(record, name, number)
        yield from notes.problems(name)
        return
    with path.open("rb") as handle:  # one open for the size and the bytes
        size = os.fstat(handle.fileno()).st_size
        if size > MAX_FILE_BYTES:
            yield _too_big(name, size)
            return
        data = handle.read()
    if suffix == ".json":
        yield from _guarded(_json_object(data, name, path.stem, sidecar, None, notes), name)
        yield from notes.problems(name)
    else:
        yield from _guarded(_page_copy(data, name, path.stem, sidecar), name)
