"""Real public gold through the whole pipeline: import, validate, build, publish, load_dataset, export."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest
from datasets import load_dataset

from newscorpus.core.report import Problem
from newscorpus.ingest.corpus import validate
from newscorpus.ingest.importers import import_file
from newscorpus.publish.folder import publish
from newscorpus.release.build import build
from tests.conftest import FIXTURES, SHARED_DATA
from tests.test_imports import germeval_sentences, run

pytestmark = pytest.mark.integration
GERMEVAL = SHARED_DATA / "germeval2014" / "NER-de-dev.tsv"
GNAD = SHARED_DATA / "10kgnad" / "test.csv"


def build_and_publish(corpus: Path, root: Path) -> Path:
    """Build release 1.0.0 and publish it into ``root``."""
    build(corpus, "1.0.0", processes=2)
    publish(corpus, "1.0.0", root / "published")
    return root / "published"


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("gold")
    corpus = root / "corpus"
    (corpus / "raw").mkdir(parents=True)
    import_file(corpus, "germeval2014", GERMEVAL, "validation")
    import_file(corpus, "10kgnad", GNAD, "test")
    return build_and_publish(corpus, root)


def test_germeval_dev_round_trip_is_exact_for_every_sentence(published: Path, tmp_path: Path) -> None:
    ner = load_dataset(str(published), "ner", cache_dir=str(tmp_path))["validation"]
    names = ner.features["ner_tags"].feature.int2str
    expected = germeval_sentences(GERMEVAL.read_bytes())
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


# --- the official files' quirks, and a file an editor touched, through the whole pipeline --------------------------

QUIRKS = FIXTURES / "germeval"
EDITED = "crlf-bom.tsv"
"""The fixture with inner spans outside their outer span, saved again with CRLF line ends and a byte order mark."""
WARNINGS = [
    ("comment-without-tab.tsv", 11, None),
    ("extra-empty-column.tsv", 15, None),
    *[(name, line, "inner tag") for name in ("inner-outside-outer.tsv", EDITED) for line in (7, 14, 28)],
    (EDITED, 1, None),  # its byte order mark
    (EDITED, 1, None),  # its CRLF line ends
]
"""Each warning of ``validate``: the file, line and field it names."""


@pytest.fixture(scope="module")
def quirky(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, bytes], list[Problem], Path]:
    """A corpus of the quirk fixtures, imported and validated; its files; the problems; the published folder."""
    root = tmp_path_factory.mktemp("quirks")
    corpus = root / "corpus"
    (corpus / "raw").mkdir(parents=True)
    files = {path.name: path.read_bytes() for path in sorted(QUIRKS.glob("*.tsv"))}
    files[EDITED] = b"\xef\xbb\xbf" + files["inner-outside-outer.tsv"].replace(b"\n", b"\r\n")
    for name, data in files.items():
        (root / name).write_bytes(data)
        import_file(corpus, "germeval2014", root / name, "test")
    problems = validate(corpus, processes=2).problems
    return corpus, files, problems, build_and_publish(corpus, root)


def test_quirky_files_validate_with_warnings_only(quirky) -> None:
    problems = quirky[2]
    assert {p.severity for p in problems} == {"warning"}
    found = [(p.file.removeprefix("raw/imports/germeval2014/"), p.line, p.field) for p in problems]
    assert Counter(found) == Counter(WARNINGS)


def test_quirky_files_load_with_exactly_the_files_tokens_and_tags(quirky, tmp_path: Path) -> None:
    _, files, _, published = quirky
    ner = load_dataset(str(published), "ner", cache_dir=str(tmp_path))["test"]
    names = ner.features["ner_tags"].feature.int2str
    rows = sorted(ner, key=lambda row: row["id"])
    for name, data in files.items():
        stem = name.removesuffix(".tsv")
        mine = [row for row in rows if row["article_id"].rsplit("-", 1)[0] == stem]
        got = [(row["tokens"], names(row["ner_tags"]), names(row["nested_ner_tags"])) for row in mine]
        assert got == germeval_sentences(data)
    assert len(rows) == sum(len(germeval_sentences(data)) for data in files.values())


def test_quirky_files_export_byte_for_byte(quirky, tmp_path: Path) -> None:
    corpus, files, _, _ = quirky
    for name, data in files.items():
        out = tmp_path / name
        result = run("export", "germeval2014", f"raw/imports/germeval2014/{name}", "--out", out, "--corpus", corpus)
        assert result.exit_code == 0, result.output
        assert out.read_bytes() == data
