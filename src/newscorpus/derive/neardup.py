"""Near-duplicate signatures of one article, made on the worker that parsed it: MinHash over word shingles.

One agency story runs on many sites with its own headline, teaser, caption or closing
paragraph there. An article's signature is a ``datasketch`` MinHash of the 5-word shingles
of its body (every block but kicker, headline, caption and credit, the parts each site
writes its own), reduced to what the driver needs: a few LSH band keys (ints), which find
candidate pairs with a dict lookup each, and a sketch of one byte per permutation (the low
byte of each minimum, a b-bit MinHash), which estimates the similarity of a candidate pair.
Neither holds text; ``release.clusters`` turns them into clusters.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from newscorpus.model.article import Article

if TYPE_CHECKING:
    from datasketch import MinHash

SHINGLE_WORDS = 5
"""Words per shingle: one changed word changes five shingles, two unrelated texts share almost none."""
PERMUTATIONS = 128
"""MinHash permutations: the sketch estimates a similarity of 0.5 within ±0.045 (one standard deviation)."""
DEFAULT_THRESHOLD = 0.5
"""Estimated Jaccard similarity from which two articles are near-duplicates (the README says how it was chosen)."""
ROWS = 2
"""Minimums per LSH band: two 32-bit minimums make one exact 64-bit key."""
BAND_RECALL = 0.99
"""The chance that a pair exactly at the threshold shares a band key, so that its similarity is estimated at all."""
OWN_TEXT = frozenset({"kicker", "headline", "caption", "credit"})
"""Block kinds each site writes its own: left out of the signature."""
_SEED = 1
_CODEPOINTS = 0x3000
"""Code points below this are word characters if ``str.isalnum`` says so (every Latin, Greek and Cyrillic letter);
those above (CJK, emoji) separate words, as German news has none there."""
_WORD_CHAR = np.array([chr(c).isalnum() for c in range(_CODEPOINTS)] + [False], dtype=bool)
_ALL = range(_CODEPOINTS)
_LOWER = np.array(
    [ord(low) if len(low := chr(c).lower()) == 1 and ord(low) < _CODEPOINTS else _CODEPOINTS for c in _ALL]
    + [_CODEPOINTS],
    dtype=np.uint32,
)
"""Each code point below ``_CODEPOINTS`` as ``str.lower`` makes it (one above: no word character), as a table:
a text is lowered with one lookup per code point instead of ``str.lower``, a fifth of a signature."""
_WORD_POINT = np.where(_WORD_CHAR[_LOWER], _LOWER, 0).astype(np.uint32)
"""``_LOWER``, with 0 for each code point that lowers to no word character (0 is none): the one lookup a text's
code points go through gives both its lowered letters and where its words are. Only a word's points are hashed."""
_CONTEXTUAL = (0x130, 0x3A3)
"""Where ``str.lower`` is no table: İ lowers to two code points, and Σ to σ or ς by what follows it."""
_BASE = 0x100000001B3  # odd, so it has an inverse modulo 2**64
_SHINGLE_BASE = np.uint64(0x9E3779B97F4A7C15)
_POWERS = 1 << 18
"""Code points whose powers are tabled once (4 MiB); texts are hashed together up to this length, a longer one alone."""
_BAND_SALT = np.uint64(0xD6E8FEB86659FD93)


@dataclass(frozen=True, slots=True)
class Signature:
    """What the driver needs of one article to cluster it: LSH band keys and a one-byte-per-permutation sketch.

    ``bands`` is empty for a text without a word: such an article is a cluster of its own.
    """

    bands: tuple[int, ...]
    sketch: bytes


