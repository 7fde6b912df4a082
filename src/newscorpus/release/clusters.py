"""Near-duplicate clusters on the driver, and the split each article of a cluster takes.

The workers make each article's signature (``derive.neardup``); the driver reads them in
reading order and, per article, looks up its few band keys and estimates the similarity of
the articles that had one of them before (``Clusters.add``). Clusters are joined
in a union-find whose root is always the cluster's first article in reading order, so they
are the same on any number of workers. The driver keeps no text: per article its band keys
(about 12 bytes each), its sketch (128 bytes) and its parent.

``assign_splits`` is the split rule, a pure function: a released article keeps its split
forever; a new article takes the split of its cluster's earliest released article, or, in a
cluster of new articles only, that of its first article. Where a cluster's released
articles sit in different splits, nothing moves and each new article there is reported.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
import numpy.typing as npt

from newscorpus.core.codes import Code
from newscorpus.core.executor import executor_for
from newscorpus.core.report import Problem
from newscorpus.derive.neardup import DEFAULT_THRESHOLD, PERMUTATIONS, Signature, bands_for, signature, similarity
from newscorpus.ingest.corpus import iter_corpus
from newscorpus.model.article import Article

FLUSH_KEYS = 1 << 16
"""Band keys kept in a dict before they move into the sorted arrays (or a quarter of those, if more)."""


class _KeyIndex:
    """Band key → the first article that had it, at about 12 bytes a key.

    A dict alone takes about 80 bytes a key, and there are 17 keys per article at the default threshold; so
    older keys move into a sorted array of keys and one of articles, the recent ones stay in
    a dict. A key is in one or the other, never both.
    """

    def __init__(self) -> None:
        self._recent: dict[int, int] = {}
        self._keys: npt.NDArray[np.uint64] = np.empty(0, dtype=np.uint64)
        self._holders: npt.NDArray[np.int32] = np.empty(0, dtype=np.int32)

    def claim(self, keys: tuple[int, ...], article: int) -> list[int]:
        """Return the article that had each key first: ``article`` itself for a key nobody had, which becomes its."""
        older: list[int] = [-1] * len(keys)
        if len(self._keys):
            wanted = np.array(keys, dtype=np.uint64)
            at = np.minimum(np.searchsorted(self._keys, wanted), len(self._keys) - 1)
            older = np.where(self._keys[at] == wanted, self._holders[at], -1).tolist()
        holders = [
            holder if holder >= 0 else self._recent.setdefault(key, article)
            for key, holder in zip(keys, older, strict=True)
        ]
        if len(self._recent) >= max(FLUSH_KEYS, len(self._keys) // 4):
            self._flush()
        return holders

    def _flush(self) -> None:
        n = len(self._recent)
        keys = np.concatenate([self._keys, np.fromiter(self._recent.keys(), dtype=np.uint64, count=n)])
        holders = np.concatenate([self._holders, np.fromiter(self._recent.values(), dtype=np.int32, count=n)])
        order = np.argsort(keys, kind="stable")  # timsort: the older keys are one sorted run already
        self._keys, self._holders = keys[order], holders[order]
        self._recent.clear()


class Clusters:
    """Near-duplicate clusters of articles added one by one in reading order (``add``), as indices from 0."""

    def __init__(self, threshold: float = DEFAULT_THRESHOLD) -> None:
        self.threshold = threshold
        self._index = _KeyIndex()
        self._parent = array("i")
        self._sketches = bytearray()

    def __len__(self) -> int:
        return len(self._parent)

    def add(self, signature: Signature) -> int:
        """Add the next article, joined to the cluster of each candidate similar enough; return its index."""
        me = len(self._parent)
        self._parent.append(me)
        self._sketches += signature.sketch
        # Copies share many bands, so a candidate comes up once per band it shares: look at each once.
        for holder in sorted(set(self._index.claim(signature.bands, me)) - {me}):
            if self.root(holder) != self.root(me) and self.similarity(me, holder) >= self.threshold:
                self._union(me, holder)
        return me

    def root(self, article: int) -> int:
        """Return the index of the first article (in reading order) of ``article``'s cluster."""
        parent = self._parent
        while parent[article] != article:
            parent[article] = parent[parent[article]]  # path halving keeps the trees flat
            article = parent[article]
        return article

    def _union(self, a: int, b: int) -> None:
        first, second = sorted((self.root(a), self.root(b)))
        self._parent[second] = first

    def sketch(self, article: int) -> bytes:
        """Return the sketch ``article`` was added with."""
        return bytes(self._sketches[article * PERMUTATIONS : (article + 1) * PERMUTATIONS])

    def similarity(self, a: int, b: int) -> float:
        """Estimate the Jaccard similarity of articles ``a`` and ``b`` from their sketches."""
        return similarity(self.sketch(a), self.sketch(b))

    def roots(self) -> list[int]:
        """Return each article's root: the index of its cluster's first article."""
        return [self.root(article) for article in range(len(self))]

    def groups(self) -> list[list[int]]:
        """Return every cluster of more than one article, its articles in reading order, ordered by its first."""
        members: dict[int, list[int]] = {}
        for article, root in enumerate(self.roots()):
            members.setdefault(root, []).append(article)
        return [group for group in members.values() if len(group) > 1]


