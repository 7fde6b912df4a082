"""Real public gold through the whole pipeline: import, build, publish, load_dataset."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest
from datasets import load_dataset

from newscorpus.importers import import_file
from newscorpus.publish import publish
from newscorpus.release import build
from tests.conftest import SHARED_DATA

pytestmark = pytest.mark.integration
GERMEVAL = SHARED_DATA / "germeval2014" / "NER-de-dev.tsv"
GNAD = SHARED_DATA / "10kgnad" / "test.csv"


def germeval_sentences(path: Path) -> list[tuple[list[str], list[str], list[str]]]:
    """The file's sentences as (tokens, outer tags, inner tags), read independently of the importer."""
    sentences, current = [], None
    for line in path.read_text(encoding="utf-8").split("\n"):
        if line.startswith("#"):
            current = ([], [], [])
            sentences.append(current)
        elif line:
            _, token, outer, inner = line.split("\t")
            for column, value in zip(current, (token, outer, inner), strict=True):
                column.append(value)
    return sentences


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("gold")
    corpus = root / "corpus"
    (corpus / "raw").mkdir(parents=True)
    import_file(corpus, "germeval2014", GERMEVAL, "validation")
    import_file(corpus, "10kgnad", GNAD, "test")
    build(corpus, "1.0.0")
    publish(corpus, "1.0.0", root / "published")
    return root / "published"


def test_germeval_dev_round_trip_is_exact_for_every_sentence(published: Path, tmp_path: Path) -> None:
    ner = load_dataset(str(published), "ner", cache_dir=str(tmp_path))["validation"]
    names = ner.features["ner_tags"].feature.int2str
    expected = germeval_sentences(GERMEVAL)
    assert len(expected) == len(ner) == 2200
    for row, (tokens, outer, inner) in zip(ner, expected, strict=True):
        assert row["tokens"] == tokens
        assert names(row["ner_tags"]) == outer
        assert names(row["nested_ner_tags"]) == inner
    assert sum(len(t) for t, _, _ in expected) == 41_653


def test_10kgnad_label_counts_survive_publishing(published: Path, tmp_path: Path) -> None:
    with GNAD.open(encoding="utf-8", newline="") as handle:
        expected = Counter(row[0] for row in csv.reader(handle, delimiter=";", quotechar="'") if row)
    topics = load_dataset(str(published), "topics", cache_dir=str(tmp_path))
    assert list(topics) == ["test"]
    label = topics["test"].features["label"]
    assert label.names == sorted(expected)
    assert Counter(map(label.int2str, topics["test"]["label"])) == expected
    documents = load_dataset(str(published), "documents", cache_dir=str(tmp_path))["test"]
    assert all(row["license"] == "CC-BY-NC-SA-4.0" and row["source"] == "DER STANDARD" for row in documents)


def test_card_lists_every_licence_with_counts(published: Path) -> None:
    card = (published / "README.md").read_text(encoding="utf-8")
    assert "mixes licences" in card
    assert "| CC-BY-4.0 | 2200 |" in card
    assert "| CC-BY-NC-SA-4.0 | 1028 |" in card
