r"""GermEval 2014 NER TSV: one article per sentence, with the gold of both tag columns.

The import must be lossless, because ``exporters.export_germeval2014`` rebuilds
the published file byte for byte from the articles: the tokens are kept as
written and joined by single spaces (``pretokenized``), and the ``#`` line is
kept in ``source``. A sentence the export could not rebuild exactly (a token
holding whitespace or not in NFC, a malformed tag) is refused as a problem,
never repaired; the other sentences of the file are still read.

Format: a ``#\tURL\t[DATE]\t`` line, then ``index\ttoken\touter\tinner`` per
token, a blank line between sentences.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

from newscorpus.ids import slugify
from newscorpus.ner import bio_names, bio_to_spans
from newscorpus.parsers import ParseResult, make_article
from newscorpus.report import Problem
from newscorpus.sidecar import SIDECAR_SUFFIX, Sidecar

FORMAT = "germeval2014"
LICENSE = "CC-BY-4.0"
COLUMNS = ("index", "token", "outer tag", "inner tag")
COMMENT = re.compile(r"#\t([^\t]*)\t\[([^\t\[\]]*)\]\t")
"""The comment line; ``source`` is ``f"{url} [{date}]"``, which the export splits at its last `` [``."""
_URL = re.compile(r"https?://\S+")  # the Article.url pattern: a comment's "URL" may be "welt.de vom 09.03.2006"


def _url(candidate: str) -> str | None:
    """Return ``candidate`` if Article.url accepts it, else None (``source`` keeps it either way)."""
    try:
        return candidate if _URL.fullmatch(candidate) and urlsplit(candidate).hostname else None
    except ValueError:
        return None


def _groups(lines: list[str]) -> Iterator[list[tuple[int, str]]]:
    """Yield each sentence's numbered lines: a blank line ends a sentence, a ``#`` line starts one."""
    group: list[tuple[int, str]] = []
    for number, line in enumerate(lines, start=1):
        if line == "" or (line.startswith("#") and group):
            if group:
                yield group
            group = []
        if line != "":
            group.append((number, line))
    if group:
        yield group


def _token_problems(rows: list[tuple[int, str]], name: str) -> tuple[list[list[str]], list[Problem]]:
    """Split token lines into columns and report every line the export could not rebuild."""
    known = set(bio_names())
    columns: list[list[str]] = []
    problems: list[Problem] = []
    previous = ["O", "O"]
    for position, (number, line) in enumerate(rows, start=1):
        cells = line.split("\t")
        if len(cells) != len(COLUMNS):
            message = f"has {len(cells)} columns, not the {len(COLUMNS)} of GermEval 2014: {', '.join(COLUMNS)}"
            problems.append(Problem(file=name, line=number, message=message))
            previous = ["O", "O"]
            continue
        index, token, *tags = cells
        if index != str(position):
            problems.append(Problem(file=name, line=number, field="index", message=f"is {index!r}, not {position}"))
        if not token or any(c.isspace() for c in token):
            message = f"{token!r} is empty or holds whitespace; tokens are joined by single spaces"
            problems.append(Problem(file=name, line=number, field="token", message=message))
        elif not unicodedata.is_normalized("NFC", token):
            message = f"{token!r} is not NFC; the text must be, and the import keeps tokens as written"
            problems.append(Problem(file=name, line=number, field="token", message=message))
        for level, (tag, before) in enumerate(zip(tags, previous, strict=True)):
            field = COLUMNS[2 + level]
            if tag not in known:
                message = f"{tag!r} is no tag of the label set (O, or B-/I- and one of {', '.join(sorted(known))})"
                problems.append(Problem(file=name, line=number, field=field, message=message))
            elif tag.startswith("I-") and before[2:] != tag[2:]:
                message = f"{tag} follows {before}; an I- tag must continue a B- or I- tag of the same label"
                problems.append(Problem(file=name, line=number, field=field, message=message))
        previous = tags
        columns.append(cells)
    return columns, problems


def _entities(
    text: str, offsets: list[tuple[int, int]], columns: list[list[str]], rows: list[tuple[int, str]], name: str
) -> tuple[list[dict[str, object]], list[Problem]]:
    """Read both levels' spans from the tags; an inner span must lie inside an outer one."""
    positions = [(i, i + 1) for i in range(len(columns))]  # spans in token positions first
    outer = bio_to_spans(positions, [c[2] for c in columns])
    inner = bio_to_spans(positions, [c[3] for c in columns])
    problems = [
        Problem(
            file=name,
            line=rows[first][0],
            field=COLUMNS[3],
            message=f"the inner {label} span lies inside no outer span; GermEval nests only inside outer entities",
        )
        for first, last, label in inner
        if not any(s <= first and last <= e for s, e, _ in outer)
    ]
    entities: list[dict[str, object]] = []
    for level, spans in enumerate((outer, inner)):
        for first, last, label in spans:
            start, end = offsets[first][0], offsets[last - 1][1]
            entities.append({"start": start, "end": end, "label": label, "level": level, "text": text[start:end]})
    return entities, problems


def _sentence(group: list[tuple[int, str]], number: int, stem: str, name: str, sidecar: Sidecar) -> list[ParseResult]:
    """Turn one sentence's lines into its article, or into every problem found in it."""
    first_line, head = group[0]
    comment = COMMENT.fullmatch(head)
    problems: list[Problem] = []
    if comment is None:
        message = "should be the sentence's comment line `#<TAB>URL<TAB>[DATE]<TAB>`"
        problems.append(Problem(file=name, line=first_line, message=message))
    rows = group[1:] if head.startswith("#") else group
    if not rows:
        return [*problems, Problem(file=name, line=first_line, message="starts a sentence that has no token lines")]
    columns, token_problems = _token_problems(rows, name)
    problems += token_problems
    if problems or comment is None:
        return list(problems)
    text = " ".join(c[1] for c in columns)
    offsets, start = [], 0
    for cells in columns:
        offsets.append((start, start + len(cells[1])))
        start += len(cells[1]) + 1
    entities, nesting = _entities(text, offsets, columns, rows, name)
    if nesting:
        return list(nesting)
    url, date = comment.groups()
    metadata: dict[str, object] = {
        "id": f"{stem}-{number:05d}",
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
        raw_sha256=hashlib.sha256("\n".join(line for _, line in group).encode("utf-8")).hexdigest(),
        encoding="utf-8",
        fallback_id=None,
        line=first_line,
        allow_c1=True,  # the dev set holds a U+0096 token; dropping it would break the round trip
    )
    return result if isinstance(result, list) else [result]


def parse(path: Path, name: str, sidecar: Sidecar) -> Iterator[ParseResult]:
    """Yield one article per sentence of a GermEval 2014 TSV file, and a problem for each bad sentence.

    Ids number the sentences (``ner-de-dev-00001``), so correcting a token keeps every id. The
    sentence's raw_sha256 is over its lines as written, joined by newlines, without the last one.
    """
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        yield Problem(file=name, message=f"is not UTF-8 ({exc.reason} at byte {exc.start}); GermEval 2014 files are")
        return
    if sidecar.split is None:
        sidecar_name = name.rsplit(".", 1)[0] + SIDECAR_SUFFIX
        message = "is missing: a GermEval 2014 file is one split; add `split: train`, `validation` or `test`"
        yield Problem(file=sidecar_name, field="split", message=message)
        return
    if "\r\n" in text:
        line = text.count("\n", 0, text.index("\r\n")) + 1
        message = "has Windows (CRLF) line ends; GermEval 2014 lines end in \\n alone. Convert it and import again."
        yield Problem(file=name, line=line, message=message)
        return
    stem = slugify(path.stem)
    found = False
    for number, group in enumerate(_groups(text.split("\n")), start=1):
        found = True
        yield from _sentence(group, number, stem, name, sidecar)
    if not found:
        yield Problem(file=name, message="holds no sentences")
