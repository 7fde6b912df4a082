"""Near-duplicate clusters on the driver, the split rule, and `newscorpus duplicates`."""

from __future__ import annotations

import filecmp
import itertools
import json
import random
from array import array
from pathlib import Path
from unittest.mock import patch

import numpy as np
import pytest
from helpers import read_release
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from newscorpus.cli import app
from newscorpus.core.codes import Code
from newscorpus.core.errors import ReleaseError
from newscorpus.core.executor import LocalExecutor
from newscorpus.derive.neardup import DEFAULT_THRESHOLD, Signatures, bands_for, signatures_of_texts, similarity
from newscorpus.ingest.ids import SPLITS, assign_split
from newscorpus.release import clusters as clusters_module
from newscorpus.release.build import build
from newscorpus.release.clusters import Clusters, Placed, assign_splits
from newscorpus.release.duplicates import duplicates
from newscorpus.release.manifest import MANIFEST
from tests.test_neardup import gnad

BANDS = bands_for(DEFAULT_THRESHOLD)


def sign(text: str) -> Signatures:
    return signatures_of_texts([text], BANDS)


HEADLINE = "Eine andere Überschrift, wie sie ein anderes Portal schreibt. "


@st.composite
def stories(draw: st.DrawFn) -> list[str]:
    """Texts in reading order: 10kGNAD articles, some of them repeated as copies with another first sentence."""
    long_enough = [n for n, (_, text) in enumerate(gnad()) if len(text.split()) >= 100]
    rows = draw(st.lists(st.sampled_from(long_enough[:60]), min_size=1, max_size=12))
    return [HEADLINE + gnad()[row][1] if draw(st.booleans()) else gnad()[row][1] for row in rows]


@given(stories(), st.integers(1, 5))
@settings(max_examples=25)
def test_clusters_are_the_same_whatever_the_order_signatures_are_made_in(texts: list[str], seed: int) -> None:
    """Workers make signatures in any order; the driver adds them in reading order, so clusters never differ."""
    order = list(range(len(texts)))
    random.Random(seed).shuffle(order)  # noqa: S311 - an order to test with, no secret
    made = {n: sign(texts[n]) for n in order}
    serial, shuffled = Clusters(), Clusters()
    for text in texts:
        serial.add(sign(text))
    for n in range(len(texts)):
        shuffled.add(made[n])
    assert shuffled.roots().tolist() == serial.roots().tolist()


def reference_roots(signed: Signatures, threshold: float = DEFAULT_THRESHOLD) -> list[int]:
    """Clusters as the rule says, article by article in plain Python: each article is compared with the first
    article that had each of its band keys, and joins its cluster if similar enough; a root is a first article."""
    first: dict[int, int] = {}
    cluster = list(range(len(signed)))
    for me in range(len(signed)):
        for key in signed[me].bands:
            holder = first.setdefault(key, me)
            if holder != me and similarity(signed[me].sketch, signed[holder].sketch) >= threshold:
                old, new = sorted((cluster[me], cluster[holder]))
                cluster = [old if c == new else c for c in cluster]
    return cluster


@given(stories(), st.lists(st.integers(1, 6), min_size=1))
@settings(max_examples=25)
def test_clusters_are_the_rule_s_whatever_the_jobs_the_articles_come_in(texts: list[str], sizes: list[int]) -> None:
    """The driver adds a job's articles together, vectorised; any cut into jobs gives the clusters of the rule."""
    signed = signatures_of_texts(texts, BANDS)
    clusters, start = Clusters(), 0
    while start < len(texts):
        size = sizes[start % len(sizes)]
        clusters.add(signed.take(np.arange(start, min(start + size, len(texts)))))
        start += size
    assert clusters.roots().tolist() == reference_roots(signed)


