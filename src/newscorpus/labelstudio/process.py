"""Background servers: started detached with their output in a log file, waited for, and ended as a group.

A server started here runs in a session of its own, so it outlives the command
that started it and a later command can end it, and everything it started, by
the pid alone (kept in the caller's state file).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from newscorpus.core.errors import NewscorpusError


class ProcessError(NewscorpusError):
    """A background server ended while starting, or was not ready in time; the message names its log."""


@dataclass(frozen=True)
class Detached:
    """A server running in a session of its own, its output appended to ``log``."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path


def start_detached(name: str, command: list[str], env: dict[str, str], log: Path) -> Detached:
    """Start ``command`` in a session of its own, with no input, appending its output to ``log``."""
    with log.open("ab") as out:
        process = subprocess.Popen(
            command, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    return Detached(name, process, log)


def wait_until(server: Detached, ready: Callable[[], bool], goal: str, timeout: float) -> None:
    """Return once ``ready()`` is true; raise :class:`ProcessError` if the server ends first or ``timeout`` passes.

    ``goal`` says what ``ready`` waits for, as in "did not ``goal`` within …". The server
    is left as it is on failure: the caller knows what else to stop with it.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise ProcessError(
                f"{server.name} exited with code {server.process.returncode} while starting. See {server.log}."
            )
        if ready():
            return
        time.sleep(0.5)
    raise ProcessError(f"{server.name} did not {goal} within {timeout:.0f} s. See {server.log}.")


def _gone(pid: int, seconds: float) -> bool:
    """Wait up to ``seconds`` for the process group ``pid`` leads to end; return whether it did."""
    deadline = time.monotonic() + seconds
    while True:
        # A server this process started stays a zombie, and its group alive, until it is reaped.
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        try:
            os.killpg(pid, 0)
        except ProcessLookupError:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)


def end_group(pid: int, grace: float) -> bool:
    """End the process group ``pid`` leads: interrupt, then terminate, then kill; False if it was not running.

    Terminate comes after a few seconds because a server started from a background job
    inherits an ignored interrupt; kill after ``grace`` seconds.
    """
    for signum, wait in ((signal.SIGINT, min(3.0, grace)), (signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pid, signum)
        except ProcessLookupError:
            return signum != signal.SIGINT
        if _gone(pid, wait):
            return True
    return True
