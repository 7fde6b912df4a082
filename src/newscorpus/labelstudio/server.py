"""A local Label Studio server: installed in its own venv, bound to 127.0.0.1, started and stopped here.

Label Studio pins Django and many other packages, so it lives in
``.labelstudio/venv`` and the project itself depends only on the SDK. Its
database is PostgreSQL, a cluster of its own in ``.labelstudio/postgres``
started and stopped with it (``newscorpus.labelstudio.postgres``): a team
annotates while a curator pushes, and on SQLite those writes queue up until
imports time out. SQLite (``.labelstudio/data/label_studio.sqlite3``) remains
for a single annotator on a laptop; the two hold separate projects, and
neither is moved into the other. The admin login, API token and database
password are generated once and kept in the home (``newscorpus.labelstudio.home``),
which also holds the server's state and log.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from newscorpus.core.atomic import atomic_write_text
from newscorpus.core.errors import NewscorpusError
from newscorpus.labelstudio import postgres as pg
from newscorpus.labelstudio.home import Home, load_or_create_credentials
from newscorpus.labelstudio.process import ProcessError, end_group, start_detached, wait_until

LABEL_STUDIO_VERSION = "1.23.2"
HOST = "127.0.0.1"
DEFAULT_PORT = 8089
POSTGRES_PORT = 54329
"""The cluster's preferred port; a free one if it is taken."""
Backend = Literal["postgresql", "sqlite"]
BACKEND_NAMES: dict[Backend, str] = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}
START_TIMEOUT = 300.0
"""The first start runs database migrations; later starts take seconds."""
Say = Callable[[str], None]
"""Where the server code tells what it is doing (installing, which port); the CLI prints it."""


def _quiet(message: str) -> None:
    """Say nothing: the default for library callers."""


class LabelStudioError(NewscorpusError):
    """Label Studio could not be installed, started, reached or used; the message says what to do."""


def _marker(home: Home) -> Path:
    # "compiled": installs from before bytecode was compiled at install time are made again, once.
    return home.venv / f".newscorpus-installed-{LABEL_STUDIO_VERSION}-compiled"


def ensure_installed(home: Home, say: Say = _quiet) -> Path:
    """Install Label Studio into the home's venv unless it is there; return its ``label-studio`` program."""
    program = home.venv / "bin" / "label-studio"
    if _marker(home).is_file() and program.is_file():
        return program
    requirement = f"label-studio=={LABEL_STUDIO_VERSION}"
    say(f"Installing {requirement} into {home.venv} (the first run only; it takes a few minutes) …")
    shutil.rmtree(home.venv, ignore_errors=True)  # a half install from an interrupted run
    home.root.mkdir(parents=True, exist_ok=True)
    try:
        subprocess.run([sys.executable, "-m", "venv", str(home.venv)], check=True, capture_output=True)
        python = str(home.venv / "bin" / "python")
        uv = shutil.which("uv") or str(Path(sys.executable).with_name("uv"))
        if Path(uv).is_file():
            # Compiled now, as pip would: where PYTHONDONTWRITEBYTECODE is set, each start compiled Django again.
            command = [uv, "pip", "install", "--quiet", "--compile-bytecode", "--python", python, requirement]
        else:
            command = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", requirement]
        subprocess.run(command, check=True, capture_output=True, text=True)
    except subprocess.CalledProcessError as exc:
        tail = (exc.stderr or "").strip().splitlines()[-3:]
        raise LabelStudioError(f"Installing {requirement} into {home.venv} failed: {' '.join(tail)}") from None
    _marker(home).write_text(LABEL_STUDIO_VERSION + "\n", encoding="utf-8")
    return program


def healthy(url: str, timeout: float = 2.0) -> bool:
    """Return True when ``url/health`` answers that the server is up."""
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=timeout) as response:  # noqa: S310 - our own URL
            return response.status == 200 and b"UP" in response.read()
    except (OSError, urllib.error.URLError):
        return False


def _state(home: Home) -> dict[str, object]:
    return json.loads(home.state.read_text(encoding="utf-8")) if home.state.is_file() else {}


def running_url(home: Home) -> str | None:
    """Return the URL of the server this home started, if it is up."""
    url = _state(home).get("url")
    return url if isinstance(url, str) and healthy(url) else None


