"""schema.org articles, the JSON-LD a news page embeds (``<script type="application/ld+json">``), in the corpus's keys.

Such a record is a ``NewsArticle`` (or another article type) with ``headline``, ``description``,
``articleBody``, ``datePublished``, ``dateModified``, ``author`` (a name, a Person or Organization
object, or a list of them), ``publisher`` (an Organization), ``url`` or ``mainEntityOfPage`` and
``inLanguage``; sites often wrap it in an ``@graph`` beside their WebPage and Organization nodes.
Its keys become the corpus's: the body is ``articleBody`` (paragraphs at blank lines), the source
the publisher's name, the authors the names. Every other key (``@context``, ``image``,
``keywords``, ``license``, the rest of the graph, …) stays only in the raw file, named in one
warning per file. A record is one if it has an ``articleBody`` and an article ``@type``.
"""

from __future__ import annotations

import json

from newscorpus.ingest.parsers.translated import Translated, put_dates

_SIGNATURE = '"articleBody"'
_TYPES = {
    "Article", "NewsArticle", "AnalysisNewsArticle", "AskPublicNewsArticle", "BackgroundNewsArticle",
    "OpinionNewsArticle", "ReportageNewsArticle", "ReviewNewsArticle", "LiveBlogPosting", "BlogPosting",
    "Report", "SatiricalArticle",
}  # fmt: skip
"""schema.org's Article and its subtypes a news site gives."""
_RENAMED = {"headline": "headline", "description": "lead", "articleBody": "text", "inLanguage": "language"}
_KEPT = {"id", "split", "agency", "kicker", "caption", "redistributable"}
"""Keys that are the corpus's own (a user may add them)."""


def _is_article(node: object) -> bool:
    if not isinstance(node, dict) or "articleBody" not in node:
        return False
    kinds = node.get("@type")
    # A type is a name; anything else a hand-written record puts there (an object) names none.
    return any(isinstance(kind, str) and kind in _TYPES for kind in (kinds if isinstance(kinds, list) else [kinds]))


def _article(given: object) -> tuple[dict[str, object], dict[str, object]] | None:
    """Return the article node of a JSON-LD document and what else it holds (the rest of an ``@graph``)."""
    if not isinstance(given, dict):
        return None
    if _is_article(given):
        return given, {}
    graph = given.get("@graph")
    found = [node for node in graph if _is_article(node)] if isinstance(graph, list) else []
    if len(found) != 1:
        return None  # no article, or several: not one article's record
    others = [node for node in graph if node is not found[0]]  # type: ignore[union-attr]  # a list: found is not empty
    rest = {key: value for key, value in given.items() if key != "@graph"}
    return found[0], rest | ({"@graph": others} if others else {})


def _name(value: object) -> str | None:
    """Return a name as schema.org gives it: a string, or an object's ``name``."""
    if isinstance(value, str):
        return value
    name = value.get("name") if isinstance(value, dict) else None
    return name if isinstance(name, str) else None


def _authors(value: object) -> list[str] | None:
    """Return the names of ``author`` (one, or a list); None if one of them has no name."""
    names = [_name(v) for v in (value if isinstance(value, list) else [value])]
    return None if None in names else names  # type: ignore[return-value]  # no None in it


def translate(text: str) -> Translated | None:
    """Return the schema.org article in ``text`` in the corpus's keys; None if it is none (or no JSON)."""
    if _SIGNATURE not in text:
        return None
    try:
        found = _article(json.loads(text))
    except ValueError:
        return None  # the corpus's own reading reports where it breaks
    if found is None:
        return None
    node, unkept = found
    record: dict[str, object] = {}
    given_as = {"published_at": "datePublished", "updated_at": "dateModified"}
    # The article's URL: ``url``, else the page it is the main entity of (an id, or a WebPage node's @id).
    page = node.get("url", node.get("mainEntityOfPage"))
    for key, value in node.items():
        if key in ("datePublished", "dateModified") or (key in ("url", "mainEntityOfPage") and value is page):
            continue
        if key in _RENAMED:
            record[_RENAMED[key]], given_as[_RENAMED[key]] = value, key
        elif key in _KEPT:
            record[key] = value
        elif key == "author" and (names := _authors(value)) is not None:
            record["authors"], given_as["authors"] = names, key
        elif key == "publisher" and (source := _name(value)) is not None:
            record["source"], given_as["source"] = source, key
        else:
            unkept[key] = value
    if page is not None:
        record["url"] = page.get("@id", page) if isinstance(page, dict) else page
        given_as["url"] = "url" if "url" in node else "mainEntityOfPage"
    decided = put_dates(node, record, unkept, "datePublished", "dateModified")
    return Translated(json.dumps(record, ensure_ascii=False), given_as, decided, tuple(unkept))
