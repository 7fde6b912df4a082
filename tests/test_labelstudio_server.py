"""The Label Studio server and its database: PostgreSQL by default, SQLite on request, and a load test.

The PostgreSQL tests make real clusters with the machine's PostgreSQL; the server tests use the
session's real Label Studio server (see ``ls_conn``) and a second one started from a copy of its
database, so no test waits for Label Studio's migrations.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import socket
import sqlite3
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from benchmarks.fig_load_test import Annotation, check_pull, load_figures, load_test
from benchmarks.generate import generate
from newscorpus.labelstudio import postgres as pg
from newscorpus.labelstudio.home import Home, default_home, load_or_create_credentials
from newscorpus.labelstudio.server import _environment, _note_backend, running_url, status, stop
from newscorpus.model.gold import AnnotationRef, GoldFile, TopicGold, gold_path
from tests.conftest import delete_project

pytestmark = pytest.mark.integration


@pytest.fixture
def private_folder() -> Iterator[Path]:
    """A new folder only its owner may enter (as /root is), removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="newscorpus-pg-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _psql(port: int, password: str, sql: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PGPASSWORD": password, "PGCONNECT_TIMEOUT": "5"}
    command = [str(pg.binaries() / "psql"), "-h", "127.0.0.1", "-p", str(port), "-U", pg.USER, "-d", pg.DATABASE]
    return subprocess.run([*command, "-Atc", sql], capture_output=True, text=True, env=env, check=False)


