"""The benchmark figures of newscorpus, each against a baseline measured in the same run.

``python -m benchmarks.run --articles N [--only FIGURE ...] [--repeat 3] [--out benchmarks/results.json]``

Every figure is the median of ``--repeat`` runs, and so is its baseline; the ratio
is taken between the two medians and compared with the figure's target. Everything
happens in a temp folder (``--tmp``): generated corpora, token caches
(``NEWSCORPUS_CACHE`` is pointed at a fresh folder for a cold cache, at a filled one
for a warm cache), releases, publications and ``datasets`` caches. The Label Studio
figures use the real local server (started if needed) and delete their projects.

Figures (``--only`` takes these names):

- ``build``: ``release.build`` of the documents release of N generated articles, articles/s;
  baseline: read + sha256 every raw file and write one zstd Parquet of the texts. For context,
  the full release (documents, ner, topics) with a cold and a warm token cache.
- ``peak_rss``: peak RSS of a documents build in its own process at ``--rss-small`` vs ``--rss-big``
  articles; with ``--rss-full``, also of a full build (warm cache).
- ``rebuild``: a new version after one of N raw files changed; baseline: the full cold build.
- ``ner``: the 10kGNAD test file built with a cold cache on 1 and 2 processes; baseline: SoMaJo alone, one core.
- ``ls_push``: ``labelstudio.push`` of ``--ls-articles`` articles into a fresh project, and a second
  push with nothing changed; baseline: one bare ``projects.import_tasks`` of the same payloads.
- ``ls_pull``: ``labelstudio.pull`` of as many annotated tasks; baseline: a bare paginated task listing.
- ``load_dataset``: ``load_dataset(published, "documents")`` vs ``load_dataset("parquet", ...)`` on the same files.
"""

from __future__ import annotations

import os

# Before datasets / huggingface_hub are imported: a local folder needs no Hub, and there is no internet.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

import argparse
import contextlib
import csv
import hashlib
import json
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from rich.console import Console
from rich.table import Table

from benchmarks.generate import GNAD_TEST, SEED, generate, modify_article

REPO = Path(__file__).resolve().parents[1]
FIGURES = ("build", "peak_rss", "rebuild", "ner", "ls_push", "ls_pull", "load_dataset")
WIDTH = None if sys.stdout.isatty() else 150
console = Console(stderr=True, width=WIDTH)

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
from newscorpus.release import build
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
_IMPORT_ONLY_CHILD = _HWM + "import json, newscorpus.release; print(json.dumps({'vmhwm_kib': hwm_kib()}))"
"""The child's own peak: VmHWM of its process. (``ru_maxrss`` of a child is useless here: Linux carries the
forking parent's RSS over into the child's maximum, and this parent holds ~200 MiB.)"""


@dataclass
class Figure:
    """One measured figure, its baseline and its target."""

    name: str
    description: str
    unit: str
    runs: list[float]
    target: float | None  # None: reported for context, with no target of its own
    op: str  # ">=" or "<=": how the ratio (or, without a baseline, the value itself) must compare with target
    baseline_description: str | None = None
    baseline_unit: str | None = None
    baseline_runs: list[float] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def median(self) -> float:
        """The median of the runs."""
        return statistics.median(self.runs)

    @property
    def baseline_median(self) -> float | None:
        """The median of the baseline runs, if there is a baseline."""
        return statistics.median(self.baseline_runs) if self.baseline_runs else None

    @property
    def ratio(self) -> float | None:
        """Median over baseline median; None for an absolute target."""
        base = self.baseline_median
        return self.median / base if base else None

    @property
    def met(self) -> bool | None:
        """Whether the target is met (the ratio, or for an absolute target the median); None without a target."""
        if self.target is None:
            return None
        value = self.ratio if self.baseline_runs else self.median
        return value is not None and (value >= self.target if self.op == ">=" else value <= self.target)

    def to_json(self) -> dict[str, Any]:
        """Return the figure as written to results.json."""
        return {
            "description": self.description,
            "unit": self.unit,
            "runs": self.runs,
            "median": self.median,
            "baseline": None
            if not self.baseline_runs
            else {
                "description": self.baseline_description,
                "unit": self.baseline_unit,
                "runs": self.baseline_runs,
                "median": self.baseline_median,
            },
            "ratio": self.ratio,
            "target": None
            if self.target is None
            else {"op": self.op, "value": self.target, "of": "ratio" if self.baseline_runs else "median"},
            "met": self.met,
            **({"extra": self.extra} if self.extra else {}),
        }