@dataclass(frozen=True, slots=True)
class Placed:
    """One article as the split rule sees it: its id, the split it has on its own, and where it was read."""

    id: str
    split: str  # from its id, or as its corpus gives it
    file: str
    line: int | None = None


@dataclass
class Assignment:
    """The split and cluster id of each article (in the order given), and the conflicts found."""

    splits: list[str]
    clusters: list[str]
    problems: list[Problem] = field(default_factory=list)
    spanning: int = 0  # clusters whose released articles sit in more than one split already


def assign_splits(articles: Sequence[Placed], roots: Sequence[int], released: Mapping[str, str]) -> Assignment:
    """Return each article's split and cluster id, given each one's root (``Clusters.roots``).

    ``released`` maps every article of the previous release to its split, earliest first (in
    that release's order). A released article keeps its split. A new one takes the split of its
    cluster's earliest released article, else that of the cluster's first article. A cluster's
    id is the id of that same article, so it stays when new articles join. A cluster whose
    released articles sit in different splits moves nothing: each new article in it is reported.
    """
    rank = {article_id: n for n, article_id in enumerate(released)}
    groups: dict[int, list[int]] = {}
    for article, root in enumerate(roots):
        groups.setdefault(root, []).append(article)
    splits = [a.split for a in articles]
    clusters = [a.id for a in articles]
    result = Assignment(splits, clusters)
    for members in groups.values():
        kept = sorted((m for m in members if articles[m].id in rank), key=lambda m: rank[articles[m].id])
        leader = kept[0] if kept else members[0]
        split = released[articles[leader].id] if kept else articles[leader].split
        sides = {released[articles[m].id] for m in kept}
        result.spanning += len(sides) > 1
        for m in members:
            clusters[m] = articles[leader].id
            if articles[m].id in rank:
                splits[m] = released[articles[m].id]
                continue
            splits[m] = split
            if len(sides) > 1:
                result.problems.append(_conflict(articles[m], [articles[k] for k in kept], released, split))
    return result


def _conflict(article: Placed, kept: list[Placed], released: Mapping[str, str], split: str) -> Problem:
    by_split: dict[str, list[str]] = {}
    for other in kept:
        by_split.setdefault(released[other.id], []).append(other.id)
    listed = "; ".join(f"{name}: {', '.join(ids[:3])}{' …' if len(ids) > 3 else ''}" for name, ids in by_split.items())
    message = (
        f"is a near-duplicate of released articles in different splits ({listed}); it takes {split}, the split "
        f"of the earliest, {kept[0].id}, and nothing is moved. If they are not copies of one story, raise the "
        "threshold (`newscorpus duplicates --threshold`) to see where they part."
    )
    return Problem(
        code=Code.DUPLICATE_SPLIT_CONFLICT,
        severity="warning",
        file=article.file,
        line=article.line,
        article_id=article.id,
        message=message,
    )


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


def _signed(article: Article, bands: int) -> tuple[str, str, Signature]:
    return article.id, article.raw_file, signature(article, bands)


def duplicates(
    corpus: Path,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    processes: int | None = None,
    ray: str | None = None,
    on_file: Callable[[], None] | None = None,
) -> Duplicates:
    """List the near-duplicate clusters of ``corpus``, read on ``processes`` cores (default: all) or a Ray cluster."""
    clusters = Clusters(threshold)
    named: list[tuple[str, str]] = []
    problems = 0
    convert = partial(_signed, bands=bands_for(threshold))
    with executor_for(processes, ray) as executor:
        for item in iter_corpus(corpus, on_file, convert=convert, executor=executor):
            if isinstance(item, Problem):
                problems += item.severity == "error"
                continue
            article_id, raw_file, signed = item
            clusters.add(signed)
            named.append((article_id, raw_file))
    return Duplicates(threshold, len(named), list(_listed(clusters, named)), problems)


def _listed(clusters: Clusters, named: list[tuple[str, str]]) -> Iterable[Cluster]:
    for group in clusters.groups():
        pairs = [
            (named[a][0], named[b][0], round(clusters.similarity(a, b), 3))
            for i, a in enumerate(group)
            for b in group[i + 1 :]
        ]
        yield Cluster(named[group[0]][0], [named[m] for m in group], pairs)
