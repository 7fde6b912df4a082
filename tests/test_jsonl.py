"""JSON and JSONL raw articles: body as a string or as blocks, ids from urls, strict fields."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import FIXTURES
from helpers import jsonl_warned, read_release
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter
from strategies import article_ids, german_text

from newscorpus.core.codes import Code
from newscorpus.core.report import Problem
from newscorpus.ingest.corpus import validate
from newscorpus.ingest.ids import assign_split, id_from_filename, id_from_url
from newscorpus.ingest.make import make_article
from newscorpus.ingest.parsers import parse_file
from newscorpus.ingest.parsers.jsonl import JsonArticle, corpus_id
from newscorpus.ingest.parsers.records import markup_in
from newscorpus.model.article import Article, ArticleId
from newscorpus.release.build import build

URL = "https://www.example.de/politik/bundestag-haushalt-2026.html"
BASE: dict[str, object] = {
    "url": URL,
    "source": "example.de",
    "agency": "dpa",
    "authors": ["Anna Müller"],
    "published_at": "2025-09-04T09:30:00+02:00",
    "updated_at": "2025-09-04T14:07:00+02:00",
    "reading_time_minutes": 3,
    "license": "CC-BY-4.0",
    "redistributable": True,
    "kicker": "Haushalt 2026",
    "headline": "Bundestag streitet über Schuldenbremse",
    "lead": "Die Koalition will mehr Geld für Straßen und Brücken ausgeben.",
    "caption": "Der Plenarsaal des Bundestags.",
    "credit": "Kay Nietfeld/dpa",
    "body": "Der Haushaltsausschuss tagte bis spät in die Nacht.\n\n„Wir müssen investieren“, sagte die Ministerin.",
}


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    raw = tmp_path / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    path = raw / name
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


def parse(tmp_path: Path, name: str, content: str | bytes) -> list[Article | Problem]:
    return list(parse_file(write(tmp_path, name, content), f"raw/{name}"))


def one_article(tmp_path: Path, obj: dict[str, object], name: str = "artikel.json") -> Article:
    [article] = parse(tmp_path, name, json.dumps(obj, ensure_ascii=False))
    assert isinstance(article, Article), article
    return article


def jsonl(*objs: dict[str, object] | str) -> str:
    return "".join((o if isinstance(o, str) else json.dumps(o, ensure_ascii=False)) + "\n" for o in objs)


def blocks(article: Article) -> list[tuple[str, str]]:
    return [(b.kind, article.text[b.start : b.end]) for b in article.blocks]


def test_body_as_string(tmp_path: Path) -> None:
    article = one_article(tmp_path, BASE)
    paragraphs = str(BASE["body"]).split("\n\n")
    expected = [(k, str(BASE[k])) for k in ("kicker", "headline", "lead", "caption", "credit")]
    expected += [("paragraph", p) for p in paragraphs]
    assert blocks(article) == expected
    assert article.text == "\n\n".join(text for _, text in expected)
    assert article.text_sha256 == hashlib.sha256(article.text.encode("utf-8")).hexdigest()


def test_metadata_is_taken_over(tmp_path: Path) -> None:
    article = one_article(tmp_path, BASE)
    assert article.url == URL
    assert article.source == "example.de"
    assert article.agency == "dpa"
    assert article.authors == ["Anna Müller"]
    assert article.published_at == dt.datetime(2025, 9, 4, 7, 30, tzinfo=dt.UTC)
    assert article.updated_at == dt.datetime(2025, 9, 4, 12, 7, tzinfo=dt.UTC)
    assert article.reading_time_minutes == 3
    assert article.license == "CC-BY-4.0"
    assert article.redistributable is True
    assert article.raw_file == "raw/artikel.json"
    assert article.raw_line is None
    assert article.raw_encoding == "utf-8"


def test_body_as_list_of_blocks(tmp_path: Path) -> None:
    body = [
        {"kind": "paragraph", "text": "Der Haushaltsausschuss tagte bis spät in die Nacht."},
        {"kind": "subheading", "text": "Streit um Sondervermögen"},
        {"kind": "paragraph", "text": "„Wir müssen investieren“, sagte die Ministerin."},
    ]
    article = one_article(tmp_path, {**BASE, "body": body})
    assert blocks(article)[-3:] == [(b["kind"], b["text"]) for b in body]
    assert [b.kind for b in article.blocks] == [
        "kicker",
        "headline",
        "lead",
        "caption",
        "credit",
        "paragraph",
        "subheading",
        "paragraph",
    ]


def test_body_string_and_block_list_give_the_same_text(tmp_path: Path) -> None:
    paragraphs = str(BASE["body"]).split("\n\n")
    as_string = one_article(tmp_path, BASE, "a.json")
    as_list = one_article(tmp_path, {**BASE, "body": [{"kind": "paragraph", "text": p} for p in paragraphs]}, "b.json")
    assert as_string.text == as_list.text
    assert as_string.blocks == as_list.blocks


def test_body_string_with_crlf_and_nfd_is_normalised(tmp_path: Path) -> None:
    body = "Erster Absatz über Köln.\r\n\r\nZweiter Absatz über Düsseldorf."
    decomposed = body.replace("ü", "u\u0308").replace("ö", "o\u0308")
    article = one_article(tmp_path, {"id": "crlf", "headline": "Überschrift", "body": decomposed})
    assert blocks(article) == [
        ("headline", "Überschrift"),
        ("paragraph", "Erster Absatz über Köln."),
        ("paragraph", "Zweiter Absatz über Düsseldorf."),
    ]
    assert "\r" not in article.text


def test_invalid_body_block_kind_is_rejected(tmp_path: Path) -> None:
    obj = {**BASE, "body": [{"kind": "lead", "text": "Ein Vorspann."}]}
    problems = parse(tmp_path, "artikel.json", json.dumps(obj))
    assert problems
    assert all(isinstance(p, Problem) for p in problems)
    assert any(p.field and p.field.startswith("body") for p in problems)  # type: ignore[union-attr]


# --- ids ---------------------------------------------------------------------------------------------


def test_id_is_derived_from_the_url(tmp_path: Path) -> None:
    article = one_article(tmp_path, BASE)
    digest = hashlib.sha256(URL.encode("utf-8")).hexdigest()[:10]
    assert article.id == f"bundestag-haushalt-2026-{digest}"
    assert article.id == id_from_url(URL)
    assert article.split == assign_split(article.id)


def test_id_from_url_is_stable_when_the_text_changes(tmp_path: Path) -> None:
    first = one_article(tmp_path / "one", BASE)
    edited = {**BASE, "headline": "Bundestag einigt sich auf Haushalt", "body": "Ein ganz anderer Text."}
    second = one_article(tmp_path / "two", edited, name="umbenannt.json")
    assert first.text_sha256 != second.text_sha256
    assert first.id == second.id
    assert first.split == second.split


def test_different_urls_give_different_ids(tmp_path: Path) -> None:
    first = one_article(tmp_path / "one", BASE)
    second = one_article(tmp_path / "two", {**BASE, "url": URL.replace("2026", "2027")})
    assert first.id != second.id


def test_explicit_id_wins_over_the_url(tmp_path: Path) -> None:
    article = one_article(tmp_path, {**BASE, "id": "haushalt-2026"})
    assert article.id == "haushalt-2026"
    assert article.url == URL


def test_json_file_without_id_or_url_is_named_by_its_file(tmp_path: Path) -> None:
    obj = {k: v for k, v in BASE.items() if k != "url"}
    article = one_article(tmp_path, obj, name="Haushalt Größe 2026.json")
    assert article.id == id_from_filename("Haushalt Größe 2026") == "haushalt-groesse-2026"


def test_jsonl_line_without_id_or_url_is_rejected_with_its_line(tmp_path: Path) -> None:
    no_id = {k: v for k, v in BASE.items() if k != "url"}
    results = parse(tmp_path, "artikel.jsonl", jsonl(BASE, no_id, {**BASE, "url": URL + "?seite=2"}))
    assert [type(r).__name__ for r in results] == ["Article", "Problem", "Article"]
    problem = results[1]
    assert isinstance(problem, Problem)
    assert problem.file == "raw/artikel.jsonl"
    assert problem.line == 2
    assert (problem.field, problem.code) == ("id", Code.ID_MISSING)
    assert [r.raw_line for r in results if isinstance(r, Article)] == [1, 3]


def test_jsonl_line_numbers_count_blank_lines(tmp_path: Path) -> None:
    content = jsonl(BASE) + "\n   \n" + jsonl("{not json")
    results = parse(tmp_path, "artikel.jsonl", content)
    assert [getattr(r, "raw_line", None) or getattr(r, "line", None) for r in results] == [1, 4]
    assert isinstance(results[1], Problem)


def test_jsonl_with_bom_and_crlf(tmp_path: Path) -> None:
    content = b"\xef\xbb\xbf" + jsonl(BASE, {**BASE, "url": URL + "?b"}).replace("\n", "\r\n").encode("utf-8")
    first, second = parse(tmp_path, "artikel.jsonl", content)
    assert isinstance(first, Article)
    assert isinstance(second, Article)
    assert first.raw_encoding == "utf-8-sig"
    assert second.raw_encoding == "utf-8"
    assert first.text == second.text
    assert first.raw_sha256 == hashlib.sha256(content.split(b"\r\n")[0]).hexdigest()


# --- strict fields -----------------------------------------------------------------------------------


def test_unknown_field_is_rejected_by_name_with_the_accepted_keys(tmp_path: Path) -> None:
    [problem] = parse(tmp_path, "artikel.json", json.dumps({**BASE, "subtitle": "Ein Untertitel"}))
    assert isinstance(problem, Problem)
    assert problem.field == "subtitle"
    assert problem.file == "raw/artikel.json"
    assert problem.code is Code.FIELD_UNKNOWN
    accepted = problem.message.split("(accepted: ")[1].split(")")[0].split(", ")
    assert set(accepted) == set(JsonArticle.model_fields)
    assert {"body", "text", "headline", "title", "url", "metadata"} <= set(accepted)


def test_unknown_key_of_a_body_block_lists_the_blocks_keys(tmp_path: Path) -> None:
    body = [{"kind": "paragraph", "text": "Ein Absatz.", "style": "bold"}]
    problems = parse(tmp_path, "artikel.json", json.dumps({**BASE, "body": body}))
    [problem] = [p for p in problems if isinstance(p, Problem) and p.field and p.field.endswith(".style")]
    assert problem.code is Code.FIELD_UNKNOWN
    assert "(accepted: kind, text)" in problem.message


def test_unknown_field_in_jsonl_is_rejected_with_its_line(tmp_path: Path) -> None:
    results = parse(tmp_path, "artikel.jsonl", jsonl(BASE, {**BASE, "url": URL + "?b", "ressort": "Politik"}))
    problem = results[1]
    assert isinstance(problem, Problem)
    assert (problem.line, problem.field, problem.code) == (2, "ressort", Code.FIELD_UNKNOWN)


BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize("field", ["published_at", "updated_at"])
@pytest.mark.parametrize(
    ("given", "expected", "code"),
    [
        ("2025-09-04T12:07:00", dt.datetime(2025, 9, 4, 12, 7, tzinfo=BERLIN), Code.DATE_NO_OFFSET),
        ("2025-09-04", dt.datetime(2025, 9, 4, tzinfo=BERLIN), Code.DATE_NO_TIME),
        ("Thu, 04 Sep 2025 12:07:00 +0200", dt.datetime(2025, 9, 4, 10, 7, tzinfo=dt.UTC), None),  # RSS feeds
        (1756987620, dt.datetime(2025, 9, 4, 12, 7, tzinfo=dt.UTC), Code.DATE_TIMESTAMP),  # Unix seconds
        (1756987620250, dt.datetime(2025, 9, 4, 12, 7, 0, 250000, tzinfo=dt.UTC), Code.DATE_TIMESTAMP),  # JavaScript
        (1756987620.5, dt.datetime(2025, 9, 4, 12, 7, 0, 500000, tzinfo=dt.UTC), Code.DATE_TIMESTAMP),
    ],
)
def test_a_date_in_another_form_is_read_and_what_it_lacks_is_warned(
    tmp_path: Path, field: str, given: str | float, expected: dt.datetime, code: Code | None
) -> None:
    """Scrapers write dates without an offset or a time, RSS feeds in RFC 2822, APIs Unix timestamps: read and,
    but for RFC 2822, warned. A timestamp's instant is shown in Berlin time."""
    record = {**BASE, "published_at": "2025-09-03T06:00:00+02:00", "updated_at": None} | {field: given}
    article, *warnings = parse(tmp_path, "artikel.json", json.dumps(record))
    assert isinstance(article, Article)
    assert getattr(article, field) == expected
    if code is Code.DATE_TIMESTAMP:
        assert getattr(article, field).utcoffset() == expected.astimezone(BERLIN).utcoffset()
    assert [(w.code, w.severity, w.field) for w in warnings if isinstance(w, Problem)] == (
        [(code, "warning", field)] if code else []
    )  # the warning points at the date concerned


