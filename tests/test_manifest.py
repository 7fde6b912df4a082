"""Manifests: written in pieces byte for byte as serialised whole, read back the same, listed as releases."""

from __future__ import annotations

import hashlib
import json
from array import array
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newscorpus.core.atomic import atomic_write_bytes
from newscorpus.core.codes import Code
from newscorpus.core.errors import ReleaseError
from newscorpus.core.names import GrowingNames, Names, NamesAt
from newscorpus.core.report import Problem
from newscorpus.derive.statistics import Statistics
from newscorpus.release.entries import ArticleEntry, ArticleList, InputEntry, InputList
from newscorpus.release.manifest import Manifest, read_manifest, release_versions


def manifest_with(paths: list[str], message: str, inputs: list[InputEntry] | None = None) -> Manifest:
    """A manifest whose inputs are ``paths`` hashed (or ``inputs``), which rejects one file with ``message``."""
    return Manifest(
        version="1.0.0",
        schema_version="2.1.0",
        splits={"documents": {"train": len(paths)}},
        statistics=Statistics(articles=0, words=0, entities={}, topics={}, status={}, licenses={"inputs": 1}),
        files=[],
        inputs=inputs or [InputEntry(path=p, sha256=hashlib.sha256(p.encode()).hexdigest()) for p in paths],
        inputs_sha256="0" * 64,
        rejected=[Problem(code=Code.RAW_EMPTY, file="raw/x.txt", message=message)],
    )


@settings(max_examples=60, deadline=None)
@given(
    paths=st.lists(st.text(min_size=1, max_size=12), max_size=30, unique=True),
    per_piece=st.integers(1, 7),
    message=st.sampled_from(['"inputs": []', "ä „quoted“ \\ \n", "x"]),
)
def test_manifest_in_pieces_is_the_manifest_serialised_whole(paths: list[str], per_piece: int, message: str) -> None:
    manifest = manifest_with(paths, message)
    assert b"".join(manifest.json_pieces(per_piece)) == manifest.to_json().encode("utf-8")


@given(st.lists(st.text(max_size=12), min_size=4, max_size=4), st.text("0123456789abcdef", min_size=64, max_size=64))
def test_entries_made_unchecked_are_the_validated_entries(values: list[str], sha256: str) -> None:
    """The build's shortcut sets the fields validation sets: equal, hashed alike, shown alike."""
    path, article, split, cluster = values
    made = [InputEntry.unchecked(path, sha256), ArticleEntry.unchecked(article, split, cluster)]
    validated = [InputEntry(path=path, sha256=sha256), ArticleEntry(id=article, split=split, cluster=cluster)]
    assert made == validated
    assert [hash(e) for e in made] == [hash(e) for e in validated]
    assert [repr(e) for e in made] == [repr(e) for e in validated]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=12), st.binary(min_size=32, max_size=32)), max_size=20), st.data())
def test_an_input_list_is_the_list_of_its_entries(rows: list[tuple[str, bytes]], data: st.DataObject) -> None:
    """Held as columns, read as entries: by index (negative too), by slice, in order, and in JSON as a list."""
    entries = [InputEntry(path=path, sha256=digest.hex()) for path, digest in rows]
    listed = InputList(Names(path for path, _ in rows), b"".join(digest for _, digest in rows))
    assert list(listed) == entries
    assert listed == entries
    assert listed == InputList.of(entries)
    assert len(listed) == len(entries)
    if entries:
        n = data.draw(st.integers(-len(entries), len(entries) - 1))
        assert listed[n] == entries[n]
    cut = slice(data.draw(st.integers(-3, 25)), data.draw(st.integers(-3, 25)), data.draw(st.sampled_from([1, 2, -1])))
    assert listed[cut] == entries[cut]
    with pytest.raises(IndexError):
        listed[len(entries)]
    as_list = manifest_with([], "m", entries)
    assert isinstance(as_list.inputs, InputList)
    assert json.loads(as_list.to_json())["inputs"] == [{"path": e.path, "sha256": e.sha256} for e in entries]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=8), st.sampled_from(["train", "test"]), st.text(max_size=8)), max_size=20))
