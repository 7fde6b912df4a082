"""``push``: the corpus into a Label Studio project, upserted by article id.

Label Studio's importer does not deduplicate, so push lists the project's
tasks first: an article with a task of the same ``text_sha256`` is skipped, a
new one is created, one whose text changed is updated in place and its
existing annotations are flagged for review (``text_changed_at`` on the task;
pull keeps annotations older than that out of gold). Gold and imported spans
travel as predictions, so annotators correct rather than start from zero.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newscorpus.article import Article
from newscorpus.corpus import iter_corpus
from newscorpus.labelstudio.client import Connection, client, ensure_project, talking_to
from newscorpus.labelstudio.config import DEFAULT_PROJECT
from newscorpus.labelstudio.convert import to_results
from newscorpus.report import Problem

BATCH_SIZE = 200


@dataclass
class PushResult:
    """What a push did, by article id."""

    project_id: int
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    flagged_for_review: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def task_data(article: Article, changed_at: str | None = None) -> dict[str, Any]:
    """Return the task data of an article; ``article_id`` is the key every later push and pull uses."""
    data: dict[str, Any] = {"text": article.text, "article_id": article.id, "text_sha256": article.text_sha256}
    if article.headline:
        data["headline"] = article.headline
    if changed_at:
        data["text_changed_at"] = changed_at
    return data


def new_task(article: Article) -> dict[str, Any]:
    """Return an import payload: the task, and its gold or imported spans as a prediction."""
    task: dict[str, Any] = {"data": task_data(article)}
    if article.entities or article.topic:
        task["predictions"] = [
            {
                "model_version": article.annotation.source or "newscorpus",
                "result": to_results(article.entities, article.topic),
            }
        ]
    return task


def push(
    corpus: Path,
    conn: Connection,
    project_title: str = DEFAULT_PROJECT,
    *,
    on_progress: Callable[[int, int], None] | None = None,
) -> PushResult:
    """Push every valid article of ``corpus``; return what was created, updated and left alone."""
    sdk = client(conn)
    with talking_to(conn):
        project = ensure_project(sdk, project_title)
        result = PushResult(project_id=project.id)
        existing: dict[str, Any] = {}
        for task in sdk.tasks.list(project=project.id, page_size=1000, fields="task_only"):
            article_id = (task.data or {}).get("article_id")
            if article_id in existing:
                result.problems.append(
                    Problem(file=f"label-studio task {task.id}", message=f"duplicates the task of {article_id!r}")
                )
            elif article_id:
                existing[article_id] = task
        to_create: list[dict[str, Any]] = []
        for item in iter_corpus(corpus):
            if isinstance(item, Problem):
                result.problems.append(item)
                continue
            task = existing.get(item.id)
            if task is None:
                to_create.append(new_task(item))
            elif task.data.get("text_sha256") == item.text_sha256:
                result.unchanged.append(item.id)
            else:
                now = dt.datetime.now(dt.UTC).isoformat()
                sdk.tasks.update(id=str(task.id), data=task_data(item, changed_at=now))
                result.updated.append(item.id)
                if task.total_annotations:
                    result.flagged_for_review.append(item.id)
        for start in range(0, len(to_create), BATCH_SIZE):
            batch = to_create[start : start + BATCH_SIZE]
            # No retries: the SDK would retry a POST on a 5xx and import the batch twice.
            sdk.projects.import_tasks(
                id=project.id, request=batch, return_task_ids=True, request_options={"max_retries": 0}
            )
            result.created += [t["data"]["article_id"] for t in batch]
            if on_progress:
                on_progress(len(result.created), len(to_create))
    return result
