"""JSON and JSONL raw articles: body as a string or as blocks, ids from urls, strict fields."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest

from newscorpus.article import Article
from newscorpus.ids import assign_split, id_from_filename, id_from_url
from newscorpus.parsers import parse_file
from newscorpus.report import Problem

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
    assert problem.field == "id"
    assert "neither an id nor a url" in problem.message
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


def test_unknown_field_is_rejected_by_name(tmp_path: Path) -> None:
    [problem] = parse(tmp_path, "artikel.json", json.dumps({**BASE, "subtitle": "Ein Untertitel"}))
    assert isinstance(problem, Problem)
    assert problem.field == "subtitle"
    assert "Extra inputs" in problem.message
    assert problem.file == "raw/artikel.json"


def test_unknown_field_in_jsonl_is_rejected_with_its_line(tmp_path: Path) -> None:
    results = parse(tmp_path, "artikel.jsonl", jsonl(BASE, {**BASE, "url": URL + "?b", "ressort": "Politik"}))
    problem = results[1]
    assert isinstance(problem, Problem)
    assert (problem.line, problem.field) == (2, "ressort")


@pytest.mark.parametrize("field", ["published_at", "updated_at"])
def test_naive_datetime_is_rejected(tmp_path: Path, field: str) -> None:
    [problem] = parse(tmp_path, "artikel.json", json.dumps({**BASE, field: "2025-09-04T14:07:00"}))
    assert isinstance(problem, Problem)
    assert problem.field == field
    assert "timezone" in problem.message


def test_updated_before_published_is_rejected(tmp_path: Path) -> None:
    obj = {**BASE, "published_at": "2025-09-04T14:07:00+02:00", "updated_at": "2025-09-04T09:30:00+02:00"}
    [problem] = parse(tmp_path, "artikel.json", json.dumps(obj))
    assert isinstance(problem, Problem)
    assert "updated_at is before published_at" in problem.message
    assert problem.article_id == id_from_url(URL)


def test_types_are_strict(tmp_path: Path) -> None:
    [problem] = parse(tmp_path, "artikel.json", json.dumps({**BASE, "redistributable": "yes"}))
    assert isinstance(problem, Problem)
    assert problem.field == "redistributable"


def test_json_that_is_not_an_object_is_rejected(tmp_path: Path) -> None:
    [problem] = parse(tmp_path, "artikel.json", json.dumps([BASE]))
    assert isinstance(problem, Problem)
    assert problem.file == "raw/artikel.json"


# --- escapes must not smuggle in what raw bytes may not hold -----------------------------------------


def test_json_escaped_nul_is_rejected(tmp_path: Path) -> None:
    results = parse(tmp_path, "artikel.json", json.dumps({**BASE, "body": "Ein Absatz\u0000 mit NUL."}))
    assert not any(isinstance(r, Article) for r in results)
    [problem] = results
    assert (problem.field, problem.line) == ("text", None)
    assert "U+0000" in problem.message


def test_json_escaped_control_character_is_rejected(tmp_path: Path) -> None:
    results = parse(tmp_path, "artikel.json", json.dumps({**BASE, "body": "Ein Absatz \u001b[31m in Rot."}))
    assert not any(isinstance(r, Article) for r in results)


def test_json_escaped_mojibake_is_rejected(tmp_path: Path) -> None:
    obj = {**BASE, "headline": "Neue Tram-Linie in MÃ¼nchen eröffnet"}
    results = parse(tmp_path, "artikel.json", json.dumps(obj, ensure_ascii=True))
    assert not any(isinstance(r, Article) for r in results)
    assert "mojibake" in results[0].message


def test_unescaped_mojibake_in_json_is_rejected(tmp_path: Path) -> None:
    obj = {**BASE, "headline": "Neue Tram-Linie in MÃ¼nchen eröffnet"}
    [problem] = parse(tmp_path, "artikel.json", json.dumps(obj, ensure_ascii=False))
    assert isinstance(problem, Problem)
    assert "mojibake" in problem.message


def test_jsonl_line_over_the_limit_is_rejected_alone(tmp_path: Path) -> None:
    from newscorpus.parsers import MAX_FILE_BYTES

    small = json.dumps({**BASE, "url": "https://example.org/klein"})
    big = json.dumps({**BASE, "url": "https://example.org/gross", "body": "Straße " * (MAX_FILE_BYTES // 7)})
    results = parse(tmp_path, "artikel.jsonl", f"{small}\n{big}\n{small.replace('klein', 'klein2')}\n")
    problems = [r for r in results if isinstance(r, Problem)]
    assert [p.line for p in problems] == [2]
    assert "over the limit" in problems[0].message
    assert sum(isinstance(r, Article) for r in results) == 2
