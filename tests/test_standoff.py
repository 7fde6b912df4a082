"""Stand-off publishing: texts that may not be shared are left out, and come back whole from the user's copies."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from datasets import load_dataset
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from newscorpus.cli import app
from newscorpus.ingest.corpus import iter_corpus
from newscorpus.model.article import Article
from newscorpus.publish.folder import publish, rehydrate
from newscorpus.release.build import build
from tests.conftest import REPO, SEED_NAME
from tests.helpers import write_gold

pytestmark = pytest.mark.integration


def make_corpus(root: Path, shareable: list[bool]) -> Path:
    """The seed (© dpa, not shareable, with gold spans) and one JSONL record per flag."""
    corpus = root / "corpus"
    (corpus / "raw").mkdir(parents=True)
    (corpus / "annotations").mkdir()
    for suffix in (".txt", ".meta.yaml"):
        shutil.copy(REPO / "corpus" / "raw" / f"{SEED_NAME}{suffix}", corpus / "raw")
    with (corpus / "raw" / "agentur.jsonl").open("w", encoding="utf-8") as handle:
        for i, ok in enumerate(shareable):
            record = {
                "url": f"https://example.org/meldung-{i}.html",
                "headline": f"Meldung {i}: Stau auf der A{i} bei Köln",
                "body": f"Die Polizei in Köln meldet {i} Kilometer Stau. „Fahren Sie vorsichtig“, sagt sie.",
                "license": "CC-BY-4.0" if ok else "LicenseRef-dpa-research-use",
                "redistributable": ok,
            }
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    seed = next(a for a in iter_corpus(corpus) if isinstance(a, Article) and a.id == SEED_NAME)
    write_gold(corpus, seed, [("Emmanuel Macron", "PER"), ("Paris", "LOC")])
    return corpus


def files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@settings(max_examples=6, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(shareable=st.lists(st.booleans(), max_size=4))
def test_standoff_then_rehydrate_is_the_full_publication_byte_for_byte(
    tmp_path_factory: pytest.TempPathFactory, shareable: list[bool]
) -> None:
    root = tmp_path_factory.mktemp("standoff")
    corpus = make_corpus(root, shareable)
    build(corpus, "1.0.0", processes=1)
    publish(corpus, "1.0.0", root / "full")
    publish(corpus, "1.0.0", root / "standoff", standoff=True)
    withheld = 1 + shareable.count(False)  # the seed is never shareable

    documents = pq.read_table(root / "standoff" / "data" / "documents").to_pylist()
    for row in documents:
        assert (row["text"] == "") == (not row["redistributable"])
        assert len(row["text_sha256"]) == 64
        if not row["redistributable"]:
            assert all(e["text"] == "" and e["end"] > e["start"] for e in row["entities"])
    ner = pq.read_table(root / "standoff" / "data" / "ner").to_pylist()
    assert ner, "the seed has entity gold, so it is in ner"
    assert all(token == "" for row in ner for token in row["tokens"])
    card = (root / "standoff" / "README.md").read_text(encoding="utf-8")
    assert f"## Stand-off: {withheld} texts withheld" in card
    assert "newscorpus rehydrate" in card

    result = rehydrate(root / "standoff", corpus / "raw", root / "back")
    assert result.complete
    assert len(result.filled) == withheld
    assert files(root / "back") == files(root / "full")


def test_a_stand_off_folder_loads_and_missing_or_wrong_copies_are_reported(tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path, [False, False, True])
    build(corpus, "1.0.0")
    publish(corpus, "1.0.0", tmp_path / "standoff", standoff=True)
    loaded = load_dataset(str(tmp_path / "standoff"), "documents", cache_dir=str(tmp_path / "hf"))
    assert sorted(row["text"] == "" for split in loaded.values() for row in split) == [False, True, True, True]

    copies = tmp_path / "copies"
    copies.mkdir()
    lines = (corpus / "raw" / "agentur.jsonl").read_text(encoding="utf-8").splitlines()
    first = json.loads(lines[0])
    first["body"] += " Nachtrag."  # another text than the published one
    second = json.loads(lines[1])
    del second["url"]  # no way to match it: its id comes from the URL
    second["id"] = "eine-andere-id"
    (copies / "meine.jsonl").write_text(
        json.dumps(first, ensure_ascii=False) + "\n" + json.dumps(second, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    runner = CliRunner()
    shown = runner.invoke(
        app, ["rehydrate", str(tmp_path / "standoff"), "--from", str(copies), "--out", str(tmp_path / "back"), "--json"]
    )
    assert shown.exit_code == 1
    report = json.loads(shown.output)
    assert report["complete"] is False
    assert report["filled"] == []
    by_url = {a.url: a.id for a in iter_corpus(corpus) if isinstance(a, Article)}
    assert [article_id for article_id, _ in report["mismatched"]] == [by_url[first["url"]]]
    assert SEED_NAME in report["missing"]
    back = load_dataset(str(tmp_path / "back"), "documents", cache_dir=str(tmp_path / "hf2"))
    assert sum(row["text"] == "" for split in back.values() for row in split) == 3


def test_matching_by_url_when_the_copy_has_another_id(tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path, [False])
    build(corpus, "1.0.0")
    publish(corpus, "1.0.0", tmp_path / "standoff", standoff=True)
    copies = tmp_path / "copies"
    copies.mkdir()
    record = json.loads((corpus / "raw" / "agentur.jsonl").read_text(encoding="utf-8"))
    record["id"] = "meine-eigene-id"
    (copies / "kopie.json").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    for suffix in (".txt", ".meta.yaml"):
        shutil.copy(corpus / "raw" / f"{SEED_NAME}{suffix}", copies)
    result = rehydrate(tmp_path / "standoff", copies, tmp_path / "back")
    assert result.complete
    assert len(result.filled) == 2


def test_a_copy_whose_name_is_not_utf8_is_read_and_named_with_its_bytes_escaped(tmp_path: Path) -> None:
    """An old archive's Latin-1 file name: the copy is matched by what it holds, and a message shows \\xNN."""
    corpus = make_corpus(tmp_path, [False, False])
    build(corpus, "1.0.0")
    publish(corpus, "1.0.0", tmp_path / "standoff", standoff=True)
    copies = tmp_path / "copies"
    copies.mkdir()
    first, second = (json.loads(line) for line in (corpus / "raw" / "agentur.jsonl").read_text("utf-8").splitlines())
    second["body"] += " Nachtrag."  # another text than the published one: reported with the file's name
    lines = "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in (first, second))
    (copies / os.fsdecode(b"Agentur-M\xfcnchen.jsonl")).write_text(lines, encoding="utf-8")
    result = rehydrate(tmp_path / "standoff", copies, tmp_path / "back")
    by_url = {a.url: a.id for a in iter_corpus(corpus) if isinstance(a, Article)}
    assert result.filled == [by_url[first["url"]]]
    assert result.mismatched == [
        (by_url[second["url"]], "Agentur-M\\xfcnchen.jsonl: its text is not the published one (its sha256 differs)")
    ]
    assert result.missing == [SEED_NAME]
