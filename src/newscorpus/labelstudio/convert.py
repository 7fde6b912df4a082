"""Spans ↔ Label Studio results, offsets checked both ways.

Label Studio's editor counts offsets in code points, as Python does (it spreads
the text into code points), so offsets cross unchanged. Every span read back is
checked all the same: ``text[start:end]`` must equal the text Label Studio
stored, or the span is rejected with its reason, never clamped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from newscorpus.article import Entity
from newscorpus.labelstudio.config import LEVEL_CONTROLS, TEXT, TOPIC
from newscorpus.offsets import span_problem

_LEVEL_OF = {control: level for level, control in LEVEL_CONTROLS.items()}


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


def to_results(entities: list[Entity], topic: str | None, origin: str = "prediction") -> list[dict[str, Any]]:
    """Return Label Studio results for spans and a topic (offsets are code points, as Label Studio counts)."""
    results = [entity_result(e, f"e{i}", origin) for i, e in enumerate(entities)]
    if topic is not None:
        results.append(
            {"id": "topic", "from_name": TOPIC, "to_name": TEXT, "type": "choices", "value": {"choices": [topic]}}
        )
    return results


@dataclass
class Converted:
    """Spans and topic read from Label Studio results, and every result that was rejected."""

    entities: list[Entity]
    topic: str | None
    rejected: list[str]


def _entity(text: str, result: dict[str, Any]) -> Entity:
    value = result["value"]
    labels = value.get("labels") or []
    if len(labels) != 1:
        raise ValueError(f"region {result.get('id')} has {len(labels)} labels; give it exactly one")
    start, end = value["start"], value["end"]
    if not (isinstance(start, int) and isinstance(end, int)):
        raise ValueError(f"region {result.get('id')} has offsets {start!r}, {end!r}; expected whole numbers")
    if problem := span_problem(text, start, end, value.get("text")):
        raise ValueError(f"region {result.get('id')}: {problem}")
    return Entity(start=start, end=end, label=labels[0], level=_LEVEL_OF[result["from_name"]], text=text[start:end])


def from_results(text: str, results: list[dict[str, Any]]) -> Converted:
    """Read spans and a topic from Label Studio results over ``text``; reject, never clamp, bad spans."""
    out = Converted(entities=[], topic=None, rejected=[])
    seen: set[tuple[int, int, str, int]] = set()
    for result in results:
        name = result.get("from_name")
        try:
            if name in _LEVEL_OF and result.get("type") == "labels":
                entity = _entity(text, result)
                key = (entity.start, entity.end, entity.label, entity.level)
                if key not in seen:
                    seen.add(key)
                    out.entities.append(entity)
            elif name == TOPIC:
                choices = result["value"].get("choices") or []
                if len(choices) != 1:
                    raise ValueError(f"topic has {len(choices)} choices; choose exactly one")
                out.topic = choices[0]
            else:
                raise ValueError(f"result from an unknown control {name!r}")
        except (ValueError, KeyError, TypeError) as exc:
            out.rejected.append(str(exc))
    out.entities.sort(key=lambda e: (e.start, -e.end, e.level, e.label))
    return out
