"""The gold loop against the real Label Studio server: text corrections, a pull under change, the agreement chart."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from newscorpus.cli import app
from newscorpus.core.codes import Code
from newscorpus.ingest.corpus import validate
from newscorpus.labelstudio import pull as pull_module
from newscorpus.labelstudio.client import client, find_project
from newscorpus.labelstudio.convert import from_results
from newscorpus.labelstudio.pull import pull
from newscorpus.labelstudio.push import push
from newscorpus.labelstudio.views import PREVIOUS_TEXT, REANCHORED
from newscorpus.model.gold import AGREEMENT_CHART, gold_path
from tests.helpers import add_json_articles
from tests.test_labelstudio import SEED, annotate, annotate_two, articles, read_gold, spans, task_of

pytestmark = pytest.mark.integration


def output(result) -> str:
    """The CLI's output with rich's line folding undone."""
    return " ".join(result.output.split())


@pytest.fixture
def wide(monkeypatch) -> None:
    """A console wide enough that no table cell or long path folds (COLUMNS is read once, when it is made)."""
    from newscorpus.cli._common import console

    monkeypatch.setattr(console, "_width", 400)


def correct(corpus: Path, *edits: tuple[str, str]) -> None:
    raw = corpus / "raw" / f"{SEED}.txt"
    text = raw.read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text
        text = text.replace(old, new, 1)
    raw.write_text(text, encoding="utf-8")


def test_a_corrected_article_keeps_the_gold_spans_its_correction_did_not_touch(
    corpus, ls_conn, ls_project, tmp_path, wide
):
    ledgers = tmp_path / "ledgers"
    push(corpus, ls_conn, ls_project, ledgers=ledgers)
    before = articles(corpus)[SEED].text
    names = (("Emmanuel Macron", "PER"), ("Keir Starmer", "PER"), ("Steve Witkoff", "PER"))
    annotate(ls_conn, task_of(ls_conn, ls_project, SEED), spans(before, *names), "International", "anna@example.org")
    pull(corpus, ls_conn, ls_project)
    assert read_gold(corpus, SEED).entities.status == "gold"

    # A typo fixed in a name (it touches the span), a number written out before another one (it moves it).
    correct(corpus, ("Keir Starmer", "Keir Starmers"), ("35 Staats-", "fünfunddreißig Staats-"))
    after = articles(corpus)[SEED].text
    assert not validate(corpus).valid  # the gold is stale until the loop carries it over
    pushed = CliRunner().invoke(app, ["labelstudio", "push", "--corpus", str(corpus), "--project", ls_project])
    assert pushed.exit_code == 0, pushed.output
    said = output(pushed)
    assert "gold.reanchor_conflict" in said
    assert "'Keir Starmer'" in said
    assert "Gold carried to the corrected text" in said
    assert "gold.stale" not in said  # push carried it: no longer merely stale

    task = task_of(ls_conn, ls_project, SEED)
    assert (task.data["text"], task.data[PREVIOUS_TEXT]) == (after, before)
    assert '2 gold spans moved; check PER "Keir Starmer"' in task.data[REANCHORED]
    sdk = client(ls_conn)
    (prediction,) = sdk.predictions.list(task=task.id)  # the one made for the old text is gone
    assert prediction.model_version == "reanchored"
    sent = from_results(after, prediction.result)
    moved = spans(after, ("Emmanuel Macron", "PER"), ("Steve Witkoff", "PER"))
    assert (sent.rejected, sent.entities, sent.topic) == ([], moved, "International")
    project = find_project(sdk, ls_project)
    view = next(v for v in sdk.views.list(project=project.id) if v.data["title"] == "Re-anchored")
    assert [t.id for t in sdk.tasks.list(project=project.id, view=view.id, fields="task_only")] == [task.id]

    # The annotation was made on the text before: pull carries it over the same way.
    report = pull(corpus, ls_conn, ls_project)
    gold = read_gold(corpus, SEED)
    assert (gold.text_sha256, gold.entities.status, gold.entities.spans) == (articles(corpus)[SEED].text_sha256,
                                                                            "gold", moved)  # fmt: skip
    assert gold.topic.label == "International"
    (touched,) = [f for f in report.findings if f.code == Code.GOLD_REANCHOR_CONFLICT]
    assert (touched.task_id, "'Keir Starmer'" in touched.reason) == (task.id, True)
    assert validate(corpus).valid
    assert articles(corpus)[SEED].entities == moved

    # The next push refreshes the layer statuses and keeps the text before; a pull then still carries it.
    refreshed = push(corpus, ls_conn, ls_project, ledgers=ledgers)
    assert refreshed.refreshed == [SEED]
    data = task_of(ls_conn, ls_project, SEED).data
    assert (data["entities_status"], data[PREVIOUS_TEXT]) == ("gold", before)
    pull(corpus, ls_conn, ls_project)
    assert read_gold(corpus, SEED).entities.spans == moved

    # An annotator checks the touched span on the new text: that annotation wins over the carried one.
    checked = spans(after, ("Emmanuel Macron", "PER"), ("Keir Starmers", "PER"), ("Steve Witkoff", "PER"))
    annotate(ls_conn, task_of(ls_conn, ls_project, SEED), checked, "International", "ben@example.org")
    report = pull(corpus, ls_conn, ls_project)
    assert (report.entities.gold, read_gold(corpus, SEED).entities.spans) == ([SEED], checked)
    assert not [f for f in report.findings if f.code == Code.GOLD_REANCHOR_CONFLICT]


def test_a_task_that_changes_while_pull_reads_it_is_reported_not_half_read(corpus, ls_conn, ls_project, monkeypatch):
    add_json_articles(corpus, 1)
    other = next(a for a in articles(corpus) if a != SEED)
    push(corpus, ls_conn, ls_project)
    seed_task, other_task = task_of(ls_conn, ls_project, SEED), task_of(ls_conn, ls_project, other)
    annotate(ls_conn, seed_task, None, "International", "anna@example.org")
    annotate(ls_conn, other_task, None, "Panorama", "anna@example.org")

    listing = pull_module.all_tasks

    def listing_then_an_annotator_works(sdk, project_id, **kwargs):
        listed = listing(sdk, project_id, **kwargs)
        annotate(ls_conn, seed_task, None, "Inland", "ben@example.org")  # after the listing, before the check
        return listed

    monkeypatch.setattr(pull_module, "all_tasks", listing_then_an_annotator_works)
    report = pull(corpus, ls_conn, ls_project)
    (changed,) = [f for f in report.findings if f.code == Code.LABELSTUDIO_TASK_CHANGED]
    assert (changed.task_id, changed.article_id) == (seed_task.id, SEED)
    assert "when listed" in changed.reason
    assert not gold_path(corpus, SEED).exists()  # neither the listed state nor a mix: left for the next pull
    assert read_gold(corpus, other).topic.label == "Panorama"
    assert report.topic.gold == [other]

    monkeypatch.setattr(pull_module, "all_tasks", listing)
    again = pull(corpus, ls_conn, ls_project)
    assert not [f for f in again.findings if f.code == Code.LABELSTUDIO_TASK_CHANGED]
    assert again.topic.needs_adjudication == [SEED]  # both annotations, read whole


def test_pull_draws_the_agreement_chart_and_the_next_release_card_links_it(corpus, ls_conn, ls_project, tmp_path, wide):
    from datasets import load_dataset

    from newscorpus.publish.folder import publish, rehydrate
    from newscorpus.release.build import build
    from tests.test_standoff import files

    annotate_two(corpus, ls_conn, ls_project, ("Paris", "LOC"), ("Paris", "LOC"))
    pulled = CliRunner().invoke(app, ["labelstudio", "pull", "--corpus", str(corpus), "--project", ls_project])
    assert pulled.exit_code == 0, pulled.output
    chart = corpus / AGREEMENT_CHART
    assert f"Agreement chart: {chart}" in output(pulled)
    report = pull_module.PullReport.model_validate_json((corpus / pull_module.REPORT).read_text(encoding="utf-8"))
    assert report.chart == AGREEMENT_CHART
    assert [(item.label, item.exact_f1, item.overlap_f1) for item in report.agreement.labels] == [
        ("LOC", 1.0, 1.0), ("PER", 0.0, 1.0),
    ]  # fmt: skip
    svg = chart.read_text(encoding="utf-8")
    assert "LOC (2 spans)" in svg
    assert "PER (2 spans)" in svg

    build(corpus, "1.0.0")
    out = tmp_path / "published"
    publish(corpus, "1.0.0", out)
    assert (out / "agreement.svg").read_text(encoding="utf-8") == svg
    card = (out / "README.md").read_text(encoding="utf-8")
    assert "![Span F1 per label between annotators, and the kappa of their topics](agreement.svg)" in card
    documents = load_dataset(str(out), "documents", cache_dir=str(tmp_path / "cache"))  # the chart is no data file
    assert [row["id"] for split in documents.values() for row in split] == [SEED]
    # Stand-off and back: the chart the card links goes along both ways.
    publish(corpus, "1.0.0", tmp_path / "standoff", standoff=True)
    assert (tmp_path / "standoff" / "agreement.svg").read_text(encoding="utf-8") == svg
    assert rehydrate(tmp_path / "standoff", corpus / "raw", tmp_path / "back").complete
    assert files(tmp_path / "back") == files(out)
