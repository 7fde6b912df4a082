"""Near-duplicate signatures (derive.neardup): word and shingle hashes, what a signature reads, the threshold."""

from __future__ import annotations

import csv
import re
import string
from functools import cache

import numpy as np
import pytest
from datasketch import bBitMinHash
from hypothesis import example, given, settings
from hypothesis import strategies as st

from newscorpus.derive import neardup
from newscorpus.derive.neardup import (
    BAND_RECALL,
    DEFAULT_THRESHOLD,
    PERMUTATIONS,
    ROWS,
    SHINGLE_WORDS,
    Signature,
    Signatures,
    bands_for,
    minhash,
    minimums,
    shingle_hashes,
    signature,
    signature_of_text,
    signatures_of_texts,
    similarity,
    word_hashes,
)
from newscorpus.ingest.make import make_article
from newscorpus.model.article import Article
from newscorpus.release.clusters import Clusters
from tests.conftest import SHARED_DATA
from tests.strategies import any_text, german_text

WORD = st.text(st.sampled_from(string.ascii_letters + string.digits + "äöüÄÖÜßéèàçñ"), min_size=1, max_size=12)
_SENTENCE = re.compile(r"(?<=[a-zäöüß0-9)\"“”%][.!?])\s+(?=[A-ZÄÖÜ„\"])")


@cache
def gnad() -> list[tuple[str, str]]:
    """The 10kGNAD test texts, whitespace collapsed, with their topics."""
    with (SHARED_DATA / "10kgnad" / "test.csv").open(encoding="utf-8", newline="") as handle:
        return [(row[0], " ".join(row[1].split())) for row in csv.reader(handle, delimiter=";", quotechar="'")]


def article(parts: list[tuple[str, str]], article_id: str) -> Article:
    made = make_article(
        parts=parts,
        metadata={"id": article_id},
        raw_file=f"raw/{article_id}.json",
        raw_sha256="0" * 64,
        encoding="utf-8",
        fallback_id=None,
    )
    assert isinstance(made, Article), made
    return made


def clustered(*signed: Signature) -> list[int]:
    """Add one article per job, each with its signature, and return the roots."""
    clusters = Clusters()
    for s in signed:
        keys = np.array([s.bands or (0,) * len(signed[0].bands)], dtype=np.uint64)
        sketch = np.frombuffer(s.sketch, dtype=np.uint8)[None]
        clusters.add(Signatures(keys, np.array([not s.bands]), sketch))
    return clusters.roots().tolist()


@given(st.lists(WORD, min_size=1, max_size=30), st.sampled_from([" ", "\n\n", " – ", ", „", "“. "]))
def test_a_word_hashes_the_same_wherever_it_stands_and_whatever_its_case(words: list[str], gap: str) -> None:
    text = gap.join(words)
    assert word_hashes(text).tolist() == [word_hashes(w.lower())[0] for w in words]
    assert word_hashes(text.replace("ß", "ss").upper()).tolist() == word_hashes(text.replace("ß", "ss")).tolist()


@given(st.lists(WORD, min_size=0, max_size=20), st.lists(WORD, max_size=8), st.lists(WORD, max_size=8))
def test_text_around_a_text_adds_shingles_and_keeps_its_own(
    words: list[str], before: list[str], after: list[str]
) -> None:
    own = shingle_hashes(" ".join(words)).tolist()
    around = shingle_hashes(" ".join(before + words + after)).tolist()
    if len(words) >= SHINGLE_WORDS:
        assert set(own) <= set(around)
    assert len(own) == (0 if not words else max(1, len(words) - SHINGLE_WORDS + 1))


@given(st.floats(0.05, 1.0))
def test_bands_find_a_pair_at_the_threshold_with_the_promised_recall(threshold: float) -> None:
    bands = bands_for(threshold)
    assert 1 <= bands <= PERMUTATIONS // ROWS
    if bands < PERMUTATIONS // ROWS:
        assert 1 - (1 - threshold**ROWS) ** bands >= BAND_RECALL
        assert bands_for(min(1.0, threshold + 0.05)) <= bands


@given(st.integers(0, 1027), st.integers(0, 1027), st.floats(0.1, 1.0))
def test_the_sketch_estimates_as_datasketch_s_b_bit_minhash_does(first: int, second: int, cut: float) -> None:
    a = gnad()[first][1]
    b = gnad()[second][1][: int(len(gnad()[second][1]) * cut)] + " " + a[: int(len(a) * cut)]
    expected = bBitMinHash(minhash(a), 8).jaccard(bBitMinHash(minhash(b), 8))
    bands = bands_for(DEFAULT_THRESHOLD)
    assert similarity(signature_of_text(a, bands).sketch, signature_of_text(b, bands).sketch) == pytest.approx(
        max(0.0, expected)
    )


def test_a_threshold_outside_0_to_1_is_refused() -> None:
    with pytest.raises(ValueError, match="at most 1"):
        bands_for(1.5)


@given(st.integers(0, 1027), german_text(min_tokens=1, max_tokens=12), german_text(min_tokens=1, max_tokens=12))
def test_a_copy_with_another_headline_kicker_and_caption_clusters(row: int, headline: str, caption: str) -> None:
    body = gnad()[row][1]
    original = article([("headline", "Koalition ringt um Hilfe"), ("paragraph", body)], "original")
    copy = article(
        [("kicker", "Eilmeldung"), ("headline", headline), ("caption", caption), ("paragraph", body)], "copy"
    )
    bands = bands_for(DEFAULT_THRESHOLD)
    assert signature(copy, bands) == signature(original, bands)
    assert clustered(signature(original, bands), signature(copy, bands)) == [0, 0]


