"""The executor seam: jobs in order on the local pool; a Ray address checked before anything runs."""

from __future__ import annotations

import socket
import sys

import pytest

from newscorpus.core.errors import UsageError
from newscorpus.core.executor import ClusterError, LocalExecutor, RayExecutor, executor_for


def square(n: int) -> int:
    return n * n


@pytest.mark.parametrize("processes", [1, 2])
@pytest.mark.parametrize("chunk", [1, 3])
def test_the_local_executor_gives_results_in_job_order(processes: int, chunk: int) -> None:
    with LocalExecutor(processes) as executor:
        assert executor.workers == processes
        assert list(executor.map(square, range(50), chunk)) == [n * n for n in range(50)]


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
