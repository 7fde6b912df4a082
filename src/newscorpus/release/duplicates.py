"""The ``duplicates`` command: the near-duplicate clusters of a corpus, each pair's similarity, read on every core.

The clusters are ``release.clusters.Clusters``, as a build makes them, at the threshold the next build takes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

from newscorpus.core.executor import executor_for
from newscorpus.core.report import Problem
from newscorpus.derive.neardup import Signatures, bands_for, signatures
from newscorpus.ingest.candidates import Candidate
from newscorpus.ingest.corpus import JobGather, iter_corpus
from newscorpus.ingest.listing import Listing
from newscorpus.model.article import Article
from newscorpus.release.clusters import Clusters, default_threshold
from newscorpus.release.manifest import previous_manifest


@dataclass(frozen=True)
class Cluster:
    """Near-duplicates: the articles (id, raw file) in reading order, and each pair's estimated similarity."""

    id: str
    articles: list[tuple[str, str]]
    pairs: list[tuple[str, str, float]]


@dataclass
class Duplicates:
    """What ``duplicates`` found: how many articles it read, and every cluster of more than one."""

    threshold: float
    articles: int
    clusters: list[Cluster]
    problems: int  # inputs that are no valid article (see `newscorpus validate`)


@dataclass(frozen=True, slots=True)
class _Signed:
    """The articles of one job as ``duplicates`` needs them: ids, raw files and signatures, as columns."""

    ids: list[str]
    files: list[str]
    signatures: Signatures


def _signed(bands: int, job: int, found: list[Candidate[Article]]) -> list[tuple[_Signed, int]]:
    articles = [candidate.value for candidate in found]
    signed = _Signed([a.id for a in articles], [a.raw_file for a in articles], signatures(articles, bands))
    return [(signed, n) for n in range(len(articles))]  # one job object, pickled once, and each article's place in it


def duplicates(
    corpus: Path,
    *,
    threshold: float | None = None,
    processes: int | None = None,
    ray: str | None = None,
    on_file: Callable[[], None] | None = None,
    listing: Listing | None = None,
) -> Duplicates:
    """List the near-duplicate clusters of ``corpus``, read on ``processes`` cores (default: all) or a Ray cluster.

    Without ``threshold``, with the one the next build takes (:func:`default_threshold`). ``listing`` is
    the corpus's files if the caller listed them already.
    """
    if threshold is None:
        threshold = default_threshold(previous_manifest(corpus, None))
    clusters = Clusters(threshold)
    named: list[tuple[str, str]] = []
    problems = 0

    def admitted(job: _Signed, kept: list[int]) -> None:
        clusters.add(job.signatures.take(np.array(kept)))
        named.extend((job.ids[n], job.files[n]) for n in kept)

    gather = JobGather(admitted)
    with executor_for(processes, ray) as executor:
        for item in iter_corpus(
            corpus, on_file, convert_job=partial(_signed, bands_for(threshold)), executor=executor, listing=listing
        ):
            if isinstance(item, Problem):
                problems += item.severity == "error"
            else:
                gather.add(*item)
    gather.done()
    return Duplicates(threshold, len(named), list(_listed(clusters, named)), problems)


def _listed(clusters: Clusters, named: list[tuple[str, str]]) -> Iterable[Cluster]:
    for group in clusters.groups():
        pairs = [
            (named[a][0], named[b][0], round(clusters.similarity(a, b), 3))
            for i, a in enumerate(group)
            for b in group[i + 1 :]
        ]
        yield Cluster(named[group[0]][0], [named[m] for m in group], pairs)
