"""Shared fixtures: temp corpora built from the seed article and the project's own fixtures."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from newscorpus.core.plural import plural

# Under `pytest -n 2` on two shared cores, how long a draw takes says nothing about the code: the deadline
# and the too_slow check fail at random there. Every property keeps its own example count.
settings.register_profile("newscorpus", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("newscorpus")

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
"""Real public data some tests read (GermEval 2014, 10kGNAD, the seed): ../shared/data, beside the repository."""
SEED_NAME = "koalition-der-willigen-paris"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def missing_shared_data(error: BaseException, shared: Path) -> str | None:
    """Say what is missing if ``error``, or an error it came from, names a path under ``shared`` that does not exist."""
    named = re.compile(re.escape(str(shared)) + r"""[^\s'"`,;:()]*""")
    cause: BaseException | None = error
    while cause is not None:
        for found in named.findall(f"{cause} {getattr(cause, 'filename', None) or ''}"):
            path = Path(found.rstrip("."))
            if path.exists():
                continue
            if not shared.is_dir():
                return (
                    f"The shared data folder {shared} is missing. The tests that read real data (GermEval 2014, "
                    "10kGNAD, the seed article) expect it beside the repository, as ../shared/data. Put it there."
                )
            return (
                f"{path} is missing from the shared data folder {shared} (../shared/data, beside the repository). "
                "Put it back; the folder's README.md lists what belongs there."
            )
        cause = cause.__cause__ or cause.__context__
    return None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(call: pytest.CallInfo[None]) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Fail a test that lacks the shared data with one message naming what is missing, not a traceback."""
    report = yield
    if report.failed and call.excinfo is not None and (message := missing_shared_data(call.excinfo.value, SHARED_DATA)):
        report.longrepr = message
        report.user_properties.append(("missing_shared_data", message))  # reaches the xdist controller too
    return report


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say once, at the end of the run, what of the shared data is missing and how many tests failed for it."""
    failed = [r for key in ("failed", "error") for r in terminalreporter.stats.get(key, [])]
    messages = [
        value for r in failed for key, value in getattr(r, "user_properties", ()) if key == "missing_shared_data"
    ]
    if messages:
        terminalreporter.section("missing shared data", red=True, bold=True)
        terminalreporter.line(f"{plural(len(messages), 'test')} failed because the shared data is incomplete:")
        for message in sorted(set(messages)):
            terminalreporter.line(message)


@pytest.fixture(scope="session", autouse=True)
def token_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One temp token cache for the whole session (per xdist worker), never the user's; subprocesses inherit it.

    Shared across tests, so the seed is tokenised once; a test that needs a cold cache sets its own.
    """
    folder = tmp_path_factory.mktemp("newscorpus-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NEWSCORPUS_CACHE", str(folder))
        yield folder


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
    """The real Label Studio server: the environment's, else the local one as it runs, else started on PostgreSQL."""
    from newscorpus.labelstudio.client import connection
    from newscorpus.labelstudio.home import default_home
    from newscorpus.labelstudio.server import start

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
        delete_project(sdk, project.id)


def delete_project(sdk, project_id: int) -> None:
    """Delete a Label Studio project, one deletion at a time across every test process.

    Label Studio 1.23 unhooks every Django signal of its process while it deletes a project; two
    deletions at once can leave them unhooked for good, and the server stops counting annotations.
    """
    from filelock import FileLock

    with FileLock(Path(tempfile.gettempdir()) / "newscorpus-labelstudio-delete.lock"):
        sdk.projects.delete(id=project_id)
