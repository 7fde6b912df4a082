"""The benchmark figures of newscorpus, each against a baseline measured in the same run.

``python -m benchmarks.run --articles N [--only FIGURE ...] [--repeat 3] [--out benchmarks/results.json]``

Every figure is the median of ``--repeat`` runs, and so is its baseline; the ratio
is taken between the two medians and compared with the figure's target. Everything
happens in a temp folder (``--tmp``): generated corpora, token caches
(``NEWSCORPUS_CACHE`` is pointed at a fresh folder for a cold cache, at a filled one
for a warm cache), releases, publications and ``datasets`` caches. The Label Studio
figures use the real local server (started if needed) and delete their projects.

Figures (``--only`` takes these names):

- ``build``: ``release.build`` of the documents release of N generated articles (each with its gold file),
  articles/s; baseline: read + sha256 every raw and gold file and write one zstd Parquet of them.
- ``build_full``: the full release (documents, ner, topics) of the same articles with a cold token cache (for
  context), and with a warm one against the documents release (measured as for ``build``, once per run).
- ``peer``: ``newscorpus build --config documents`` of one JSONL of N generated articles, wall time of the
  process; baseline: the script a user would write instead (``load_dataset("json")``, ``Dataset.map`` on 2
  processes validating each record with pydantic and hashing its text, ``save_to_disk``), on the same file
  and cores (see ``benchmarks.fig_peer``).
- ``neardup``: ``build --config documents`` of ``--neardup-articles`` generated articles (default 100,000) with
  near-duplicate detection; baseline: the same build without it (see ``benchmarks.fig_neardup``).
- ``peak_rss``: peak RSS of a documents build in its own process at ``--rss-small`` vs ``--rss-big``
  articles; with ``--rss-full``, also of a full build (warm cache).
- ``rebuild``: a new version after one of N articles changed (its raw file and gold file); baseline: the full
  cold build.
- ``ner``: the 10kGNAD test file (with entity gold, so every text goes through ``ner``) built with a cold cache
  on 1 and 2 processes; baseline: SoMaJo alone, one core.
- ``ls_push``: ``labelstudio.push`` of ``--ls-articles`` articles into a fresh project, and a second
  push with nothing changed; baseline: one bare ``projects.import_tasks`` of the same payloads.
- ``ls_pull``: ``labelstudio.pull`` of as many annotated tasks; baseline: a bare paginated task listing.
- ``load_dataset``: ``load_dataset(published, "documents")`` vs ``load_dataset("parquet", ...)`` on the same files.
- ``load_test``: on a fresh server per database (``--load-backends``: PostgreSQL and SQLite, each started
  twice for its start-up times; or ``running``, the server the other Label Studio figures use),
  ``--load-annotators`` simulated annotators post and update annotations while ``labelstudio push`` sends
  ``--load-articles`` new articles, then ``labelstudio pull`` runs; figures: the push under load vs the same
  push idle, failed requests, lost annotations, and a pull under load read whole. Once per database, whatever
  ``--repeat`` says: it is a stress test (see ``benchmarks.fig_load_test``).
- ``ray``: a full cold build of ``--ray-articles`` articles on a 2-node Ray cluster on loopback (1 CPU each, in a
  network namespace of its own: root, Linux) vs one local process; the driver's CPU per article; the per-job
  overhead of Ray tasks vs the local pool (see ``benchmarks.fig_ray``).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from benchmarks.common import REPO, WIDTH, Bench, Figure, console, machine
from benchmarks.fig_build import fig_build, fig_build_full, fig_peak_rss, fig_rebuild
from benchmarks.fig_labelstudio import fig_ls_pull, fig_ls_push
from benchmarks.fig_load import fig_load_dataset
from benchmarks.fig_load_test import fig_load_test
from benchmarks.fig_neardup import fig_neardup
from benchmarks.fig_ner import fig_ner
from benchmarks.fig_peer import fig_peer
from benchmarks.fig_ray import fig_ray
from benchmarks.generate import SEED

FIGURES = (
    "build", "build_full", "peer", "neardup", "peak_rss", "rebuild", "ner", "ls_push", "ls_pull", "load_dataset",
    "load_test", "ray",
)  # fmt: skip

RUNNERS: dict[str, Callable[[Bench], list[Figure]]] = {
    "build": fig_build,
    "build_full": fig_build_full,
    "peer": fig_peer,
    "neardup": fig_neardup,
    "peak_rss": fig_peak_rss,
    "rebuild": fig_rebuild,
    "ner": fig_ner,
    "ls_push": fig_ls_push,
    "ls_pull": fig_ls_pull,
    "load_dataset": fig_load_dataset,
    "load_test": fig_load_test,
    "ray": fig_ray,
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


def write_results(
    path: Path, args: argparse.Namespace, measured_on: dict[str, Any], figures: list[Figure], errors: dict[str, str]
) -> None:
    """Write results.json (again after each figure, so a long run keeps what it has)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "machine": measured_on,
        "articles": args.articles,
        "repeat": args.repeat,
        "settings": {
            "seed": args.seed,
            "rss_small": args.rss_small,
            "rss_big": args.rss_big,
            "rss_full": args.rss_full,
            "ls_articles": args.ls_articles,
            "ner_texts": args.ner_texts,
            "load_articles": args.load_articles,
            "load_annotators": args.load_annotators,
            "load_seconds": args.load_seconds,
            "load_backends": args.load_backends,
            "ray_articles": args.ray_articles,
            "ray_driver_articles": args.ray_driver_articles,
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
    parser.add_argument("--load-articles", type=int, default=2_500, help="new articles pushed under load (2,500)")
    parser.add_argument("--load-annotators", type=int, default=8, help="simulated annotators (default 8)")
    parser.add_argument(
        "--load-seconds", type=float, default=300.0, help="the longest the annotators work (default 300 s)"
    )
    parser.add_argument("--load-requests", type=int, default=20_000, help="the most requests per annotator")
    parser.add_argument(
        "--load-backends", nargs="+", choices=("postgresql", "sqlite", "running"), default=["postgresql", "sqlite"],
        help="the databases to load-test, each on a fresh server (default both); running: the server the other "
        "Label Studio figures use, as it is",
    )  # fmt: skip
    parser.add_argument("--neardup-articles", type=int, help="articles of the neardup figure (default 100,000)")
    parser.add_argument("--ray-articles", type=int, help="articles of the ray figures (default 4,000, at most N)")
    parser.add_argument(
        "--ray-driver-articles", type=int, help="articles of the second warm build the driver's cost per further "
        "article is measured with (default 5 × --ray-articles; 0: none)",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=SEED, help="the generator's seed")
    parser.add_argument("--tmp", type=Path, help="work folder (default a new temp folder, removed afterwards)")
    args = parser.parse_args(argv)
    if args.articles < 2 or args.repeat < 1:
        parser.error("--articles must be at least 2 and --repeat at least 1")
    args.rss_big = args.rss_big or args.articles
    args.rss_small = args.rss_small or min(10_000, max(1, args.rss_big // 2))
    args.ls_articles = args.ls_articles or min(10_000, args.articles)
    args.ray_articles = args.ray_articles or min(4_000, args.articles)
    if args.ray_driver_articles is None:
        args.ray_driver_articles = 5 * args.ray_articles
    args.neardup_articles = args.neardup_articles or 100_000
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
    measured_on = machine()  # now: the code a run measures is the code it started with, whatever is committed later
    console.log(f"work folder {tmp}; N = {args.articles:,}; repeat {args.repeat}")
    try:
        for name in args.only or FIGURES:
            console.rule(name)
            try:
                figures += RUNNERS[name](bench)
            except Exception as exc:  # one figure failing must not lose the others
                console.print_exception()
                errors[name] = f"{type(exc).__name__}: {exc}"
            write_results(args.out, args, measured_on, figures, errors)
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
