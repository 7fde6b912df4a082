"""Uploading a published folder to the Hugging Face Hub with ``huggingface_hub``.

One commit holds the whole folder; the commit is then tagged ``v<version>``.
Articles that may not be redistributed block the upload unless the caller
says, explicitly, that the target repository may hold them (a private repo).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from huggingface_hub import CommitOperationAdd, HfApi

from newscorpus.core.errors import NewscorpusError, ReleaseError, UsageError
from newscorpus.publish.folder import MARKER
from newscorpus.release.manifest import Manifest


@dataclass(frozen=True)
class UploadPlan:
    """What an upload will send: the repo, the files and the tag."""

    repo_id: str
    version: str
    tag: str
    operations: list[CommitOperationAdd]
    commit_message: str


def plan_upload(folder: Path, repo_id: str) -> UploadPlan:
    """Return the upload of a published folder: every file but the local marker, and the version tag."""
    marker = folder / MARKER
    if not marker.is_file():
        raise ReleaseError(f"{folder} is no published release. Try `newscorpus publish VERSION --out {folder}` first.")
    version = json.loads(marker.read_text(encoding="utf-8"))["version"]
    operations = [
        CommitOperationAdd(path_in_repo=path.relative_to(folder).as_posix(), path_or_fileobj=path)
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path != marker
    ]
    return UploadPlan(repo_id, version, f"v{version}", operations, f"Release {version}")


def hub_token(env_var: str) -> str:
    """Read the Hub token from the environment variable the user named; never print it."""
    token = os.environ.get(env_var, "").strip()
    if not token:
        raise UsageError(f"${env_var} is empty. Set it to a Hugging Face token with write access, then try again.")
    return token


def check_redistributable(manifest: Manifest, allow_restricted: bool) -> None:
    """Refuse to upload text that may not be redistributed, unless explicitly allowed."""
    restricted = {name: n for name, n in manifest.statistics.licenses.items() if name.startswith("LicenseRef-")}
    if restricted and not allow_restricted:
        listing = ", ".join(f"{name} ({n})" for name, n in restricted.items())
        raise ReleaseError(
            f"Release {manifest.version} holds articles under restrictive licences: {listing}. "
            "Upload only to a private repository, with --allow-restricted."
        )


def push_to_hub(plan: UploadPlan, token: str, *, private: bool = True, api: HfApi | None = None) -> str:
    """Create the dataset repo if needed, upload the folder in one commit, tag it; return the commit URL."""
    api = api or HfApi()
    try:
        api.create_repo(plan.repo_id, token=token, repo_type="dataset", private=private, exist_ok=True)
        commit = api.create_commit(
            plan.repo_id, plan.operations, commit_message=plan.commit_message, token=token, repo_type="dataset"
        )
        api.create_tag(plan.repo_id, tag=plan.tag, revision=commit.oid, token=token, repo_type="dataset")
    except Exception as exc:
        # Any failure of the Hub client (HTTP status, transport, its own HTTP library's errors)
        # ends the upload; the token must never reach the message, whatever the error quotes.
        message = str(exc).replace(token, "***")
        raise NewscorpusError(f"Upload of {plan.repo_id} failed: {message}. Nothing was tagged.") from None
    return commit.commit_url
