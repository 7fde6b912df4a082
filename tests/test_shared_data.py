"""Without ../shared/data, the tests that read it fail with one message naming what is missing, said once at the end."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from newscorpus.core.errors import UsageError
from tests.conftest import REPO, missing_shared_data


def test_a_missing_folder_is_named_with_where_it_belongs(tmp_path: Path) -> None:
    shared = tmp_path / "shared" / "data"
    error = UsageError(f"{shared / 'germeval2014' / 'NER-de-dev.tsv'} is not a file")
    message = missing_shared_data(error, shared)
    assert message is not None
    assert message.startswith(f"The shared data folder {shared} is missing.")
    assert "beside the repository, as ../shared/data" in message


def test_a_missing_file_is_named_even_through_a_chained_error(tmp_path: Path) -> None:
    shared = tmp_path / "shared" / "data"
    (shared / "10kgnad").mkdir(parents=True)
    try:
        try:
            (shared / "10kgnad" / "test.csv").read_bytes()
        except FileNotFoundError as exc:
            raise RuntimeError("could not import") from exc
    except RuntimeError as exc:
        message = missing_shared_data(exc, shared)
    assert message is not None
    assert message.startswith(f"{shared / '10kgnad' / 'test.csv'} is missing from the shared data folder {shared} ")


def test_errors_about_anything_else_are_left_alone(tmp_path: Path) -> None:
    shared = tmp_path / "shared" / "data"
    shared.mkdir(parents=True)
    (shared / "README.md").write_text("here", encoding="utf-8")
    assert missing_shared_data(ValueError(f"{shared / 'README.md'} is not a GermEval file"), shared) is None
    assert missing_shared_data(FileNotFoundError(2, "No such file", str(tmp_path / "elsewhere.tsv")), shared) is None
    assert missing_shared_data(AssertionError("assert 1 == 2"), shared) is None


def test_a_run_without_the_shared_data_fails_those_tests_clearly_and_says_it_once(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "shared" / "data"
    run = tmp_path / "run"
    run.mkdir()
    (run / "conftest.py").write_text(
        "from pathlib import Path\n"
        "import tests.conftest\n"
        f"tests.conftest.SHARED_DATA = Path({str(missing)!r})\n"
        "from tests.conftest import pytest_runtest_makereport, pytest_terminal_summary\n",
        encoding="utf-8",
    )
    (run / "test_inner.py").write_text(
        "import pytest\n"
        "import tests.conftest\n"
        "from newscorpus.ingest.importers import import_file\n\n"
        "def test_import(tmp_path):\n"
        "    (tmp_path / 'raw').mkdir()\n"
        "    dev = tests.conftest.SHARED_DATA / 'germeval2014' / 'NER-de-dev.tsv'\n"
        "    import_file(tmp_path, 'germeval2014', dev, 'validation')\n\n"
        "@pytest.fixture(scope='module')\n"
        "def gnad():\n"
        "    return (tests.conftest.SHARED_DATA / '10kgnad' / 'test.csv').read_bytes()\n\n"
        "def test_through_a_fixture(gnad):\n"
        "    assert gnad\n\n"
        "def test_unrelated():\n"
        "    assert 1 == 2\n",
        encoding="utf-8",
    )
    env = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "300"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-n", "1", "--rootdir", str(run), str(run)],
        cwd=run,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = result.stdout
    assert result.returncode == 1, out
    assert "2 failed, 1 error" in out
    said = f"The shared data folder {missing} is missing."
    assert f"FAILED test_inner.py::test_import - {said}" in out
    assert f"ERROR test_inner.py::test_through_a_fixture - {said}" in out
    assert f"2 tests failed because the shared data is incomplete:\n{said}" in out  # said once for the run
    assert "is not a file" not in out  # no traceback of the import
    assert "assert 1 == 2" in out  # other failures keep theirs