def test_both_dates_without_an_offset_are_one_warning_naming_both(tmp_path: Path) -> None:
    record = {**BASE, "published_at": "2025-09-04T09:30:00", "updated_at": "2025-09-04T14:07:00"}
    results = parse(tmp_path, "artikel.jsonl", jsonl(record, {**record, "url": URL + "?b", "body": "Anders."}))
    assert sum(isinstance(r, Article) for r in results) == 2
    [warning] = [r for r in results if isinstance(r, Problem)]
    assert (warning.code, warning.field, warning.line) == (Code.DATE_NO_OFFSET, None, 1)
    assert warning.message.startswith("2 records gave published_at and updated_at without a UTC offset")


@settings(max_examples=40, deadline=None)
@given(st.lists(german_text(min_tokens=1), min_size=1, max_size=5), st.text(min_size=1, max_size=30))
def test_a_body_of_strings_is_its_paragraphs_and_one_author_string_one_author(
    tmp_path_factory: pytest.TempPathFactory, paragraphs: list[str], author: str
) -> None:
    """As scrapers write them: the article is the one its paragraphs as blocks and a list of one author give."""
    assume(all(p.strip() for p in paragraphs))
    tmp_path = tmp_path_factory.mktemp("reshaped")
    corpus_form = {**BASE, "body": [{"kind": "paragraph", "text": p} for p in paragraphs], "authors": [author]}
    expected = parse(tmp_path, "expected.json", json.dumps(corpus_form, ensure_ascii=False))
    assume(isinstance(expected[0], Article))
    scraped = {**BASE, "body": paragraphs, "authors": author}
    article, *warnings = parse(tmp_path, "scraped.json", json.dumps(scraped, ensure_ascii=False))
    assert isinstance(article, Article)
    assert article.model_copy(update={"raw_sha256": "", "raw_file": ""}) == expected[0].model_copy(
        update={"raw_sha256": "", "raw_file": ""}
    )
    told = [(w.code, w.severity, w.field) for w in expected[1:] if isinstance(w, Problem)]  # of the text, if any
    assert [(w.code, w.severity, w.field) for w in warnings if isinstance(w, Problem)] == [
        *told,
        (Code.JSON_RESHAPED, "warning", None),
    ]  # one warning more, naming both fields


