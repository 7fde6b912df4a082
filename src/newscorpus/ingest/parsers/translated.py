"""Records other tools write (news-please, schema.org's NewsArticle), in the corpus's keys: what they share.

A translation keeps the record's bytes untouched (they are the raw file's): it makes a record in the
corpus's keys, names every key no article field takes (it stays only in the raw file, named in a
warning), and remembers which key of the record each corpus key came from,
so that a problem names the key as the record gave it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from newscorpus.ingest.parsers.repair import Decided, read_date


@dataclass(frozen=True)
class Translated:
    """A record in the corpus's keys (as JSON), and what the translation had to decide."""

    text: str
    given_as: dict[str, str]  # the record's keys by the corpus key each became: problems name the record's
    decided: Decided  # what the translation had to decide about the record's dates
    # The record's keys no article field takes, kept out of the record made: put in its metadata, as DataTrove's
    # are, a key named as an article field (license, say) was taken for that field.
    unkept: tuple[str, ...] = ()


def put_dates(
    given: dict[str, object],
    record: dict[str, object],
    unkept: dict[str, object],
    published: str,
    modified: str | None,
) -> Decided:
    """Put the dates ``given`` holds at keys ``published`` and ``modified`` into ``record`` in ISO 8601 with an offset.

    ``modified`` is None for a record that gives no modification date.

    Return what that decided: the dates read without an offset (Berlin time) or without a time
    (00:00), and whether the modification came before the publication: both are taken from the
    page, and one is wrong, so that date is no ``updated_at`` and goes to ``unkept``. A value that is
    no date is passed on as it is, for validation to say why.
    """
    dates: dict[str, datetime] = {}
    decided = Decided()
    for key, corpus_key in ((published, "published_at"), (modified, "updated_at")):
        value = None if key is None else given.get(key)
        if value is None or value == "None":  # "None" is how news-please writes a missing date
            continue
        if isinstance(value, str) and (read := read_date(value)) is not None:
            decided.dated(corpus_key, read)
            dates[corpus_key] = read.value
        else:
            record[corpus_key] = value
    first, then = dates.get("published_at"), dates.get("updated_at")
    decided.unordered = first is not None and then is not None and then.astimezone(UTC) < first.astimezone(UTC)
    if first is not None:
        record["published_at"] = first.isoformat()
    if then is not None and not decided.unordered:
        record["updated_at"] = then.isoformat()
    elif decided.unordered and modified is not None:
        unkept[modified] = given[modified]
    return decided
