"""A .json file holding an array of article objects: each element a record, at the line it starts on."""

from __future__ import annotations

import codecs
import gzip
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newscorpus.core.codes import Code
from newscorpus.core.report import Problem
from newscorpus.ingest import parsers
from newscorpus.ingest.corpus import iter_corpus
from newscorpus.ingest.parsers import parse_file, records
from newscorpus.ingest.parsers.jsonarray import array_elements, holds_json_lines, starts_array
from newscorpus.model.article import Article


def _record(n: int, **extra: Any) -> dict[str, Any]:
    body = f"Ein Satz über „Köln“ und Straße {n}. 😀"
    return {"id": f"meldung-{n}", "headline": f"Meldung {n}", "body": body, **extra}


def _parsed(path: Path) -> tuple[list[Article], list[Problem]]:
    results = list(parse_file(path, f"raw/{path.name}"))
    return [r for r in results if isinstance(r, Article)], [r for r in results if isinstance(r, Problem)]


def test_each_element_is_a_record_with_its_line_and_its_own_bytes(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    text = json.dumps([_record(1), _record(2), 42, _record(3)], indent=2, ensure_ascii=False)
    path.write_text(text, encoding="utf-8")

    articles, problems = _parsed(path)

    assert [a.id for a in articles] == ["meldung-1", "meldung-2", "meldung-3"]
    lines = text.split("\n")
    for article in articles:
        start = article.raw_line
        assert start is not None
        assert lines[start - 1].strip() == "{"  # the line its object opens on
        element = json.dumps(_record(int(article.id[-1])), indent=2, ensure_ascii=False).replace("\n", "\n  ")
        assert article.raw_sha256 == hashlib.sha256(element.encode()).hexdigest()  # the bytes it has in the file
    assert [(p.code, p.line) for p in problems] == [(Code.RECORD_NOT_OBJECT, lines.index("  42,") + 1)]


def test_a_broken_array_keeps_the_records_before_the_break(tmp_path: Path) -> None:
    path = tmp_path / "abgebrochen.json"
    text = json.dumps([_record(1), _record(2)], indent=1)
    path.write_text(text[: text.rindex("}")], encoding="utf-8")  # cut inside the second object

    articles, problems = _parsed(path)

    assert [a.id for a in articles] == ["meldung-1"]
    assert [p.code for p in problems] == [Code.JSON_MALFORMED]
    assert problems[0].line == text[: text.rindex("}")].count("\n") + 1  # where the cut file ends
    assert problems[0].line > 2


def test_an_array_with_a_bom_and_crlf_reads_like_any_other(tmp_path: Path) -> None:
    path = tmp_path / "windows.json"
    text = json.dumps([_record(1), _record(2)], indent=2, ensure_ascii=False).replace("\n", "\r\n")
    path.write_bytes(codecs.BOM_UTF8 + text.encode("utf-8"))
    articles, problems = _parsed(path)
    assert [a.id for a in articles] == ["meldung-1", "meldung-2"]
    assert [a.raw_line for a in articles] == [2, 7]
    assert not [p for p in problems if p.severity == "error"]


def test_an_empty_array_holds_no_article_and_no_error(tmp_path: Path) -> None:
    path = tmp_path / "leer.json"
    path.write_text(" [ ]\n", encoding="utf-8")
    assert _parsed(path) == ([], [])


def test_an_array_over_its_limit_is_refused_naming_jsonl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "riesig.json"
    path.write_text(json.dumps([_record(n) for n in range(50)]), encoding="utf-8")
    monkeypatch.setattr(records, "MAX_ARRAY_BYTES", 1000)
    articles, problems = _parsed(path)
    assert articles == []
    assert [p.code for p in problems] == [Code.RAW_TOO_BIG]
    assert "JSONL" in problems[0].message


def test_array_records_are_deduplicated_against_other_files(corpus: Path) -> None:
    (corpus / "raw" / "export.json").write_text(json.dumps([_record(1), _record(2)]), encoding="utf-8")
    (corpus / "raw" / "zeilen.jsonl").write_text(json.dumps(_record(2, id="andere-id")) + "\n", encoding="utf-8")
    items = list(iter_corpus(corpus))
    warnings = [i for i in items if isinstance(i, Problem) and i.code == Code.DUPLICATE_TEXT]
    assert [(w.file, w.line) for w in warnings] == [("raw/zeilen.jsonl", 1)]
    assert "raw/export.json:1" in warnings[0].message  # the kept copy: the second element, on line 1 of its file


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)