def test_reshaped_records_are_one_warning_per_file_at_the_first(tmp_path: Path) -> None:
    records = [BASE, {**BASE, "url": URL + "?b", "body": ["Erster Absatz.", "Zweiter."]}, {**BASE, "url": URL + "?c"}]
    records.append({**BASE, "url": URL + "?d", "body": ["Noch einer."]})
    results = parse(tmp_path, "artikel.jsonl", jsonl(*records))
    assert sum(isinstance(r, Article) for r in results) == 4
    [warning] = [r for r in results if isinstance(r, Problem)]
    assert (warning.code, warning.line, warning.field) == (Code.JSON_RESHAPED, 2, "body")
    assert warning.message.startswith("2 records gave body in another shape")


@pytest.mark.parametrize(
    ("field", "given"),
    [("body", ["Ein Absatz.", 3]), ("body", [{"kind": "quote", "text": "x"}]), ("authors", ["A", 1]), ("authors", 7)],
)
def test_a_field_in_no_shape_the_corpus_reads_stays_an_error(tmp_path: Path, field: str, given: object) -> None:
    results = parse(tmp_path, "artikel.json", json.dumps({**BASE, field: given}))
    assert results
    assert all(isinstance(r, Problem) and r.severity == "error" for r in results)
    assert all(str(r.field).startswith(field) for r in results if isinstance(r, Problem))


