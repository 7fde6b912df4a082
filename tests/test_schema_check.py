from __future__ import annotations

import copy
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, Field, field_validator, model_validator
from typer.testing import CliRunner

from newscorpus.cli import app
from newscorpus.core.errors import SchemaError
from newscorpus.core.semver import bump
from newscorpus.ingest.corpus import validate
from newscorpus.model.rules import fingerprint, rule, rules_of
from newscorpus.release.schema import (
    bump_schema,
    check_schema,
    read_snapshot,
    schema_version,
    snapshot,
    under_bumped,
    write_snapshot,
)
from newscorpus.release.schema_diff import (
    LEVELS,
    diff_records,
    diff_snapshots,
    diff_validators,
    level_between,
    required_level,
)
from tests.conftest import REPO

BASE = json.loads(json.dumps(snapshot()))


def article(snap: dict[str, Any]) -> dict[str, Any]:
    return snap["records"]["Article"]


def entity(snap: dict[str, Any]) -> dict[str, Any]:
    return article(snap)["$defs"]["Entity"]


# Each mutation edits a snapshot in place and returns the class it must get.
def remove_field(snap: dict, draw) -> str:
    name = draw(st.sampled_from(sorted(article(snap)["properties"])))
    del article(snap)["properties"][name]
    article(snap)["required"] = [r for r in article(snap)["required"] if r != name]
    snap["arrow_schemas"]["documents"].pop(name, None)
    return "major"


def rename_field(snap: dict, draw) -> str:
    props = article(snap)["properties"]
    name = draw(st.sampled_from(sorted(props)))
    props[name + "_renamed"] = props.pop(name)
    return "major"


def add_optional_field(snap: dict, draw) -> str:
    kind = draw(st.sampled_from(["string", "integer", "boolean"]))
    article(snap)["properties"]["new_optional"] = {"anyOf": [{"type": kind}, {"type": "null"}], "default": None}
    return "minor"


def add_required_field(snap: dict, draw) -> str:
    article(snap)["properties"]["new_required"] = {"type": draw(st.sampled_from(["string", "integer"]))}
    article(snap)["required"].append("new_required")
    return "major"


def change_type(snap: dict, draw) -> str:
    entity(snap)["properties"]["text"]["type"] = draw(st.sampled_from(["integer", "boolean", "array"]))
    return "major"


def make_required(snap: dict, draw) -> str:
    optional = sorted(set(article(snap)["properties"]) - set(article(snap)["required"]))
    article(snap)["required"].append(draw(st.sampled_from(optional)))
    return "major"


def make_optional(snap: dict, draw) -> str:
    required = entity(snap)["required"]
    required.remove(draw(st.sampled_from(sorted(required))))
    return "minor"


def enum_node(snap: dict, draw) -> list:
    choice = draw(st.sampled_from(["label", "kind"]))
    if choice == "label":
        return entity(snap)["properties"]["label"]["enum"]
    return article(snap)["$defs"]["Block"]["properties"]["kind"]["enum"]


def append_label(snap: dict, draw) -> str:
    enum_node(snap, draw).append(draw(st.sampled_from(["EVT", "MISC", "DATE"])))
    return "minor"


def insert_label(snap: dict, draw) -> str:
    values = enum_node(snap, draw)
    values.insert(draw(st.integers(0, len(values) - 1)), "NEW")
    return "major"


def reorder_labels(snap: dict, draw) -> str:
    values = enum_node(snap, draw)
    i, j = draw(st.lists(st.integers(0, len(values) - 1), min_size=2, max_size=2, unique=True))
    values[i], values[j] = values[j], values[i]
    return "major"


def remove_label(snap: dict, draw) -> str:
    values = enum_node(snap, draw)
    values.pop(draw(st.integers(0, len(values) - 1)))
    return "major"


def tighten(snap: dict, draw) -> str:
    text = article(snap)["properties"]["text"]
    key = draw(st.sampled_from(["minLength", "maxLength"]))
    text[key] = text[key] + 1 if key == "minLength" else text[key] - 1
    return "major"


