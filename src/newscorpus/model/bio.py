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
from typing import TypeAlias, get_args

import numpy as np
import numpy.typing as npt

from newscorpus.core.errors import NewscorpusError
from newscorpus.model.article import Entity
from newscorpus.model.label_types import NerTag

Token = tuple[int, int]
Span = tuple[int, int, str]
Ids: TypeAlias = npt.NDArray[np.int64]
"""Token offsets (starts, ends) or tag ids, one per token."""


class NestingError(NewscorpusError):
    """Spans that BIO tags cannot express: two spans of one level that overlap, or a span that cuts a token."""


def bio_names() -> tuple[str, ...]:
    """Return the tag names in GermEval 2014's order: O, then B-/I- for each label in the label file's order."""
    return get_args(NerTag)


def split_tokens(tokens: list[Token], boundaries: Iterable[int]) -> list[Token]:
    """Split every token at each boundary strictly inside it; ``tokens`` in order, none overlapping another."""
    starts, ends = split_offsets(*_offsets(tokens), np.array(sorted(set(boundaries)), np.int64))
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


def split_offsets(starts: Ids, ends: Ids, cuts: Ids) -> tuple[Ids, Ids]:
    """Split every token at each of ``cuts`` (sorted, unique) strictly inside it; tokens in order, none overlapping."""
    if not len(starts):
        return starts, ends
    holder = np.searchsorted(starts, cuts, "right") - 1  # the last token that starts at or before each cut
    inside = cuts[(holder >= 0) & (starts[holder] < cuts) & (cuts < ends[holder])]
    if not len(inside):
        return starts, ends
    # Each cut ends one piece of its token and starts the next; the pieces stay in order.
    return np.sort(np.concatenate((starts, inside))), np.sort(np.concatenate((ends, inside)))


def _offsets(tokens: list[Token]) -> tuple[Ids, Ids]:
    flat = np.array(tokens, np.int64).reshape(-1, 2)
    return flat[:, 0], flat[:, 1]


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
    """Tag ``tokens`` (in order, none overlapping another) with one level's spans.

    A span tags the tokens it covers; its boundaries may fall in the whitespace between tokens
    (a selection with a trailing space), but never inside a token: split tokens first.
    """
    names = bio_names()
    return [names[i] for i in tag_offsets(*_offsets(tokens), [(*span, 0) for span in spans])[0].tolist()]


TAG_IDS = {name: i for i, name in enumerate(bio_names())}
"""The id of each tag: its place in ``bio_names``, as the ``ClassLabel`` of a release numbers it."""


def tag_offsets(starts: Ids, ends: Ids, spans: Sequence[tuple[int, int, str, int]]) -> tuple[Ids, Ids]:
    """Return the outer and inner tag ids (``TAG_IDS``) of tokens (in order, none overlapping) for spans of both levels.

    ``spans`` are ``(start, end, label, level)``, checked in the order given: the first that covers no
    token or cuts one raises ``NestingError``.
    """
    tags = (np.full(len(starts), TAG_IDS["O"], np.int64), np.full(len(starts), TAG_IDS["O"], np.int64))
    if not spans:
        return tags
    bounds = np.array([span[:2] for span in spans], np.int64)
    # The tokens a span covers are a run: from the first that ends after its start to the first that starts at its end.
    firsts = np.searchsorted(ends, bounds[:, 0], "right").tolist()
    stops = np.searchsorted(starts, bounds[:, 1], "left").tolist()
    for (start, end, label, level), first, stop in zip(spans, firsts, stops, strict=True):
        if first >= stop:
            raise NestingError(f"the span [{start}, {end}) {label} covers no token")
        if starts[first] < start or ends[stop - 1] > end:
            raise NestingError(f"the span [{start}, {end}) {label} cuts a token; split the tokens at its boundaries")
        tags[level][first] = TAG_IDS[f"B-{label}"]
        tags[level][first + 1 : stop] = TAG_IDS[f"I-{label}"]
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
    """Return a sentence's tokens (in order, split at span boundaries) with its outer and inner BIO tags.

    ``entities`` are the article's spans that lie in this sentence; ``check_nesting`` has passed.
    A build tags a whole article at once (``derive.configs.ner.tag_sentences``) with the same two steps.
    """
    cuts = np.array(sorted({b for e in entities for b in (e.start, e.end)}), np.int64)
    starts, ends = split_offsets(*_offsets(tokens), cuts)
    by_level = sorted(entities, key=lambda e: e.level)  # the outer level first, as each is tagged on its own
    names = bio_names()
    outer, inner = tag_offsets(starts, ends, [(e.start, e.end, e.label, e.level) for e in by_level])
    split = list(zip(starts.tolist(), ends.tolist(), strict=True))
    return split, [names[i] for i in outer.tolist()], [names[i] for i in inner.tolist()]
