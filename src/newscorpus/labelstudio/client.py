"""Talking to a Label Studio server with the SDK: which server, which project, clear errors.

The server is the one named by ``LABEL_STUDIO_URL`` and ``LABEL_STUDIO_API_KEY``
(the SDK's own variables) when both are set, else the one ``serve`` started.
The API key never appears in a message.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from label_studio_sdk import LabelStudio
from label_studio_sdk.core.api_error import ApiError

from newscorpus.core.plural import plural
from newscorpus.labelstudio.config import labelling_config
from newscorpus.labelstudio.home import Home, default_home
from newscorpus.labelstudio.server import LabelStudioError, running_url

PAGE_SIZE = 100


@dataclass(frozen=True)
class Connection:
    """A server URL and the API key to use there."""

    url: str
    api_key: str = field(repr=False)


def connection(home: Home | None = None) -> Connection:
    """Return the server to talk to: the environment's, else the one ``serve`` started."""
    url, key = os.environ.get("LABEL_STUDIO_URL"), os.environ.get("LABEL_STUDIO_API_KEY")
    if url and key:
        return Connection(url.rstrip("/"), key)
    home = home or default_home()
    running = running_url(home)
    if running and home.credentials.is_file():
        return Connection(running, json.loads(home.credentials.read_text(encoding="utf-8"))["token"])
    raise LabelStudioError(
        f"No Label Studio server is running from {home.root}. Try `newscorpus labelstudio serve` "
        "(from the project folder, or with --corpus), or set LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY "
        "to use another server."
    )


@contextmanager
def talking_to(conn: Connection) -> Iterator[None]:
    """Turn transport and HTTP errors into ``LabelStudioError`` messages that name the URL, never the key."""
    try:
        yield
    except httpx.TransportError as exc:
        raise LabelStudioError(
            f"Cannot reach Label Studio at {conn.url} ({type(exc).__name__}). "
            "Try `newscorpus labelstudio serve`, or check LABEL_STUDIO_URL."
        ) from None
    except ApiError as exc:
        if exc.status_code in (401, 403):
            raise LabelStudioError(
                f"Label Studio at {conn.url} refused the API key (HTTP {exc.status_code}). "
                "Check LABEL_STUDIO_API_KEY, or the credentials in .labelstudio/."
            ) from None
        body = str(exc.body).replace(conn.api_key, "***")[:300]
        raise LabelStudioError(f"Label Studio at {conn.url} answered HTTP {exc.status_code}: {body}") from None


def client(conn: Connection) -> LabelStudio:
    """Return an SDK client after checking that the server answers and accepts the key."""
    sdk = LabelStudio(base_url=conn.url, api_key=conn.api_key, timeout=120)  # type: ignore[no-untyped-call]
    with talking_to(conn):
        sdk.users.whoami()
    return sdk


def find_project(sdk: LabelStudio, title: str) -> Any | None:
    """Return the project called ``title``, or None."""
    projects: list[Any] = list(sdk.projects.list(title=title))
    return next((p for p in projects if p.title == title), None)


def ensure_project(sdk: LabelStudio, title: str) -> Any:
    """Return the project called ``title`` with the current labelling config; create or update it.

    A config change that would orphan existing annotations is refused with the
    server's own check (the one its UI makes).
    """
    config = labelling_config()
    project = find_project(sdk, title)
    if project is None:
        return sdk.projects.create(title=title, label_config=config, description="newscorpus gold annotations")
    if project.label_config != config:
        try:
            sdk.projects.validate_label_config(id=project.id, label_config=config)
        except ApiError as exc:
            raise LabelStudioError(
                f"The label set changed in a way that would orphan annotations in project {title!r}: "
                f"{exc.body}. Keep the labels they use, or resolve those annotations first."
            ) from None
        project = sdk.projects.update(id=project.id, label_config=config)
    return project


def all_tasks(sdk: LabelStudio, project_id: int, **kwargs: Any) -> list[Any]:
    """Return every task of a project, page by page; refuse a listing that stops short."""
    tasks: list[Any] = list(sdk.tasks.list(project=project_id, page_size=PAGE_SIZE, **kwargs))
    expected = sdk.projects.get(id=project_id).task_number
    if expected is not None and len(tasks) != expected:
        raise LabelStudioError(
            f"Listed {plural(len(tasks), 'task')}, but the project has {expected}: the listing stopped early. "
            "Nothing was written."
        )
    return tasks
