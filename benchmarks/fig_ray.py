"""The Ray figures: a cold build on a 2-node loopback cluster vs one local process, the driver's CPU, task overhead.

The cluster is tests/raycluster.py's: a head and a worker node, 1 CPU each, in a network and PID
namespace of their own where loopback is the only interface (root, Linux). Every build runs as
`newscorpus build` in a process of its own; its CPU time comes from ``os.wait4``. The token cache
is one fresh folder per cold build (the driver names it: every node writes there).

Figures:

- ``ray_build``: articles/s of a full cold build (documents, ner, topics) of ``--ray-articles``
  generated articles on the cluster; baseline: the local build with ``--processes 1``. Target ≥ 1.7.
- ``ray_driver_cpu``: the driver's own CPU per article (every thread of the process, Ray's included),
  from the first article it takes in to the end of the build, in a warm build (the workers then
  deliver articles as fast as a much bigger cluster would), the second in its process. Start-up
  (imports, joining the cluster, the node check) and leaving the cluster (``ray.shutdown``, 14-38 ms
  of the driver's CPU) are fixed costs, left out: both builds share one executor, as `newscorpus
  build` holds one around its build. Up to results-ray-a9185ea.json each build joined and left the
  cluster itself, and its shutdown was counted (at 4,000 articles, 4-10 µs of the figure). ``extra``
  has the whole process's CPU over N of the cold `newscorpus build --ray` (what ``os.wait4`` gives,
  start-up and all) and of the warm builds. Target ≤ 15 µs.
- ``ray_driver_marginal``: the driver's CPU per further article: the same warm build of
  ``--ray-driver-articles`` (default 20,000) generated articles, less that of the N, over the
  articles between. What a build pays per job and per build (the tail's small jobs, the shard
  and stitch tasks, the manifest's fixed part) is in the first figure, not in this one: it is
  what one driver's cap at a million articles is made of. Context, no target.
- ``ray_task_overhead``: µs per job through the executor builds use (``RayExecutor.map`` of empty jobs,
  one per task); baseline: the same through the local process pool (2 processes). Context only;
  ``extra`` has an empty Ray task's sequential round trip and the pipelined cost per task.

``extra`` of ``ray_build`` also holds what the README's projection is computed from (``projection``):
the CPU per article of the 1-process build and of the cluster's nodes (sampled from /proc: the wall
time of 2 nodes on a shared machine says more about the other users than about the cluster), the
driver's cap, and the stitch cap (one task per config copies its shards into one stream and hashes it).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import Bench, Figure, check
from newscorpus.core.executor import RayExecutor
from newscorpus.ingest.corpus import files_per_job
from tests.raycluster import ADDRESS, RayCluster

BUILD = [sys.executable, "-m", "newscorpus", "build", "--version", "1.0.0"]
NODES = (10, 100, 1000)

_DRIVER = """
import json, shutil, sys, time
from pathlib import Path
from newscorpus.core.executor import executor_for
from newscorpus.release import BUILD_MODULES
from newscorpus.release.build import build
corpus = Path(sys.argv[1])
# One executor for both builds, as `newscorpus build` holds one around its build: joining and leaving the cluster
# are fixed costs, left out of both figures.
with executor_for(ray=sys.argv[2], warm=BUILD_MODULES) as executor:
    build(corpus, "1.0.0", executor=executor)  # once untimed: every module a build imports on the way is imported now
    shutil.rmtree(corpus / "releases")
    first = []
    def on_file():
        if not first:
            first.append(time.process_time())
    start = time.process_time()
    result = build(corpus, "1.0.0", executor=executor, on_file=on_file)
    end = time.process_time()
print(json.dumps({"articles": result.manifest.statistics.articles, "whole": end - start, "streaming": end - first[0]}))
"""
_OVERHEAD = """
import json, statistics, sys, time
from newscorpus.core.executor import LocalExecutor, executor_for
jobs = int(sys.argv[1])
out = {}
for name, make in (("ray", lambda: executor_for(ray=sys.argv[2])), ("local", lambda: LocalExecutor(2))):
    with make() as executor:
        list(executor.map(abs, range(100)))  # warm: the workers are started and have imported what they need
        start = time.perf_counter()
        check = sum(executor.map(abs, range(jobs)))
        out[name + "_job_us"] = (time.perf_counter() - start) / jobs * 1e6
        assert check == jobs * (jobs - 1) // 2