@pytest.mark.parametrize(
    "given", ["gestern", "31.02.2025 14:07", "09/04/2025", 20250904, 2**70, True, -1756987620, "2025-09-04T25:00:00"]
)
def test_a_date_in_no_known_form_is_rejected(tmp_path: Path, given: object) -> None:
    """A number outside 1990–2100 as a timestamp is something else (an 8-digit date); a German date must exist; a
    date with slashes may be month or day first."""
    [problem] = parse(tmp_path, "artikel.json", json.dumps({**BASE, "published_at": given}))
    assert isinstance(problem, Problem)
    assert (problem.field, problem.code) == ("published_at", Code.FIELD_INVALID)


def test_an_update_in_the_repeated_hour_is_after_its_publication() -> None:
    """02:10 CET (01:10 UTC) comes after 02:50 CEST (00:50 UTC) on the night clocks go back, whatever the wall says.

    Python compares two datetimes of one tzinfo object by wall time, folds ignored; the rule's version 1 did,
    and refused this pair. JSON dates carry fixed offsets, so only Python callers with zoneinfo dates met it.
    """
    from newscorpus.ingest.make import make_article

    published = dt.datetime(2025, 10, 26, 2, 50, tzinfo=BERLIN)
    updated = dt.datetime(2025, 10, 26, 1, 10, tzinfo=dt.UTC).astimezone(BERLIN)
    assert updated.astimezone(dt.UTC) > published.astimezone(dt.UTC)
    made = make_article(
        parts=[("headline", "Eine Meldung")],
        metadata={"published_at": published, "updated_at": updated},
        raw_file="raw/a.txt",
        raw_sha256="0" * 64,
        encoding="utf-8",
        fallback_id="meldung",
    )
    assert isinstance(made, Article)


