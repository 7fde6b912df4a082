"""Records other tools write (news-please, schema.org's NewsArticle), in the corpus's keys: what they share.

A translation keeps the record's bytes untouched (they are the raw file's): it makes a record in the
corpus's keys, puts every key no article field takes into ``metadata`` (so that it stays only in
the raw file, named in a warning), and remembers which key of the record each corpus key came from,
so that a problem names the key as the record gave it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from newscorpus.ingest.parsers.repair import read_date


@dataclass(frozen=True)
class Translated:
    """A record in the corpus's keys (as JSON), and what the translation had to decide."""

    text: str
    given_as: dict[str, str]  # the record's keys by the corpus key each became: problems name the record's
    zoned: frozenset[str]  # the dates (corpus keys) that had no UTC offset, read as Europe/Berlin time
    untimed: frozenset[str]  # the dates that had no time, read as 00:00 Europe/Berlin time
    modify_before_publish: bool  # the modification date was before the publication date, so it is no updated_at


def put_dates(
    given: dict[str, object], record: dict[str, object], unkept: dict[str, object], published: str, modified: str
) -> tuple[frozenset[str], frozenset[str], bool]:
    """Put the dates ``given`` holds at keys ``published`` and ``modified`` into ``record`` in ISO 8601 with an offset.

    Return the corpus keys of the dates read without an offset (Berlin time), those read without a
    time (00:00), and whether the modification came before the publication: both are taken from the
    page, and one is wrong, so that date is no ``updated_at`` and goes to ``unkept``. A value that is
    no date is passed on as it is, for validation to say why.
    """
    dates: dict[str, datetime] = {}
    zoned: set[str] = set()
    untimed: set[str] = set()
    for key, corpus_key in ((published, "published_at"), (modified, "updated_at")):
        value = given.get(key)
        if value is None or value == "None":  # "None" is how news-please writes a missing date
            continue
        if isinstance(value, str) and (read := read_date(value)) is not None:
            if read.zoned:
                zoned.add(corpus_key)
            if read.untimed:
                untimed.add(corpus_key)
            dates[corpus_key] = read.value
        else:
            record[corpus_key] = value
    first, then = dates.get("published_at"), dates.get("updated_at")
    before = first is not None and then is not None and then.astimezone(UTC) < first.astimezone(UTC)
    if first is not None:
        record["published_at"] = first.isoformat()
    if then is not None and not before:
        record["updated_at"] = then.isoformat()
    elif before:
        unkept[modified] = given[modified]
    return frozenset(zoned), frozenset(untimed), before