def loosen(snap: dict, draw) -> str:
    key = draw(st.sampled_from(["maxLength", "pattern"]))
    if key == "maxLength":
        article(snap)["properties"]["text"]["maxLength"] += 1000
    else:
        del article(snap)["properties"]["raw_sha256"]["pattern"]
    return "minor"


def redescribe(snap: dict, draw) -> str:
    props = article(snap)["properties"]
    name = draw(st.sampled_from(sorted(props)))
    props[name]["description"] = draw(st.text(min_size=1, max_size=20)) + " (reworded)"
    return "patch"


def validator(snap: dict, draw) -> dict:
    rules = snap["validators"]["Article"]
    return rules[draw(st.sampled_from(sorted(rules)))]


def edit_validator_unbumped(snap: dict, draw) -> str:
    validator(snap, draw)["fingerprint"] = draw(st.text("0123456789abcdef", min_size=16, max_size=16))
    return "major"


def change_validator(snap: dict, draw) -> str:
    validator(snap, draw)["version"] += draw(st.integers(1, 3))
    return "major"


def loosen_validator(snap: dict, draw) -> str:
    rule = validator(snap, draw)
    rule.update(loosens=rule["version"], version=rule["version"] + 1, fingerprint="f" * 16)
    return "minor"


def remove_validator(snap: dict, draw) -> str:
    rules = snap["validators"]["Article"]
    del rules[draw(st.sampled_from(sorted(rules)))]
    return "minor"


def add_validator(snap: dict, draw) -> str:
    loosening = draw(st.booleans())  # loosens=0: a check moved here from another rule
    rule = {"version": 1, "loosens": 0 if loosening else None, "fingerprint": "a" * 16}
    snap["validators"][draw(st.sampled_from(sorted(snap["validators"])))]["Article.new_rule"] = rule
    return "minor" if loosening else "major"


