"""Re-anchoring in the gold loop, pull consistency and the agreement chart: the pure halves, without a server."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newscorpus.core.codes import Code
from newscorpus.core.offsets import sha256_text
from newscorpus.labelstudio.adjudicate import Fetched, Task, adjudicate
from newscorpus.labelstudio.agreement import AgreementReport, LabelAgreement, PairAgreement, agreement
from newscorpus.labelstudio.chart import render_chart, write_chart
from newscorpus.labelstudio.convert import from_results, to_results
from newscorpus.labelstudio.ledger import data_sha256, known_task
from newscorpus.labelstudio.pull import changed_while_read
from newscorpus.labelstudio.push_plan import Update, decide, new_task
from newscorpus.labelstudio.reanchoring import keep_push_fields, reanchor_results, text_update
from newscorpus.labelstudio.views import PREVIOUS_TEXT, REANCHORED, TEXT_CHANGED_AT
from newscorpus.model.article import Article, Entity
from newscorpus.model.gold import EntityGold, GoldFile, TopicGold
from newscorpus.model.labels import label_sets
from newscorpus.publish.card import render_card
from newscorpus.publish.folder import agreement_chart

OLD = "Emmanuel Macron traf Keir Starmer in Paris."
NEW = "Emmanuel Macron traf Keir Starmers Team gestern in Paris."  # the edit touches "Keir Starmer", not the others
NOW = "2025-09-05T12:00:00+00:00"
EARLIER = "2025-09-01T08:00:00+00:00"
CHANGED = dt.datetime(2025, 9, 5, 12, tzinfo=dt.UTC)


def span(text: str, surface: str, label: str = "PER") -> Entity:
    start = text.index(surface)
    return Entity(start=start, end=start + len(surface), label=label, text=surface)


def article(text: str, article_id: str = "a") -> Article:
    return Article.model_validate(
        {
            "id": article_id, "split": "train", "license": "CC-BY-4.0", "redistributable": True, "text": text,
            "blocks": [{"kind": "paragraph", "start": 0, "end": len(text)}], "raw_file": "raw/a.txt",
            "raw_encoding": "utf-8", "raw_sha256": "0" * 64, "text_sha256": sha256_text(text),
        }
    )  # fmt: skip


def gold_on(text: str, *surfaces: str, topic: str | None = "International") -> GoldFile:
    return GoldFile(
        article_id="a", text_sha256=sha256_text(text),
        entities=EntityGold(status="gold", spans=[span(text, s, "LOC" if s == "Paris" else "PER") for s in surfaces]),
        topic=TopicGold(status="gold", label=topic) if topic else None,
    )  # fmt: skip


def text_step() -> Update:
    """The step push takes for article ``a`` whose task still holds ``OLD``."""
    task = new_task(article(NEW))
    step = decide(known_task(5, {**task["data"], "text_sha256": sha256_text(OLD)}), task)
    assert isinstance(step, Update)
    return step


def on_server(text: str = OLD, **more: Any) -> dict[str, Any]:
    """The task data as the server holds them before push sends the new text."""
    return {**new_task(article(text))["data"], **more}


# --- push: the gold carried to the corrected text ----------------------------------------------------------------


def test_push_carries_the_gold_spans_the_correction_left_alone_and_names_the_one_it_touched() -> None:
    step = text_step()
    update = text_update(step, on_server(), gold_on(OLD, "Emmanuel Macron", "Keir Starmer", "Paris"), NOW)
    assert update.reanchored
    assert (update.data["text"], update.data[PREVIOUS_TEXT], update.data[TEXT_CHANGED_AT]) == (NEW, OLD, NOW)
    (prediction,) = update.predictions
    assert prediction["model_version"] == "reanchored"
    sent = from_results(NEW, prediction["result"])
    assert sent.rejected == []
    assert (sent.entities, sent.topic) == ([span(NEW, "Emmanuel Macron"), span(NEW, "Paris", "LOC")], "International")
    assert update.data[REANCHORED] == '2 gold spans moved; check PER "Keir Starmer" [21:33]'
    (problem,) = update.problems
    assert (problem.code, problem.severity, problem.file, problem.field, problem.article_id) == (
        Code.GOLD_REANCHOR_CONFLICT, "warning", "annotations/a.json", "entities.spans.1", "a",
    )  # fmt: skip
    assert "'Keir Starmer'" in problem.message
    assert "task 5" in problem.message
    # What push sets from the task's history is not the article's: the ledger compares the rest.
    assert data_sha256(update.data) == data_sha256(step.data)


def test_without_the_old_text_or_gold_for_it_push_sends_only_the_articles_predictions() -> None:
    step = text_step()
    gold = gold_on(OLD, "Paris")
    edited = text_update(step, on_server(text_sha256="0" * 64), gold, NOW)  # a task text someone edited by hand
    assert (edited.reanchored, edited.predictions, PREVIOUS_TEXT in edited.data) == (False, step.predictions, False)
    other = text_update(step, on_server(), gold_on("Emmanuel Macron in Paris.", "Paris"), NOW)
    assert (other.reanchored, other.data[PREVIOUS_TEXT], other.problems) == (False, OLD, [])
    assert text_update(step, on_server(), None, NOW).predictions == step.predictions


def test_a_push_run_again_after_sending_the_text_keeps_what_the_first_said_of_the_old_text() -> None:
    step = text_step()
    gold = gold_on(OLD, "Emmanuel Macron", "Keir Starmer", "Paris")
    first = text_update(step, on_server(), gold, EARLIER)
    again = text_update(step, first.data, gold, NOW)  # the server holds the new text already
    assert (again.data[TEXT_CHANGED_AT], again.data[PREVIOUS_TEXT]) == (EARLIER, OLD)
    assert (again.predictions, again.problems, again.data) == (first.predictions, first.problems, first.data)


def test_gold_whose_every_span_the_correction_touched_is_not_sent_as_no_names() -> None:
    update = text_update(text_step(), on_server(), gold_on(OLD, "Keir Starmer"), NOW)
    (prediction,) = update.predictions
    assert from_results(NEW, prediction["result"]).layers == ["topic"]  # no entity result, and no "no names" tick
    assert update.data[REANCHORED].startswith("0 gold spans moved; check PER")


def test_a_refresh_keeps_what_push_said_of_the_text_history() -> None:
    old = {"text": NEW, "entities_status": "none", TEXT_CHANGED_AT: EARLIER, PREVIOUS_TEXT: OLD, REANCHORED: "x"}
    new = {"text": NEW, "entities_status": "gold", TEXT_CHANGED_AT: EARLIER}
    assert keep_push_fields(new, old) == {**new, PREVIOUS_TEXT: OLD, REANCHORED: "x"}
    assert keep_push_fields(new, {}) == new


# --- pull: annotations made on the text before the correction ----------------------------------------------------


def annotation(annotation_id: int, text: str, *surfaces: str, topic: str | None = "International",
               at: dt.datetime = CHANGED - dt.timedelta(hours=1)) -> dict[str, Any]:  # fmt: skip
    entities = [span(text, s, "LOC" if s == "Paris" else "PER") for s in surfaces] or None  # none: names left open
    return {
        "id": annotation_id, "completed_by": annotation_id, "created_at": at.isoformat(), "updated_at": at.isoformat(),
        "result": to_results(entities, topic, origin="manual"),
    }  # fmt: skip


def corrected_task(*annotations: dict[str, Any], previous: str | None = OLD) -> Fetched:
    data = {**on_server(NEW), TEXT_CHANGED_AT: CHANGED.isoformat()}
    if previous is not None:
        data[PREVIOUS_TEXT] = previous
    return Fetched(project_id=1, tasks=[Task(id=5, data=data, annotations=list(annotations))], names={})


def test_reanchor_results_moves_what_fits_the_text_before_and_refuses_what_does_not() -> None:
    results = annotation(1, OLD, "Emmanuel Macron", "Keir Starmer", "Paris")["result"]
    converted, touched = reanchor_results(OLD, NEW, results)
    assert converted.entities == [span(NEW, "Emmanuel Macron"), span(NEW, "Paris", "LOC")]
    assert [s.text for s, _ in touched] == ["Keir Starmer"]
    assert converted.flawed == set()
    assert reanchor_results("Ganz anderer Text, länger als der alte.", NEW, results) is None
    only, _ = reanchor_results(OLD, NEW, annotation(1, OLD, "Keir Starmer")["result"])
    assert only.flawed == {"entities"}  # nothing left would read as "no names"


def test_pull_carries_an_annotation_made_before_the_correction_and_reports_the_span_it_touched() -> None:
    decided = adjudicate(corrected_task(annotation(11, OLD, "Emmanuel Macron", "Keir Starmer", "Paris")),
                         {"a": article(NEW)}, {})  # fmt: skip
    gold = decided.gold_files["a"]
    assert gold.text_sha256 == sha256_text(NEW)
    assert gold.entities == EntityGold(status="gold", spans=[span(NEW, "Emmanuel Macron"), span(NEW, "Paris", "LOC")])
    assert gold.topic == TopicGold(status="gold", label="International")
    (finding,) = [f for f in decided.findings if f.code == Code.GOLD_REANCHOR_CONFLICT]
    assert (finding.task_id, finding.annotation_id) == (5, 11)
    assert "'Keir Starmer'" in finding.reason


def test_without_the_text_before_or_on_an_older_text_an_annotation_needs_review() -> None:
    made = annotation(11, OLD, "Emmanuel Macron", "Paris")
    assert adjudicate(corrected_task(made, previous=None), {"a": article(NEW)}, {}).outcome["entities"].needs_review
    older = "Präsident Emmanuel Macron traf in Paris ein."  # two corrections ago: its offsets fit no text we have
    made = annotation(11, older, "Emmanuel Macron", "Paris")
    assert adjudicate(corrected_task(made), {"a": article(NEW)}, {}).outcome["entities"].needs_review == ["a"]


def test_an_annotation_made_on_the_corrected_text_wins_over_a_carried_one() -> None:
    carried = annotation(11, OLD, "Emmanuel Macron", "Keir Starmer", "Paris")
    fresh = annotation(12, NEW, "Keir Starmers", "Paris", at=CHANGED + dt.timedelta(hours=1))
    decided = adjudicate(corrected_task(carried, fresh), {"a": article(NEW)}, {})
    assert decided.gold_files["a"].entities == EntityGold(
        status="gold", spans=[span(NEW, "Keir Starmers"), span(NEW, "Paris", "LOC")]
    )
    assert decided.outcome["entities"].gold == ["a"]  # not in dispute with the carried one
    assert not [f for f in decided.findings if f.code == Code.GOLD_REANCHOR_CONFLICT]  # checked on the new text


def test_an_earlier_gold_file_on_the_text_before_is_carried_too() -> None:
    topic_only = annotation(12, NEW, topic="Inland", at=CHANGED + dt.timedelta(hours=1))
    earlier = gold_on(OLD, "Emmanuel Macron", "Keir Starmer", "Paris")
    gold = adjudicate(corrected_task(topic_only), {"a": article(NEW)}, {"a": earlier})
    assert gold.gold_files["a"].entities.spans == [span(NEW, "Emmanuel Macron"), span(NEW, "Paris", "LOC")]
    assert gold.gold_files["a"].topic.label == "Inland"
    (finding,) = [f for f in gold.findings if f.code == Code.GOLD_REANCHOR_CONFLICT]
    assert (finding.annotation_id, "'Keir Starmer'" in finding.reason) == (None, True)


# --- pull: a task that changes while it is read --------------------------------------------------------------------


def listed(task_id: int, minute: int, *annotations: tuple[int, int]) -> Task:
    at = dt.datetime(2025, 9, 5, 12, minute, tzinfo=dt.UTC)
    notes = [{"id": i, "updated_at": dt.datetime(2025, 9, 5, 12, m, tzinfo=dt.UTC).isoformat()} for i, m in annotations]
    return Task(id=task_id, data={}, annotations=notes, updated_at=at)


def test_a_task_whose_annotations_changed_after_it_was_listed_is_named() -> None:
    snapshot = [listed(1, 0, (10, 0)), listed(2, 0, (20, 0)), listed(3, 0, (30, 0)), listed(4, 0)]
    again = [
        listed(1, 0, (10, 0)),  # listed after its change: read whole
        listed(2, 5, (20, 0), (21, 5)),  # an annotation added
        listed(3, 5, (30, 5)),  # an annotation edited
        listed(4, 5),  # its data (or predictions) changed
        listed(9, 5, (90, 5)),  # made after the listing: not read at all
    ]
    changed = changed_while_read(snapshot, again)
    assert sorted(changed) == [2, 3, 4]
    assert "annotations [20] when listed, [20, 21] now" in changed[2]
    assert "annotation 30 edited" in changed[3]
    assert "data or predictions" in changed[4]
    assert changed_while_read(snapshot, snapshot) == {}


def test_pull_leaves_a_changed_task_out_and_reports_it() -> None:
    fetched = corrected_task(annotation(11, OLD, "Paris"))
    fetched = Fetched(fetched.project_id, fetched.tasks, fetched.names, changed={5: "changed while the pull read it"})
    decided = adjudicate(fetched, {"a": article(NEW)}, {})
    assert decided.gold_files == {}
    (finding,) = decided.findings
    assert (finding.code, finding.task_id, finding.article_id) == (Code.LABELSTUDIO_TASK_CHANGED, 5, "a")


# --- agreement per label, and its chart -----------------------------------------------------------------------------

LABELS = ["PER", "LOC", "ORG"]
spans_on_one_text = st.lists(
    st.tuples(st.integers(0, 40), st.integers(1, 8), st.sampled_from(LABELS)), max_size=8
).map(lambda items: list({(s, s + n, lab): Entity(start=s, end=s + n, label=lab, text="x" * n)
                          for s, n, lab in items}.values()))  # fmt: skip


@given(spans_on_one_text, spans_on_one_text)
def test_per_label_f1_weighted_by_spans_is_the_pairs_f1(a: list[Entity], b: list[Entity]) -> None:
    report = agreement({"t": {"x": a, "y": b}}, {})
    (pair,) = report.pairs
    order = label_sets().entity_names()
    assert [item.label for item in report.labels] == sorted({e.label for e in a + b}, key=order.index)
    total = sum(item.spans for item in report.labels)
    assert total == len(a) + len(b)
    if total:
        assert sum(item.exact_f1 * item.spans for item in report.labels) / total == pytest.approx(pair.exact_f1)
        assert sum(item.overlap_f1 * item.spans for item in report.labels) / total == pytest.approx(pair.overlap_f1)


REPORT = AgreementReport(
    pairs=[PairAgreement(annotators=("annotator-a", "annotator-b"), tasks=3, exact_f1=0.7, overlap_f1=0.8)],
    labels=[LabelAgreement(label="PER", spans=10, exact_f1=0.8, overlap_f1=1.0),
            LabelAgreement(label="LOCderiv", spans=4, exact_f1=0.5, overlap_f1=0.5)],
    topic_items=5, cohen_kappa=0.62, fleiss_kappa=-0.1,
)  # fmt: skip


def test_the_chart_is_a_deterministic_svg_with_its_text_as_text() -> None:
    svg = render_chart(REPORT)
    assert svg == render_chart(REPORT)  # no date, fixed ids
    root = ET.fromstring(svg)  # noqa: S314 - our own output
    texts = " ".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
    for shown in ("PER (10 spans)", "LOCderiv (4 spans)", "0.80", "Cohen's κ", "0.62", "-0.10"):
        assert shown in texts
    assert "<dc:date>" not in svg
    other = render_chart(REPORT.model_copy(update={"cohen_kappa": 0.61}))
    assert other != svg
    assert render_chart(REPORT.model_copy(update={"labels": [], "cohen_kappa": None, "fleiss_kappa": None})) is None


def test_write_chart_replaces_atomically_and_removes_a_chart_it_cannot_draw(tmp_path: Path) -> None:
    path = tmp_path / "reports" / "agreement.svg"
    assert write_chart(path, REPORT)
    assert path.read_text(encoding="utf-8") == render_chart(REPORT)
    assert not write_chart(path, REPORT.model_copy(update={"labels": [], "cohen_kappa": None, "fleiss_kappa": None}))
    assert list((tmp_path / "reports").iterdir()) == []


def test_the_card_shows_the_chart_only_when_it_goes_along(tmp_path: Path) -> None:
    from newscorpus.release.manifest import MANIFEST, read_manifest
    from tests.conftest import REPO

    manifest = read_manifest(REPO / "corpus" / "releases" / "2.0.0" / MANIFEST)
    with_chart = render_card(manifest, agreement_chart="agreement.svg")
    assert "### Agreement between annotators" in with_chart
    assert "](agreement.svg)" in with_chart
    without = render_card(manifest)
    assert "Agreement between annotators" not in without
    assert with_chart.replace(without.split("## Licences")[0], "").startswith("### Agreement")

    corpus = tmp_path / "corpus"
    for version in ("1.0.0", "1.1.0"):
        (corpus / "releases" / version).mkdir(parents=True)
        (corpus / "releases" / version / MANIFEST).write_text("{}", encoding="utf-8")
    assert agreement_chart(corpus, "1.1.0") is None  # no pull drew one
    chart = corpus / "reports" / "agreement.svg"
    write_chart(chart, REPORT)
    assert agreement_chart(corpus, "1.1.0") == chart
    assert agreement_chart(corpus, "1.0.0") is None  # built before that pull: its card stays as it was