def test_an_article_list_is_the_list_of_its_entries(rows: list[tuple[str, str, str]]) -> None:
    """Three columns, read as entries; a manifest holds it however its articles are given, and writes the same JSON."""
    entries = [ArticleEntry(id=i, split=split, cluster=cluster) for i, split, cluster in rows]
    listed = ArticleList(*(Names(column) for column in zip(*rows, strict=True))) if rows else ArticleList.of([])
    assert list(listed) == entries == listed[:]
    assert listed == ArticleList.of(entries)
    given_as_list = manifest_with(["raw/a.txt"], "m").model_copy(update={"articles": entries})
    validated = Manifest.model_validate_json(given_as_list.to_json())
    assert isinstance(validated.articles, ArticleList)
    assert validated.articles == entries
    assert validated.to_json() == given_as_list.to_json()
    assert b"".join(validated.json_pieces(3)) == validated.to_json().encode()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=8), max_size=20), st.data())
def test_clusters_named_by_the_ids_at_their_leaders_are_the_same_list(ids: list[str], data: st.DataObject) -> None:
    """As a build gives them: each cluster as the place of its first article among the ids, not a string each."""
    leaders = [data.draw(st.integers(0, n)) for n in range(len(ids))]
    splits = Names(data.draw(st.sampled_from(["train", "test"])) for _ in ids)
    at = ArticleList(Names(ids), splits, NamesAt(Names(ids), array("q", leaders)))
    named = ArticleList(Names(ids), splits, Names(ids[n] for n in leaders))
    assert at == named
    entries = [ArticleEntry(id=i, split=s, cluster=ids[n]) for i, s, n in zip(ids, splits, leaders, strict=True)]
    assert list(at) == list(named) == entries
    written, as_entries = (manifest_with([], "m").model_copy(update={"articles": a}) for a in (at, entries))
    assert b"".join(written.json_pieces(3)) == as_entries.to_json().encode()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=8), st.binary(min_size=32, max_size=32)), max_size=12), st.integers(0, 12))
def test_a_build_s_inputs_under_their_folders_write_the_json_of_their_entries(
    rows: list[tuple[str, bytes]], raw: int
) -> None:
    """As a build holds them (the listing's names under raw/ and annotations/): the JSON that pydantic writes."""
    grown = GrowingNames()
    grown.extend(Names(path for path, _ in rows[:raw]), "raw/")
    grown.extend(Names(path for path, _ in rows[raw:]), "annotations/")
    listed = InputList(grown, b"".join(digest for _, digest in rows))
    entries = [
        InputEntry.unchecked(path, digest.hex()) for path, digest in zip(grown, (d for _, d in rows), strict=True)
    ]
    written = manifest_with([], "m", entries).model_copy(update={"inputs": listed})
    assert b"".join(written.json_pieces(5)) == manifest_with([], "m", entries).to_json().encode()


def test_an_input_list_needs_a_digest_for_each_path() -> None:
    with pytest.raises(ValueError, match="32 bytes of digest each"):
        InputList(Names(["raw/a.txt", "raw/b.txt"]), b"\0" * 33)


def test_a_manifest_written_in_pieces_reads_back_equal(tmp_path: Path) -> None:
    manifest = manifest_with([f"raw/{i:05d}-ß.txt" for i in range(2_345)], "m")
    atomic_write_bytes(tmp_path / "manifest.json", manifest.json_pieces())
    assert read_manifest(tmp_path / "manifest.json") == manifest


def test_a_build_temp_folder_is_no_release(tmp_path: Path) -> None:
    for name in ("1.0.0", ".tmp-k2x9", "0.9.0", "notes"):
        (tmp_path / "releases" / name).mkdir(parents=True)
        (tmp_path / "releases" / name / "manifest.json").write_text(manifest_with([], "m").to_json(), encoding="utf-8")
    assert release_versions(tmp_path) == ["0.9.0", "1.0.0"]


def test_a_manifest_from_before_problem_codes_still_reads(tmp_path: Path) -> None:
    path = tmp_path / "manifest.json"
    data = json.loads(manifest_with([], "is empty").to_json())
    del data["rejected"][0]["code"]
    path.write_text(json.dumps(data), encoding="utf-8")
    assert read_manifest(path).rejected[0].code is Code.PROBLEM_UNCODED
    assert read_manifest(path).rejected[0].message == "is empty"


def test_an_invalid_manifest_is_refused_with_its_problems_counted(tmp_path: Path) -> None:
    path = tmp_path / "manifest.json"
    data = json.loads(manifest_with([], "m").to_json())
    del data["inputs_sha256"]
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ReleaseError, match=r"is not a valid manifest: 1 problem, first: Field required"):
        read_manifest(path)
