from __future__ import annotations

import gc
import hashlib
import pickle
import tempfile
from array import array
from pathlib import Path, PurePosixPath

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newscorpus.core import names as names_module
from newscorpus.core.codes import Code
from newscorpus.core.names import JOIN_BATCH, GrowingNames, Names, NamesAt
from newscorpus.core.report import Problem
from newscorpus.ingest.corpus import iter_corpus, validate
from newscorpus.ingest.listing import SYSTEM_FILES, Listing, sha256_file, walk_folder

NAME = st.sampled_from(
    ["a", "b", "B", "b.txt", "b-c", "ä.txt", "z", ".hidden", "a.meta.yaml", "Thumbs.db", "desktop.ini"]
)


@given(st.lists(NAME, max_size=8), st.lists(NAME, max_size=3))
def test_a_progress_bar_counts_the_files_read(raw: list[str], gold: list[str]) -> None:
    """``article_count`` is the length of ``article_files`` (sidecars left out), without making the names."""
    listing = Listing(Names(raw), Names(gold))
    assert listing.article_count() == len(listing.article_files())


def test_article_files_are_the_raw_files_but_sidecars_under_raw() -> None:
    listing = Listing(Names(["a.txt", "a.txt.meta.yaml", "b/c.jsonl", "d.meta.yaml"]), Names(["a.json"]))
    files = listing.article_files()
    assert list(files) == ["raw/a.txt", "raw/b/c.jsonl"]
    assert (files[1], files[-1], len(files)) == ("raw/b/c.jsonl", "raw/b/c.jsonl", 2)


@settings(max_examples=40, deadline=None)
@given(st.sets(st.lists(NAME, min_size=1, max_size=3).map(tuple), min_size=1, max_size=12))
def test_walked_files_are_in_path_order_without_hidden_ones(tmp_path_factory, paths: set[tuple[str, ...]]) -> None:
    root = tmp_path_factory.mktemp("tree")
    files = set()
    for parts in sorted(paths, key=len, reverse=True):
        target = root.joinpath(*parts)
        if target.exists() or any(root.joinpath(*parts[:i]).is_file() for i in range(1, len(parts))):
            continue  # a name already taken by a folder or a file
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("x", encoding="utf-8")
        files.add(parts)
    visible = [p for p in files if not any(part.startswith(".") or part in SYSTEM_FILES for part in p)]
    expected = [str(PurePosixPath(*p)) for p in sorted(visible)]  # the order of sorted(Path) objects
    assert list(walk_folder(root)[0]) == expected


def test_a_sidecar_finds_its_raw_file_whatever_the_suffix_case(corpus: Path) -> None:
    raw = corpus / "raw" / "sub"
    raw.mkdir()
    (raw / "story.TXT").write_bytes((corpus / "raw" / "koalition-der-willigen-paris.txt").read_bytes())
    (raw / "story.meta.yaml").write_text("id: story\n", encoding="utf-8")
    (raw / "lonely.meta.yaml").write_text("id: lonely\n", encoding="utf-8")
    problems = [p for p in iter_corpus(corpus) if isinstance(p, Problem) and p.code is Code.SIDECAR_ORPHAN]
    assert [p.file for p in problems] == ["raw/sub/lonely.meta.yaml"]


@given(st.lists(st.text(max_size=6)), st.integers(-12, 12), st.integers(-12, 12), st.integers(-3, 3).filter(bool))
def test_names_read_as_the_list_they_hold(names: list[str], index: int, stop: int, step: int) -> None:
    """Any strings (empty ones, ä, emoji, separators of any kind): the same items, lengths, indices and slices."""
    held = Names(names)
    assert list(held) == names
    assert len(held) == len(names)
    assert list(held[index:stop:step]) == names[index:stop:step]
    assert held[index:stop:step] == Names(names[index:stop:step])  # the same joined string and ends, cut or made
    assert held[index:stop] == Names(names[index:stop])
    assert pickle.loads(pickle.dumps(held)) == held  # noqa: S301 - as a job takes them to a worker
    places = [(index * 5 + k) % len(names) for k in range(7)] if names else []
    assert held.take(places) == [names[p] for p in places]
    if -len(names) <= index < len(names):
        assert held[index] == held[np.int64(index)] == names[index]
    else:
        with pytest.raises(IndexError):
            held[index]


