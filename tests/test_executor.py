"""The executor seam: jobs in order on the local pool; a Ray address and its nodes checked before anything runs."""

from __future__ import annotations

import gc
import os
import pickle
import shutil
import socket
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import TypeVar

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from newscorpus.core.errors import UsageError
from newscorpus.core.executor import (
    ClusterError,
    LocalExecutor,
    RayExecutor,
    _apply_chunk,
    _probe,
    _versions,
    executor_for,
)
from newscorpus.core.pool import YOUNG_OBJECTS
from newscorpus.release.build import build
from tests.helpers import square_and_pid

J = TypeVar("J")
R = TypeVar("R")


def square(n: int) -> int:
    return n * n


@pytest.mark.parametrize("processes", [1, 2])
@pytest.mark.parametrize("chunk", [1, 3])
def test_the_local_executor_gives_results_in_job_order(processes: int, chunk: int) -> None:
    with LocalExecutor(processes) as executor:
        assert executor.workers == processes
        assert list(executor.map(square, range(50), chunk)) == [n * n for n in range(50)]


def die(_: int) -> int:
    os._exit(3)


def test_the_local_executor_keeps_its_workers_for_every_map_until_it_is_closed() -> None:
    with LocalExecutor(2) as executor:
        runs = [list(executor.map(square_and_pid, range(30), 3)) for _ in range(3)]
        assert all([r for r, _ in run] == [n * n for n in range(30)] for run in runs)
    workers = {pid for run in runs for _, pid in run}
    assert 1 <= len(workers) <= 2
    assert os.getpid() not in workers
    for pid in workers:
        with pytest.raises(ProcessLookupError):  # ended and reaped by close
            os.kill(pid, 0)


def test_an_executor_dropped_without_close_ends_its_workers() -> None:
    executor = LocalExecutor(2)
    workers = {pid for _, pid in executor.map(square_and_pid, range(20))}
    del executor
    gc.collect()
    deadline = time.monotonic() + 30
    while any(_running(pid) for pid in workers):
        assert time.monotonic() < deadline, "the workers of a dropped executor still run"
        time.sleep(0.05)


def _running(pid: int) -> bool:
    """Whether process ``pid`` runs (gone, or a zombie waiting for its parent to reap it: not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_worker_that_dies_fails_its_map_and_the_next_map_gets_new_workers() -> None:
    with LocalExecutor(2) as executor:
        with pytest.raises(BrokenProcessPool):
            list(executor.map(die, range(4)))
        assert [r for r, _ in executor.map(square_and_pid, range(10))] == [n * n for n in range(10)]


def test_without_an_address_the_executor_is_the_local_one() -> None:
    assert isinstance(executor_for(2), LocalExecutor)
    assert executor_for(2).workers == 2


@pytest.mark.parametrize("address", ["127.0.0.1", "nohost:port", ":6379"])
def test_a_malformed_address_is_a_usage_error_naming_the_form(address: str) -> None:
    pytest.importorskip("ray")
    with pytest.raises(UsageError, match="HOST:PORT"):
        RayExecutor(address)


def test_an_address_where_nothing_listens_fails_at_once_naming_the_address() -> None:
    pytest.importorskip("ray")
    with socket.socket() as probe:  # a loopback port that was free a moment ago
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ClusterError, match=f"No Ray cluster answers at 127.0.0.1:{port}"):
        RayExecutor(f"127.0.0.1:{port}")


def test_without_ray_installed_the_error_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # what `import ray` meets when the extra is missing
    with pytest.raises(UsageError, match=r"pip install 'newscorpus\[ray\]'"):
        executor_for(ray="127.0.0.1:6379")


@pytest.fixture
def unfrozen() -> Iterator[None]:
    """Give back what a test froze and the collection threshold it set: the rest of the session collects as before."""
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_a_ray_task_freezes_its_workers_imports_once_and_collects_seldom(unfrozen: None) -> None:
    gc.unfreeze()
    gc.set_threshold(700, 10, 10)
    assert pickle.loads(_apply_chunk(pickle.dumps(square), pickle.dumps([1, 2, 3]))) == [1, 4, 9]  # noqa: S301 - one piece
    frozen = gc.get_freeze_count()
    assert frozen > 0  # the imports of this process, at least
    assert gc.get_threshold() == (YOUNG_OBJECTS, 10, 10)
    garbage = [object() for _ in range(1000)]
    assert pickle.loads(_apply_chunk(pickle.dumps(square), pickle.dumps([4]))) == [16]  # noqa: S301 - made here
    assert gc.get_freeze_count() == frozen  # once per process: what later tasks make stays collectable
    del garbage


@settings(max_examples=25)
@given(st.sampled_from(sorted(_versions())), st.text(max_size=8))
def test_a_probe_on_a_node_unlike_the_driver_only_reports_its_versions(package: str, version: str) -> None:
    mine = _versions()
    driver = mine | {package: version}
    assume(driver != mine)
    assert _probe(driver, ("newscorpus_no_such_module",)) == mine  # importing it would fail: not tried


def test_a_probe_on_a_node_like_the_driver_imports_the_modules_its_jobs_need(
    unfrozen: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delitem(sys.modules, "newscorpus.core.plural", raising=False)
    assert _probe(_versions(), ("newscorpus.core.plural",)) == _versions()
    assert "newscorpus.core.plural" in sys.modules
    assert gc.get_freeze_count() > 0


class _Probed:
    """What ``RayExecutor._checked`` needs of Ray: ``get`` of a probe's result (here the result itself)."""

    @staticmethod
    def get(ref: dict[str, str]) -> dict[str, str]:
        return ref