def bands_for(threshold: float) -> int:
    """Return how many bands of ``ROWS`` minimums make a pair at ``threshold`` share one with ``BAND_RECALL``."""
    if not 0 < threshold <= 1:
        raise ValueError(f"a similarity threshold is above 0 and at most 1, not {threshold}")
    if threshold == 1:
        return 1
    bands = math.ceil(math.log(1 - BAND_RECALL) / math.log(1 - threshold**ROWS))
    return min(bands, PERMUTATIONS // ROWS)


def _powers(n: int) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
    """Return the first ``n`` powers of the base and of its inverse modulo 2**64."""
    with np.errstate(over="ignore"):
        ones = np.ones(1, dtype=np.uint64)
        base = np.cumprod(np.concatenate([ones, np.full(n - 1, _BASE, dtype=np.uint64)]), dtype=np.uint64)
        inverse = np.full(n - 1, pow(_BASE, -1, 1 << 64), dtype=np.uint64)
        return base, np.cumprod(np.concatenate([ones, inverse]), dtype=np.uint64)


@cache
def _table() -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
    return _powers(_POWERS)


def _lowers_below(point: int) -> bool:
    """Return whether a code point from ``_CODEPOINTS`` up lowers to one below it (a few Latin Extended-D letters)."""
    return any(ord(low) < _CODEPOINTS for low in chr(point).lower())


def _lowered(texts: Sequence[str]) -> tuple[npt.NDArray[np.uint32], list[int]]:
    """Return the code points of ``texts`` joined by newlines and lowercased (as ``str.lower``), and each text's length.

    A code point that is no word character once lowered comes back as 0 (see ``_WORD_POINT``). Texts
    that ``_LOWER`` cannot lower alone (see ``_CONTEXTUAL``) are lowered by ``str.lower`` first.
    """
    points = np.frombuffer("\n".join(texts).encode("utf-32-le"), dtype=np.uint32)
    clipped = np.minimum(points, _CODEPOINTS)
    high = points[points >= _CODEPOINTS].tolist()  # CJK, emoji: few in German news
    # Compared, not looked up: a lookup per code point costs ten times as much as a comparison.
    if any((clipped == point).any() for point in _CONTEXTUAL) or any(map(_lowers_below, set(high))):
        texts = [text.lower() for text in texts]  # which may change their lengths
        clipped = np.minimum(np.frombuffer("\n".join(texts).encode("utf-32-le"), dtype=np.uint32), _CODEPOINTS)
    return _WORD_POINT.take(clipped), [len(text) for text in texts]  # take: twice as fast as indexing


def _words(points: npt.NDArray[np.uint32]) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.uint64]]:
    """Return where each word of ``points`` (as ``_lowered`` gives them: 0 but in words) starts, and its hash.

    A word is a run of letters and digits. Vectorised, since hashing word by word in Python
    costs more than the whole MinHash: each word's hash is its code points as a polynomial, cut
    from one prefix sum over the text (weighted by inverse powers of the base, so a word hashes
    the same wherever it stands).
    """
    inside = np.zeros(len(points) + 2, dtype=bool)  # a non-word character on either side
    np.not_equal(points, 0, out=inside[1:-1])
    edges = np.flatnonzero(inside[1:] != inside[:-1])  # where words start and end, alternately
    starts, ends = edges[::2], edges[1::2]
    base, inverse = _table() if len(points) <= _POWERS else _powers(len(points))
    prefix = np.zeros(len(points) + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        np.cumsum(points * inverse[: len(points)], dtype=np.uint64, out=prefix[1:])
        return starts, (prefix[ends] - prefix[starts]) * base[starts]


def word_hashes(text: str) -> npt.NDArray[np.uint64]:
    """Return a 64-bit hash of each word of ``text`` (runs of letters and digits, lowercased), in order."""
    return _words(_lowered([text])[0])[1]


def _shingled(words: npt.NDArray[np.uint64], width: int) -> npt.NDArray[np.uint32]:
    """Return a 32-bit hash of each run of ``width`` words of ``words``."""
    runs = len(words) - width + 1
    with np.errstate(over="ignore"):
        shingles = words[:runs].copy()
        for offset in range(1, width):
            shingles = shingles * _SHINGLE_BASE + words[offset : offset + runs]
        return ((shingles ^ (shingles >> np.uint64(32))) & np.uint64(0xFFFFFFFF)).astype(np.uint32)


def _shingles_of_texts(texts: Sequence[str]) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.intp]]:
    """Return the shingle hashes of ``texts`` one text after another, and how many each text has.

    A text's shingles are its runs of ``SHINGLE_WORDS`` words; a shorter text is one shingle, a
    text without a word has none. The texts are hashed as one (joined by a newline, which is no
    word character), and a run that crosses from one text into the next is dropped.
    """
    points, lengths = _lowered(texts)
    text_starts = np.cumsum([0] + [length + 1 for length in lengths[:-1]])
    starts, words = _words(points)
    counts = np.bincount(np.searchsorted(text_starts, starts, side="right") - 1, minlength=len(texts))
    word_ends = np.cumsum(counts)
    per_text = np.maximum(counts - SHINGLE_WORDS + 1, 0)
    if len(words) >= SHINGLE_WORDS:
        runs = np.arange(len(words) - SHINGLE_WORDS + 1)
        inside = runs + SHINGLE_WORDS <= np.repeat(word_ends, counts)[: len(runs)]  # the run ends in its own text
        shingles = _shingled(words, SHINGLE_WORDS)[inside]
    else:
        shingles = np.empty(0, dtype=np.uint32)
    short = np.flatnonzero((counts > 0) & (counts < SHINGLE_WORDS))
    if len(short):
        # Rare (a caption-only article): each such text is one shingle of all its words, put where it belongs.
        whole = [_shingled(words[word_ends[n] - counts[n] : word_ends[n]], int(counts[n]))[0] for n in short]
        shingles = np.insert(shingles, np.cumsum(per_text)[short] - per_text[short], whole)
        per_text[short] = 1
    return shingles, per_text


