r"""GermEval 2014 NER TSV: one article per sentence, with the gold of both tag columns.

Format: a ``#\tURL\t[DATE]\t`` line, then ``index\ttoken\touter\tinner`` per
token, a blank line between sentences, lines ending in ``\n``.

The official files are imported as they are, though they do not always keep to
it: the test file has a comment line without its trailing tab, a token line
with an extra, empty fifth column, and inner spans that run past their outer
span. Layout quirks (those two, and CRLF line ends or a byte order mark, which
an editor may add) are read as the standard line and reported once per file as
a warning; a last line without a line end, or several blank lines between
sentences, are read as they are. An inner span outside every outer span is
gold as the file has it (the ``ner`` config tags the two levels
independently) and is reported per sentence as a warning.

The import must be lossless: ``ner`` gives back the file's tokens and both tag
columns, and ``exporters.export_germeval2014`` gives back the file byte for
byte. The tokens are kept as written and joined by single spaces
(``pretokenized``), and the ``#`` line is kept in ``source``. The layout is not
kept in the records: the export takes it from the raw file it exports, which
the corpus keeps byte for byte and never edits, and rewrites only the tag
columns from the records. Gold can change nothing but the spans (a record's
text is pinned by its hash), so the rest of the file is still true; and quirks
that mean nothing to a model stay out of the schema every record carries. A
sentence whose text could not give back the file (a token holding whitespace or
not in NFC, a malformed tag) is refused as a problem, never repaired; the other
sentences of the file are still read.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

from newscorpus.core.codes import Code
from newscorpus.core.offsets import pretokenized_offsets
from newscorpus.core.plural import plural
from newscorpus.core.report import Problem
from newscorpus.ingest.ids import slugify
from newscorpus.ingest.make import ParseResult, make_article
from newscorpus.model.article import Article
from newscorpus.model.bio import Span, bio_names, bio_to_spans, outside_outer
from newscorpus.model.sidecar import Sidecar, sidecar_path

FORMAT = "germeval2014"
LICENSE = "CC-BY-4.0"
COLUMNS = ("index", "token", "outer tag", "inner tag")
COMMENT = re.compile(r"#\t([^\t]*)\t\[([^\t\[\]]*)\](\t?)")
"""The comment line, its trailing tab optional; ``source`` is ``f"{url} [{date}]"``."""
BOM = "\ufeff"
_URL = re.compile(r"https?://\S+")  # the Article.url pattern: a comment's "URL" may be "welt.de vom 09.03.2006"
_LAYOUT = {
    "crlf": (Code.GERMEVAL_CRLF, "ends in CRLF", "GermEval 2014 lines end in \\n alone"),
    "comment": (
        Code.GERMEVAL_COMMENT_TAB,
        "ends without its trailing tab",
        "GermEval 2014's comment line is `#<TAB>URL<TAB>[DATE]<TAB>`",
    ),
    "columns": (
        Code.GERMEVAL_EXTRA_COLUMNS,
        "has extra, empty columns",
        f"GermEval 2014 has {len(COLUMNS)}: {', '.join(COLUMNS)}",
    ),
}
"""Layout quirks: each is read as the standard line, kept as written for the export, and reported once per file."""

Line = tuple[int, str]
"""A line's number in the file and its text, without its line end."""


def split_lines(text: str) -> tuple[str, list[tuple[str, str]]]:
    r"""Split a file's text into its byte order mark (``""`` if none) and its lines, each with its line end.

    A line end is ``\n``, ``\r\n``, or ``""`` for a last line without one, so the
    mark and every line with its end, joined, are the text again.
    """
    bom = BOM if text.startswith(BOM) else ""
    pieces = text[len(bom) :].split("\n")
    lines = [(piece[:-1], "\r\n") if piece.endswith("\r") else (piece, "\n") for piece in pieces[:-1]]
    if pieces[-1]:
        lines.append((pieces[-1], ""))
    return bom, lines


def sentences(lines: list[str]) -> Iterator[list[Line]]:
    """Yield each sentence's numbered lines: a blank line ends a sentence, a ``#`` line starts one."""
    group: list[Line] = []
    for number, line in enumerate(lines, start=1):
        if line == "" or (line.startswith("#") and group):
            if group:
                yield group
            group = []
        if line != "":
            group.append((number, line))
    if group:
        yield group


def token_lines(group: list[Line]) -> list[Line]:
    """Return a sentence's token lines: all but its ``#`` line."""
    return group[1:] if group[0][1].startswith("#") else group


