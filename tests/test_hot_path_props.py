"""Shortcuts of the per-article hot path give what the long way gives: normalising once, not per part."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from newscorpus.core.offsets import assemble, normalize_text
from newscorpus.ingest.make import make_article
from newscorpus.ingest.parsers.jsonl import JsonArticle
from tests.strategies import any_text, german_text

BLANKS = st.sampled_from(("\n\n", "\n\n\n", "\r\n\r\n", " \n\n", "\n \n", "\u2028\u2028", "\n\t\n", "\n\u0301\n\n"))
"""Paragraph separators as raw files write them, and a combining mark that starts a line."""


@st.composite
def json_records(draw: st.DrawFn) -> JsonArticle:
    """A JSON article with any header texts and a body string (any separators) or a list of blocks."""
    record = {kind: draw(any_text()) for kind in ("kicker", "headline", "lead", "caption") if draw(st.booleans())}
    if draw(st.booleans()):
        pieces = draw(st.lists(st.one_of(german_text(), any_text()), min_size=1, max_size=5))
        separators = draw(st.lists(BLANKS, min_size=len(pieces), max_size=len(pieces)))
        record["body"] = "".join(piece + separator for piece, separator in zip(pieces, separators, strict=True))
    else:
        texts = draw(st.lists(any_text(), min_size=1, max_size=4))
        record["body"] = [{"kind": "paragraph", "text": text} for text in texts]
    return JsonArticle.model_validate(record)


@given(json_records())
def test_every_part_of_a_json_article_is_normalised_so_assembling_need_not_again(record: JsonArticle) -> None:
    parts = record.parts()
    assert all(normalize_text(text) == text for _, text in parts)
    assert assemble(parts, normalized=True) == assemble(parts)


@given(json_records())
def test_an_article_from_normalised_parts_is_the_article_from_the_parts(record: JsonArticle) -> None:
    parts = record.parts()
    common = {"metadata": {"id": "a"}, "raw_file": "raw/a.json", "raw_sha256": "0" * 64, "encoding": "utf-8"}
    assert make_article(parts=parts, fallback_id=None, normalized=True, **common) == make_article(
        parts=parts, fallback_id=None, **common
    )