def shingle_hashes(text: str) -> npt.NDArray[np.uint32]:
    """Return a 32-bit hash of each run of ``SHINGLE_WORDS`` words of ``text``; a shorter text is one shingle."""
    return _shingles_of_texts([text])[0]


def body(article: Article) -> str:
    """Return the text a signature is made of: every block but those each site writes its own (else the whole text)."""
    parts = [article.text[b.start : b.end] for b in article.blocks if b.kind not in OWN_TEXT]
    return "\n\n".join(parts) or article.text


@cache
def _permutations() -> npt.NDArray[np.uint32]:
    """Return datasketch's ``affine32`` permutations for ``_SEED``, drawn as its ``MinHash`` draws them.

    Drawn here, not taken from a ``MinHash``: importing datasketch imports scipy, 1.7 s in every
    worker process. A test holds them equal to datasketch's own.
    """
    draw = np.random.RandomState(_SEED)
    a = draw.randint(0, 1 << 31, PERMUTATIONS, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = draw.randint(0, 1 << 32, PERMUTATIONS, dtype=np.uint32)
    return np.array([a, b])


def minhash(text: str) -> MinHash:
    """Return the MinHash of the shingles of ``text`` (datasketch's ``affine32`` scheme): what ``minimums`` computes."""
    from datasketch import MinHash

    sketch = MinHash(num_perm=PERMUTATIONS, seed=_SEED, hashfunc=int, scheme="affine32")  # its own permutations
    sketch.update_batch(shingle_hashes(text).tolist())
    return sketch


_FMIX32 = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35), np.uint32(16))
_BLOCK = 4096
"""Shingles permuted at once, into one buffer of (permutations × block) values, 2 MiB."""


def _minimums_of_texts(texts: Sequence[str]) -> npt.NDArray[np.uint32]:
    """Return ``minimums`` of each text, one row per text, computed for runs of texts at once.

    datasketch's ``affine32`` scheme: each shingle hash goes through the MurmurHash3 finalizer,
    then through each permutation ``a * h + b`` modulo 2**32; a permutation's value is the least.
    Per text, numpy's call overheads cost more than the arithmetic, so texts are hashed together
    up to ``_POWERS`` code points, their shingles permuted a block at a time into one buffer, and
    each text's least values taken with one ``reduceat`` per block.
    """
    values = np.full((len(texts), PERMUTATIONS), 0xFFFFFFFF, dtype=np.uint32)  # no shingle: datasketch's empty
    ends = np.cumsum([len(text) + 1 for text in texts])
    first = 0
    while first < len(texts):
        last = max(int(np.searchsorted(ends, ends[first - 1] + _POWERS if first else _POWERS, side="right")), first + 1)
        _fill_minimums(texts[first:last], values[first:last])
        first = last
    return values


def _fill_minimums(texts: Sequence[str], values: npt.NDArray[np.uint32]) -> None:
    """Set the rows of ``values`` of the texts that have a shingle to their minimums (see ``_minimums_of_texts``)."""
    hashes, per_text = _shingles_of_texts(texts)
    s1, m1, s2, m2, s3 = _FMIX32
    with np.errstate(over="ignore"):
        hashes ^= hashes >> s1
        hashes *= m1
        hashes ^= hashes >> s2
        hashes *= m2
        hashes ^= hashes >> s3
        a, b = _permutations()
        bounds = np.concatenate([[0], np.cumsum(per_text)])
        # Flat, so that a block's rows are contiguous whatever its width: numpy's loops then run a third faster.
        buffer = np.empty(PERMUTATIONS * min(_BLOCK, len(hashes)), dtype=np.uint32)
        first = 0
        while first < len(texts):
            # The texts whose shingles fill a block; a text with more shingles than that is a block alone.
            last = max(int(np.searchsorted(bounds, bounds[first] + _BLOCK, side="right")) - 1, first + 1)
            lo, hi = bounds[first], bounds[last]
            room = buffer if hi - lo <= _BLOCK else np.empty(PERMUTATIONS * (hi - lo), dtype=np.uint32)
            permuted = room[: PERMUTATIONS * (hi - lo)].reshape(PERMUTATIONS, hi - lo)
            np.multiply(a[:, None], hashes[lo:hi], out=permuted)
            permuted += b[:, None]
            shingled = first + np.flatnonzero(per_text[first:last])
            if len(shingled):
                values[shingled] = np.minimum.reduceat(permuted, bounds[shingled] - lo, axis=1).T
            first = last


