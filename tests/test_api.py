"""The library API: ``import newscorpus`` names what the CLI is a thin layer over, and stays cheap to import."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import newscorpus


@pytest.mark.parametrize("name", newscorpus.__all__)
def test_every_public_name_is_its_modules_object(name: str) -> None:
    """Also once every subpackage is imported: importing one sets the package's attribute of its name."""
    for package in Path(newscorpus.__file__).parent.iterdir():
        if (package / "__init__.py").is_file():
            importlib.import_module(f"newscorpus.{package.name}")
    module, attribute = newscorpus._WHERE[name].split(":")
    assert getattr(newscorpus, name) is getattr(importlib.import_module(module), attribute)
    assert name in dir(newscorpus)


def test_type_checkers_see_the_names_the_package_gives() -> None:
    """The ``TYPE_CHECKING`` imports of the package are ``_WHERE``, name for name and module for module."""
    tree = ast.parse(Path(newscorpus.__file__).read_text(encoding="utf-8"))
    [block] = [node for node in tree.body if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"]
    seen = {
        alias.asname or alias.name: f"{node.module}:{alias.name}"
        for node in block.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert seen == newscorpus._WHERE


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'bulid'"):
        newscorpus.bulid  # noqa: B018 - the access is the test


def test_importing_the_package_imports_none_of_its_modules() -> None:
    code = "import sys, newscorpus; print(sorted(m for m in sys.modules if m.startswith('newscorpus.')))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == "[]"


def test_the_docstring_example_validates_builds_and_publishes(corpus: Path, tmp_path: Path) -> None:
    report = newscorpus.validate(corpus, processes=1)
    assert not report.errors
    result = newscorpus.build(corpus, processes=1, configs=["documents"])
    assert isinstance(result, newscorpus.BuildResult)
    manifest = newscorpus.publish_release(corpus, result.manifest.version, tmp_path / "published")
    assert manifest == newscorpus.load_manifest(corpus, result.manifest.version)
    assert not newscorpus.verify(corpus, result.manifest.version).errors
    with pytest.raises(newscorpus.NewscorpusError):
        newscorpus.build(tmp_path / "nowhere")
