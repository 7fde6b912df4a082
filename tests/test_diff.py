"""`newscorpus diff`: what a release changed, computed from the two releases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from newscorpus.cli import app
from newscorpus.ingest.corpus import iter_corpus
from newscorpus.model.article import Article
from newscorpus.release.build import build
from newscorpus.release.diff import diff_releases, word_diff
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
    assert result.spans_added == {"LOC": 1, "PER": 1}
    assert result.spans_removed == {}
    assert result.topics == [(SEED, None, "Inland")]
    assert result.split_moves == []
    assert result.schema == []
    assert "2 added, 1 removed, 1 changed, 2 span changes, 1 topic changes" in result.short()


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
