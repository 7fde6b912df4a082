"""The data of a release, written on the workers: spilled per job, cut into shards of fixed size, stitched.

A build runs in two passes over jobs (on the local pool or a Ray cluster, the same way):

1. Each read job makes its articles' rows and spills them, one Arrow file per config, rows
   sorted by split and then in article order (``spill_job``). Only a summary of the job
   travels back, as columns: ids, signatures, counts, and where each article's rows stand.
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
import pickle
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path
from typing import NamedTuple, cast

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from newscorpus.core.atomic import atomic_path
from newscorpus.core.errors import ReleaseError
from newscorpus.core.report import Problem
from newscorpus.derive.configs import Config, Rows
from newscorpus.derive.features import ClassLabel, fields_for
from newscorpus.derive.neardup import Signatures, signatures
from newscorpus.derive.rows import Tally, job_rows
from newscorpus.derive.writers import BATCH_ROWS, as_table, stitch, stitched_before, write_stream
from newscorpus.ingest.candidates import Candidate
from newscorpus.ingest.ids import SPLITS
from newscorpus.model.article import Article

SPILL_DIR = ".spill"
SHARD_DIR = ".shards"
SHARD_ROWS = 64 * BATCH_ROWS
"""Rows per shard: a few seconds of writing, so one shard is worth a task and shards balance over workers."""

Column = npt.NDArray[np.int64]
Places = npt.NDArray[np.int32]  # read jobs' numbers, and rows within one job's spill


@dataclass(frozen=True, slots=True)
class SpilledJob:
    """What the driver learns of one read job: its articles as columns, and where their rows stand in the spill.

    One object per job, so that the driver's cost is a few arrays per job, not objects per
    article. The statistics come counted (``tally``); should the driver turn an article away
    (a duplicate), it counts the admitted ones again from ``summaries``, pickled until then.
    Ids, files and lines are not here: the driver's admission has them already.
    """

    job: int
    splits: list[str]  # as each id gives it: the driver may move an article into its cluster's split
    signatures: Signatures  # what near-duplicate clustering needs (``release.clusters``)
    starts: dict[str, Places]  # by config: each article's first row in the job's spill
    sizes: dict[str, Places]  # by config: each article's rows
    tally: Tally
    summaries: bytes
    problems: dict[int, list[Problem]]  # by article: why it is kept out of a config

    def admitted(self, places: list[int]) -> Tally:
        """Return the statistics of the articles at ``places`` (in order): the job's own if it is all of them."""
        if len(places) == len(self.splits):
            return self.tally
        tally, summaries = Tally(self.tally.configs), pickle.loads(self.summaries)  # noqa: S301 - our worker's, like every job result
        for place in places:
            tally.add(summaries[place])
        return tally


def spill_path(folder: Path, config: str, job: int) -> Path:
    """Return where read job ``job`` spills its rows of ``config``."""
    return folder / SPILL_DIR / config / f"{job:09d}.arrow"


def spill_job(
    folder: Path, configs: tuple[Config, ...], bands: int, job: int, found: list[Candidate[Article]]
) -> list[tuple[SpilledJob, int]]:
    """Make the rows of one read job's articles (``found``), spill them under ``folder``; return what the driver needs.

    One ``SpilledJob`` for the whole job, with each article's place in it. Its signatures have ``bands`` LSH bands.

    The spill is written to a temp file and renamed, so a job that Ray runs again after its node
    died writes the same file over a complete one, never a torn one.
    """
    articles = [candidate.value for candidate in found]
    by_split: dict[str, dict[str, list[Rows]]] = {c.name: {s: [] for s in SPLITS} for c in configs}
    counts: dict[str, dict[str, int]] = {c.name: dict.fromkeys(SPLITS, 0) for c in configs}
    # Each article's first row among its split's rows of a config, and how many it has.
    # 32 bits, as the driver keeps them for every article until the layout.
    within: dict[str, Places] = {c.name: np.zeros(len(articles), dtype=np.int32) for c in configs}
    sizes: dict[str, Places] = {c.name: np.zeros(len(articles), dtype=np.int32) for c in configs}
    tally, summaries, problems = Tally(list(configs)), [], {}
    for n, (summary, rows) in enumerate(job_rows(articles, [c.words for c in found], configs)):
        for config, made in rows.items():
            within[config][n] = counts[config][summary.split]
            sizes[config][n] = len(made)
            counts[config][summary.split] += len(made)
            by_split[config][summary.split].append(made)
        tally.add(summary)
        summaries.append(summary)
        if summary.problems:
            problems[n] = summary.problems
    for each in configs:
        table = as_table((rows for split in SPLITS for rows in by_split[each.name][split]), each.model)
        path = spill_path(folder, each.name, job)
        with atomic_path(path, durable=False) as tmp, pa.ipc.new_file(str(tmp), table.schema) as writer:
            writer.write_table(table)
    # The spill holds the splits one after another, so a row's place there is its split's start plus its place in it.
    split_of = np.array([SPLITS.index(s.split) for s in summaries], dtype=np.int64)
    starts = {}
    for config, by in counts.items():
        bases = np.array([0, *accumulate(by.values())][: len(SPLITS)], dtype=np.int32)
        starts[config] = bases[split_of] + within[config]
    spilled = SpilledJob(
        job,
        [s.split for s in summaries],
        signatures(articles, bands),
        starts,
        sizes,
        tally,
        pickle.dumps(summaries, protocol=pickle.HIGHEST_PROTOCOL),
        problems,
    )
    return [(spilled, n) for n in range(len(articles))]