def sentence_sha256(group: list[Line], lines: list[tuple[str, str]]) -> str:
    """Return the sha256 of a sentence as written: its lines with the line ends between them, not the last one."""
    written = "".join(line + lines[number - 1][1] for number, line in group[:-1]) + group[-1][1]
    return hashlib.sha256(written.encode("utf-8")).hexdigest()


def _url(candidate: str) -> str | None:
    """Return ``candidate`` if Article.url accepts it, else None (``source`` keeps it either way)."""
    try:
        return candidate if _URL.fullmatch(candidate) and urlsplit(candidate).hostname else None
    except ValueError:
        return None


def _token_problems(rows: list[Line], name: str, layout: dict[str, list[int]]) -> tuple[list[list[str]], list[Problem]]:
    """Split token lines into their four columns and report every line the records could not give back exactly.

    Lines with extra, empty columns are noted in ``layout``.
    """
    known = set(bio_names())
    columns: list[list[str]] = []
    problems: list[Problem] = []
    previous = ["O", "O"]
    for position, (number, line) in enumerate(rows, start=1):
        cells = line.split("\t")
        if len(cells) < len(COLUMNS) or any(cells[len(COLUMNS) :]):
            message = (
                f"has {plural(len(cells), 'column')}, not the {len(COLUMNS)} of GermEval 2014: {', '.join(COLUMNS)} "
                "(a column after them may only be empty)"
            )
            problems.append(Problem(code=Code.GERMEVAL_COLUMNS, file=name, line=number, message=message))
            previous = ["O", "O"]
            continue
        if len(cells) > len(COLUMNS):
            layout["columns"].append(number)
        index, token, *tags = cells[: len(COLUMNS)]
        if index != str(position):
            message = f"is {index!r}, not {position}"
            problems.append(Problem(code=Code.GERMEVAL_INDEX, file=name, line=number, field="index", message=message))
        if not token or any(c.isspace() for c in token):
            message = f"{token!r} is empty or holds whitespace; tokens are joined by single spaces"
            problems.append(
                Problem(code=Code.GERMEVAL_BAD_TOKEN, file=name, line=number, field="token", message=message)
            )
        elif not unicodedata.is_normalized("NFC", token):
            message = f"{token!r} is not NFC; the text must be, and the import keeps tokens as written"
            code = Code.GERMEVAL_TOKEN_NOT_NFC
            problems.append(Problem(code=code, file=name, line=number, field="token", message=message))
        for level, (tag, before) in enumerate(zip(tags, previous, strict=True)):
            field = COLUMNS[2 + level]
            if tag not in known:
                message = f"{tag!r} is no tag of the label set (O, or B-/I- and one of {', '.join(sorted(known))})"
                code = Code.GERMEVAL_UNKNOWN_TAG
                problems.append(Problem(code=code, file=name, line=number, field=field, message=message))
            elif tag.startswith("I-") and before[2:] != tag[2:]:
                message = f"{tag} follows {before}; an I- tag must continue a B- or I- tag of the same label"
                code = Code.GERMEVAL_BROKEN_SPAN
                problems.append(Problem(code=code, file=name, line=number, field=field, message=message))
        previous = tags
        columns.append(cells[: len(COLUMNS)])
    return columns, problems


def _outside_outer(
    columns: list[list[str]], outer: list[Span], inner: list[Span], rows: list[Line], name: str, article_id: str
) -> list[Problem]:
    """Warn of each inner span that lies inside no outer span, naming it and the outer span it runs past."""

    def described(span: Span) -> str:
        first, last, label = span
        where = f"token {last}" if last - first == 1 else f"tokens {first + 1}–{last}"
        return f"{label} span {' '.join(c[1] for c in columns[first:last])!r} ({where})"

    warnings = []
    for span in outside_outer(outer, inner):
        crossed = next((o for o in outer if o[0] < span[1] and span[0] < o[1]), None)
        where = f"runs past the outer {described(crossed)}" if crossed else "has no outer span around it"
        message = (
            f"sentence {article_id}: the inner {described(span)} {where}; GermEval 2014 nests inner entities "
            "inside outer ones. Kept as gold: ner tags each level on its own"
        )
        line = rows[span[0]][0]
        warnings.append(
            Problem(
                code=Code.GERMEVAL_NESTING,
                file=name,
                line=line,
                field=COLUMNS[3],
                message=message,
                severity="warning",
                article_id=article_id,
            )
        )
    return warnings


