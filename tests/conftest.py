"""Shared fixtures: temp corpora built from the seed article and the project's own fixtures."""

from __future__ import annotations

import shutil
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
