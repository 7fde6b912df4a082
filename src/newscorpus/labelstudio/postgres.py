"""Label Studio's own PostgreSQL cluster in ``.labelstudio/postgres``: made, started and stopped here.

On SQLite, Label Studio serialises every write: with a team annotating while a
curator pushes, an import of 2,500 tasks timed out (issue 13). So the team's
server keeps its data in PostgreSQL, run from the machine's own binaries
(Debian's ``postgresql-15``, which ``scripts/_postgres.sh`` installs; elsewhere
``NEWSCORPUS_POSTGRES_BIN`` names the folder holding ``initdb`` and ``pg_ctl``).

The cluster listens on 127.0.0.1 only, on a port given at each start, with no
Unix socket; its one login has a generated password (scram-sha-256). PostgreSQL
refuses to run as root, so as root the cluster belongs to, and runs as, the
``postgres`` system user that the Debian package creates.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newscorpus.core.errors import NewscorpusError
from newscorpus.core.layout import Part

USER = "newscorpus"
"""The cluster's one login (its superuser), which Label Studio connects as."""
DATABASE = "labelstudio"
SYSTEM_USER = "postgres"
"""Who runs the cluster when newscorpus runs as root."""
DEBIAN_BINARIES = Path("/usr/lib/postgresql")
SETTINGS = "\n# newscorpus: TCP on 127.0.0.1 only (the port is given at each start), no Unix socket.\n" + (
    "listen_addresses = '127.0.0.1'\nunix_socket_directories = ''\n"
)
INSTALL_HINT = (
    "Install PostgreSQL's server programs (as root: `apt-get update && apt-get install -y postgresql-15`; "
    "./scripts/demo and ./scripts/test do that), or set NEWSCORPUS_POSTGRES_BIN to the folder holding initdb "
    "and pg_ctl, or run `newscorpus labelstudio serve --sqlite`."
)


class PostgresError(NewscorpusError):
    """The cluster could not be made, started or stopped; the message says what to do."""


@dataclass(frozen=True)
class Cluster:
    """A PostgreSQL cluster in its own folder: ``data/`` and the server's log."""

    root: Path

    data = Part("data", "The cluster's data folder (``initdb``'s ``-D``).")
    log = Part("postgres.log", "The server's log.")

    def exists(self) -> bool:
        """Return True once the cluster has been made (``init`` renames it into place last)."""
        return (self.data / "PG_VERSION").is_file()


def binaries(version: str | None = None) -> Path:
    """Return the folder of PostgreSQL's server programs: of major ``version`` if given, else the newest found."""
    if env := os.environ.get("NEWSCORPUS_POSTGRES_BIN"):
        found = [Path(env)]
    else:
        debian = sorted(
            (p for p in DEBIAN_BINARIES.glob("*/bin") if p.parent.name.isdigit()), key=lambda p: int(p.parent.name)
        )
        on_path = shutil.which("pg_ctl")
        found = [*reversed(debian), *([Path(on_path).parent] if on_path else [])]
    for folder in found:
        whole = (folder / "initdb").is_file() and (folder / "pg_ctl").is_file()
        if whole and (version is None or major_version(folder) == version):
            return folder
    wanted = f"PostgreSQL {version}'s" if version else "PostgreSQL's"
    raise PostgresError(f"{wanted} server programs (initdb, pg_ctl) are not on this machine. {INSTALL_HINT}")


def major_version(folder: Path) -> str:
    """Return the major version of the programs in ``folder`` (``pg_ctl (PostgreSQL) 15.18`` → ``15``)."""
    out = subprocess.run([str(folder / "pg_ctl"), "--version"], capture_output=True, text=True, check=True).stdout
    found = re.search(r"(\d+)(?:\.\d+)?", out)
    if found is None:
        raise PostgresError(f"{folder / 'pg_ctl'} --version said {out.strip()!r}, not a PostgreSQL version.")
    return found.group(1)


def _owner() -> pwd.struct_passwd | None:
    """Return the system user the cluster runs as when we are root; None: it runs as we do."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        raise PostgresError(
            f"PostgreSQL refuses to run as root, and there is no {SYSTEM_USER!r} system user to run it as. "
            + INSTALL_HINT
        ) from None


def _run(cluster: Cluster, command: list[str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run a PostgreSQL program as the cluster's owner, in the cluster's folder (which that user can enter)."""
    owner = _owner()
    as_owner: dict[str, Any] = {}
    if owner is not None:
        as_owner = {"user": owner.pw_uid, "group": owner.pw_gid, "extra_groups": []}
    # Variables such as PGPORT or PGDATA must not steer our cluster; a UTF-8 locale for initdb.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")} | {"LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
    return subprocess.run(
        command, input=stdin, capture_output=True, text=True, cwd=cluster.root, env=env, check=False, **as_owner
    )


