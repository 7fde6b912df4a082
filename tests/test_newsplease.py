"""news-please records: read in the corpus's keys, their naive dates as Berlin time, every other key warned about."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

from helpers import jsonl_warned, twins
from helpers import parse_raw as parse
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import any_text, german_text, urls

from newscorpus.core.codes import Code
from newscorpus.core.report import Problem
from newscorpus.model.article import Article

BERLIN = ZoneInfo("Europe/Berlin")


def news_please(**changes: object) -> dict[str, object]:
    """A record as news-please's ``get_serializable_dict`` writes it: ``str(None)`` for a date it has not."""
    record: dict[str, object] = {
        "authors": ["Anna Müller"],
        "date_download": "2025-09-04 18:02:11",
        "date_modify": "None",
        "date_publish": "2025-09-04 14:07:00",
        "description": "Die Koalition will mehr Geld für Straßen ausgeben.",
        "filename": "https%3A%2F%2Fwww.example.de%2Fpolitik%2Fhaushalt.json",
        "image_url": "https://www.example.de/bild.jpg",
        "language": "de",
        "localpath": None,
        "maintext": "Der Ausschuss tagte bis spät.\n\n„Wir müssen investieren“, sagte sie. 🇩🇪",
        "source_domain": "www.example.de",
        "text": None,
        "title": "Bundestag streitet über Schuldenbremse",
        "title_page": None,
        "title_rss": None,
        "url": "https://www.example.de/politik/haushalt.html",
    }
    return {**record, **changes}


def test_a_news_please_file_is_an_article_with_its_keys_in_the_corpus_fields(tmp_path: Path) -> None:
    [article, *warnings] = parse(tmp_path, "haushalt.json", json.dumps(news_please()))
    assert isinstance(article, Article)
    assert article.block_text("headline") == "Bundestag streitet über Schuldenbremse"
    assert article.block_text("lead") == "Die Koalition will mehr Geld für Straßen ausgeben."
    assert article.text.endswith("Der Ausschuss tagte bis spät.\n\n„Wir müssen investieren“, sagte sie. 🇩🇪")
    assert (article.source, article.authors, article.language) == ("www.example.de", ["Anna Müller"], "de")
    assert article.published_at == dt.datetime(2025, 9, 4, 14, 7, tzinfo=BERLIN)
    assert article.updated_at is None  # "None": news-please found no date_modify
    codes = {p.code: p for p in warnings if isinstance(p, Problem)}
    assert set(codes) == {Code.DATE_NO_OFFSET, Code.JSON_UNKEPT_KEYS}
    assert all(p.severity == "warning" for p in codes.values())
    assert "date_download, filename, image_url" in codes[Code.JSON_UNKEPT_KEYS].message  # nulls are no values


def test_a_jsonl_of_news_please_records_warns_once_and_counts_them(tmp_path: Path) -> None:
    lines = [
        news_please(url=f"https://www.example.de/a{n}.html", maintext=f"Absatz {n}.", date_publish=date)
        for n, date in enumerate(["2025-09-04 14:07:00", "2025-09-04T14:07:00+02:00", "2025-10-26 02:30:00"])
    ]
    articles, zoned = jsonl_warned(tmp_path, lines, Code.DATE_NO_OFFSET)
    assert len(articles) == 3
    assert (zoned.line, zoned.field, zoned.message.split()[:2]) == (1, "published_at", ["2", "records"])
    assert articles[1].published_at == dt.datetime(2025, 9, 4, 14, 7, tzinfo=dt.timezone(dt.timedelta(hours=2)))


def test_a_date_modify_before_date_publish_is_no_update(tmp_path: Path) -> None:
    record = news_please(date_modify="2025-09-04 09:30:00")
    [article, *warnings] = parse(tmp_path, "haushalt.json", json.dumps(record))
    assert isinstance(article, Article)
    assert article.updated_at is None
    [unordered] = [p for p in warnings if isinstance(p, Problem) and p.code is Code.DATE_UPDATED_BEFORE_PUBLISHED]
    assert unordered.severity == "warning"
    later = parse(tmp_path, "later.json", json.dumps(news_please(date_modify="2025-09-04 18:00:00")))[0]
    assert isinstance(later, Article)
    assert later.updated_at == dt.datetime(2025, 9, 4, 18, 0, tzinfo=BERLIN)


def test_a_problem_names_the_key_the_record_gave(tmp_path: Path) -> None:
    [problem] = parse(tmp_path, "a.json", json.dumps(news_please(date_publish="gestern")))
    assert isinstance(problem, Problem)
    assert (problem.code, problem.field) == (Code.FIELD_INVALID, "date_publish")
    assert "datetime" in problem.message
    [problem] = parse(tmp_path, "b.json", json.dumps(news_please(title=["Zwei", "Titel"])))
    assert isinstance(problem, Problem)
    assert (problem.code, problem.field) == (Code.FIELD_INVALID, "title")


def test_an_article_that_only_mentions_maintext_is_read_as_before(tmp_path: Path) -> None:
    record = {"url": "https://www.example.de/a.html", "headline": 'Über "maintext"', "body": 'Ein "maintext".'}
    [article] = [r for r in parse(tmp_path, "a.json", json.dumps(record, ensure_ascii=False)) if r]
    assert isinstance(article, Article)
    assert article.block_text("headline") == 'Über "maintext"'


@settings(max_examples=60, deadline=None)
@given(
    title=german_text(min_tokens=1, max_tokens=8, line_breaks=False),
    body=any_text(),
    url=urls(),
    when=st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2035, 12, 31)),
)
def test_a_news_please_record_is_the_article_its_corpus_keys_give(
    tmp_path_factory, title: str, body: str, url: str, when: dt.datetime
) -> None:
    """Any text (umlauts, ß, quotes, emoji, CRLF, NFD): the same article as the record in the corpus's own keys."""
    when = when.replace(microsecond=0)
    ours = {"url": url, "source": "www.example.de", "headline": title, "body": body}
    ours["published_at"] = when.replace(tzinfo=BERLIN).isoformat()
    theirs = news_please(url=url, title=title, maintext=body, description=None, date_publish=str(when))
    if (read := twins(tmp_path_factory.mktemp("np"), ours, theirs)) is None:
        return
    got, expected = read
    assert (got.text, got.blocks, got.published_at, got.url) == (
        expected.text,
        expected.blocks,
        expected.published_at,
        expected.url,
    )
    assert all(got.text[b.start : b.end] for b in got.blocks)
