"""Entries of raw/ that give nothing to read: each is reported with its reason, and the others still go on."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from newscorpus.core.codes import Code
from newscorpus.core.errors import ReleaseError
from newscorpus.core.report import Problem
from newscorpus.ingest.corpus import iter_corpus, validate
from newscorpus.ingest.listing import Listing
from newscorpus.model.article import Article
from newscorpus.release.build import build


def _record(n: int) -> str:
    return json.dumps({"id": f"meldung-{n}", "headline": "Meldung", "body": f"Ein Satz über Köln, Nummer {n}."})


def _unreadable(problems: list[Problem]) -> dict[str, str]:
    return {p.file: p.message for p in problems if p.code == Code.RAW_UNREADABLE}


def test_links_and_pipes_in_raw_are_reported_not_skipped(corpus: Path, tmp_path: Path) -> None:
    raw = corpus / "raw"
    (raw / "kaputt.txt").symlink_to(tmp_path / "gibt-es-nicht.txt")
    folder = tmp_path / "woanders"
    folder.mkdir()
    (folder / "a.json").write_text(_record(1), encoding="utf-8")
    (raw / "ordner").symlink_to(folder)
    os.mkfifo(raw / "rohr.txt")
    (raw / "gut.json").write_text(_record(2), encoding="utf-8")

    report = validate(corpus, processes=1)

    found = _unreadable(report.problems)
    assert set(found) == {"raw/kaputt.txt", "raw/ordner", "raw/rohr.txt"}
    assert str(tmp_path / "gibt-es-nicht.txt") in found["raw/kaputt.txt"]
    assert "not followed" in found["raw/ordner"]
    assert "pipe" in found["raw/rohr.txt"]
    assert all(p.severity == "error" for p in report.problems if p.code == Code.RAW_UNREADABLE)
    assert report.articles_valid == 2  # the seed and gut.json: nothing else was hidden by them


def test_a_build_lists_unreadable_entries_among_the_rejected(corpus: Path, tmp_path: Path) -> None:
    (corpus / "raw" / "kaputt.json").symlink_to(tmp_path / "weg.json")
    result = build(corpus, "1.0.0", skip_invalid=True, processes=1)
    assert "raw/kaputt.json" in _unreadable(result.manifest.rejected)
    assert all(entry.path != "raw/kaputt.json" for entry in result.manifest.inputs)  # no bytes to hash
    assert result.manifest.statistics.articles == 1


@pytest.mark.parametrize("name", ["weg.json", "weg.jsonl", "weg.txt"])
def test_a_file_gone_between_listing_and_reading_is_reported(corpus: Path, name: str) -> None:
    """A file removed while a command runs is one problem, not a crash that hides every other result."""
    path = corpus / "raw" / name
    path.write_text(f"{_record(3)}\n", encoding="utf-8")  # gone before it is read: what it holds never matters
    listing = Listing.of(corpus)
    path.unlink()

    items = list(iter_corpus(corpus, listing=listing))

    problems = [item for item in items if isinstance(item, Problem)]
    assert [(p.file, p.code) for p in problems] == [(f"raw/{name}", Code.RAW_UNREADABLE)]
    assert "No such file" in problems[0].message
    assert sum(isinstance(item, Article) for item in items) == 1  # the seed


def test_a_file_gone_before_it_is_hashed_fails_the_build_clearly(corpus: Path) -> None:
    """Read, then gone before the release records its hash: nothing is released, and the message says which."""
    extra = corpus / "raw" / "spaet.json"
    extra.write_text(_record(5), encoding="utf-8")
    files = len(Listing.of(corpus).article_files())
    read = 0

    def on_file() -> None:
        nonlocal read
        read += 1
        if read == files:  # every file is read: the hashes come next
            extra.unlink()

    with pytest.raises(ReleaseError, match=r"raw/spaet\.json could not be read to hash it"):
        build(corpus, "1.0.0", on_file=on_file, processes=1)
    assert not (corpus / "releases" / "1.0.0").exists()


@pytest.mark.parametrize("processes", [1, 2])
def test_a_file_without_records_is_told_once(corpus: Path, processes: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """An empty JSONL file, one of blank lines cut into several ranges, an empty array: one warning each."""
    from newscorpus.ingest import pieces

    monkeypatch.setattr(pieces, "MIN_RANGE_BYTES", 64)  # the blank file is read in several parts
    raw = corpus / "raw"
    (raw / "leer.jsonl").write_bytes(b"")
    (raw / "blank.jsonl").write_text("\n" * 50 + "   \r\n" * 50, encoding="utf-8")
    (raw / "liste.json").write_text("[]", encoding="utf-8")
    (raw / "gut.jsonl").write_text(_record(6) + "\n", encoding="utf-8")

    report = validate(corpus, processes=processes)

    empty = sorted((p.file, p.severity) for p in report.problems if p.code == Code.RAW_EMPTY)
    assert empty == [(f"raw/{name}", "warning") for name in ("blank.jsonl", "leer.jsonl", "liste.json")]
    assert report.articles_valid == 2
    assert report.valid


def test_a_file_whose_name_is_not_utf8_is_reported_with_its_bytes_shown_not_a_crash(corpus: Path) -> None:
    """Latin-1 names from an old archive (ö, ü as one byte), in a folder of such a name too: each reported."""
    (corpus / "raw" / os.fsdecode(b"M\xfcnchen")).mkdir()  # the bytes on disk: the str has surrogates for them
    for n, name in enumerate((b"K\xf6ln.json", b"M\xfcnchen/a.json")):
        (corpus / "raw" / os.fsdecode(name)).write_bytes(_record(10 + n).encode())
    (corpus / "raw" / "gut.json").write_text(_record(7), encoding="utf-8")

    report = validate(corpus, processes=1)

    found = _unreadable(report.problems)
    assert set(found) == {"raw/K\\xf6ln.json", "raw/M\\xfcnchen/a.json"}
    assert all("not UTF-8" in message for message in found.values())
    assert report.articles_valid == 2  # the seed and gut.json
    json.loads(report.model_dump_json())  # a report with these names is valid JSON, as --json prints it

    result = build(corpus, "1.0.0", skip_invalid=True, processes=1)
    assert set(_unreadable(result.manifest.rejected)) == set(found)
    paths = {entry.path for entry in result.manifest.inputs}
    assert paths.isdisjoint({*found, "raw/K\udcf6ln.json", "raw/M\udcfcnchen/a.json"})  # no name to record
    assert result.manifest.statistics.articles == 2
