"""Release data written in shards on the workers: the same bytes as one writer, whatever the cuts."""

from __future__ import annotations

import filecmp
import hashlib
import json
import tempfile
from pathlib import Path

import datasets
import numpy as np
import pyarrow as pa
import pytest
from helpers import add_json_articles, write_gold
from hypothesis import given
from hypothesis import strategies as st

from newscorpus.core.errors import ReleaseError
from newscorpus.core.ranges import run_indices
from newscorpus.derive import shards
from newscorpus.derive.configs import Rows, TableRows, TopicRow, select_configs
from newscorpus.derive.encode import record_table, row_encoder
from newscorpus.derive.shards import Layout, Run
from newscorpus.derive.writers import BATCH_ROWS, as_table, stitch, write_stream
from newscorpus.ingest import corpus as corpus_module
from newscorpus.ingest.corpus import iter_corpus
from newscorpus.ingest.ids import SPLITS
from newscorpus.model.article import Article
from newscorpus.publish import folder as publish_folder
from newscorpus.publish.folder import publish
from newscorpus.release.build import build
from newscorpus.release.manifest import MANIFEST


@pytest.fixture
def many(corpus: Path) -> Path:
    """Enough articles for several shards of a small shard size, some with gold, and one bad line."""
    bulk = add_json_articles(corpus, 700)
    with bulk.open("a", encoding="utf-8") as handle:
        handle.write("{not json\n")
    articles = [a for a in iter_corpus(corpus) if isinstance(a, Article)]
    for article in articles[:40]:
        write_gold(corpus, article, [])
    return corpus


def release_files(release: Path) -> list[str]:
    return sorted(p.relative_to(release).as_posix() for p in release.rglob("*") if p.is_file())