def test_updated_before_published_is_rejected(tmp_path: Path) -> None:
    obj = {**BASE, "published_at": "2025-09-04T14:07:00+02:00", "updated_at": "2025-09-04T09:30:00+02:00"}
    [problem] = parse(tmp_path, "artikel.json", json.dumps(obj))
    assert isinstance(problem, Problem)
    assert problem.code is Code.DATE_UPDATED_BEFORE_PUBLISHED
    assert problem.article_id == id_from_url(URL)


def test_types_are_strict(tmp_path: Path) -> None:
    [problem] = parse(tmp_path, "artikel.json", json.dumps({**BASE, "redistributable": "yes"}))
    assert isinstance(problem, Problem)
    assert (problem.field, problem.code) == ("redistributable", Code.FIELD_INVALID)


def test_json_that_is_not_an_object_is_rejected(tmp_path: Path) -> None:
    """A string, say; an array holds records (tests/test_json_array.py)."""
    [problem] = parse(tmp_path, "artikel.json", json.dumps("Ein Artikel als Zeichenkette"))
    assert isinstance(problem, Problem)
    assert (problem.file, problem.code) == ("raw/artikel.json", Code.RECORD_NOT_OBJECT)


# --- escapes must not smuggle in what raw bytes may not hold -----------------------------------------


def test_json_escaped_nul_is_rejected(tmp_path: Path) -> None:
    results = parse(tmp_path, "artikel.json", json.dumps({**BASE, "body": "Ein Absatz\u0000 mit NUL."}))
    assert not any(isinstance(r, Article) for r in results)
    [problem] = results
    assert (problem.field, problem.line, problem.code) == ("text", None, Code.TEXT_CONTROL_CHAR)


def test_json_escaped_control_character_is_rejected(tmp_path: Path) -> None:
    results = parse(tmp_path, "artikel.json", json.dumps({**BASE, "body": "Ein Absatz \u001b[31m in Rot."}))
    assert [r.code for r in results if isinstance(r, Problem)] == [Code.TEXT_CONTROL_CHAR]
    assert not any(isinstance(r, Article) for r in results)


def test_json_escaped_mojibake_is_rejected(tmp_path: Path) -> None:
    obj = {**BASE, "headline": "Neue Tram-Linie in MÃ¼nchen eröffnet"}
    results = parse(tmp_path, "artikel.json", json.dumps(obj, ensure_ascii=True))
    assert not any(isinstance(r, Article) for r in results)
    assert [r.code for r in results if isinstance(r, Problem)] == [Code.TEXT_MOJIBAKE]


def test_unescaped_mojibake_in_json_is_rejected(tmp_path: Path) -> None:
    obj = {**BASE, "headline": "Neue Tram-Linie in MÃ¼nchen eröffnet"}
    [problem] = parse(tmp_path, "artikel.json", json.dumps(obj, ensure_ascii=False))
    assert isinstance(problem, Problem)
    assert problem.code is Code.RAW_MOJIBAKE