MUTATIONS = [
    remove_field, rename_field, add_optional_field, add_required_field, change_type, make_required, make_optional,
    append_label, insert_label, reorder_labels, remove_label, tighten, loosen, redescribe,
    edit_validator_unbumped, change_validator, loosen_validator, remove_validator, add_validator,
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_each_mutation_gets_its_class(data: st.DataObject) -> None:
    mutation = data.draw(st.sampled_from(MUTATIONS))
    snap = copy.deepcopy(BASE)
    expected = mutation(snap, data.draw)
    changes = diff_snapshots(BASE, snap)
    assert required_level(changes) == expected, (mutation.__name__, changes)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_combined_mutations_need_the_largest_class(data: st.DataObject) -> None:
    chosen = data.draw(
        st.lists(
            st.sampled_from([append_label, add_optional_field, redescribe, tighten]),
            min_size=1,
            max_size=3,
            unique=True,
        )
    )
    snap = copy.deepcopy(BASE)
    expected = max((m(snap, data.draw) for m in chosen), key=LEVELS.index)
    assert required_level(diff_snapshots(BASE, snap)) == expected


def test_unchanged_schema_has_no_changes() -> None:
    assert diff_snapshots(BASE, copy.deepcopy(BASE)) == []


def test_real_pydantic_model_changes_are_classified() -> None:
    class V1(BaseModel):
        a: str
        b: int = Field(0, ge=0)

    class AddOptional(BaseModel):
        a: str
        b: int = Field(0, ge=0)
        c: list[str] | None = None

    class Tightened(BaseModel):
        a: str
        b: int = Field(0, ge=1)

    class Retyped(BaseModel):
        a: int
        b: int = Field(0, ge=0)

    v1 = V1.model_json_schema()
    assert required_level(diff_records("M", v1, AddOptional.model_json_schema())) == "minor"
    assert required_level(diff_records("M", v1, Tightened.model_json_schema())) == "major"
    (change,) = diff_records("M", v1, Retyped.model_json_schema())
    assert (change.path, change.level) == ("M.a", "major")


def test_every_article_rule_is_in_the_snapshot_by_name() -> None:
    assert set(BASE["validators"]["Article"]) == {
        f"Article.{name}"
        for name in (
            "text_is_nfc", "newlines_are_lf", "no_control_characters", "text_sha256_matches",
            "blocks_are_ordered_spans", "entities_match_text", "url_has_host", "dates_in_range",
            "pretokenized_is_single_spaced", "updated_not_before_published",
        )
    }  # fmt: skip


def test_a_validator_edited_without_a_version_bump_is_major_and_named() -> None:
    snap = copy.deepcopy(BASE)
    snap["validators"]["Article"]["Article.dates_in_range"]["fingerprint"] = "0" * 16
    (change,) = diff_snapshots(BASE, snap)
    assert (change.path, change.level) == ("Article.dates_in_range()", "major")
    assert "bump it to @rule(version=2), with loosens=1" in change.what


def test_a_declared_loosening_is_minor_only_against_the_version_it_names() -> None:
    snap = copy.deepcopy(BASE)
    snap["validators"]["Article"]["Article.url_has_host"].update(version=2, loosens=1, fingerprint="f" * 16)
    (change,) = diff_snapshots(BASE, snap)
    assert (change.path, change.level) == ("Article.url_has_host()", "minor")
    assert change.what == "validator changed, declared a loosening"
    stale = copy.deepcopy(snap)  # version 3 still says it loosens version 1: against version 2 that says nothing
    stale["validators"]["Article"]["Article.url_has_host"].update(version=3, fingerprint="e" * 16)
    (change,) = diff_snapshots(snap, stale)
    assert (change.what, change.level) == ("validator changed: it may reject old data", "major")


def test_a_snapshot_that_did_not_record_validators_gives_one_patch_change() -> None:
    old = {k: v for k, v in copy.deepcopy(BASE).items() if k != "validators"}
    (change,) = diff_snapshots(old, BASE)
    assert (change.path, change.what, change.level) == ("validators", "validators recorded for the first time", "patch")
    assert "Article.dates_in_range()" in change.new
    assert diff_validators(None, None) == []
    # The snapshots before 3.0.0 recorded none: no validator change between them; 3.0.0 records them first.
    assert not [c for c in diff_snapshots(read_snapshot("2.0.0"), read_snapshot("2.1.0")) if "validator" in c.what]
    first = [c for c in diff_snapshots(read_snapshot("2.1.0"), read_snapshot("3.0.0")) if c.path == "validators"]
    assert [c.what for c in first] == ["validators recorded for the first time"]


def test_rules_of_finds_each_validator_of_a_model_and_of_the_models_in_it() -> None:
    class Inner(BaseModel):
        n: int

        @field_validator("n")
        @classmethod
        @rule(version=2, loosens=1)
        def _positive(cls, value: int) -> int:
            if value < 1:
                raise ValueError("n is not positive")
            return value

    class Outer(BaseModel):
        inners: list[Inner] | None = None

        @model_validator(mode="after")
        @rule(version=1)
        def _some(self) -> Outer:
            if not self.inners:
                raise ValueError("no inners")
            return self

    found = rules_of(Outer)
    assert {name: (r["version"], r["loosens"]) for name, r in found.items()} == {
        "Outer.some": (1, None),
        "Inner.positive": (2, 1),
    }
    assert found["Inner.positive"]["fingerprint"] == fingerprint(Inner._positive)
    with pytest.raises(ValueError, match="n is not positive"):
        Outer(inners=[{"n": 0}])  # the declaration leaves the validator as it was


def test_a_validator_that_declares_no_rule_is_refused_by_name() -> None:
    class Unseen(BaseModel):
        n: int

        @model_validator(mode="after")
        def _hidden(self) -> Unseen:
            return self

    with pytest.raises(SchemaError, match=r"Unseen\._hidden declares no rule version.*@rule\(version=1\)"):
        rules_of(Unseen)
    with pytest.raises(SchemaError, match="loosens names an earlier one"):
        rule(version=1, loosens=1)


RULES_V1 = """
import re

LIMIT = 10
WORD = re.compile("x+")


def helper(value):
    return value > LIMIT


def check(self):
    if helper(self.n) or WORD.search(self.s):
        raise ValueError("too big")
    return self
"""
# The same rule, written another way: comments, a docstring, type hints, another message, other line breaks.
RULES_REWORDED = '''
import re

LIMIT = 10  # the largest n
WORD = re.compile("x+")


def helper(value: int) -> bool:
    """Too big?"""
    return value > LIMIT


def check(self) -> object:
    """Refuse a big n, or an s with an x."""
    if helper(self.n) or WORD.search(
        self.s
    ):
        raise ValueError(f"n={self.n} is too big, or s holds an x")  # say which
    return self
'''


def _rule_in(tmp_path: Path, name: str, source: str):
    path = tmp_path / f"{name}.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.check


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("LIMIT = 10\n", "LIMIT = 11\n"),  # a constant the rule names
        ("return value > LIMIT", "return value >= LIMIT"),  # a function of its package it calls
        ('re.compile("x+")', 're.compile("x*")'),  # a pattern it names
        ("helper(self.n) or", "helper(self.n) and"),  # its own code
    ],
)
def test_a_fingerprint_ignores_how_a_rule_is_written_and_sees_what_it_checks(
    tmp_path: Path, before: str, after: str
) -> None:
    v1 = fingerprint(_rule_in(tmp_path, "rules_v1", RULES_V1))
    assert fingerprint(_rule_in(tmp_path, "rules_reworded", RULES_REWORDED)) == v1
    assert before in RULES_V1
    assert fingerprint(_rule_in(tmp_path, "rules_changed", RULES_V1.replace(before, after))) != v1


