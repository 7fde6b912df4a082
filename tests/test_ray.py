"""`--ray` against a real two-node Ray cluster on loopback (tests/raycluster.py): the same bytes as a local build.

The cluster and its drivers share a token cache of their own, so a cold cluster build is one
emptied folder, and the cache filling up is how far a build got. Corpora are generated
(benchmarks/generate.py: page copies with gold) plus one bad raw file; the local reference runs
`newscorpus build` on this machine's process pool, with the session's token cache.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import pytest

from benchmarks.generate import generate
from newscorpus.core.codes import Code
from newscorpus.core.executor import INLINE_WORK
from newscorpus.model.gold import ANNOTATIONS_DIR
from tests.conftest import FIXTURES, REPO
from tests.raycluster import ADDRESS, Namespace, RayCluster

NEWSCORPUS = [sys.executable, "-m", "newscorpus"]
BUILD = [*NEWSCORPUS, "build", "--version", "1.0.0", "--skip-invalid"]
BAD = "zz-no-header.txt"  # a page copy without its header: rejected with PAGECOPY_NO_HEADER
KILL_ARTICLES = 128  # enough that a cold cluster build with ner tokenises for several seconds on 1 + 1 CPUs
KILL_SEED = 12  # other texts than the other tests': a cache warmed by them is no help here
RecordProperty = Callable[[str, object], None]
PROGRESS = 0.1  # kill once this share of the articles is tokenised
JOB = "_apply_chunk"  # the remote function that runs the jobs of every map (newscorpus.core.executor)


def make_corpus(folder: Path, n: int, seed: int, gold_every: int = 1) -> Path:
    """Generate ``n`` articles into ``folder`` with the gold of every ``gold_every``-th one, plus one bad raw file."""
    generate(folder, n, seed)
    for i, gold in enumerate(sorted((folder / ANNOTATIONS_DIR).glob("*.json"))):
        if i % gold_every:
            gold.unlink()
    shutil.copy(FIXTURES / "bad" / "no-header.txt", folder / "raw" / BAD)
    return folder


def release_files(corpus: Path) -> dict[str, bytes]:
    """Every file under ``corpus``'s releases folder by its path, but the build lock's (temp folders included)."""
    releases = corpus / "releases"
    return {
        p.relative_to(releases).as_posix(): p.read_bytes()
        for p in sorted(releases.rglob("*"))
        if p.is_file() and p.name != ".lock"
    }


def local_build(source: Path, folder: Path, cache: Path | None = None) -> dict[str, bytes]:
    """Copy the corpus ``source`` to ``folder``, build release 1.0.0 there on this machine, return its files.

    With ``cache``, that is the token cache, else the session's.
    """
    shutil.copytree(source, folder)
    env = os.environ | ({"NEWSCORPUS_CACHE": str(cache)} if cache else {})
    done = subprocess.run([*BUILD, "--corpus", str(folder)], capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    files = release_files(folder)
    assert "1.0.0/manifest.json" in files
    assert BAD in files["1.0.0/manifest.json"].decode()  # the bad raw file is listed as rejected
    return files


def cache_bytes(folder: Path) -> int:
    """The bytes a token cache folder holds, in whatever layout: they grow as articles are tokenised."""
    total = 0
    for path in folder.rglob("*"):
        with contextlib.suppress(OSError):  # a temp file renamed meanwhile
            total += path.stat().st_size if path.is_file() else 0
    return total


def one_error(stderr: str) -> None:
    """Assert that ``stderr`` holds one `Error:` message and no traceback."""
    assert "Traceback" not in stderr, stderr[-3000:]
    assert stderr.count("Error:") == 1, stderr[-3000:]


def clear(cache: Path) -> None:
    """Empty a token cache folder: the next build is cold."""
    shutil.rmtree(cache, ignore_errors=True)
    cache.mkdir()


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The token cache of the cluster's nodes and drivers."""
    return tmp_path_factory.mktemp("ray-cache")


@pytest.fixture(scope="module")
def started(cache: Path) -> Iterator[RayCluster]:
    """One cluster for the module (per xdist worker: each in a namespace of its own, so two never clash)."""
    with RayCluster(env={"NEWSCORPUS_CACHE": str(cache)}) as started:
        yield started


@pytest.fixture
def cluster(started: RayCluster) -> RayCluster:
    """The module's cluster with its worker node running (a test before may have killed it)."""
    if not started.worker_alive():
        started.start_worker()
    return started


@dataclass(frozen=True)
class KillReference:
    """The corpus of the kill tests, its release as built locally, and the bytes of its tokens in a cache."""

    source: Path
    files: dict[str, bytes]
    cache_bytes: int


@pytest.fixture(scope="module")
def kill_reference(tmp_path_factory: pytest.TempPathFactory) -> KillReference:
    root = tmp_path_factory.mktemp("ray-kill")
    source = make_corpus(root / "source", KILL_ARTICLES, KILL_SEED)
    files = local_build(source, root / "local", cache=root / "cache")
    return KillReference(source, files, cache_bytes(root / "cache"))