def _listening_addresses(port: int) -> set[str]:
    """Return the local addresses (hex, as /proc/net shows them) of the sockets listening on ``port``."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text(encoding="ascii").splitlines()[1:]:
            fields = line.split()
            address, hex_port = fields[1].rsplit(":", 1)
            if fields[3] == "0A" and int(hex_port, 16) == port:
                found.add(address)
    return found


# --- credentials, environment, switching (no server) -------------------------------------------------------------


def test_an_older_home_gains_a_database_password_and_keeps_its_login(tmp_path: Path) -> None:
    home = Home(tmp_path / ".labelstudio")
    home.root.mkdir()
    old = {"username": "admin@newscorpus.local", "password": "pw", "token": "tok", "secret_key": "key"}
    home.credentials.write_text(json.dumps(old), encoding="utf-8")
    first = load_or_create_credentials(home)
    assert {k: first[k] for k in old} == old  # the server's login and token still work
    assert len(first["postgres_password"]) >= 24
    assert load_or_create_credentials(home) == first  # made once, then kept
    assert stat.S_IMODE(home.credentials.stat().st_mode) == 0o600


def test_the_server_gets_its_database_from_us_never_from_the_callers_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = Home(tmp_path / ".labelstudio")
    credentials = load_or_create_credentials(home)
    for name, value in {
        "LABEL_STUDIO_POSTGRE_HOST": "10.1.2.3", "POSTGRE_PORT": "1", "HEARTEX_POSTGRE_PASSWORD": "x",
        "DJANGO_DB": "mysql", "LABEL_STUDIO_DATABASE_NAME": "/elsewhere.sqlite3", "LABEL_STUDIO_HOST": "example.org",
    }.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    env = _environment(home, credentials, 5555)
    assert env["DJANGO_DB"] == "default"  # Label Studio's name for PostgreSQL
    assert (env["POSTGRE_HOST"], env["POSTGRE_PORT"], env["POSTGRE_NAME"]) == ("127.0.0.1", "5555", "labelstudio")
    assert (env["POSTGRE_USER"], env["POSTGRE_PASSWORD"]) == (pg.USER, credentials["postgres_password"])
    # Label Studio reads LABEL_STUDIO_X before HEARTEX_X before X: none of the caller's may remain.
    for gone in (
        "LABEL_STUDIO_POSTGRE_HOST",
        "HEARTEX_POSTGRE_PASSWORD",
        "LABEL_STUDIO_DATABASE_NAME",
        "LABEL_STUDIO_HOST",
    ):
        assert gone not in env
    on_sqlite = _environment(home, credentials, None)
    assert on_sqlite["DJANGO_DB"] == "sqlite"
    assert not any("POSTGRE" in name for name in on_sqlite)


def test_switching_to_postgresql_says_the_sqlite_projects_stay_and_drops_the_ledgers(tmp_path: Path) -> None:
    home = Home(tmp_path / ".labelstudio")
    home.data.mkdir(parents=True)
    home.sqlite.write_bytes(b"SQLite format 3\x00 the projects")  # a home from before PostgreSQL
    home.ledgers.mkdir()
    (home.ledgers / "abc-1.json").write_text("{}", encoding="utf-8")
    said: list[str] = []
    _note_backend(home, "postgresql", said.append)
    message = " ".join(said)
    assert "Switching from SQLite to PostgreSQL" in message
    assert str(home.sqlite) in message
    assert "not copied" in message
    assert "`newscorpus labelstudio serve --sqlite` serves them again" in message
    assert home.sqlite.read_bytes() == b"SQLite format 3\x00 the projects"  # nothing lost
    assert not home.ledgers.exists()  # their project ids name the other database's projects
    said.clear()
    _note_backend(home, "postgresql", said.append)
    assert said == []  # no switch, nothing to say
    _note_backend(home, "sqlite", said.append)
    assert "Switching from PostgreSQL to SQLite" in said[0]
    assert str(home.postgres.root) in said[0]


@pytest.mark.parametrize("interrupt", ["default", "ignored"])
def test_stop_ends_a_server_of_its_own_at_once_even_one_that_ignores_the_interrupt(interrupt: str) -> None:
    """A server started here stays a zombie until reaped; one started from a background job ignores SIGINT."""
    import sys
    import time

    from newscorpus.labelstudio.process import end_group

    handler = "signal.SIG_IGN" if interrupt == "ignored" else "signal.default_int_handler"
    code = f"import signal, time; signal.signal(signal.SIGINT, {handler}); print(1, flush=True); time.sleep(60)"
    server = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, start_new_session=True)
    assert server.stdout is not None
    assert server.stdout.readline() == b"1\n"  # its handler is set
    began = time.monotonic()
    assert end_group(server.pid, grace=20.0)
    assert time.monotonic() - began < 6.0  # not the 20 s grace
    assert server.poll() is not None
    assert not end_group(server.pid, grace=20.0)  # nothing left to stop
    server.stdout.close()


# --- the PostgreSQL cluster ---------------------------------------------------------------------------------------


def test_a_cluster_listens_on_127_0_0_1_only_wants_its_password_and_stops(private_folder: Path) -> None:
    cluster = pg.Cluster(private_folder / ".labelstudio" / "postgres")
    opened = pg.prepare(cluster)
    (cluster.root / "data.partial").mkdir()  # left by an interrupted first start
    (cluster.root / "data.partial" / "junk").write_text("x", encoding="utf-8")
    pg.init(cluster, "the-password")
    assert cluster.exists()
    assert not (cluster.root / "data.partial").exists()
    assert not (cluster.root / ".password").exists()
    if os.geteuid() == 0:  # PostgreSQL refuses root: the cluster is the postgres user's, who can reach it
        assert cluster.root.stat().st_uid == pg._owner().pw_uid  # type: ignore[union-attr]
        assert opened == [private_folder]
        assert stat.S_IMODE(private_folder.stat().st_mode) & stat.S_IXOTH
    assert stat.S_IMODE(cluster.data.stat().st_mode) == 0o700
    port = _free_port()
    pg.start(cluster, port)
    try:
        assert pg.running_port(cluster) == port
        assert _listening_addresses(port) == {"0100007F"}  # 127.0.0.1, nothing else, no IPv6
        shown = _psql(port, "the-password", "SHOW listen_addresses; SHOW unix_socket_directories; SELECT 1")
        assert shown.returncode == 0, shown.stderr
        assert shown.stdout.split("\n")[:3] == ["127.0.0.1", "", "1"]
        refused = _psql(port, "not-the-password", "SELECT 1")
        assert refused.returncode != 0
        assert "password authentication failed" in refused.stderr
    finally:
        assert pg.stop(cluster)
    assert pg.running_port(cluster) is None
    assert _listening_addresses(port) == set()
    assert not pg.stop(cluster)


def test_missing_postgresql_programs_name_the_fix(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NEWSCORPUS_POSTGRES_BIN", str(tmp_path))
    with pytest.raises(pg.PostgresError) as raised:
        pg.binaries()
    assert "apt-get install -y postgresql-15" in str(raised.value)
    assert "--sqlite" in str(raised.value)


# --- the real server ----------------------------------------------------------------------------------------------


def _copy_database(main: Home, home: Home, backend: str) -> None:
    """Give ``home`` a copy of the session server's database, so the second server needs no migrations."""
    if backend == "sqlite":
        home.data.mkdir(parents=True)
        with (
            contextlib.closing(sqlite3.connect(f"file:{main.sqlite}?mode=ro", uri=True)) as source,
            contextlib.closing(sqlite3.connect(home.sqlite)) as copy,
        ):
            source.backup(copy)
        return
    # A base backup of the running cluster: consistent while the other tests write to it.
    port = status(main).postgres_port
    cluster = home.postgres
    pg.prepare(cluster)
    password = load_or_create_credentials(main)["postgres_password"]
    bindir = pg.binaries(pg.cluster_version(main.postgres))
    address = ["-h", "127.0.0.1", "-p", str(port), "-U", pg.USER]
    command = [str(bindir / "pg_basebackup"), *address, "-D", str(cluster.data)]
    copied = subprocess.run(command, env={**os.environ, "PGPASSWORD": password}, capture_output=True, text=True)
    assert copied.returncode == 0, copied.stderr
    if (owner := pg._owner()) is not None:
        shutil.chown(cluster.data, owner.pw_name, owner.pw_name)
        for path in cluster.data.rglob("*"):
            shutil.chown(path, owner.pw_name, owner.pw_name)
    cluster.data.chmod(0o700)