@dataclass(frozen=True)
class Status:
    """What of a home's server runs: Label Studio's URL, its database, and the PostgreSQL cluster's port."""

    url: str | None
    backend: Backend | None
    postgres_port: int | None

    def describe(self, home: Home) -> str:
        """Say which database the server runs on, and where it is."""
        if self.backend == "sqlite":
            return f"on SQLite ({home.sqlite})"
        if self.postgres_port is None:
            return (
                f"on PostgreSQL, which is down ({home.postgres.root}): `newscorpus labelstudio stop`, "
                "then `newscorpus labelstudio serve`"
            )
        return f"on PostgreSQL at {HOST}:{self.postgres_port} ({home.postgres.root})"


def status(home: Home) -> Status:
    """Return what of the home's server runs: Label Studio, on which database, and its PostgreSQL."""
    url = running_url(home)
    backend = _as_backend(_state(home).get("backend")) if url else None
    port = pg.running_port(home.postgres) if home.postgres.exists() else None
    return Status(url, backend, port)


def _as_backend(recorded: object) -> Backend:
    """Read a recorded database: a record from before PostgreSQL names none, and those servers ran on SQLite."""
    return "postgresql" if recorded == "postgresql" else "sqlite"


def _listening_inodes(port: int) -> set[str]:
    """Return the inodes of the sockets listening on ``port`` (Linux's /proc/net; empty elsewhere)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text(encoding="ascii").splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 9 and fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(fields[9])
    return inodes


def port_holder(port: int) -> str:
    """Say what holds ``port`` on 127.0.0.1, as far as it is cheap to know (Linux names the process)."""
    url = f"http://{HOST}:{port}"
    if healthy(url, timeout=1.0):
        return f"another Label Studio server ({url})"
    sockets = {f"socket:[{inode}]" for inode in _listening_inodes(port)}
    for fd_dir in Path("/proc").glob("[0-9]*/fd") if sockets else ():
        try:
            if any(str(fd.readlink()) in sockets for fd in fd_dir.iterdir()):
                name = (fd_dir.parent / "comm").read_text(encoding="utf-8").strip()
                return f"process {fd_dir.parent.name} ({name})"
        except OSError:
            continue  # another user's process, or one that just ended
    return "another program"


def choose_port(preferred: int) -> tuple[int, str | None]:
    """Return ``preferred`` if it is free, else a free port the system picks and why ``preferred`` was not used."""
    for port in (preferred, 0):
        with socket.socket() as probe:
            # As the server itself binds: a port left in TIME_WAIT by a stopped server is free.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((HOST, port))
            except OSError:
                continue
            chosen = probe.getsockname()[1]
        return chosen, None if port == preferred else f"port {preferred} is taken by {port_holder(preferred)}"
    raise LabelStudioError("No free port on 127.0.0.1.")


_SET_HERE = {
    "HOST", "PORT", "USERNAME", "PASSWORD", "USER_TOKEN", "DEBUG", "DJANGO_DB", "DATABASE_NAME",
    "POSTGRE_NAME", "POSTGRE_USER", "POSTGRE_PASSWORD", "POSTGRE_HOST", "POSTGRE_PORT",
}  # fmt: skip
"""Settings Label Studio reads bare or prefixed (``LABEL_STUDIO_``, ``HEARTEX_``, first wins): the caller's must
not leak in, so that the server runs on the database and address given here."""


def _environment(home: Home, credentials: dict[str, str], postgres_port: int | None) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if k.removeprefix("LABEL_STUDIO_").removeprefix("HEARTEX_") not in _SET_HERE
    }
    env.update(
        {
            "LABEL_STUDIO_BASE_DATA_DIR": str(home.data),
            "LABEL_STUDIO_USERNAME": credentials["username"],
            "LABEL_STUDIO_PASSWORD": credentials["password"],
            "LABEL_STUDIO_USER_TOKEN": credentials["token"],
            "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
            "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
            "SECRET_KEY": credentials["secret_key"],
            # No calls home: version check, analytics and error reporting stay off.
            "LABEL_STUDIO_LATEST_VERSION_CHECK": "false",
            "LABEL_STUDIO_COLLECT_ANALYTICS": "false",
            "SENTRY_DSN": "",
            "FRONTEND_SENTRY_DSN": "",
        }
    )
    if postgres_port is None:
        env["DJANGO_DB"] = "sqlite"
    else:
        env.update(
            {
                "DJANGO_DB": "default",
                "POSTGRE_NAME": pg.DATABASE,
                "POSTGRE_USER": pg.USER,
                "POSTGRE_PASSWORD": credentials["postgres_password"],
                "POSTGRE_HOST": HOST,
                "POSTGRE_PORT": str(postgres_port),
            }
        )
    return env


def _note_backend(home: Home, backend: Backend, say: Say) -> None:
    """Record the database this start uses; on a switch, say that the other one's projects stay where they are."""
    last: Backend | None = None
    if home.backend.is_file():
        last = _as_backend(home.backend.read_text(encoding="utf-8").strip())
    elif home.sqlite.is_file():
        last = "sqlite"  # a home from before PostgreSQL
    if last is not None and last != backend:
        kept = home.sqlite if last == "sqlite" else home.postgres.root
        again = "newscorpus labelstudio serve" + (" --sqlite" if last == "sqlite" else "")
        say(
            f"Switching from {BACKEND_NAMES[last]} to {BACKEND_NAMES[backend]}: the projects in {kept} stay there "
            f"and are not copied to {BACKEND_NAMES[backend]}, which has its own. `{again}` serves them again."
        )
        # Push's ledgers describe the other database's projects, whose ids the new one reuses.
        shutil.rmtree(home.ledgers, ignore_errors=True)
    atomic_write_text(home.backend, backend + "\n")