class Run(NamedTuple):
    """Rows ``start`` to ``stop`` (exclusive) of a split among the spilled rows of read job ``job``."""

    job: int
    start: int
    stop: int


@dataclass(frozen=True, slots=True)
class ShardJob:
    """One shard to write: rows of one config and split, gathered from runs of spilled rows.

    ``leaders`` holds, for each row, the article (a place in the articles' ids) whose id names its cluster, if the
    config has a ``cluster_id`` column, else nothing. The worker looks the ids up: on the driver that cost 1 µs a row.
    """

    folder: Path
    config: str
    split: str
    index: int
    # Its runs as three columns (``Run``'s fields): articles moved into their cluster's split make short runs, about
    # one per two articles of a generated corpus, and a ``Run`` each cost the driver 2 µs to make and pickle.
    columns: tuple[Places, Places, Places]
    leaders: Column = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @property
    def runs(self) -> list[Run]:
        """Return the runs of spilled rows the shard gathers, in order."""
        return list(map(Run, *(column.tolist() for column in self.columns)))


class Layout:
    """The driver's record of which spilled rows a release keeps: runs per config and split, in article order.

    It holds a few numbers per read job, never rows, and the cluster of each row of a config with
    a ``cluster_id`` column (``documents``: one per article), as the place of the article whose id names it.
    """

    def __init__(self, configs: list[Config]) -> None:
        self.configs = configs
        # As columns (job, start, stop), an array each per ``keep``: a copy-heavy corpus makes about a run
        # per article, and 100,000 runs as tuples of ints took 5 MB.
        self.runs: dict[tuple[str, str], list[tuple[Places, Places, Places]]] = {
            (c.name, s): [] for c in configs for s in SPLITS
        }
        self.leaders: dict[tuple[str, str], list[Column]] = {
            (c.name, s): [] for c in configs if "cluster_id" in c.model.model_fields for s in SPLITS
        }

    def keep(
        self,
        jobs: Places,
        starts: dict[str, Places],
        sizes: dict[str, Places],
        splits: list[str],
        leaders: Column,
    ) -> None:
        """Keep the rows of every admitted article, in reading order, in the split it takes.

        Article ``i`` was read by job ``jobs[i]``, and its ``sizes[config][i]`` rows of a config
        start at row ``starts[config][i]`` of that job's spill; it goes into ``splits[i]``, in
        the cluster named by the id of article ``leaders[i]``. Articles that follow each other in
        a spill make one run.
        """
        split_of = np.array([SPLITS.index(split) for split in splits], dtype=np.int64)
        for config in sizes:
            for n, split in enumerate(SPLITS):
                here = np.flatnonzero((split_of == n) & (sizes[config] > 0))
                if not len(here):
                    continue
                job, start, size = jobs[here], starts[config][here], sizes[config][here]
                breaks = np.flatnonzero((job[1:] != job[:-1]) | (start[1:] != start[:-1] + size[:-1])) + 1
                firsts, lasts = np.concatenate([[0], breaks]), np.concatenate([breaks, [len(here)]]) - 1
                self.runs[(config, split)].append((job[firsts], start[firsts], start[lasts] + size[lasts]))
                if (labels := self.leaders.get((config, split))) is not None:
                    labels.append(np.repeat(leaders[here], size))

    def rows(self) -> dict[str, dict[str, int]]:
        """Return how many rows each config has in each split."""
        return {
            c.name: {s: sum(int((stop - start).sum()) for _, start, stop in self.runs[(c.name, s)]) for s in SPLITS}
            for c in self.configs
        }

    def shard_jobs(self, folder: Path) -> Iterator[ShardJob]:
        """Cut every config's splits into shards of ``SHARD_ROWS`` rows, in order; an empty split has none.

        A job at a time, as the executor takes them: each holds its rows' clusters (``ShardJob.leaders``).
        """
        for (config, split), runs in self.runs.items():
            if not runs:
                continue
            job, start, stop = (np.concatenate(column) for column in zip(*runs, strict=True))
            ends = np.cumsum(stop - start)  # the row after each run, counted in the split
            total = int(ends[-1])
            labels = self.leaders.get((config, split), [])
            leaders = np.concatenate(labels) if labels else np.zeros(0, dtype=np.int64)
            for index in range(math.ceil(total / SHARD_ROWS)):
                low, high = index * SHARD_ROWS, min((index + 1) * SHARD_ROWS, total)
                first = int(np.searchsorted(ends, low, side="right"))  # the runs that hold rows low to high - 1
                last = int(np.searchsorted(ends, high, side="left"))
                jobs, starts, stops = (c[first : last + 1].copy() for c in (job, start, stop))
                # The first and the last run are cut to the shard (one run may be both).
                starts[0] += low - int(ends[first] - (stop[first] - start[first]))
                stops[-1] -= int(ends[last]) - high
                yield ShardJob(folder, config, split, index, (jobs, starts, stops), leaders[low:high])


