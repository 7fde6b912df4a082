"""Shared fixtures: temp corpora built from the seed article and the project's own fixtures."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
SEED_NAME = "koalition-der-willigen-paris"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def seed_raw() -> Path:
    """The seed article's raw file as committed in corpus/raw/."""
    return REPO / "corpus" / "raw" / f"{SEED_NAME}.txt"


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A temp corpus holding the seed article and its sidecar, nothing else."""
    root = tmp_path / "corpus"
    (root / "raw").mkdir(parents=True)
    (root / "annotations").mkdir()
    for suffix in (".txt", ".meta.yaml"):
        shutil.copy(REPO / "corpus" / "raw" / f"{SEED_NAME}{suffix}", root / "raw")
    return root


@pytest.fixture(scope="session")
def ls_conn():
    """The real Label Studio server: the environment's, else the local one (started if needed)."""
    from newscorpus.labelstudio.client import connection
    from newscorpus.labelstudio.server import default_home, start

    if not (os.environ.get("LABEL_STUDIO_URL") and os.environ.get("LABEL_STUDIO_API_KEY")):
        start(default_home())
    return connection()


@pytest.fixture
def ls_project(ls_conn, request: pytest.FixtureRequest):
    """A fresh project title for one test; the project is deleted afterwards."""
    from newscorpus.labelstudio.client import client, find_project

    title = f"test-{request.node.name[5:25]}-{uuid.uuid4().hex[:8]}"  # Label Studio allows 50 characters
    yield title
    sdk = client(ls_conn)
    if (project := find_project(sdk, title)) is not None:
        sdk.projects.delete(id=project.id)
