"""The statistics of a release, as its manifest and card hold them.

A module of its own, importing nothing heavy: every command reads manifests, and most never build.
"""

from __future__ import annotations

from pydantic import Field

from newscorpus.model.article import Record


class ClusterStatistics(Record):
    """The near-duplicate clusters of a release (``release.clusters``): those of more than one article."""

    clusters: int = Field(description="Clusters of two or more near-duplicate articles.")
    articles: int = Field(description="Articles in those clusters.")
    sizes: dict[str, int] = Field(description="Clusters by size: 2, 3, 4, 5-9, 10-99, 100+.")
    largest: int = Field(description="Articles in the largest cluster; 1 if no article has a near-duplicate.")
    largest_id: str | None = Field(None, description="The id of the largest cluster (its first article), if any.")


def cluster_statistics(sizes: list[tuple[str, int]]) -> ClusterStatistics:
    """Return the statistics of clusters given as (id, articles), in the order their first articles were read."""
    bins = {"2": 0, "3": 0, "4": 0, "5-9": 0, "10-99": 0, "100+": 0}
    for _, size in sizes:
        name = str(size) if size < 5 else "5-9" if size < 10 else "10-99" if size < 100 else "100+"
        bins[name] += 1
    largest = max(sizes, key=lambda c: c[1], default=None)  # the first of the largest
    return ClusterStatistics(
        clusters=len(sizes),
        articles=sum(size for _, size in sizes),
        sizes={name: n for name, n in bins.items() if n},
        largest=largest[1] if largest else 1,
        largest_id=largest[0] if largest else None,
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
    duplicates: ClusterStatistics | None = Field(
        None, description="Near-duplicate clusters (releases of schema 3.0 and older: none)."
    )