def _sentence(
    group: list[Line],
    lines: list[tuple[str, str]],
    number: int,
    stem: str,
    name: str,
    sidecar: Sidecar,
    layout: dict[str, list[int]],
) -> list[ParseResult]:
    """Turn one sentence's lines into its article and its warnings, or into every problem found in it."""
    first_line, head = group[0]
    comment = COMMENT.fullmatch(head)
    problems: list[Problem] = []
    if comment is None:
        message = "should be the sentence's comment line `#<TAB>URL<TAB>[DATE]<TAB>`"
        problems.append(Problem(code=Code.GERMEVAL_NO_COMMENT, file=name, line=first_line, message=message))
    elif not comment.group(3):
        layout["comment"].append(first_line)
    rows = token_lines(group)
    if not rows:
        message = "starts a sentence that has no token lines"
        return [*problems, Problem(code=Code.GERMEVAL_NO_TOKENS, file=name, line=first_line, message=message)]
    columns, token_problems = _token_problems(rows, name, layout)
    problems += token_problems
    if problems or comment is None:
        return list(problems)
    tokens = [c[1] for c in columns]
    text, offsets = " ".join(tokens), pretokenized_offsets(tokens)
    positions = [(i, i + 1) for i in range(len(columns))]  # spans in token positions first
    outer, inner = (bio_to_spans(positions, [c[2 + level] for c in columns]) for level in (0, 1))
    entities: list[dict[str, int | str]] = []
    for level, spans in enumerate((outer, inner)):
        for first, last, label in spans:
            start, end = offsets[first][0], offsets[last - 1][1]
            entities.append({"start": start, "end": end, "label": label, "level": level, "text": text[start:end]})
    url, date, _ = comment.groups()
    article_id = f"{stem}-{number:05d}"
    metadata: dict[str, object] = {
        "id": article_id,
        "split": sidecar.split,
        "source": f"{url} [{date}]",
        "url": _url(url),
        "license": sidecar.license or LICENSE,
        "redistributable": True if sidecar.redistributable is None else sidecar.redistributable,
        "pretokenized": True,
        "entities": entities,
        "annotation": {"entities": {"status": "gold", "source": FORMAT}},
    }
    result = make_article(
        parts=[("paragraph", text)],
        metadata=metadata,
        raw_file=name,
        raw_sha256=sentence_sha256(group, lines),
        encoding="utf-8",
        fallback_id=None,
        line=first_line,
        allow_c1=True,  # the dev file holds a U+0096 token, the test file U+0094: dropping them would lose the file
    )
    if not isinstance(result, Article):
        return list(result)
    return [result, *_outside_outer(columns, outer, inner, rows, name, article_id)]


def _layout_warnings(name: str, bom: str, layout: dict[str, list[int]]) -> Iterator[Problem]:
    """Report each layout quirk of the file once, at its first line, with how many lines have it."""
    if bom:
        message = "starts with a byte order mark (U+FEFF), which GermEval 2014 files do not; read without it"
        message += ", and kept for the export"
        yield Problem(code=Code.GERMEVAL_BOM, file=name, line=1, message=message, severity="warning")
    for quirk, numbers in layout.items():
        if numbers:
            also = f" ({plural(len(numbers) - 1, 'more line')} too)" if len(numbers) > 1 else ""
            code, what, standard = _LAYOUT[quirk]
            message = f"{what}{also}; {standard}. Read as the standard line, and kept as written for the export"
            yield Problem(code=code, file=name, line=numbers[0], message=message, severity="warning")


def parse(path: Path, name: str, sidecar: Sidecar) -> Iterator[ParseResult]:
    """Yield one article per sentence of a GermEval 2014 TSV file, and a problem for each bad sentence or quirk.

    Ids number the sentences (``ner-de-dev-00001``), so correcting a token keeps every id. The
    sentence's raw_sha256 is over its lines as written, with the line ends between them.
    """
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        message = f"is not UTF-8 ({exc.reason} at byte {exc.start}); GermEval 2014 files are"
        yield Problem(code=Code.GERMEVAL_NOT_UTF8, file=name, message=message)
        return
    if sidecar.split is None:
        sidecar_name = sidecar_path(name)
        message = "is missing: a GermEval 2014 file is one split; add `split: train`, `validation` or `test`"
        yield Problem(code=Code.GERMEVAL_NO_SPLIT, file=sidecar_name, field="split", message=message)
        return
    bom, lines = split_lines(text)
    layout: dict[str, list[int]] = {quirk: [] for quirk in _LAYOUT}
    layout["crlf"] = [number for number, (_, end) in enumerate(lines, start=1) if end == "\r\n"]
    stem = slugify(path.stem)
    found = False
    for number, group in enumerate(sentences([line for line, _ in lines]), start=1):
        found = True
        yield from _sentence(group, lines, number, stem, name, sidecar, layout)
    if not found:
        yield Problem(code=Code.GERMEVAL_EMPTY, file=name, message="holds no sentences")
    yield from _layout_warnings(name, bom, layout)
