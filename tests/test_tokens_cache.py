"""The token cache: keyed on everything sentences depend on, so a warm cache and a cold one give the same release."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import platformdirs
import pytest
from helpers import write_gold
from hypothesis import given, settings
from hypothesis import strategies as st

from newscorpus.derive import token_store, tokens
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


# --- the store: append-only segments, one per writing process -------------------------------------------------------

offsets = st.integers(min_value=0, max_value=2**40)
sentence_lists = st.lists(st.lists(st.tuples(offsets, offsets), max_size=8), max_size=6).map(token_store.Sentences.of)
WRITER = """
import sys
from pathlib import Path
from newscorpus.derive.token_store import Sentences
from newscorpus.derive.tokens import TokenCache
cache, first, count = TokenCache(Path(sys.argv[1])), int(sys.argv[2]), int(sys.argv[3])
for i in range(first, first + count):
    cache.store(f"{i:064x}", Sentences.of([[(i, i + 1), (i + 2, i + 70_000)], [(7, 9)]]))
"""


def key(i: int) -> str:
    """The hex cache key of entry ``i`` of these tests."""
    return f"{i:064x}"


def value(i: int) -> token_store.Sentences:
    """What ``WRITER`` stores under ``key(i)``."""
    return token_store.Sentences.of([[(i, i + 1), (i + 2, i + 70_000)], [(7, 9)]])


def fresh(folder: Path, monkeypatch: pytest.MonkeyPatch) -> tokens.TokenCache:
    """A cache on ``folder`` as a new process sees it: no store opened yet, the index read from disk."""
    monkeypatch.setattr(tokens, "_STORES", {})
    monkeypatch.setattr(tokens, "_UNUSABLE", set())
    return tokens.TokenCache(folder)


def segment_files(folder: Path) -> list[Path]:
    """The segment files of the cache in ``folder``."""
    return sorted((folder / token_store.FORMAT).iterdir())


@given(sentence_lists)
def test_encoding_gives_back_every_list_of_sentences(found: token_store.Sentences) -> None:
    assert token_store.decode(token_store.encode(found)) == found


def test_the_payload_layout_stays_what_warm_caches_hold() -> None:
    found = token_store.Sentences.of([[(0, 3), (4, 9)], [(10, 70_000)]])
    assert found.lengths.tolist() == [2, 1]
    assert (found.starts.tolist(), found.ends.tolist()) == ([0, 4, 10], [3, 9, 70_000])
    numbers = [2, 1, 0, 3, 4, 9, 10, 70_000]  # token counts, then each token's start and end
    assert token_store.encode(found) == b"I" + (2).to_bytes(4, "little") + b"".join(
        n.to_bytes(4, "little") for n in numbers
    )
    assert token_store.encode(token_store.Sentences.of([[(1, 2)]]))[5:] == b"\x01\x00\x01\x00\x02\x00"  # 16 bits
    with pytest.raises(ValueError, match="token counts"):
        token_store.decode(b"H" + (2).to_bytes(4, "little") + b"\x01\x00\x01\x00\x02\x00")
    with pytest.raises(ValueError):
        token_store.decode(b"H" + (1).to_bytes(4, "little") + b"\x01\x00\x01")  # a torn number


@settings(max_examples=25)
@given(st.lists(st.tuples(st.integers(0, 50), sentence_lists), max_size=12))
def test_the_last_value_read_back_is_the_first_stored(entries: list[tuple[int, token_store.Sentences]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        first = tokens.TokenCache(Path(tmp))
        for i, found in entries:
            first.store(key(i), found)
        expected = {key(i): found for i, found in reversed(entries)}  # a key stored twice keeps its first value
        tokens._STORES.clear()
        reader = tokens.TokenCache(Path(tmp))
        assert {k: reader.lookup(k) for k in expected} == expected
        assert reader.lookup(key(51)) is None
        assert (reader.hits, reader.misses) == (len(expected), 1)
        tokens._STORES.clear()


def test_two_processes_write_at_once_and_a_third_reads_both(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), str(first), "400"])
        for first in (0, 200)  # 200..399 by both: the same keys may be stored twice
    ]
    assert [w.wait(timeout=120) for w in writers] == [0, 0]
    assert len(segment_files(tmp_path)) == 4  # a .dat and an .idx each: no file shared
    reader = fresh(tmp_path, monkeypatch)
    assert all(reader.lookup(key(i)) == value(i) for i in range(600))
    assert reader.lookup(key(600)) is None


def test_a_cache_written_by_another_process_meanwhile_is_read_on_a_miss(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reader = fresh(tmp_path, monkeypatch)
    reader.store(key(1), value(1))  # opens the store: its index is read now
    subprocess.run([sys.executable, "-c", WRITER, str(tmp_path), "2", "1"], check=True)
    assert reader.lookup(key(2)) == value(2)
    assert reader.lookup(key(1)) == value(1)


def test_a_forked_child_writes_a_segment_of_its_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = fresh(tmp_path, monkeypatch)
    cache.store(key(1), value(1))
    pid = os.fork()
    if pid == 0:  # the child: as a build's worker, with the parent's store in memory
        try:
            pickle.loads(pickle.dumps(cache)).store(key(2), value(2))  # noqa: S301 (pickled right here)
        finally:
            os._exit(0)
    assert os.waitpid(pid, 0)[1] == 0
    cache.store(key(3), value(3))  # the parent's segment is still its own
    assert len(segment_files(tmp_path)) == 4
    reader = fresh(tmp_path, monkeypatch)
    assert [reader.lookup(key(i)) for i in (1, 2, 3)] == [value(1), value(2), value(3)]


def test_clearing_the_cache_folder_while_a_process_writes_starts_a_new_segment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = fresh(tmp_path, monkeypatch)
    cache.store(key(1), value(1))
    shutil.rmtree(tmp_path / token_store.FORMAT)
    assert cache.lookup(key(1)) is None
    cache.store(key(2), value(2))
    assert fresh(tmp_path, monkeypatch).lookup(key(2)) == value(2)


@settings(max_examples=60)
@given(st.data())
def test_a_torn_or_damaged_segment_reads_back_right_or_not_at_all(data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        writer = tokens.TokenCache(folder)
        for i in range(5):
            writer.store(key(i), value(i))
        tokens._STORES.clear()
        dat, idx = segment_files(folder)
        damage = data.draw(st.sampled_from(["truncate", "zero", "flip", "half-index"]))
        target = data.draw(st.sampled_from([dat, idx]))
        raw = bytearray(target.read_bytes())
        at = data.draw(st.integers(0, len(raw) - 1))
        if damage == "truncate":  # a crash or a power cut in the middle of a write
            del raw[at:]
        elif damage == "zero":  # a shared filesystem that shows a tail before its bytes
            raw[at:] = bytes(len(raw) - at)
        elif damage == "flip":
            raw[at] ^= 1 << data.draw(st.integers(0, 7))
        else:  # a reader that comes while the last index record is half written
            target, raw = idx, bytearray(idx.read_bytes()[: -token_store._INDEX.size // 2])
        target.write_bytes(bytes(raw))
        reader = tokens.TokenCache(folder)
        for i in range(5):
            assert reader.lookup(key(i)) in (value(i), None)
        assert reader.lookup(key(0)) == value(0) or damage != "half-index"
        tokens._STORES.clear()


def test_an_index_record_pointing_past_any_file_offset_is_a_miss(tmp_path: Path) -> None:
    """Found by the test above: a flipped top bit of an offset made the read raise instead of missing."""
    writer = tokens.TokenCache(tmp_path)
    writer.store(key(0), value(0))
    tokens._STORES.clear()
    _, idx = segment_files(tmp_path)
    raw = bytearray(idx.read_bytes())
    raw[32 + 7] |= 0x80  # the offset's most significant byte (little-endian, after the 32-byte key)
    idx.write_bytes(bytes(raw))
    assert tokens.TokenCache(tmp_path).lookup(key(0)) is None
    tokens._STORES.clear()


def test_an_old_cache_of_one_json_file_per_article_is_ignored(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    article = write_article(corpus, blocks=2)
    cache_key = tokens.cache_key(article)
    old = tmp_path / "tokens" / cache_key[:2] / f"{cache_key}.json"
    old.parent.mkdir(parents=True)
    old.write_text("[[[0, 1]]]", encoding="utf-8")  # as the old layout wrote it, and wrong on purpose
    cache = fresh(tmp_path / "tokens", monkeypatch)
    assert cache.get(article) is None
    assert tokens.cached_sentences(article, cache) == token_store.Sentences.of(
        tokens.sentences(article.text, [(b.start, b.end) for b in article.blocks], False)
    )


def test_a_cache_pickles_as_its_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = fresh(tmp_path, monkeypatch)
    cache.store(key(1), value(1))
    copy = pickle.loads(pickle.dumps(cache))  # noqa: S301 (pickled right here)
    assert copy.folder == tmp_path
    assert len(pickle.dumps(cache)) < 300  # no index, no descriptors travel with every job
    assert copy.lookup(key(1)) == value(1)


def test_a_cache_folder_that_cannot_be_used_is_warned_about_once_and_the_release_is_the_same(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A path that is a file (as a read-only disk or a cluster node without the folder): tokenised anew, not refused."""
    write_gold(corpus, write_article(corpus, blocks=2), [("Berlin", "LOC")])
    usable = release_bytes(corpus, tmp_path / "cache", monkeypatch)
    blocked = tmp_path / "a-file"
    blocked.write_bytes(b"")
    monkeypatch.setattr(tokens, "_STORES", {})
    monkeypatch.setattr(tokens, "_UNUSABLE", set())
    with pytest.warns(RuntimeWarning, match="NEWSCORPUS_CACHE") as told:
        unusable = release_bytes(corpus, blocked / "cache", monkeypatch)
    assert unusable == usable
    assert any(path.startswith("ner/") for path in unusable)
    assert [str(blocked / "cache" / "tokens") in str(w.message) for w in told if w.category is RuntimeWarning] == [True]


def test_a_write_that_fails_leaves_the_cache_unused_and_the_sentences_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = fresh(tmp_path / "cache", monkeypatch)
    assert cache.lookup(key(1)) is None

    def full(*_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(token_store.SegmentStore, "put", full)
    with pytest.warns(RuntimeWarning, match="No space left on device"):
        cache.store(key(1), value(1))
    assert cache.lookup(key(1)) is None  # unused from then on in this process: a miss, never an error
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and told once
        cache.store(key(2), value(2))