def check(condition: bool, message: str) -> None:
    """Raise if a benchmark's own sanity check fails (kept under ``python -O``, unlike assert)."""
    if not condition:
        raise RuntimeError(message)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Return (seconds, result) of one call."""
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


@contextlib.contextmanager
def token_cache(folder: Path) -> Iterator[Path]:
    """Point ``NEWSCORPUS_CACHE`` at ``folder`` for the duration."""
    old = os.environ.get("NEWSCORPUS_CACHE")
    os.environ["NEWSCORPUS_CACHE"] = str(folder)
    try:
        yield folder
    finally:
        if old is None:
            os.environ.pop("NEWSCORPUS_CACHE", None)
        else:
            os.environ["NEWSCORPUS_CACHE"] = old


def machine() -> dict[str, Any]:
    """Return what the numbers were measured on."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    meminfo = Path("/proc/meminfo").read_text().split()
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = None
    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu,
        "memory_gib": round(int(meminfo[meminfo.index("MemTotal:") + 1]) / 2**20, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": {
            name: version(name)
            for name in ("newscorpus", "pyarrow", "datasets", "somajo", "pydantic", "label-studio-sdk", "rich")
        },
        "git_commit": commit,
    }


class Bench:
    """The state shared by the figures: args, temp folders, generated corpora, caches, memoized runs."""

    def __init__(self, args: argparse.Namespace, tmp: Path) -> None:
        self.args = args
        self.tmp = tmp
        self.warm_cache = tmp / "cache-warm"
        self.warmed = 0  # the warm cache holds the tokens of articles 0..warmed-1 (generated corpora share prefixes)
        self._cold_runs: list[float] | None = None
        self._cold_articles = 0
        self._conn: Any = None

    def log(self, message: str) -> None:
        """Print a progress line to stderr."""
        console.log(message)

    def corpus(self, n: int, tag: str) -> Path:
        """Return a freshly generated corpus of ``n`` articles in its own folder ``tag``."""
        folder = self.tmp / "corpora" / tag
        shutil.rmtree(folder, ignore_errors=True)
        seconds, _ = timed(lambda: generate(folder, n, self.args.seed))
        self.log(f"generated {n:,} articles into {folder} in {seconds:.1f} s")
        return folder

    def build(
        self, corpus: Path, cache: Path | None, version: str | None = "1.0.0", fresh: bool = True, **kw: Any
    ) -> Any:
        """Run ``release.build`` with ``cache`` as the token cache; ``fresh`` removes earlier releases first."""
        from newscorpus.release import build

        if fresh:
            shutil.rmtree(corpus / "releases", ignore_errors=True)
        with token_cache(cache or self.tmp / "cache-unused"):
            return build(corpus, version, **kw)

    def ensure_warm(self, n: int) -> None:
        """Make the warm cache hold the tokens of the first ``n`` generated articles (an untimed build if not)."""
        if self.warmed >= n:
            return
        corpus = self.corpus(n, f"warmup-{n}")
        self.log(f"warming the token cache with {n:,} articles (untimed) …")
        seconds, _ = timed(lambda: self.build(corpus, self.warm_cache))
        self.log(f"warmed in {seconds:.1f} s")
        shutil.rmtree(corpus, ignore_errors=True)
        self.warmed = n

    def cold_build_runs(self) -> tuple[list[float], int]:
        """Return the seconds of each full build with a cold cache of N articles (measured once per run)."""
        if self._cold_runs is None:
            n = self.args.articles
            corpus = self.corpus(n, f"build-{n}")
            runs = []
            for r in range(self.args.repeat):
                cache = self.tmp / f"cache-cold-{r}"
                shutil.rmtree(cache, ignore_errors=True)
                seconds, result = timed(lambda cache=cache: self.build(corpus, cache))
                runs.append(seconds)
                self._cold_articles = result.manifest.statistics.articles
                self.log(f"cold build {r + 1}: {seconds:.1f} s, {self._cold_articles / seconds:,.1f} articles/s")
                if not self.warm_cache.exists():
                    cache.rename(self.warm_cache)  # the first cold build leaves a warm cache behind
                    self.warmed = max(self.warmed, n)
                else:
                    shutil.rmtree(cache, ignore_errors=True)
            self._cold_runs = runs
        return self._cold_runs, self._cold_articles

    def connection(self) -> Any:
        """Return the Label Studio connection; start the local server if none runs."""
        if self._conn is None:
            from newscorpus.labelstudio.client import connection
            from newscorpus.labelstudio.server import Home, default_home, start

            if not (os.environ.get("LABEL_STUDIO_URL") and os.environ.get("LABEL_STUDIO_API_KEY")):
                home = default_home() if "NEWSCORPUS_LABELSTUDIO_HOME" in os.environ else Home(REPO / ".labelstudio")
                start(home)
                self._conn = connection(home)
            else:
                self._conn = connection()
        return self._conn


