"""Gold annotation files: ``corpus/annotations/<article id>.json``.

One reviewable, git-diffable JSON file per article holds its gold, layer by
layer (the entity spans, the topic), and where it came from. A layer the file
leaves out is one no annotation completed: the article keeps what it had there
(an import's gold, or nothing). The file names the ``text_sha256`` of the text it
was made on; gold for another text is stale and never applied.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from copy import copy
from pathlib import Path
from typing import Any, Literal

from pydantic import AwareDatetime, Field, ValidationError

from newscorpus.core.codes import Code, CodedValueError
from newscorpus.core.report import Problem, problems_from_validation
from newscorpus.model.article import LAYERS, Annotation, Article, ArticleId, Entity, LayerName, Record, Sha256
from newscorpus.model.label_types import Topic

ANNOTATIONS_DIR = "annotations"
AGREEMENT_CHART = "reports/agreement.svg"
"""Where ``labelstudio pull`` draws the annotators' agreement in a corpus; the next release's card links it."""
GoldStatus = Literal["gold", "needs_review", "needs_adjudication"]
_EMPTY: dict[str, Any] = {"entities": [], "topic": None}
"""A layer's value while it is not gold."""
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
_ABSENT = frozenset({errno.ENOENT, errno.ENOTDIR, errno.ELOOP})
"""Why opening a gold file may fail when there is none: what ``Path.is_file`` takes for no file."""


class AnnotationRef(Record):
    """One annotation in the annotation tool that the gold was taken from."""

    tool: str = "label-studio"
    project_id: int | None = None
    task_id: int | None = None
    annotation_id: int | None = None
    annotator: str = Field(description="Pseudonymous annotator id.")
    ground_truth: bool = False
    layers: list[LayerName] = Field(default_factory=list, description="The layers this annotation completed.")
    created_at: AwareDatetime | None = None
    updated_at: AwareDatetime | None = None


class EntityGold(Record):
    """The entity layer of a gold file: its status and, when gold, every span (none: the text has no entity)."""

    status: GoldStatus
    spans: list[Entity] = Field(default_factory=list)


class TopicGold(Record):
    """The topic layer of a gold file: its status and, when gold, the topic."""

    status: GoldStatus
    label: Topic | None = None


class GoldFile(Record):
    """The gold of one article, as synced from the annotation tool, layer by layer."""

    article_id: ArticleId
    text_sha256: Sha256 = Field(description="sha256 of the text the spans were made on.")
    entities: EntityGold | None = Field(None, description="The entity layer; absent if no annotation completed it.")
    topic: TopicGold | None = Field(None, description="The topic layer; absent if no annotation completed it.")
    annotations: list[AnnotationRef] = Field(default_factory=list)


def gold_name(article_id: str) -> str:
    """Return how the gold file of ``article_id`` is named in reports: relative to the corpus, with /."""
    return f"{ANNOTATIONS_DIR}/{article_id}.json"


def gold_path(corpus: Path, article_id: str) -> Path:
    """Return where the gold file of ``article_id`` lives."""
    return corpus / gold_name(article_id)


def _parse(data: bytes, name: str) -> GoldFile | list[Problem]:
    try:
        return GoldFile.model_validate_json(data)
    except ValidationError as exc:
        return problems_from_validation(exc, name)


def load_gold(path: Path, name: str) -> GoldFile | list[Problem]:
    """Load one gold file, or return every problem in it."""
    return _parse(path.read_bytes(), name)


def _read_regular(path: str) -> bytes | None:
    """Return the bytes of the regular file at ``path``; None if there is none there (as ``Path.is_file`` sees it)."""
    # One open and one fstat, where a stat, an open and pathlib took twice the time: this runs for every article.
    # Non-blocking, so that a FIFO of that name is passed over, not waited on.
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        if exc.errno in _ABSENT:
            return None
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return None
        chunks = []
        while chunk := os.read(fd, info.st_size + 1):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def with_gold(corpus: Path, article: Article) -> tuple[Article, list[Problem], bytes | None]:
    """Return ``article`` with its gold file in ``corpus`` applied, or unchanged with the problems that keep it out.

    Also the sha256 of the gold file's bytes as read (None: there is none), applied or not, so
    that a build can tell whether the file it hashes for its manifest is the one it read. An
    article without a gold file comes back unchanged, with no problem.
    """
    name = gold_name(article.id)
    data = _read_regular(os.path.join(corpus, name))  # noqa: PTH118 - a str: a Path costs more than the read
    if data is None:
        return article, [], None
    digest = hashlib.sha256(data).digest()
    gold = _parse(data, name)
    applied = gold if isinstance(gold, list) else apply_gold(article, gold, name)
    return (article, applied, digest) if isinstance(applied, list) else (applied, [], digest)


def _layer(gold: GoldFile, name: LayerName, status: GoldStatus) -> dict[str, Any]:
    """Return the article's layer ``name`` as the gold file's layer of ``status`` sets it."""
    refs = [ref for ref in gold.annotations if name in ref.layers]
    stamps = [stamp for ref in refs if (stamp := ref.updated_at or ref.created_at)]
    return {
        "status": status,
        "source": refs[0].tool if refs else None,
        "annotators": sorted({ref.annotator for ref in refs}),
        "annotated_at": max(stamps) if stamps else None,
    }


def _refused(name: str, field: str | None, code: Code, message: str, article_id: str | None = None) -> list[Problem]:
    """Return the one problem that keeps a gold file out: its ``field`` (None: its spans) does not fit the article."""
    return [Problem(code=code, file=name, field=field, article_id=article_id, message=message)]


def apply_gold(article: Article, gold: GoldFile, name: str) -> Article | list[Problem]:
    """Return ``article`` with each layer of ``gold`` applied, or the problems that keep the gold out.

    A layer the gold file leaves out keeps the article's own. A gold layer replaces the article's
    layer (spans, or topic); a layer under review or in dispute replaces it only where the article
    had no gold there: it never unseats gold that stands (an import's).
    """
    if gold.article_id != article.id:
        wrong = f"names {gold.article_id!r}, but the file is for {article.id!r}"
        return _refused(name, "article_id", Code.GOLD_WRONG_ARTICLE, wrong)
    if gold.text_sha256 != article.text_sha256:
        stale = (
            "is stale: the article's text changed after it was annotated. "
            "Try `newscorpus labelstudio push` and review the task."
        )
        return _refused(name, "text_sha256", Code.GOLD_STALE, stale, article.id)
    # The gold's values were validated with the gold file, as the types the article's fields have; only the
    # article's rules that read the layers run again, not the text's.
    layers: dict[str, Any] = {layer: getattr(article.annotation, layer) for layer in LAYERS}
    update: dict[str, Any] = {}
    values = {
        "entities": gold.entities.spans if gold.entities else [],
        "topic": gold.topic.label if gold.topic else None,
    }
    for layer in LAYERS:
        layer_gold: EntityGold | TopicGold | None = getattr(gold, layer)
        if layer_gold is None or (layer_gold.status != "gold" and layers[layer].status == "gold"):
            continue
        layers[layer] = _layer(gold, layer, layer_gold.status)
        # A copy: the article holds the value itself, and no two articles may share a list.
        update[layer] = values[layer] if layer_gold.status == "gold" else copy(_EMPTY[layer])
    try:
        return article.with_layers(Annotation.model_validate(layers), update)
    except ValidationError as exc:
        return problems_from_validation(exc, name, article_id=article.id)
    except CodedValueError as exc:
        return _refused(name, None, exc.code, str(exc), article.id)
