"""news-please records: the JSON object its crawler writes per article, read in the corpus's keys.

news-please (``NewsArticle.get_serializable_dict``) writes ``title``, ``description``,
``maintext``, ``authors``, ``url``, ``source_domain``, ``language`` and dates as ``str(datetime)``:
``"2017-10-20 10:00:00"``, without a UTC offset, and ``"None"`` where it found none. A record
is one if it has a ``maintext`` key. Its keys become the corpus's (headline, lead, body, source,
published_at, updated_at); a date without an offset is read as Europe/Berlin time, the time German
news sites give, and a warning says so. Keys no article field takes (``date_download``,
``image_url``, ``filename``, …) stay only in the raw file, as a DataTrove record's do. A
``date_modify`` before ``date_publish`` (both taken from the page, and one of them wrong) is
not an updated_at; a warning names it.
"""

from __future__ import annotations

import json

from newscorpus.ingest.parsers.translated import Translated, put_dates

_SIGNATURE = '"maintext"'
_RENAMED = {"title": "headline", "description": "lead", "maintext": "text", "source_domain": "source"}
_DATES = {"date_publish": "published_at", "date_modify": "updated_at"}
_KEPT = {"authors", "url", "language", "id", "license", "redistributable", "split", "agency", "kicker", "caption"}
"""Keys a news-please record has (or a user adds) that are the corpus's own."""


def translate(text: str) -> Translated | None:
    """Return the news-please record in ``text`` in the corpus's keys; None if it is none (or no JSON)."""
    if _SIGNATURE not in text:
        return None
    try:
        given = json.loads(text)
    except ValueError:
        return None  # the corpus's own reading reports where it breaks
    if not isinstance(given, dict) or "maintext" not in given:
        return None
    record: dict[str, object] = {}
    unkept: dict[str, object] = {}
    for key, value in given.items():
        if value is None or value == "None" or value == [] or key in _DATES:
            continue
        if key in _RENAMED:
            record[_RENAMED[key]] = value
        elif key in _KEPT:
            record[key] = value
        elif key != "text" or value != given.get("maintext"):  # news-please's older copy of maintext, if any
            unkept[key] = value
    decided = put_dates(given, record, unkept, "date_publish", "date_modify")
    given_as = {new: old for old, new in (_RENAMED | _DATES).items() if old in given}
    return Translated(json.dumps(record, ensure_ascii=False), given_as, decided, tuple(unkept))
