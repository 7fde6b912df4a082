"""Properties of the offset rule: normalize_text, assemble, span_problem and the Article model."""

from __future__ import annotations

import itertools
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from newscorpus.core.codes import Code
from newscorpus.core.offsets import assemble, normalize_text, span_problem
from newscorpus.core.report import problems_from_validation
from newscorpus.model.article import Article
from tests.strategies import (
    BLOCK_KINDS,
    SAFE_LINE_BREAKS,
    any_text,
    articles,
    blocks,
    canonical,
    german_text,
    nfd,
)

BLANK_LINE = "\n\n"  # the separator the offset rule promises, written out (not imported)
FOREIGN_BREAKS = ("\r", "\u2028", "\u2029", "\x85")


# --- normalize_text -------------------------------------------------------------------------------


@given(any_text())
def test_normalize_text_is_idempotent(raw: str) -> None:
    once = normalize_text(raw)
    assert normalize_text(once) == once


@given(any_text())
def test_normalize_text_output_is_nfc_with_only_lf_breaks(raw: str) -> None:
    out = normalize_text(raw)
    assert unicodedata.is_normalized("NFC", out)
    for char in FOREIGN_BREAKS:
        assert char not in out


@given(any_text())
def test_normalize_text_leaves_no_trailing_space_or_tab(raw: str) -> None:
    for line in normalize_text(raw).split("\n"):
        assert not line.endswith((" ", "\t")), line


@given(any_text())
def test_normalize_text_keeps_the_number_of_line_breaks(raw: str) -> None:
    # CRLF is one break, every other break character is one break: none is lost or invented.
    expected = raw.count("\n") + sum(raw.count(c) for c in FOREIGN_BREAKS) - raw.count("\r\n")
    assert normalize_text(raw).count("\n") == expected


@given(german_text())
def test_normalize_text_is_the_same_for_nfc_and_nfd_input(raw: str) -> None:
    assert normalize_text(nfd(raw)) == normalize_text(unicodedata.normalize("NFC", raw))


# --- assemble -------------------------------------------------------------------------------------


@given(blocks())
def test_assemble_blocks_are_the_normalised_stripped_inputs(parts: list[tuple[str, str]]) -> None:
    text, out = assemble(parts)
    kept = [(kind, canonical(raw)) for kind, raw in parts if canonical(raw)]
    assert [(kind, text[start:end]) for kind, start, end in out] == kept


@given(blocks())
def test_assemble_separates_blocks_by_exactly_one_blank_line(parts: list[tuple[str, str]]) -> None:
    text, out = assemble(parts)
    if not out:
        assert text == ""
        return
    assert out[0][1] == 0
    assert out[-1][2] == len(text)
    for (_, _, prev_end), (_, next_start, _) in itertools.pairwise(out):
        assert text[prev_end:next_start] == BLANK_LINE


@given(blocks())
def test_assemble_blocks_are_in_order_non_empty_and_non_overlapping(parts: list[tuple[str, str]]) -> None:
    text, out = assemble(parts)
    previous_end = 0
    for kind, start, end in out:
        assert kind in BLOCK_KINDS
        assert previous_end <= start < end <= len(text)
        assert span_problem(text, start, end) is None
        previous_end = end


@given(blocks())
def test_assemble_drops_exactly_the_empty_and_whitespace_blocks(parts: list[tuple[str, str]]) -> None:
    _, out = assemble(parts)
    assert [kind for kind, _, _ in out] == [kind for kind, raw in parts if normalize_text(raw).strip()]
    if all(not raw.strip() for _, raw in parts):
        assert assemble(parts) == ("", [])


@given(blocks())
def test_assemble_text_is_normalised(parts: list[tuple[str, str]]) -> None:
    text, _ = assemble(parts)
    assert unicodedata.is_normalized("NFC", text)
    assert normalize_text(text) == text
    assert text == text.strip()


@st.composite
def encoding_variants(draw: st.DrawFn) -> tuple[list[tuple[str, str]], list[list[tuple[str, str]]]]:
    """The same German blocks, and several raw encodings of them (NFD, CRLF, CR, U+2028, trailing blanks)."""
    parts = [(kind, canonical(raw)) for kind, raw in draw(blocks())]
    rng = draw(st.randoms(use_true_random=False))

    def spelled(text: str, *, decompose: bool, lone_cr: bool) -> str:
        text = nfd(text) if decompose else text
        lines = text.split("\n")
        out = []
        for i, line in enumerate(lines):
            out.append(line)
            if i < len(lines) - 1:
                out.append(rng.choice(("", " ", "\t", " \t  ")))  # a trailing blank the rule removes
                out.append("\r" if lone_cr else rng.choice(SAFE_LINE_BREAKS))
        padding = rng.choice(("", " ", "\n", "\r\n\t"))
        return padding + "".join(out) + padding

    variants = [
        [(kind, spelled(text, decompose=decompose, lone_cr=lone_cr)) for kind, text in parts]
        for decompose in (False, True)
        for lone_cr in (False, True)
    ]
    return parts, variants


