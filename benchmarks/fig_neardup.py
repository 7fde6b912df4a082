"""The near-duplicate figure: what finding near-duplicates adds to a documents build (issue 14).

The same ``build --config documents`` of ``--neardup-articles`` generated articles (default
100,000; at most N), with near-duplicate detection and without it. Without, every article gets the
signature of a text without a word (``neardup.Signatures`` with no band key), so the workers hash
nothing and the driver has nothing to cluster; everything else is the same build. Both run in this
process, whose forked workers inherit the swap. Target: with ≤ 1.25 × without (wall time).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np

from benchmarks.common import Bench, Figure, check, timed
from newscorpus.derive import shards
from newscorpus.derive.neardup import PERMUTATIONS, Signatures
from newscorpus.model.article import Article


def _no_signatures(articles: Sequence[Article], bands: int) -> Signatures:
    """Signatures of texts without a word: no band key, so no article is compared with any other."""
    n = len(articles)
    keys = np.zeros((n, bands), dtype=np.uint64)
    return Signatures(keys, np.ones(n, dtype=bool), np.full((n, PERMUTATIONS), 0xFF, dtype=np.uint8))


@contextmanager
def without_near_duplicates() -> Iterator[None]:
    """Build without near-duplicate detection while inside: the signature step swapped for an empty one."""
    signatures = shards.signatures
    shards.signatures = _no_signatures  # type: ignore[assignment]
    try:
        yield
    finally:
        shards.signatures = signatures


def fig_neardup(bench: Bench) -> list[Figure]:
    """A documents build with near-duplicate detection against the same build without it."""
    n = bench.args.neardup_articles
    corpus = bench.corpus(n, f"neardup-{n}")
    runs, base_runs, clusters = [], [], 0
    for r in range(bench.args.repeat):
        seconds, result = timed(lambda: bench.build(corpus, None, configs=["documents"]))
        found = result.manifest.statistics.duplicates
        check(result.manifest.statistics.articles == n and found.clusters > 0, "the build lost articles or clusters")
        runs.append(seconds)
        clusters = found.clusters
        bench.log(f"documents build with near-duplicates {r + 1}: {seconds:.1f} s, {found.clusters:,} clusters")
        with without_near_duplicates():
            seconds, result = timed(lambda: bench.build(corpus, None, configs=["documents"]))
        check(result.manifest.statistics.duplicates.clusters == 0, "the build without near-duplicates found some")
        base_runs.append(seconds)
        bench.log(f"documents build without {r + 1}: {seconds:.1f} s")
    return [
        Figure(
            "neardup", f"documents build of {n:,} generated articles with near-duplicate detection", "s", runs,
            1.25, "<=", "the same build without it (every signature empty: nothing to cluster)", "s", base_runs,
            {"articles": n, "clusters": clusters},
        )
    ]  # fmt: skip
