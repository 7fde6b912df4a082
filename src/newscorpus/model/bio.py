"""Gold spans ↔ token tags in the BIO scheme of GermEval 2014.

A span never cuts a token: where a span boundary falls inside a token, the
token is split there first. Outer spans (level 0) become ``ner_tags``, inner
spans (level 1) ``nested_ner_tags``: two independent BIO columns. Two spans of
one level must not overlap, since one column cannot hold both; that is
reported, never guessed at. An inner span is meant to lie inside an outer one,
but GermEval 2014's own test file has inner spans that run past their outer
span: each column holds its own level, so such a span is tagged as it is, and
only reported (``outside_outer``) where the gold is read.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from typing import get_args

from newscorpus.core.errors import NewscorpusError
from newscorpus.model.article import Entity
from newscorpus.model.label_types import NerTag

Token = tuple[int, int]
Span = tuple[int, int, str]


class NestingError(NewscorpusError):
    """Spans that BIO tags cannot express: two spans of one level that overlap, or a span that cuts a token."""


def bio_names() -> tuple[str, ...]:
    """Return the tag names in GermEval 2014's order: O, then B-/I- for each label in the label file's order."""
    return get_args(NerTag)


def split_tokens(tokens: list[Token], boundaries: Iterable[int]) -> list[Token]:
    """Split every token at each boundary strictly inside it."""
    cuts = sorted(set(boundaries))
    out: list[Token] = []
    for start, end in tokens:
        inner = [c for c in cuts if start < c < end]
        edges = [start, *inner, end]
        out += list(itertools.pairwise(edges))
    return out


def _check_level(spans: list[Span], level: int) -> None:
    ordered = sorted(spans)
    for (s1, e1, l1), (s2, e2, l2) in itertools.pairwise(ordered):
        if s2 < e1:
            raise NestingError(f"level-{level} spans overlap: [{s1}, {e1}) {l1} and [{s2}, {e2}) {l2}")


def check_nesting(entities: list[Entity]) -> None:
    """Raise ``NestingError`` if two spans of one level overlap: each level is one BIO column.

    Across levels anything goes: an inner span outside every outer span is still tagged (see ``outside_outer``).
    """
    for level in (0, 1):
        _check_level([(e.start, e.end, e.label) for e in entities if e.level == level], level)


def outside_outer(outer: list[Span], inner: list[Span]) -> list[Span]:
    """Return the inner spans that lie inside no outer span: not GermEval's nesting, though its own files hold some."""
    return [span for span in inner if not any(s <= span[0] and span[1] <= e for s, e, _ in outer)]


def spans_to_bio(tokens: list[Token], spans: Sequence[Span]) -> list[str]:
    """Tag ``tokens`` with one level's spans.

    A span tags the tokens it covers; its boundaries may fall in the whitespace between tokens
    (a selection with a trailing space), but never inside a token: split tokens first.
    """
    tags = ["O"] * len(tokens)
    for start, end, label in spans:
        covered = [i for i, (s, e) in enumerate(tokens) if s < end and start < e]
        if not covered:
            raise NestingError(f"the span [{start}, {end}) {label} covers no token")
        if tokens[covered[0]][0] < start or tokens[covered[-1]][1] > end:
            raise NestingError(f"the span [{start}, {end}) {label} cuts a token; split the tokens at its boundaries")
        tags[covered[0]] = f"B-{label}"
        for i in covered[1:]:
            tags[i] = f"I-{label}"
    return tags


def bio_to_spans(tokens: list[Token], tags: list[str]) -> list[Span]:
    """Read spans back from BIO tags; an ``I-X`` that follows no ``B-X``/``I-X`` is refused."""
    spans: list[Span] = []
    current: list[int] | None = None
    label = ""
    for (start, end), tag in zip(tokens, tags, strict=True):
        if tag.startswith("I-") and current is not None and tag[2:] == label:
            current[1] = end
            continue
        if tag.startswith("I-"):
            raise NestingError(f"{tag} at [{start}, {end}) follows no B-{tag[2:]} or I-{tag[2:]}")
        if current is not None:
            spans.append((current[0], current[1], label))
            current = None
        if tag.startswith("B-"):
            current, label = [start, end], tag[2:]
    if current is not None:
        spans.append((current[0], current[1], label))
    return spans


def tag_sentence(tokens: list[Token], entities: list[Entity]) -> tuple[list[Token], list[str], list[str]]:
    """Return a sentence's tokens (split at span boundaries) with its outer and inner BIO tags.

    ``entities`` are the article's spans that lie in this sentence; ``check_nesting`` has passed.
    """
    tokens = split_tokens(tokens, [b for e in entities for b in (e.start, e.end)])
    outer = [(e.start, e.end, e.label) for e in entities if e.level == 0]
    inner = [(e.start, e.end, e.label) for e in entities if e.level == 1]
    return tokens, spans_to_bio(tokens, outer), spans_to_bio(tokens, inner)
