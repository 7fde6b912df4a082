"""Figures of the build: documents release speed, peak RSS, rebuild after one change."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from benchmarks.common import Bench, Figure, check, timed
from benchmarks.generate import modify_article
from newscorpus.model.gold import ANNOTATIONS_DIR

_HWM = """
def hwm_kib():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
"""
_RSS_CHILD = (
    _HWM
    + """
import json, resource, sys, time
from pathlib import Path
from newscorpus.release.build import build
start = time.perf_counter()
configs = sys.argv[3].split(",") if len(sys.argv) > 3 else None
result = build(Path(sys.argv[1]), sys.argv[2], configs=configs)
print(json.dumps({
    "seconds": time.perf_counter() - start,
    "articles": result.manifest.statistics.articles,
    "vmhwm_kib": hwm_kib(),
    "workers_maxrss_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
}))
"""
)
_IMPORT_ONLY_CHILD = _HWM + "import json, newscorpus.release.build; print(json.dumps({'vmhwm_kib': hwm_kib()}))"
"""The child's own peak: VmHWM of its process. (``ru_maxrss`` of a child is useless here: Linux carries the
forking parent's RSS over into the child's maximum, and this parent holds ~200 MiB.)"""


def baseline_parquet(corpus: Path, out: Path) -> int:
    """Read every input (raw file and gold file), sha256 it, and write one zstd Parquet of them; return the articles.

    The build reads each article's gold file too, so the baseline does; it is counted per article, as the build is.
    """
    raw = sorted((corpus / "raw").rglob("*.txt"))
    names, texts, digests = [], [], []
    for path in raw + sorted((corpus / ANNOTATIONS_DIR).glob("*.json")):
        data = path.read_bytes()
        names.append(path.relative_to(corpus).as_posix())
        digests.append(hashlib.sha256(data).hexdigest())
        texts.append(data.decode("utf-8"))
    table = pa.table({"file": names, "sha256": digests, "text": texts})
    pq.write_table(table, out, compression="zstd")
    return len(raw)


@cache
def documents_runs(bench: Bench) -> tuple[list[float], list[float], int]:
    """Return articles/s of the documents build and of the baseline, alternately, and the articles (once per run)."""
    corpus = bench.build_corpus()
    articles = len(list((corpus / "raw").rglob("*.txt")))
    runs, base_runs = [], []
    for r in range(bench.args.repeat):
        out = bench.tmp / "baseline.parquet"
        seconds, files = timed(lambda out=out: baseline_parquet(corpus, out))
        base_runs.append(files / seconds)
        bench.log(f"baseline read+sha256+parquet {r + 1}: {seconds:.2f} s, {files / seconds:,.0f} articles/s")
        out.unlink()
        seconds, result = timed(lambda: bench.build(corpus, None, configs=["documents"]))
        check(result.manifest.statistics.articles == articles, "documents build lost articles")
        runs.append(articles / seconds)
        bench.log(f"documents build {r + 1}: {seconds:.1f} s, {articles / seconds:,.1f} articles/s")
    return runs, base_runs, articles


def fig_build(bench: Bench) -> list[Figure]:
    """The documents release against read + hash + Parquet (no full builds: ``fig_build_full``)."""
    runs, base_runs, articles = documents_runs(bench)
    base = "read every raw file and gold file, sha256 it, write one zstd Parquet of them (pyarrow)"
    return [
        Figure(
            "build", f"build of the documents release, {articles:,} generated articles", "articles/s", runs, 0.5,
            ">=", base, "articles/s", base_runs, {"articles": articles},
        )
    ]  # fmt: skip


def fig_build_full(bench: Bench) -> list[Figure]:
    """Full releases (documents, ner, topics) with a cold and a warm token cache, the warm one against documents."""
    n = bench.args.articles
    cold_runs, articles = bench.cold_build_runs()
    runs, _, _ = documents_runs(bench)
    corpus = bench.build_corpus()
    bench.ensure_warm(n)
    warm_runs = []
    for r in range(bench.args.repeat):
        seconds, result = timed(lambda: bench.build(corpus, bench.warm_cache))
        warm_runs.append(articles / seconds)
        check(result.manifest.statistics.articles == articles, "warm build lost articles")
        bench.log(f"full build, warm cache {r + 1}: {seconds:.1f} s, {articles / seconds:,.1f} articles/s")
    return [
        Figure(
            "build_full_cold", f"build of the full release (documents, ner, topics), {n:,} articles, cold token cache",
            "articles/s", [articles / s for s in cold_runs], None, ">=", extra={"seconds": cold_runs},
        ),
        Figure(
            "build_full_warm", f"build of the full release, {n:,} articles, warm token cache, wall time", "s",
            [articles / rate for rate in warm_runs], 2.0, "<=", "the documents release of the same articles", "s",
            [articles / rate for rate in runs],
        ),
    ]  # fmt: skip


def rss_child(code: str, args: list[str], cache: Path) -> dict[str, Any]:
    """Run ``code`` in a child Python (warm cache); return its JSON line, with its own peak RSS (VmHWM) in MiB."""
    env = {**os.environ, "NEWSCORPUS_CACHE": str(cache)}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen([sys.executable, "-c", code, *args], stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if process.returncode != 0:
            raise RuntimeError(f"child failed ({process.returncode}): {err.read().decode()[-2000:]}")
        text = out.read().decode().strip()
    result = json.loads(text.splitlines()[-1])
    result["peak_rss_mib"] = result["vmhwm_kib"] / 1024
    result["wait4_maxrss_kib"] = usage.ru_maxrss  # at least this (forking) process's RSS: kept for reference only
    return result


def _rss_figure(bench: Bench, name: str, configs: str | None, small_corpus: Path, big_corpus: Path) -> Figure:
    """Peak RSS of builds of ``configs`` (None: all) of the small and the big corpus, each in a fresh process."""
    small, big = bench.args.rss_small, bench.args.rss_big
    small_runs, big_runs, details = [], [], []
    for r in range(bench.args.repeat):
        for n, corpus, runs in ((small, small_corpus, small_runs), (big, big_corpus, big_runs)):
            shutil.rmtree(corpus / "releases", ignore_errors=True)
            args = [str(corpus), "1.0.0", *([configs] if configs else [])]
            result = rss_child(_RSS_CHILD, args, bench.warm_cache)
            runs.append(result["peak_rss_mib"])
            details.append({"articles": n, **result})
            bench.log(f"{name} {r + 1} at {n:,}: {result['peak_rss_mib']:.0f} MiB ({result['seconds']:.1f} s build)")
    what = "the documents release" if configs else "the full release, warm token cache,"
    return Figure(
        name, f"peak RSS of a build of {what} {big:,} articles (own process)", "MiB", big_runs, 1.3, "<=",
        f"the same at {small:,} articles", "MiB", small_runs, {"small": small, "big": big, "runs": details},
    )  # fmt: skip


def fig_peak_rss(bench: Bench) -> list[Figure]:
    """Peak RSS of builds of a small and a big corpus: the documents release, and (if asked) the full release."""
    small, big = bench.args.rss_small, bench.args.rss_big
    small_corpus, big_corpus = bench.corpus(small, f"rss-{small}"), bench.corpus(big, f"rss-{big}")
    figures = [_rss_figure(bench, "peak_rss", "documents", small_corpus, big_corpus)]
    if bench.args.rss_full:
        bench.ensure_warm(big)
        figures.append(_rss_figure(bench, "peak_rss_full", None, small_corpus, big_corpus))
    figures[0].extra["import_only_mib"] = rss_child(_IMPORT_ONLY_CHILD, [], bench.warm_cache)["peak_rss_mib"]
    return figures


def fig_rebuild(bench: Bench) -> list[Figure]:
    """A new version after one article changed (warm cache from the previous build), against a cold full build."""
    n = bench.args.articles
    cold_runs, _ = bench.cold_build_runs()
    bench.ensure_warm(n)
    corpus = bench.corpus(n, f"rebuild-{n}")
    first = bench.build(corpus, bench.warm_cache, "1.0.0")
    bench.log(f"rebuild: first release {first.manifest.version} built")
    runs = []
    for r in range(bench.args.repeat):
        modify_article(corpus, (r * 7919 + n // 2) % n, revision=r + 1)
        seconds, result = timed(lambda: bench.build(corpus, bench.warm_cache, None, fresh=False))
        check(result.status == "built", f"rebuild status {result.status}")
        runs.append(seconds)
        bench.log(f"rebuild {r + 1}: {result.manifest.version} in {seconds:.1f} s")
    return [
        Figure(
            "rebuild", f"build of a new version after 1 of {n:,} articles changed, its gold with it (full release)",
            "s", runs, 0.1,
            "<=", f"full build of {n:,} articles, cold token cache", "s", cold_runs,
        )
    ]  # fmt: skip
