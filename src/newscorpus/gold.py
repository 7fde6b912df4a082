"""Gold annotation files: ``corpus/annotations/<article id>.json``.

One reviewable, git-diffable JSON file per article holds its gold spans, its
topic and where they came from. The file names the ``text_sha256`` of the text
it was made on; gold for another text is stale and never applied.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AwareDatetime, Field, ValidationError

from newscorpus.article import Annotation, Article, ArticleId, Entity, Record, Sha256, Topic
from newscorpus.report import Problem, problems_from_validation

ANNOTATIONS_DIR = "annotations"


class AnnotationRef(Record):
    """One annotation in the annotation tool that the gold was taken from."""

    tool: str = "label-studio"
    project_id: int | None = None
    task_id: int | None = None
    annotation_id: int | None = None
    annotator: str = Field(description="Pseudonymous annotator id.")
    ground_truth: bool = False
    created_at: AwareDatetime | None = None
    updated_at: AwareDatetime | None = None


class GoldFile(Record):
    """The gold of one article, as synced from the annotation tool."""

    article_id: ArticleId
    text_sha256: Sha256 = Field(description="sha256 of the text the spans were made on.")
    status: Literal["gold", "needs_review", "needs_adjudication"]
    topic: Topic | None = None  # type: ignore[valid-type]
    entities: list[Entity] = Field(default_factory=list)
    annotations: list[AnnotationRef] = Field(default_factory=list)


def gold_path(corpus: Path, article_id: str) -> Path:
    """Return where the gold file of ``article_id`` lives."""
    return corpus / ANNOTATIONS_DIR / f"{article_id}.json"


def load_gold(path: Path, name: str) -> GoldFile | list[Problem]:
    """Load one gold file, or return every problem in it."""
    try:
        return GoldFile.model_validate_json(path.read_bytes())
    except ValidationError as exc:
        return problems_from_validation(exc, name)


def apply_gold(article: Article, gold: GoldFile, name: str) -> Article | list[Problem]:
    """Return ``article`` with ``gold`` applied, or the problems that keep the gold out."""
    if gold.article_id != article.id:
        return [
            Problem(
                file=name, field="article_id", message=f"names {gold.article_id!r}, but the file is for {article.id!r}"
            )
        ]
    if gold.text_sha256 != article.text_sha256:
        return [
            Problem(
                file=name,
                field="text_sha256",
                article_id=article.id,
                message="is stale: the article's text changed after it was annotated. "
                "Try `newscorpus labelstudio push` and review the task.",
            )
        ]
    if gold.status != "gold":
        return article.model_copy(update={"annotation": Annotation(status=gold.status)})
    annotators = sorted({ref.annotator for ref in gold.annotations})
    stamps = [ref.updated_at or ref.created_at for ref in gold.annotations if ref.updated_at or ref.created_at]
    update = {
        "entities": [e.model_dump() for e in gold.entities],
        "topic": gold.topic,
        "annotation": {
            "status": "gold",
            "source": gold.annotations[0].tool if gold.annotations else None,
            "annotators": annotators,
            "annotated_at": max(stamps) if stamps else None,
        },
    }
    try:
        return Article.model_validate({**article.model_dump(), **update})
    except ValidationError as exc:
        return problems_from_validation(exc, name, article_id=article.id)
