"""What the setup scripts install: packages compiled to bytecode, in this venv and in Label Studio's.

Where PYTHONDONTWRITEBYTECODE is set (as on this image), Python never writes bytecode itself, so
without it every process compiled its imports again: `import datasets` took 2.2 s instead of 0.7,
a Label Studio start 8.1 s instead of 3.4, and each Ray worker paid the same.
"""

from __future__ import annotations

import importlib
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from newscorpus.labelstudio.home import default_home
from newscorpus.labelstudio.server import ensure_installed
from tests.conftest import REPO


@pytest.mark.skipif(Path(sys.prefix) != REPO / ".venv", reason="checks the venv that scripts/_venv.sh makes")
@pytest.mark.parametrize("module", ["datasets", "pyarrow", "pydantic", "label_studio_sdk", "ray", "somajo"])
def test_the_project_venv_holds_bytecode_for_what_a_build_imports(module: str) -> None:
    source = importlib.import_module(module).__file__
    assert source is not None
    assert Path(importlib.util.cache_from_source(source)).is_file(), f"{module} was installed without bytecode"


@pytest.mark.integration
def test_label_studio_s_venv_holds_bytecode() -> None:
    python = ensure_installed(default_home(REPO / "corpus")).with_name("python")
    found = subprocess.run(
        [str(python), "-c", "import importlib.util as u, label_studio as m; print(u.cache_from_source(m.__file__))"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(found.stdout.strip()).is_file(), "Label Studio was installed without bytecode"
