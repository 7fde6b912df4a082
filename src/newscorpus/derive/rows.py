"""What one article gives each config of a release, made on the core that parsed it, and the statistics.

Only these encoded rows and a few counts travel to the process writing the release:
an ``Article`` would cost about as much to unpickle there as to parse.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
from pydantic import Field

from newscorpus.core.report import Problem
from newscorpus.derive.configs import NerSentence, TopicRow, has_entity_gold, ner_rows, topic_row
from newscorpus.derive.features import record_batch, row_encoder
from newscorpus.derive.tokens import TokenCache, cached_sentences
from newscorpus.model.article import LAYERS, Article, Record
from newscorpus.model.bio import NestingError


@dataclass(frozen=True)
class NerRows:
    """An article's ``ner`` rows, encoded as an Arrow table, and their token count."""

    table: pa.Table
    tokens: int


@dataclass(frozen=True)
class ArticleRows:
    """One article as a release takes it: its rows per config (encoded, or None) and what statistics count.

    Made on the process that parsed the article, so only this small summary and the
    encoded rows travel to the process writing the release.
    """

    split: str
    words: int
    entities: list[str]
    topic: str | None
    layers: tuple[str, str]  # the status of the entity layer and of the topic layer
    license: str
    documents: dict[str, Any] | None
    topics: dict[str, Any] | None
    ner: NerRows | Problem | None


def article_rows(article: Article, configs: tuple[str, ...], cache: str) -> ArticleRows:
    """Return the rows ``article`` gives each of ``configs``; the ``ner`` rows are tokenised through ``cache``."""
    ner: NerRows | Problem | None = None
    if "ner" in configs and has_entity_gold(article):
        try:
            rows = ner_rows(article, cached_sentences(article, TokenCache(Path(cache))))
        except NestingError as exc:
            where = {"file": article.raw_file, "line": article.raw_line, "article_id": article.id}
            ner = Problem(field="entities", message=f"cannot go into the ner config: {exc}", **where)
        else:
            table = pa.Table.from_batches([record_batch(rows, NerSentence)])
            ner = NerRows(table=table, tokens=sum(len(row["tokens"]) for row in rows))
    topic = topic_row(article) if "topics" in configs else None
    documents = row_encoder(Article)(article) if "documents" in configs else None
    if documents is not None:
        # As UTF-8 here, on the worker: Arrow takes the bytes as they are, while a str it must encode.
        documents["text"] = article.text.encode("utf-8")
    return ArticleRows(
        split=article.split,
        words=len(article.text.split()),
        entities=[e.label for e in article.entities],
        topic=article.topic,
        layers=(article.annotation.entities.status, article.annotation.topic.status),
        license=article.license,
        documents=documents,
        topics=row_encoder(TopicRow)(topic) if topic else None,
        ner=ner,
    )


class Statistics(Record):
    """Counts over a release, for the manifest and the dataset card."""

    articles: int
    words: int = Field(description="Whitespace-separated words over all texts.")
    sentences: int | None = Field(None, description="Sentences in the ner config (releases before it: none).")
    tokens: int | None = Field(None, description="Tokens in the ner config (releases before it: none).")
    entities: dict[str, int]
    topics: dict[str, int]
    status: dict[str, int] | None = Field(
        None, description="Articles per annotation status (releases of schema 2 and older: one status per article)."
    )
    layers: dict[str, dict[str, int]] | None = Field(
        None, description="Articles per status of each annotation layer (entities, topic); none before schema 3."
    )
    licenses: dict[str, int]


class Tally:
    """The release statistics, counted while articles stream past."""

    def __init__(self) -> None:
        self.articles = self.words = self.sentences = self.tokens = 0
        self.entities: Counter[str] = Counter()
        self.topics: Counter[str] = Counter()
        self.layers: dict[str, Counter[str]] = {layer: Counter() for layer in LAYERS}
        self.licenses: Counter[str] = Counter()

    def add(self, article: ArticleRows) -> None:
        """Count one article."""
        self.articles += 1
        self.words += article.words
        if isinstance(article.ner, NerRows):
            self.sentences += article.ner.table.num_rows
            self.tokens += article.ner.tokens
        self.entities.update(article.entities)
        self.topics.update([article.topic] if article.topic else [])
        for layer, status in zip(LAYERS, article.layers, strict=True):
            self.layers[layer][status] += 1
        self.licenses[article.license] += 1

    def freeze(self, with_ner: bool) -> Statistics:
        """Return the counts as the manifest's statistics; sentences and tokens only ``with_ner``."""
        counters = ("entities", "topics", "licenses")
        return Statistics(
            layers={layer: dict(sorted(counts.items())) for layer, counts in self.layers.items()},
            articles=self.articles,
            words=self.words,
            sentences=self.sentences if with_ner else None,
            tokens=self.tokens if with_ner else None,
            **{k: dict(sorted(getattr(self, k).items())) for k in counters},
        )
