"""The driver's placements: each admitted article's rows in the spill, laid out into runs per split."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from newscorpus.derive.configs import select_configs
from newscorpus.derive.rows import Tally
from newscorpus.derive.shards import Layout, SpilledJob
from newscorpus.ingest.ids import SPLITS
from newscorpus.release.placements import Placements

CONFIGS = select_configs(["documents"])


def spilled(job: int, sizes: list[int], splits: list[str]) -> SpilledJob:
    """A read job's summary whose articles have ``sizes`` rows each, spilled one after another."""
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int32)
    return SpilledJob(
        job, splits, None, {"documents": starts}, {"documents": np.array(sizes, np.int32)},  # type: ignore[arg-type]
        Tally(CONFIGS), b"", {},
    )  # fmt: skip


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.tuples(st.integers(0, 3), st.sampled_from(SPLITS)), min_size=1, max_size=6), max_size=4))
def test_laid_out_rows_are_the_admitted_articles_rows_in_reading_order(jobs: list[list[tuple[int, str]]]) -> None:
    placements, admitted, layout = Placements(CONFIGS), [], Layout(CONFIGS)
    for number, articles in enumerate(jobs):
        job = spilled(number, [size for size, _ in articles], [split for _, split in articles])
        places = list(range(0, len(articles), 2))  # every other article admitted
        placements.add(job, places)
        admitted += [(number, int(job.starts["documents"][p]), articles[p][0], articles[p][1]) for p in places]
    assert list(placements.splits) == [SPLITS.index(split) for *_, split in admitted]
    moved = [SPLITS[(SPLITS.index(split) + 1) % len(SPLITS)] for *_, split in admitted]  # each into another split
    placements.lay_out(layout, moved, np.arange(len(admitted), dtype=np.int64))
    assert placements.jobs == []  # emptied as joined: not held twice
    assert all(not parts for parts in placements.starts.values())
    for split in SPLITS:
        kept = [article for article, to in zip(admitted, moved, strict=True) if to == split]
        rows = [(job, start + r) for job, start, size, _ in kept for r in range(size)]
        runs = layout.runs[("documents", split)]
        laid = [(j, row) for part in runs for j, a, b in zip(*part, strict=True) for row in range(a, b)]
        assert laid == rows
