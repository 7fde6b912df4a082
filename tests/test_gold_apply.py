"""Applying a gold file validates the article once: what it accepts and refuses is what validating it whole would."""

from __future__ import annotations

import ast
import datetime as dt
import hashlib
import inspect
import os
import tempfile
import textwrap
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from newscorpus.core.codes import Code
from newscorpus.core.offsets import sha256_text
from newscorpus.core.report import Problem, problems_from_validation
from newscorpus.model import article as article_module
from newscorpus.model.article import LAYER_RULES, LAYERS, Article
from newscorpus.model.gold import EntityGold, GoldFile, TopicGold, apply_gold, gold_path, load_gold, with_gold
from tests.strategies import TOPICS, articles, aware_datetimes, entity_spans

NAME = "annotations/x.json"
SPOILS = ("none", "shift", "past_end", "duplicate", "not_the_slice", "empty")


@st.composite
def gold_spans(draw: st.DrawFn, text: str) -> list[dict[str, Any]]:
    """Spans over ``text``: valid ones, and sometimes one spoiled in one of the ways a gold file may be wrong."""
    spans = draw(entity_spans(text))
    spoil = draw(st.sampled_from(SPOILS))
    if not spans or spoil == "none":
        return spans
    i = draw(st.integers(0, len(spans) - 1))
    span = dict(spans[i])
    if spoil == "shift":
        span["start"], span["end"] = span["start"] + 1, span["end"] + 1
    elif spoil == "past_end":
        span["end"] = len(text) + draw(st.integers(1, 5))
    elif spoil == "duplicate":
        spans.insert(draw(st.integers(0, len(spans))), span)
    elif spoil == "not_the_slice":
        span["text"] = unicodedata.normalize("NFD", span["text"]) + draw(st.sampled_from(("", "x", "\u0301")))
    else:
        span["end"] = span["start"]
    if spoil != "duplicate":
        spans[i] = span
    return spans


def validated_whole(article: Article, gold: dict[str, Any]) -> Article | list[Problem]:
    """The reference: the article's every field, with the gold's layers, validated as one new article."""
    layer = {"status": "gold", "source": "label-studio", "annotators": ["a1"]}
    stamp = gold["annotations"][0]["created_at"]
    data = {
        **article.model_dump(),
        "entities": gold["entities"]["spans"],
        "topic": gold["topic"]["label"],
        "annotation": {name: {**layer, "annotated_at": stamp} for name in LAYERS},
    }
    try:
        return Article.model_validate(data)
    except ValidationError as exc:
        return problems_from_validation(exc, NAME, article_id=article.id)


@given(article=articles(), data=st.data())
def test_applied_gold_is_what_validating_the_whole_article_gives(article: Article, data: st.DataObject) -> None:
    gold = {
        "article_id": article.id,
        "text_sha256": sha256_text(article.text),
        "entities": {"status": "gold", "spans": data.draw(gold_spans(article.text))},
        "topic": {"status": "gold", "label": data.draw(st.one_of(st.none(), st.sampled_from(TOPICS)))},
        "annotations": [
            {"annotator": "a1", "layers": list(LAYERS), "created_at": data.draw(st.none() | aware_datetimes())}
        ],
    }
    applied = apply_gold(article, GoldFile.model_validate(gold), NAME)
    expected = validated_whole(article, gold)
    assert applied == expected
    if isinstance(applied, Article):
        assert applied.model_dump() == expected.model_dump()  # type: ignore[union-attr]


@given(article=articles(), spans=st.data())
def test_applying_gold_does_not_hash_the_text_again(article: Article, spans: st.DataObject) -> None:
    """The text rules ran when the article was made; its gold changes no field they read."""
    hashed: list[str] = []

    def counted(text: str) -> str:
        hashed.append(text)
        return sha256_text(text)

    entities = {"status": "gold", "spans": spans.draw(entity_spans(article.text))}
    gold = GoldFile.model_validate({"article_id": article.id, "text_sha256": article.text_sha256, "entities": entities})
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(article_module, "sha256_text", counted)
        assert isinstance(apply_gold(article, gold, NAME), Article)
        assert hashed == []
        Article.model_validate(article.model_dump())  # what applying gold did before: the text hashed again
        assert hashed == [article.text]


def _names_in(func: object) -> set[str]:
    tree = ast.parse(textwrap.dedent(inspect.getsource(func)))  # type: ignore[arg-type]
    attributes = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    strings = {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)}
    return attributes | strings