def _start_postgres(home: Home, credentials: dict[str, str], say: Say) -> int:
    """Start the home's PostgreSQL cluster unless it runs, making it on first use; return its port."""
    cluster = home.postgres
    if (running := pg.running_port(cluster)) is not None:
        return running
    if not cluster.exists():
        for folder in pg.prepare(cluster):
            say(f"PostgreSQL runs as the {pg.SYSTEM_USER!r} user, who could not pass through {folder}: let it (o+x).")
        say(f"Making Label Studio's PostgreSQL database in {cluster.root} (the first start only) …")
        pg.init(cluster, credentials["postgres_password"])
    port, taken = choose_port(POSTGRES_PORT)
    version = pg.cluster_version(cluster)
    say(f"Starting PostgreSQL {version} on {HOST}:{port}" + (f": {taken}." if taken else "."))
    pg.start(cluster, port)
    return port


def start(
    home: Home, port: int = DEFAULT_PORT, timeout: float = START_TIMEOUT, say: Say = _quiet,
    backend: Backend = "postgresql",
) -> str:  # fmt: skip
    """Start the server on ``backend`` in the background unless it runs; wait for ``/health``; return its URL.

    A server already running from this home is left as it is, on whichever database
    (see :func:`status`). On PostgreSQL the home's cluster is started first, and made on
    the first start. ``say`` hears when Label Studio is installed (the first run only),
    when the database changes, and why a server starts on another port than asked.
    """
    if url := running_url(home):
        return url
    program = ensure_installed(home, say)
    credentials = load_or_create_credentials(home)
    _note_backend(home, backend, say)
    postgres_port = _start_postgres(home, credentials, say) if backend == "postgresql" else None
    port, taken = choose_port(port)
    url = f"http://{HOST}:{port}"
    say(
        f"Starting Label Studio {LABEL_STUDIO_VERSION} on {BACKEND_NAMES[backend]} at {url}"
        + (f": {taken}." if taken else ".")
    )
    home.data.mkdir(parents=True, exist_ok=True)
    command = [str(program), "start", "--no-browser", "--internal-host", HOST, "--port", str(port)]
    server = start_detached("Label Studio", command, _environment(home, credentials, postgres_port), home.log)
    state = {"pid": server.process.pid, "port": port, "url": url, "backend": backend}
    atomic_write_text(home.state, json.dumps(state) + "\n")
    try:
        wait_until(server, lambda: healthy(url), f"answer {url}/health", timeout)
    except ProcessError as exc:
        stop(home)
        raise LabelStudioError(str(exc)) from None
    return url


def stop(home: Home, grace: float = 20.0) -> list[str]:
    """Stop the server this home started, then its PostgreSQL; return what was running."""
    stopped = []
    if isinstance(pid := _state(home).get("pid"), int) and end_group(pid, grace):
        stopped.append("Label Studio")
    home.state.unlink(missing_ok=True)
    if home.postgres.exists() and pg.stop(home.postgres):
        stopped.append("PostgreSQL")
    return stopped
