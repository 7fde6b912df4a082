"""Where each admitted article's rows stand in the spill, kept by the driver until the layout."""

from __future__ import annotations

from array import array

import numpy as np
import numpy.typing as npt

from newscorpus.derive.configs import Config
from newscorpus.derive.shards import Layout, Places, SpilledJob
from newscorpus.ingest.ids import SPLITS


class Placements:
    """Where each admitted article's rows stand in the spill, in reading order, as a few arrays per job.

    The layout waits for the last article: a late one can join two clusters, and so move earlier ones.
    """

    def __init__(self, configs: list[Config]) -> None:
        self.names = [c.name for c in configs]
        self.splits = array("b")  # each article's own split (a place in SPLITS), as its id (or its corpus) gives it
        # 32 bits, held through the whole reading: a job's number, and rows within one job's spill.
        self.jobs: list[Places] = []
        self.starts: dict[str, list[Places]] = {name: [] for name in self.names}
        self.sizes: dict[str, list[Places]] = {name: [] for name in self.names}

    def add(self, job: SpilledJob, places: list[int]) -> None:
        """Add the admitted articles of ``job``, at ``places`` in it."""
        at = np.array(places, dtype=np.int64)
        self.splits.extend(SPLITS.index(job.splits[n]) for n in places)
        self.jobs.append(np.full(len(places), job.job, dtype=np.int32))
        for name in self.names:
            self.starts[name].append(job.starts[name][at])
            self.sizes[name].append(job.sizes[name][at])

    def lay_out(self, layout: Layout, splits: list[str], leaders: npt.NDArray[np.int64]) -> None:
        """Keep every article's rows in ``layout``, each in its split and cluster (``Assignment.leaders``).

        The placements are emptied as they are joined, so that they are not held twice.
        """

        def joined(parts: list[Places]) -> Places:
            whole = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int32)
            parts.clear()
            return whole

        starts = {name: joined(parts) for name, parts in self.starts.items()}
        sizes = {name: joined(parts) for name, parts in self.sizes.items()}
        layout.keep(joined(self.jobs), starts, sizes, splits, leaders)