def test_jsonl_line_over_the_limit_is_rejected_alone(tmp_path: Path) -> None:
    from newscorpus.ingest.parsers import MAX_FILE_BYTES

    small = json.dumps({**BASE, "url": "https://example.org/klein"})
    big = json.dumps({**BASE, "url": "https://example.org/gross", "body": "Straße " * (MAX_FILE_BYTES // 7)})
    results = parse(tmp_path, "artikel.jsonl", f"{small}\n{big}\n{small.replace('klein', 'klein2')}\n")
    problems = [r for r in results if isinstance(r, Problem)]
    assert [(p.line, p.code) for p in problems] == [(2, Code.RAW_TOO_BIG)]
    assert sum(isinstance(r, Article) for r in results) == 2


# --- records as Hugging Face and DataTrove write them ------------------------------------------------

ECOSYSTEM = FIXTURES / "ecosystem"


def parse_fixture(tmp_path: Path, name: str) -> tuple[list[Article], list[Problem]]:
    results = parse(tmp_path, name, (ECOSYSTEM / name).read_bytes())
    return [r for r in results if isinstance(r, Article)], [r for r in results if isinstance(r, Problem)]


def test_hugging_face_record_gives_text_as_body_and_title_as_headline(tmp_path: Path) -> None:
    articles, problems = parse_fixture(tmp_path, "huggingface-wikipedia.jsonl")
    assert problems == []
    records = [json.loads(line) for line in (ECOSYSTEM / "huggingface-wikipedia.jsonl").read_text().splitlines()]
    assert [a.id for a in articles] == [r["id"] for r in records]  # "1", "3": corpus ids as they are
    for article, record in zip(articles, records, strict=True):
        assert article.url == record["url"]
        assert article.headline == record["title"]
        assert article.text == f"{record['title']}\n\n{record['text']}"  # nothing of the text lost
        assert [b.kind for b in article.blocks] == ["headline", "paragraph", "paragraph"]


def test_text_reads_as_a_body_string(tmp_path: Path) -> None:
    as_body = one_article(tmp_path / "a", BASE)
    as_text = one_article(tmp_path / "b", {**{k: v for k, v in BASE.items() if k != "body"}, "text": BASE["body"]})
    assert (as_text.text, as_text.blocks) == (as_body.text, as_body.blocks)


def test_integer_ids_become_their_digits_without_a_warning(tmp_path: Path) -> None:
    articles, problems = parse_fixture(tmp_path, "huggingface-int-ids.jsonl")
    assert problems == []
    assert [a.id for a in articles] == ["0", "1"]


def test_datatrove_record_takes_the_articles_keys_from_metadata(tmp_path: Path) -> None:
    articles, problems = parse_fixture(tmp_path, "datatrove-fineweb.jsonl")
    records = [json.loads(line) for line in (ECOSYSTEM / "datatrove-fineweb.jsonl").read_text().splitlines()]
    assert [a.url for a in articles] == [r["metadata"]["url"] for r in records]
    assert [a.text for a in articles] == [r["text"] for r in records]
    assert [a.language for a in articles] == ["de", "de"]  # GlotLID's "deu" is German too
    assert all(a.published_at is None for a in articles)  # DataTrove's date is the crawl time: never taken as it
    # The ids: made from the WARC record ids, readable, distinct, and told once for the file.
    assert articles[0].id == corpus_id("<urn:uuid:0d8a2b6e-3f4c-4b8e-9a51-6c2e7d1f9b30>")
    assert articles[0].id.startswith("urn-uuid-0d8a2b6e-3f4c-4b8e-9a51-6c2e7d1f9b30-")
    assert articles[0].id != articles[1].id
    ids, keys = problems
    assert (ids.code, ids.severity, ids.field, ids.line) == (Code.ID_FOREIGN, "warning", "id", 1)
    # The warnings name what they are about: the id as given and as made, the keys, the records.
    assert "'<urn:uuid:0d8a2b6e-3f4c-4b8e-9a51-6c2e7d1f9b30>' is not a corpus id" in ids.message
    assert articles[0].id in ids.message
    assert "1 more record" in ids.message
    # What an article has no field for stays in the raw file, and one warning names every such key.
    assert (keys.code, keys.severity, keys.field, keys.line) == (Code.JSON_UNKEPT_KEYS, "warning", "metadata", 1)
    assert "6 metadata keys: date, dump, file_path, language_score, language_script, token_count" in keys.message
    assert "(2 records, lines 1–2)" in keys.message
    assert "crawl time" in keys.message


def test_a_datasets_other_columns_stay_in_the_raw_file_with_a_warning(tmp_path: Path) -> None:
    """cc_news: text and title are the article; domain, date, description and image_url are kept, not lost."""
    [article], [keys] = parse_fixture(tmp_path, "huggingface-cc-news.jsonl")
    assert article.block_text("headline") == "Regierung einigt sich auf Haushalt"
    assert article.url == "https://www.example.de/politik/haushalt-einigung.html"
    assert (keys.code, keys.severity, keys.line) == (Code.JSON_UNKEPT_KEYS, "warning", 1)
    assert "date, description, domain, image_url" in keys.message


def test_keys_at_the_top_of_a_record_in_the_corpus_keys_are_an_error_naming_them(tmp_path: Path) -> None:
    """With body, the record is in the corpus's own keys: an unknown key is most likely a typo."""
    problems = parse(tmp_path, "artikel.jsonl", jsonl({**BASE, "hedline": "Tippfehler", "rubrik": "Politik"}))
    assert sorted(p.field for p in problems if isinstance(p, Problem)) == ["hedline", "rubrik"]
    assert all(isinstance(p, Problem) and p.severity == "error" and p.code is Code.FIELD_UNKNOWN for p in problems)


def test_a_dataset_column_that_is_also_in_metadata_is_an_error(tmp_path: Path) -> None:
    record = {"text": "Ein Text.", "url": URL, "topic": "Politik", "metadata": {"topic": "Sport"}}
    [problem] = parse(tmp_path, "artikel.jsonl", jsonl(record))
    assert isinstance(problem, Problem)
    assert (problem.code, problem.field) == (Code.FIELD_UNKNOWN, "topic")


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"text": "Noch ein Text."}, "text"),
        ({"title": "Noch ein Titel"}, "title"),
        ({"metadata": {"url": URL + "?anders"}}, "metadata.url"),
    ],
)
def test_a_key_given_twice_is_an_error(tmp_path: Path, extra: dict[str, object], field: str) -> None:
    [problem] = parse(tmp_path, "artikel.jsonl", jsonl({**BASE, **extra}))
    assert (problem.code, problem.field, problem.line, problem.severity) == (Code.JSON_GIVEN_TWICE, field, 1, "error")
    assert "Try giving" in problem.message  # names the next step


