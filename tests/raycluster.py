"""A real two-node Ray cluster on loopback only, in a network and PID namespace of its own (Linux, root).

Ray binds to every interface and looks up its own address, so the cluster, and every command that
talks to it, runs in a namespace whose only interface is loopback (``unshare --net``). The namespace
has its own PID space too: ``ray stop`` in it sees only this cluster, and killing the namespace's
holder ends everything in it, whatever a test did. The worker node lives in a nested PID namespace,
so killing the worker node is one SIGKILL that takes its raylet, its workers and its agents with
it, as a machine dying would, and leaves the head alone.

Used by tests/test_ray.py and benchmarks/fig_ray.py::

    with RayCluster(env={"NEWSCORPUS_CACHE": ...}) as cluster:
        cluster.run(["newscorpus", "build", "--ray", cluster.address, ...])
        cluster.kill_worker()
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from newscorpus.core.pool import _die_with

RAY = str(Path(sys.executable).with_name("ray"))  # the venv's, whatever PATH says
PORT = 6399  # fixed: every cluster has a network namespace of its own
ADDRESS = f"127.0.0.1:{PORT}"
OBJECT_STORE_BYTES = 200_000_000  # per node; Ray's default, 30 % of RAM, would reserve GiBs of /dev/shm per node

# PID 1 of a namespace: brings loopback up, runs its command (if any), says "ready", then reaps the
# orphans (Ray's daemons) until it is killed, which ends every process of its namespace.
_INIT = """
import os, subprocess, sys, time
subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
if len(sys.argv) > 1 and (done := subprocess.run(sys.argv[1:], capture_output=True, text=True)).returncode:
    sys.exit(f"{sys.argv[1:]} failed: {done.stderr}")
print("ready", flush=True)
while True:
    try:
        os.wait()
    except ChildProcessError:
        time.sleep(0.1)
"""


def _child(pid: int, timeout: float = 10.0) -> int:
    """Return the pid of the one child of ``pid`` (nsenter and unshare fork their command)."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            found = children.read_text().split()
        except FileNotFoundError:
            break
        if found:
            return int(found[0])
        time.sleep(0.01)
    raise RuntimeError(f"process {pid} has no child")


def _in_namespace(pid: str, namespace: str) -> bool:
    try:
        return str(Path(f"/proc/{pid}/ns/pid").readlink()) == namespace
    except OSError:  # gone meanwhile
        return False


def _wait_ready(process: subprocess.Popen[str], what: str) -> None:
    """Wait for ``process`` to print "ready"; raise with its stderr if it exits first."""
    assert process.stdout is not None
    if process.stdout.readline().strip() != "ready":
        process.kill()
        _, stderr = process.communicate(timeout=10)
        raise RuntimeError(f"{what} did not start (exit {process.returncode}): {stderr[-3000:]}")


class CpuUse:
    """The CPU time of the processes of some PID namespaces, by name, while :meth:`sample_until_stopped` runs."""

    def __init__(self, namespaces: dict[str, str]) -> None:
        self.namespaces = {link: name for name, link in namespaces.items()}
        self.stop = threading.Event()
        self.seconds = dict.fromkeys(namespaces, 0.0)
        self._first: dict[tuple[str, str, str], int] = {}  # (namespace, pid, start time): CPU ticks when first seen
        self._last: dict[tuple[str, str, str], int] = {}

    def _sample(self, first: bool) -> None:
        for proc in Path("/proc").iterdir():
            try:
                name = self.namespaces.get(str((proc / "ns" / "pid").readlink())) if proc.name.isdigit() else None
                if name is None:
                    continue
                fields = (proc / "stat").read_text().rpartition(")")[2].split()
            except OSError:  # gone meanwhile
                continue
            key, ticks = (name, proc.name, fields[19]), int(fields[11]) + int(fields[12])  # start time; utime + stime
            self._first.setdefault(key, ticks if first else 0)  # a process new since the start counts whole
            self._last[key] = ticks

    def sample_until_stopped(self) -> None:
        """Sample every 20 ms until ``stop`` is set; then set ``seconds``."""
        self._sample(first=True)
        while not self.stop.wait(0.02):
            self._sample(first=False)
        self._sample(first=False)
        for key, last in self._last.items():
            self.seconds[key[0]] += (last - self._first[key]) / os.sysconf("SC_CLK_TCK")