import ray
ray.init(address=sys.argv[2], logging_level="ERROR", log_to_driver=False)
empty = ray.remote(lambda: None)
ray.get([empty.remote() for _ in range(50)])
trips = []
for _ in range(200):
    start = time.perf_counter()
    ray.get(empty.remote())
    trips.append(time.perf_counter() - start)
start = time.perf_counter()
ray.get([empty.remote() for _ in range(jobs)])
out["pipelined_task_us"] = (time.perf_counter() - start) / jobs * 1e6
out["round_trip_ms"] = statistics.median(trips) * 1e3
print(json.dumps(out))
"""


def _measured(command: list[str], **kw: Any) -> tuple[float, float]:
    """Run ``command`` to its end; return its wall seconds and CPU seconds (user + sys, with its waited-for children).

    Through nsenter the command is nsenter's child, and nsenter waits for it: its time is in nsenter's.
    """
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err, **kw)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode:
            err.seek(0)
            raise RuntimeError(f"{command} failed: {err.read().decode(errors='replace')[-3000:]}")
    return seconds, usage.ru_utime + usage.ru_stime


def _warm_builds(bench: Bench, cluster: RayCluster, corpus: Path) -> list[dict[str, Any]]:
    """Build ``corpus`` warm on ``cluster`` ``--repeat`` times, each after an untimed build; return what each said."""
    runs = []
    for r in range(bench.args.repeat):
        shutil.rmtree(corpus / "releases", ignore_errors=True)
        done = cluster.run([sys.executable, "-c", _DRIVER, str(corpus), ADDRESS], timeout=3600)
        check(done.returncode == 0, f"the warm build of {corpus.name} failed: {done.stderr[-3000:]}")
        runs.append(json.loads(done.stdout.splitlines()[-1]))
        run = runs[-1]
        bench.log(f"warm cluster build {r + 1} of {run['articles']:,} articles: driver CPU {run['whole']:.2f} s, "
                  f"of which {run['streaming']:.2f} s from the first article on")  # fmt: skip
    return runs


def _marginal(bigger: dict[str, Any], smaller: dict[str, Any]) -> float:
    """Return the driver's µs per article between two warm builds (from their first article on), of more and fewer."""
    return (bigger["streaming"] - smaller["streaming"]) / (bigger["articles"] - smaller["articles"]) * 1e6


def _fresh(folder: Path) -> Path:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def _manifest(corpus: Path) -> dict[str, Any]:
    return json.loads((corpus / "releases" / "1.0.0" / "manifest.json").read_text(encoding="utf-8"))


def _stitch_bytes_per_second(release: Path) -> float:
    """Read, hash and write the release's biggest file as a stitch does its shards: bytes per second."""
    biggest = max(release.rglob("*.arrow"), key=lambda p: p.stat().st_size)
    runs = []
    with tempfile.TemporaryDirectory(dir=release.parent) as tmp:
        for _ in range(3):
            start = time.perf_counter()
            data = biggest.read_bytes()
            digest = hashlib.sha256(data)
            (Path(tmp) / "copy.arrow").write_bytes(data)
            digest.hexdigest()
            runs.append(time.perf_counter() - start)
    return biggest.stat().st_size / statistics.median(runs)


