"""Near-duplicate clusters on the driver, and the split each article of a cluster takes.

The workers make each article's signature (``derive.neardup``) and send a job's signatures as
columns; the driver adds them in reading order (``Clusters.add``), a batch of jobs at a time: it
looks up the batch's band keys together and estimates the similarity of each article to the
earlier articles that had one of its keys first, all in a few array operations per batch. Clusters are
joined in a union-find whose root is always the cluster's first article in reading order, so
they are the same on any number of workers and with any job size. The driver keeps no text:
per article its band keys (about 12 bytes each) and its parent; its sketch (128 bytes) goes to a scratch file
(``core.rowfile``), read back for the candidates its keys bring.

``assign_splits`` is the split rule, a pure function: a released article keeps its split
forever; a new article takes the split of its cluster's earliest released article, or, in a
cluster of new articles only, that of its first article. Where a cluster's released
articles sit in different splits, nothing moves and each new article there is reported.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from newscorpus.core.codes import Code
from newscorpus.core.errors import ReleaseError
from newscorpus.core.keyindex import KeyIndex
from newscorpus.core.mapped import mapped_empty
from newscorpus.core.report import Problem
from newscorpus.core.rowfile import RowFile
from newscorpus.derive.neardup import DEFAULT_THRESHOLD, PERMUTATIONS, Signatures, similarities
from newscorpus.release.manifest import Manifest

Articles = npt.NDArray[np.int64]
BATCH_ARTICLES = 4096
"""Articles added to the clusters at once: a batch costs the driver about a millisecond whatever its size (a job's
articles, added alone, cost it 8 µs an article on a 2-node cluster), and its signatures wait in memory (1 MiB); looking
its band keys up takes about 4 MiB more for a moment (1,024 articles a batch: 4 MiB less peak RSS at 10,000, 1 µs more
of the driver's CPU an article at 4,000 on Ray)."""
PAIRS_AT_ONCE = 1024
"""Candidate pairs whose similarity is estimated at once: their sketches are read and compared together."""


def groups_of(roots: Articles) -> list[list[int]]:
    """Return every cluster of more than one article, its articles in reading order, ordered by its first."""
    sizes = np.bincount(roots, minlength=len(roots))
    members = np.flatnonzero(sizes[roots] > 1)
    members = members[np.argsort(roots[members], kind="stable")]
    cuts = np.flatnonzero(np.diff(roots[members])) + 1
    return [group.tolist() for group in np.split(members, cuts)] if len(members) else []


class Clusters:
    """Near-duplicate clusters of articles added a job at a time in reading order (``add``), as indices from 0."""

    def __init__(
        self, threshold: float = DEFAULT_THRESHOLD, scratch: Path | None = None, batch: int = BATCH_ARTICLES
    ) -> None:
        self.threshold = threshold
        self._index = KeyIndex()
        self._settled = False
        self._count = 0
        self._batch = batch
        self._waiting: list[Signatures] = []  # added, not yet clustered: at least ``batch`` articles are done at once
        self._waiting_count = 0
        # Grown by doubling: appending a job's rows is then amortised O(1). The first len(self) rows are in use.
        self._parent: npt.NDArray[np.int32] = np.empty(0, dtype=np.int32)
        self._sketches = RowFile(PERMUTATIONS, scratch)  # read back only for the candidates a key brings

    def __len__(self) -> int:
        return self._count + self._waiting_count

    def settle(self) -> None:
        """Let go of the band-key index once every article is added: the clusters stay, and no article may be added.

        About 12 bytes a key and 17 keys an article (20 MB at 100,000): a build held it through
        writing its shards, the driver's peak.
        """
        self._cluster_waiting()
        self._index, self._settled = KeyIndex(), True

    def add(self, signed: Signatures) -> None:
        """Add the next articles, each joined to the cluster of every earlier article similar enough.

        They are clustered with the next ones once ``batch`` articles wait, or when the clusters are asked for.
        The clusters are the same on any cut into batches: an article is compared with the first holder of each
        of its keys, and joins are a union-find.
        """
        if self._settled:
            raise ReleaseError("These clusters are settled: no article may be added to them. Make new Clusters.")
        self._waiting.append(signed)
        self._waiting_count += len(signed)
        if self._waiting_count >= self._batch:
            self._cluster_waiting()

    def _cluster_waiting(self) -> None:
        """Cluster the articles added since the last batch, together."""
        if not self._waiting:
            return
        signed = self._waiting[0] if len(self._waiting) == 1 else Signatures.joined(self._waiting)
        self._waiting, self._waiting_count = [], 0
        first, n = self._count, len(signed)
        if first + n > len(self._parent):
            size = max(first + n, 2 * len(self._parent))
            parent = mapped_empty(size, np.int32)
            parent[:first] = self._parent[:first]
            self._parent = parent
        self._sketches.append(signed.sketches)
        self._parent[first : first + n] = np.arange(first, first + n, dtype=np.int32)
        self._count += n
        keyed = np.flatnonzero(~signed.empty)
        if not len(keyed):
            return
        articles = np.repeat(keyed + first, signed.keys.shape[1])
        holders = self._index.claim(signed.keys[keyed].ravel(), articles)
        # Copies share many bands, so a candidate comes up once per band it shares: look at each pair once.
        other = holders != articles
        pairs = np.unique((articles[other] << 32) | holders[other])
        mine, theirs = pairs >> 32, pairs & 0xFFFFFFFF
        near = np.empty(len(pairs), dtype=bool)
        # A slice at a time: a pair's sketches and their comparison take about 600 bytes, and an article up to one
        # pair a band. All at once, a build of 10,000 generated articles (three pairs each) took 4 MiB more peak RSS.
        for at in range(0, len(pairs), PAIRS_AT_ONCE):
            part = slice(at, at + PAIRS_AT_ONCE)
            sketches = self._sketches_of(theirs[part], signed, first)
            near[part] = similarities(signed.sketches[mine[part] - first], sketches) >= self.threshold
        if near.any():
            self._join(mine[near], theirs[near])

    def _sketches_of(self, articles: Articles, signed: Signatures, first: int) -> npt.NDArray[np.uint8]:
        """Return the sketches of ``articles``: those of the job being added (from ``first`` on) from ``signed``."""
        sketches = np.empty((len(articles), signed.sketches.shape[1]), dtype=np.uint8)
        here = articles >= first
        sketches[here] = signed.sketches[articles[here] - first]
        sketches[~here] = self._sketches.take(articles[~here])
        return sketches

    def _roots_of(self, articles: Articles) -> Articles:
        """Return the root of each of ``articles``, and point them at it (path compression)."""
        parent = self._parent
        roots = parent[articles].astype(np.int64)
        while not np.array_equal(up := parent[roots], roots):
            roots = up.astype(np.int64)
        parent[articles] = roots
        return roots

    def _join(self, a: Articles, b: Articles) -> None:
        """Join the clusters of ``a[i]`` and ``b[i]`` for every i: each joined cluster's root is its first article.

        The roots the pairs touch are labelled with the first root they are connected to, by
        taking the smaller label across each pair and then each label's own label, until nothing
        changes; each root then points at its label. The clusters are those of joining the pairs
        one by one, in any order.
        """
        roots, inverse = np.unique(np.concatenate([self._roots_of(a), self._roots_of(b)]), return_inverse=True)
        left, right = inverse[: len(a)], inverse[len(a) :]
        label = np.arange(len(roots))  # a place in ``roots``, which are sorted: a smaller one is an earlier article
        while True:
            lower = np.minimum(label[left], label[right])
            before = label.copy()
            np.minimum.at(label, left, lower)
            np.minimum.at(label, right, lower)
            label = label[label]
            if np.array_equal(label, before):
                break
        self._parent[roots] = roots[label]

    def similarity(self, a: int, b: int) -> float:
        """Estimate the Jaccard similarity of articles ``a`` and ``b`` from their sketches."""
        self._cluster_waiting()
        sketches = self._sketches.take(np.array([a, b]))
        return float(similarities(sketches[:1], sketches[1:])[0])

    def roots(self) -> Articles:
        """Return each article's root: the index of its cluster's first article."""
        self._cluster_waiting()
        roots = self._parent[: self._count].astype(np.int64)
        # A parent never comes after its child, so following parents settles in as many steps as a tree is deep.
        while not np.array_equal(up := roots[roots], roots):
            roots = up
        return roots

    def groups(self) -> list[list[int]]:
        """Return every cluster of more than one article, its articles in reading order, ordered by its first."""
        return groups_of(self.roots())


@dataclass
class Placed:
    """The articles as the split rule sees them, as columns in reading order.

    Their ids, the split each has on its own (from its id, or as its corpus gives it), and where each was read.
    """

    ids: Sequence[str] = field(default_factory=list)
    splits: Sequence[str] = field(default_factory=list)
    files: Sequence[str] = field(default_factory=list)
    lines: Sequence[int | None] = field(default_factory=list)  # 0 or None: no line

    def __len__(self) -> int:
        return len(self.ids)


@dataclass
class Assignment:
    """The split and cluster of each article (in the order given), and the conflicts found.

    A cluster is named by the id of one of its articles: ``leaders[i]`` is where that article is.
    """

    splits: list[str]
    leaders: Articles
    problems: list[Problem] = field(default_factory=list)
    spanning: int = 0  # clusters whose released articles sit in more than one split already


def assign_splits(articles: Placed, roots: Articles, released: Mapping[str, str]) -> Assignment:
    """Return each article's split and cluster id, given each one's root (``Clusters.roots``).

    ``released`` maps every article of the previous release to its split, earliest first (in
    that release's order). A released article keeps its split. A new one takes the split of its
    cluster's earliest released article, else that of the cluster's first article. A cluster's
    id is the id of that same article, so it stays when new articles join. A cluster whose
    released articles sit in different splits moves nothing: each new article in it is reported.
    """
    ids = articles.ids
    rank = {article_id: n for n, article_id in enumerate(released)}
    # An article of its own cluster: its id, and its released split if it has one.
    splits = (
        [released.get(article_id, split) for article_id, split in zip(ids, articles.splits, strict=True)]
        if released
        else list(articles.splits)
    )
    result = Assignment(splits, np.arange(len(ids), dtype=np.int64))
    for members in groups_of(roots):
        # Without a release before, no id is looked up: a cluster's articles are new, its first leads.
        kept = sorted((m for m in members if ids[m] in rank), key=lambda m: rank[ids[m]]) if rank else []
        leader = kept[0] if kept else members[0]
        split = released[ids[leader]] if kept else articles.splits[leader]
        sides = {released[ids[m]] for m in kept}
        result.spanning += len(sides) > 1
        result.leaders[members] = leader
        fresh = members
        if kept:
            held = set(kept)
            fresh = [m for m in members if m not in held]
        for m in fresh:
            splits[m] = split
        if len(sides) > 1:
            result.problems += [_conflict(articles, m, [ids[k] for k in kept], released, split) for m in fresh]
    return result


def _conflict(articles: Placed, article: int, kept: list[str], released: Mapping[str, str], split: str) -> Problem:
    by_split: dict[str, list[str]] = {}
    for other in kept:
        by_split.setdefault(released[other], []).append(other)
    listed = "; ".join(f"{name}: {', '.join(ids[:3])}{' …' if len(ids) > 3 else ''}" for name, ids in by_split.items())
    message = (
        f"is a near-duplicate of released articles in different splits ({listed}); it takes {split}, the split "
        f"of the earliest, {kept[0]}, and nothing is moved. If they are not copies of one story, raise the "
        "threshold (`newscorpus duplicates --threshold`) to see where they part."
    )
    return Problem(
        code=Code.DUPLICATE_SPLIT_CONFLICT,
        severity="warning",
        file=articles.files[article],
        line=articles.lines[article] or None,
        article_id=articles.ids[article],
        message=message,
    )


def default_threshold(previous: Manifest | None) -> float:
    """Return the threshold a build takes unless given one: that of ``previous``, the release before it.

    A corpus keeps the threshold it was released with, so a build that names none never
    regroups the clusters it released; before any release it is ``DEFAULT_THRESHOLD``.
    """
    return DEFAULT_THRESHOLD if previous is None else previous.threshold
