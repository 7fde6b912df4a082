"""The generated label types: what type checkers see is what schemas/labels.yaml says."""

from __future__ import annotations

from typing import get_args

from newscorpus.model import label_types
from newscorpus.model.labels import LabelSets, label_sets, label_types_stale, render_label_types


def test_the_committed_label_types_are_what_labels_yaml_generates() -> None:
    assert not label_types_stale(), "model/label_types.py is stale. Run `newscorpus schema labels`."
    sets = label_sets()
    assert get_args(label_types.EntityLabel) == sets.entity_names()
    assert get_args(label_types.Topic) == sets.topic_names()
    tags = get_args(label_types.NerTag)
    assert tags[0] == "O"
    assert tags[1::2] == tuple(f"B-{name}" for name in sets.entity_names())
    assert tags[2::2] == tuple(f"I-{name}" for name in sets.entity_names())


def test_an_appended_label_is_generated_and_makes_the_module_stale() -> None:
    sets = label_sets()
    more = LabelSets.model_validate(
        {
            "entity_labels": (*sets.entity_labels, {"name": "EVT", "description": "An event."}),
            "topics": sets.topics,
        },
        strict=False,
    )
    namespace: dict[str, object] = {}
    exec(render_label_types(more), namespace)  # noqa: S102 - our own generated source
    assert get_args(namespace["EntityLabel"]) == (*sets.entity_names(), "EVT")
    assert get_args(namespace["NerTag"])[-2:] == ("B-EVT", "I-EVT")
    assert render_label_types(more) != render_label_types(sets)
