"""Smoke test of the benchmark suite: every figure runs at small sizes; the generator is deterministic, with gold.

No speed is asserted: the figures only have to come out as numbers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from benchmarks.fig_peer import PEER_SCRIPT, run_build, run_peer
from benchmarks.generate import generate, generate_jsonl, modify_article
from newscorpus.ingest.corpus import iter_corpus
from newscorpus.ingest.parsers import parse_file
from newscorpus.model.article import Article

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[1]
FIGURES = {
    "build", "build_full_cold", "build_full_warm", "peak_rss", "peak_rss_full", "rebuild",
    "ner_1core", "ner_2core", "ls_push", "ls_push_noop", "ls_pull", "load_dataset",
    "load_push_running", "load_failed_running", "load_lost_running", "load_pull_running",
    "ray_build", "ray_driver_cpu", "ray_driver_marginal", "ray_task_overhead", "peer", "neardup",
}  # fmt: skip
CONTEXT = {"build_full_cold", "ray_task_overhead", "ray_driver_marginal"}  # reported without a target of their own
ABSOLUTE = {"ls_push_noop", "ray_driver_cpu"}  # a target of their own, no baseline
COUNTS = {"load_failed_running", "load_lost_running", "load_pull_running"}  # counts of what went wrong: 0 if none
BLOCK_KINDS = {"kicker", "headline", "lead", "caption", "credit", "subheading", "paragraph"}


def _files(corpus: Path) -> dict[str, bytes]:
    """Every raw file and gold file of ``corpus`` by its name."""
    return {p.relative_to(corpus).as_posix(): p.read_bytes() for p in sorted(corpus.rglob("*")) if p.is_file()}


def test_generator_is_deterministic_and_covers_every_block_kind(tmp_path: Path) -> None:
    first, second = generate(tmp_path / "a", 1100), generate(tmp_path / "b", 1100, processes=1)
    assert len(first) == len(second) == 1100
    assert len(_files(tmp_path / "a")) == 2 * 1100  # a gold file per article
    assert _files(tmp_path / "a") == _files(tmp_path / "b")  # on every core as on one
    assert {p.parent.name for p in first} == {"000", "001"}  # sharded by 1,000
    generate(tmp_path / "c", 8)  # a smaller corpus is a prefix of a bigger one, so token caches carry over
    assert _files(tmp_path / "c").items() <= _files(tmp_path / "a").items()

    kinds: Counter[str] = Counter()
    agency = authors = 0
    date_styles: Counter[str] = Counter()
    for path in first[:300]:
        results = list(parse_file(path, path.name))
        assert len(results) == 1
        assert isinstance(results[0], Article), results[0]
        article = results[0]
        kinds.update({b.kind for b in article.blocks})
        agency += article.agency is not None
        authors += bool(article.authors)
        date_line = path.read_text(encoding="utf-8").split("\n\n")[1]
        date_styles[" - " in date_line] += 1
    assert set(kinds) == BLOCK_KINDS
    assert kinds["caption"] > 150  # a caption in most articles
    assert agency > 0
    assert authors > 0
    assert date_styles[True] > 0
    assert date_styles[False] > 0

    before = first[5].read_bytes()
    modify_article(tmp_path / "a", 5)
    after = first[5].read_bytes()
    assert after != before
    changed = next(iter(parse_file(first[5], first[5].name)))
    assert isinstance(changed, Article)


def test_every_generated_article_has_gold_in_both_layers_also_after_a_change(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    generate(corpus, 60)
    before = _files(corpus)
    modify_article(corpus, 7, revision=2)
    changed = {name for name, data in _files(corpus).items() if before[name] != data}
    assert changed == {"raw/000/artikel-000007.txt", "annotations/artikel-000007.json"}

    results = list(iter_corpus(corpus))
    assert all(isinstance(r, Article) for r in results), [r for r in results if not isinstance(r, Article)]
    assert len(results) == 60  # no gold file is stale, not even the changed article's
    labels: Counter[str] = Counter()
    for article in results:
        assert article.annotation.entities.status == article.annotation.topic.status == "gold", article.id
        assert article.topic is not None
        for span in article.entities:
            assert article.text[span.start : span.end] == span.text
        labels.update(span.label for span in article.entities)
    assert results[7].text.endswith("Korrektur 2: Eine frühere Fassung nannte ein falsches Datum.")
    assert {"PER", "ORG", "LOC"} <= set(labels)
    assert labels.total() > 3 * len(results)  # a few names per article


def test_benchmark_suite_runs_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    command = [
        sys.executable, "-m", "benchmarks.run", "--articles", "200", "--repeat", "1", "--out", str(out),
        "--rss-small", "100", "--rss-big", "200", "--ls-articles", "50", "--ner-texts", "40",
        "--neardup-articles", "300",
        "--load-articles", "40", "--load-annotators", "2", "--load-seconds", "20", "--load-backends", "running",
        "--tmp", str(tmp_path / "work"),
    ]  # fmt: skip
    run = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    results = json.loads(out.read_text(encoding="utf-8"))
    assert results["errors"] == {}
    assert results["articles"] == 200
    assert {"cpu_count", "python", "platform", "versions"} <= set(results["machine"])
    assert {"pyarrow", "datasets", "somajo"} <= set(results["machine"]["versions"])
    assert set(results["figures"]) == FIGURES
    for name, figure in results["figures"].items():
        assert len(figure["runs"]) == 1, name
        if name in COUNTS:
            assert figure["median"] == 0, (name, figure)
            assert figure["met"] is True, name
            continue
        assert figure["median"] > 0, name
        if name in CONTEXT:
            assert figure["met"] is None, name
            assert figure["target"] is None, name
            continue
        assert isinstance(figure["met"], bool), name
        if name not in ABSOLUTE:
            assert figure["baseline"]["median"] > 0, name
            assert figure["ratio"] > 0, name
    for name in FIGURES:
        assert name in run.stdout, name


def test_the_jsonl_records_are_distinct_articles_and_the_peer_reads_them_all(tmp_path: Path) -> None:
    jsonl = generate_jsonl(tmp_path / "a.jsonl", 120)
    assert generate_jsonl(tmp_path / "b.jsonl", 120).read_bytes() == jsonl.read_bytes()
    assert generate_jsonl(tmp_path / "c.jsonl", 30).read_bytes().splitlines() == jsonl.read_bytes().splitlines()[:30]
    records = [json.loads(line) for line in jsonl.read_text(encoding="utf-8").splitlines()]
    assert {"url", "published_at", "license", "headline", "body"} <= set(records[0])
    results = list(parse_file(jsonl, "raw/a.jsonl"))
    assert all(isinstance(r, Article) for r in results), [r for r in results if not isinstance(r, Article)]
    assert len({r.text_sha256 for r in results if isinstance(r, Article)}) == 120  # none a duplicate of another

    env = {**os.environ, "NEWSCORPUS_CACHE": str(tmp_path / "cache")}
    script = tmp_path / "peer.py"
    script.write_text(PEER_SCRIPT % {"processes": 2}, encoding="utf-8")
    seconds, phases = run_peer(script, jsonl, tmp_path / "peer", env)
    assert phases["rows"] == 120
    assert seconds > phases["import"] > 0
    seconds, articles = run_build(jsonl, tmp_path / "corpus", env)
    assert articles == 120
    assert not (tmp_path / "corpus").exists()  # each run in a fresh corpus folder, removed after
