"""JSON records as real files write them, read where the corpus's own form would refuse them.

Only a record that fails validation comes here, so a valid one pays nothing. Two things are
mended, and nothing is lost (the raw file keeps the record as received):

- A Hugging Face or DataTrove record (one with ``text``, no ``body``) is a dataset's export: its
  other columns (MLSUM's ``summary``, cc_news's ``domain``) are data, not typos. They move into
  ``metadata``, so they stay only in the raw file, named in one warning per file.
- A date in another form than ISO 8601 with an offset: without an offset (``2025-09-04T14:07:00``,
  as scrapers and news-please write it) it is Europe/Berlin time, the time German news sites
  give; a date alone is 00:00 of that day; RFC 2822 (``Thu, 04 Sep 2025 14:07:00 +0200``, as RSS
  feeds give it) is read as it is. The first two are warned about, once per file.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime

from pydantic import ValidationError

from newscorpus.ingest.parsers.pagecopy import BERLIN

DATE_FIELDS = ("published_at", "updated_at")
_DATE_ALONE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class ReadDate:
    """A date read from one of the forms real files give, and what reading it had to assume."""

    value: datetime
    zoned: bool  # no UTC offset was given: read as Europe/Berlin time
    untimed: bool  # no time was given: read as 00:00


def read_date(text: str) -> ReadDate | None:
    """Return the date ``text`` gives in ISO 8601 (with or without an offset or a time) or RFC 2822; else None."""
    text = text.strip()
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    untimed = bool(_DATE_ALONE.fullmatch(text))
    if when.tzinfo is not None:
        return ReadDate(when, zoned=False, untimed=untimed)
    return ReadDate(when.replace(tzinfo=BERLIN), zoned=not untimed, untimed=untimed)  # a date alone: "no time" says it


@dataclass(frozen=True)
class Repaired:
    """A record mended (as JSON), and which of its dates had no offset, and which no time."""

    text: str
    zoned: frozenset[str]
    untimed: frozenset[str]


def repaired(text: str, error: ValidationError) -> Repaired | None:
    """Return the record ``text`` mended, if every problem of ``error`` is one this module mends; else None."""
    extras, dates = set(), []
    for item in error.errors(include_url=False):
        loc = item["loc"]
        if item["type"] == "extra_forbidden" and len(loc) == 1:
            extras.add(str(loc[0]))
        elif loc and loc[-1] in DATE_FIELDS and isinstance(item["input"], str) and len(loc) <= 2:
            dates.append(loc)
        else:
            return None
    record = json.loads(text)
    if extras and not _kept_in_metadata(record, extras):
        return None
    zoned, untimed = set(), set()
    for loc in dates:
        holder = record if len(loc) == 1 else record.get(str(loc[0]))
        if not isinstance(holder, dict) or (read := read_date(holder[loc[-1]])) is None:
            return None
        holder[loc[-1]] = read.value.isoformat()
        if read.zoned:
            zoned.add(str(loc[-1]))
        if read.untimed:
            untimed.add(str(loc[-1]))
    return Repaired(json.dumps(record, ensure_ascii=False), frozenset(zoned), frozenset(untimed))


def _kept_in_metadata(record: dict[str, object], extras: set[str]) -> bool:
    """Move a dataset export's other columns (``extras``) into its ``metadata``; False if it is no such record."""
    metadata = record.get("metadata") or {}
    if "text" not in record or "body" in record or not isinstance(metadata, dict) or extras & metadata.keys():
        return False
    record["metadata"] = metadata | {key: record.pop(key) for key in sorted(extras)}
    return True
