"""Spans ↔ Label Studio results, the generated config, agreement and adjudication: no server needed."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

from hypothesis import given, settings
from hypothesis import strategies as st

from newscorpus.article import Article, Entity
from newscorpus.gold import AnnotationRef
from newscorpus.labels import label_sets
from newscorpus.labelstudio.agreement import agreement, span_f1
from newscorpus.labelstudio.config import LEVEL_CONTROLS, config_labels, labelling_config
from newscorpus.labelstudio.convert import Converted, from_results, to_results
from newscorpus.labelstudio.pull import Read, adjudicate, pseudonym
from tests.strategies import articles


def canonical(entities: list[Entity]) -> list[Entity]:
    return sorted(entities, key=lambda e: (e.start, -e.end, e.level, e.label))


@settings(max_examples=150, deadline=None)
@given(articles())
def test_spans_to_results_and_back_is_the_identity(article: Article) -> None:
    results = to_results(article.entities, article.topic)
    back = from_results(article.text, results)
    assert back.rejected == []
    assert back.entities == canonical(article.entities)
    assert back.topic == article.topic
    for result, entity in zip(results, article.entities, strict=False):
        assert article.text[result["value"]["start"] : result["value"]["end"]] == entity.text


@settings(max_examples=100, deadline=None)
@given(articles(), st.data())
def test_a_span_whose_stored_text_disagrees_is_rejected_never_clamped(article: Article, data: st.DataObject) -> None:
    if not article.entities:
        return
    results = to_results(article.entities, None)
    victim = data.draw(st.integers(0, len(results) - 1))
    results[victim]["value"]["end"] += 1  # one character too long, or past the end: never the stored text
    back = from_results(article.text, results)
    assert len(back.rejected) == 1
    assert f"region {results[victim]['id']}" in back.rejected[0]
    kept = [e for i, e in enumerate(article.entities) if i != victim]
    assert back.entities == canonical(kept)


def test_results_from_unknown_controls_or_with_two_labels_are_rejected() -> None:
    text = "Paris und Berlin"
    results = [
        {
            "id": "a",
            "from_name": "label",
            "type": "labels",
            "value": {"start": 0, "end": 5, "text": "Paris", "labels": ["LOC", "ORG"]},
        },
        {"id": "b", "from_name": "mystery", "type": "labels", "value": {"start": 10, "end": 16, "labels": ["LOC"]}},
        {"id": "c", "from_name": "topic", "type": "choices", "value": {"choices": ["Sport", "Web"]}},
        {"id": "d", "from_name": "label", "type": "labels", "value": {"start": 10, "end": 99, "labels": ["LOC"]}},
    ]
    back = from_results(text, results)
    assert (back.entities, back.topic) == ([], None)
    assert len(back.rejected) == 4


def test_config_is_generated_from_the_label_file() -> None:
    config = labelling_config()
    labels = config_labels(config)
    names = set(label_sets().entity_names())
    assert labels == {**{c: names for c in LEVEL_CONTROLS.values()}, "topic": set(label_sets().topic_names())}
    hints = {el.get("value"): el.get("hint") for el in ET.fromstring(config).iter("Label")}  # noqa: S314
    assert all(hints[label.name] == label.description for label in label_sets().entity_labels)
    choice = ET.fromstring(config).find("Choices")  # noqa: S314
    assert choice is not None
    assert choice.get("choice") == "single-radio"


def ent(start: int, end: int, label: str = "PER", level: int = 0) -> Entity:
    return Entity(start=start, end=end, label=label, level=level, text="x" * (end - start))


span_lists = st.lists(
    st.tuples(st.integers(0, 30), st.integers(1, 6), st.sampled_from(["PER", "LOC"])), max_size=6
).map(lambda items: list({(s, s + n, lab): ent(s, s + n, lab) for s, n, lab in items}.values()))


@given(span_lists, span_lists)
def test_span_f1_is_symmetric_bounded_and_overlap_at_least_exact(a: list[Entity], b: list[Entity]) -> None:
    exact, overlap = span_f1(a, b)
    assert exact == span_f1(b, a)[0]
    assert 0.0 <= exact <= overlap <= 1.0
    assert span_f1(a, a) == (1.0, 1.0)


def test_kappa_on_topics() -> None:
    report = agreement(
        {}, {"1": {"a": "Sport", "b": "Sport"}, "2": {"a": "Web", "b": "Web"}, "3": {"a": "Web", "b": "Sport"}}
    )
    assert report.topic_items == 3
    assert report.cohen_kappa is not None
    assert 0.0 < report.cohen_kappa < 1.0
    perfect = agreement({}, {"1": {"a": "Sport", "b": "Sport"}, "2": {"a": "Web", "b": "Web"}})
    assert perfect.cohen_kappa == 1.0


def read(annotator: str, entities: list[Entity], topic: str | None = None, *, truth: bool = False,
         cancelled: bool = False, stale: bool = False, minute: int = 0) -> Read:  # fmt: skip
    stamp = dt.datetime(2025, 9, 5, 10, minute, tzinfo=dt.UTC)
    ref = AnnotationRef(annotator=annotator, ground_truth=truth, created_at=stamp)
    return Read(annotator, truth, cancelled, stale, stamp, ref, Converted(entities, topic, []))


def test_adjudication_rules() -> None:
    a, b = [ent(0, 5)], [ent(0, 6)]
    assert adjudicate([]) == (None, None, None)
    status, chosen, _ = adjudicate([read("x", a)])
    assert (status, chosen.annotator) == ("gold", "x")
    assert adjudicate([read("x", a, "Sport"), read("y", a, "Sport")])[0] == "gold"
    status, chosen, why = adjudicate([read("x", a), read("y", b)])
    assert (status, chosen) == ("needs_adjudication", None)
    assert "disagree" in why
    status, chosen, _ = adjudicate([read("x", a), read("y", b, truth=True), read("z", a, truth=True, minute=5)])
    assert (status, chosen.annotator) == ("gold", "z")  # the latest ground truth
    assert adjudicate([read("x", a, cancelled=True)]) == (None, None, None)
    status, chosen, _ = adjudicate([read("x", a, cancelled=True, truth=True), read("y", b)])
    assert (status, chosen.annotator) == ("gold", "y")  # a cancelled ground truth is not gold
    assert adjudicate([read("x", a, stale=True)])[0] == "needs_review"


def test_pseudonyms_are_stable_and_hide_the_login() -> None:
    assert pseudonym("Anna@Example.org ") == pseudonym("anna@example.org")
    assert pseudonym("anna@example.org") != pseudonym("ben@example.org")
    assert "anna" not in pseudonym("anna@example.org")
