from __future__ import annotations

import json

from newscorpus.derive.features import article_features
from newscorpus.model.labels import label_sets
from newscorpus.release.schema import read_snapshot, schema_version, snapshot, snapshot_path
from newscorpus.release.schema_diff import diff_validators


def test_newest_snapshot_is_what_the_code_defines() -> None:
    frozen = json.loads(snapshot_path(schema_version()).read_text(encoding="utf-8"))
    assert frozen.pop("version") == schema_version()
    assert frozen == json.loads(json.dumps(snapshot())), "the models changed without a new schema snapshot"


def test_every_validator_is_the_one_its_snapshot_records() -> None:
    """A rule edited without a version bump fails here by name; the comparison above says only that something did."""
    frozen = read_snapshot(schema_version()).get("validators")
    changes = diff_validators(frozen, json.loads(json.dumps(snapshot()))["validators"])
    assert not changes, "; ".join(f"{c.path}: {c.what} ({c.level})" for c in changes)


def test_classlabel_names_follow_the_label_file() -> None:
    features = article_features()
    assert features["entities"].feature["label"].names == list(label_sets().entity_names())
    assert features["topic"].names == list(label_sets().topic_names())
    assert len(label_sets().entity_names()) == 12
    assert all(label.description for label in (*label_sets().entity_labels, *label_sets().topics))
