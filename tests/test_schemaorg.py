"""schema.org articles: the JSON-LD a news page embeds, read in the corpus's keys."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from helpers import parse_raw as parse
from helpers import twins
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import any_text, german_text, urls

from newscorpus.core.codes import Code
from newscorpus.core.report import Problem
from newscorpus.model.article import Article

BERLIN = ZoneInfo("Europe/Berlin")
PAGE = "https://www.example.de/wirtschaft/bahnstreik-a-123.html"


def news_article(**changes: object) -> dict[str, object]:
    """A NewsArticle as news sites embed it: Person and Organization authors, a publisher, the page as an object."""
    record: dict[str, object] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": "Bahnstreik legt Verkehr in München lahm",
        "description": "Die GDL streikt seit Mittwochmorgen.",
        "articleBody": "Seit dem frühen Morgen stehen die Züge still.\n\n„Wir bedauern das“, sagte sie. 🚆",
        "datePublished": "2025-09-04T07:12:00+02:00",
        "dateModified": "2025-09-04T09:30:00+02:00",
        "author": [{"@type": "Person", "name": "Anna Müller"}, {"@type": "Organization", "name": "dpa"}],
        "publisher": {"@type": "NewsMediaOrganization", "name": "Beispiel Zeitung", "logo": {"url": "x.png"}},
        "mainEntityOfPage": {"@type": "WebPage", "@id": PAGE},
        "image": ["https://www.example.de/bild.jpg"],
        "keywords": ["Bahn", "Streik"],
        "inLanguage": "de-DE",
    }
    return {**record, **changes}


def test_a_news_article_is_an_article_with_its_keys_in_the_corpus_fields(tmp_path: Path) -> None:
    [article, warning] = parse(tmp_path, "bahnstreik.json", json.dumps(news_article(), ensure_ascii=False))
    assert isinstance(article, Article)
    assert article.block_text("headline") == "Bahnstreik legt Verkehr in München lahm"
    assert article.block_text("lead") == "Die GDL streikt seit Mittwochmorgen."
    assert [article.text[b.start : b.end] for b in article.blocks if b.kind == "paragraph"] == [
        "Seit dem frühen Morgen stehen die Züge still.",
        "„Wir bedauern das“, sagte sie. 🚆",
    ]
    assert (article.url, article.source, article.authors, article.language) == (
        PAGE, "Beispiel Zeitung", ["Anna Müller", "dpa"], "de",
    )  # fmt: skip
    assert (article.published_at, article.updated_at) == (
        dt.datetime(2025, 9, 4, 7, 12, tzinfo=BERLIN),
        dt.datetime(2025, 9, 4, 9, 30, tzinfo=BERLIN),
    )
    assert isinstance(warning, Problem)
    assert (warning.code, warning.severity) == (Code.JSON_UNKEPT_KEYS, "warning")
    assert "@context, @type, image, keywords" in warning.message  # every key no field takes, kept in the raw file


def test_a_key_named_as_an_article_field_but_unkept_stays_in_the_raw_file(tmp_path: Path) -> None:
    """schema.org's license is a URL, not an SPDX id: it was taken as the article's licence, unwarned."""
    record = news_article(license="https://creativecommons.org/licenses/by/4.0/")
    [article, warning] = parse(tmp_path, "bahnstreik.json", json.dumps(record, ensure_ascii=False))
    assert isinstance(article, Article)
    assert article.license == "LicenseRef-unknown"
    assert isinstance(warning, Problem)
    assert "keywords, license" in warning.message


def test_an_article_in_a_graph_is_found_among_the_pages_nodes(tmp_path: Path) -> None:
    article_node = {k: v for k, v in news_article().items() if k != "@context"} | {"@type": ["NewsArticle", "Thing"]}
    graph = {"@context": "https://schema.org", "@graph": [{"@type": "WebPage", "@id": PAGE}, article_node]}
    [article, warning] = parse(tmp_path, "graph.json", json.dumps(graph, ensure_ascii=False))
    assert isinstance(article, Article)
    assert article.url == PAGE
    assert isinstance(warning, Problem)
    assert "@graph" in warning.message  # the page's other nodes stay in the raw file
    two = {"@graph": [article_node, article_node | {"headline": "Ein zweiter Artikel"}]}
    assert all(isinstance(r, Problem) for r in parse(tmp_path, "two.json", json.dumps(two)))  # which one? not read


def test_a_type_that_is_no_name_makes_no_article_and_raises_nothing(tmp_path: Path) -> None:
    """An ``@type`` object (``{"@id": …}``) or one in a list is no article type: the record is read as the corpus's."""
    for kinds in ({"@id": "NewsArticle"}, [{"@id": "x"}, "NewsArticle"], [["NewsArticle"]]):
        results = parse(tmp_path, "typed.json", json.dumps(news_article(**{"@type": kinds})))
        is_article = isinstance(kinds, list) and "NewsArticle" in kinds
        assert any(isinstance(r, Article) for r in results) == is_article, kinds