def test_the_same_value_in_metadata_and_at_the_top_is_fine(tmp_path: Path) -> None:
    article = one_article(tmp_path, {**BASE, "metadata": {"url": URL, "source": "example.de"}})
    assert (article.url, article.source) == (URL, "example.de")


def test_a_record_without_body_or_text_is_an_error(tmp_path: Path) -> None:
    [problem] = parse(tmp_path, "artikel.json", json.dumps({"id": "leer", "headline": "Nur ein Titel"}))
    assert (problem.field, problem.code) == ("body", Code.JSON_NO_BODY)
    assert "text" in problem.message  # names the other key a body may come in


def test_a_boolean_id_is_an_error(tmp_path: Path) -> None:
    problems = parse(tmp_path, "artikel.jsonl", jsonl({"id": True, "text": "Ein Text."}))
    assert problems
    assert all(isinstance(p, Problem) and p.field and p.field.startswith("id") for p in problems)
    assert {p.code for p in problems} == {Code.FIELD_INVALID}


def test_a_corpus_of_records_in_the_ecosystems_shape_builds(corpus: Path) -> None:
    for name in ("huggingface-wikipedia.jsonl", "datatrove-fineweb.jsonl"):
        (corpus / "raw" / name).write_bytes((ECOSYSTEM / name).read_bytes())
    report = validate(corpus, processes=1)
    assert report.valid, report.errors
    assert {p.code for p in report.problems} == {Code.ID_FOREIGN, Code.JSON_UNKEPT_KEYS}  # the warnings, nothing else
    result = build(corpus, "1.0.0", configs=["documents"], processes=1)
    assert result.manifest.statistics.articles == 1 + 2 + 2
    ids = {a.id for articles in read_release(result.path).values() for a in articles}
    assert {"1", "3", corpus_id("<urn:uuid:5b1f7c3a-8e2d-4a6b-b0c9-1d4e6f8a2c57>")} <= ids