def baseline_parquet(corpus: Path, out: Path) -> int:
    """Read every raw file, sha256 it, and write one zstd Parquet of the raw texts; return the file count."""
    names, texts, digests = [], [], []
    for path in sorted((corpus / "raw").rglob("*.txt")):
        data = path.read_bytes()
        names.append(path.relative_to(corpus).as_posix())
        digests.append(hashlib.sha256(data).hexdigest())
        texts.append(data.decode("utf-8"))
    table = pa.table({"raw_file": names, "raw_sha256": digests, "text": texts})
    pq.write_table(table, out, compression="zstd")
    return len(names)


# --- figures -----------------------------------------------------------------------------------------------------


def fig_build(bench: Bench) -> list[Figure]:
    """The documents release against read + hash + Parquet; full releases (all configs) for context."""
    n = bench.args.articles
    cold_runs, articles = bench.cold_build_runs()
    corpus = bench.tmp / "corpora" / f"build-{n}"
    runs, base_runs, warm_runs = [], [], []
    for r in range(bench.args.repeat):
        out = bench.tmp / "baseline.parquet"
        seconds, files = timed(lambda out=out: baseline_parquet(corpus, out))
        base_runs.append(files / seconds)
        bench.log(f"baseline read+sha256+parquet {r + 1}: {seconds:.2f} s, {files / seconds:,.0f} files/s")
        out.unlink()
        seconds, result = timed(lambda: bench.build(corpus, None, configs=["documents"]))
        check(result.manifest.statistics.articles == articles, "documents build lost articles")
        runs.append(articles / seconds)
        bench.log(f"documents build {r + 1}: {seconds:.1f} s, {articles / seconds:,.1f} articles/s")
    bench.ensure_warm(n)
    for r in range(bench.args.repeat):
        seconds, result = timed(lambda: bench.build(corpus, bench.warm_cache))
        warm_runs.append(articles / seconds)
        check(result.manifest.statistics.articles == articles, "warm build lost articles")
        bench.log(f"full build, warm cache {r + 1}: {seconds:.1f} s, {articles / seconds:,.1f} articles/s")
    base = "read every raw file, sha256 it, write one zstd Parquet of the raw texts (pyarrow)"
    return [
        Figure(
            "build", f"build of the documents release, {n:,} generated articles", "articles/s", runs, 0.5, ">=",
            base, "articles/s", base_runs, {"articles": articles},
        ),
        Figure(
            "build_full_cold", f"build of the full release (documents, ner, topics), {n:,} articles, cold token cache",
            "articles/s", [articles / s for s in cold_runs], None, ">=", extra={"seconds": cold_runs},
        ),
        Figure(
            "build_full_warm", "the same with a warm token cache", "articles/s", warm_runs, None, ">=",
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
    """A new version after one raw file changed (warm cache from the previous build), against a cold full build."""
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
            "rebuild", f"build of a new version after 1 of {n:,} raw files changed (full release)", "s", runs, 0.1,
            "<=", f"full build of {n:,} articles, cold token cache", "s", cold_runs,
        )
    ]  # fmt: skip