def test_names_joined_a_batch_at_a_time_are_the_names_in_order() -> None:
    """Across the batches it is joined in, every name keeps its place and its end."""
    names = [f"raw/{n % 7 * 'ä'}{n}.txt" for n in range(2 * JOIN_BATCH + 3)]
    held = Names(iter(names))
    assert list(held) == names
    assert [held[n] for n in (JOIN_BATCH - 1, JOIN_BATCH, 2 * JOIN_BATCH + 2)] == [
        names[JOIN_BATCH - 1],
        names[JOIN_BATCH],
        names[-1],
    ]


SLICES = st.builds(
    slice, st.integers(-14, 14) | st.none(), st.integers(-14, 14) | st.none(), st.sampled_from([None, 1, 2, -1])
)


@given(
    st.lists(st.text(max_size=5), min_size=1, max_size=8),
    st.lists(st.integers(0, 7), max_size=12),
    st.sampled_from(["", "raw/", "ä/"]),
    st.booleans(),
    SLICES,
)
def test_names_at_places_read_as_the_names_there(
    names: list[str], places: list[int], prefix: str, joined: bool, cut: slice
) -> None:
    """Of ``Names`` or of a list, with or without a prefix: iterated, by index and sliced alike."""
    at = [p % len(names) for p in places]
    chosen = NamesAt(Names(names) if joined else names, array("i", at), prefix)
    expected = [prefix + names[p] for p in at]
    assert (list(chosen), [chosen[n] for n in range(len(at))], chosen[:], len(chosen)) == (
        expected,
        expected,
        expected,
        len(at),
    )
    assert chosen[cut] == expected[cut]


BATCHES = st.lists(
    st.tuples(st.lists(st.text(max_size=5), max_size=6), st.sampled_from(["", "raw/", "ä/"])), max_size=6
)


@given(BATCHES, st.lists(st.integers(0, 10**6), max_size=12), st.integers(1, 40))
def test_growing_names_at_numbers_in_runs_or_scattered_are_the_names_there(
    batches: list[tuple[list[str], str]], numbers: list[int], run_names: int
) -> None:
    """Names at any numbers, in reading order too (runs in one batch), whether taken a run or a name at a time."""
    grown, names = GrowingNames(), []
    for batch, prefix in batches:
        grown.extend(batch, prefix)
        names += [prefix + name for name in batch]
    picked = [n % len(names) for n in numbers] + list(range(len(names))) if names else []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(names_module, "RUN_NAMES", run_names)
        assert grown.at(np.array(picked, dtype=np.int64)) == [names[n] for n in picked]


@given(BATCHES, st.integers(-40, 40), SLICES)
def test_growing_names_are_the_batches_added_in_order(
    batches: list[tuple[list[str], str]], index: int, cut: slice
) -> None:
    """Added a batch at a time (empty ones too, some under a prefix): the concatenation, by index, iterated, joined."""
    grown, names = GrowingNames(), []
    for batch, prefix in batches:
        grown.extend(batch, prefix)
        names += [prefix + name for name in batch]
    assert len(grown) == len(names)
    assert list(grown) == names == grown[:]
    assert grown[cut] == names[cut]  # a run across batches, cut a batch at a time
    picked = [(abs(index) * 7 + k) % len(names) for k in range(5)] if names else []
    assert grown.at(np.array(picked, dtype=np.int64)) == [names[n] for n in picked]  # batches found all at once
    assert grown.names() == Names(names)
    assert Names.chained([Names(batch) for batch, _ in batches]) == Names(n for batch, _ in batches for n in batch)
    if not any(prefix for _, prefix in batches):  # chained: the joined names are now the one batch, held once
        assert [batch for _, batch in grown.batches()] == ([grown.names()] if names else [])
    assert list(grown) == names == grown[:]  # the same names, read the same, after names()
    assert grown.at(np.array(picked, dtype=np.int64)) == [names[n] for n in picked]  # one batch now, or as before
    if -len(names) <= index < len(names):
        assert grown[index] == names[index]
    else:
        with pytest.raises(IndexError):
            grown[index]