@pytest.mark.parametrize(
    ("old", "new", "level"),
    [
        ((1, 0, 0), (2, 0, 0), "major"),
        ((1, 0, 0), (1, 1, 0), "minor"),
        ((1, 2, 3), (1, 2, 4), "patch"),
        ((1, 0, 0), (1, 0, 0), None),
    ],
)
def test_level_between(old, new, level) -> None:
    assert level_between(old, new) == level


def test_under_bumped_snapshot_is_found_and_bump_refuses_too_small(tmp_path: Path) -> None:
    write_snapshot("1.0.0", tmp_path)
    broken = json.loads((tmp_path / "v1.0.0.json").read_text(encoding="utf-8"))
    del broken["records"]["Article"]["properties"]["agency"]
    broken["version"] = "1.1.0"
    (tmp_path / "v1.1.0.json").write_text(json.dumps(broken), encoding="utf-8")
    (found,) = under_bumped(tmp_path)
    assert (found.old_version, found.new_version, found.needed, found.bumped) == ("1.0.0", "1.1.0", "major", "minor")
    assert any(c.path == "Article.agency" for c in found.changes)


def test_bump_writes_next_snapshot_and_refuses_smaller(tmp_path: Path) -> None:
    write_snapshot("1.0.0", tmp_path)
    old = json.loads((tmp_path / "v1.0.0.json").read_text(encoding="utf-8"))
    old["records"]["Article"]["properties"]["text"]["maxLength"] -= 1  # the code now loosened it: minor
    (tmp_path / "v1.0.0.json").write_text(json.dumps(old), encoding="utf-8")
    with pytest.raises(Exception, match="need a minor bump, not patch"):
        bump_schema("patch", tmp_path)
    version, changes = bump_schema(None, tmp_path)
    assert version == "1.1.0"
    assert [c.path for c in changes] == ["Article.text"]
    assert (tmp_path / "v1.1.0.json").is_file()


def test_malformed_inputs_are_called_malformed_not_a_schema_problem(corpus: Path) -> None:
    (corpus / "raw" / "kaputt.json").write_text('{"headline": "Halb', encoding="utf-8")
    (corpus / "raw" / "prosa.json").write_text("Das ist kein JSON.", encoding="utf-8")
    (corpus / "raw" / "zeilen.jsonl").write_text(
        '{"url": "https://x.de/a", "body": "Text."}\n{kaputt\n', encoding="utf-8"
    )
    (corpus / "raw" / "leer.txt").write_bytes(b"")
    result = check_schema(validate(corpus))
    assert {p.file for p in result.malformed} == {
        "raw/kaputt.json",
        "raw/prosa.json",
        "raw/zeilen.jsonl",
        "raw/leer.txt",
    }
    assert result.rejected == []
    cli_result = CliRunner().invoke(app, ["schema", "check", "--corpus", str(corpus)])
    assert cli_result.exit_code == 1
    said = " ".join(cli_result.stderr.split())  # as one line, however the console wrapped it
    assert "Malformed, not a schema problem: 4 input files in" in said
    assert "cannot be read at all (truncated or not JSON" in said
    assert "loosen the rule" not in said