@given(st.lists(json_values, max_size=6), st.sampled_from([None, 0, 1, 4]), st.booleans())
def test_array_elements_are_the_elements_at_their_lines(values: list[Any], indent: int | None, ascii: bool) -> None:
    text = json.dumps(values, indent=indent, ensure_ascii=ascii)
    assert starts_array(text.encode("utf-8"))
    found = list(array_elements(text))
    assert [json.loads(element) for element, _ in found] == values
    at = 0
    for element, line in found:
        at = text.index(element, at)
        assert line == text.count("\n", 0, at) + 1
        at += len(element)


@pytest.mark.parametrize(
    ("head", "array"),
    [
        (b'{"id": 1}', False),
        (b"42", False),
        (b"", False),
        (codecs.BOM_UTF8 + b"  {", False),
        (b"  \n\t[{", True),
        (codecs.BOM_UTF8 + b"\r\n [", True),
        (codecs.BOM_UTF16_LE + " [".encode("utf-16-le"), True),
        (codecs.BOM_UTF16_BE + "{".encode("utf-16-be"), False),
    ],
)
def test_only_an_array_is_taken_for_one(head: bytes, array: bool) -> None:
    assert starts_array(head) is array


@pytest.mark.parametrize(("compressed", "big"), [(False, False), (True, False), (False, True)])
def test_json_lines_named_json_are_read_as_the_jsonl_file_with_one_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, compressed: bool, big: bool
) -> None:
    """Exports often name JSON Lines ``.json``: read as the same ``.jsonl`` is (records, lines, hashes), warned once.

    ``big``: past the size of one article, where only the file's head is read to tell.
    """
    if big:
        monkeypatch.setattr(parsers, "MAX_FILE_BYTES", 160)
    records = [
        {"id": f"meldung-{i}", "headline": f"Meldung {i}", "body": f"Ein Satz über „Köln“, Nummer {i}. 😀"}
        for i in range(5)
    ]
    data = codecs.BOM_UTF8 + "\r\n".join(json.dumps(r, ensure_ascii=False) for r in records).encode() + b"\r\n\r\n"
    plain, named = tmp_path / "plain", tmp_path / "named"
    for root in (plain, named):
        (root / "raw").mkdir(parents=True)
    (plain / "raw" / "export.jsonl").write_bytes(data)
    (named / "raw" / ("export.json.gz" if compressed else "export.json")).write_bytes(
        gzip.compress(data) if compressed else data
    )
    expected = list(iter_corpus(plain))
    got = list(iter_corpus(named))
    warnings = [p for p in got if isinstance(p, Problem)]
    assert [(p.code, p.severity) for p in warnings] == [(Code.JSON_LINES, "warning")]
    seen = [(a.id, a.raw_line, a.raw_sha256, a.text) for a in got if isinstance(a, Article)]
    assert seen == [(a.id, a.raw_line, a.raw_sha256, a.text) for a in expected if isinstance(a, Article)]
    assert len(seen) == 5


@given(st.lists(st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5), max_size=3), min_size=1))
def test_json_lines_are_told_from_one_json_document(objects: list[dict[str, object]]) -> None:
    """Two or more objects a line each are JSON Lines; one object, however indented, or an array, is one document."""
    lines = "\n".join(json.dumps(o, ensure_ascii=False) for o in objects).encode()
    assert holds_json_lines(lines) == (len(objects) > 1)
    for indent in (None, 1, 4):
        assert not holds_json_lines(json.dumps(objects[0], indent=indent).encode() + b"\n")
    assert not holds_json_lines(json.dumps(objects, indent=1).encode())
