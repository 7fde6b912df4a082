"""Spans ↔ Label Studio results, offsets checked both ways.

Label Studio's editor counts offsets in code points, as Python does (it spreads
the text into code points), so offsets cross unchanged. Every span read back is
checked all the same: ``text[start:end]`` must equal the text Label Studio
stored, or the span is rejected with its reason, never clamped.

A result also tells which layers the annotation completed (see
``newscorpus.labelstudio.config``): the entity layer by a marked name or the
"no names" tick, the topic layer by a chosen topic.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from newscorpus.core.offsets import span_problem
from newscorpus.core.plural import plural
from newscorpus.labelstudio.config import LEVEL_CONTROLS, NO_ENTITIES, NO_ENTITIES_CHOICE, TEXT, TOPIC
from newscorpus.model.article import LAYERS, Entity, LayerName

_LEVEL_OF: dict[str, Literal[0, 1]] = {control: level for level, control in LEVEL_CONTROLS.items()}
_LAYER_OF: dict[str, LayerName] = {**dict.fromkeys(_LEVEL_OF, "entities"), NO_ENTITIES: "entities", TOPIC: "topic"}


def entity_result(entity: Entity, region_id: str, origin: str = "prediction") -> dict[str, Any]:
    """Return the Label Studio result of one entity span (``origin`` is prediction or manual)."""
    return {
        "id": region_id,
        "from_name": LEVEL_CONTROLS[entity.level],
        "to_name": TEXT,
        "type": "labels",
        "origin": origin,
        "value": {
            "start": entity.start,
            "end": entity.end,
            "text": entity.text,
            "labels": [entity.label],
        },
    }


def _choice(name: str, value: str) -> dict[str, Any]:
    return {"id": name, "from_name": name, "to_name": TEXT, "type": "choices", "value": {"choices": [value]}}


def to_results(entities: list[Entity] | None, topic: str | None, origin: str = "prediction") -> list[dict[str, Any]]:
    """Return Label Studio results for spans and a topic (offsets are code points, as Label Studio counts).

    ``entities=None`` leaves the entity layer out; an empty list states that the text has no names
    (the ``no_entities`` tick), so the entity layer is complete without a span.
    """
    results = [entity_result(e, f"e{i}", origin) for i, e in enumerate(entities or [])]
    if entities == []:
        results.append(_choice(NO_ENTITIES, NO_ENTITIES_CHOICE))
    if topic is not None:
        results.append(_choice(TOPIC, topic))
    return results


@dataclass
class Converted:
    """Spans and topic read from Label Studio results, the layers they complete, and every rejected result."""

    entities: list[Entity]
    topic: str | None
    rejected: list[str]
    completed: set[LayerName] = field(default_factory=set)
    """Layers the annotation says something about: a name marked or "no names" ticked; a topic chosen."""
    flawed: set[LayerName] = field(default_factory=set)
    """Layers with a rejected result: such a layer is never gold from this annotation."""

    @property
    def layers(self) -> list[LayerName]:
        """The completed layers, in ``LAYERS`` order."""
        return [layer for layer in LAYERS if layer in self.completed]


def _entity(text: str, result: dict[str, Any]) -> Entity:
    value = result["value"]
    labels = value.get("labels") or []
    if len(labels) != 1:
        raise ValueError(f"region {result.get('id')} has {plural(len(labels), 'label')}; give it exactly one")
    start, end = value["start"], value["end"]
    if not (isinstance(start, int) and isinstance(end, int)):
        raise ValueError(f"region {result.get('id')} has offsets {start!r}, {end!r}; expected whole numbers")
    if problem := span_problem(text, start, end, value.get("text")):
        raise ValueError(f"region {result.get('id')}: {problem}")
    return Entity(start=start, end=end, label=labels[0], level=_LEVEL_OF[result["from_name"]], text=text[start:end])


def _single_choice(result: dict[str, Any], what: str) -> str:
    choices = result["value"].get("choices") or []
    if len(choices) != 1:
        raise ValueError(f"{what} has {plural(len(choices), 'choice')}; choose exactly one")
    return str(choices[0])


def from_results(text: str, results: list[Any]) -> Converted:
    """Read spans, a topic and the completed layers from Label Studio results over ``text``; never clamp a span.

    A result that cannot be read is rejected with its reason and flaws its layer. Ticking
    "no names" while marking names is a contradiction, and flaws the entity layer too.
    """
    out = Converted(entities=[], topic=None, rejected=[])
    seen: set[tuple[int, int, str, int]] = set()
    regions = 0
    no_entities = False
    for result in results:
        if not isinstance(result, dict):  # a script's import may put anything here; Label Studio keeps it
            out.rejected.append(f"a result that is no JSON object: {json.dumps(result)[:80]}")
            continue
        name = result.get("from_name")
        layer = _LAYER_OF.get(name) if isinstance(name, str) else None
        try:
            if name in _LEVEL_OF and result.get("type") == "labels":
                regions += 1
                entity = _entity(text, result)
                key = (entity.start, entity.end, entity.label, entity.level)
                if key not in seen:
                    seen.add(key)
                    out.entities.append(entity)
            elif name == NO_ENTITIES:
                if (choice := _single_choice(result, "'no names'")) != NO_ENTITIES_CHOICE:
                    raise ValueError(f"'no names' holds {choice!r}, not {NO_ENTITIES_CHOICE!r}")
                no_entities = True
            elif name == TOPIC:
                out.topic = _single_choice(result, "topic")
            else:
                raise ValueError(f"result from an unknown control {name!r}")
        except (ValueError, KeyError, TypeError, AttributeError) as exc:  # AttributeError: a value that is no object
            out.rejected.append(str(exc))
            if layer:
                out.flawed.add(layer)
        if layer:
            out.completed.add(layer)
    if no_entities and regions:
        out.rejected.append(f"ticks {NO_ENTITIES_CHOICE!r} but marks {plural(regions, 'name')}; do one or the other")
        out.flawed.add("entities")
    out.entities.sort(key=lambda e: (e.start, -e.end, e.level, e.label))
    return out
