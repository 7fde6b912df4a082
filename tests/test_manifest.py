"""The manifest written in pieces is byte for byte the manifest serialised whole, and reads back the same."""

from __future__ import annotations

import hashlib
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from newscorpus.atomic import atomic_write_bytes
from newscorpus.manifest import InputEntry, Manifest, Statistics, read_manifest
from newscorpus.report import Problem


def manifest_with(paths: list[str], message: str) -> Manifest:
    return Manifest(
        version="1.0.0",
        schema_version="2.1.0",
        splits={"documents": {"train": len(paths)}},
        statistics=Statistics(articles=0, words=0, entities={}, topics={}, status={}, licenses={"inputs": 1}),
        files=[],
        inputs=[InputEntry(path=p, sha256=hashlib.sha256(p.encode()).hexdigest()) for p in paths],
        inputs_sha256="0" * 64,
        rejected=[Problem(file="raw/x.txt", message=message)],
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


def test_a_manifest_written_in_pieces_reads_back_equal(tmp_path: Path) -> None:
    manifest = manifest_with([f"raw/{i:05d}-ß.txt" for i in range(2_345)], "m")
    atomic_write_bytes(tmp_path / "manifest.json", manifest.json_pieces())
    assert read_manifest(tmp_path / "manifest.json") == manifest