@given(stories())
@settings(max_examples=25)
def test_a_cluster_s_root_is_its_first_article_and_later_articles_only_move_it_earlier(texts: list[str]) -> None:
    clusters = Clusters()
    before: list[int] = []
    for text in texts:
        clusters.add(sign(text))
        roots = clusters.roots().tolist()
        assert all(root <= n and roots[root] == root for n, root in enumerate(roots))
        assert all(now <= was for now, was in zip(roots, before, strict=False))
        before = roots
    stories = [text.removeprefix(HEADLINE) for text in texts]
    for n, story in enumerate(stories):  # a copy joins the cluster of the story's first article
        assert before[n] == before[stories.index(story)]


@given(stories())
@settings(max_examples=10, deadline=None)
def test_settled_clusters_keep_their_roots_and_take_no_more_articles(texts: list[str]) -> None:
    clusters = Clusters()
    for text in texts:
        clusters.add(sign(text))
    roots, groups = clusters.roots().tolist(), clusters.groups()
    clusters.settle()
    assert clusters.roots().tolist() == roots
    assert clusters.groups() == groups
    assert len(clusters) == len(texts)
    with pytest.raises(ReleaseError, match="settled"):
        clusters.add(sign(texts[0]))


@given(stories())
@settings(max_examples=10, deadline=None)
def test_clusters_do_not_depend_on_how_many_workers_made_the_signatures(texts: list[str]) -> None:
    made_here = [sign(text) for text in texts]
    with LocalExecutor(2) as executor:
        made_there = list(executor.map(sign, texts, chunk=3))
    assert [s[0] for s in made_there] == [s[0] for s in made_here]
    here, there = Clusters(), Clusters()
    for signed in made_here:
        here.add(signed)
    for signed in made_there:
        there.add(signed)
    assert there.roots().tolist() == here.roots().tolist()


@st.composite
def assignments(draw: st.DrawFn) -> tuple[Placed, list[int], dict[str, str]]:
    """Articles with random clusters (roots as a union-find gives them), default splits and released splits."""
    n = draw(st.integers(1, 30))
    roots: list[int] = []
    for i in range(n):
        roots.append(draw(st.sampled_from([i, *sorted({r for r in roots})])))
    ids = [f"a{i}" for i in range(n)]
    articles = Placed(ids, [draw(st.sampled_from(SPLITS)) for _ in ids], [f"raw/{i}.json" for i in ids], [None] * n)
    released_ids = draw(st.lists(st.sampled_from(ids), unique=True))
    released = {article_id: draw(st.sampled_from(SPLITS)) for article_id in released_ids}
    return articles, roots, released


@given(assignments())
def test_the_split_rule_never_moves_a_released_article_and_keeps_clusters_together(
    case: tuple[Placed, list[int], dict[str, str]],
) -> None:
    articles, roots, released = case
    result = assign_splits(articles, np.array(roots, dtype=np.int64), released)
    rank, ids = list(released), articles.ids
    for n, article_id in enumerate(ids):
        if article_id in released:
            assert result.splits[n] == released[article_id]
    conflicted = {p.article_id for p in result.problems}
    for root in set(roots):
        members = [n for n, r in enumerate(roots) if r == root]
        kept = sorted((ids[m] for m in members if ids[m] in released), key=rank.index)
        leader = kept[0] if kept else ids[members[0]]
        assert {ids[result.leaders[m]] for m in members} == {leader}
        new = [m for m in members if ids[m] not in released]
        target = released[leader] if kept else articles.splits[members[0]]
        assert all(result.splits[m] == target for m in new)
        spans = len({released[k] for k in kept}) > 1
        assert all((ids[m] in conflicted) == spans for m in new)
    assert all(p.code == Code.DUPLICATE_SPLIT_CONFLICT and p.severity == "warning" for p in result.problems)