class Namespace:
    """A private network and PID namespace whose only interface is loopback; :meth:`close` kills everything in it."""

    def __init__(self) -> None:
        # Dies with the process that made it (PR_SET_PDEATHSIG), and --kill-child takes PID 1, so the namespace too.
        self.holder = subprocess.Popen(
            ["unshare", "--net", "--pid", "--fork", "--mount-proc", "--kill-child", sys.executable, "-c", _INIT],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=functools.partial(_die_with, os.getpid()),
        )
        _wait_ready(self.holder, "the namespace")
        self.pid = _child(self.holder.pid)
        """PID 1 of the namespace, as this side sees it: what nsenter targets."""

    def command(self, args: Sequence[str], cwd: Path | None = None) -> list[str]:
        """Return ``args`` as a command that runs inside the namespace, in ``cwd`` (default: this one)."""
        wd = Path(cwd or Path.cwd()).resolve()
        # Not nsenter --wd: it opens the folder before entering, so the working folder would stay a mount of
        # this side's mount namespace, and renaming from an absolute to a relative path fails with EXDEV.
        enter = ["nsenter", f"--target={self.pid}", "--net", "--pid", "--mount", "--"]
        return [*enter, "/bin/sh", "-c", 'cd -- "$0" && exec "$@"', str(wd), *args]

    def run(
        self, args: Sequence[str], *, env: Mapping[str, str] | None = None, timeout: float = 300, **kw: Any
    ) -> subprocess.CompletedProcess[str]:
        """Run ``args`` inside the namespace and return what it did (stdout and stderr captured as text)."""
        return subprocess.run(
            self.command(args, kw.pop("cwd", None)), env=env, timeout=timeout, capture_output=True, text=True, **kw
        )

    def popen(self, args: Sequence[str], *, env: Mapping[str, str] | None = None, **kw: Any) -> subprocess.Popen[str]:
        """Start ``args`` inside the namespace in the background (stdout and stderr piped, as text)."""
        kw.setdefault("stdout", subprocess.PIPE)
        kw.setdefault("stderr", subprocess.PIPE)
        return subprocess.Popen(self.command(args, kw.pop("cwd", None)), env=env, text=True, **kw)

    @staticmethod
    def inner_pid(process: subprocess.Popen[str]) -> int:
        """Return the pid of the command a :meth:`popen` runs (nsenter's child), to signal the command itself."""
        return _child(process.pid)

    def close(self) -> None:
        """Kill every process of the namespace (its PID 1 dies, so the kernel kills the rest)."""
        if self.holder.poll() is None:
            self.holder.kill()
        self.holder.communicate(timeout=30)


