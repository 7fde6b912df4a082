"""How to rebuild a release that this code cannot: with the code and inputs of the commit that added it.

A clone holds only each release's manifest; its data files are rebuilt byte for byte by the code
and from the inputs it was built with. Once the schema, the code or the inputs have moved on, that
means the commit that added the manifest, checked out into a worktree of its own.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
from pathlib import Path

from newscorpus.release.manifest import MANIFEST, release_dir


def release_commit(corpus: Path, version: str) -> tuple[Path, str] | str:
    """Return the root of the git repository holding ``corpus`` and the commit that added release ``version``.

    Without one, return why: git is missing, ``corpus`` is in no repository, or the manifest was never committed.
    """
    git = shutil.which("git")
    if git is None:
        return "git is not installed"

    def ask(folder: Path, *args: str) -> str:
        done = subprocess.run([git, "-C", str(folder), *args], capture_output=True, text=True, check=False)
        return done.stdout.strip() if done.returncode == 0 else ""

    root = ask(corpus, "rev-parse", "--show-toplevel")
    if not root:
        return f"{corpus} is not in a git repository"
    folder = release_dir(corpus, version)
    commit = ask(folder, "log", "--diff-filter=A", "-1", "--format=%H", "--", MANIFEST) if folder.is_dir() else ""
    if not commit:
        return f"{folder / MANIFEST} was never committed"
    return Path(root), commit


def rebuild_elsewhere(corpus: Path, version: str) -> str:
    """Say exactly how to rebuild release ``version`` with the code and inputs of the commit that added its manifest."""
    found = release_commit(corpus, version)
    manifest = release_dir(corpus, version) / MANIFEST
    if isinstance(found, str):
        return (
            f"Rebuild it with the code and inputs of the commit that added {manifest} "
            f"(`git log --diff-filter=A -1 --format=%H -- {manifest}` names it; "
            f"here it could not be looked up: {found}): "
            "check that commit out into a folder of its own, install its requirements/lock.txt and the project "
            f"into a fresh .venv there, then run `newscorpus build --version {version}` and "
            f"`newscorpus verify {version}` there."
        )
    root, commit = found
    worktree = root.parent / f"{root.name}-{version}"
    inside = corpus.resolve().relative_to(root.resolve())
    # Quoted, so each line pastes into a shell as it stands, whatever the paths hold.
    at, there, folder = (shlex.quote(str(path)) for path in (root, worktree, inside))
    return (
        f"Rebuild it with the code and inputs of commit {commit}, which added its manifest, in a worktree of its own:\n"
        f"  git -C {at} worktree add {there} {commit}\n"
        f"  cd {there}\n"
        "  python3.11 -m venv .venv && .venv/bin/pip install -r requirements/lock.txt "
        "&& .venv/bin/pip install --no-deps -e .\n"
        f"  .venv/bin/newscorpus build --version {version} --corpus {folder} "
        f"&& .venv/bin/newscorpus verify {version} --corpus {folder}\n"
        f"Its data files are then in {worktree / inside / release_dir(Path(), version)}; publish it from there."
    )
