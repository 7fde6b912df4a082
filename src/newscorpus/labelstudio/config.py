"""The Label Studio labelling config, generated from ``schemas/labels.yaml``; never written by hand.

Entities are marked with two ``Labels`` controls over the same text: ``label``
for outer spans (level 0) and ``inner`` for a name nested inside another
(level 1), as GermEval 2014 nests two levels. The topic is a single choice.
Each label shows its description as a hint.

An annotation completes a layer only when it says something about it: the
entity layer by marking at least one name, or by ticking the single checkbox
``no_entities`` ("No names in this text"), which states that the text has
none; the topic layer by choosing a topic. So an annotation with a topic and
no names completes only the topic: a text left without names is never taken
for a text that has none.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Literal

from newscorpus.model.labels import label_sets

DEFAULT_PROJECT = "newscorpus"
"""The title of the project push and pull use unless told otherwise."""
TEXT = "text"
TOPIC = "topic"
NO_ENTITIES = "no_entities"
"""The ``Choices`` control with which an annotator states that the text has no names."""
NO_ENTITIES_CHOICE = "No names in this text"
LEVEL_CONTROLS: dict[Literal[0, 1], str] = {0: "label", 1: "inner"}
"""The ``Labels`` control of each nesting level."""
_COLOURS = {"LOC": "#4e9a06", "ORG": "#3465a4", "OTH": "#c17d11", "PER": "#cc0000"}
_LIGHTER = {"deriv": "66", "part": "99"}


def colour(label: str) -> str:
    """Return a label's colour: one hue per entity type, lighter for -deriv and -part."""
    base = _COLOURS.get(label[:3], "#75507b")
    suffix = label[3:]
    return base + _LIGHTER[suffix] if suffix in _LIGHTER else base


def labelling_config() -> str:
    """Return the labelling config XML for the current label sets."""
    sets = label_sets()
    view = ET.Element("View")
    ET.SubElement(
        view,
        "Header",
        value="Mark every name. Mark a name inside a name with the inner labels. "
        f"If the text has no name at all, tick '{NO_ENTITIES_CHOICE}' below it.",
    )
    for level, control in LEVEL_CONTROLS.items():
        if level:
            ET.SubElement(view, "Header", value="Inner (nested) names", size="6")
        labels = ET.SubElement(view, "Labels", name=control, toName=TEXT, showInline="true")
        for label in sets.entity_labels:
            ET.SubElement(labels, "Label", value=label.name, background=colour(label.name), hint=label.description)
    ET.SubElement(view, "Text", name=TEXT, value=f"${TEXT}")
    # Without this tick, an annotation with no span says nothing about names: it leaves the entity layer open.
    none = ET.SubElement(view, "Choices", name=NO_ENTITIES, toName=TEXT, choice="single", showInline="true")
    ET.SubElement(none, "Choice", value=NO_ENTITIES_CHOICE, hint="Tick only after reading the whole text.")
    ET.SubElement(view, "Header", value="Topic of the article")
    choices = ET.SubElement(view, "Choices", name=TOPIC, toName=TEXT, choice="single-radio", showInline="true")
    for topic in sets.topics:
        ET.SubElement(choices, "Choice", value=topic.name, hint=topic.description)
    ET.indent(view)
    return ET.tostring(view, encoding="unicode")


def config_labels(config: str) -> dict[str, set[str]]:
    """Return the label values of every control in a labelling config."""
    root = ET.fromstring(config)  # noqa: S314 - our own server's config, not untrusted input
    return {
        control.get("name", ""): {child.get("value", "") for child in control}
        for control in root
        if control.tag in ("Labels", "Choices")
    }