def shard_path(folder: Path, config: str, split: str, index: int) -> Path:
    """Return where shard ``index`` of a config's split is written before it is stitched."""
    return folder / SHARD_DIR / config / f"{split}-{index:05d}.arrow"


def write_shard(ids: Sequence[str], job: ShardJob) -> int:
    """Write one shard from the spilled rows it gathers (on a worker); return its rows.

    ``ids`` are the articles' ids, in the order the layout kept them: a cluster is named by one.
    """
    spills: dict[int, pa.Table] = {}
    runs = []
    for run in job.runs:
        # Opened once per job: articles moved into their cluster's split make many short runs into one spill.
        if run.job not in spills:
            # The map stays open while the table's buffers point into it; it closes when they are gone.
            path = str(spill_path(job.folder, job.config, run.job))
            spills[run.job] = pa.ipc.open_file(pa.memory_map(path)).read_all()
        runs.append(spills[run.job].slice(run.start, run.stop - run.start))
    # Slices of the maps, which write_stream copies a batch at a time. One gather (take) over the spills'
    # concatenation copied every spill the shard touched into memory first: for a small split, whose
    # shard touches every spill, the whole build's rows (a worker peaked at 930 MB for 100,000 articles).
    table = _placed(pa.concat_tables(runs), job, ids)
    with atomic_path(shard_path(job.folder, job.config, job.split, job.index), durable=False) as tmp:
        write_stream(tmp, table)
    return int(table.num_rows)


def _placed(table: pa.Table, job: ShardJob, ids: Sequence[str]) -> pa.Table:
    """Set the ``split`` and ``cluster_id`` columns, where the config has them: only the driver knew them."""
    names, n = table.schema.names, table.num_rows
    if "split" in names:
        at = names.index("split")
        label = cast(ClassLabel, fields_for(Article)["split"]).str2int(job.split)
        table = table.set_column(at, table.schema.field(at), pa.array([label] * n, pa.int64()))
    if "cluster_id" in names:
        at = names.index("cluster_id")
        clusters = pa.array(list(map(ids.__getitem__, job.leaders.tolist())), pa.string())
        table = table.set_column(at, table.schema.field(at), clusters)
    return table


def stitch_config(job: tuple[Path, Config, dict[str, int]]) -> list[tuple[str, str, int]]:
    """Stitch each split of a config from its shards into ``{config}/{split}.arrow`` on a worker; clear its scratch.

    ``job`` is the release folder, the config and the rows each split must hold. Return each
    split's name, sha256 and size: the driver never reads the data. Ray runs a task again if its
    node died before the driver had its result, maybe after its shards were cleared: a split
    already stitched whole is taken as it is, and one whose rows are not all there is refused.
    """
    folder, config, rows = job
    made = []
    for split in SPLITS:
        target = folder / config.name / f"{split}.arrow"
        if (done := stitched_before(target, config.model, rows[split])) is not None:
            made.append((split, *done))
            continue
        shards = sorted((folder / SHARD_DIR / config.name).glob(f"{split}-*.arrow"))
        target.parent.mkdir(parents=True, exist_ok=True)
        sha256, size, held = stitch(target, shards, config.model)
        if held != rows[split]:
            raise ReleaseError(
                f"{config.name}/{split} was stitched with {held} of its {rows[split]} rows: its shards were lost, "
                "maybe by a task run twice. Nothing was released; build again."
            )
        made.append((split, sha256, size))
    for scratch in (SPILL_DIR, SHARD_DIR):
        shutil.rmtree(folder / scratch / config.name, ignore_errors=True)
    return made