def test_a_text_without_a_word_has_no_band_and_stays_alone() -> None:
    empty = signature_of_text("– … –", bands_for(DEFAULT_THRESHOLD))
    assert empty.bands == ()
    assert clustered(empty, empty) == [0, 1]


def test_on_real_10kgnad_texts_agency_copies_cluster_and_distinct_articles_do_not() -> None:
    """The default threshold, on the 1,028 texts of the 10kGNAD test file (9 topics) and copies of them.

    A copy gets another headline (as a first sentence: 10kGNAD keeps none), and either another
    teaser or another closing paragraph (the last 15 % of its sentences, from another article).
    A copy whose similarity is right at the threshold may be estimated below it, so a few of
    them may stay apart (README: 99.7 % and 98.3 % of all such copies cluster).
    """
    texts = [text for _, text in gnad()]
    bands = bands_for(DEFAULT_THRESHOLD)
    originals = [signature_of_text(text, bands) for text in texts]
    assert clustered(*originals) == list(range(len(texts)))  # no two distinct articles, whatever their topic
    headline = "Was andere Portale heute über die Meldung schreiben"
    found: dict[str, list[bool]] = {"teaser": [], "closing": []}
    for n, text in enumerate(texts[:300]):
        sentences, other = _SENTENCE.split(text), _SENTENCE.split(texts[-1 - n])
        if len(sentences) < 4:
            continue
        closing = round(len(sentences) * 0.15) or 1
        copies = {
            "teaser": " ".join([headline, other[0], *sentences[1:]]),
            "closing": " ".join([headline, *sentences[:-closing], *other[-closing:]]),
        }
        for kind, copy in copies.items():
            found[kind].append(clustered(originals[n], signature_of_text(copy, bands)) == [0, 0])
    assert len(found["teaser"]) > 250
    assert sum(found["teaser"]) / len(found["teaser"]) >= 0.98
    assert sum(found["closing"]) / len(found["closing"]) >= 0.96


@given(st.one_of(german_text(), st.lists(WORD, max_size=40).map(" ".join)))
def test_the_minimums_are_datasketch_s_affine32_minhash(text: str) -> None:
    """The signature skips datasketch's per-shingle Python loop: the numbers must stay exactly its own."""
    assert minimums(text).tolist() == minhash(text).hashvalues.tolist()
    assert minimums(text).dtype == minhash(text).hashvalues.dtype


@given(
    st.lists(st.one_of(any_text(), st.lists(WORD, max_size=12).map(" ".join)), max_size=12),
    st.integers(8, 200),
    st.integers(1, 64),
)
@settings(deadline=None)
def test_texts_signed_together_get_the_signatures_each_gets_alone(texts: list[str], together: int, block: int) -> None:
    """A job signs its texts at once: no shingle may run from one text into the next, whatever the batch sizes."""
    bands = bands_for(DEFAULT_THRESHOLD)
    alone = [signature_of_text(text, bands) for text in texts]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(neardup, "_POWERS", together)  # code points hashed at once (the table stays the longer one)
        patch.setattr(neardup, "_BLOCK", block)  # shingles permuted at once
        signed = signatures_of_texts(texts, bands)
    assert [signed[n] for n in range(len(texts))] == alone


def _reference_word_hashes(text: str) -> list[int]:
    """Word hashes by their definition, in plain Python: runs of letters and digits below U+3000 of ``str.lower``."""
    words, word = [], ""
    for char in text.lower() + " ":
        if char < "\u3000" and char.isalnum():
            word += char
        elif word:
            words.append(word)
            word = ""
    inverse = pow(0x100000001B3, -1, 1 << 64)
    return [sum(ord(c) * pow(inverse, j, 1 << 64) for j, c in enumerate(w)) % (1 << 64) for w in words]


# Letters str.lower treats specially (İ, Σ/ς, Latin Extended-D capitals that lower below U+3000, Cherokee that
# lowers above it), and what German news holds (umlauts, ß, ẞ, quotes, emoji, CJK space).
_TRICKY = "aAäÄöÖüÜßẞİiΣσςΑΒ ꞍꞪꭰᎠ\u3000😀„“-.\n0123"


@given(st.lists(st.text(st.sampled_from(_TRICKY), max_size=30), max_size=5), any_text())
@example(["ΟΔΟΣ ΑΘΗΝΑΣ", "İstanbul"], "")  # a final Σ lowers to ς, İ to two code points: neither is in the table
def test_word_hashes_are_those_of_str_lower_whatever_the_letters(texts: list[str], other: str) -> None:
    """Lowering is a table lookup but for what it cannot express: the words must be those of ``str.lower``."""
    for text in [*texts, other]:
        assert word_hashes(text).tolist() == _reference_word_hashes(text)
    bands = bands_for(DEFAULT_THRESHOLD)
    assert [signatures_of_texts([*texts, other], bands)[n] for n in range(len(texts) + 1)] == [
        signature_of_text(text, bands) for text in [*texts, other]
    ]
