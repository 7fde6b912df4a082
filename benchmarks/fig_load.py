"""The load_dataset figure: the published folder against the parquet builder on the same files."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from benchmarks.common import Bench, Figure, timed


def fig_load_dataset(bench: Bench) -> list[Figure]:
    """load_dataset of the published folder against the parquet builder on the same files, cold HF cache each run."""
    import datasets

    from newscorpus.publish.folder import publish

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
