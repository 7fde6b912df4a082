"""The ``documents`` config: one row per article, every field of the ``Article`` model."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from newscorpus.derive.configs.base import Config, Rows, register
from newscorpus.model.article import Article

if TYPE_CHECKING:  # datasets takes seconds to import; only building or summarising needs it
    import datasets


@register
class Documents(Config):
    """Every article as it is: text, structure, metadata, gold and provenance."""

    name = "documents"
    model = Article
    description = (
        "one row per article with its text, structure (`blocks`), metadata and gold "
        "(`entities` as character spans, `topic`)."
    )
    task_categories = ("token-classification", "text-classification")
    task_ids = ("named-entity-recognition", "topic-classification")

    def rows(self, article: Article) -> Rows:
        """Return the article's one row."""
        return self.table_rows([article])[0]

    def rows_many(self, articles: Sequence[Article]) -> Sequence[Rows]:
        """Return each article's one row: one table for all of them, a range of it for each (``table_rows``)."""
        return self.table_rows(articles)

    def summarize(self, split: datasets.Dataset) -> dict[str, Counter[str]]:
        """Count the gold spans per label and the gold topics."""
        label = self.class_label(split.features["entities"].feature["label"])
        topic = self.class_label(split.features["topic"])
        entities = Counter(label.int2str(e["label"]) for spans in split["entities"] for e in spans)
        return {"entities": entities, "topics": Counter(topic.int2str(t) for t in split["topic"] if t is not None)}