def test_layer_rules_are_every_rule_that_reads_a_layer_in_the_order_they_run() -> None:
    """``Article.with_layers`` runs only these: a new rule over a layer must be listed, or gold would skip it."""
    decorators = Article.__pydantic_decorators__
    fields = {*LAYERS, "annotation"}
    reading = [name for name, rule in decorators.model_validators.items() if _names_in(rule.func) & fields]
    assert list(LAYER_RULES) == reading
    assert not decorators.field_validators  # a field validator on a layer would be skipped too


def test_gold_values_have_the_types_of_the_article_fields_they_fill() -> None:
    """The gold file validates its values as the article's fields would, so they are not validated twice."""
    assert EntityGold.model_fields["spans"].annotation == Article.model_fields["entities"].annotation
    assert TopicGold.model_fields["label"].annotation == Article.model_fields["topic"].annotation


def _gold_of(article: Article) -> dict[str, Any]:
    """Gold for ``article``: its first word a person, its topic Sport."""
    word = article.text.split()[0]
    start = article.text.index(word)
    return {
        "article_id": article.id,
        "text_sha256": article.text_sha256,
        "entities": {
            "status": "gold",
            "spans": [{"start": start, "end": start + len(word), "label": "PER", "text": word}],
        },
        "topic": {"status": "gold", "label": "Sport"},
        "annotations": [
            {"annotator": "a1", "layers": list(LAYERS), "created_at": dt.datetime(2025, 9, 5, tzinfo=dt.UTC)}
        ],
    }


@given(article=articles(with_gold=False))
def test_with_gold_reads_the_file_as_load_gold_does_and_applies_it(article: Article) -> None:
    with tempfile.TemporaryDirectory() as folder:
        corpus = Path(folder)
        assert with_gold(corpus, article) == (article, [], None)  # no annotations folder at all
        path = gold_path(corpus, article.id)
        path.parent.mkdir()
        path.write_text(GoldFile.model_validate(_gold_of(article)).model_dump_json(), encoding="utf-8")
        loaded = load_gold(path, NAME)
        assert isinstance(loaded, GoldFile)
        applied, problems, digest = with_gold(corpus, article)
        assert (applied, problems) == (apply_gold(article, loaded, NAME), [])
        assert digest == hashlib.sha256(path.read_bytes()).digest()
        assert (applied.topic, applied.annotation.entities.status) == ("Sport", "gold")


@pytest.mark.parametrize("kind", ["directory", "fifo", "dangling symlink"])
def test_no_regular_file_of_the_gold_name_is_no_gold(tmp_path: Path, kind: str) -> None:
    """As ``Path.is_file`` sees it: nothing is read, nothing is waited for (a FIFO), nothing is reported."""
    article = Article.model_validate(_article_fields())
    path = gold_path(tmp_path, article.id)
    path.parent.mkdir()
    if kind == "directory":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to(tmp_path / "nowhere.json")
    assert with_gold(tmp_path, article) == (article, [], None)


def test_a_symlinked_gold_file_is_read(tmp_path: Path) -> None:
    article = Article.model_validate(_article_fields())
    target = tmp_path / "elsewhere.json"
    target.write_text(GoldFile.model_validate(_gold_of(article)).model_dump_json(), encoding="utf-8")
    path = gold_path(tmp_path, article.id)
    path.parent.mkdir()
    path.symlink_to(target)
    applied, problems, digest = with_gold(tmp_path, article)
    assert (applied.topic, problems, digest) == ("Sport", [], hashlib.sha256(target.read_bytes()).digest())


def test_an_unreadable_gold_file_is_one_problem_and_the_article_is_kept(tmp_path: Path) -> None:
    article = Article.model_validate(_article_fields())
    path = gold_path(tmp_path, article.id)
    path.parent.mkdir()
    path.write_bytes(b'{"article_id": ')
    applied, problems, digest = with_gold(tmp_path, article)
    assert applied is article
    assert digest == hashlib.sha256(b'{"article_id": ').digest()  # read, if not applied: its bytes are what counts
    assert [(p.code, p.file, p.article_id) for p in problems] == [
        (Code.JSON_MALFORMED, "annotations/seed-1.json", None)
    ]


def _article_fields() -> dict[str, Any]:
    text = "Merkel besucht Paris."
    return {
        "id": "seed-1",
        "split": "train",
        "license": "CC-BY-4.0",
        "redistributable": True,
        "text": text,
        "blocks": [{"kind": "paragraph", "start": 0, "end": len(text)}],
        "raw_file": "raw/seed-1.txt",
        "raw_encoding": "utf-8",
        "raw_sha256": "0" * 64,
        "text_sha256": sha256_text(text),
    }
