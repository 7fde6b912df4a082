"""Gold per annotation layer: entities and topic each have a status, and each config takes only its own gold."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from datasets import load_dataset
from hypothesis import given
from hypothesis import strategies as st

from newscorpus.core.offsets import sha256_text
from newscorpus.ingest.corpus import iter_corpus
from newscorpus.ingest.importers import import_file
from newscorpus.model.article import LAYERS, Article
from newscorpus.model.gold import GoldFile, apply_gold
from newscorpus.publish.folder import publish
from newscorpus.release.build import build
from tests.conftest import SHARED_DATA
from tests.helpers import read_release, write_gold
from tests.strategies import LAYER_STATUSES, articles

GOLD_STATUSES = ("gold", "needs_review", "needs_adjudication")


def small_import(tmp_path: Path, source: Path, lines: int, name: str) -> Path:
    """A copy of the first ``lines`` lines of a shared data file, cut at a record boundary."""
    copy = tmp_path / name
    text = source.read_text(encoding="utf-8").split("\n")[:lines]
    copy.write_text("\n".join(text).rstrip("\n") + "\n", encoding="utf-8")
    return copy


@pytest.fixture
def mixed(corpus: Path, tmp_path: Path) -> Path:
    """The seed (no gold), three GermEval sentences (entity gold) and five 10kGNAD articles (topic gold)."""
    germeval = SHARED_DATA / "germeval2014" / "NER-de-dev.tsv"
    # The dev file's first three sentences end at its 3rd blank line.
    blank_lines = [i for i, line in enumerate(germeval.read_text(encoding="utf-8").split("\n")) if not line]
    import_file(corpus, "germeval2014", small_import(tmp_path, germeval, blank_lines[2], "NER-de-dev.tsv"), "test")
    import_file(corpus, "10kgnad", small_import(tmp_path, SHARED_DATA / "10kgnad" / "test.csv", 5, "test.csv"), "test")
    return corpus


def articles_of(corpus: Path) -> dict[str, Article]:
    return {a.id: a for a in iter_corpus(corpus) if isinstance(a, Article)}


@pytest.mark.integration
def test_ner_takes_only_entity_gold_and_topics_only_topic_gold(mixed: Path, tmp_path: Path) -> None:
    found = articles_of(mixed)
    entity_gold = {i for i, a in found.items() if a.annotation.entities.status == "gold"}
    topic_gold = {i for i, a in found.items() if a.annotation.topic.status == "gold"}
    assert {a.raw_file for i, a in found.items() if i in entity_gold} == {"raw/imports/germeval2014/NER-de-dev.tsv"}
    assert {a.raw_file for i, a in found.items() if i in topic_gold} == {"raw/imports/10kgnad/10kgnad-test.csv"}
    assert (len(entity_gold), len(topic_gold)) == (3, 5)

    build(mixed, "1.0.0")
    publish(mixed, "1.0.0", tmp_path / "published")
    cache = str(tmp_path / "hf-cache")
    ner = load_dataset(str(tmp_path / "published"), "ner", cache_dir=cache)
    assert {row["article_id"] for split in ner.values() for row in split} == entity_gold
    topics = load_dataset(str(tmp_path / "published"), "topics", cache_dir=cache)
    assert {row["id"] for split in topics.values() for row in split} == topic_gold
    documents = load_dataset(str(tmp_path / "published"), "documents", cache_dir=cache)
    rows = {row["id"]: row for split in documents.values() for row in split}
    assert set(rows) == set(found)
    status = documents["test"].features["annotation"]["entities"]["status"]  # a ClassLabel, as every Literal
    assert status.names == list(LAYER_STATUSES)
    for article_id, row in rows.items():
        layers = row["annotation"]
        assert (status.int2str(layers["entities"]["status"]) == "gold") == (article_id in entity_gold)
        assert (status.int2str(layers["topic"]["status"]) == "gold") == (article_id in topic_gold)
    card = (tmp_path / "published" / "README.md").read_text(encoding="utf-8")
    assert "Articles per status of the entities layer: gold 3, none 6" in card
    assert "Articles per status of the topic layer: gold 5, none 4" in card


@pytest.mark.integration
def test_an_article_whose_entity_layer_is_gold_without_spans_still_gives_ner_rows(corpus: Path) -> None:
    """'No entity here' is an answer: its sentences go into ner, all O."""
    (seed,) = articles_of(corpus).values()
    write_gold(corpus, seed, [], topic=None)
    manifest = build(corpus, "1.0.0").manifest
    assert manifest.splits["ner"][seed.split] > 0
    assert manifest.statistics.layers == {"entities": {"gold": 1}, "topic": {"none": 1}}
    (built,) = read_release(corpus / "releases" / "1.0.0")[seed.split]
    assert (built.entities, built.annotation.entities.status, built.topic) == ([], "gold", None)


def test_a_topic_only_gold_file_keeps_imported_entity_gold(mixed: Path) -> None:
    """The reported data loss: a topic-only annotation of a GermEval sentence must not erase its spans."""
    before = next(a for a in articles_of(mixed).values() if a.entities and a.raw_file.endswith(".tsv"))
    gold = {
        "article_id": before.id,
        "text_sha256": before.text_sha256,
        "topic": {"status": "gold", "label": "Sport"},
        "annotations": [{"annotator": "annotator-1", "annotation_id": 7, "layers": ["topic"]}],
    }
    (mixed / "annotations").joinpath(f"{before.id}.json").write_text(json.dumps(gold), encoding="utf-8")
    after = articles_of(mixed)[before.id]
    assert after.entities == before.entities
    assert after.annotation.entities == before.annotation.entities
    assert (after.annotation.entities.status, after.annotation.entities.source) == ("gold", "germeval2014")
    assert (after.topic, after.annotation.topic.status, after.annotation.topic.source) == (
        "Sport",
        "gold",
        "label-studio",
    )
    assert after.annotation.topic.annotators == ["annotator-1"]


def layer_states() -> st.SearchStrategy[dict[str, str | None]]:
    return st.fixed_dictionaries({layer: st.one_of(st.none(), st.sampled_from(GOLD_STATUSES)) for layer in LAYERS})


@given(article=articles(), before=st.tuples(*[st.sampled_from(LAYER_STATUSES)] * 2), after=layer_states())
def test_each_gold_layer_replaces_only_its_own_layer(
    article: Article, before: tuple[str, str], after: dict[str, str | None]
) -> None:
    """Absent layers keep the article's; gold replaces; a layer under review or in dispute never unseats gold."""
    annotation = {
        layer: {**getattr(article.annotation, layer).model_dump(), "status": status}
        for layer, status in zip(LAYERS, before, strict=True)
    }
    article = article.model_validate({**article.model_dump(), "annotation": annotation})
    spans = [e.model_dump() for e in article.entities[:1]]
    gold = GoldFile.model_validate(
        {
            "article_id": article.id,
            "text_sha256": sha256_text(article.text),
            "entities": {"status": after["entities"], "spans": spans} if after["entities"] else None,
            "topic": {"status": after["topic"], "label": "Web"} if after["topic"] else None,
            "annotations": [{"annotator": "a1", "layers": [layer for layer in LAYERS if after[layer]]}],
        }
    )
    applied = apply_gold(article, gold, "annotations/x.json")
    assert isinstance(applied, Article)
    values = {"entities": (article.entities, gold.entities and gold.entities.spans), "topic": (article.topic, "Web")}
    for layer, status_before in zip(LAYERS, before, strict=True):
        layer_after = getattr(applied.annotation, layer)
        kept, taken = values[layer]
        value = applied.entities if layer == "entities" else applied.topic
        if after[layer] is None or (after[layer] != "gold" and status_before == "gold"):
            assert layer_after == getattr(article.annotation, layer)
            assert value == kept
        elif after[layer] == "gold":
            assert (layer_after.status, layer_after.annotators, value) == ("gold", ["a1"], taken)
        else:
            assert layer_after.status == after[layer]
            assert value in ([], None)  # nothing is gold in that layer yet


@given(article=articles())
def test_gold_for_another_article_or_another_text_is_one_problem_and_applies_nothing(article: Article) -> None:
    from newscorpus.core.codes import Code
    from newscorpus.core.report import Problem

    name = "annotations/x.json"
    other = "z" if article.id != "z" else "y"
    wrong = GoldFile.model_validate({"article_id": other, "text_sha256": sha256_text(article.text)})
    assert apply_gold(article, wrong, name) == [
        Problem(
            code=Code.GOLD_WRONG_ARTICLE,
            file=name,
            field="article_id",
            message=f"names {other!r}, but the file is for {article.id!r}",
        )
    ]  # no article id: the file and the article disagree on it
    stale = GoldFile.model_validate({"article_id": article.id, "text_sha256": "0" * 64})
    (problem,) = apply_gold(article, stale, name)
    assert (problem.code, problem.file, problem.field, problem.article_id) == (
        Code.GOLD_STALE,
        name,
        "text_sha256",
        article.id,
    )
    assert problem.message.endswith("Try `newscorpus labelstudio push` and review the task.")
