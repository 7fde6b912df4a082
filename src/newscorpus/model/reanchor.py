"""Gold spans carried from an old text to its corrected version by a character diff.

A span that lies in text the correction left alone moves with its offsets and stays gold;
a span that touches changed text (an edit inside it, or at its edge) is flagged for review,
named, never guessed at. Every moved span still satisfies ``new_text[start:end] == span.text``.
The diff is ``difflib.SequenceMatcher`` over code points, without its junk heuristic, so a
run of repeated characters is matched like any other.
"""

from __future__ import annotations

import bisect
import difflib
from dataclasses import dataclass, field

from newscorpus.core.offsets import sha256_text
from newscorpus.model.article import Entity
from newscorpus.model.gold import EntityGold, GoldFile, GoldStatus


@dataclass(frozen=True)
class Reanchored:
    """The spans that moved to the new text, and those flagged for review with why."""

    moved: list[Entity] = field(default_factory=list)
    flagged: list[tuple[Entity, str]] = field(default_factory=list)


def unchanged_blocks(old_text: str, new_text: str) -> list[tuple[int, int, int]]:
    """Return the runs both texts share, as ``(old start, new start, length)``, in order."""
    matcher = difflib.SequenceMatcher(a=old_text, b=new_text, autojunk=False)
    return [(a, b, n) for a, b, n in matcher.get_matching_blocks() if n]


def reanchor(old_text: str, new_text: str, spans: list[Entity]) -> Reanchored:
    """Map ``spans`` over ``old_text`` onto ``new_text``: moved if untouched by the edit, else flagged."""
    if old_text == new_text:
        return Reanchored(moved=list(spans))
    blocks = unchanged_blocks(old_text, new_text)
    starts = [a for a, _, _ in blocks]
    result = Reanchored()
    for span in spans:
        index = bisect.bisect_right(starts, span.start) - 1
        if index >= 0 and _untouched(span, blocks[index], len(old_text), len(new_text)):
            a, b, _ = blocks[index]
            start = b + span.start - a
            result.moved.append(span.model_copy(update={"start": start, "end": start + span.end - span.start}))
        else:
            where = f"[{span.start}, {span.end}) {span.label} {span.text!r}"
            result.flagged.append((span, f"the correction changed text in or next to the span {where}"))
    return result


def reanchor_gold(gold: GoldFile, old_text: str, new_text: str) -> tuple[GoldFile, Reanchored]:
    """Return ``gold`` (made on ``old_text``) carried to ``new_text``, and what became of its gold spans.

    A gold entity layer keeps the spans that moved and stays gold; the flagged ones are left out.
    If the correction touched every span, the layer needs review: no span left would say "no
    names", which nobody did. The topic and a layer that is not gold hold no offsets: they stay.
    """
    if gold.entities is None or gold.entities.status != "gold":
        return gold.model_copy(update={"text_sha256": sha256_text(new_text)}), Reanchored()
    result = reanchor(old_text, new_text, gold.entities.spans)
    status: GoldStatus = "needs_review" if result.flagged and not result.moved else "gold"
    entities = EntityGold(status=status, spans=result.moved)
    return gold.model_copy(update={"text_sha256": sha256_text(new_text), "entities": entities}), result


def _untouched(span: Entity, block: tuple[int, int, int], old_length: int, new_length: int) -> bool:
    """Whether ``span`` lies in the unchanged run ``block`` with no edit at either of its edges.

    An edit right at an edge touches the span ("Paris" → "Pariser"), unless that edge is where
    both texts begin or end, so it counts as a change to the span.
    """
    a, b, n = block
    if not (a <= span.start and span.end <= a + n):
        return False
    start_clear = span.start > a or (a == 0 and b == 0)
    end_clear = span.end < a + n or (a + n == old_length and b + n == new_length)
    return start_clear and end_clear
