"""The Label Studio home, ``.labelstudio/``: where the server's venv, databases, credentials, state and log live.

The home sits in the project root, beside ``corpus/``, and is found from the
corpus folder or the current folder, so the commands work from any folder of
the project (see :func:`default_home`). The admin login, API token and database
password are generated once and kept in ``credentials.json`` (mode 0600,
git-ignored).
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from newscorpus.core.atomic import atomic_write_text
from newscorpus.core.layout import Part
from newscorpus.labelstudio import postgres as pg

HOME_DIR = ".labelstudio"


@dataclass(frozen=True)
class Home:
    """The folder holding the server's venv, data, credentials, state and log."""

    root: Path

    venv = Part("venv", "The server's own virtualenv.")
    data = Part("data", "Label Studio's data dir (uploads and exports; the SQLite database, on SQLite).")
    sqlite = Part("data/label_studio.sqlite3", "The SQLite database of ``serve --sqlite``.")
    ledgers = Part("ledgers", "Push's ledgers: what it last knew of each project (a cache).")
    backend = Part("backend", "Which database the server last ran on.")
    credentials = Part("credentials.json", "The admin login and API token, mode 0600.")
    state = Part("server.json", "The running server's pid, port, URL and database.")
    log = Part("server.log", "The server's output.")

    @property
    def postgres(self) -> pg.Cluster:
        """The PostgreSQL cluster of ``serve``."""
        return pg.Cluster(self.root / "postgres")


def default_home(corpus: Path | None = None) -> Home:
    """Return ``$NEWSCORPUS_LABELSTUDIO_HOME``, else ``.labelstudio`` in the project root.

    The project root is the nearest folder holding ``.labelstudio/`` above the corpus folder
    (if it exists), else above the current folder; without one (before the first ``serve``)
    it is the folder holding the corpus, else the nearest one above the current folder that
    holds ``corpus/``, else the current folder.
    """
    if env := os.environ.get("NEWSCORPUS_LABELSTUDIO_HOME"):
        return Home(Path(env).resolve())
    here = Path.cwd()
    found = corpus.resolve() if corpus is not None and corpus.is_dir() else None
    for start in (found, here):
        for folder in (start, *start.parents) if start else ():
            if (folder / HOME_DIR).is_dir():
                return Home(folder / HOME_DIR)
    root = found.parent if found else next((f for f in (here, *here.parents) if (f / "corpus").is_dir()), here)
    return Home(root / HOME_DIR)


def load_or_create_credentials(home: Home) -> dict[str, str]:
    """Return the admin login, API token and database password, creating what is missing (mode 0600)."""
    credentials = json.loads(home.credentials.read_text(encoding="utf-8")) if home.credentials.is_file() else {}
    defaults = {
        "username": "admin@newscorpus.local",
        "password": secrets.token_urlsafe(18),
        "token": secrets.token_hex(20),
        # Pinned: Label Studio's own generated key can start with "$", which its .env reader
        # then expands, so tokens stop working after a restart.
        "secret_key": secrets.token_hex(32),
        # Added to homes made before PostgreSQL: their login and token stay as they were.
        "postgres_password": secrets.token_urlsafe(24),
    }
    missing = {key: value for key, value in defaults.items() if key not in credentials}
    if missing:
        credentials |= missing
        home.root.mkdir(parents=True, exist_ok=True)
        atomic_write_text(home.credentials, json.dumps(credentials, indent=2) + "\n")
        home.credentials.chmod(0o600)
    return credentials
