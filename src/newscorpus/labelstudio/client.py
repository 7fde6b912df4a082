"""Talking to a Label Studio server with the SDK: which server, which project, clear errors.

The server is the one named by ``LABEL_STUDIO_URL`` and ``LABEL_STUDIO_API_KEY``
(the SDK's own variables) when both are set, else the one ``serve`` started.
The API key never appears in a message.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from label_studio_sdk import LabelStudio
from label_studio_sdk.core.api_error import ApiError

from newscorpus.core.plural import plural
from newscorpus.labelstudio.config import config_labels, labelling_config
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

    A config change that would orphan existing annotations (a label they use is gone) is
    refused, naming the labels: by our own count of the labels the annotations use, and by
    the server's check (the one its UI makes), which does not always see fresh annotations.
    """
    config = labelling_config()
    project = find_project(sdk, title)
    if project is None:
        return sdk.projects.create(title=title, label_config=config, description="newscorpus gold annotations")
    if project.label_config != config:
        keep = "Keep the labels they use, or resolve those annotations first."
        if orphaned := orphaned_labels(all_tasks(sdk, project.id), config):
            named = ", ".join(f"{label} ({plural(n, 'annotation')})" for label, n in sorted(orphaned.items()))
            raise LabelStudioError(
                f"The label set changed in a way that would orphan annotations in project {title!r}: "
                f"they use {named}, which the new labels lack. {keep}"
            )
        try:
            sdk.projects.validate_label_config(id=project.id, label_config=config)
        except ApiError as exc:
            raise LabelStudioError(
                f"The label set changed in a way that would orphan annotations in project {title!r}: {exc.body}. {keep}"
            ) from None
        project = sdk.projects.update(id=project.id, label_config=config)
    return project


def orphaned_labels(tasks: Iterable[Any], config: str) -> dict[str, int]:
    """Return each label the tasks' annotations use that ``config`` lacks, as ``control:label``, with its annotations.

    A label is looked up in the control the annotation names (``from_name``): a value moved to
    another control is orphaned too.
    """
    offered = config_labels(config)
    found: Counter[str] = Counter()
    for task in tasks:
        for annotation in task.annotations or []:
            used = {
                f"{result.get('from_name')}:{label}"
                for result in annotation.get("result") or []
                for key in ("labels", "choices")
                for label in (result.get("value") or {}).get(key) or []
                if label not in offered.get(result.get("from_name", ""), ())
            }
            found.update(used)  # an annotation counts once per label, however many spans carry it
    return dict(found)


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