def test_serve_says_its_database_and_port_status_reports_both_and_stop_stops_both(
    ls_conn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second server (its own home, the installed Label Studio) asked for the port the first one holds."""
    from typer.testing import CliRunner

    from newscorpus.cli import app

    if os.environ.get("LABEL_STUDIO_URL"):
        pytest.skip("an external server: no local install to start a second one from")
    main = default_home()
    backend = status(main).backend
    assert backend in ("postgresql", "sqlite")
    home = Home(Path(tempfile.mkdtemp(prefix="newscorpus-ls-")) / ".labelstudio")
    monkeypatch.setenv("NEWSCORPUS_LABELSTUDIO_HOME", str(home.root))
    taken = int(ls_conn.url.rsplit(":", 1)[1])
    flag = ["--sqlite"] if backend == "sqlite" else []
    other = [] if backend == "sqlite" else ["--sqlite"]
    runner = CliRunner()
    try:
        home.root.mkdir()
        home.venv.symlink_to(main.venv)
        shutil.copy(main.credentials, home.credentials)
        _copy_database(main, home, backend)
        served = runner.invoke(app, ["labelstudio", "serve", "--port", str(taken), *flag])
        assert served.exit_code == 0, served.output
        said = " ".join(served.output.split())
        assert f"port {taken} is taken by another Label Studio server ({ls_conn.url})" in said
        assert "install" not in said.lower()  # installed already: nothing to say about installing
        url = running_url(home)
        assert url is not None
        assert url != ls_conn.url
        now = status(home)
        assert now.backend == backend
        if backend == "postgresql":
            assert now.postgres_port is not None
            assert now.postgres_port != status(main).postgres_port
            assert f"Label Studio is up at {url}, on PostgreSQL at 127.0.0.1:{now.postgres_port}" in said
            assert "Making" not in said  # the copied cluster is used as it is
        else:
            assert f"Label Studio is up at {url}, on SQLite ({home.sqlite})" in said
        shown = runner.invoke(app, ["labelstudio", "status"])
        assert shown.exit_code == 0, shown.output
        assert f"Label Studio at {url} is up." in shown.stdout
        assert f"It runs {now.describe(home)}." in " ".join(shown.stdout.split())
        again = runner.invoke(app, ["labelstudio", "serve", *other])  # the other database, while this one runs
        assert again.exit_code == 0, again.output
        assert f"Label Studio is already running at {url}" in again.stdout
        assert "To switch: `newscorpus labelstudio stop`, then serve again." in " ".join(again.output.split())
        stopped = runner.invoke(app, ["labelstudio", "stop"])
        expected = "Stopped Label Studio and PostgreSQL." if backend == "postgresql" else "Stopped Label Studio."
        assert expected in stopped.stdout
        assert running_url(home) is None
        assert status(home).postgres_port is None
        assert runner.invoke(app, ["labelstudio", "status"]).exit_code == 1
    finally:
        stop(home)
        shutil.rmtree(home.root.parent, ignore_errors=True)


# --- the load test ------------------------------------------------------------------------------------------------


def _stamp(seconds: int) -> dt.datetime:
    return dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=seconds)


def _gold(corpus: Path, article_id: str, annotation_id: int, updated: dt.datetime, topic: str, task: int = 0) -> None:
    ref = AnnotationRef(project_id=1, task_id=task or annotation_id, annotation_id=annotation_id, annotator="a",
                        layers=["topic"], updated_at=updated)  # fmt: skip
    gold = GoldFile(article_id=article_id, text_sha256="0" * 64, topic=TopicGold(status="gold", label=topic),
                    annotations=[ref])  # fmt: skip
    path = gold_path(corpus, article_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(gold.model_dump_json(), encoding="utf-8")


def test_the_pull_check_finds_missing_stale_and_half_read_annotations(tmp_path: Path) -> None:
    report = SimpleNamespace(findings=[SimpleNamespace(task_id=5)])  # the pull reports task 5

    def annotation(i: int, *versions: tuple[int, str, float]) -> Annotation:
        return Annotation(i, i, f"a{i}", [(_stamp(s), topic, at) for s, topic, at in versions])

    whole = annotation(1, (1, "Sport", 10.0), (2, "Kultur", 20.0))
    _gold(tmp_path, "a1", 1, _stamp(2), "Kultur")
    changed_during = annotation(2, (1, "Sport", 10.0), (3, "Web", 101.0))  # the pull ran from 100 to 110
    _gold(tmp_path, "a2", 2, _stamp(1), "Sport")
    missing = annotation(3, (1, "Sport", 10.0))
    stale = annotation(4, (1, "Sport", 10.0), (2, "Web", 20.0))
    _gold(tmp_path, "a4", 4, _stamp(1), "Sport")  # an older version than was acknowledged before the pull
    reported = annotation(5, (1, "Sport", 10.0))
    mixed = annotation(6, (1, "Sport", 10.0), (2, "Web", 20.0))
    _gold(tmp_path, "a6", 6, _stamp(2), "Sport")  # the new version's time with the old version's topic
    created_during = annotation(7, (1, "Sport", 105.0))
    elsewhere = annotation(8, (1, "Sport", 10.0))
    _gold(tmp_path, "a8", 8, _stamp(1), "Sport", task=999)  # the same annotation id, of another server's task
    annotations = [whole, changed_during, missing, stale, reported, mixed, created_during, elsewhere]
    check = check_pull(tmp_path, report, annotations, 100.0, 110.0)
    assert (check.missing, check.half_read, check.changing) == ([3, 8], [4, 6], 2)
    assert check.details[0].startswith("annotation 4: pulled 2026-01-01 00:00:01+00:00 Sport; acknowledged")


def test_annotators_post_and_update_while_a_push_runs_and_the_pull_loses_nothing(ls_conn, tmp_path: Path) -> None:
    """The load test of ./scripts/bench at small numbers, on the session's server (PostgreSQL under ./scripts/test)."""
    base, full = tmp_path / "base", tmp_path / "full"
    generate(base, 20)
    generate(full, 120)  # the same 20, and 100 new ones
    said: list[str] = []
    result = load_test(ls_conn, base, full, annotators=2, seconds=30, max_requests=300, work_dir=tmp_path / "work",
                       log=said.append, delete=delete_project)  # fmt: skip
    assert result.new_articles == 100
    assert result.push_error is None, said
    assert result.created == 100
    assert result.work.annotations, said  # the annotators did work while the push ran
    assert result.work.failures == [], said
    assert result.failed == 0
    assert result.lost == 0, result.after
    assert result.pull_error is None, said
    assert result.inconsistent == 0, result.during
    figures = {f.name: f for f in load_figures("running", result, 2)}
    assert figures["load_failed_running"].met is True
    assert figures["load_lost_running"].met is True
    assert figures["load_pull_running"].met is True
    assert figures["load_push_running"].baseline_runs == [result.idle_push]