def test_an_input_the_models_reject_is_still_one_to_fix_or_loosen_the_rule_for(corpus: Path) -> None:
    (corpus / "raw" / "kaputt.json").write_text('{"headline": "Halb', encoding="utf-8")
    article = {"url": "https://x.de/b", "headline": "Titel", "body": "Text.", "reading_time_minutes": -1}
    (corpus / "raw" / "minus.json").write_text(json.dumps(article), encoding="utf-8")
    result = check_schema(validate(corpus))
    assert [p.file for p in result.malformed] == ["raw/kaputt.json"]
    assert [(p.file, p.field) for p in result.rejected] == [("raw/minus.json", "reading_time_minutes")]
    said = " ".join(CliRunner().invoke(app, ["schema", "check", "--corpus", str(corpus)]).stderr.split())
    assert "Malformed, not a schema problem: 1 input file in" in said
    assert "Invalid under the current models: 1 input in" in said
    assert "Fix the data, or loosen the rule." in said


# --- end to end, on a temp copy of the repo: what a developer sees in CI ------------------------


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    # The corpus as committed: releases, and gold or reports a local demo pulled, are not the point here.
    ignored = shutil.ignore_patterns("__pycache__", "releases", "annotations", "reports")
    for name in ("src", "schemas", "corpus"):
        shutil.copytree(REPO / name, root / name, ignore=ignored)
    for name in ("pyproject.toml", "dataset_card.md"):
        shutil.copy(REPO / name, root / name)
    return root


def bump_then_pass(root: Path, level: str) -> str:
    """Bump the schema of the repo copy by ``level``, check that it then passes, and return the new version."""
    before = schema_version(root / "schemas")
    assert cli(root, "schema", "bump", level).returncode == 0
    after = schema_version(root / "schemas")
    assert after == bump(before, level)
    passed = cli(root, "schema", "check")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    return after


def cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root / "src"), "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "newscorpus", *args], cwd=root, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.integration
def test_removed_field_fails_check_naming_field_and_major(repo_copy: Path) -> None:
    models = repo_copy / "src" / "newscorpus" / "model" / "article.py"
    source = models.read_text(encoding="utf-8")
    field = '    language: str = Field("de", pattern=r"^de$", description="ISO 639-1 code; always de.")\n'
    assert field in source
    models.write_text(source.replace(field, ""), encoding="utf-8")
    result = cli(repo_copy, "schema", "check")
    assert result.returncode == 1
    assert "Article.language" in result.stdout
    assert "major" in result.stdout
    assert "newscorpus schema bump major" in result.stderr
    before = schema_version(repo_copy / "schemas")
    bumped = cli(repo_copy, "schema", "bump", "major")
    assert bumped.returncode == 0, bumped.stderr
    assert schema_version(repo_copy / "schemas") == bump(before, "major")
    assert cli(repo_copy, "schema", "check").returncode == 0


@pytest.mark.integration
def test_appended_label_passes_only_after_a_minor_bump(repo_copy: Path) -> None:
    labels = repo_copy / "schemas" / "labels.yaml"
    text = labels.read_text(encoding="utf-8")
    labels.write_text(
        text.replace("\n# Article topics", '  - name: EVT\n    description: "An event."\n\n# Article topics'),
        encoding="utf-8",
    )
    stale = cli(repo_copy, "schema", "check")
    assert stale.returncode == 1
    assert "newscorpus schema labels" in stale.stderr  # the models' label types lag behind the label file
    assert cli(repo_copy, "schema", "labels").returncode == 0
    failed = cli(repo_copy, "schema", "check")
    assert failed.returncode == 1
    assert "newscorpus schema labels" not in failed.stderr
    assert "values appended" in failed.stdout
    assert "newscorpus schema bump minor" in failed.stderr
    refused = cli(repo_copy, "schema", "bump", "patch")
    assert refused.returncode == 1
    assert "need a minor bump" in refused.stderr
    after = bump_then_pass(repo_copy, "minor")
    frozen = json.loads((repo_copy / "schemas" / f"v{after}.json").read_text(encoding="utf-8"))
    assert frozen["labels"]["entity_labels"][-1]["name"] == "EVT"