def test_files_that_macos_and_windows_leave_in_a_folder_are_no_raw_files(corpus: Path) -> None:
    """A folder copied off a Mac or out of Windows Explorer: its hidden files are neither read nor refused."""
    before = validate(corpus)
    (corpus / "raw" / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (corpus / "raw" / "._artikel.txt").write_bytes(b"\x00\x05\x16\x07Mac OS X")
    (corpus / "raw" / "Thumbs.db").write_bytes(b"\xd0\xcf\x11\xe0")
    (corpus / "raw" / "desktop.ini").write_text("[.ShellClassInfo]\r\n", encoding="utf-8")
    after = validate(corpus)
    assert (after.problems, after.articles_valid, after.files_checked) == (
        before.problems,
        before.articles_valid,
        before.files_checked,
    )


def test_validate_counts_every_input_file(corpus: Path) -> None:
    """Raw files, sidecars and gold files: the files a release records, counted without listing their names."""
    (corpus / "raw" / "story.meta.yaml").write_text("id: story\n", encoding="utf-8")
    assert validate(corpus, processes=1).files_checked == len(Listing.of(corpus).inputs())


def test_listing_leaves_no_garbage_cycle(corpus: Path) -> None:
    """A build freezes the garbage collector: a cycle made while listing (with every name in it) would live on."""
    (corpus / "raw" / "unter" / "ordner").mkdir(parents=True)
    (corpus / "raw" / "unter" / "ordner" / "a.txt").write_text("x", encoding="utf-8")
    gc.collect()
    gc.disable()
    try:
        listing = Listing.of(corpus)
        assert gc.collect() == 0
    finally:
        gc.enable()
    assert "unter/ordner/a.txt" in listing.raw


def test_a_listing_s_inputs_are_its_names_under_their_folders_without_a_copy(tmp_path: Path) -> None:
    """Raw files (sidecars too), then gold files, each under its folder; the listing's Names are read, not copied."""
    for name in ("raw/b.txt", "raw/a/x.json", "raw/a/x.meta.yaml", "annotations/x.json", "annotations/ä.json"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("{}", encoding="utf-8")
    listing = Listing.of(tmp_path)
    inputs = listing.inputs()
    expected = ["raw/a/x.json", "raw/a/x.meta.yaml", "raw/b.txt", "annotations/x.json", "annotations/ä.json"]
    assert list(inputs) == [inputs[n] for n in range(len(inputs))] == expected
    assert [names for _, names in inputs.batches()] == [listing.raw, listing.gold]
    assert all(held is kept for (_, held), kept in zip(inputs.batches(), (listing.raw, listing.gold), strict=True))


CHUNK_EDGES = st.sampled_from([0, 1, (1 << 16) - 1, 1 << 16, (1 << 16) + 1, 2 << 16])


@settings(max_examples=25, deadline=None)
@given(CHUNK_EDGES | st.integers(0, 3 << 16), st.binary(min_size=1), st.booleans())
def test_a_file_s_sha256_is_that_of_its_bytes_whatever_its_size(size: int, pattern: bytes, as_str: bool) -> None:
    """Read in chunks of 64 KiB: sizes around and across the chunk's edges hash as the whole bytes do."""
    data = (pattern * (size // len(pattern) + 1))[:size]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "input"
        path.write_bytes(data)
        assert sha256_file(str(path) if as_str else path) == hashlib.sha256(data).hexdigest()
