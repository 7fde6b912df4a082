"""Spans ↔ Label Studio results, the generated config, agreement, adjudication per layer, corrections,
the push payload and the server's home and port: no server needed."""

from __future__ import annotations

import datetime as dt
import os
import socket
import xml.etree.ElementTree as ET
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from newscorpus.core.offsets import sha256_text
from newscorpus.labelstudio.adjudicate import adjudicate_layer, carry_over, gold_file
from newscorpus.labelstudio.agreement import agreement, span_f1
from newscorpus.labelstudio.client import orphaned_labels
from newscorpus.labelstudio.config import (
    LEVEL_CONTROLS,
    NO_ENTITIES,
    NO_ENTITIES_CHOICE,
    TOPIC,
    config_labels,
    labelling_config,
)
from newscorpus.labelstudio.convert import Converted, from_results, to_results
from newscorpus.labelstudio.corrections import corrections
from newscorpus.labelstudio.home import default_home
from newscorpus.labelstudio.ledger import data_sha256
from newscorpus.labelstudio.push_plan import predictions, task_data
from newscorpus.labelstudio.reading import Read, pseudonym
from newscorpus.labelstudio.server import choose_port
from newscorpus.model.article import Article, Entity, Layer
from newscorpus.model.gold import AnnotationRef, EntityGold, GoldFile, TopicGold
from newscorpus.model.labels import label_sets
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
    assert back.layers == ["entities", *(["topic"] if article.topic else [])]  # no span: the "no names" tick
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


