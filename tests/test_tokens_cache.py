"""The token cache: keyed on everything sentences depend on, so a warm cache and a cold one give the same release."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import platformdirs
import pytest
from helpers import write_gold

from newscorpus.derive import tokens
from newscorpus.ingest.corpus import iter_corpus
from newscorpus.model.article import Article
from newscorpus.release.build import build

HEADLINE = "Bundestag streitet über Schulden"  # no full stop: only the block boundary ends its sentence
PARAGRAPH = "Die Koalition will mehr Geld für Straßen in Berlin ausgeben."
URL = "https://www.example.de/politik/schulden.html"


def write_article(corpus: Path, *, blocks: int) -> Article:
    """Write one JSON article whose text is the same either way, in two blocks or in one; return it."""
    if blocks == 2:
        record = {"url": URL, "headline": HEADLINE, "body": PARAGRAPH}
    else:
        record = {"url": URL, "body": [{"kind": "paragraph", "text": f"{HEADLINE}\n\n{PARAGRAPH}"}]}
    (corpus / "raw" / "schulden.json").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    [article] = [a for a in iter_corpus(corpus) if isinstance(a, Article) and a.url == URL]
    assert len(article.blocks) == blocks
    return article


def release_bytes(corpus: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """Build release 1.0.0 with ``cache`` as the token cache; return its files and remove it again."""
    monkeypatch.setenv("NEWSCORPUS_CACHE", str(cache))
    result = build(corpus, "1.0.0", processes=1)
    files = {e.path: (result.path / e.path).read_bytes() for e in result.manifest.files}
    shutil.rmtree(result.path)
    return files


def test_the_same_text_in_other_blocks_gives_the_same_release_warm_or_cold(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    two = write_article(corpus, blocks=2)
    write_gold(corpus, two, [("Berlin", "LOC")])  # ner takes only articles with entity gold
    warm = tmp_path / "warm"
    release_bytes(corpus, warm, monkeypatch)  # fills the cache with the sentences of the two blocks

    one = write_article(corpus, blocks=1)
    assert one.text == two.text
    assert tokens.sentences(one.text, [(0, len(one.text))], False) != tokens.sentences(
        two.text, [(b.start, b.end) for b in two.blocks], False
    )  # else this test could not tell the caches apart
    with_warm_cache = release_bytes(corpus, warm, monkeypatch)
    with_cold_cache = release_bytes(corpus, tmp_path / "cold", monkeypatch)
    assert with_warm_cache == with_cold_cache
    assert any(path.startswith("ner/") for path in with_cold_cache)


def test_the_key_changes_with_blocks_pretokenized_and_tokenizer(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    two = write_article(corpus, blocks=2)
    one = write_article(corpus, blocks=1)
    assert tokens.cache_key(two) == tokens.cache_key(two.model_copy())
    assert tokens.cache_key(one) != tokens.cache_key(two)
    flat = one.model_copy(update={"pretokenized": True})  # model_copy does not validate: only the key is asked
    assert tokens.cache_key(flat) != tokens.cache_key(one)
    key = tokens.cache_key(one)
    monkeypatch.setattr(tokens, "TOKENIZER", tokens.TOKENIZER.replace("false", "true"))
    assert tokens.cache_key(one) != key


def test_tests_never_touch_the_users_cache(token_cache: Path) -> None:
    folder = tokens.default_cache_dir()
    assert folder == token_cache / "tokens"
    assert not folder.is_relative_to(platformdirs.user_cache_path("newscorpus"))
