"""Re-anchoring: gold spans follow a corrected text; a span the correction touched is flagged, never guessed at."""

from __future__ import annotations

import shutil

from hypothesis import given
from hypothesis import strategies as st

from newscorpus.core.offsets import sha256_text
from newscorpus.ingest.parsers import parse_file
from newscorpus.model.article import Article, Entity
from newscorpus.model.gold import EntityGold, GoldFile, TopicGold
from newscorpus.model.reanchor import reanchor, reanchor_gold
from tests.conftest import REPO, SEED_NAME
from tests.strategies import EMOJI, PUNCTUATION, SHARP_S, UMLAUTS

WORDS = ["Straße", "Köln", "„Zitat“", "Größe", "Müller", "und", "der", "Bürger", "👍🏽", "Paris", "über", "ß"]
PIECE = st.sampled_from([*WORDS, *EMOJI, *PUNCTUATION, *UMLAUTS, *SHARP_S, " ", "\n", "e\u0301"])
TEXT = st.lists(PIECE, min_size=1, max_size=60).map("".join)


@st.composite
def texts_with_spans(draw: st.DrawFn) -> tuple[str, list[Entity]]:
    text = draw(TEXT)
    spans = []
    for _ in range(draw(st.integers(0, 6))):
        start = draw(st.integers(0, len(text) - 1))
        end = draw(st.integers(start + 1, len(text)))
        spans.append(Entity(start=start, end=end, label="LOC", text=text[start:end]))
    return text, spans


@st.composite
def edited(draw: st.DrawFn, text: str) -> str:
    for _ in range(draw(st.integers(1, 3))):
        start = draw(st.integers(0, len(text)))
        end = draw(st.integers(start, min(len(text), start + 8)))
        text = text[:start] + draw(st.lists(PIECE, max_size=4).map("".join)) + text[end:]
    return text


@given(data=st.data())
def test_every_moved_span_still_covers_its_own_characters(data: st.DataObject) -> None:
    text, spans = data.draw(texts_with_spans())
    new_text = data.draw(edited(text))
    result = reanchor(text, new_text, spans)
    assert len(result.moved) + len(result.flagged) == len(spans)
    for span in result.moved:
        assert new_text[span.start : span.end] == span.text
    for span, why in result.flagged:
        assert span in spans
        assert repr(span.text) in why


@given(
    prefix=st.lists(st.sampled_from(WORDS), min_size=1, max_size=8).map(" ".join),
    edit=st.lists(st.sampled_from(["„neu“", "Korrektur", "ä", "🇺🇦"]), min_size=1, max_size=3).map(" ".join),
)
def test_a_span_before_or_after_a_single_edit_moves_with_it(prefix: str, edit: str) -> None:
    old = f"{prefix} | Emmanuel Macron | alt | Keir Starmer"
    new = f"{prefix} | Emmanuel Macron | {edit} | Keir Starmer"
    spans = [
        Entity(start=(s := old.index(name)), end=s + len(name), label="PER", text=name)
        for name in ("Emmanuel Macron", "Keir Starmer")
    ]
    result = reanchor(old, new, spans)
    assert not result.flagged
    assert [(new[e.start : e.end], e.start) for e in result.moved] == [
        ("Emmanuel Macron", new.index("Emmanuel Macron")),
        ("Keir Starmer", new.index("Keir Starmer")),
    ]


def test_a_corrected_seed_keeps_the_spans_the_correction_did_not_touch(tmp_path) -> None:
    for suffix in (".txt", ".meta.yaml"):
        shutil.copy(REPO / "corpus" / "raw" / f"{SEED_NAME}{suffix}", tmp_path)
    (before,) = [a for a in parse_file(tmp_path / f"{SEED_NAME}.txt", "seed.txt") if isinstance(a, Article)]
    names = ["Emmanuel Macron", "Keir Starmer", "Wolodymyr Selenskyj", "Donald Trump"]
    spans = [Entity(start=(s := before.text.index(n)), end=s + len(n), label="PER", text=n) for n in names]
    raw = tmp_path / f"{SEED_NAME}.txt"
    corrected = raw.read_text(encoding="utf-8").replace("Keir Starmer", "Keir Starmers", 1)
    raw.write_text(corrected.replace("35 Staats-", "fünfunddreißig Staats-", 1), encoding="utf-8")
    (after,) = [a for a in parse_file(raw, "seed.txt") if isinstance(a, Article)]
    result = reanchor(before.text, after.text, spans)
    assert [e.text for e in result.moved] == ["Emmanuel Macron", "Wolodymyr Selenskyj", "Donald Trump"]
    assert [span.text for span, _ in result.flagged] == ["Keir Starmer"]
    assert all(after.text[e.start : e.end] == e.text for e in result.moved)
    assert result.moved[-1].start != spans[-1].start  # moved by the longer number word


@given(data=st.data())
def test_a_gold_file_carried_to_a_corrected_text_keeps_its_topic_and_only_spans_that_fit(data: st.DataObject) -> None:
    text, spans = data.draw(texts_with_spans())
    new_text = data.draw(edited(text))
    unique = list(dict.fromkeys(spans))
    gold = GoldFile(
        article_id="a", text_sha256=sha256_text(text), entities=EntityGold(status="gold", spans=unique),
        topic=TopicGold(status="gold", label="Sport"),
    )  # fmt: skip
    carried, result = reanchor_gold(gold, text, new_text)
    assert carried.text_sha256 == sha256_text(new_text)
    assert carried.topic == gold.topic
    assert carried.entities is not None
    assert carried.entities.spans == result.moved
    assert all(new_text[e.start : e.end] == e.text for e in carried.entities.spans)
    # Every span touched leaves nothing to say "no names" with: then the layer awaits review.
    expected = "needs_review" if result.flagged and not result.moved else "gold"
    assert carried.entities.status == expected


def test_a_layer_that_is_not_gold_is_carried_as_it_is() -> None:
    pending = GoldFile(article_id="a", text_sha256=sha256_text("alt"), entities=EntityGold(status="needs_adjudication"))
    carried, result = reanchor_gold(pending, "alt", "neu")
    assert (carried.entities, carried.text_sha256, result.moved, result.flagged) == (
        pending.entities, sha256_text("neu"), [], [],
    )  # fmt: skip
