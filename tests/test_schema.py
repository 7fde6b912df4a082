from __future__ import annotations

import json

from newscorpus.derive.features import article_features
from newscorpus.model.labels import label_sets
from newscorpus.release.schema import schema_version, snapshot, snapshot_path


def test_newest_snapshot_is_what_the_code_defines() -> None:
    frozen = json.loads(snapshot_path(schema_version()).read_text(encoding="utf-8"))
    assert frozen.pop("version") == schema_version()
    assert frozen == json.loads(json.dumps(snapshot())), "the models changed without a new schema snapshot"


def test_classlabel_names_follow_the_label_file() -> None:
    features = article_features()
    assert features["entities"].feature["label"].names == list(label_sets().entity_names())
    assert features["topic"].names == list(label_sets().topic_names())
    assert len(label_sets().entity_names()) == 12
    assert all(label.description for label in (*label_sets().entity_labels, *label_sets().topics))