def _ner_corpus(bench: Bench) -> Path:
    """Return a corpus holding the 10kGNAD test file (or its first ``--ner-texts`` rows)."""
    corpus = bench.tmp / "corpora" / "ner"
    shutil.rmtree(corpus, ignore_errors=True)
    (corpus / "raw").mkdir(parents=True)
    source = GNAD_TEST
    with GNAD_TEST.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";", quotechar="'"))
    if bench.args.ner_texts and bench.args.ner_texts < len(rows):
        rows = rows[: bench.args.ner_texts]
        source = bench.tmp / "ner-source" / "test.csv"
        source.parent.mkdir(parents=True, exist_ok=True)
        with source.open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle, delimiter=";", quotechar="'", lineterminator="\n").writerows(rows)
    from newscorpus.importers import import_file

    import_file(corpus, "10kgnad", source, None)
    return corpus


def fig_ner(bench: Bench) -> list[Figure]:
    """The ner config of 10kGNAD test, cold cache, on 1 and 2 processes, against SoMaJo alone on one core."""
    from somajo import SoMaJo

    from newscorpus.article import Article
    from newscorpus.corpus import iter_corpus

    corpus = _ner_corpus(bench)
    articles = [a for a in iter_corpus(corpus) if isinstance(a, Article)]
    blocks = [a.text[b.start : b.end] for a in articles for b in a.blocks]
    tokenizer = SoMaJo("de_CMC", split_camel_case=False, character_offsets=True)

    def somajo_alone() -> tuple[int, int]:
        sentences = tokens = 0
        for text in blocks:
            for sentence in tokenizer.tokenize_text([text]):
                sentences += 1
                tokens += len(sentence)
        return sentences, tokens

    results: dict[str, list[tuple[float, int, int]]] = {"somajo": [], "p1": [], "p2": []}
    for r in range(bench.args.repeat):
        seconds, (sentences, tokens) = timed(somajo_alone)
        results["somajo"].append((seconds, sentences, tokens))
        bench.log(f"ner baseline {r + 1}: SoMaJo alone {seconds:.1f} s, {tokens / seconds:,.0f} tokens/s")
        for processes in (1, 2):
            cache = bench.tmp / "cache-ner"
            shutil.rmtree(cache, ignore_errors=True)
            seconds, result = timed(lambda cache=cache, p=processes: bench.build(corpus, cache, processes=p))
            stats = result.manifest.statistics
            results[f"p{processes}"].append((seconds, stats.sentences, stats.tokens))
            rate = stats.tokens / seconds
            bench.log(f"ner build {r + 1}, {processes} processes: {seconds:.1f} s, {rate:,.0f} tokens/s")
    shutil.rmtree(bench.tmp / "cache-ner", ignore_errors=True)

    def rates(key: str) -> tuple[list[float], list[float]]:
        return [t / s for s, _, t in results[key]], [n / s for s, n, _ in results[key]]

    (base_tok, base_sent), (p1_tok, p1_sent), (p2_tok, p2_sent) = rates("somajo"), rates("p1"), rates("p2")
    extra = {
        "articles": len(articles),
        "sentences": {k: v[0][1] for k, v in results.items()},
        "tokens": {k: v[0][2] for k, v in results.items()},
        "seconds": {k: [s for s, _, _ in v] for k, v in results.items()},
        "sentences_per_s": {"somajo": base_sent, "p1": p1_sent, "p2": p2_sent},
    }
    return [
        Figure(
            "ner_1core", f"build (ner config) of 10kGNAD test ({len(articles)} texts), cold cache, processes=1",
            "tokens/s", p1_tok, 0.8, ">=", "SoMaJo de_CMC tokenize_text alone, one core", "tokens/s", base_tok, extra,
        ),
        Figure(
            "ner_2core", "the same build with processes=2", "tokens/s", p2_tok, 1.6, ">=",
            "the same build with processes=1", "tokens/s", p1_tok,
        ),
    ]  # fmt: skip


def _delete_project(sdk: Any, project_id: int | None) -> None:
    if project_id is not None:
        with contextlib.suppress(Exception):
            sdk.projects.delete(id=project_id)


