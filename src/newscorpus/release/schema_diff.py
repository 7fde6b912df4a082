"""Classifying schema changes as patch, minor or major.

Each record's JSON Schema is flattened into field paths (``Article.entities[].label``)
with their type, requiredness, nullability, enum values and constraints. Two
snapshots are then compared path by path:

- **patch**: descriptions, titles and label descriptions only; the validators
  recorded for the first time (older snapshots did not record them);
- **minor**: a new optional field, a value appended at the end of an enum or
  label set, a loosened constraint that old data still meets, a changed default,
  a removed validator, a validator changed or added with a declared loosening;
- **major**: a removed or renamed field, a type change (in the JSON Schema or
  the Arrow schema), an optional field made required, a new required field, an
  enum value removed, renamed, inserted or reordered (that shifts ``ClassLabel``
  ids), a tightened constraint, a validator changed or added without one.

Validators are compared by their declared rule version and fingerprint
(``newscorpus.model.rules``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Level = Literal["patch", "minor", "major"]
LEVELS: tuple[Level, ...] = ("patch", "minor", "major")
_LOWER_BOUNDS = ("minimum", "exclusiveMinimum", "minLength", "minItems")
_UPPER_BOUNDS = ("maximum", "exclusiveMaximum", "maxLength", "maxItems")
_TYPE_KEYS = ("type", "format")


@dataclass(frozen=True)
class Change:
    """One difference between two schemas, and the bump it needs."""

    path: str
    what: str
    old: Any
    new: Any
    level: Level


def required_level(changes: list[Change]) -> Level | None:
    """Return the smallest bump that covers every change, or None when there is none."""
    return max((c.level for c in changes), key=LEVELS.index, default=None)


def level_between(old: tuple[int, int, int], new: tuple[int, int, int]) -> Level | None:
    """Return how far ``new`` is bumped from ``old`` (None if not bumped at all)."""
    if new[0] != old[0]:
        return "major"
    if new[1] != old[1]:
        return "minor"
    return "patch" if new[2] != old[2] else None


def _resolve(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in node:
        target = defs[node["$ref"].rsplit("/", 1)[-1]]
        return {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def _entry(node: dict[str, Any], defs: dict[str, Any], required: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    node = _resolve(node, defs)
    nullable = False
    if "anyOf" in node:
        options = [o for o in node["anyOf"] if o != {"type": "null"}]
        nullable = len(options) < len(node["anyOf"])
        extras = {k: v for k, v in node.items() if k != "anyOf"}
        node = {**_resolve(options[0], defs), **extras} if len(options) == 1 else {**extras, "type": "union"}
    enum = node.get("enum", [node["const"]] if "const" in node else None)
    entry = {
        "type": node.get("type", "object" if "properties" in node else None),
        "format": node.get("format"),
        "required": required,
        "nullable": nullable,
        "enum": enum,
        "default": node.get("default"),
        "description": node.get("description"),
        **{k: node.get(k) for k in (*_LOWER_BOUNDS, *_UPPER_BOUNDS, "pattern")},
    }
    return entry, node


def flatten(schema: dict[str, Any], root: str) -> dict[str, dict[str, Any]]:
    """Return every field path of a JSON Schema with what the classifier compares."""
    defs = schema.get("$defs", {})
    out: dict[str, dict[str, Any]] = {}

    def walk(node: dict[str, Any], path: str, required: bool) -> None:
        entry, resolved = _entry(node, defs, required)
        out[path] = entry
        needed = set(resolved.get("required", []))
        for name, sub in resolved.get("properties", {}).items():
            walk(sub, f"{path}.{name}", name in needed)
        if "items" in resolved:
            walk(resolved["items"], f"{path}[]", True)

    walk(schema, root, True)
    return out


def _enum_change(path: str, old: list[Any] | None, new: list[Any] | None) -> Change | None:
    if old == new:
        return None
    if old is None:
        return Change(path, "values restricted to a set", None, new, "major")
    if new is None:
        return Change(path, "value set lifted", old, None, "minor")
    if new[: len(old)] == old:
        return Change(path, "values appended", old, new, "minor")
    removed = [v for v in old if v not in new]
    what = f"values removed or renamed: {removed}" if removed else "values inserted or reordered (ClassLabel ids shift)"
    return Change(path, what, old, new, "major")


def _bound_change(path: str, key: str, old: Any, new: Any) -> Change | None:
    if old == new:
        return None
    lower = key in _LOWER_BOUNDS
    if old is None or new is None:
        tightened = old is None
    else:
        tightened = new > old if lower else new < old
    return Change(
        path, f"{key} {'tightened' if tightened else 'loosened'}", old, new, "major" if tightened else "minor"
    )


def _field_changes(path: str, old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    changes: list[Change] = []
    for key in _TYPE_KEYS:
        if old[key] != new[key]:
            changes.append(Change(path, f"{key} changed", old[key], new[key], "major"))
    if old["required"] != new["required"]:
        made = "required" if new["required"] else "optional"
        changes.append(
            Change(path, f"made {made}", old["required"], new["required"], "major" if new["required"] else "minor")
        )
    if old["nullable"] != new["nullable"]:
        level: Level = "minor" if new["nullable"] else "major"
        changes.append(
            Change(path, "null allowed" if new["nullable"] else "null refused", old["nullable"], new["nullable"], level)
        )
    if enum := _enum_change(path, old["enum"], new["enum"]):
        changes.append(enum)
    for key in (*_LOWER_BOUNDS, *_UPPER_BOUNDS):
        if bound := _bound_change(path, key, old[key], new[key]):
            changes.append(bound)
    if old["pattern"] != new["pattern"]:
        loosened = new["pattern"] is None
        changes.append(
            Change(
                path,
                "pattern " + ("removed" if loosened else "changed"),
                old["pattern"],
                new["pattern"],
                "minor" if loosened else "major",
            )
        )
    if old["default"] != new["default"]:
        changes.append(Change(path, "default changed", old["default"], new["default"], "minor"))
    if old["description"] != new["description"]:
        changes.append(Change(path, "description changed", old["description"], new["description"], "patch"))
    return changes


def _parent(path: str) -> str:
    return path.removesuffix("[]") if path.endswith("[]") else path.rsplit(".", 1)[0]


def diff_records(name: str, old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """Classify every difference between two JSON Schemas of record ``name``."""
    before, after = flatten(old, name), flatten(new, name)
    changes: list[Change] = []
    for path in before:
        if path not in after:
            changes.append(Change(path, "field removed or renamed", before[path]["type"], None, "major"))
    for path, entry in after.items():
        if path in before:
            changes += _field_changes(path, before[path], entry)
        elif _parent(path) in before:
            # Only the top of a new subtree counts; its children come with it.
            optional = not entry["required"] or entry["default"] is not None or entry["nullable"]
            what = "new optional field" if optional else "new required field"
            changes.append(Change(path, what, None, entry["type"], "minor" if optional else "major"))
    return changes


def _arrow_schemas(snapshot: dict[str, Any]) -> dict[str, dict[str, str]]:
    # Snapshots before schema 2.1 held only the documents config, as "arrow_schema".
    return snapshot.get("arrow_schemas") or {"documents": snapshot["arrow_schema"]}


def _rule_path(record: str, rule: str) -> str:
    return f"{rule}()" if rule.startswith(f"{record}.") else f"{record}: {rule}()"


def _shown(rule: dict[str, Any] | None) -> str | None:
    return None if rule is None else f"version {rule['version']} ({rule['fingerprint']})"


def _rule_change(path: str, old: dict[str, Any] | None, new: dict[str, Any]) -> Change | None:
    """Classify one validator of the new snapshot against the old one's (None: it is new)."""
    version = 0 if old is None else old["version"]
    if old is not None and old["version"] == new["version"]:
        if old["fingerprint"] != new["fingerprint"]:
            what = (
                f"validator changed without a rule version bump: bump it to @rule(version={version + 1}), "
                f"with loosens={version} if it accepts everything it did"
            )
            return Change(path, what, _shown(old), _shown(new), "major")
        if old["loosens"] != new["loosens"]:
            return Change(path, "loosening declared anew", old["loosens"], new["loosens"], "patch")
        return None
    kind = "added" if old is None else "changed"
    if new["loosens"] == version:
        return Change(path, f"validator {kind}, declared a loosening", _shown(old), _shown(new), "minor")
    return Change(path, f"validator {kind}: it may reject old data", _shown(old), _shown(new), "major")