class RayCluster:
    """A head node and one worker node, ``cpus`` CPUs each, on 127.0.0.1:6399 in a :class:`Namespace` of their own.

    ``env`` is added to the environment of the nodes (so of every Ray worker process) and of
    :meth:`run`/:meth:`popen`. Each node gets a short temp folder of its own (Unix socket
    paths are limited to 107 bytes) under :attr:`dir`, which is also ``RAY_TMPDIR``: ``auto``
    finds this cluster there and no other. :attr:`seconds` holds how long the namespace and each
    node took to start.
    """

    address = ADDRESS

    def __init__(self, env: Mapping[str, str] | None = None, cpus: int = 1) -> None:
        self.cpus = cpus
        started = time.perf_counter()
        self.ns = Namespace()
        self.seconds = {"namespace": time.perf_counter() - started}
        self.dir = Path(tempfile.mkdtemp(prefix="rc-", dir="/tmp"))
        self.env = {k: v for k, v in os.environ.items() if k not in ("RAY_ADDRESS", "NEWSCORPUS_RAY_ADDRESS")}
        self.env.update({"RAY_USAGE_STATS_ENABLED": "0", "RAY_TMPDIR": str(self.dir), **(env or {})})
        self._worker: subprocess.Popen[str] | None = None
        self._workers_started = 0
        try:
            self._start_head()
            self.start_worker()
        except BaseException:
            self.close()
            raise

    def _node_args(self, name: str) -> list[str]:
        return [
            "--node-ip-address=127.0.0.1", f"--num-cpus={self.cpus}", f"--object-store-memory={OBJECT_STORE_BYTES}",
            "--disable-usage-stats", f"--temp-dir={self.dir / name}",
        ]  # fmt: skip

    def _start_head(self) -> None:
        started = time.perf_counter()
        # Its temp folder is Ray's default one under RAY_TMPDIR, where `ray start` notes the address for `auto`.
        args = [RAY, "start", "--head", f"--port={PORT}", "--include-dashboard=false", *self._node_args("ray")]
        done = self.run(args, timeout=120)
        if done.returncode:
            raise RuntimeError(f"the Ray head did not start: {done.stderr[-3000:]}")
        self.seconds["head"] = time.perf_counter() - started

    def start_worker(self) -> None:
        """Start the worker node (again, after :meth:`kill_worker`), in a PID namespace nested in the cluster's."""
        if self.worker_alive():
            raise RuntimeError("the worker node runs already")
        self._workers_started += 1
        started = time.perf_counter()
        args = [RAY, "start", f"--address={ADDRESS}", *self._node_args(f"w{self._workers_started}")]
        init = ["unshare", "--pid", "--fork", "--mount-proc", "--kill-child", sys.executable, "-c", _INIT, *args]
        self._worker = self.popen(init)
        _wait_ready(self._worker, "the Ray worker node")
        self._worker_ns = str(Path(f"/proc/{_child(self.ns.inner_pid(self._worker))}/ns/pid").readlink())
        self.seconds["worker"] = time.perf_counter() - started

    def worker_alive(self) -> bool:
        """Whether the worker node's processes run (Ray counts a killed node dead only after about 15 s)."""
        return self._worker is not None and self._worker.poll() is None

    def kill_worker(self) -> None:
        """Kill the worker node at once, every process of it (SIGKILL), as a machine dying would; the head lives on."""
        if self._worker is None or self._worker.poll() is not None:
            raise RuntimeError("no worker node runs")
        os.kill(self.ns.inner_pid(self._worker), signal.SIGKILL)  # the nested unshare: --kill-child ends its PID 1
        self._worker.communicate(timeout=30)
        deadline = time.monotonic() + 30
        while any(_in_namespace(p.name, self._worker_ns) for p in Path("/proc").iterdir() if p.name.isdigit()):
            if time.monotonic() > deadline:
                raise RuntimeError("the worker node's processes outlived its PID namespace's PID 1 by 30 s")
            time.sleep(0.05)  # the kernel kills the rest of the namespace once its PID 1 is gone

    @contextlib.contextmanager
    def cpu(self) -> Iterator[CpuUse]:
        """Measure the CPU time each node uses meanwhile: ``.seconds["head"]``, ``["worker"]`` once the block ends.

        The head's count includes the commands run in the cluster's namespace (drivers). Sampled every
        20 ms by a thread: Ray ends a job's worker processes when its driver leaves, and their time
        does not show in their parents' counts, so reading the processes afterwards would miss it.
        """
        use = CpuUse({"head": str(Path(f"/proc/{self.ns.pid}/ns/pid").readlink()), "worker": self._worker_ns})
        thread = threading.Thread(target=use.sample_until_stopped, daemon=True)
        thread.start()
        try:
            yield use
        finally:
            use.stop.set()
            thread.join()

    def tasks_started(self, name: str) -> dict[str, int]:
        """How many tasks of the remote function ``name`` each node has started: ``head``, ``worker`` (all its lives).

        Counted from the line Ray writes into a worker process's log file as it starts a task
        (":task_name:" and the name, by which its log monitor tells whose output a line is).
        """
        marker = f":task_name:{name}\n"
        folders = {
            "head": [self.dir / "ray"],
            "worker": [self.dir / f"w{i}" for i in range(1, self._workers_started + 1)],
        }
        return {
            node: sum(log.read_text(errors="replace").count(marker) for f in found for log in f.rglob("worker-*.out"))
            for node, found in folders.items()
        }

    def run(self, args: Sequence[str], *, timeout: float = 300, **kw: Any) -> subprocess.CompletedProcess[str]:
        """Run ``args`` in the cluster's namespace with the cluster's environment (plus ``env``)."""
        return self.ns.run(args, env={**self.env, **kw.pop("env", {})}, timeout=timeout, **kw)

    def popen(self, args: Sequence[str], **kw: Any) -> subprocess.Popen[str]:
        """Start ``args`` in the cluster's namespace in the background, with its environment (plus ``env``)."""
        return self.ns.popen(args, env={**self.env, **kw.pop("env", {})}, **kw)

    def close(self) -> None:
        """Stop the cluster, whatever state it is in: every process of its namespace dies; remove its temp folders."""
        try:
            self.ns.close()
            if self._worker is not None:
                self._worker.communicate(timeout=30)
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> RayCluster:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()
