"""Half a UTF-16 surrogate pair in a JSON string, as JavaScript's string cutting leaves: read as U+FFFD, and warned."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import parse_raw as parse
from hypothesis import given
from hypothesis import strategies as st

from newscorpus.core.codes import Code
from newscorpus.core.report import Problem
from newscorpus.ingest.parsers.repair import mend_surrogates
from newscorpus.model.article import Article

HALVES = st.integers(0xD800, 0xDFFF).map(chr)
STRINGS = st.lists(st.one_of(st.characters(), HALVES, st.sampled_from(["\\", '"', "\\ud800", "😀"])), max_size=12)


def _as_read(text: str) -> str:
    """What a JSON reader that joins surrogate pairs makes of ``text``, each half left alone as U+FFFD."""
    out, at = [], 0
    while at < len(text):
        here, after = text[at], text[at + 1 : at + 2]
        if "\ud800" <= here <= "\udbff" and after and "\udc00" <= after <= "\udfff":
            out.append((here + after).encode("utf-16", "surrogatepass").decode("utf-16"))
            at += 2
            continue
        out.append("\ufffd" if "\ud800" <= here <= "\udfff" else here)
        at += 1
    return "".join(out)


@given(STRINGS)
def test_each_half_becomes_the_replacement_character_and_nothing_else_changes(chars: list[str]) -> None:
    text = "".join(chars)
    for ascii_only in (True, False):
        if not ascii_only and any("\ud800" <= c <= "\udfff" for c in text):
            continue  # unescaped, a half cannot be written as UTF-8: no file holds one so
        written = json.dumps({"headline": text}, ensure_ascii=ascii_only)
        mended, halves = mend_surrogates(written)
        assert json.loads(mended) == {"headline": _as_read(text)}
        assert halves == _as_read(text).count("\ufffd") - text.count("\ufffd")
        assert mended.encode("utf-8")  # now text UTF-8 can hold


def test_records_with_halves_are_read_and_one_warning_counts_them(tmp_path: Path) -> None:
    lines = [
        '{"url": "https://www.example.de/a.html", "headline": "Abgeschnitten \\ud83d", "body": "Text eins."}',
        '{"url": "https://www.example.de/b.html", "headline": "Ganz", "body": "Text \\ud83d\\ude00 zwei."}',
        '{"url": "https://www.example.de/c.html", "title": "NP", "maintext": "Text \\udc80 drei."}',
        '{"url": "https://www.example.de/d.html", "headline": "Kein Escape: \\\\ud800", "body": "Text vier."}',
    ]
    results = parse(tmp_path, "halves.jsonl", "\n".join(lines) + "\n")
    articles = [r for r in results if isinstance(r, Article)]
    assert [a.block_text("headline") for a in articles] == [
        "Abgeschnitten \ufffd",
        "Ganz",
        "NP",
        "Kein Escape: \\ud800",
    ]
    assert "Text 😀 zwei." in articles[1].text
    assert "Text \ufffd drei." in articles[2].text  # a news-please record too: mended before it is translated
    [warning] = [r for r in results if isinstance(r, Problem) and r.code is Code.JSON_LONE_SURROGATE]
    assert (warning.severity, warning.line, warning.field) == ("warning", 1, None)
    assert warning.message.startswith("2 records gave strings with half a UTF-16 surrogate pair")
