"""The peer figure: our JSONL build against the script a user would write instead of using newscorpus.

The peer reads one JSONL with ``load_dataset("json")``, validates each record with a pydantic
model of the same fields and hashes its text in ``Dataset.map(batched=True, num_proc=2)``, and
writes the result with ``save_to_disk``. Beside it, ``newscorpus build --config documents`` reads
the same file in a fresh corpus folder on as many cores. Both are separate processes, timed from
process start to exit (wall time), so each pays for its own imports, as its user does.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.common import Bench, Figure, check
from benchmarks.generate import generate_jsonl

PROCESSES = 2
"""The peer's ``num_proc``, and our build's ``--processes``: the same cores for both."""
PEER_SCRIPT = '''"""The peer: one JSONL in, each record validated and its text hashed on 2 processes, saved to disk."""

import datetime
import hashlib
import json
import sys
import time

start = time.perf_counter()
from datasets import load_dataset  # noqa: E402
from pydantic import BaseModel  # noqa: E402

imported = time.perf_counter()


class Record(BaseModel):
    url: str
    published_at: datetime.datetime
    license: str
    redistributable: bool
    headline: str
    body: str


def check(batch):
    names = list(batch)
    hashes = []
    for values in zip(*batch.values()):
        record = Record.model_validate(dict(zip(names, values)))
        hashes.append(hashlib.sha256(f"{record.headline}\\n\\n{record.body}".encode()).hexdigest())
    return {"text_sha256": hashes}


if __name__ == "__main__":
    source, target, cache = sys.argv[1:4]
    data = load_dataset("json", data_files=source, split="train", cache_dir=cache)
    loaded = time.perf_counter()
    data = data.map(check, batched=True, num_proc=%(processes)d)
    mapped = time.perf_counter()
    data.save_to_disk(target)
    saved = time.perf_counter()
    phases = {"import": imported - start, "load": loaded - imported, "map": mapped - loaded, "save": saved - mapped}
    print(json.dumps({"rows": len(data), **phases}))
'''


def wall_time(command: list[str], env: dict[str, str]) -> tuple[float, str]:
    """Run ``command`` as a new process; return its wall time from start to exit and its stdout (raise if it fails)."""
    start = time.perf_counter()
    run = subprocess.run(command, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if run.returncode != 0:
        raise RuntimeError(f"{command[:3]} failed ({run.returncode}): {run.stderr[-2000:]}")
    return seconds, run.stdout


def run_peer(script: Path, jsonl: Path, work: Path, env: dict[str, str]) -> tuple[float, dict[str, float]]:
    """Run the peer script on ``jsonl`` with a fresh ``datasets`` cache; return its wall time and its phases."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    cache = work / "hf-cache"
    command = [sys.executable, str(script), str(jsonl), str(work / "saved"), str(cache)]
    seconds, out = wall_time(command, {**env, "HF_DATASETS_CACHE": str(cache)})
    result = json.loads(out.strip().splitlines()[-1])
    shutil.rmtree(work, ignore_errors=True)
    return seconds, result


def run_build(jsonl: Path, corpus: Path, env: dict[str, str]) -> tuple[float, int]:
    """Run ``newscorpus build --config documents`` in a fresh corpus of only ``jsonl``; return wall time, articles."""
    shutil.rmtree(corpus, ignore_errors=True)
    (corpus / "raw").mkdir(parents=True)
    os.link(jsonl, corpus / "raw" / jsonl.name)  # the same bytes, not copied, in a corpus of its own
    cli = Path(sys.executable).with_name("newscorpus")
    command = [str(cli), "build", "--corpus", str(corpus), "--config", "documents", "--version", "1.0.0"]
    seconds, _ = wall_time([*command, "--processes", str(PROCESSES)], env)
    manifest = json.loads((corpus / "releases" / "1.0.0" / "manifest.json").read_text(encoding="utf-8"))
    shutil.rmtree(corpus, ignore_errors=True)
    return seconds, manifest["statistics"]["articles"]


def fig_peer(bench: Bench) -> list[Figure]:
    """``newscorpus build --config documents`` of one JSONL of N articles against the peer script, wall time."""
    n = bench.args.articles
    folder = bench.tmp / "peer"
    jsonl = generate_jsonl(folder / "articles.jsonl", n, bench.args.seed)
    script = folder / "peer.py"
    script.write_text(PEER_SCRIPT % {"processes": PROCESSES}, encoding="utf-8")
    env = {**os.environ, "NEWSCORPUS_CACHE": str(folder / "token-cache")}  # documents only: never tokenised
    bench.log(f"peer: {n:,} records, {jsonl.stat().st_size / 2**20:.1f} MiB in {jsonl}; the peer script is {script}")
    runs, peer_runs, phases = [], [], []
    for r in range(bench.args.repeat):
        for which in ("ours", "peer") if r % 2 == 0 else ("peer", "ours"):  # neither always goes first
            if which == "peer":
                seconds, result = run_peer(script, jsonl, folder / "peer-run", env)
                check(result.pop("rows") == n, f"the peer script saved {result} rows of {n:,}")
                peer_runs.append(seconds)
                phases.append(result)
                detail = ", ".join(f"{k} {v:.2f} s" for k, v in result.items())
                bench.log(f"peer script {r + 1}: {seconds:.2f} s ({detail})")
            else:
                seconds, articles = run_build(jsonl, folder / "corpus", env)
                check(articles == n, f"newscorpus build released {articles:,} of {n:,} articles")
                runs.append(seconds)
                bench.log(f"newscorpus build --config documents {r + 1}: {seconds:.2f} s")
    return [
        Figure(
            "peer", f"`newscorpus build --config documents` of one JSONL of {n:,} articles, wall time from process "
            f"start, {PROCESSES} processes", "s", runs, 1.0, "<=",
            f"the peer script: load_dataset('json'), Dataset.map(batched, num_proc={PROCESSES}) validating each "
            "record (pydantic) and hashing its text, save_to_disk; wall time from process start", "s", peer_runs,
            {"bytes": jsonl.stat().st_size, "processes": PROCESSES, "peer_phases": phases},
        )
    ]  # fmt: skip