def minimums(text: str) -> npt.NDArray[np.uint32]:
    """Return the hash values of ``minhash(text)``, the same numbers computed without its per-shingle Python loop."""
    values: npt.NDArray[np.uint32] = _minimums_of_texts([text])[0]
    return values


@dataclass(frozen=True, slots=True)
class Signatures:
    """The signatures of a run of articles as columns: what one job sends the driver, at a few arrays per job.

    ``keys`` holds ``bands`` band keys per article (rows of ``empty`` articles, without a word, hold
    no key: such an article is a cluster of its own); ``sketches`` one byte per permutation.
    """

    keys: npt.NDArray[np.uint64]
    empty: npt.NDArray[np.bool_]
    sketches: npt.NDArray[np.uint8]

    def __len__(self) -> int:
        return len(self.empty)

    def __getitem__(self, article: int) -> Signature:
        bands = () if self.empty[article] else tuple(self.keys[article].tolist())
        return Signature(bands, self.sketches[article].tobytes())

    def take(self, articles: npt.NDArray[np.intp]) -> Signatures:
        """Return the signatures of ``articles`` (indices), in that order."""
        return Signatures(self.keys[articles], self.empty[articles], self.sketches[articles])

    @staticmethod
    def joined(runs: Sequence[Signatures]) -> Signatures:
        """Return the signatures of ``runs`` (at least one), one run after the other."""
        keys, empty, sketches = ([getattr(run, column) for run in runs] for column in ("keys", "empty", "sketches"))
        return Signatures(np.concatenate(keys), np.concatenate(empty), np.concatenate(sketches))


def signatures_of_texts(texts: Sequence[str], bands: int) -> Signatures:
    """Return the signatures of ``texts`` with ``bands`` LSH bands (see ``bands_for``), as columns."""
    values = _minimums_of_texts(texts)
    empty = ~(values != 0xFFFFFFFF).any(axis=1)  # no shingle (datasketch's ``is_empty``)
    # Two 32-bit minimums are one 64-bit key; the salt keeps equal minimums in different bands apart.
    pairs = np.ascontiguousarray(values[:, : bands * ROWS]).view(np.uint64)
    with np.errstate(over="ignore"):
        keys = pairs ^ (np.arange(1, bands + 1, dtype=np.uint64) * _BAND_SALT)
    return Signatures(keys, empty, (values & 0xFF).astype(np.uint8))


def signatures(articles: Sequence[Article], bands: int) -> Signatures:
    """Return the signatures of ``articles``' bodies: made on the worker that parsed them, sent as columns."""
    return signatures_of_texts([body(article) for article in articles], bands)


def signature_of_text(text: str, bands: int) -> Signature:
    """Return the signature of ``text`` with ``bands`` LSH bands (see ``bands_for``)."""
    return signatures_of_texts([text], bands)[0]


def signature(article: Article, bands: int) -> Signature:
    """Return the signature of ``article``'s body with ``bands`` LSH bands."""
    return signature_of_text(body(article), bands)


def similarities(a: npt.NDArray[np.uint8], b: npt.NDArray[np.uint8]) -> npt.NDArray[np.float64]:
    """Estimate the Jaccard similarity of each pair of articles from their sketches (rows of ``a`` and ``b``).

    Two different minimums agree in their low byte by chance once in 256 times; the estimate
    takes that out (Li and König's b-bit MinHash, as datasketch's ``bBitMinHash`` for a small set).
    """
    same = np.count_nonzero(a == b, axis=1) / a.shape[1]
    chance = 1 / 256
    estimates: npt.NDArray[np.float64] = np.maximum(0.0, (same - chance) / (1 - chance))
    return estimates


def similarity(a: bytes, b: bytes) -> float:
    """Estimate the Jaccard similarity of two articles from their sketches (one byte per permutation)."""
    return float(similarities(np.frombuffer(a, dtype=np.uint8)[None], np.frombuffer(b, dtype=np.uint8)[None])[0])
