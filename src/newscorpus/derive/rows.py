"""What one article gives each config of a release, made on the core that parsed it, and the statistics.

Only these encoded rows and a few counts travel to the process writing the release:
an ``Article`` would cost about as much to unpickle there as to parse.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from newscorpus.core.report import Problem
from newscorpus.derive.configs import Config, Rows
from newscorpus.derive.statistics import Statistics
from newscorpus.model.article import LAYERS, Article


@dataclass(frozen=True)
class ArticleRows:
    """One article as a release takes it: its encoded rows per config, and what the statistics count.

    Made on the process that parsed the article, so only this small summary and the
    encoded rows travel to the process writing the release.
    """

    split: str
    words: int
    entities: list[str]
    topic: str | None
    layers: tuple[str, str]  # the status of the entity layer and of the topic layer
    license: str
    rows: dict[str, Rows]  # by config, only those the article gives rows
    counts: dict[str, int]  # what the configs count of those rows, by Statistics field
    problems: list[Problem]  # why the article is kept out of a config


def article_rows(article: Article, configs: tuple[Config, ...]) -> ArticleRows:
    """Return the rows ``article`` gives each of ``configs``, what they count of them, and what keeps it out of any."""
    rows: dict[str, Rows] = {}
    counts: dict[str, int] = {}
    problems = []
    for config in configs:
        made = config.rows(article)
        if isinstance(made, Problem):
            problems.append(made)
        elif len(made):
            rows[config.name] = made
            for name, n in config.count(made).items():
                counts[name] = counts.get(name, 0) + n
    return ArticleRows(
        split=article.split,
        words=len(article.text.split()),
        entities=[e.label for e in article.entities],
        topic=article.topic,
        layers=(article.annotation.entities.status, article.annotation.topic.status),
        license=article.license,
        rows=rows,
        counts=counts,
        problems=problems,
    )


class Tally:
    """The release statistics, counted while articles stream past."""

    def __init__(self, configs: list[Config]) -> None:
        self.configs = configs
        self.articles = self.words = 0
        self.entities: Counter[str] = Counter()
        self.topics: Counter[str] = Counter()
        self.layers: dict[str, Counter[str]] = {layer: Counter() for layer in LAYERS}
        self.licenses: Counter[str] = Counter()
        self.counts: Counter[str] = Counter()  # what the configs count

    def add(self, article: ArticleRows) -> None:
        """Count one article."""
        self.articles += 1
        self.words += article.words
        self.counts.update(article.counts)
        self.entities.update(article.entities)
        self.topics.update([article.topic] if article.topic else [])
        for layer, status in zip(LAYERS, article.layers, strict=True):
            self.layers[layer][status] += 1
        self.licenses[article.license] += 1

    def freeze(self) -> Statistics:
        """Return the counts as the manifest's statistics; each config's own counts only if the release holds it."""
        counters = ("entities", "topics", "licenses")
        return Statistics.model_validate(
            {
                "layers": {layer: dict(sorted(counts.items())) for layer, counts in self.layers.items()},
                "articles": self.articles,
                "words": self.words,
                **{name: self.counts[name] for config in self.configs for name in config.counts},
                **{k: dict(sorted(getattr(self, k).items())) for k in counters},
            }
        )
