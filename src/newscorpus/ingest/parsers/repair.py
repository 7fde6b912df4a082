"""JSON records as real files write them, read where the corpus's own form would refuse them.

Only a record that fails validation comes here, so a valid one pays nothing. Three things are
mended, and nothing is lost (the raw file keeps the record as received):

- A Hugging Face or DataTrove record (one with ``text``, no ``body``) is a dataset's export: its
  other columns (MLSUM's ``summary``, cc_news's ``domain``) are data, not typos. They move into
  ``metadata``, so they stay only in the raw file, named in one warning per file.
- A body given as a list of strings (as scrapers keep paragraphs) is read as its paragraphs, and
  authors given as one string as one author: warned about once per file.
- A date in another form than ISO 8601 with an offset: without an offset (``2025-09-04T14:07:00``,
  as scrapers and news-please write it) it is Europe/Berlin time, the time German news sites
  give; a date alone is 00:00 of that day; German (``04.09.2025 14:07``, as German CMS exports write
  it) is day first and Berlin time too; RFC 2822 (``Thu, 04 Sep 2025 14:07:00 +0200``, as RSS
  feeds give it) is read as it is; a number is a Unix timestamp (seconds since 1970 UTC, or
  milliseconds from 10^11 on, as JavaScript and many APIs give it), read as that instant in Berlin
  time, if it falls in 1990–2100 (an 8-digit ``20250904`` would be a day of 1970: refused); a string
  of digits is that number, but for eight, ISO 8601's basic form of a day (``digits_as_dates``,
  applied to every record, since pydantic reads such strings without failing). All but RFC 2822
  are warned about, once per file.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from pydantic import ValidationError

from newscorpus.ingest.parsers.pagecopy import BERLIN, GERMAN_DAY, GERMAN_TIME, german_datetime

DATE_FIELDS = ("published_at", "updated_at")
_DATE_ALONE = re.compile(r"\d{4}-\d{2}-\d{2}")
_GERMAN_DATE = re.compile(rf"{GERMAN_DAY}(?:\s*(?:,|-|–|um)?\s*{GERMAN_TIME}(?::(?P<second>\d{{2}}))?(?:\s*Uhr)?)?")
"""A date as German CMS exports write it: 04.09.2025, 04.09.2025 14:07, 4.9.2025, 14:07:30 Uhr."""
_MILLISECONDS_FROM = 10**11
"""From here on a timestamp counts milliseconds: as seconds it would be after the year 5000, as milliseconds 1973."""
_TIMESTAMP_YEARS = range(1990, 2101)
"""The years a timestamp may give: numbers outside them are more likely something else (an 8-digit date)."""
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


_DIGIT_DATE = re.compile(rf'("(?:{"|".join(DATE_FIELDS)})"\s*:\s*)"\s*(\d+)\s*"')


def digits_as_dates(text: str) -> str:
    """Return the JSON record ``text`` with a date given as a string of digits read as this module reads dates.

    Before validation, since pydantic reads such a string without failing: ``"1709632800"`` as a
    Unix timestamp in UTC, unwarned, and ``"20250904"``, ISO 8601's basic form of a day, as one of
    1970. So eight digits become that day (``2025-09-04``, Berlin time, warned as a date without a
    time) and other digits the number they spell (as PHP exports write numbers): a timestamp if it
    falls in 1990–2100, warned, else refused.
    """
    if '_at"' not in text:
        return text
    return _DIGIT_DATE.sub(lambda m: m[1] + (f'"{m[2][:4]}-{m[2][4:6]}-{m[2][6:]}"' if len(m[2]) == 8 else m[2]), text)


@dataclass(frozen=True)
class ReadDate:
    """A date read from one of the forms real files give, and what reading it had to assume."""

    value: datetime
    zoned: bool  # no UTC offset was given: read as Europe/Berlin time
    untimed: bool  # no time was given: read as 00:00


def read_date(text: str) -> ReadDate | None:
    """Return the date ``text`` gives in ISO 8601 (with or without an offset or a time), RFC 2822 or German; else None.

    German is day first (``_GERMAN_DATE``): with dots, as German writes it, a date cannot be read month first.
    """
    text = text.strip()
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return _german_date(text)
    untimed = bool(_DATE_ALONE.fullmatch(text))
    if when.tzinfo is not None:
        return ReadDate(when, zoned=False, untimed=untimed)
    return ReadDate(when.replace(tzinfo=BERLIN), zoned=not untimed, untimed=untimed)  # a date alone: "no time" says it


def _german_date(text: str) -> ReadDate | None:
    if (match := _GERMAN_DATE.fullmatch(text)) is None:
        return None
    try:
        when = german_datetime(match)
    except ValueError:  # 31.02.2025: no date
        return None
    untimed = match["hour"] is None
    return ReadDate(when, zoned=not untimed, untimed=untimed)  # Berlin time; a date alone: "no time" says it


def read_timestamp(value: float) -> datetime | None:
    """Return the instant Unix timestamp ``value`` gives (seconds, or milliseconds from 10^11), in Berlin time.

    None if it falls outside 1990–2100 (or is no number: NaN). Integers are read exactly, floats to the microsecond.
    """
    try:
        since = timedelta(milliseconds=value) if abs(value) >= _MILLISECONDS_FROM else timedelta(seconds=value)
        when = (_EPOCH + since).astimezone(BERLIN)
    except (OverflowError, ValueError):
        return None
    return when if when.year in _TIMESTAMP_YEARS else None


@dataclass
class Decided:
    """What reading a record had to decide, by the corpus keys concerned: told in one warning per kind and file."""

    zoned: set[str] = field(default_factory=set)  # dates without a UTC offset, read as Europe/Berlin time
    untimed: set[str] = field(default_factory=set)  # dates without a time, read as 00:00
    stamped: set[str] = field(default_factory=set)  # dates given as Unix timestamps
    reshaped: set[str] = field(default_factory=set)  # a body as a list of strings, authors as one string
    unordered: bool = False  # a modification date before the publication date: no updated_at
    halved: bool = False  # a string held half a surrogate pair, read as U+FFFD (``mend_surrogates``)
    markup: set[str] = field(default_factory=set)  # block kinds whose text holds HTML (``records.markup_in``)

    def dated(self, name: str, read: ReadDate) -> None:
        """Note what reading date ``name`` as ``read`` assumed."""
        if read.zoned:
            self.zoned.add(name)
        if read.untimed:
            self.untimed.add(name)

    def __or__(self, other: Decided) -> Decided:
        return Decided(
            self.zoned | other.zoned,
            self.untimed | other.untimed,
            self.stamped | other.stamped,
            self.reshaped | other.reshaped,
            self.unordered or other.unordered,
            self.halved or other.halved,
            self.markup | other.markup,
        )


_ESCAPE = re.compile(
    r"\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}"  # a surrogate pair: one character
    r"|(\\u[dD][89a-fA-F][0-9a-fA-F]{2})"  # half of one
    r"|\\u[0-9a-fA-F]{4}|\\.",  # any other escape, an escaped backslash too: what follows it is no escape
    re.DOTALL,
)
_REPLACEMENT = "\\ufffd"


def mend_surrogates(text: str) -> tuple[str, int]:
    r"""Return the JSON ``text`` with each escape of half a UTF-16 surrogate pair as ``\ufffd``, and how many.

    JSON's grammar allows ``\ud83d`` alone, but it is no character, and no UTF-8 text can hold it:
    JavaScript's string cutting leaves such halves (``JSON.stringify`` escapes them), as does
    Python's ``json.dumps`` of bytes decoded with ``surrogateescape``. pydantic refuses the whole
    record for one, so each becomes U+FFFD, the replacement character; the raw file keeps it.
    """
    if "\\ud" not in text and "\\uD" not in text:  # most records: no escape of a surrogate at all
        return text, 0
    halves = 0

    def mended(match: re.Match[str]) -> str:
        nonlocal halves
        if match.group(1) is None:
            return match.group(0)
        halves += 1
        return _REPLACEMENT

    return _ESCAPE.sub(mended, text), halves


@dataclass(frozen=True)
class Repaired:
    """A record mended (as JSON), and what mending it decided."""

    text: str
    decided: Decided


def repaired(text: str, error: ValidationError) -> Repaired | None:
    """Return the record ``text`` mended, if every problem of ``error`` is one this module mends; else None."""
    extras: set[str] = set()
    dates: list[tuple[int | str, ...]] = []
    shapes: set[tuple[int | str, ...]] = set()
    for item in error.errors(include_url=False):
        loc = item["loc"]
        if item["type"] == "extra_forbidden" and len(loc) == 1:
            extras.add(str(loc[0]))
        elif loc and loc[-1] in DATE_FIELDS and _datelike(item["input"]) and len(loc) <= 2:
            dates.append(loc)
        elif loc[:1] == ("body",):  # one error per branch of the body's union: a string, a list of blocks
            shapes.add(loc[:1])
        elif loc[-1:] == ("authors",) and len(loc) <= 2:
            shapes.add(loc)
        else:
            return None
    record = json.loads(text)
    if extras and not _kept_in_metadata(record, extras):
        return None
    if not all(isinstance(holder := _holder(record, loc), dict) and _reshaped(holder, loc[-1]) for loc in shapes):
        return None
    decided = Decided(reshaped={str(loc[-1]) for loc in shapes})
    if not _read_dates(record, dates, decided):
        return None
    return Repaired(json.dumps(record, ensure_ascii=False), decided)


def _read_dates(record: dict[str, object], dates: list[tuple[int | str, ...]], decided: Decided) -> bool:
    """Rewrite the dates at ``dates`` in ISO 8601 with an offset, noting in ``decided`` what that assumed.

    False if one is in no form this module reads.
    """
    for loc in dates:
        holder, name = _holder(record, loc), str(loc[-1])
        if not isinstance(holder, dict):
            return False
        value = holder[name]
        if isinstance(value, str):
            if (read := read_date(value)) is None:
                return False
            when = read.value
            decided.dated(name, read)
        else:
            if (stamp := read_timestamp(value)) is None:
                return False
            when = stamp
            decided.stamped.add(name)
        holder[name] = when.isoformat()
    return True


def _holder(record: dict[str, object], loc: tuple[int | str, ...]) -> object:
    """Return what holds the value at ``loc`` (a key at the top, or one level down): the record, or what it holds."""
    return record if len(loc) == 1 else record.get(str(loc[0]))


def _reshaped(holder: dict[str, object], name: int | str) -> bool:
    """Give ``holder[name]`` the corpus's shape: a body's list of strings as paragraphs, one author's string as a list.

    False if it is in neither of those shapes.
    """
    value = holder.get(str(name))
    if name == "authors" and isinstance(value, str):
        holder[name] = [value]
    elif name == "body" and isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        holder[name] = [{"kind": "paragraph", "text": v} for v in value]
    else:
        return False
    return True


def _datelike(value: object) -> bool:
    """Whether ``value`` may be a date in a form `repaired` reads: a string, or a number (not a boolean)."""
    return isinstance(value, str | int | float) and not isinstance(value, bool)


def _kept_in_metadata(record: dict[str, object], extras: set[str]) -> bool:
    """Move a dataset export's other columns (``extras``) into its ``metadata``; False if it is no such record."""
    metadata = record.get("metadata") or {}
    if "text" not in record or "body" in record or not isinstance(metadata, dict) or extras & metadata.keys():
        return False
    record["metadata"] = metadata | {key: record.pop(key) for key in sorted(extras)}
    return True
