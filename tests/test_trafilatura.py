"""trafilatura records: read in the corpus's keys, a paragraph per line of their text, every other key warned about."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

from helpers import jsonl_warned, twins
from helpers import parse_raw as parse
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import german_text, urls

from newscorpus.core.codes import Code
from newscorpus.core.report import Problem
from newscorpus.model.article import Article

BERLIN = ZoneInfo("Europe/Berlin")
TEXT = (
    "Die Lokführer streiken ab Donnerstag erneut.\n"
    "„Wir haben keine Wahl“, sagte der Vorsitzende. 🚆\n"
    "Fernverkehr\n"
    "Die Bahn will einen Notfahrplan anbieten."
)


def trafilatura(**changes: object) -> dict[str, object]:
    """A record as ``trafilatura --json`` writes it (``xml.build_json_output``, with its metadata)."""
    record: dict[str, object] = {
        "title": "Bahn-Streik: Lokführer legen Arbeit nieder",
        "author": "Anna Müller; Jörg Schmidt",
        "hostname": "tagesschau.de",
        "date": "2024-03-07",
        "fingerprint": "4a6f1c2d9e8b7a60",
        "id": None,
        "license": None,
        "comments": "",
        "raw_text": None,
        "text": TEXT,
        "language": "de",
        "image": "https://www.tagesschau.de/bild.jpg",
        "pagetype": "article",
        "filedate": "2024-03-08",
        "source": "https://www.tagesschau.de/wirtschaft/bahn-streik-100.html",
        "source-hostname": "tagesschau.de",
        "excerpt": "Die Lokführer streiken ab Donnerstag erneut.",
        "categories": "Wirtschaft;Verkehr",
        "tags": "Bahn;Streik;GDL",
    }
    return {**record, **changes}


def test_a_trafilatura_file_is_an_article_with_a_paragraph_per_line(tmp_path: Path) -> None:
    [article, *warnings] = parse(tmp_path, "streik.json", json.dumps(trafilatura(), ensure_ascii=False))
    assert isinstance(article, Article)
    assert article.block_text("headline") == "Bahn-Streik: Lokführer legen Arbeit nieder"
    assert [b.kind for b in article.blocks] == ["headline", *["paragraph"] * 4]  # the excerpt is the first line
    assert [article.text[b.start : b.end] for b in article.blocks[1:]] == TEXT.split("\n")
    assert (article.source, article.authors, article.language) == (
        "tagesschau.de",
        ["Anna Müller", "Jörg Schmidt"],
        "de",
    )
    assert article.url == "https://www.tagesschau.de/wirtschaft/bahn-streik-100.html"
    assert article.published_at == dt.datetime(2024, 3, 7, tzinfo=BERLIN)
    codes = {p.code: p for p in warnings if isinstance(p, Problem)}
    assert set(codes) == {Code.DATE_NO_TIME, Code.JSON_UNKEPT_KEYS}
    assert all(p.severity == "warning" for p in codes.values())
    unkept = codes[Code.JSON_UNKEPT_KEYS].message
    assert "categories, filedate, fingerprint, hostname, image, pagetype, tags" in unkept  # nulls and "" are no values


def test_an_excerpt_the_text_does_not_begin_with_is_the_lead(tmp_path: Path) -> None:
    record = trafilatura(excerpt="Ab Donnerstag steht der Fernverkehr still.", comments="Endlich!", license="CC BY 4.0")
    [article, *warnings] = parse(tmp_path, "streik.json", json.dumps(record, ensure_ascii=False))
    assert isinstance(article, Article)
    assert article.block_text("lead") == "Ab Donnerstag steht der Fernverkehr still."
    [unkept] = [p for p in warnings if isinstance(p, Problem) and p.code is Code.JSON_UNKEPT_KEYS]
    assert "comments" in unkept.message  # the readers' comments are no part of the article
    assert "license" in unkept.message  # a name as the page gives it, no SPDX id: a sidecar gives the licence
    assert article.license == "LicenseRef-unknown"


def test_a_jsonl_of_trafilatura_records_warns_once_and_counts_them(tmp_path: Path) -> None:
    lines = [
        trafilatura(source=f"https://www.tagesschau.de/a{n}.html", text=f"Absatz {n}.", date=date)
        for n, date in enumerate(["2024-03-07", "2024-03-07T09:15:00+01:00", "2024-03-07"])
    ]
    articles, untimed = jsonl_warned(tmp_path, lines, Code.DATE_NO_TIME)
    assert len(articles) == 3
    assert (untimed.line, untimed.field, untimed.message.split()[:2]) == (1, "published_at", ["2", "records"])
    assert articles[1].published_at == dt.datetime(2024, 3, 7, 9, 15, tzinfo=dt.timezone(dt.timedelta(hours=1)))


def test_a_problem_names_the_key_the_record_gave(tmp_path: Path) -> None:
    [problem] = parse(tmp_path, "a.json", json.dumps(trafilatura(date="gestern")))
    assert isinstance(problem, Problem)
    assert (problem.code, problem.field) == (Code.FIELD_INVALID, "date")
    [problem] = parse(tmp_path, "b.json", json.dumps(trafilatura(title=["Zwei", "Titel"])))
    assert isinstance(problem, Problem)
    assert (problem.code, problem.field) == (Code.FIELD_INVALID, "title")


def test_an_article_that_only_mentions_the_keys_is_read_as_before(tmp_path: Path) -> None:
    record = {
        "url": "https://www.example.de/a.html",
        "headline": 'Über "fingerprint"',
        "text": 'Ein "source-hostname".',
    }
    [article] = [r for r in parse(tmp_path, "a.json", json.dumps(record, ensure_ascii=False)) if r]
    assert isinstance(article, Article)
    assert article.block_text("headline") == 'Über "fingerprint"'


@settings(max_examples=60, deadline=None)
@given(
    title=german_text(min_tokens=1, max_tokens=8, line_breaks=False),
    lines=st.lists(
        german_text(min_tokens=1, max_tokens=12, line_breaks=False).filter(str.strip), min_size=1, max_size=5
    ),
    url=urls(),
    day=st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2035, 12, 31)),
)
def test_a_trafilatura_record_is_the_article_its_corpus_keys_give(
    tmp_path_factory, title: str, lines: list[str], url: str, day: dt.date
) -> None:
    """Umlauts, ß, quotes, emoji, NFD: the same article as the record in the corpus's keys, a paragraph per line."""
    ours = {"url": url, "source": "tagesschau.de", "headline": title, "body": "\n\n".join(lines)}
    ours["published_at"] = dt.datetime.combine(day, dt.time(), BERLIN).isoformat()
    theirs = trafilatura(source=url, title=title, text="\n".join(lines), excerpt=None, date=day.isoformat())
    if (read := twins(tmp_path_factory.mktemp("tf"), ours, theirs)) is None:
        return
    got, expected = read
    assert (got.text, got.blocks, got.published_at, got.url, got.source) == (
        expected.text,
        expected.blocks,
        expected.published_at,
        expected.url,
        expected.source,
    )
    assert all(got.text[b.start : b.end] for b in got.blocks)
