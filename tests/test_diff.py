"""`newscorpus diff`: what a release changed, computed from the two releases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from newscorpus.cli import app
from newscorpus.ingest.corpus import iter_corpus
from newscorpus.model.article import Article
from newscorpus.publish.card import render_card
from newscorpus.publish.folder import publish
from newscorpus.release.build import build
from newscorpus.release.diff import changes_since, diff_releases, word_diff
from newscorpus.release.manifest import load_manifest
from tests.helpers import add_json_articles, write_gold

SEED = "koalition-der-willigen-paris"


def articles(corpus: Path) -> dict[str, Article]:
    return {a.id: a for a in iter_corpus(corpus) if isinstance(a, Article)}


@pytest.fixture
def two_releases(corpus: Path) -> Path:
    """1.0.0: the seed and three JSON articles; 1.1.0: one article more, one less, gold and a corrected text."""
    add_json_articles(corpus, 3)
    build(corpus, "1.0.0")
    add_json_articles(corpus, 2, name="more.jsonl")
    bulk = corpus / "raw" / "bulk.jsonl"
    lines = bulk.read_text(encoding="utf-8").splitlines()
    record = json.loads(lines[1])
    record["body"] = record["body"].replace("Zweiter Absatz", "Der zweite Absatz")
    record["agency"] = "dpa"
    bulk.write_text("\n".join([json.dumps(record, ensure_ascii=False), lines[2]]) + "\n", encoding="utf-8")
    write_gold(corpus, articles(corpus)[SEED], [("Emmanuel Macron", "PER"), ("Paris", "LOC")], topic="Inland")
    build(corpus, "2.0.0")
    return corpus


def test_diff_lists_added_removed_changed_articles_and_gold(two_releases: Path) -> None:
    result = diff_releases(two_releases, "1.0.0", "2.0.0")
    now = articles(two_releases)
    assert len(result.added) == 2
    assert all(now[i].raw_file == "raw/more.jsonl" for i in result.added)
    assert len(result.removed) == 1
    (changed,) = result.changed
    assert changed.text is not None
    assert "[-Zweiter-]" in changed.text
    assert "{+Der zweite+}" in changed.text
    assert changed.fields == ["agency"]
    assert result.spans_added == {"LOC": 1, "PER": 1}
    assert result.spans_removed == {}
    assert result.topics == [(SEED, None, "Inland")]
    assert result.split_moves == []
    assert result.schema == []
    assert "2 added, 1 removed, 1 changed, 2 span changes, 1 topic change" in result.short()


def test_diff_cli_prints_the_short_form_and_json(two_releases: Path) -> None:
    runner = CliRunner()
    shown = runner.invoke(app, ["diff", "1.0.0", "2.0.0", "--corpus", str(two_releases)])
    assert shown.exit_code == 0, shown.output
    assert "Since 1.0.0: 2 added" in shown.output
    as_json = runner.invoke(app, ["diff", "1.0.0", "2.0.0", "--corpus", str(two_releases), "--json"])
    data = json.loads(as_json.output)
    assert data["spans_added"] == {"LOC": 1, "PER": 1}
    assert data["topics"] == [[SEED, None, "Inland"]]


def test_diff_of_a_release_without_data_says_how_to_restore_it(two_releases: Path) -> None:
    for path in (two_releases / "releases" / "1.0.0" / "documents").iterdir():
        path.unlink()
    runner = CliRunner()
    result = runner.invoke(app, ["diff", "1.0.0", "2.0.0", "--corpus", str(two_releases)])
    assert result.exit_code == 1
    assert "newscorpus build --version 1.0.0" in " ".join(result.output.split())


def test_word_diff_shows_only_changed_words_with_context_and_is_cut() -> None:
    old = "Der Stadtrat prüft die Größe der Straßen in München am Montag."
    new = "Der Stadtrat prüft die Breite der Straßen in München am Dienstag."
    shown = word_diff(old, new)
    assert "[-Größe-] {+Breite+}" in shown
    assert "[-Montag.-] {+Dienstag.+}" in shown
    assert len(word_diff(old * 50, new * 50, limit=80)) == 80


def test_the_card_of_a_release_shows_its_changes_since_the_one_before(two_releases: Path, tmp_path: Path) -> None:
    result = diff_releases(two_releases, "1.0.0", "2.0.0")
    publish(two_releases, "2.0.0", tmp_path / "second")
    card = (tmp_path / "second" / "README.md").read_text(encoding="utf-8")
    section = card[card.index("## Changes since 1.0.0") :]
    assert "- Articles: 2 added, 1 removed, 1 changed (4 → 5)." in section
    assert all(f"`{article_id}`" in section for article_id in result.added + result.removed)
    assert "| PER | 1 | 0 |" in section
    assert "| LOC | 1 | 0 |" in section
    assert "- Topic changes: 1." in section
    assert "- Split moves: none." in section
    assert "(and agency): `Überschrift 1 aus … „Zitat“ und Größe. [-Zweiter-] {+Der zweite+}" in section
    publish(two_releases, "1.0.0", tmp_path / "first")
    assert "## Changes since" not in (tmp_path / "first" / "README.md").read_text(encoding="utf-8")


def test_without_the_older_release_s_data_the_card_gives_the_manifests_figures(two_releases: Path) -> None:
    for path in (two_releases / "releases" / "1.0.0" / "documents").iterdir():
        path.unlink()
    changes = changes_since(two_releases, "2.0.0")
    assert changes is not None
    assert changes.missing is not None
    assert "the data files of release 1.0.0 are not here" in changes.missing
    card = render_card(load_manifest(two_releases, "2.0.0"), changes=changes)
    assert "- Articles: 4 → 5. Articles were not compared: the data files of release 1.0.0" in card
    assert "`newscorpus diff 1.0.0 2.0.0` says how to restore them" in card
    assert "Since 1.0.0: 4 → 5 articles; articles not compared" in changes.short()


def test_build_prints_the_short_form_of_the_diff(two_releases: Path) -> None:
    add_json_articles(two_releases, 1, name="third.jsonl")
    runner = CliRunner()
    result = runner.invoke(app, ["build", "--corpus", str(two_releases), "--processes", "1"])
    assert result.exit_code == 0, result.output
    assert "Since 2.0.0: 1 added, 0 removed, 0 changed, 0 span changes, 0 topic changes." in result.output