def diff_validators(old: dict[str, Any] | None, new: dict[str, Any] | None) -> list[Change]:
    """Classify every difference between the validators of two snapshots (None: a snapshot that did not record them).

    Snapshots up to schema 3.0.0 did not record validators: against one of them, the validators count as
    recorded for the first time (a patch), not as added.
    """
    if old is None or new is None:
        if old is new:
            return []
        recorded = sorted(_rule_path(record, rule) for record, rules in (old or new or {}).items() for rule in rules)
        if old is None:
            return [Change("validators", "validators recorded for the first time", None, recorded, "patch")]
        return [Change("validators", "validators no longer recorded", recorded, None, "patch")]
    changes: list[Change] = []
    # A record type added or removed is a change of its own; its validators come and go with it.
    for record in sorted(old.keys() & new.keys()):
        before, after = old[record], new[record]
        for rule in sorted(before.keys() | after.keys()):
            path = _rule_path(record, rule)
            if rule not in after:
                changes.append(Change(path, "validator removed", _shown(before[rule]), None, "minor"))
            elif change := _rule_change(path, before.get(rule), after[rule]):
                changes.append(change)
    return changes


def diff_snapshots(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """Classify every difference between two schema snapshots."""
    changes: list[Change] = []
    for name in sorted(old["records"].keys() | new["records"].keys()):
        if name not in new["records"]:
            changes.append(Change(name, "record type removed", name, None, "major"))
        elif name not in old["records"]:
            changes.append(Change(name, "record type added", None, name, "minor"))
        else:
            changes += diff_records(name, old["records"][name], new["records"][name])
    before_arrow, after_arrow = _arrow_schemas(old), _arrow_schemas(new)
    for config in before_arrow.keys() & after_arrow.keys():
        for column in before_arrow[config].keys() & after_arrow[config].keys():
            before, after = before_arrow[config][column], after_arrow[config][column]
            if before != after:
                changes.append(Change(f"arrow.{config}.{column}", "Arrow type changed", before, after, "major"))
    for kind in old["labels"].keys() & new["labels"].keys():
        descriptions = {label["name"]: label["description"] for label in old["labels"][kind]}
        for label in new["labels"][kind]:
            if label["name"] in descriptions and descriptions[label["name"]] != label["description"]:
                path = f"labels.{kind}.{label['name']}"
                changes.append(
                    Change(path, "description changed", descriptions[label["name"]], label["description"], "patch")
                )
    changes += diff_validators(old.get("validators"), new.get("validators"))
    return sorted(changes, key=lambda c: (-LEVELS.index(c.level), c.path))
