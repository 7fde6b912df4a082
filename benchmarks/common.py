"""What every benchmark figure shares: the figure record, timing, the token cache switch, the run's state."""

from __future__ import annotations

import os

# Before datasets / huggingface_hub are imported: a local folder needs no Hub, and there is no internet.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

import argparse
import contextlib
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

from rich.console import Console

from benchmarks.generate import generate

REPO = Path(__file__).resolve().parents[1]
WIDTH = None if sys.stdout.isatty() else 150
console = Console(stderr=True, width=WIDTH)


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
    """Return what the numbers were measured on: the machine, the versions and the code (its commit, and
    whether ``src/`` differed from it)."""
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
        commit: str | None = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", "src"],
            cwd=REPO, capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        commit, changed = None, ""
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
        "src_changed_since_commit": bool(changed),  # the code measured is then the commit's plus those changes
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
        self._build_corpus: Path | None = None
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
        """Run ``release.build`` with ``cache`` as the token cache; ``fresh`` removes earlier releases first.

        A build with ``ner`` must have tokenised every article: ``ner`` takes only articles with entity
        gold, so a corpus without it would make every ner figure measure nothing.
        """
        from newscorpus.release.build import build

        if fresh:
            shutil.rmtree(corpus / "releases", ignore_errors=True)
        with token_cache(cache or self.tmp / "cache-unused"):
            result = build(corpus, version, **kw)
        if "ner" in (kw.get("configs") or ["ner"]):
            stats = result.manifest.statistics
            gold = (stats.layers or {}).get("entities", {}).get("gold", 0)
            check(gold == stats.articles, f"only {gold:,} of {stats.articles:,} articles have entity gold for ner")
        return result

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

    def build_corpus(self) -> Path:
        """Return the corpus of N generated articles that the build figures share (generated once per run)."""
        if self._build_corpus is None:
            self._build_corpus = self.corpus(self.args.articles, f"build-{self.args.articles}")
        return self._build_corpus

    def cold_build_runs(self) -> tuple[list[float], int]:
        """Return the seconds of each full build with a cold cache of N articles (measured once per run)."""
        if self._cold_runs is None:
            n = self.args.articles
            corpus = self.build_corpus()
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
            from newscorpus.labelstudio.home import Home, default_home
            from newscorpus.labelstudio.server import start

            if not (os.environ.get("LABEL_STUDIO_URL") and os.environ.get("LABEL_STUDIO_API_KEY")):
                home = default_home() if "NEWSCORPUS_LABELSTUDIO_HOME" in os.environ else Home(REPO / ".labelstudio")
                start(home)
                self._conn = connection(home)
            else:
                self._conn = connection()
        return self._conn