def fig_ls_push(bench: Bench) -> list[Figure]:
    """push into a fresh project and a push with nothing changed, against one bare SDK import of the same payloads."""
    from newscorpus.article import Article
    from newscorpus.corpus import iter_corpus
    from newscorpus.labelstudio.client import client, find_project
    from newscorpus.labelstudio.config import labelling_config
    from newscorpus.labelstudio.push import new_task, push

    n = bench.args.ls_articles
    conn = bench.connection()
    sdk = client(conn)
    corpus = bench.corpus(n, f"ls-push-{n}")
    payloads = [new_task(a) for a in iter_corpus(corpus) if isinstance(a, Article)]
    push_runs, noop_runs, base_runs = [], [], []
    for r in range(bench.args.repeat):
        tag = uuid.uuid4().hex[:8]
        push_title, base_title = f"bench-push-{tag}", f"bench-import-{tag}"
        push_id = base_id = None
        try:
            base_id = sdk.projects.create(title=base_title, label_config=labelling_config()).id
            seconds, _ = timed(lambda base_id=base_id: sdk.projects.import_tasks(id=base_id, request=payloads))
            check(sdk.projects.get(id=base_id).task_number == len(payloads), "import_tasks imported too few tasks")
            base_runs.append(seconds)
            bench.log(f"ls baseline import_tasks {r + 1}: {len(payloads):,} tasks in {seconds:.1f} s")
            seconds, first = timed(lambda title=push_title: push(corpus, conn, title))
            push_id = first.project_id
            check(len(first.created) == len(payloads), f"push created {len(first.created)} of {len(payloads)}")
            push_runs.append(seconds)
            bench.log(f"ls push {r + 1}: {len(first.created):,} created in {seconds:.1f} s")
            seconds, second = timed(lambda title=push_title: push(corpus, conn, title))
            check(not second.created and len(second.unchanged) == len(payloads), f"second push: {second}")
            noop_runs.append(seconds)
            bench.log(f"ls push, nothing changed {r + 1}: {seconds:.1f} s")
        finally:
            _delete_project(sdk, base_id)
            _delete_project(sdk, push_id or getattr(find_project(sdk, push_title), "id", None))
    return [
        Figure(
            "ls_push", f"labelstudio push of {n:,} articles into a fresh project", "s", push_runs, 1.5, "<=",
            "one bare SDK projects.import_tasks of the same payloads", "s", base_runs, {"tasks": len(payloads)},
        ),
        Figure(
            "ls_push_noop", f"a second push of the same {n:,} articles (nothing changed)", "s", noop_runs, 5.0, "<=",
        ),
    ]  # fmt: skip


def annotated_payloads(articles: list[Any]) -> list[dict[str, Any]]:
    """Return import payloads with one annotation each: two capitalised words as spans, and a topic."""
    import random

    from newscorpus.article import Entity
    from newscorpus.labels import label_sets
    from newscorpus.labelstudio.convert import to_results
    from newscorpus.labelstudio.push import task_data

    rng = random.Random(SEED)
    topics = list(label_sets().topic_names())
    payloads = []
    for article in articles:
        text, entities, start = article.text, [], 0
        for word in text.split():
            start = text.index(word, start)
            if word[:1].isupper() and word.isalpha() and len(entities) < 2 and rng.random() < 0.1:
                label = rng.choice(("PER", "LOC", "ORG", "OTH"))
                entities.append(Entity(start=start, end=start + len(word), label=label, level=0, text=word))
            start += len(word)
        result = to_results(entities, rng.choice(topics), origin="manual")
        payloads.append({"data": task_data(article), "annotations": [{"result": result}]})
    return payloads


