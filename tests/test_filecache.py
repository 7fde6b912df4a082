"""The cache of read files: a build from it is the same build, and every change to what a file depends on is seen."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from helpers import add_json_articles, write_gold

import newscorpus.corpus
from newscorpus.article import Article
from newscorpus.corpus import iter_corpus, read_raw_file
from newscorpus.release import build


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("NEWSCORPUS_CACHE", str(folder))
    return folder


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The raw files parsed in this process from now on."""
    names: list[str] = []

    def counting(corpus: Path, name: str):
        names.append(name)
        return read_raw_file(corpus, name)

    monkeypatch.setattr(newscorpus.corpus, "read_raw_file", counting)
    return names


def release_bytes(corpus: Path, version: str) -> dict[str, bytes]:
    folder = corpus / "releases" / version
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_build_from_the_cache_is_the_same_build(corpus: Path, cache: Path, parsed: list[str]) -> None:
    add_json_articles(corpus, 3)  # a multi-record file: read every time, never cached
    build(corpus, "1.0.0", processes=1)
    assert parsed.count("raw/koalition-der-willigen-paris.txt") == 1
    assert list((cache / "files").rglob("*.pickle"))
    first = release_bytes(corpus, "1.0.0")
    shutil.rmtree(corpus / "releases")
    parsed.clear()
    build(corpus, "1.0.0", processes=1)
    assert parsed == ["raw/bulk.jsonl"]
    assert release_bytes(corpus, "1.0.0") == first
    shutil.rmtree(corpus / "releases")
    build(corpus, "1.0.0", processes=2)  # the workers read the same entries
    assert release_bytes(corpus, "1.0.0") == first


def test_changed_gold_sidecar_or_text_is_read_again(corpus: Path, cache: Path, parsed: list[str]) -> None:
    raw = corpus / "raw" / "koalition-der-willigen-paris.txt"
    build(corpus, "1.0.0", processes=1)
    article = next(a for a in iter_corpus(corpus) if isinstance(a, Article))

    write_gold(corpus, article, [("Paris", "LOC")])
    assert build(corpus, "1.1.0", processes=1).manifest.statistics.entities == {"LOC": 1}

    sidecar = raw.with_name("koalition-der-willigen-paris.meta.yaml")
    sidecar.write_text(sidecar.read_text(encoding="utf-8").replace("t-online", "T-Online"), encoding="utf-8")
    parsed.clear()
    built = build(corpus, "1.2.0", processes=1)
    assert parsed == [f"raw/{raw.name}"]
    assert next(a for a in iter_corpus(corpus) if isinstance(a, Article)).source == "T-Online"

    raw.write_text(raw.read_text(encoding="utf-8").replace("Macron", "Merz"), encoding="utf-8")
    parsed.clear()
    changed = build(corpus, "1.3.0", processes=1, skip_invalid=True).manifest
    assert parsed == [f"raw/{raw.name}"]
    assert changed.statistics.entities == {}  # the gold was made on the old text: stale, kept out
    assert any("stale" in p.message for p in changed.rejected)
    assert built.manifest.inputs_sha256 != changed.inputs_sha256


def test_a_torn_cache_entry_is_a_miss(corpus: Path, cache: Path, parsed: list[str]) -> None:
    build(corpus, "1.0.0", processes=1)
    first = release_bytes(corpus, "1.0.0")
    for entry in (cache / "files").rglob("*.pickle"):
        entry.write_bytes(entry.read_bytes()[:10])
    shutil.rmtree(corpus / "releases")
    parsed.clear()
    build(corpus, "1.0.0", processes=1)
    assert parsed == ["raw/koalition-der-willigen-paris.txt"]
    assert release_bytes(corpus, "1.0.0") == first
