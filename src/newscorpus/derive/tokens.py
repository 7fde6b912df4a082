"""Sentences and tokens, with character offsets: SoMaJo, cached by text, on every core.

SoMaJo is the reference tokenizer for German (EmpiriST 2015): it knows German
abbreviations, ordinals (``4. September``), dates, URLs and emoji, and gives
each token's character offsets. Being pure Python it is the slow step of a
build, so results are cached, keyed on everything they depend on (see
``cache_key``), in append-only segments that every process and machine can write
at once (``newscorpus.derive.token_store``), and builds call it on every core (``newscorpus.core.pool``). Each
block is tokenised on its own, so a sentence never crosses from the headline
into the lead. A pretokenized text (a GermEval import) keeps its own tokens: it
is split at its single spaces.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

import platformdirs
from somajo import SoMaJo

from newscorpus.core.offsets import pretokenized_offsets
from newscorpus.derive.token_store import FORMAT, SegmentStore, Sentences, decode, encode
from newscorpus.derive.token_store import Sentence as Sentence  # the type of what ``sentences`` returns
from newscorpus.model.article import Article

SOMAJO_OPTIONS: dict[str, Any] = {"language": "de_CMC", "split_camel_case": False, "character_offsets": True}
TOKENIZER = json.dumps({"somajo": version("somajo"), **SOMAJO_OPTIONS, "sentences": 2}, sort_keys=True)
"""The tokenizer's version and options, and the version of ``sentences`` (raise it when its output changes):
part of every cache key, so a change of any of them is a miss, never a stale hit."""


@cache  # one per process: SoMaJo compiles its patterns once
def _tokenizer() -> SoMaJo:
    return SoMaJo(**SOMAJO_OPTIONS)


def sentences(text: str, blocks: list[tuple[int, int]], pretokenized: bool) -> list[Sentence]:
    """Return the sentences of ``text`` as lists of ``(start, end)`` token offsets into it."""
    if pretokenized:
        return [pretokenized_offsets(text.split(" "))]
    out: list[Sentence] = []
    for block_start, block_end in blocks:
        for sentence in _tokenizer().tokenize_text([text[block_start:block_end]]):
            out.append([(block_start + t.character_offset[0], block_start + t.character_offset[1]) for t in sentence])
    return out


def default_cache_dir() -> Path:
    """Return the token cache folder: ``tokens`` in ``$NEWSCORPUS_CACHE``, else in the user's cache folder."""
    return Path(os.environ.get("NEWSCORPUS_CACHE") or platformdirs.user_cache_path("newscorpus")) / "tokens"


def cache_key(article: Article) -> str:
    """Return the hex key of ``article``'s sentences: the hash of everything ``sentences`` depends on.

    That is the text (by its hash), the block boundaries (each block is tokenised on its own, so
    the same text in other blocks has other sentences), whether it is pretokenized, and the tokenizer.
    """
    blocks = ",".join(f"{b.start}-{b.end}" for b in article.blocks)
    key = f"{TOKENIZER}\0{article.text_sha256}\0{blocks}\0{article.pretokenized}"
    return hashlib.sha256(key.encode()).hexdigest()


class TokenCache:
    """Sentences on disk by ``cache_key``, in append-only segments (``newscorpus.derive.token_store``).

    Pickles as its folder alone: each process that unpickles it (a build's workers get it with every
    job) uses one store of its own per folder, opened at its first use, so the index is read once per
    process, not once per job, and a forked child never writes to its parent's segment.
    """

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder or default_cache_dir()
        self.hits = self.misses = 0

    def _store(self) -> SegmentStore | None:
        """Return this process's store of the folder; None, after one warning, where the folder cannot be used."""
        if self.folder in _UNUSABLE:
            return None
        store = _STORES.get(self.folder)  # by the folder itself: a path made anew per article costs more than the read
        if store is None or store.pid != os.getpid() or store.writes_to_missing_segment():
            if store is not None:
                store.close()  # in a forked child, its own copies of the parent's descriptors
            try:
                store = _STORES[self.folder] = SegmentStore(self.folder / FORMAT)
            except OSError as exc:
                self._unusable(exc)
                return None
        return store

    def _unusable(self, exc: OSError) -> None:
        # A cache only saves time: a folder that cannot be read or written (a path that is a file, a read-only
        # disk, a node of a cluster without the driver's folder) leaves the articles tokenised anew, not refused.
        _UNUSABLE.add(self.folder)
        warnings.warn(
            f"The token cache {self.folder} cannot be used ({exc.strerror or exc}); tokenising without it, "
            "which is slower. Set NEWSCORPUS_CACHE to a folder this process may write.",
            RuntimeWarning,
            stacklevel=3,
        )

    def lookup(self, key: str) -> Sentences | None:
        """Return the sentences stored under the hex ``key``, or None (also for an entry that does not check out)."""
        store, raw = self._store(), bytes.fromhex(key)
        if store is None:
            self.misses += 1
            return None
        payload = store.get(raw)
        if payload is None:  # perhaps another process stored it since this one read the index
            store.refresh()
            payload = store.get(raw)
        try:
            found = None if payload is None else decode(payload)
        except ValueError:
            found = None
        if found is None:
            self.misses += 1
        else:
            self.hits += 1
        return found

    def store(self, key: str, found: Sentences) -> None:
        """Store ``found`` under the hex ``key`` (nothing, where the folder cannot be used)."""
        if (store := self._store()) is None:
            return
        try:
            store.put(bytes.fromhex(key), encode(found))
        except OSError as exc:
            self._unusable(exc)

    def get(self, article: Article) -> Sentences | None:
        """Return the cached sentences of ``article``, or None."""
        return self.lookup(cache_key(article))

    def put(self, article: Article, found: Sentences) -> None:
        """Store the sentences of ``article``."""
        self.store(cache_key(article), found)


_STORES: dict[Path, SegmentStore] = {}
"""This process's store of each cache folder."""
_UNUSABLE: set[Path] = set()
"""The cache folders this process could not use, warned about once each."""


def cached_sentences(article: Article, cache: TokenCache) -> Sentences:
    """Return the sentences of ``article`` from ``cache``, tokenising (and caching) them on a miss."""
    found = cache.get(article)
    if found is None:
        found = Sentences.of(sentences(article.text, [(b.start, b.end) for b in article.blocks], article.pretokenized))
        cache.put(article, found)
    return found