def fig_ls_pull(bench: Bench) -> list[Figure]:
    """pull of annotated tasks against a bare paginated SDK listing of the same project."""
    from newscorpus.article import Article
    from newscorpus.corpus import iter_corpus
    from newscorpus.labelstudio.client import client
    from newscorpus.labelstudio.config import labelling_config
    from newscorpus.labelstudio.pull import pull

    n = bench.args.ls_articles
    conn = bench.connection()
    sdk = client(conn)
    corpus = bench.corpus(n, f"ls-pull-{n}")
    payloads = annotated_payloads([a for a in iter_corpus(corpus) if isinstance(a, Article)])
    title = f"bench-pull-{uuid.uuid4().hex[:8]}"
    project_id = None
    pull_runs, base_runs = [], []
    try:
        project_id = sdk.projects.create(title=title, label_config=labelling_config()).id
        for start in range(0, len(payloads), 1000):
            sdk.projects.import_tasks(id=project_id, request=payloads[start : start + 1000])
        bench.log(f"ls pull: {len(payloads):,} annotated tasks imported into {title}")
        for r in range(bench.args.repeat):
            seconds, tasks = timed(lambda: list(sdk.tasks.list(project=project_id, page_size=100)))
            check(len(tasks) == len(payloads), f"listed {len(tasks)} of {len(payloads)} tasks")
            base_runs.append(seconds)
            bench.log(f"ls baseline listing {r + 1}: {len(tasks):,} tasks in {seconds:.1f} s")
            shutil.rmtree(corpus / "annotations", ignore_errors=True)
            shutil.rmtree(corpus / "reports", ignore_errors=True)
            seconds, report = timed(lambda: pull(corpus, conn, title))
            gold = len(report.gold)
            check(report.tasks == len(payloads) == gold, f"pull: {report.tasks} tasks, {gold} gold")
            pull_runs.append(seconds)
            bench.log(f"ls pull {r + 1}: {len(report.gold):,} gold in {seconds:.1f} s")
    finally:
        _delete_project(sdk, project_id)
    return [
        Figure(
            "ls_pull", f"labelstudio pull of {n:,} annotated tasks", "s", pull_runs, 1.5, "<=",
            "bare paginated SDK listing, page_size=100", "s", base_runs, {"tasks": len(payloads)},
        )
    ]  # fmt: skip


def fig_load_dataset(bench: Bench) -> list[Figure]:
    """load_dataset of the published folder against the parquet builder on the same files, cold HF cache each run."""
    import datasets

    from newscorpus.publish import publish

    datasets.disable_progress_bars()
    datasets.logging.set_verbosity_error()
    n = bench.args.articles
    corpus = bench.corpus(n, f"publish-{n}")
    bench.build(corpus, None, "1.0.0", configs=["documents"])  # the figure loads only this config
    published = bench.tmp / "published"
    publish(corpus, "1.0.0", published)
    data = published / "data" / "documents"
    files = {
        split: [str(p) for p in sorted(data.glob(f"{split}-*.parquet"))] for split in ("train", "validation", "test")
    }
    files = {k: v for k, v in files.items() if v}
    runs, base_runs, rows = [], [], None

    def load(which: str) -> float:
        cache = Path(tempfile.mkdtemp(prefix="hf-", dir=bench.tmp))
        try:
            if which == "published":
                seconds, ds = timed(lambda: datasets.load_dataset(str(published), "documents", cache_dir=str(cache)))
            else:
                seconds, ds = timed(lambda: datasets.load_dataset("parquet", data_files=files, cache_dir=str(cache)))
            nonlocal rows
            rows = {k: v.num_rows for k, v in ds.items()}
            del ds
            return seconds
        finally:
            shutil.rmtree(cache, ignore_errors=True)

    load("published")  # untimed: the first call in a process pays for imports and first-use setup
    load("parquet")
    for r in range(bench.args.repeat):
        order = ("published", "parquet") if r % 2 == 0 else ("parquet", "published")
        for which in order:
            seconds = load(which)
            (runs if which == "published" else base_runs).append(seconds)
            bench.log(f"load_dataset {which} {r + 1}: {seconds:.2f} s {rows}")
    return [
        Figure(
            "load_dataset", f"load_dataset(published, 'documents') of {n:,} articles, cold cache", "s", runs, 1.2,
            "<=", "load_dataset('parquet', data_files=…) on the same files, cold cache", "s", base_runs,
            {"rows": rows},
        )
    ]  # fmt: skip


RUNNERS: dict[str, Callable[[Bench], list[Figure]]] = {
    "build": fig_build,
    "peak_rss": fig_peak_rss,
    "rebuild": fig_rebuild,
    "ner": fig_ner,
    "ls_push": fig_ls_push,
    "ls_pull": fig_ls_pull,
    "load_dataset": fig_load_dataset,
}


# --- output ------------------------------------------------------------------------------------------------------


def _num(value: float | None, unit: str | None = None) -> str:
    if value is None:
        return "–"
    text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}" if abs(value) >= 1 else f"{value:.3f}"
    return f"{text} {unit}" if unit else text


