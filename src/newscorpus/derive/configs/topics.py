"""The ``topics`` config: a row per article with a gold topic, with the columns and classes of the Hub's ``gnad10``."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pydantic import Field

from newscorpus.derive.configs.base import Config, Rows, register
from newscorpus.model.article import Article, ArticleId, Record
from newscorpus.model.label_types import Topic

if TYPE_CHECKING:  # datasets takes seconds to import; only building or summarising needs it
    import datasets

TOPIC_KINDS = ("headline", "lead", "subheading", "paragraph")
"""The blocks of a ``topics`` text: headline and body, as 10kGNAD's texts are (no kicker, caption or credit)."""


class TopicRow(Record):
    """One article with a gold topic: its headline and body, and the topic."""

    id: ArticleId
    text: str = Field(description="Headline and body, blocks separated by a blank line.")
    label: Topic


def topic_text(article: Article) -> str:
    """Return the text a ``topics`` row holds: the headline and body blocks (the whole text if it has none)."""
    text = "\n\n".join(article.text[b.start : b.end] for b in article.blocks if b.kind in TOPIC_KINDS)
    return text or article.text


def topic_row(article: Article) -> TopicRow | None:
    """Return the ``topics`` row of an article with a gold topic, else None."""
    if article.topic is None or article.annotation.topic.status != "gold":
        return None
    return TopicRow(id=article.id, text=topic_text(article), label=article.topic)


@register
class Topics(Config):
    """Text classification: every article whose topic layer is gold, as 10kGNAD gives its articles."""

    name = "topics"
    model = TopicRow
    description = (
        "one row per article with a gold topic, `text` (headline and body) and `label` (the nine classes of "
        "10kGNAD, as the Hub's `gnad10`)."
    )
    task_categories = ("text-classification",)
    task_ids = ("topic-classification",)

    def rows(self, article: Article) -> Rows:
        """Return the article's one row if its topic is gold, else none."""
        return self.table_rows([topic_row(article)])[0]

    def rows_many(self, articles: Sequence[Article]) -> Sequence[Rows]:
        """Return each article's row if its topic is gold: one table for all of them, a range of it for each."""
        return self.table_rows([topic_row(article) for article in articles])

    def summarize(self, split: datasets.Dataset) -> dict[str, Counter[str]]:
        """Count the topics."""
        label = self.class_label(split.features["label"])
        return {"topics": Counter(map(label.int2str, split["label"]))}
