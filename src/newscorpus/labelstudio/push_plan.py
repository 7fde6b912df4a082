"""What ``push`` sends: each article's task payload, and what to do with it, decided from the ledger alone.

Deciding needs no server and writes nothing: its inputs are the tasks push knows (the
ledger, caught up with the server; ``newscorpus.labelstudio.ledger``) and the articles'
payloads; ``newscorpus.labelstudio.push`` carries the steps out. For each article:

- no task yet: create one (tasks with a gold layer after those without, see ``Create``);
- a task of another ``text_sha256``: update it in place, replace its predictions (they were made for
  the old text) and flag its annotations for review; its gold is carried to the new text
  (``newscorpus.labelstudio.reanchoring``);
- a task of other data (a layer's status changed, after a pull): update it in place;
- else leave it alone.

Gold and imported layers travel as predictions, one per source (the layer's ``source`` is
the prediction's ``model_version``), so annotators correct rather than start from zero. The
task data carry each layer's status, which the tabs filter on
(``newscorpus.labelstudio.views``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from newscorpus.labelstudio.convert import to_results
from newscorpus.labelstudio.ledger import KnownTask, data_sha256
from newscorpus.labelstudio.views import GOLD_LAYERS, STATUS_FIELDS, TEXT_CHANGED_AT
from newscorpus.model.article import Article

DEFAULT_MODEL_VERSION = "newscorpus"
"""The ``model_version`` of a prediction from a layer that names no source."""


def task_data(article: Article) -> dict[str, Any]:
    """Return the task data of an article; ``article_id`` is the key every later push and pull uses."""
    data: dict[str, Any] = {"text": article.text, "article_id": article.id, "text_sha256": article.text_sha256}
    if article.headline:
        data["headline"] = article.headline
    layers = {layer: getattr(article.annotation, layer).status for layer in STATUS_FIELDS}
    data |= {STATUS_FIELDS[layer]: status for layer, status in layers.items()}
    data[GOLD_LAYERS] = sum(status == "gold" for status in layers.values())
    return data


def predictions(article: Article) -> list[dict[str, Any]]:
    """Return the article's gold and imported layers as predictions, one per source (its ``model_version``).

    A gold entity layer without spans goes as the "no names" tick.
    """
    by_source: dict[str, dict[str, Any]] = {}
    entities, topic = article.annotation.entities, article.annotation.topic
    if article.entities or entities.status == "gold":
        by_source.setdefault(entities.source or DEFAULT_MODEL_VERSION, {})["entities"] = article.entities
    if article.topic is not None:
        by_source.setdefault(topic.source or DEFAULT_MODEL_VERSION, {})["topic"] = article.topic
    return [
        {"model_version": source, "result": to_results(layers.get("entities"), layers.get("topic"))}
        for source, layers in by_source.items()
    ]


def new_task(article: Article) -> dict[str, Any]:
    """Return an import payload: the task, and its gold or imported layers as predictions."""
    task: dict[str, Any] = {"data": task_data(article)}
    if found := predictions(article):
        task["predictions"] = found
    return task


@dataclass(frozen=True)
class Create:
    """A new task, from its import payload."""

    task: dict[str, Any]
    later: bool
    """The article has a gold layer: its task is imported after those without, so that in the
    default order (by task id) the tasks without gold come first."""

    @property
    def article_id(self) -> str:
        """The article the task is for."""
        article_id: str = self.task["data"]["article_id"]
        return article_id


@dataclass(frozen=True)
class Update:
    """A task whose data are updated in place, and why."""

    task_id: int
    data: dict[str, Any]
    why: Literal["text", "data"]
    """``text``: the text changed, so the task's annotations are flagged for review (``sent`` stamps
    ``text_changed_at``; pull carries annotations older than that to the new text, or keeps them out
    of gold). ``data``: only other data changed (a layer's status), and the task keeps when its text
    last changed."""
    predictions: list[dict[str, Any]] = field(default_factory=list)
    """For a new text, the article's predictions, which replace those made for the old text."""

    @property
    def article_id(self) -> str:
        """The article the task is for."""
        article_id: str = self.data["article_id"]
        return article_id

    def sent(self, now: str) -> dict[str, Any]:
        """Return the data to send; if the text changed, stamped with ``now`` (ISO, UTC) as ``text_changed_at``."""
        return {**self.data, TEXT_CHANGED_AT: now} if self.why == "text" else self.data


@dataclass(frozen=True)
class Unchanged:
    """A task that already holds the article's data."""

    article_id: str


Step = Create | Update | Unchanged


def decide(known: KnownTask | None, task: dict[str, Any]) -> Step:
    """Return what to do with an article's import payload ``task``, given what is known of its task (None: none)."""
    data = task["data"]
    if known is None:
        return Create(task=task, later=bool(data[GOLD_LAYERS]))
    if known.text_sha256 != data["text_sha256"]:
        return Update(task_id=known.id, data=data, why="text", predictions=task.get("predictions", []))
    if known.data_sha256 != data_sha256(data):
        if known.text_changed_at is not None:
            data = {**data, TEXT_CHANGED_AT: known.text_changed_at}
        return Update(task_id=known.id, data=data, why="data")
    return Unchanged(article_id=data["article_id"])


def plan_push(known: Mapping[str, KnownTask], tasks: Iterable[dict[str, Any]]) -> Iterator[Step]:
    """Return, lazily, one step per import payload in ``tasks``, given the project's tasks ``known`` by article id.

    Lazy, so that the upload sends the first tasks while the corpus is still being read.
    """
    for task in tasks:
        yield decide(known.get(task["data"]["article_id"]), task)