def test_a_modification_before_the_publication_is_no_update(tmp_path: Path) -> None:
    [article, *warnings] = parse(tmp_path, "a.json", json.dumps(news_article(dateModified="2025-09-04T06:00:00+02:00")))
    assert isinstance(article, Article)
    assert article.updated_at is None
    assert Code.DATE_UPDATED_BEFORE_PUBLISHED in [p.code for p in warnings if isinstance(p, Problem)]


@pytest.mark.parametrize(
    ("given", "code"), [("2025-09-04", Code.DATE_NO_TIME), ("2025-09-04T00:00:00", Code.DATE_NO_OFFSET)]
)
def test_a_date_without_a_time_or_an_offset_is_berlin_time_and_says_which(
    tmp_path: Path, given: str, code: Code
) -> None:
    record = news_article(datePublished=given, dateModified=None)
    [article, *warnings] = parse(tmp_path, "a.json", json.dumps(record, ensure_ascii=False))
    assert isinstance(article, Article)
    assert article.published_at == dt.datetime(2025, 9, 4, tzinfo=BERLIN)
    dated = [(p.code, p.field) for p in warnings if isinstance(p, Problem) and p.code.value.startswith("date.")]
    assert dated == [(code, "published_at")]


@pytest.mark.parametrize(("key", "value"), [("datePublished", "gestern"), ("headline", ["Zwei", "Titel"])])
def test_a_problem_names_the_key_the_record_gave(tmp_path: Path, key: str, value: object) -> None:
    results = parse(tmp_path, "a.json", json.dumps(news_article(**{key: value})))
    [problem] = [p for p in results if isinstance(p, Problem) and p.severity == "error"]
    assert (problem.code, problem.field) == (Code.FIELD_INVALID, key)


def test_json_ld_of_no_article_is_read_as_a_record_of_the_corpus(tmp_path: Path) -> None:
    """A WebPage, or an article type without its body, is no article: refused for its keys, as before."""
    page = {"@context": "https://schema.org", "@type": "WebPage", "articleBody": "x", "headline": "Seite"}
    results = parse(tmp_path, "page.json", json.dumps(page))
    assert results
    assert all(isinstance(r, Problem) and r.code is Code.FIELD_UNKNOWN for r in results)


@settings(max_examples=60, deadline=None)
@given(
    title=german_text(min_tokens=1, max_tokens=8, line_breaks=False),
    body=any_text(),
    url=urls(),
    author=st.text(min_size=1, max_size=20),
    when=st.datetimes(dt.datetime(1990, 1, 1), dt.datetime(2035, 12, 31), timezones=st.just(dt.UTC)),
)
def test_a_news_article_is_the_article_its_corpus_keys_give(
    tmp_path_factory: pytest.TempPathFactory, title: str, body: str, url: str, author: str, when: dt.datetime
) -> None:
    """Any text (umlauts, ß, quotes, emoji, CRLF, NFD): the same article as the record in the corpus's own keys."""
    ours = {"url": url, "headline": title, "body": body, "authors": [author], "published_at": when.isoformat()}
    theirs = {"@type": "NewsArticle", "url": url, "headline": title, "articleBody": body, "author": {"name": author}}
    theirs["datePublished"] = when.isoformat()
    if (read := twins(tmp_path_factory.mktemp("ld"), ours, theirs)) is None:
        return
    got, expected = read
    assert (got.text, got.blocks, got.published_at, got.url, got.authors) == (
        expected.text, expected.blocks, expected.published_at, expected.url, expected.authors,
    )  # fmt: skip