def test_numeric_ids_of_two_files_that_collide_are_an_error_saying_what_to_do(corpus: Path) -> None:
    for name in ("huggingface-wikipedia.jsonl", "huggingface-int-ids.jsonl"):
        (corpus / "raw" / name).write_bytes((ECOSYSTEM / name).read_bytes())
    [problem] = validate(corpus, processes=1).errors
    assert (problem.file, problem.line, problem.field) == ("raw/huggingface-wikipedia.jsonl", 1, "id")
    assert problem.code is Code.ID_DUPLICATE
    assert "repeats the id of raw/huggingface-int-ids.jsonl:2" in problem.message
    assert "`id` in a JSON record" in problem.message


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=200), st.integers(), article_ids()))
def test_corpus_ids_are_valid_and_kept_as_they_are(value: str | int) -> None:
    made = corpus_id(value)
    TypeAdapter(ArticleId).validate_python(made)
    assert corpus_id(made) == made
    if isinstance(value, int) and value >= 0:
        assert made == str(value)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40), st.text(max_size=40))
def test_distinct_ids_stay_distinct(first: str, second: str) -> None:
    assume(first != second)
    assert corpus_id(first) != corpus_id(second)


def test_a_single_json_file_in_datatroves_shape_warns_without_a_line(tmp_path: Path) -> None:
    record = {"id": "<urn:uuid:1>", "text": "Ein Text über Bremen.", "metadata": {"dump": "CC-MAIN-2024-10"}}
    article, *warnings = parse(tmp_path, "artikel.json", json.dumps(record))
    assert isinstance(article, Article)
    assert article.id == corpus_id("<urn:uuid:1>")
    assert [(w.code, w.line, w.severity) for w in warnings] == [
        (Code.ID_FOREIGN, None, "warning"),
        (Code.JSON_UNKEPT_KEYS, None, "warning"),
    ]
    assert "1 metadata key: dump. Only the raw file keeps the values." in warnings[1].message


@pytest.mark.parametrize(("given", "german"), [("de-DE", True), ("de_AT", True), ("DE", True), ("deu-Latn", True),
                                               ("ger", True), ("en-GB", False), ("dan", False)])  # fmt: skip
def test_a_language_tag_of_german_is_de(tmp_path: Path, given: str, german: bool) -> None:
    """BCP 47 tags (de-DE, as schema.org's inLanguage gives them) and ISO 639-2/3 codes of German are de."""
    [result, *_] = parse(tmp_path, "artikel.json", json.dumps({**BASE, "language": given}))
    assert isinstance(result, Article) is german
    if isinstance(result, Article):
        assert result.language == "de"
    else:
        assert result.field == "language"


def test_html_in_records_is_kept_as_text_and_warned_once_per_file(tmp_path: Path) -> None:
    """A CMS export's fields may be HTML: its tags stay in the text (lossless), and one warning says where."""
    records = [
        {"url": "https://example.org/a", "headline": "Müller & Co kaufen ein", "body": "Da gilt 3 < 4 und 5 > 2."},
        {"url": "https://example.org/b", "headline": "Streik &amp; Chaos", "body": "<p>Ein Text über Köln.</p>"},
        {"url": "https://example.org/c", "headline": "Ohne Markup", "body": "Ein Text&nbsp;über Bonn."},
    ]
    articles, warning = jsonl_warned(tmp_path, records, Code.JSON_MARKUP)
    assert "<p>Ein Text über Köln.</p>" in articles[1].text
    assert (warning.line, warning.severity) == (2, "warning")
    assert warning.message.startswith("2 records gave HTML tags or character references in headline and paragraph")


@given(german_text(min_tokens=1), st.sampled_from(["Müller & Co", "3 < 4 > 2", "AT&T", "a<b", "§ 3 & 4", "<3"]))
def test_plain_text_is_never_taken_for_markup(text: str, prose: str) -> None:
    """Ampersands and angle brackets in prose are no markup: only a tag or a character reference is."""
    made = make_article(
        parts=[("headline", "Überschrift"), ("paragraph", f"{text} {prose}".strip())],
        metadata={"id": "a"},
        raw_file="raw/a.json",
        raw_sha256="0" * 64,
        encoding="utf-8",
        fallback_id=None,
    )
    assume(isinstance(made, Article))
    assert isinstance(made, Article)
    assert markup_in(made) == set()