@pytest.mark.parametrize(("file", "line", "reported"), [("raw/c.jsonl", 3, 3), ("raw/c.txt", 0, None)])
def test_a_new_article_linking_released_copies_in_two_splits_is_reported_and_nothing_moves(
    file: str, line: int, reported: int | None
) -> None:
    """Lines as the build's admission keeps them: 0 where an article has none (a single-article file)."""
    articles = Placed(
        ["dpa-t-online", "dpa-zeit", "dpa-sz"],
        ["train", "test", "validation"],
        ["raw/a.txt", "raw/b.txt", file],
        array("q", [0, 0, line]),
    )
    result = assign_splits(articles, np.zeros(3, dtype=np.int64), {"dpa-zeit": "test", "dpa-t-online": "train"})
    assert result.splits == ["train", "test", "test"]  # dpa-zeit was released first
    assert [articles.ids[n] for n in result.leaders] == ["dpa-zeit"] * 3
    (problem,) = result.problems
    assert (problem.file, problem.line, problem.article_id) == (file, reported, "dpa-sz")
    assert "test: dpa-zeit; train: dpa-t-online" in problem.message
    assert result.spanning == 1


def write_copies(corpus: Path) -> tuple[str, str]:
    """Add two copies of one agency story (other ids, headlines, teasers) and an article on the same topic."""
    story = gnad()[3][1]
    records = [
        {"id": "dpa-story-zeit", "headline": "Regierung einigt sich", "body": story},
        {"id": "dpa-story-regional", "headline": "Durchbruch in Wien", "kicker": "Eilmeldung", "body": story},
        {"id": "other-story", "headline": "Regierung einigt sich", "body": gnad()[4][1]},
    ]
    (corpus / "raw" / "agency.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
    )
    return "dpa-story-zeit", "dpa-story-regional"


def test_duplicates_lists_two_copies_of_one_story_on_any_number_of_cores(corpus: Path) -> None:
    first, second = write_copies(corpus)
    one, two = duplicates(corpus, processes=1), duplicates(corpus, processes=2)
    assert one == two
    (cluster,) = one.clusters
    assert cluster.id == first
    assert [article_id for article_id, _ in cluster.articles] == [first, second]
    assert cluster.pairs == [(first, second, 1.0)]
    assert one.articles == 4


def test_duplicates_command_prints_the_clusters_and_json(corpus: Path) -> None:
    first, second = write_copies(corpus)
    runner = CliRunner()
    shown = runner.invoke(app, ["duplicates", "--corpus", str(corpus), "--processes", "1"])
    assert shown.exit_code == 0, shown.output
    assert f"Cluster {first}" in shown.output
    assert "1 cluster of near-duplicates (similarity ≥ 0.5) holding 2 articles of 4." in shown.output
    as_json = runner.invoke(app, ["duplicates", "--corpus", str(corpus), "--json", "--threshold", "0.9"])
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.output)
    assert data["threshold"] == 0.9
    assert data["clusters"][0]["pairs"] == [[first, second, 1.0]]


def test_the_key_index_finds_old_keys_after_its_runs_merged() -> None:
    """One article per job makes a run of keys per article; runs merge, and old keys are still found."""
    texts = [text for _, text in gnad()[:40]]
    clusters = Clusters()
    for text in texts + texts[:5]:
        clusters.add(sign(HEADLINE + text))
    assert clusters.roots()[40:].tolist() == [0, 1, 2, 3, 4]
    runs = [len(keys) for keys, _ in clusters._index._runs]
    assert len(runs) <= 1 + np.log2(sum(runs)), runs  # merged as they come: a lookup searches few runs


def article_splits(release: Path) -> dict[str, tuple[str, str | None]]:
    """Each article's split (the file it is in, and its `split` column) must agree; return it with its cluster id."""
    found = {}
    for split, articles in read_release(release).items():
        for article in articles:
            assert article.split == split
            found[article.id] = (split, article.cluster_id)
    return found