@pytest.mark.integration
def test_tightened_rule_that_existing_data_breaks_lists_the_files(repo_copy: Path) -> None:
    models = repo_copy / "src" / "newscorpus" / "model" / "article.py"
    source = models.read_text(encoding="utf-8")
    old = "reading_time_minutes: int | None = Field(None, ge=0,"
    assert old in source
    models.write_text(source.replace(old, "reading_time_minutes: int | None = Field(None, ge=10,"), encoding="utf-8")
    result = cli(repo_copy, "schema", "check")
    assert result.returncode == 1
    assert "minimum tightened" in result.stdout
    assert "raw/koalition-der-willigen-paris.txt" in result.stdout
    assert "Invalid under the current models: 1 input in" in result.stderr
    assert "Malformed" not in result.stderr


def record_validators(root: Path) -> None:
    """Freeze the copy's schema first if its newest snapshot predates the validators: only the test's edit differs."""
    folder = root / "schemas"
    if "validators" not in read_snapshot(schema_version(folder), folder):
        bumped = cli(root, "schema", "bump")
        assert bumped.returncode == 0, bumped.stderr


def edit_rule(root: Path, old: str, new: str) -> None:
    models = root / "src" / "newscorpus" / "model" / "article.py"
    source = models.read_text(encoding="utf-8")
    assert source.count(old) == 1, old
    models.write_text(source.replace(old, new), encoding="utf-8")


@pytest.mark.integration
def test_validator_rewritten_not_changed_passes_and_tightened_fails_naming_it_and_major(repo_copy: Path) -> None:
    record_validators(repo_copy)
    edit_rule(  # the same rule, written another way: a docstring, a comment, another message
        repo_copy,
        "    def _url_has_host(self) -> Article:\n        if self.url",
        '    def _url_has_host(self) -> Article:\n        """A URL names its host."""\n'
        "        # urlsplit alone accepts 'https://'\n        if self.url",
    )
    edit_rule(repo_copy, 'f"url {self.url!r} is not a URL with a host"', 'f"url {self.url!r} names no host"')
    unchanged = cli(repo_copy, "schema", "check")
    assert unchanged.returncode == 0, unchanged.stdout + unchanged.stderr
    edit_rule(repo_copy, "EARLIEST, LATEST = 1800, 2200", "EARLIEST, LATEST = 1900, 2200")
    result = cli(repo_copy, "schema", "check")
    assert result.returncode == 1
    assert "Article.dates_in_range()" in result.stdout
    assert "major" in result.stdout
    assert "Article.url_has_host()" not in result.stdout
    assert "newscorpus schema bump major" in result.stderr


@pytest.mark.integration
def test_declared_loosening_passes_after_a_minor_bump(repo_copy: Path) -> None:
    record_validators(repo_copy)
    edit_rule(repo_copy, "EARLIEST, LATEST = 1800, 2200", "EARLIEST, LATEST = 1800, 2300")
    edit_rule(
        repo_copy,
        "    @rule(version=1)\n    def _dates_in_range",
        "    @rule(version=2, loosens=1)\n    def _dates_in_range",
    )
    failed = cli(repo_copy, "schema", "check")
    assert failed.returncode == 1
    assert "Article.dates_in_range()" in failed.stdout
    assert "declared a loosening" in failed.stdout
    assert "newscorpus schema bump minor" in failed.stderr
    after = bump_then_pass(repo_copy, "minor")
    frozen = read_snapshot(after, repo_copy / "schemas")["validators"]["Article"]["Article.dates_in_range"]
    assert (frozen["version"], frozen["loosens"]) == (2, 1)
