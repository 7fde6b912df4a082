"""What one article gives each config of a release, made on the core that parsed it, and the statistics.

The rows stay on the worker that made them (``derive.shards`` writes them), and the
statistics are counted there too, a job at a time (``Tally``): only the job's counts travel
to the driver, which adds them up. An ``Article`` would cost about as much to unpickle there
as to parse.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from newscorpus.core.report import Problem
from newscorpus.derive.configs import Config, Rows
from newscorpus.derive.statistics import ClusterStatistics, Statistics
from newscorpus.model.article import LAYERS, Article


@dataclass(frozen=True, slots=True)
class ArticleRows:
    """One article as a release takes it: how many rows it gives each config, and what the statistics count."""

    id: str
    split: str  # as its id gives it: the driver may move it into its near-duplicate cluster's split
    raw_file: str
    raw_line: int | None
    words: int
    entities: list[str]
    topic: str | None
    layers: tuple[str, str]  # the status of the entity layer and of the topic layer
    license: str
    sizes: dict[str, int]  # rows by config, only those the article gives rows
    counts: dict[str, int]  # what the configs count of those rows, by Statistics field
    problems: list[Problem]  # why the article is kept out of a config


def job_rows(
    articles: list[Article], words: list[int], configs: tuple[Config, ...]
) -> list[tuple[ArticleRows, dict[str, Rows]]]:
    """Return what each of one job's ``articles`` gives the statistics and ``configs``, and what keeps it out of any.

    Each config makes the rows of the whole job at once (``Config.rows_many``). ``words`` are the
    articles' word counts (``ingest.candidates.text_key`` has them).
    """
    made_by = [config.rows_many(articles) for config in configs]
    made = []
    for n, (article, article_words) in enumerate(zip(articles, words, strict=True)):
        rows: dict[str, Rows] = {}
        counts: dict[str, int] = {}
        problems = []
        for config, by_article in zip(configs, made_by, strict=True):
            these = by_article[n]
            if isinstance(these, Problem):
                problems.append(these)
            elif len(these):
                rows[config.name] = these
                for name, count in config.count(these).items():
                    counts[name] = counts.get(name, 0) + count
        summary = ArticleRows(
            id=article.id,
            split=article.split,
            raw_file=article.raw_file,
            raw_line=article.raw_line,
            words=article_words,
            entities=[e.label for e in article.entities],
            topic=article.topic,
            layers=(article.annotation.entities.status, article.annotation.topic.status),
            license=article.license,
            sizes={config: len(these) for config, these in rows.items()},
            counts=counts,
            problems=problems,
        )
        made.append((summary, rows))
    return made


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
        self.duplicates: ClusterStatistics | None = None  # set once every article is in

    def add(self, article: ArticleRows) -> None:
        """Count one article."""
        self.articles += 1
        self.words += article.words
        # Plain item additions: Counter.update is a Python loop with checks, and this runs once per article.
        for name, n in article.counts.items():
            self.counts[name] += n
        for label in article.entities:
            self.entities[label] += 1
        if article.topic:
            self.topics[article.topic] += 1
        for layer, status in zip(LAYERS, article.layers, strict=True):
            self.layers[layer][status] += 1
        self.licenses[article.license] += 1

    def merge(self, other: Tally) -> None:
        """Add the counts of ``other``: a job's, counted on its worker."""
        self.articles += other.articles
        self.words += other.words
        for counter in ("entities", "topics", "licenses", "counts"):
            getattr(self, counter).update(getattr(other, counter))
        for layer, counts in other.layers.items():
            self.layers[layer].update(counts)

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
                "duplicates": self.duplicates,
            }
        )
