"""Sentences and tokens, with character offsets: SoMaJo, cached by text, on every core.

SoMaJo is the reference tokenizer for German (EmpiriST 2015): it knows German
abbreviations, ordinals (``4. September``), dates, URLs and emoji, and gives
each token's character offsets. Being pure Python it is the slow step of a
build, so results are cached by ``text_sha256`` (and tokenizer version) and
misses run in a process pool. Each block is tokenised on its own, so a
sentence never crosses from the headline into the lead. A pretokenized text
(a GermEval import) keeps its own tokens: it is split at its single spaces.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

import platformdirs
from somajo import SoMaJo

from newscorpus.article import Article
from newscorpus.atomic import atomic_write_text

TOKENIZER = f"somajo-{version('somajo')}-de_CMC"
WINDOW = 128
Sentence = list[tuple[int, int]]


@cache  # one per process: SoMaJo compiles its patterns once
def _tokenizer() -> SoMaJo:
    return SoMaJo("de_CMC", split_camel_case=False, character_offsets=True)


def sentences(text: str, blocks: list[tuple[int, int]], pretokenized: bool) -> list[Sentence]:
    """Return the sentences of ``text`` as lists of ``(start, end)`` token offsets into it."""
    if pretokenized:
        offsets, start = [], 0
        for token in text.split(" "):
            offsets.append((start, start + len(token)))
            start += len(token) + 1
        return [offsets]
    out: list[Sentence] = []
    for block_start, block_end in blocks:
        for sentence in _tokenizer().tokenize_text([text[block_start:block_end]]):
            out.append([(block_start + t.character_offset[0], block_start + t.character_offset[1]) for t in sentence])
    return out


def _job(article: Article) -> tuple[str, list[tuple[int, int]], bool]:
    return article.text, [(b.start, b.end) for b in article.blocks], article.pretokenized


def _run(job: tuple[str, list[tuple[int, int]], bool]) -> list[Sentence]:
    return sentences(*job)


def default_cache_dir() -> Path:
    """Return ``$NEWSCORPUS_CACHE``, else the user's cache folder for newscorpus."""
    return Path(os.environ.get("NEWSCORPUS_CACHE") or platformdirs.user_cache_path("newscorpus")) / "tokens"


class TokenCache:
    """Sentences by text hash on disk: one small JSON file per text, written atomically."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder or default_cache_dir()
        self.hits = self.misses = 0

    def _path(self, article: Article) -> Path:
        key = hashlib.sha256(f"{TOKENIZER}\0{article.text_sha256}\0{article.pretokenized}".encode()).hexdigest()
        return self.folder / key[:2] / f"{key}.json"

    def get(self, article: Article) -> list[Sentence] | None:
        """Return the cached sentences of ``article``, or None."""
        try:
            data = json.loads(self._path(article).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.misses += 1
            return None
        self.hits += 1
        return [[(s, e) for s, e in sentence] for sentence in data]

    def put(self, article: Article, found: list[Sentence]) -> None:
        """Store the sentences of ``article``."""
        atomic_write_text(self._path(article), json.dumps(found, separators=(",", ":")))


def tokenize_all(
    items: Iterable[Any], cache: TokenCache, processes: int | None = None
) -> Iterator[tuple[Any, list[Sentence] | None]]:
    """Yield ``(item, sentences)`` in order; items that are not articles get None.

    Cache misses go to a process pool as they are read, and up to ``WINDOW`` per process are in
    flight, so the caller's own work (parsing, writing Arrow) overlaps the tokenising while memory
    stays flat however many items there are.
    """
    processes = processes or os.cpu_count() or 1
    if processes == 1:
        for item in items:
            yield item, _resolve(item, cache.get(item) if isinstance(item, Article) else None, cache)
        return
    with ProcessPoolExecutor(max_workers=processes) as pool:
        window: deque[tuple[Any, list[Sentence] | Future[list[Sentence]] | None]] = deque()
        for item in items:
            pending: list[Sentence] | Future[list[Sentence]] | None = None
            if isinstance(item, Article):
                pending = cache.get(item)
                if pending is None:
                    pending = pool.submit(_run, _job(item))
            window.append((item, pending))
            if len(window) > WINDOW * processes:
                head, found = window.popleft()
                yield head, _resolve(head, found, cache)
        while window:
            head, found = window.popleft()
            yield head, _resolve(head, found, cache)


def _resolve(
    item: Any, found: list[Sentence] | Future[list[Sentence]] | None, cache: TokenCache
) -> list[Sentence] | None:
    """Return an item's sentences: cached, computed by the pool, or computed here."""
    if not isinstance(item, Article):
        return None
    if isinstance(found, Future):
        found = found.result()
    elif found is None:
        found = _run(_job(item))
    else:
        return found
    cache.put(item, found)
    return found
