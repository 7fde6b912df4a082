"""The plain-text copy of a news page (t-online style), as in ``shared/data/seed``.

Layout, one block per paragraph, blocks separated by blank lines::

    [Kicker] Headline             kicker and headline run together on one line
    Von dpa Aktualisiert am 04.09.2025 - 14:07 Uhr Lesedauer: 4 Min.
    Caption. (Quelle: Credit)     optional, anywhere; an image caption and its credit
    Lead
    Paragraph | Subheading ...

A copy that lost its blank lines (some browsers copy paragraphs one line apart) has no
date line among its first blocks; it is read again with every line a block.

What is inferred, and how:
- kicker/headline: a sidecar's ``kicker`` or ``headline`` says where the first
  line splits; a title of two lines (or two blocks) is kicker then headline;
  otherwise the whole line is the headline and there is no kicker.
- the byline/date line: ``[Von BYLINE] [Aktualisiert|Veröffentlicht am] D.M.YYYY[[,| -] HH:MM Uhr]
  [Lesedauer: N Min.]`` ("von" too, and "UhrLesedauer" run together, as copies have them); a date
  without a time (older pages) is read as 00:00, and the parser says so (``untimed``);
  names in the byline that are news agencies go to ``agency``, the others to ``authors``. Times are Europe/Berlin.
- the lead is the first block after the date line that is not a caption.
- a subheading is a one-line block of at most 12 words that does not end like a sentence
  and is followed by another block.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from newscorpus.core.codes import Code
from newscorpus.core.errors import NewscorpusError
from newscorpus.model.sidecar import Sidecar

BERLIN = ZoneInfo("Europe/Berlin")
AGENCIES = frozenset({"dpa", "afp", "ap", "reuters", "kna", "epd", "dts", "sid", "apa", "ots", "t-online"})
GERMAN_DAY = r"(?P<day>\d{1,2})\.(?P<month>\d{1,2})\.(?P<year>\d{4})"
"""A day as German writes it, day first as the dots say: 4.9.2025, 04.09.2025."""
GERMAN_TIME = r"(?P<hour>\d{1,2}):(?P<minute>\d{2})"
_DATE_PARTS = ("year", "month", "day", "hour", "minute", "second")
_META = re.compile(
    r"^(?:[Vv]on\s+(?P<byline>.+?)\s+)?"
    r"(?:(?P<verb>Aktualisiert|Veröffentlicht)\s+am\s+)?"
    rf"{GERMAN_DAY}"
    rf"(?:\s*(?:,|-|–)?\s*{GERMAN_TIME}\s*Uhr)?"  # older pages give the date alone
    r"(?:\s*Lesedauer:\s*(?P<minutes>\d+)\s*Min\.?)?$"  # "UhrLesedauer" as some copies run them together
)
_CAPTION = re.compile(r"^(?P<caption>.*?)\s*\((?:Quelle|Foto|Fotos|Bild|Bilder):\s*(?P<credit>[^()]+)\)$", re.DOTALL)
_BYLINE_SPLIT = re.compile(r"\s*(?:,|\bund\b|/|&)\s*")
_SENTENCE_END = (".", "!", "?", "…", ":", ";", ",", '"', "“", "”", "»", "«", "'", ")")
_HEADER_SEARCH_BLOCKS = 3
_SUBHEADING_MAX_WORDS = 12


class PageCopyError(NewscorpusError):
    """The text does not have the page-copy layout; ``code`` says how, ``line`` and ``field`` say where."""

    def __init__(self, code: Code, message: str, line: int | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.line = line
        self.field = field


@dataclass
class ParsedPage:
    """What a page copy says: metadata and the blocks in reading order."""

    metadata: dict[str, object] = field(default_factory=dict)
    parts: list[tuple[str, str]] = field(default_factory=list)
    untimed: int | None = None  # the line of a date line that gives no time: its date is read as 00:00


def _line_blocks(text: str) -> list[tuple[int, str]]:
    """Every non-blank line a block: how a copy reads whose paragraphs lost their blank lines."""
    return [(number, line.strip()) for number, line in enumerate(text.split("\n"), start=1) if line.strip()]


def _header_at(blocks: list[tuple[int, str]]) -> int | None:
    """Return which of the first blocks is the byline/date line, if one is: one with a time before one without.

    A date alone is a date line only where no line gives a time, so a page that parsed before parses as before.
    """
    found = [
        (i, match["hour"] is not None)
        for i, (_, b) in enumerate(blocks[:_HEADER_SEARCH_BLOCKS])
        if "\n" not in b and (match := _META.match(b))
    ]
    return next((i for i, timed in found if timed), found[0][0] if found else None)


def _blocks_with_lines(text: str) -> list[tuple[int, str]]:
    blocks: list[tuple[int, str]] = []
    current: list[str] = []
    start = 0
    for number, line in enumerate(text.split("\n"), start=1):
        if stripped := line.strip():
            if not current:
                start = number
            current.append(stripped)
        elif current:
            blocks.append((start, "\n".join(current)))
            current = []
    if current:
        blocks.append((start, "\n".join(current)))
    return blocks


def _split_title(title: str, sidecar: Sidecar, line: int) -> list[tuple[str, str]]:
    lines = title.split("\n")
    if sidecar.kicker is not None:
        rest = title[len(sidecar.kicker) :]
        if not title.startswith(sidecar.kicker) or not rest[:1].isspace():
            raise PageCopyError(
                Code.PAGECOPY_KICKER_MISMATCH,
                f"the sidecar's kicker {sidecar.kicker!r} is not how the title starts",
                line,
                "kicker",
            )
        return [("kicker", sidecar.kicker), ("headline", rest)]
    if sidecar.headline is not None:
        before = title[: -len(sidecar.headline)]
        if not title.endswith(sidecar.headline) or (before and not before[-1].isspace()):
            raise PageCopyError(
                Code.PAGECOPY_HEADLINE_MISMATCH,
                f"the sidecar's headline {sidecar.headline!r} is not how the title ends",
                line,
                "headline",
            )
        return [("kicker", before), ("headline", sidecar.headline)]
    if len(lines) == 2:
        return [("kicker", lines[0]), ("headline", lines[1])]
    if len(lines) > 2:
        raise PageCopyError(
            Code.PAGECOPY_LONG_TITLE,
            "the title runs over more than two lines; say where it splits in a sidecar",
            line,
            "headline",
        )
    return [("headline", title)]


def _byline(byline: str) -> dict[str, object]:
    names = [n for n in _BYLINE_SPLIT.split(byline) if n]
    agencies = [n for n in names if n.lower() in AGENCIES]
    authors = [n for n in names if n.lower() not in AGENCIES]
    return {"agency": ", ".join(agencies) or None, "authors": authors}


def german_datetime(match: re.Match[str]) -> dt.datetime:
    """Return the Berlin time a match of ``GERMAN_DAY`` (and ``GERMAN_TIME``, and a ``second``, if they matched) gives.

    Raise ``ValueError`` for a day or time that does not exist (31.2.2025).
    """
    given = match.groupdict()
    found = {name: int(given[name]) for name in _DATE_PARTS if given.get(name) is not None}
    return dt.datetime(
        found["year"], found["month"], found["day"],
        found.get("hour", 0), found.get("minute", 0), found.get("second", 0), tzinfo=BERLIN,
    )  # fmt: skip


def _metadata(match: re.Match[str], line: int) -> dict[str, object]:
    field = "updated_at" if match["verb"] == "Aktualisiert" else "published_at"
    try:
        when = german_datetime(match)
    except ValueError as exc:
        raise PageCopyError(
            Code.PAGECOPY_BAD_DATE, f"the date line holds an impossible date: {exc}", line, field
        ) from exc
    meta: dict[str, object] = {field: when}
    if match["byline"]:
        meta.update(_byline(match["byline"]))
    if match["minutes"]:
        meta["reading_time_minutes"] = int(match["minutes"])
    return meta


def _is_subheading(block: str, is_last: bool) -> bool:
    # Cheapest test first: most blocks are paragraphs that end like a sentence.
    return (
        not is_last
        and not block.endswith(_SENTENCE_END)
        and "\n" not in block
        and len(block.split()) <= _SUBHEADING_MAX_WORDS
    )


def parse_page_copy(text: str, sidecar: Sidecar) -> ParsedPage:
    """Parse normalised page-copy text into metadata and ``(kind, text)`` parts."""
    blocks = _blocks_with_lines(text)
    if (header := _header_at(blocks)) is None:
        # Copied without blank lines between paragraphs (or with the date line inside a block): lines are blocks.
        blocks = _line_blocks(text)
        header = _header_at(blocks)
    if header is None:
        raise PageCopyError(
            Code.PAGECOPY_NO_HEADER,
            "no header: expected a title and then a date line such as "
            "'Von dpa Aktualisiert am 04.09.2025 - 14:07 Uhr' within the first blocks",
            1,
        )
    if header == 0:
        raise PageCopyError(Code.PAGECOPY_NO_TITLE, "no title before the date line", blocks[0][0], "headline")
    line, match = blocks[header][0], _META.match(blocks[header][1])
    page = ParsedPage(metadata=_metadata(match, line), untimed=None if match["hour"] else line)  # type: ignore[arg-type,index]
    title_lines = [b for _, b in blocks[:header]]
    page.parts = _split_title("\n".join(title_lines), sidecar, blocks[0][0])
    body = blocks[header + 1 :]
    captions: list[tuple[str, str]] = []
    rest: list[str] = []
    for _, block in body:
        # Only a block ending in ")" can be a caption; the regex is slow on long paragraphs.
        caption = _CAPTION.match(block) if block.endswith(")") else None
        if caption:
            captions += [("caption", caption["caption"]), ("credit", caption["credit"])]
        else:
            rest.append(block)
    if rest:
        page.parts.append(("lead", rest[0]))
    page.parts += captions
    for i, block in enumerate(rest[1:], start=2):
        page.parts.append(("subheading" if _is_subheading(block, i == len(rest)) else "paragraph", block))
    return page