@pytest.mark.integration
def test_a_release_keeps_two_copies_of_one_story_in_one_split_on_any_number_of_cores(
    corpus: Path, tmp_path: Path
) -> None:
    first, second = write_copies(corpus)
    assert (assign_split(first), assign_split(second)) == ("validation", "train")  # apart by their ids alone
    one = build(corpus, "1.0.0", processes=1)
    found = article_splits(one.path)
    assert found[first] == found[second] == ("validation", first)
    assert found["other-story"] == (assign_split("other-story"), "other-story")
    assert one.manifest.articles is not None
    listed = {entry.id: (entry.split, entry.cluster) for entry in one.manifest.articles}
    assert listed == found
    assert one.manifest.statistics.duplicates is not None
    assert (one.manifest.statistics.duplicates.clusters, one.manifest.statistics.duplicates.largest_id) == (1, first)
    other = tmp_path / "again"
    other.mkdir()
    for name in ("raw", "annotations"):
        (other / name).symlink_to(corpus / name)
    two = build(other, "1.0.0", processes=2).path
    names = sorted(p.relative_to(one.path).as_posix() for p in one.path.rglob("*") if p.is_file())
    _, mismatch, errors = filecmp.cmpfiles(one.path, two, names, shallow=False)
    assert (mismatch, errors) == ([], [])


@pytest.mark.integration
@pytest.mark.parametrize("listed", [True, False])
def test_a_new_copy_of_a_released_story_takes_its_split_even_if_read_first(corpus: Path, listed: bool) -> None:
    """``listed``: the previous manifest lists its articles; else (a release from before) its raw files count."""
    first, second = write_copies(corpus)
    agency = corpus / "raw" / "agency.jsonl"
    lines = agency.read_text(encoding="utf-8").splitlines(keepends=True)
    agency.write_text(lines[1] + lines[2], encoding="utf-8")  # only the regional copy, in train by its id
    released = build(corpus, "1.0.0", processes=1)
    if not listed:
        manifest = json.loads((released.path / MANIFEST).read_text(encoding="utf-8"))
        del manifest["articles"]
        (released.path / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    (corpus / "raw" / "a-first.jsonl").write_text(lines[0], encoding="utf-8")  # read before agency.jsonl
    found = article_splits(build(corpus, "1.1.0", processes=1).path)
    assert found[first] == found[second] == ("train", second)


@given(
    st.integers(1, 40).flatmap(
        lambda n: st.tuples(
            st.just(n),
            st.lists(
                st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), min_size=1, max_size=30), max_size=5
            ),
        )
    )
)
def test_joining_pairs_together_gives_the_clusters_of_joining_them_one_by_one(
    case: tuple[int, list[list[tuple[int, int]]]],
) -> None:
    """A job's similar pairs are joined at once; the clusters, and their roots, are those of pair-by-pair unions."""
    n, batches = case
    clusters = Clusters()
    clusters._parent, clusters._count = np.arange(n, dtype=np.int32), n
    cluster = list(range(n))
    for pairs in batches:
        clusters._join(np.array([a for a, _ in pairs]), np.array([b for _, b in pairs]))
        for a, b in pairs:
            old, new = sorted((cluster[a], cluster[b]))
            cluster = [old if c == new else c for c in cluster]
        assert clusters.roots().tolist() == cluster


@given(stories(), st.lists(st.integers(1, 6), min_size=1), st.integers(1, 12), st.integers(1, 3))
@settings(max_examples=25)
def test_clusters_are_the_rule_s_whatever_the_batches_the_driver_clusters_jobs_in(
    texts: list[str], sizes: list[int], batch: int, pairs_at_once: int
) -> None:
    """Jobs wait until ``batch`` articles do, then are clustered together: the clusters are still the rule's.

    However few of a batch's candidate pairs are compared at once (``PAIRS_AT_ONCE``, here 1 to 3).
    """
    signed = signatures_of_texts(texts, BANDS)
    clusters, start = Clusters(batch=batch), 0
    with patch.object(clusters_module, "PAIRS_AT_ONCE", pairs_at_once):
        while start < len(texts):
            stop = min(start + sizes[start % len(sizes)], len(texts))
            clusters.add(signed.take(np.arange(start, stop)))
            start = stop
            assert len(clusters) == stop  # waiting articles count: they are added
        assert clusters.roots().tolist() == reference_roots(signed)
    for a, b in itertools.combinations(range(len(texts)), 2):
        assert clusters.similarity(a, b) == similarity(signed[a].sketch, signed[b].sketch)
