"""The data of a release, written on the workers: spilled per job, cut into shards of fixed size, stitched.

A build runs in two passes over jobs (on the local pool or a Ray cluster, the same way):

1. Each read job makes its articles' rows and spills them, one Arrow file per config, rows
   sorted by split and then in article order (``spill_job``). Only a summary of each article
   travels back, with where its rows stand in the spill.
2. The driver admits articles (deduplication needs all of them in order), clusters their
   near-duplicates and gives each article its split (``release.clusters``); then it notes, per
   config and split, the runs of spilled rows it keeps (``Layout``). Their concatenation is the
   split. An article moved into its cluster's split has its rows in another split's block of
   the spill: a run is a range of the job's spill, so that is just another run.
   It is cut into shards of ``SHARD_ROWS`` rows, a multiple of the batch size, so the cuts
   depend on the content alone, never on the cluster. Workers write the shards (``write_shard``,
   which sets the ``split`` and ``cluster_id`` columns of a config that has them)
   and then each config's splits into one stream each (``stitch_config``): the same bytes that
   one process writing every row in order gives. The driver never touches the data.
"""

from __future__ import annotations

import math
import shutil
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from typing import Any

import pyarrow as pa

from newscorpus.core.atomic import atomic_path
from newscorpus.derive.configs import Config, Rows
from newscorpus.derive.features import features_for
from newscorpus.derive.rows import ArticleRows, article_rows
from newscorpus.derive.writers import BATCH_ROWS, as_table, stitch, write_stream
from newscorpus.ingest.ids import SPLITS
from newscorpus.model.article import Article

SPILL_DIR = ".spill"
SHARD_DIR = ".shards"
SHARD_ROWS = 64 * BATCH_ROWS
"""Rows per shard: a few seconds of writing, so one shard is worth a task and shards balance over workers."""


@dataclass(frozen=True, slots=True)
class Spilled:
    """What the driver learns of one article of a read job: its summary, and where its rows stand in the spill."""

    summary: ArticleRows
    job: int
    starts: dict[str, int]  # by config: the index of its first row in the job's spill


def spill_path(folder: Path, config: str, job: int) -> Path:
    """Return where read job ``job`` spills its rows of ``config``."""
    return folder / SPILL_DIR / config / f"{job:09d}.arrow"


def spill_job(
    folder: Path, configs: tuple[Config, ...], bands: int, job: int, articles: list[Article]
) -> list[Spilled]:
    """Make the rows of one read job's articles and spill them under ``folder``; return what the driver needs.

    Each summary holds the article's near-duplicate signature with ``bands`` LSH bands.

    The spill is written to a temp file and renamed, so a job that Ray runs again after its node
    died writes the same file over a complete one, never a torn one.
    """
    by_split: dict[str, dict[str, list[Rows]]] = {c.name: {s: [] for s in SPLITS} for c in configs}
    counts: dict[str, dict[str, int]] = {c.name: dict.fromkeys(SPLITS, 0) for c in configs}
    made_here = []
    for article in articles:
        summary, rows = article_rows(article, configs, bands)
        within = {}  # the article's first row among the job's rows of its split
        for config, made in rows.items():
            within[config] = counts[config][summary.split]
            counts[config][summary.split] += len(made)
            by_split[config][summary.split].append(made)
        made_here.append((summary, within))
    for each in configs:
        table = as_table((rows for split in SPLITS for rows in by_split[each.name][split]), each.model)
        path = spill_path(folder, each.name, job)
        with atomic_path(path, durable=False) as tmp, pa.ipc.new_file(str(tmp), table.schema) as writer:
            writer.write_table(table)
    # The spill holds the splits one after another, so a row's place there is its split's start plus its place in it.
    bases = {c: dict(zip(SPLITS, [0, *accumulate(n for n in by.values())], strict=False)) for c, by in counts.items()}
    return [
        Spilled(summary, job, {c: bases[c][summary.split] + i for c, i in within.items()})
        for summary, within in made_here
    ]


@dataclass(frozen=True, slots=True)
class Run:
    """Rows ``start`` to ``stop`` (exclusive) of a split among the spilled rows of read job ``job``."""

    job: int
    start: int
    stop: int


@dataclass(frozen=True, slots=True)
class ShardJob:
    """One shard to write: rows of one config and split, gathered from runs of spilled rows.

    ``clusters`` holds each row's cluster id if the config has a ``cluster_id`` column, else nothing.
    """

    folder: Path
    config: str
    split: str
    index: int
    runs: tuple[Run, ...]
    clusters: tuple[str, ...] = ()


