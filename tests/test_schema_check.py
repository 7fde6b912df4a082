from __future__ import annotations

import copy
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
from pydantic import BaseModel, Field
from typer.testing import CliRunner

from newscorpus.cli import app
from newscorpus.core.semver import bump
from newscorpus.ingest.corpus import validate
from newscorpus.release.schema import bump_schema, check_schema, schema_version, snapshot, under_bumped, write_snapshot
from newscorpus.release.schema_diff import LEVELS, diff_records, diff_snapshots, level_between, required_level
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


MUTATIONS = [
    remove_field, rename_field, add_optional_field, add_required_field, change_type, make_required, make_optional,
    append_label, insert_label, reorder_labels, remove_label, tighten, loosen, redescribe,
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
    for name in ("src", "schemas", "corpus"):
        shutil.copytree(REPO / name, root / name, ignore=shutil.ignore_patterns("__pycache__", "releases"))
    for name in ("pyproject.toml", "dataset_card.md"):
        shutil.copy(REPO / name, root / name)
    return root


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
    before = schema_version(repo_copy / "schemas")
    assert cli(repo_copy, "schema", "bump", "minor").returncode == 0
    after = schema_version(repo_copy / "schemas")
    assert after == bump(before, "minor")
    passed = cli(repo_copy, "schema", "check")
    assert passed.returncode == 0, passed.stdout + passed.stderr
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