RESULT_KEYS = st.sampled_from(["from_name", "type", "value", "id", "start", "end", "labels", "choices"])
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 40) | st.text(max_size=6)
    | st.sampled_from(["label", "inner", "topic", "no_entities", "labels", "choices", "LOC", "Sport"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(RESULT_KEYS, inner),
    max_leaves=10,
)  # fmt: skip


@settings(max_examples=300)
@given(st.lists(JSON, max_size=4))
def test_results_of_any_shape_are_read_or_rejected_never_raised(results: list[object]) -> None:
    """What a script's import put into Label Studio comes back as it went in: a result of any shape is rejected.

    A result that was no object, a control's name that was a list, a value that was no object all raised.
    """
    back = from_results("Paris und Berlin", results)
    readable = [r for r in results if isinstance(r, dict)]
    assert len(back.rejected) >= len(results) - len(readable)
    assert all(0 <= e.start < e.end <= len("Paris und Berlin") for e in back.entities)


def test_config_is_generated_from_the_label_file() -> None:
    config = labelling_config()
    labels = config_labels(config)
    names = set(label_sets().entity_names())
    assert labels == {
        **{c: names for c in LEVEL_CONTROLS.values()},
        NO_ENTITIES: {NO_ENTITIES_CHOICE},
        TOPIC: set(label_sets().topic_names()),
    }
    hints = {el.get("value"): el.get("hint") for el in ET.fromstring(config).iter("Label")}  # noqa: S314
    assert all(hints[label.name] == label.description for label in label_sets().entity_labels)
    controls = {el.get("name"): el for el in ET.fromstring(config).iter("Choices")}  # noqa: S314
    assert controls[TOPIC].get("choice") == "single-radio"
    # "No names" is one checkbox over the text, so ticking it is a statement an annotator makes on purpose.
    assert (controls[NO_ENTITIES].get("choice"), controls[NO_ENTITIES].get("toName")) == ("single", "text")
    assert len(controls[NO_ENTITIES]) == 1


def test_a_topic_alone_completes_only_the_topic_layer() -> None:
    back = from_results("Paris und Berlin", to_results(None, "Sport"))
    assert (back.layers, back.entities, back.topic, back.rejected) == (["topic"], [], "Sport", [])


def test_the_no_names_tick_completes_the_entity_layer_without_a_span() -> None:
    results = to_results([], None)
    assert [r["from_name"] for r in results] == [NO_ENTITIES]
    back = from_results("Es regnet.", results)
    assert (back.layers, back.entities, back.rejected, back.flawed) == (["entities"], [], [], set())


def test_an_empty_annotation_completes_no_layer() -> None:
    assert from_results("Es regnet.", []).layers == []


def test_ticking_no_names_and_marking_names_is_rejected() -> None:
    text = "Paris und Berlin"
    results = [*to_results([Entity(start=0, end=5, label="LOC", text="Paris")], "Sport"), *to_results([], None)]
    back = from_results(text, results)
    assert back.layers == ["entities", "topic"]
    assert back.flawed == {"entities"}
    assert any("do one or the other" in reason for reason in back.rejected)
    other = [{"from_name": NO_ENTITIES, "type": "choices", "value": {"choices": ["Vielleicht"]}}]
    assert from_results(text, other).flawed == {"entities"}


def ent(start: int, end: int, label: str = "PER", level: int = 0) -> Entity:
    return Entity(start=start, end=end, label=label, level=level, text="x" * (end - start))


span_lists = st.lists(
    st.tuples(st.integers(0, 30), st.integers(1, 6), st.sampled_from(["PER", "LOC"])), max_size=6
).map(lambda items: list({(s, s + n, lab): ent(s, s + n, lab) for s, n, lab in items}.values()))


@given(span_lists, span_lists)
@example([ent(18, 19), ent(18, 20), ent(19, 20)], [ent(18, 20), ent(19, 20), ent(18, 19)])  # greedy matching: 2 of 3
def test_span_f1_is_symmetric_bounded_and_overlap_at_least_exact(a: list[Entity], b: list[Entity]) -> None:
    """Overlap matching is a maximum matching: every exact pair overlaps, so it finds at least as many."""
    exact, overlap = span_f1(a, b)
    assert exact == span_f1(b, a)[0]
    assert overlap == span_f1(b, a)[1]
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


def read(annotator: str, entities: list[Entity] | None, topic: str | None = None, *, truth: bool = False,
         cancelled: bool = False, stale: bool = False, minute: int = 0) -> Read:  # fmt: skip
    """An annotation that completed the entities unless ``entities`` is None, and the topic if it has one."""
    stamp = dt.datetime(2025, 9, 5, 10, minute, tzinfo=dt.UTC)
    completed = {layer for layer, value in (("entities", entities), ("topic", topic)) if value is not None}
    converted = Converted(entities or [], topic, [], completed=completed)  # type: ignore[arg-type]
    ref = AnnotationRef(annotator=annotator, ground_truth=truth, layers=converted.layers, created_at=stamp)
    return Read(annotator, truth, cancelled, stale, stamp, ref, converted)


def test_adjudication_rules() -> None:
    a, b = [ent(0, 5)], [ent(0, 6)]
    assert adjudicate_layer([], "entities") == (None, None, None)
    status, chosen, _ = adjudicate_layer([read("x", a)], "entities")
    assert (status, chosen.annotator) == ("gold", "x")
    assert adjudicate_layer([read("x", a, "Sport"), read("y", a, "Sport")], "entities")[0] == "gold"
    status, chosen, why = adjudicate_layer([read("x", a), read("y", b)], "entities")
    assert (status, chosen) == ("needs_adjudication", None)
    assert "disagree" in why
    reads = [read("x", a), read("y", b, truth=True), read("z", a, truth=True, minute=5)]
    status, chosen, _ = adjudicate_layer(reads, "entities")
    assert (status, chosen.annotator) == ("gold", "z")  # the latest ground truth
    assert adjudicate_layer([read("x", a, cancelled=True)], "entities") == (None, None, None)
    status, chosen, _ = adjudicate_layer([read("x", a, cancelled=True, truth=True), read("y", b)], "entities")
    assert (status, chosen.annotator) == ("gold", "y")  # a cancelled ground truth is not gold
    assert adjudicate_layer([read("x", a, stale=True)], "entities")[0] == "needs_review"


def test_each_layer_is_adjudicated_over_the_annotations_that_completed_it() -> None:
    spans = [ent(0, 5)]
    topic_only, both = read("x", None, "Sport"), read("y", spans, "Sport")
    assert adjudicate_layer([topic_only], "entities") == (None, None, None)  # a topic alone leaves the entities open
    status, chosen, _ = adjudicate_layer([topic_only, both], "entities")
    assert (status, chosen.annotator) == ("gold", "y")  # x said nothing about names: no disagreement
    assert adjudicate_layer([topic_only, both], "topic")[0] == "gold"
    # A ground truth wins only the layers it completed.
    truth = read("t", None, "Web", truth=True)
    assert adjudicate_layer([truth, both], "entities")[1].annotator == "y"
    assert adjudicate_layer([truth, both], "topic")[1].annotator == "t"
    # Disagreeing on one layer leaves the other gold.
    reads = [read("x", spans, "Sport"), read("y", spans, "Web")]
    assert (adjudicate_layer(reads, "entities")[0], adjudicate_layer(reads, "topic")[0]) == (
        "gold",
        "needs_adjudication",
    )
    # "No names" (an empty entity layer) is an answer, and one that differs from a span.
    assert adjudicate_layer([read("x", []), read("y", [])], "entities")[0] == "gold"
    assert adjudicate_layer([read("x", []), read("y", spans)], "entities")[0] == "needs_adjudication"


def test_a_rejected_result_flaws_only_its_own_layer() -> None:
    text = "Paris und Berlin"
    bad = {"id": "r", "from_name": "label", "type": "labels",
           "value": {"start": 0, "end": 6, "text": "Paris", "labels": ["LOC"]}}  # fmt: skip
    converted = from_results(text, [bad, *to_results(None, "Sport")])
    assert (converted.layers, converted.flawed) == (["entities", "topic"], {"entities"})
    r = Read("x", False, False, False, None, AnnotationRef(annotator="x"), converted)
    assert adjudicate_layer([r], "entities")[0] == "needs_review"
    assert adjudicate_layer([r], "topic")[0] == "gold"


def sentence() -> Article:
    """A GermEval-like sentence whose entity layer is imported gold."""
    text = "Meine Unterstützung hat Volkbert Keßler und ich wünsche , dass er Erfolg hat beim DFB."
    spans = [ent_at(text, "Volkbert Keßler", "PER"), ent_at(text, "DFB.", "ORG")]
    return Article.model_validate(
        {
            "id": "ner-de-dev-00968", "split": "validation", "license": "CC-BY-4.0", "redistributable": True,
            "text": text, "blocks": [{"kind": "paragraph", "start": 0, "end": len(text)}], "entities": spans,
            "annotation": {"entities": {"status": "gold", "source": "germeval2014"}},
            "raw_file": "raw/imports/germeval2014/x.tsv", "raw_encoding": "utf-8", "raw_sha256": "0" * 64,
            "text_sha256": sha256_text(text),
        }
    )  # fmt: skip


def with_topic(article: Article, topic: str, source: str) -> Article:
    """Return ``article`` with a gold topic from ``source``."""
    annotation = article.annotation.model_copy(update={"topic": Layer(status="gold", source=source)})
    return article.model_copy(update={"topic": topic, "annotation": annotation})


def ent_at(text: str, surface: str, label: str, level: int = 0) -> dict[str, object]:
    start = text.index(surface)
    return {"start": start, "end": start + len(surface), "label": label, "level": level, "text": surface}


def test_a_topic_only_annotation_writes_only_the_topic_layer() -> None:
    article = sentence()
    gold, why = gold_file(article, [read("x", None, "Sport")])
    assert (gold.entities, gold.topic) == (None, TopicGold(status="gold", label="Sport"))
    assert [ref.layers for ref in gold.annotations] == [["topic"]]
    assert why == []
    assert corrections(article, gold) == []  # the imported entities are not contradicted: they are kept
    assert gold_file(article, [read("x", None, None)]) == (None, [])


def test_corrections_name_each_span_removed_added_or_changed() -> None:
    article = sentence()
    text = article.text
    after = [
        Entity(**ent_at(text, "DFB", "ORG")),  # changed: overlaps the old "DFB."
        Entity(**ent_at(text, "Erfolg", "OTH")),  # added
    ]  # and "Volkbert Keßler" removed
    gold = GoldFile(
        article_id=article.id, text_sha256=article.text_sha256,
        entities=EntityGold(status="gold", spans=after), topic=TopicGold(status="gold", label="Sport"),
    )  # fmt: skip
    (found,) = corrections(article, gold, task_id=7)
    assert (found.layer, found.source, found.task_id) == ("entities", "germeval2014", 7)
    start = text.index("Volkbert")
    assert found.changes() == [
        f'removed PER "Volkbert Keßler" [{start}:{start + 15}]',
        f'added OTH "Erfolg" [{text.index("Erfolg")}:{text.index("Erfolg") + 6}]',
        f'changed ORG "DFB." [{text.index("DFB")}:{text.index("DFB") + 4}] → '
        f'ORG "DFB" [{text.index("DFB")}:{text.index("DFB") + 3}]',
    ]
    # Needs-adjudication never replaces gold, so it corrects nothing; nor does gold where there was none.
    pending = gold.model_copy(update={"entities": EntityGold(status="needs_adjudication")})
    assert [c.layer for c in corrections(article, pending)] == []
    same = gold.model_copy(update={"entities": EntityGold(status="gold", spans=article.entities)})
    assert corrections(article, same) == []
    (changed,) = corrections(with_topic(article, "Web", "10kgnad"), same)
    assert changed.changes() == ["topic Web → Sport"]


def test_carry_over_keeps_the_earlier_layers_this_pull_did_not_complete() -> None:
    article = sentence()
    earlier = GoldFile(
        article_id=article.id, text_sha256=article.text_sha256,
        entities=EntityGold(status="gold", spans=article.entities), topic=TopicGold(status="gold", label="Web"),
        annotations=[AnnotationRef(annotator="old", project_id=1, layers=["entities", "topic"])],
    )  # fmt: skip
    new, _ = gold_file(article, [read("x", None, "Sport")])
    merged = carry_over(new, earlier)
    assert (merged.entities, merged.topic.label) == (earlier.entities, "Sport")
    assert [(ref.annotator, ref.layers) for ref in merged.annotations] == [("x", ["topic"]), ("old", ["entities"])]
    assert carry_over(new, earlier.model_copy(update={"text_sha256": "1" * 64})) == new  # stale: never carried
    assert carry_over(new, None) == new


def test_task_data_carry_layer_statuses_and_predictions_go_per_source() -> None:
    article = sentence()
    data = task_data(article)
    assert (data["entities_status"], data["topic_status"], data["gold_layers"]) == ("gold", "none", 1)
    (prediction,) = predictions(article)
    assert prediction["model_version"] == "germeval2014"
    assert from_results(article.text, prediction["result"]).entities == article.entities
    both = with_topic(article, "Sport", "label-studio")
    assert task_data(both)["gold_layers"] == 2
    by_version = {p["model_version"]: from_results(both.text, p["result"]) for p in predictions(both)}
    assert {v: c.layers for v, c in by_version.items()} == {"germeval2014": ["entities"], "label-studio": ["topic"]}
    # A gold entity layer without spans is predicted as the "no names" tick; a layer nobody annotated is not.
    empty = article.model_copy(update={"entities": []})
    assert [r["from_name"] for r in predictions(empty)[0]["result"]] == [NO_ENTITIES]
    blank = empty.model_copy(update={"annotation": article.annotation.model_copy(update={"entities": Layer()})})
    assert predictions(blank) == []


def test_the_data_hash_changes_with_a_status_not_with_text_changed_at() -> None:
    data = task_data(sentence())
    assert data_sha256({**data, "text_changed_at": "2025-09-05T10:00:00+00:00"}) == data_sha256(data)
    assert data_sha256({**data, "topic_status": "gold"}) != data_sha256(data)


def test_the_home_is_found_from_the_corpus_or_the_project_not_the_current_folder(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("NEWSCORPUS_LABELSTUDIO_HOME", raising=False)
    project = tmp_path / "project"
    (project / "corpus" / "raw").mkdir(parents=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    # Before the first serve: beside the corpus, or above the current folder where corpus/ is.
    assert default_home(project / "corpus").root == project / ".labelstudio"
    monkeypatch.chdir(project / "corpus" / "raw")
    assert default_home(Path("corpus")).root == project / ".labelstudio"
    (project / ".labelstudio").mkdir()
    monkeypatch.chdir(elsewhere)
    assert default_home(project / "corpus").root == project / ".labelstudio"
    assert default_home().root == elsewhere / ".labelstudio"  # nothing to go by: the current folder
    other = tmp_path / "other-corpus"
    other.mkdir()
    monkeypatch.chdir(project / "corpus")
    assert default_home(other).root == project / ".labelstudio"  # a corpus elsewhere: the project's server
    monkeypatch.setenv("NEWSCORPUS_LABELSTUDIO_HOME", str(tmp_path / "set"))
    assert default_home(project / "corpus").root == tmp_path / "set"


def test_a_taken_port_is_named_with_what_holds_it() -> None:
    with socket.create_server(("127.0.0.1", 0)) as holder:
        taken = holder.getsockname()[1]
        port, why = choose_port(taken)
    assert port != taken
    assert why is not None
    assert f"port {taken} is taken" in why
    if Path("/proc/net/tcp").is_file():
        assert f"process {os.getpid()} (" in why
    free, none = choose_port(port)
    assert (free, none) == (port, None)


@pytest.mark.parametrize("layer", ["entities", "topic"])
def test_a_stale_annotation_needs_review_only_in_the_layers_it_completed(layer: str) -> None:
    other = "topic" if layer == "entities" else "entities"
    stale = read("x", [ent(0, 5)] if layer == "entities" else None, "Sport" if layer == "topic" else None, stale=True)
    assert adjudicate_layer([stale], layer)[0] == "needs_review"
    assert adjudicate_layer([stale], other)[0] is None


def test_pseudonyms_are_stable_and_hide_the_login() -> None:
    assert pseudonym("Anna@Example.org ") == pseudonym("anna@example.org")
    assert pseudonym("anna@example.org") != pseudonym("ben@example.org")
    assert "anna" not in pseudonym("anna@example.org")


@given(st.lists(articles(), min_size=1, max_size=6), st.sampled_from(label_sets().entity_names()))
@settings(max_examples=60, deadline=None)
def test_a_label_set_that_drops_a_used_label_names_every_annotation_using_it(
    annotated: list[Article], dropped: str
) -> None:
    """``ensure_project``'s own guard: what our annotations use is offered; drop a label, count who used it."""
    tasks = [SimpleNamespace(annotations=[{"result": to_results(a.entities, a.topic)}]) for a in annotated]
    assert orphaned_labels(tasks, labelling_config()) == {}
    renamed = labelling_config().replace(f'<Label value="{dropped}" ', '<Label value="RENAMED" ')
    using = {e.level for a in annotated for e in a.entities or [] if e.label == dropped}
    expected = {
        f"{LEVEL_CONTROLS[level]}:{dropped}": sum(
            any(e.label == dropped and e.level == level for e in a.entities or []) for a in annotated
        )
        for level in using
    }
    assert orphaned_labels(tasks, renamed) == expected


def test_a_topic_or_control_the_config_lacks_orphans_its_annotations() -> None:
    tasks = [
        SimpleNamespace(annotations=[{"result": to_results(None, "Sport")}, {"result": to_results(None, "Kultur")}]),
        SimpleNamespace(annotations=[{"result": [{"from_name": "gone", "value": {"labels": ["LOC"]}}]}, {}]),
        SimpleNamespace(annotations=None),
    ]
    without_sport = labelling_config().replace('<Choice value="Sport" ', '<Choice value="Sports" ')
    assert orphaned_labels(tasks, without_sport) == {f"{TOPIC}:Sport": 1, "gone:LOC": 1}