def build_until_progress(
    cluster: RayCluster, cache: Path, reference: KillReference, corpus: Path
) -> subprocess.Popen[str]:
    """Start a cold `build --ray` of ``corpus`` and return it once it has tokenised ``PROGRESS`` of the articles."""
    clear(cache)
    build = cluster.popen([*BUILD, "--ray", ADDRESS, "--corpus", str(corpus)])
    deadline = time.monotonic() + 300
    while cache_bytes(cache) < PROGRESS * reference.cache_bytes:
        if build.poll() is not None:
            _, stderr = build.communicate()
            pytest.fail(f"the build ended (exit {build.returncode}) before making progress: raise KILL_ARTICLES. "
                        f"{stderr[-3000:]}")  # fmt: skip
        assert time.monotonic() < deadline, "the build made no progress in 300 s"
        time.sleep(0.05)
    return build


@pytest.mark.integration
@pytest.mark.ray
def test_cluster_build_is_the_local_release_byte_for_byte(
    cluster: RayCluster, cache: Path, tmp_path: Path, record_property: RecordProperty
) -> None:
    record_property("cluster_start_seconds", cluster.seconds)
    source = make_corpus(tmp_path / "source", 80, seed=11, gold_every=2)
    local = local_build(source, tmp_path / "local")
    shutil.copytree(source, tmp_path / "onray")
    clear(cache)
    before = cluster.tasks_started(JOB)
    # A relative --corpus from another folder than the nodes': it must reach them resolved.
    done = cluster.run([*BUILD, "--ray", ADDRESS, "--corpus", "onray"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert release_files(tmp_path / "onray") == local  # every file, the manifest included
    assert cache_bytes(cache) > 0  # tokenised on the cluster, into the cluster's cold cache
    jobs = {node: n - before[node] for node, n in cluster.tasks_started(JOB).items()}
    record_property("jobs_by_node", jobs)
    assert all(n > 0 for n in jobs.values()), jobs  # both nodes ran jobs of the build


@pytest.mark.integration
@pytest.mark.ray
def test_cluster_validate_reports_a_bad_file_as_locally(cluster: RayCluster, tmp_path: Path) -> None:
    corpus = make_corpus(tmp_path / "corpus", 30, seed=13, gold_every=2)
    command = [*NEWSCORPUS, "validate", "--json", "--corpus", str(corpus)]
    local = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert local.returncode == 1, local.stderr[-3000:]
    problems = json.loads(local.stdout)["problems"]
    assert [(p["file"], p["code"]) for p in problems] == [(f"raw/{BAD}", Code.PAGECOPY_NO_HEADER)]
    on_flag = cluster.run([*command, "--ray", ADDRESS])
    on_variable = cluster.run(command, env={"NEWSCORPUS_RAY_ADDRESS": "auto"})  # auto: the cluster of this node
    for done in (on_flag, on_variable):
        assert (done.returncode, done.stdout) == (local.returncode, local.stdout), done.stderr[-3000:]


ARRAYS_ON_RAY = """
import sys
from newscorpus.core.executor import RayExecutor

def typed_array(_):
    import os
    import pyarrow as pa

    pa.array([1, 2], pa.int64())  # pyarrow's first conversion in a fresh worker: it looks for pandas
    return os.getpid(), "pandas" in sys.modules

with RayExecutor(sys.argv[1]) as executor:
    print(sorted(set(executor.map(typed_array, range(8)))))
"""


WORK_ON_RAY = """
import sys
from functools import partial
from newscorpus.core.executor import INLINE_WORK, RayExecutor

def measured(data, n):
    return n, len(data)

with RayExecutor(sys.argv[1]) as executor:
    for size in (10, 4 * INLINE_WORK):  # with each task, then through the object store
        print(list(executor.map(partial(measured, b"x" * size), range(5), chunk=2)))
"""


@pytest.mark.integration
@pytest.mark.ray
def test_small_and_big_work_reach_the_cluster_s_jobs(cluster: RayCluster) -> None:
    """A small work travels with each task, a big one through the object store: the jobs get it either way."""
    done = cluster.run([sys.executable, "-c", WORK_ON_RAY, ADDRESS])
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.splitlines()[-2:] == [str([(n, size) for n in range(5)]) for size in (10, 4 * INLINE_WORK)]


@pytest.mark.integration
@pytest.mark.ray
def test_cluster_workers_spare_pyarrow_s_import_of_pandas(cluster: RayCluster) -> None:
    done = cluster.run([sys.executable, "-c", ARRAYS_ON_RAY, ADDRESS])
    assert done.returncode == 0, done.stderr[-3000:]
    assert "(" in done.stdout  # a worker answered
    assert "True" not in done.stdout


@pytest.mark.integration
@pytest.mark.ray
@pytest.mark.parametrize(("command", "address"), [("build", "127.0.0.1:1"), ("validate", "auto")])
def test_no_cluster_at_the_address_is_one_clear_error(
    command: str, address: str, corpus: Path, tmp_path: Path, record_property: RecordProperty
) -> None:
    namespace = Namespace()  # loopback only, and no cluster in it
    try:
        # RAY_TMPDIR: no note of another cluster's address for `auto` to find.
        env = {k: v for k, v in os.environ.items() if "RAY" not in k} | {"RAY_TMPDIR": str(tmp_path)}
        started = time.monotonic()
        done = namespace.run([*NEWSCORPUS, command, "--corpus", str(corpus), "--ray", address], env=env)
        record_property("seconds", round(time.monotonic() - started, 2))
    finally:
        namespace.close()
    assert done.returncode == 1, done.stderr[-3000:]
    one_error(done.stderr)
    assert "Ray cluster" in done.stderr
    assert address in done.stderr or address == "auto"
    assert not (corpus / "releases").exists() or not any((corpus / "releases").glob("[!.]*"))


def test_ray_without_the_extra_says_how_to_install_it(corpus: Path) -> None:
    # `import ray` fails as if the extra were not installed: None in sys.modules makes it raise ImportError.
    shim = "import sys, runpy; sys.modules['ray'] = None; runpy.run_module('newscorpus', run_name='__main__')"
    done = subprocess.run(
        [sys.executable, "-c", shim, "build", "--corpus", str(corpus), "--ray", ADDRESS],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr[-3000:]
    one_error(done.stderr)
    assert "pip install 'newscorpus[ray]'" in done.stderr
    assert not (corpus / "releases" / "1.0.0").exists()


def test_ray_is_an_extra_pinned_in_the_lock_next_to_pyarrow() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["optional-dependencies"]["ray"] == ["ray[data]>=2.60,<2.61"]
    assert not any(dependency.startswith("ray") for dependency in project["dependencies"])
    lock = (REPO / "requirements" / "lock.txt").read_text(encoding="utf-8")
    assert "--extra dev --extra ray" in lock.splitlines()[1]  # how it was compiled, so ./scripts/test installs Ray
    pins = dict(line.split("==") for line in lock.splitlines() if "==" in line and not line.startswith(" "))
    assert pins["ray"].startswith("2.60.")
    assert pins["pyarrow"].split(".")[0] == "26"  # the one datasets needs, and Ray takes it
    assert {name: version(name) for name in ("ray", "pyarrow")} == {"ray": pins["ray"], "pyarrow": pins["pyarrow"]}


def test_cli_imports_ray_only_for_ray() -> None:
    code = "import sys; from newscorpus.cli import app; print('ray' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.strip() == "False"


@pytest.mark.integration
@pytest.mark.ray
def test_driver_killed_mid_build_leaves_no_release_and_a_healthy_cluster(
    cluster: RayCluster, cache: Path, kill_reference: KillReference, tmp_path: Path
) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(kill_reference.source, corpus)
    build = build_until_progress(cluster, cache, kill_reference, corpus)
    os.kill(cluster.ns.inner_pid(build), signal.SIGKILL)  # the driver itself, not nsenter
    build.communicate(timeout=60)
    assert build.returncode != 0
    left = {p.name for p in (corpus / "releases").iterdir()}
    assert "1.0.0" not in left
    assert all(name == ".lock" or name.startswith(".tmp-") for name in left), left  # a killed build's temp folder
    again = cluster.run([*BUILD, "--ray", ADDRESS, "--corpus", str(corpus)])
    assert again.returncode == 0, again.stderr[-3000:]
    assert release_files(corpus) == kill_reference.files
    assert {p.name for p in (corpus / "releases").iterdir()} - {".lock"} == {"1.0.0"}  # the killed build's temp too


@pytest.mark.integration
@pytest.mark.ray
def test_worker_node_killed_mid_build_is_survived_or_cleanly_refused(
    cluster: RayCluster,
    cache: Path,
    kill_reference: KillReference,
    tmp_path: Path,
    record_property: RecordProperty,
) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(kill_reference.source, corpus)
    build = build_until_progress(cluster, cache, kill_reference, corpus)
    record_property("killed_at_cache_share", cache_bytes(cache) / kill_reference.cache_bytes)
    cluster.kill_worker()
    _, stderr = build.communicate(timeout=600)
    releases = release_files(corpus)
    record_property("build_exit", build.returncode)  # 0: survived, else refused
    if build.returncode == 0:
        assert releases == kill_reference.files
        assert {p.name for p in (corpus / "releases").iterdir()} - {".lock"} == {"1.0.0"}
    else:  # refused: one clear message, no release and no temp folder left
        one_error(stderr)
        assert releases == {}
        assert not any(p.name != ".lock" for p in (corpus / "releases").iterdir())