def _failed(what: str, result: subprocess.CompletedProcess[str], cluster: Cluster) -> PostgresError:
    tail = " ".join((result.stderr or result.stdout or "").strip().splitlines()[-3:])
    return PostgresError(f"{what} failed (exit {result.returncode}): {tail} See {cluster.log}.")


def _open_path_for(owner: pwd.struct_passwd, folder: Path) -> list[Path]:
    """Give every folder above ``folder`` that ``owner`` could not pass through the right to pass (o+x).

    Only the right to pass, not to list: PostgreSQL must reach its data folder when the project
    lives in a private folder such as /root. Returns the folders changed.
    """
    opened = []
    for parent in reversed(folder.parents):
        info = parent.stat()
        if info.st_uid == owner.pw_uid or info.st_mode & stat.S_IXOTH:
            continue
        if info.st_gid == owner.pw_gid and info.st_mode & stat.S_IXGRP:
            continue
        parent.chmod(info.st_mode | stat.S_IXOTH)
        opened.append(parent)
    return opened


def prepare(cluster: Cluster) -> list[Path]:
    """Make the cluster's folder, owned by the user the cluster runs as; return folders opened for that user."""
    cluster.root.mkdir(parents=True, exist_ok=True)
    cluster.root.chmod(0o700)
    owner = _owner()
    if owner is None:
        return []
    os.chown(cluster.root, owner.pw_uid, owner.pw_gid)
    return _open_path_for(owner, cluster.root.resolve())


def init(cluster: Cluster, password: str) -> None:
    """Make the cluster with its login and Label Studio's database, or leave nothing behind.

    It is made in ``data.partial`` and renamed to ``data`` when whole, so an interrupted
    first start is simply made again.
    """
    bindir = binaries()
    partial = cluster.root / "data.partial"
    shutil.rmtree(partial, ignore_errors=True)
    secret = cluster.root / ".password"
    secret.write_text(password + "\n", encoding="utf-8")
    secret.chmod(0o600)
    if (owner := _owner()) is not None:
        os.chown(secret, owner.pw_uid, owner.pw_gid)
    try:
        made = _run(cluster, [
            str(bindir / "initdb"), "-D", str(partial), "-U", USER, f"--pwfile={secret}",
            "--auth=scram-sha-256", "--encoding=UTF8", "--no-locale", "--no-instructions",
        ])  # fmt: skip
    finally:
        secret.unlink(missing_ok=True)
    if made.returncode != 0:
        raise _failed("initdb", made, cluster)
    with (partial / "postgresql.conf").open("a", encoding="utf-8") as conf:
        conf.write(SETTINGS)
    # Single-user mode: the database exists before the cluster ever listens.
    created = _run(cluster, [str(bindir / "postgres"), "--single", "-D", str(partial), "postgres"],
                   stdin=f"CREATE DATABASE {DATABASE};\n")  # fmt: skip
    if created.returncode != 0 or "ERROR" in created.stderr:
        raise _failed(f"Creating the database {DATABASE!r}", created, cluster)
    partial.rename(cluster.data)


def running_port(cluster: Cluster) -> int | None:
    """Return the port the cluster listens on if it runs, else None."""
    if not cluster.exists() or not (cluster.data / "postmaster.pid").is_file():
        return None
    bindir = binaries(cluster_version(cluster))
    if _run(cluster, [str(bindir / "pg_ctl"), "status", "-D", str(cluster.data)]).returncode != 0:
        return None
    try:
        return int((cluster.data / "postmaster.pid").read_text(encoding="utf-8").splitlines()[3])
    except (OSError, IndexError, ValueError):
        return None


def cluster_version(cluster: Cluster) -> str:
    """Return the major version of PostgreSQL that made the cluster."""
    return (cluster.data / "PG_VERSION").read_text(encoding="ascii").strip()


def start(cluster: Cluster, port: int, timeout: float = 60.0) -> None:
    """Start the made cluster on 127.0.0.1:``port`` and wait until it accepts connections."""
    bindir = binaries(cluster_version(cluster))
    started = _run(cluster, [
        str(bindir / "pg_ctl"), "start", "-D", str(cluster.data), "-l", str(cluster.log), "-w",
        "-t", str(int(timeout)), "-o", f"-p {port}",
    ])  # fmt: skip
    if started.returncode != 0:
        raise _failed(f"Starting PostgreSQL on 127.0.0.1:{port}", started, cluster)


def stop(cluster: Cluster, timeout: float = 60.0) -> bool:
    """Stop the cluster (ending its connections); return False if it was not running."""
    if running_port(cluster) is None:
        return False
    bindir = binaries(cluster_version(cluster))
    stopped = _run(cluster, [
        str(bindir / "pg_ctl"), "stop", "-D", str(cluster.data), "-m", "fast", "-w", "-t", str(int(timeout)),
    ])  # fmt: skip
    if stopped.returncode != 0:
        raise _failed("Stopping PostgreSQL", stopped, cluster)
    return True