@given(encoding_variants())
def test_assemble_offsets_do_not_depend_on_how_the_raw_text_is_encoded(
    case: tuple[list[tuple[str, str]], list[list[tuple[str, str]]]],
) -> None:
    parts, variants = case
    reference_text, reference_blocks = assemble(parts)
    for variant in variants:
        text, out = assemble(variant)
        assert text == reference_text
        assert out == reference_blocks


@given(german_text(min_tokens=1))
def test_assemble_of_nfd_and_crlf_input_lands_offsets_on_the_same_characters(raw: str) -> None:
    lf = normalize_text(raw)  # NFC, "\n" only
    crlf = lf.replace("\n", "\r\n")
    reference = assemble([("headline", lf), ("paragraph", lf)])
    for variant in (raw, nfd(lf), crlf, nfd(crlf), nfd(raw)):
        assert assemble([("headline", variant), ("paragraph", variant)]) == reference


# --- span_problem ---------------------------------------------------------------------------------


@st.composite
def span_cases(draw: st.DrawFn) -> tuple[str, int, int, str | None]:
    text = normalize_text(draw(german_text()))
    start = draw(st.integers(-3, len(text) + 3))
    end = draw(st.integers(-3, len(text) + 3))
    span_text = draw(
        st.one_of(
            st.none(),
            st.just(text[start:end]),
            st.just(text[max(start, 0) : max(end, 0)]),
            german_text(max_tokens=3),
        )
    )
    return text, start, end, span_text


@given(span_cases())
def test_span_problem_accepts_exactly_in_range_spans_with_matching_text(case: tuple[str, int, int, str | None]) -> None:
    text, start, end, span_text = case
    valid = 0 <= start < end <= len(text) and (span_text is None or text[start:end] == span_text)
    problem = span_problem(text, start, end, span_text)
    assert (problem is None) == valid, problem
    if problem is not None:
        assert isinstance(problem, str)
        assert problem


# --- the Article model ----------------------------------------------------------------------------


def rejected(data: dict[str, object]) -> list[Code]:
    """Return the codes of the problems that make ``data`` no valid article."""
    with pytest.raises(ValidationError) as info:
        Article.model_validate(data)
    return [problem.code for problem in problems_from_validation(info.value, "raw/a.json")]


@settings(max_examples=50)
@given(articles())
def test_article_accepts_every_matching_span(article: Article) -> None:
    data = article.model_dump()
    assert Article.model_validate(data) == article
    for entity in article.entities:
        assert article.text[entity.start : entity.end] == entity.text
    for block in article.blocks:
        assert span_problem(article.text, block.start, block.end) is None


@settings(max_examples=50)
@given(articles(with_gold=False), st.data())
def test_article_rejects_a_span_whose_text_is_not_its_slice(article: Article, data: st.DataObject) -> None:
    text = article.text
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    wrong = data.draw(german_text(max_tokens=4).filter(lambda s: s != text[start:end]))
    entity = {"start": start, "end": end, "label": "PER", "level": 0}
    assert rejected({**article.model_dump(), "entities": [{**entity, "text": wrong}]}) == [Code.SPAN_OFFSET_MISMATCH]
    ok = Article.model_validate({**article.model_dump(), "entities": [{**entity, "text": text[start:end]}]})
    assert ok.entities[0].text == text[start:end]


@settings(max_examples=50)
@given(articles(with_gold=False), st.data())
def test_article_rejects_a_span_out_of_range(article: Article, data: st.DataObject) -> None:
    n = len(article.text)
    start, end = data.draw(
        st.one_of(
            st.tuples(st.integers(0, n), st.integers(n + 1, n + 50)),  # past the end
            st.integers(0, n).flatmap(lambda s: st.tuples(st.just(s), st.integers(max(0, s - 5), s))),  # empty/reversed
            st.tuples(st.integers(-5, -1), st.integers(0, n)),  # negative start
        )
    )
    entity = {"start": start, "end": end, "label": "LOC", "level": 1, "text": article.text[max(start, 0) : end]}
    codes = rejected({**article.model_dump(), "entities": [entity]})
    assert codes == [Code.FIELD_INVALID if start < 0 else Code.SPAN_OUT_OF_BOUNDS]  # an Offset is never negative


@settings(max_examples=50)
@given(articles(with_gold=False), st.data())
def test_article_rejects_blocks_out_of_range_or_out_of_order(article: Article, data: st.DataObject) -> None:
    n = len(article.text)
    bad, code = data.draw(
        st.one_of(
            st.just(([{"kind": "paragraph", "start": 0, "end": n + 1}], Code.BLOCK_OUT_OF_BOUNDS)),
            st.just(([{"kind": "paragraph", "start": 0, "end": 0}], Code.BLOCK_OUT_OF_BOUNDS)),
            st.integers(1, n).map(
                lambda e: (
                    [{"kind": "headline", "start": 0, "end": e}, {"kind": "paragraph", "start": e - 1, "end": e}],
                    Code.BLOCK_OUT_OF_ORDER,
                )
            ),
        )
    )
    assert rejected({**article.model_dump(), "blocks": bad}) == [code]


@settings(max_examples=30)
@given(articles())
def test_article_rejects_a_duplicate_span(article: Article) -> None:
    if not article.entities:
        return
    data = article.model_dump()
    assert rejected({**data, "entities": [*data["entities"], data["entities"][0]]}) == [Code.SPAN_DUPLICATE]
