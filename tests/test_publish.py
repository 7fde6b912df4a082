from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
import yaml
from datasets import ClassLabel, load_dataset

from newscorpus.core.errors import ReleaseError
from newscorpus.ingest.corpus import iter_corpus
from newscorpus.model.labels import label_sets
from newscorpus.publish.card import card_data
from newscorpus.publish.folder import publish
from newscorpus.publish.summary import summarize
from newscorpus.release.build import build
from newscorpus.release.manifest import MANIFEST
from newscorpus.release.schema import schema_version
from tests.conftest import REPO
from tests.helpers import add_json_articles, write_gold


@pytest.fixture
def gold_corpus(corpus: Path) -> Path:
    article = next(a for a in iter_corpus(corpus) if hasattr(a, "text"))
    write_gold(corpus, article, [("Emmanuel Macron", "PER"), ("Nato-Staaten", "ORGpart"), ("Pariser", "LOCderiv")])
    return corpus


def card_yaml(folder: Path) -> dict:
    text = (folder / "README.md").read_text(encoding="utf-8")
    return yaml.safe_load(text.split("---\n")[1])


def test_load_dataset_returns_the_seed_with_classlabels(gold_corpus: Path, tmp_path: Path) -> None:
    build(gold_corpus, "1.0.0")
    out = tmp_path / "published"
    publish(gold_corpus, "1.0.0", out)
    loaded = load_dataset(str(out), "documents", cache_dir=str(tmp_path / "cache"))
    (split,) = loaded.keys()
    data = loaded[split]
    features = data.features
    entity_label = features["entities"].feature["label"]
    assert isinstance(entity_label, ClassLabel)
    assert entity_label.names == list(label_sets().entity_names())
    assert isinstance(features["topic"], ClassLabel)
    assert features["topic"].names == list(label_sets().topic_names())
    assert isinstance(features["blocks"].feature["kind"], ClassLabel)

    row = data[0]
    assert row["id"] == "koalition-der-willigen-paris"
    assert row["agency"] == "dpa"
    assert row["source"] == "t-online"
    assert row["reading_time_minutes"] == 4
    assert row["updated_at"] == dt.datetime(2025, 9, 4, 14, 7, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert row["redistributable"] is False
    kinds = features["blocks"].feature["kind"]
    blocks = {kinds.int2str(b["kind"]): row["text"][b["start"] : b["end"]] for b in row["blocks"]}
    assert blocks["kicker"] == "Beratungen in Paris"
    assert blocks["headline"] == "Koalition der Willigen ringt um Militärhilfe für Ukraine"
    spans = [(entity_label.int2str(e["label"]), row["text"][e["start"] : e["end"]], e["text"]) for e in row["entities"]]
    expected = [("PER", "Emmanuel Macron"), ("ORGpart", "Nato-Staaten"), ("LOCderiv", "Pariser")]
    assert sorted(spans) == sorted((label, text, text) for label, text in expected)
    assert features["topic"].int2str(row["topic"]) == "International"


def test_card_metadata_matches_the_data(gold_corpus: Path, tmp_path: Path) -> None:
    add_json_articles(gold_corpus, 40, license="CC-BY-4.0", redistributable=True)
    manifest = build(gold_corpus, "1.0.0").manifest
    out = tmp_path / "published"
    publish(gold_corpus, "1.0.0", out)
    meta = card_yaml(out)
    assert meta["language"] == ["de"]
    assert meta["license"] == ["cc-by-4.0", "other"]
    assert [c["config_name"] for c in meta["configs"]] == ["documents", "ner", "topics"]
    config = meta["configs"][0]
    assert config["version"] == "1.0.0"  # keys datasets' cache to the release
    published = {s: n for s, n in manifest.splits["documents"].items() if n}
    assert [f["split"] for f in config["data_files"]] == list(published)
    for split in published:
        assert (out / "data" / "documents" / f"{split}-00000-of-00001.parquet").is_file()
    infos = {info["config_name"]: info for info in meta["dataset_info"]}
    assert {s["name"]: s["num_examples"] for s in infos["documents"]["splits"]} == published
    ner_tags = next(f for f in infos["ner"]["features"] if f["name"] == "ner_tags")
    assert list(ner_tags["list"]["class_label"]["names"].values())[:3] == ["O", "B-LOC", "I-LOC"]
    entity_feature = next(f for f in infos["documents"]["features"] if f["name"] == "entities")
    label = next(f for f in entity_feature["list"] if f["name"] == "label")
    assert list(label["dtype"]["class_label"]["names"].values()) == list(label_sets().entity_names())
    body = (out / "README.md").read_text(encoding="utf-8")
    assert "mixes licences" in body
    assert "| CC-BY-4.0 | 40 |" in body
    assert f"- Articles: {manifest.statistics.articles}" in body
    for label_name, count in manifest.statistics.entities.items():
        assert f"| {label_name} | {count} |" in body
    summary = summarize(out)
    assert summary.rows == published
    assert summary.counts == {"entities": manifest.statistics.entities, "topics": manifest.statistics.topics}


def test_summary_of_a_config_the_folder_does_not_publish_names_the_ones_it_does(corpus: Path, tmp_path: Path) -> None:
    build(corpus, "1.0.0")  # no gold: ner and topics have no rows, so only documents is published
    out = tmp_path / "published"
    publish(corpus, "1.0.0", out)
    with pytest.raises(ReleaseError, match=r"holds no topics config: .* Its configs are documents; try `--config`"):
        summarize(out, "topics")


def test_the_card_names_the_tasks_of_the_configs_the_release_holds(corpus: Path) -> None:
    whole = card_data(build(corpus, "1.0.0").manifest)
    assert (whole.task_categories, whole.task_ids) == (
        ["token-classification", "text-classification"],
        ["named-entity-recognition", "topic-classification"],
    )
    topics = card_data(build(corpus, "2.0.0", configs=["topics"]).manifest)
    assert (topics.task_categories, topics.task_ids) == (["text-classification"], ["topic-classification"])


def test_republish_replaces_and_foreign_folder_is_refused(corpus: Path, tmp_path: Path) -> None:
    build(corpus, "1.0.0")
    out = tmp_path / "published"
    publish(corpus, "1.0.0", out)
    (out / "stale.txt").write_text("from an older publication", encoding="utf-8")
    publish(corpus, "1.0.0", out)
    assert not (out / "stale.txt").exists()
    assert not list(tmp_path.glob(".published*"))
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(ReleaseError, match="not a newscorpus publication"):
        publish(corpus, "1.0.0", foreign)
    assert (foreign / "notes.txt").read_text(encoding="utf-8") == "keep me"


def test_tampered_release_is_not_published(corpus: Path, tmp_path: Path) -> None:
    result = build(corpus, "1.0.0")
    path = result.path / "documents" / "train.arrow"
    path.write_bytes(path.read_bytes()[:-1])
    with pytest.raises(ReleaseError, match="does not match its manifest"):
        publish(corpus, "1.0.0", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_committed_release_manifests_rebuild_from_committed_inputs(tmp_path: Path) -> None:
    """What `verify` proves on a fresh clone: each committed manifest of this schema is what the inputs build.

    A release of an older schema rebuilds with the code of its own commit, not this one.
    """
    committed = [
        path
        for path in sorted((REPO / "corpus" / "releases").glob(f"*/{MANIFEST}"))
        if json.loads(path.read_text(encoding="utf-8"))["schema_version"] == schema_version()
    ]
    assert committed, "no release manifest of the current schema is committed; cut one with `newscorpus build`"
    for path in committed:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        copy = tmp_path / manifest["version"] / "corpus"
        for entry in manifest["inputs"]:
            (copy / entry["path"]).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(REPO / "corpus" / entry["path"], copy / entry["path"])
        (copy / "raw").mkdir(exist_ok=True)
        rebuilt = build(copy, manifest["version"]).manifest
        assert rebuilt.to_json() == path.read_text(encoding="utf-8")


def test_republished_folder_loads_the_new_release_not_the_cached_one(corpus: Path, tmp_path: Path) -> None:
    """datasets caches a local folder by its card; each release must get its own cache entry."""
    out, cache = tmp_path / "published", str(tmp_path / "cache")
    build(corpus, "1.0.0")
    publish(corpus, "1.0.0", out)
    assert load_dataset(str(out), "documents", cache_dir=cache)["train"][0]["entities"] == []
    article = next(a for a in iter_corpus(corpus) if hasattr(a, "text"))
    write_gold(corpus, article, [("Emmanuel Macron", "PER")])
    build(corpus, "1.1.0")
    publish(corpus, "1.1.0", out)
    (span,) = load_dataset(str(out), "documents", cache_dir=cache)["train"][0]["entities"]
    assert span["text"] == "Emmanuel Macron"
