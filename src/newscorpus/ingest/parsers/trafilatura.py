"""trafilatura records: the JSON its extractor writes per page (``trafilatura --json``), in the corpus's keys.

trafilatura (``xml.build_json_output``) writes ``title``, ``author`` (names joined by ``; ``),
``source`` (the page's URL), ``source-hostname`` (the site's name), ``hostname``, ``date``
(``YYYY-MM-DD`` unless told otherwise), ``excerpt`` (the page's description), ``text`` (the main
text, a line per paragraph, heading or list item), ``comments`` (the readers'), ``language``,
``license``, and ``fingerprint``, ``id``, ``categories``, ``tags``, ``image``, ``pagetype``,
``filedate`` (the download's), ``raw_text``. A record is one if it has ``text`` and one of
``source-hostname`` and ``fingerprint``, keys no other record has.

Its keys become the corpus's. The headline is ``title``; the body is the lines of ``text``, a
paragraph each (trafilatura marks no heading in its text). The lead is ``excerpt``, unless the
text begins with it, as it often does: then it is the first paragraph already. The source is the
site's name, else the hostname; the authors are ``author`` split at ``;``; a date alone is read as
00:00 Berlin time, and a warning says so. Every other key stays only in the raw file, named in
one warning per file: ``license`` too, a name as the page gives it (``CC BY-SA 4.0``), not an SPDX id.
"""

from __future__ import annotations

import json

from newscorpus.core.offsets import normalize_text
from newscorpus.ingest.parsers.translated import Translated, put_dates

_SIGNATURES = ('"source-hostname"', '"fingerprint"')
_KEPT = {"id", "language", "split", "agency", "kicker", "caption", "redistributable"}
"""Keys a trafilatura record has (or a user adds) that are the corpus's own."""


def _is_record(given: object) -> bool:
    return isinstance(given, dict) and "text" in given and ("source-hostname" in given or "fingerprint" in given)


def _lines(text: str) -> list[dict[str, str]]:
    """Return the paragraphs of trafilatura's text: its lines that hold more than whitespace."""
    return [{"kind": "paragraph", "text": line} for line in text.split("\n") if line.strip()]


def translate(text: str) -> Translated | None:
    """Return the trafilatura record in ``text`` in the corpus's keys; None if it is none (or no JSON)."""
    if not any(signature in text for signature in _SIGNATURES):
        return None
    try:
        given = json.loads(text)
    except ValueError:
        return None  # the corpus's own reading reports where it breaks
    if not _is_record(given):
        return None
    record: dict[str, object] = {}
    unkept: dict[str, object] = {}
    given_as: dict[str, str] = {}

    def take(corpus_key: str, key: str, value: object) -> None:
        record[corpus_key] = value
        given_as[corpus_key] = key

    body, lead = given["text"], given.get("excerpt")
    lines = _lines(body) if isinstance(body, str) else []
    take("body", "text", lines or body)
    if given.get("title") is not None:
        take("headline", "title", given["title"])
    first = normalize_text(lines[0]["text"]).strip() if lines else ""
    if isinstance(lead, str) and lead.strip() and first.startswith(normalize_text(lead).strip()):
        lead = None  # the text's first paragraph: given once, not twice
    if lead:
        take("lead", "excerpt", lead)
    author = given.get("author")
    if author:
        names = [name.strip() for name in author.split(";")] if isinstance(author, str) else author
        take("authors", "author", [name for name in names if name] if isinstance(names, list) else names)
    for corpus_key, keys in (("url", ("source", "url")), ("source", ("source-hostname", "sitename", "hostname"))):
        key = next((k for k in keys if given.get(k)), None)
        if key is not None:
            take(corpus_key, key, given[key])
    used = {*given_as.values(), "excerpt", "date"}
    for key, value in given.items():
        if value is None or value in ("", []) or key in used:
            continue
        if key in _KEPT:
            record[key] = value
        elif key != "raw_text" or value != body:  # its copy of the text, if any
            unkept[key] = value
    decided = put_dates(given, record, unkept, "date", None)
    if "date" in given:
        given_as["published_at"] = "date"
    return Translated(json.dumps(record, ensure_ascii=False), given_as, decided, tuple(unkept))
