"""What an unknown key of a raw input probably meant: the names other tools give an article's fields.

A JSON record or a sidecar with a key no field takes is refused (a typo must not drop a value
silently), and the message names the accepted keys. A key that is another tool's name for one of
them (``pubDate``, ``author``, ``content``, NewsAPI's ``publishedAt``) gets that field named too:
only named, never taken for it, since ``date`` may be the crawl's date and not the publication's.
"""

from __future__ import annotations

from collections.abc import Sequence

_SYNONYMS = {
    "published_at": (
        "date", "pubdate", "published", "publishdate", "publicationdate", "datepublished", "datepublish",
        "datum", "veroeffentlicht", "veröffentlicht",
    ),
    "updated_at": ("modified", "datemodified", "datemodify", "lastmodified", "updated", "dateupdated", "lastupdated"),
    "authors": ("author", "byline", "creator", "creators", "autor", "autoren"),
    "body": ("content", "article", "maintext", "articlebody", "fulltext", "bodytext", "story", "inhalt", "artikel"),
    "lead": ("description", "summary", "teaser", "abstract", "intro", "standfirst", "vorspann"),
    "kicker": ("dachzeile", "spitzmarke", "overline", "topline", "roofline", "supertitle"),
    "headline": ("titel", "ueberschrift", "überschrift"),
    "url": ("link", "href", "canonical", "canonicalurl", "permalink", "sourceurl", "articleurl"),
    "language": ("lang", "inlanguage", "sprache"),
    "license": ("licence", "lizenz", "rights"),
    "source": ("outlet", "publisher", "sitename", "sourcedomain", "medium", "quelle"),
    "agency": ("newsagency", "agentur"),
    "caption": ("imagecaption", "bildunterschrift"),
    "credit": ("imagecredit", "photocredit", "bildnachweis"),
}  # fmt: skip
"""Other names of a field, written as ``_plain`` leaves them (lower case, without ``_``, ``-`` or spaces)."""
_MEANT = {other: field for field, others in _SYNONYMS.items() for other in others}


def _plain(key: str) -> str:
    return "".join(key.lower().replace("-", "").replace("_", "").split())


def meant(key: str, accepted: Sequence[str]) -> str | None:
    """Return the accepted key that ``key`` probably stands for: the same written otherwise, or a synonym; else None."""
    plain = _plain(key)
    for name in accepted:  # publishedAt, Published-At, HEADLINE; also MongoDB's _id
        if _plain(name) == plain:
            return name
    field = _MEANT.get(plain)
    return field if field in accepted else None


def unknown_key(key: str, accepted: Sequence[str], kind: str = "key") -> str:
    """Return the message of a key no field takes: the accepted ``kind``s, and the one it probably meant, if any."""
    listed = f"(accepted: {', '.join(accepted)})"
    if (field := meant(key, accepted)) is not None:
        return f"is not an accepted {kind}; did you mean {field}? Try renaming it to {field} if it holds that {listed}"
    return f"is not an accepted {kind} {listed}. Try renaming it to one of them"