def projection(cpu_per_article: float, driver_s: float, stitch_cap: float, moved_bytes: float) -> list[dict[str, Any]]:
    """Articles/s at 10, 100 and 1,000 one-CPU nodes: the nodes' share, capped by the driver and the stitch.

    The nodes give ``1 / cpu_per_article`` each (their CPU per article on the cluster, Ray's share
    included, every CPU busy); the driver caps at ``1 / driver_s``, and
    the stitch (one task per config, serial) at ``stitch_cap``. The shared filesystem must then
    carry ``moved_bytes`` per article.
    """
    rows = []
    for nodes in NODES:
        caps = {
            "nodes": nodes / cpu_per_article,
            "driver": 1 / driver_s if driver_s > 0 else float("inf"),
            "stitch": stitch_cap,
        }
        limit = min(caps, key=lambda k: caps[k])
        rate = caps[limit]
        rows.append({
            "nodes": nodes, "articles_per_s": rate, "limited_by": limit, "caps": caps,
            "hours_per_million": 1e6 / rate / 3600, "filesystem_mb_per_s": rate * moved_bytes / 1e6,
        })  # fmt: skip
    return rows


def fig_ray(bench: Bench) -> list[Figure]:
    """Cold full build on the 2-node cluster vs 1 local process; the driver's CPU per article; the task overhead."""
    n = bench.args.ray_articles
    corpus = bench.corpus(n, f"ray-{n}")
    cache = bench.tmp / "cache-ray"
    local_runs, cluster_runs, driver_whole, local_cpu, node_cpu = [], [], [], [], []
    with RayCluster(env={"NEWSCORPUS_CACHE": str(_fresh(cache))}) as cluster:
        bench.log(f"Ray cluster on loopback: namespace, head and worker node up in {cluster.seconds}")
        for r in range(bench.args.repeat):
            shutil.rmtree(corpus / "releases", ignore_errors=True)
            env = os.environ | {"NEWSCORPUS_CACHE": str(_fresh(bench.tmp / "cache-ray-local"))}
            seconds, cpu = _measured([*BUILD, "--processes", "1", "--corpus", str(corpus)], env=env)
            articles = _manifest(corpus)["statistics"]["articles"]
            local = corpus / "releases" / "1.0.0"
            reference = {p.relative_to(local): p.read_bytes() for p in local.rglob("*") if p.is_file()}
            local_runs.append((seconds, cpu))
            bench.log(f"local cold build {r + 1}, 1 process: {seconds:.1f} s, {articles / seconds:,.1f} articles/s")

            shutil.rmtree(corpus / "releases", ignore_errors=True)
            _fresh(cache)
            with cluster.cpu() as used:
                seconds, cpu = _measured(cluster.ns.command([*BUILD, "--ray", ADDRESS, "--corpus", str(corpus)]),
                                         env=cluster.env)  # fmt: skip
            made = {p.relative_to(local): p.read_bytes() for p in local.rglob("*") if p.is_file()}
            check(made == reference, "the cluster's release differs from the local one")
            cluster_runs.append(seconds)
            driver_whole.append(cpu)
            node_cpu.append(used.seconds)
            local_cpu.append(local_runs[-1][1])
            bench.log(f"cluster cold build {r + 1}, 2 × 1 CPU: {seconds:.1f} s, {articles / seconds:,.1f} articles/s; "
                      f"driver CPU {cpu:.1f} s, head node (with the driver) {used.seconds['head']:.1f} s, "
                      f"worker node {used.seconds['worker']:.1f} s")  # fmt: skip

        # The driver fed fast: warm builds (the cache holds every article now).
        warm = _warm_builds(bench, cluster, corpus)
        # The cost per further article: the same warm build of a bigger corpus (its first build fills the cache).
        bigger = []
        if (m := bench.args.ray_driver_articles) > n:
            bigger = _warm_builds(bench, cluster, bench.corpus(m, f"ray-{m}"))
            shutil.rmtree(bench.tmp / "corpora" / f"ray-{m}", ignore_errors=True)
        jobs = max(200, min(2000, n // 2))
        done = cluster.run([sys.executable, "-c", _OVERHEAD, str(jobs), ADDRESS], timeout=600)
        check(done.returncode == 0, f"the overhead probe failed: {done.stderr[-3000:]}")
        overhead = json.loads(done.stdout.splitlines()[-1])
        seconds_start = dict(cluster.seconds)

    manifest = _manifest(corpus)
    articles = manifest["statistics"]["articles"]
    driver_runs = [w["streaming"] / w["articles"] * 1e6 for w in warm]
    cpu_per_article = statistics.median(cpu for _, cpu in local_runs) / articles
    # The nodes' own CPU: the head's count holds the driver's, which the driver row of the projection has.
    node_cpu_per_article = statistics.median(
        (used["head"] + used["worker"] - driver) / articles for used, driver in zip(node_cpu, driver_whole, strict=True)
    )
    by_config: dict[str, int] = {}
    for entry in manifest["files"]:
        by_config[entry["path"].split("/")[0]] = by_config.get(entry["path"].split("/")[0], 0) + entry["bytes"]
    stitch_rate = _stitch_bytes_per_second(corpus / "releases" / "1.0.0")
    stitch_cap = stitch_rate / (max(by_config.values()) / articles)
    fixed = statistics.median(w["whole"] - w["streaming"] for w in warm)
    inputs = sum(p.stat().st_size for p in corpus.rglob("*") if p.is_file() and "releases" not in p.parts)
    # Read once; the rows are written to a spill, read into a shard, written, read by the stitch, written.
    moved = inputs / articles + 5 * sum(by_config.values()) / articles
    model = {
        "cpu_per_article_ms": cpu_per_article * 1e3,
        "node_cpu_per_article_ms": node_cpu_per_article * 1e3,
        "cpu_efficiency": cpu_per_article / node_cpu_per_article,
        "driver_us_per_article": statistics.median(driver_runs),
        "driver_cap_articles_per_s": 1e6 / statistics.median(driver_runs),
        "release_bytes_per_article": {k: v / articles for k, v in by_config.items()},
        "stitch_mb_per_s": stitch_rate / 1e6,
        "stitch_cap_articles_per_s": stitch_cap,
        "driver_fixed_cpu_s": fixed,
        "filesystem_bytes_per_article": moved,
        "nodes": projection(node_cpu_per_article, statistics.median(driver_runs) * 1e-6, stitch_cap, moved),
    }
    bench.log(f"projection: {json.dumps(model['nodes'])}")
    per_job = files_per_job(articles, 2, RayExecutor.largest_job, RayExecutor.jobs_per_worker)
    extra = {
        "articles": articles, "cluster_start_seconds": seconds_start,
        "local_seconds": [s for s, _ in local_runs], "local_cpu_seconds": local_cpu, "cluster_seconds": cluster_runs,
        "driver_cpu_seconds_cold": driver_whole, "node_cpu_seconds": node_cpu,
        "load_average": os.getloadavg(), "projection": model,
    }  # fmt: skip
    return [
        Figure(
            "ray_build", f"full cold build of {articles:,} articles (documents, ner, topics) on 2 Ray nodes × 1 CPU",
            "articles/s", [articles / s for s in cluster_runs], 1.7, ">=",
            "the same build on this machine, --processes 1", "articles/s", [articles / s for s, _ in local_runs],
            extra,
        ),
        Figure(
            "ray_driver_cpu", f"CPU of the driver per article from its first article on, warm build of {articles:,}",
            "µs/article", driver_runs, 15, "<=",
            extra={"whole_process_us_per_article_cold": [c / articles * 1e6 for c in driver_whole],
                   "whole_us_per_article_warm": [w["whole"] / w["articles"] * 1e6 for w in warm], "warm": warm},
        ),
        *([Figure(
            "ray_driver_marginal",
            f"CPU of the driver per further article: warm builds of {bigger[0]['articles']:,} less {articles:,}",
            "µs/article", [_marginal(b, w) for b, w in zip(bigger, warm, strict=True)], None, "<=",
            extra={"us_per_article_bigger": [b["streaming"] / b["articles"] * 1e6 for b in bigger], "bigger": bigger},
        )] if bigger else []),
        Figure(
            "ray_task_overhead", f"one empty job through RayExecutor.map ({jobs:,} jobs, one task each)",
            "µs/job", [overhead["ray_job_us"]], None, "<=",
            "the same through the local process pool, 2 processes", "µs/job", [overhead["local_job_us"]],
            extra=overhead | {"ray_job_us_per_article": overhead["ray_job_us"] / per_job},
        ),
    ]  # fmt: skip
