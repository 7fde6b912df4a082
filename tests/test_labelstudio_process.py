"""Background servers (``labelstudio.process``) and folder layouts (``core.layout``): real short-lived processes."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from newscorpus.core.layout import Part
from newscorpus.labelstudio import postgres as pg
from newscorpus.labelstudio.home import Home
from newscorpus.labelstudio.process import Detached, ProcessError, end_group, start_detached, wait_until


def _python(tmp_path: Path, code: str) -> Detached:
    """Start ``code`` as a detached Python server logging to ``tmp_path/server.log``."""
    return start_detached("The toy server", [sys.executable, "-c", code], dict(os.environ), tmp_path / "server.log")


def test_a_detached_server_is_waited_for_logs_its_output_and_leads_its_own_group(tmp_path: Path) -> None:
    flag = tmp_path / "ready"
    code = f"import pathlib, time; print('listening', flush=True); pathlib.Path({str(flag)!r}).touch(); time.sleep(60)"
    server = _python(tmp_path, code)
    try:
        wait_until(server, flag.exists, "say it is ready", timeout=60)
        assert server.process.poll() is None  # still running: waiting did not end it
        assert os.getpgid(server.process.pid) == server.process.pid  # ends, with all it started, by its pid
        assert os.getsid(server.process.pid) != os.getsid(0)  # a session of its own: it outlives this command
        assert "listening" in (tmp_path / "server.log").read_text(encoding="utf-8")
    finally:
        assert end_group(server.process.pid, grace=5.0)
    assert server.process.poll() is not None


def test_a_server_that_dies_while_starting_is_an_error_naming_its_exit_code_and_log(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    log.write_text("an earlier run\n", encoding="utf-8")
    server = _python(tmp_path, "import sys; print('no such database', flush=True); sys.exit(3)")
    with pytest.raises(ProcessError) as raised:
        wait_until(server, lambda: False, "say it is ready", timeout=60)
    assert str(raised.value) == f"The toy server exited with code 3 while starting. See {log}."
    assert log.read_text(encoding="utf-8") == "an earlier run\nno such database\n"  # appended, never truncated


def test_a_server_that_is_never_ready_is_an_error_naming_what_it_did_not_do_and_its_log(tmp_path: Path) -> None:
    server = _python(tmp_path, "import time; time.sleep(60)")
    try:
        with pytest.raises(ProcessError) as raised:
            wait_until(server, lambda: False, "answer http://127.0.0.1:1/health", timeout=1)
        assert str(raised.value) == (
            f"The toy server did not answer http://127.0.0.1:1/health within 1 s. See {tmp_path / 'server.log'}."
        )
        assert server.process.poll() is None  # the caller decides what to stop with it
    finally:
        end_group(server.process.pid, grace=5.0)


def test_a_layout_is_a_table_of_parts_below_the_root(tmp_path: Path) -> None:
    home = Home(tmp_path / ".labelstudio")
    assert home.sqlite == tmp_path / ".labelstudio" / "data" / "label_studio.sqlite3"
    assert home.credentials == tmp_path / ".labelstudio" / "credentials.json"
    assert home.postgres.log == tmp_path / ".labelstudio" / "postgres" / "postgres.log"
    assert pg.Cluster(tmp_path).data == tmp_path / "data"
    on_the_class = Home.credentials
    assert isinstance(on_the_class, Part)  # so help(Home) and the docs see what each path holds
    assert on_the_class.__doc__ == "The admin login and API token, mode 0600."
    assert Home(tmp_path) == Home(tmp_path)  # the root is still the one field