def test_a_node_with_other_versions_is_refused_before_any_job_naming_the_package(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    executor = RayExecutor.__new__(RayExecutor)  # no cluster: only the check of the probes' answers
    executor._ray = _Probed()
    executor._mine = _versions()  # what _probe_nodes reads before it sends the probes
    other = _versions() | {"pyarrow": "0.0.1"}
    like, unlike = {"NodeManagerAddress": "127.0.0.7"}, {"NodeManagerAddress": "127.0.0.8"}
    executor._probes = [(like, _versions()), (unlike, other)]
    with pytest.raises(ClusterError, match=r"127\.0\.0\.8 runs pyarrow 0\.0\.1 \(here "):
        executor._checked()
    with pytest.raises(ClusterError):  # still refused: a failed check is not forgotten
        executor._checked()
    executor._probes = [(like, _versions())]
    executor._checked()
    assert executor._probes == []  # checked once: later maps do not wait again

    def unread() -> dict[str, str]:
        raise AssertionError("a later map read the packages' versions again")

    monkeypatch.setattr("newscorpus.core.executor._versions", unread)
    executor._checked()  # nor read the packages' metadata (176 files a build)


class _Counting(LocalExecutor):
    """This process as the executor, counting its maps and whether it was closed."""

    def __init__(self) -> None:
        super().__init__(1)
        self.maps, self.closed = 0, False

    def map(self, work: Callable[[J], R], jobs: Iterable[J], chunk: int = 1) -> Iterator[R]:
        self.maps += 1
        return super().map(work, jobs, chunk)

    def close(self) -> None:
        self.closed = True


def test_a_build_runs_on_the_executor_it_is_given_and_leaves_it_open(corpus: Path, tmp_path: Path) -> None:
    other = tmp_path / "elsewhere"
    shutil.copytree(corpus, other)
    given = _Counting()
    made = build(corpus, "1.0.0", executor=given)
    assert given.maps > 0
    assert not given.closed  # its owner (the CLI) closes it
    reference = build(other, "1.0.0", processes=1)
    assert made.manifest.to_json() == reference.manifest.to_json()
    for entry in made.manifest.files:
        assert (made.path / entry.path).read_bytes() == (reference.path / entry.path).read_bytes()