def test_a_release_cut_into_many_shards_has_the_bytes_of_one_cut_into_one(
    many: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    one = build(many, "1.0.0", processes=2, skip_invalid=True, configs=["documents", "topics"]).path
    monkeypatch.setattr(shards, "SHARD_ROWS", BATCH_ROWS)  # several shards per split, stitched
    other = tmp_path / "again"
    other.mkdir()
    for name in ("raw", "annotations"):
        (other / name).symlink_to(many / name)
    cut = build(other, "1.0.0", processes=2, skip_invalid=True, configs=["documents", "topics"]).path
    assert release_files(one) == release_files(cut)
    data = [f"{c}/{s}.arrow" for c in ("documents", "topics") for s in SPLITS]
    assert release_files(one) == sorted([MANIFEST, *data])  # no scratch left behind
    _, mismatch, errors = filecmp.cmpfiles(one, cut, release_files(one), shallow=False)
    assert (mismatch, errors) == ([], [])


def test_a_split_is_published_in_hub_shards_that_load_whole_and_in_order(
    many: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest = build(many, "1.0.0", processes=1, skip_invalid=True, configs=["documents"]).manifest
    monkeypatch.setattr(publish_folder, "SHARD_ROWS", BATCH_ROWS)
    out = tmp_path / "published"
    publish(many, "1.0.0", out)
    for split, rows in manifest.splits["documents"].items():
        if not rows:
            continue
        n = -(-rows // BATCH_ROWS)
        names = sorted(p.name for p in (out / "data" / "documents").glob(f"{split}-*.parquet"))
        assert names == [f"{split}-{k:05d}-of-{n:05d}.parquet" for k in range(n)]
    loaded = datasets.load_dataset(str(out), "documents")
    from_release = datasets.Dataset.from_file(str(many / "releases" / "1.0.0" / "documents" / "train.arrow"))
    assert loaded["train"]["id"] == from_release["id"]


@given(
    articles=st.lists(
        st.tuples(st.integers(0, 4), st.sampled_from(SPLITS), st.integers(0, 3), st.booleans()), max_size=60
    ),
    shard_rows=st.sampled_from([1, 2, 3, 7, 50]),
)
def test_shards_cover_the_kept_rows_in_order_and_are_full_but_the_last(
    articles: list[tuple[int, str, int, bool]], shard_rows: int
) -> None:
    """Articles: (job, split, rows, kept); jobs come in order, as the driver sees them."""
    [config] = select_configs(["documents"])
    layout, expected = Layout([config]), {s: [] for s in SPLITS}
    position: dict[tuple[int, str], int] = {}
    kept_rows: list[tuple[int, int, int, str]] = []  # job, start, size, split of each kept article
    for job, split, size, kept in sorted(articles, key=lambda a: a[0]):
        start = position.get((job, split), 0)
        position[(job, split)] = start + size
        if kept:
            kept_rows.append((job, start, size, split))
            expected[split] += [(job, i) for i in range(start, start + size)]
    jobs_of, starts, sizes = (np.array([k[i] for k in kept_rows], dtype=np.int64) for i in range(3))
    splits = [k[3] for k in kept_rows]
    leaders = np.arange(len(kept_rows), dtype=np.int64)  # each its own cluster, named by its id
    layout.keep(jobs_of, {"documents": starts}, {"documents": sizes}, splits, leaders)
    original = shards.SHARD_ROWS
    shards.SHARD_ROWS = shard_rows
    try:
        jobs = list(layout.shard_jobs(Path("/nowhere")))
    finally:
        shards.SHARD_ROWS = original
    assert layout.rows()["documents"] == {s: len(rows) for s, rows in expected.items()}
    for split in SPLITS:
        mine = [j for j in jobs if j.split == split]
        assert [j.index for j in mine] == list(range(len(mine)))
        covered = [(run.job, i) for j in mine for run in j.runs for i in range(run.start, run.stop)]
        assert covered == expected[split]
        ids = [f"c{job}" for job in jobs_of]  # the worker names each row's cluster by the id at its leader
        assert [ids[leader] for j in mine for leader in j.leaders.tolist()] == [f"c{job}" for job, _ in expected[split]]
        sizes = [sum(r.stop - r.start for r in j.runs) for j in mine]
        assert all(size == shard_rows for size in sizes[:-1])
        assert all(isinstance(run, Run) and run.start < run.stop for j in mine for run in j.runs)


def test_a_release_read_in_jobs_of_any_size_has_the_same_bytes(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Job sizes follow the worker count; rows of one job make long runs (ner: many rows an article), rows of
    small jobs many short ones. The release's bytes must not tell them apart."""
    for n in range(120):
        body = f"Satz {n} über Köln. Der Rat tagt in Berlin.\n\nNoch ein Satz über die Straße {n}. Und einer."
        record = {"id": f"artikel-{n:03d}", "headline": f"Meldung {n}", "body": body}
        (corpus / "raw" / f"artikel-{n:03d}.json").write_text(json.dumps(record, ensure_ascii=False), "utf-8")
    for article in [a for a in iter_corpus(corpus) if isinstance(a, Article)]:
        write_gold(corpus, article, [("Köln", "LOC")] if "Köln" in article.text else [])
    made = []
    for size in (3, 500):
        monkeypatch.setattr(corpus_module, "files_per_job", lambda files, workers, largest, per_worker, size=size: size)
        other = tmp_path / f"jobs-{size}"
        other.mkdir()
        for name in ("raw", "annotations"):
            (other / name).symlink_to(corpus / name)
        made.append(build(other, "1.0.0", processes=2).path)
    ner = datasets.Dataset.from_file(str(made[0] / "ner" / "train.arrow"))
    assert ner.num_rows > BATCH_ROWS, "a single batch: the test would prove nothing"
    assert release_files(made[0]) == release_files(made[1])
    _, mismatch, errors = filecmp.cmpfiles(made[0], made[1], release_files(made[0]), shallow=False)
    assert (mismatch, errors) == ([], [])


@given(st.lists(st.tuples(st.integers(0, 50), st.integers(0, 6)), max_size=20))
def test_run_indices_are_the_runs_one_after_another(runs: list[tuple[int, int]]) -> None:
    starts, sizes = [s for s, _ in runs], [n for _, n in runs]
    expected = [i for s, n in runs for i in range(s, s + n)]
    assert run_indices(starts, sizes).tolist() == expected


def test_a_shard_copies_the_rows_it_keeps_not_the_spills_it_reads(tmp_path: Path) -> None:
    """A shard of one row from each of 20 spills (a small split's shard touches every spill) stays that small.

    Arrow memory is counted by a pool of the test's own: a gather over the spills' concatenation
    allocated all of them (here 8 MB) before it took 20 rows.
    """
    text = ["ä" * 2000 + str(n) for n in range(200)]
    for job in range(20):
        path = shards.spill_path(tmp_path, "documents", job)
        path.parent.mkdir(parents=True, exist_ok=True)
        table = pa.table({"text": text, "job": [job] * len(text)})
        with pa.ipc.new_file(str(path), table.schema) as writer:
            writer.write_table(table)
    runs = tuple(Run(job, 7 * job, 7 * job + 1) for job in reversed(range(20)))
    columns = tuple(np.array(column, dtype=np.int32) for column in zip(*runs, strict=True))
    job = shards.ShardJob(tmp_path, "documents", "test", 0, columns)  # type: ignore[arg-type]
    assert job.runs == list(runs)
    pool = pa.proxy_memory_pool(pa.default_memory_pool())
    before = pa.default_memory_pool()
    pa.set_memory_pool(pool)
    try:
        assert shards.write_shard([], job) == 20  # no cluster_id column: no id is looked up
    finally:
        pa.set_memory_pool(before)
    written = pa.ipc.open_stream(shards.shard_path(tmp_path, "documents", "test", 0)).read_all()
    assert written.column("job").to_pylist() == list(reversed(range(20)))
    assert written.column("text").to_pylist() == [text[7 * job] for job in reversed(range(20))]
    assert pool.max_memory() < 20 * len(text[0].encode()) * 4  # the 20 rows, copied a few times at most


@given(st.lists(st.tuples(st.sampled_from(["dicts", "first", "second"]), st.integers(0, 3)), max_size=12))
def test_a_spill_holds_mixed_rows_in_their_order_in_one_chunk(plan: list[tuple[str, int]]) -> None:
    """Rows of dicts and rows of two jobs' tables, in any order, come out as their rows one after another."""
    made = [TopicRow(id=f"a{n:03d}", text=f"Text {n} „Straße“", label="Sport") for n in range(40)]
    tables = {"first": record_table(made[:20], TopicRow), "second": record_table(made[20:], TopicRow)}
    parts: list[Rows] = []
    expected = []
    at = dict.fromkeys(tables, 0)
    extra = iter(TopicRow(id=f"d{n:03d}", text="Diktat", label="Kultur") for n in range(40))
    for kind, size in plan:
        if kind == "dicts":
            records = [next(extra) for _ in range(size)]
            parts.append([row_encoder(TopicRow)(r.model_dump()) for r in records])
        else:
            start = at[kind] = (at[kind] + 1) % 15  # may step back: parts need not follow their table's order
            parts.append(TableRows(tables[kind], start, start + size))
            records = made[start + (20 if kind == "second" else 0) :][:size]
        expected += [row_encoder(TopicRow)(r.model_dump()) for r in records]
    table = as_table(parts, TopicRow)
    assert table.to_pylist() == expected
    assert table.schema.equals(record_table([], TopicRow).schema, check_metadata=True)
    assert table.column("id").num_chunks == 1


@given(st.lists(st.integers(0, 30), min_size=1, max_size=4))
def test_stitched_shards_are_the_stream_one_writer_gives_and_a_single_shard_is_linked(sizes: list[int]) -> None:
    rows = [TopicRow(id=f"a{n:03d}", text=f"Text {n} „Straße“ 😀", label="Sport") for n in range(sum(sizes))]
    with tempfile.TemporaryDirectory() as tmp:
        folder, start, shard_paths = Path(tmp), 0, []
        for k, size in enumerate(sizes):
            shard_paths.append(folder / f"shard-{k}.arrow")
            write_stream(shard_paths[-1], record_table(rows[start : start + size], TopicRow))
            start += size
        whole = folder / "whole.arrow"
        write_stream(whole, record_table(rows, TopicRow))
        target = folder / "target.arrow"
        target.write_bytes(b"an older file, replaced")
        digest, size, held = stitch(target, shard_paths, TopicRow)
        data = target.read_bytes()
        assert pa.ipc.open_stream(data).read_all().to_pylist() == record_table(rows, TopicRow).to_pylist()
        assert (digest, size, held) == (hashlib.sha256(data).hexdigest(), len(data), len(rows))
        if len(sizes) == 1:  # the shard itself, which stays for a task run again
            assert data == shard_paths[0].read_bytes() == whole.read_bytes()
            assert target.stat().st_ino == shard_paths[0].stat().st_ino


def test_a_single_shard_of_another_schema_is_refused_and_not_linked(tmp_path: Path) -> None:
    shard = tmp_path / "shard.arrow"
    write_stream(shard, pa.table({"other": [1, 2]}))
    with pytest.raises(ValueError, match="no stream of the schema of TopicRow"):
        stitch(tmp_path / "target.arrow", [shard], TopicRow)
    assert not (tmp_path / "target.arrow").exists()


def test_a_stitch_run_again_keeps_what_the_first_run_made_and_refuses_lost_rows(tmp_path: Path) -> None:
    (config,) = select_configs(["topics"])
    rows = [TopicRow(id=f"a{n:03d}", text=f"Text {n}", label="Sport") for n in range(30)]
    scratch = tmp_path / shards.SHARD_DIR / config.name
    scratch.mkdir(parents=True)
    write_stream(scratch / "train-00000.arrow", record_table(rows[:20], config.model))
    write_stream(scratch / "train-00001.arrow", record_table(rows[20:], config.model))
    expected = {"train": 30, "validation": 0, "test": 0}
    first = shards.stitch_config((tmp_path, config, expected))
    assert not scratch.exists()
    assert shards.stitch_config((tmp_path, config, expected)) == first  # run again by Ray: its shards are gone
    train = tmp_path / config.name / "train.arrow"
    train.write_bytes(train.read_bytes()[:-8])  # a stitch that died before the end-of-stream marker
    with pytest.raises(ReleaseError, match="topics/train was stitched with 0 of its 30 rows"):
        shards.stitch_config((tmp_path, config, expected))
    scratch.mkdir(parents=True)
    write_stream(scratch / "train-00001.arrow", record_table(rows[20:], config.model))  # one shard of two left
    with pytest.raises(ReleaseError, match="with 10 of its 30 rows"):
        shards.stitch_config((tmp_path, config, expected))
