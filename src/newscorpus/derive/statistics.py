"""The statistics of a release, as its manifest and card hold them.

A module of its own, importing nothing heavy: every command reads manifests, and most never build.
"""

from __future__ import annotations

from pydantic import Field

from newscorpus.model.article import Record


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