class Layout:
    """The driver's record of which spilled rows a release keeps: runs per config and split, in article order.

    It holds a few numbers per read job, never rows, and the cluster id of each row of a config
    with a ``cluster_id`` column (``documents``: one per article).
    """

    def __init__(self, configs: list[Config]) -> None:
        self.configs = configs
        self.runs: dict[tuple[str, str], list[Run]] = {(c.name, s): [] for c in configs for s in SPLITS}
        self.clusters: dict[tuple[str, str], list[str]] = {
            (c.name, s): [] for c in configs if "cluster_id" in c.model.model_fields for s in SPLITS
        }

    def keep(self, job: int, starts: dict[str, int], sizes: dict[str, int], split: str, cluster: str) -> None:
        """Add the rows of an admitted article (of read job ``job``) to ``split``, after those kept before it."""
        for config, size in sizes.items():
            if not size:
                continue
            runs, start = self.runs[(config, split)], starts[config]
            if runs and runs[-1].job == job and runs[-1].stop == start:
                runs[-1] = Run(job, runs[-1].start, start + size)
            else:
                runs.append(Run(job, start, start + size))
            if (labels := self.clusters.get((config, split))) is not None:
                labels += [cluster] * size

    def rows(self) -> dict[str, dict[str, int]]:
        """Return how many rows each config has in each split."""
        return {
            c.name: {s: sum(r.stop - r.start for r in self.runs[(c.name, s)]) for s in SPLITS} for c in self.configs
        }

    def shard_jobs(self, folder: Path) -> list[ShardJob]:
        """Cut every config's splits into shards of ``SHARD_ROWS`` rows; an empty split has none."""
        jobs = []
        for (config, split), runs in self.runs.items():
            total = sum(r.stop - r.start for r in runs)
            pieces = iter(runs)
            run = next(pieces, None)
            for index in range(math.ceil(total / SHARD_ROWS)):
                want, taken = SHARD_ROWS, []
                while want and run is not None:
                    take = min(want, run.stop - run.start)
                    taken.append(Run(run.job, run.start, run.start + take))
                    want -= take
                    run = (
                        Run(run.job, run.start + take, run.stop) if take < run.stop - run.start else next(pieces, None)
                    )
                labels = self.clusters.get((config, split), [])
                clusters = tuple(labels[index * SHARD_ROWS : (index + 1) * SHARD_ROWS])
                jobs.append(ShardJob(folder, config, split, index, tuple(taken), clusters))
        return jobs


def shard_path(folder: Path, config: str, split: str, index: int) -> Path:
    """Return where shard ``index`` of a config's split is written before it is stitched."""
    return folder / SHARD_DIR / config / f"{split}-{index:05d}.arrow"


def write_shard(job: ShardJob) -> int:
    """Write one shard from the spilled rows it gathers (on a worker); return its rows."""
    tables, spills = [], {}
    for run in job.runs:
        # Opened once per job: articles moved into their cluster's split make many short runs into one spill.
        if run.job not in spills:
            # The map stays open while the table's buffers point into it; it closes when they are gone.
            path = str(spill_path(job.folder, job.config, run.job))
            spills[run.job] = pa.ipc.open_file(pa.memory_map(path)).read_all()
        tables.append(spills[run.job].slice(run.start, run.stop - run.start))
    table = _placed(pa.concat_tables(tables), job)
    with atomic_path(shard_path(job.folder, job.config, job.split, job.index), durable=False) as tmp:
        write_stream(tmp, table)
    return int(table.num_rows)


def _placed(table: pa.Table, job: ShardJob) -> pa.Table:
    """Set the ``split`` and ``cluster_id`` columns, where the config has them: only the driver knew them."""
    names, n = table.schema.names, table.num_rows
    if "split" in names:
        at = names.index("split")
        label = features_for(Article)["split"].str2int(job.split)
        table = table.set_column(at, table.schema.field(at), _column([label] * n, pa.int64()))
    if "cluster_id" in names:
        at = names.index("cluster_id")
        table = table.set_column(at, table.schema.field(at), _column(list(job.clusters), pa.string()))
    return table


def _column(values: list[Any], kind: pa.DataType) -> pa.ChunkedArray:
    """Return ``values`` as a column of one whole array per batch of ``BATCH_ROWS``.

    Arrow writes a batch that is part of a longer array with the bytes after it up to a multiple
    of 64; a whole array without. Shards start on batch boundaries, so with whole arrays per
    batch a split written as one shard has the bytes of the same split cut into many.
    """
    chunks = [pa.array(values[start : start + BATCH_ROWS], kind) for start in range(0, len(values), BATCH_ROWS)]
    return pa.chunked_array(chunks, kind)


def stitch_config(job: tuple[Path, Config]) -> list[tuple[str, str, int]]:
    """Stitch each split of a config from its shards into ``{config}/{split}.arrow`` on a worker; clear its scratch.

    Return each split's name, sha256 and size: the driver never reads the data.
    """
    folder, config = job
    made = []
    for split in SPLITS:
        shards = sorted((folder / SHARD_DIR / config.name).glob(f"{split}-*.arrow"))
        target = folder / config.name / f"{split}.arrow"
        target.parent.mkdir(parents=True, exist_ok=True)
        made.append((split, *stitch(target, shards, config.model)))
    for scratch in (SPILL_DIR, SHARD_DIR):
        shutil.rmtree(folder / scratch / config.name, ignore_errors=True)
    return made