def table(figures: list[Figure]) -> Table:
    """Return the results as a rich table."""
    out = Table(title="newscorpus benchmarks (medians)")
    for column in ("figure", "measured", "baseline", "ratio", "target", "met?"):
        out.add_column(column, justify="left" if column == "figure" else "right")
    for fig in figures:
        if fig.target is None:
            target = "–"
        elif fig.baseline_runs:
            target = f"ratio {fig.op} {fig.target:g}"
        else:
            target = f"{fig.op} {fig.target:g} {fig.unit}"
        out.add_row(
            fig.name,
            _num(fig.median, fig.unit),
            _num(fig.baseline_median, fig.baseline_unit),
            _num(fig.ratio) if fig.ratio is not None else "–",
            target,
            {True: "[green]yes[/green]", False: "[red]no[/red]", None: "–"}[fig.met],
        )
    return out


def write_results(path: Path, args: argparse.Namespace, figures: list[Figure], errors: dict[str, str]) -> None:
    """Write results.json (again after each figure, so a long run keeps what it has)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "machine": machine(),
        "articles": args.articles,
        "repeat": args.repeat,
        "settings": {
            "seed": args.seed,
            "rss_small": args.rss_small,
            "rss_big": args.rss_big,
            "rss_full": args.rss_full,
            "ls_articles": args.ls_articles,
            "ner_texts": args.ner_texts,
        },
        "figures": {fig.name: fig.to_json() for fig in figures},
        "errors": errors,
    }
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line; sizes default from ``--articles``."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=20_000, help="N generated articles (default 20,000)")
    parser.add_argument("--only", nargs="+", choices=FIGURES, metavar="FIGURE", help=f"any of {', '.join(FIGURES)}")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure and per baseline (median)")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results.json")
    parser.add_argument("--rss-small", type=int, help="articles of the small peak-RSS build (default 10,000)")
    parser.add_argument("--rss-big", type=int, help="articles of the big peak-RSS build (default --articles)")
    parser.add_argument(
        "--rss-full",
        action=argparse.BooleanOptionalAction,
        help="also the peak RSS of full-release builds (default: when --rss-big is at most 20,000, since it "
        "first tokenises every article once)",
    )
    parser.add_argument("--ls-articles", type=int, help="tasks for ls_push and ls_pull (default 10,000)")
    parser.add_argument("--ner-texts", type=int, help="use only the first K 10kGNAD test texts (default all 1,028)")
    parser.add_argument("--seed", type=int, default=SEED, help="the generator's seed")
    parser.add_argument("--tmp", type=Path, help="work folder (default a new temp folder, removed afterwards)")
    args = parser.parse_args(argv)
    if args.articles < 2 or args.repeat < 1:
        parser.error("--articles must be at least 2 and --repeat at least 1")
    args.rss_big = args.rss_big or args.articles
    args.rss_small = args.rss_small or min(10_000, max(1, args.rss_big // 2))
    args.ls_articles = args.ls_articles or min(10_000, args.articles)
    if args.rss_full is None:
        args.rss_full = args.rss_big <= 20_000
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the chosen figures, print the table, write results.json; exit 1 if a figure failed to run."""
    args = parse_args(argv)
    keep = args.tmp is not None
    tmp = args.tmp or Path(tempfile.mkdtemp(prefix="newscorpus-bench-"))
    tmp.mkdir(parents=True, exist_ok=True)
    bench = Bench(args, tmp.resolve())
    figures: list[Figure] = []
    errors: dict[str, str] = {}
    console.log(f"work folder {tmp}; N = {args.articles:,}; repeat {args.repeat}")
    try:
        for name in args.only or FIGURES:
            console.rule(name)
            try:
                figures += RUNNERS[name](bench)
            except Exception as exc:  # one figure failing must not lose the others
                console.print_exception()
                errors[name] = f"{type(exc).__name__}: {exc}"
            write_results(args.out, args, figures, errors)
    finally:
        if not keep:
            shutil.rmtree(tmp, ignore_errors=True)
    Console(width=WIDTH).print(table(figures))
    for name, error in errors.items():
        console.print(f"[red]{name} failed:[/red] {error}")
    console.log(f"wrote {args.out}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
