"""The near-duplicate threshold of a build: set per release, recorded in its manifest, kept by the next build."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from newscorpus.cli import app
from newscorpus.core.errors import ReleaseError, UsageError
from newscorpus.derive.neardup import DEFAULT_THRESHOLD
from newscorpus.publish.card import render_card
from newscorpus.release.build import build
from newscorpus.release.diff import changes_since
from newscorpus.release.duplicates import duplicates
from newscorpus.release.manifest import MANIFEST, read_manifest
from newscorpus.release.verify import verify
from tests.test_neardup import gnad

SHORTENED = "dpa-story-short"


def write_shortened_copy(corpus: Path) -> tuple[str, str]:
    """Add one agency story and a copy cut by its last eighth: similar by about 0.82, between 0.5 and 0.95."""
    words = gnad()[3][1].split()
    records = [
        {"id": "dpa-story-full", "headline": "Regierung einigt sich", "body": " ".join(words)},
        {"id": SHORTENED, "headline": "Durchbruch in Wien", "body": " ".join(words[: len(words) * 7 // 8])},
    ]
    (corpus / "raw" / "agency.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
    )
    return "dpa-story-full", SHORTENED


def clusters_of(manifest_path: Path) -> dict[str, str]:
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    return {entry["id"]: entry["cluster"] for entry in manifest["articles"]}


@pytest.mark.integration
def test_a_threshold_given_to_build_is_recorded_and_kept_by_the_next_build(corpus: Path) -> None:
    full, short = write_shortened_copy(corpus)
    strict = build(corpus, "1.0.0", processes=1, configs=["documents"], threshold=0.95)
    assert strict.manifest.duplicate_threshold == 0.95
    on_disk = json.loads((strict.path / MANIFEST).read_text(encoding="utf-8"))
    assert on_disk["duplicate_threshold"] == 0.95
    assert clusters_of(strict.path / MANIFEST)[short] == short  # 0.82 < 0.95: a cluster of its own
    assert duplicates(corpus, processes=1).threshold == 0.95  # lists what the next build groups
    assert duplicates(corpus, processes=1).clusters == []

    (corpus / "raw" / "later.jsonl").write_text(
        json.dumps({"id": "later", "headline": "Später", "body": gnad()[6][1]}) + "\n", encoding="utf-8"
    )
    later = build(corpus, processes=1, configs=["documents"])
    assert later.manifest.version == "1.1.0"  # a new input
    assert later.manifest.threshold == 0.95  # the corpus keeps its threshold: clusters are not regrouped
    assert clusters_of(later.path / MANIFEST)[short] == short

    looser = build(corpus, "1.2.0", processes=1, configs=["documents"], threshold=0.5)
    assert looser.manifest.duplicate_threshold is None  # 0.5, the threshold of every release before the field
    assert "duplicate_threshold" not in json.loads((looser.path / MANIFEST).read_text(encoding="utf-8"))
    assert clusters_of(looser.path / MANIFEST)[short] == full
    assert looser.manifest.threshold == DEFAULT_THRESHOLD == 0.5
    changes = changes_since(corpus, "1.2.0")
    assert changes is not None
    assert changes.threshold == (0.95, 0.5)
    assert changes.changed == []  # a cluster id is not content: the threshold says why clusters changed
    assert changes.split_moves == []  # regrouped, but a released article keeps its split
    assert changes.short().endswith("near-duplicate threshold 0.95 → 0.5.")
    card = render_card(looser.manifest, changes=changes)
    assert "- Near-duplicate threshold: 0.95 → 0.5 (clusters regrouped" in card


@pytest.mark.integration
def test_an_existing_release_is_rebuilt_only_at_its_own_threshold(corpus: Path) -> None:
    write_shortened_copy(corpus)
    release = build(corpus, "1.0.0", processes=1, configs=["documents"], threshold=0.95)
    with pytest.raises(ReleaseError, match=r"similarity 0\.95, this build's at 0\.5 \(--duplicate-threshold 0\.95"):
        build(corpus, "1.0.0", processes=1, configs=["documents"])  # no release before: 0.5
    data = release.path / "documents" / "train.arrow"
    data.unlink()
    hint = verify(corpus, "1.0.0").problems[0].message
    assert "newscorpus build --version 1.0.0 --config documents --duplicate-threshold 0.95" in hint
    assert build(corpus, "1.0.0", processes=1, configs=["documents"], threshold=0.95).status == "restored"
    assert data.is_file()


def test_a_threshold_out_of_range_is_refused_before_reading(corpus: Path) -> None:
    with pytest.raises(UsageError, match=r"above 0 and at most 1, not 1\.5\. Try 0\.5"):
        build(corpus, "1.0.0", threshold=1.5)
    assert not (corpus / "releases" / "1.0.0").exists()


@pytest.mark.integration
def test_the_card_and_the_cli_name_the_threshold(corpus: Path) -> None:
    write_shortened_copy(corpus)
    runner = CliRunner()
    args = ["build", "--corpus", str(corpus), "--processes", "1", "--version", "1.0.0"]
    made = runner.invoke(app, [*args, "--duplicate-threshold", "0.8"])
    assert made.exit_code == 0, made.output
    card = render_card(read_manifest(corpus / "releases" / "1.0.0" / MANIFEST))
    assert "Near-duplicate clusters (estimated similarity of 5-word shingles ≥ 0.8): 1 of 2 articles" in card
    listed = runner.invoke(app, ["duplicates", "--corpus", str(corpus), "--processes", "1"])
    assert "1 cluster of near-duplicates (similarity ≥ 0.8)" in listed.output
    refused = runner.invoke(app, ["build", "--corpus", str(corpus), "--duplicate-threshold", "0"])
    assert refused.exit_code == 2
    assert "--duplicate-threshold" in refused.output
