"""The training configs next to ``documents``: ``ner`` (a row per sentence) and ``topics`` (a row per article).

Their rows are records like the articles, so their Features derive from these
models too. ``ner`` has the columns and the 25 ``ClassLabel`` names of the
Hub's ``germeval_14``, and ``topics`` those of ``gnad10``, so training scripts
written for either run on these configs unchanged.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from newscorpus.derive.tokens import Sentence
from newscorpus.model.article import Article, ArticleId, Entity, Offset, Record, Topic
from newscorpus.model.bio import bio_names, check_nesting, tag_sentence

NerTag = Literal[bio_names()]  # type: ignore[valid-type]
TOPIC_KINDS = ("headline", "lead", "subheading", "paragraph")
"""The blocks of a ``topics`` text: headline and body, as 10kGNAD's texts are (no kicker, caption or credit)."""


class TokenOffset(Record):
    """Where a token stands in the article text: ``text[start:end]`` is the token."""

    start: Offset
    end: Offset


class NerSentence(Record):
    """One sentence with its tokens and GermEval 2014 BIO tags (outer and nested)."""

    id: str = Field(description="The article id and the sentence's number in it.")
    article_id: ArticleId
    source: str | None = Field(None, description="The article's outlet or, for GermEval, its URL and date.")
    tokens: list[str]
    ner_tags: list[NerTag] = Field(description="Outer entities (level 0), BIO.")  # type: ignore[valid-type]
    nested_ner_tags: list[NerTag] = Field(description="Inner entities (level 1), BIO.")  # type: ignore[valid-type]
    token_offsets: list[TokenOffset] = Field(description="Each token's place in the article text.")


class TopicRow(Record):
    """One article with a gold topic: its headline and body, and the topic."""

    id: ArticleId
    text: str = Field(description="Headline and body, blocks separated by a blank line.")
    label: Topic  # type: ignore[valid-type]


CONFIG_MODELS: dict[str, type[Record]] = {"documents": Article, "ner": NerSentence, "topics": TopicRow}


def _merge_crossed(found: list[Sentence], entities: list[Entity]) -> list[Sentence]:
    """Join sentences that a span crosses: a span is never cut, not even by a sentence boundary."""
    merged: list[Sentence] = []
    for sentence in found:
        if merged and any(e.start < merged[-1][-1][1] < e.end for e in entities):
            merged[-1] = merged[-1] + sentence
        else:
            merged.append(sentence)
    return merged


def has_entity_gold(article: Article) -> bool:
    """Whether ``article`` belongs in ``ner``: its entity layer is gold, so an all-``O`` row there is an answer."""
    return article.annotation.entities.status == "gold"


def ner_rows(article: Article, found: list[Sentence]) -> list[dict[str, Any]]:
    """Return the ``ner`` rows of an article with entity gold; raise ``NestingError`` for spans BIO cannot express.

    Rows are plain dicts: a build makes one per sentence and one offset per token, and model
    objects for each cost a third of the build. ``NerSentence.model_validate`` accepts every row.
    """
    check_nesting(article.entities)
    rows = []
    for number, sentence in enumerate(_merge_crossed(found, article.entities)):
        first, last = sentence[0][0], sentence[-1][1]
        inside = [e for e in article.entities if first <= e.start and e.end <= last]
        tokens, outer, inner = tag_sentence(sentence, inside)
        rows.append(
            {
                "id": f"{article.id}-{number:04d}",
                "article_id": article.id,
                "source": article.source,
                "tokens": [article.text[s:e] for s, e in tokens],
                "ner_tags": outer,
                "nested_ner_tags": inner,
                "token_offsets": [{"start": s, "end": e} for s, e in tokens],
            }
        )
    return rows


def topic_row(article: Article) -> TopicRow | None:
    """Return the ``topics`` row of an article with a gold topic, else None."""
    if article.topic is None or article.annotation.topic.status != "gold":
        return None
    text = "\n\n".join(article.text[b.start : b.end] for b in article.blocks if b.kind in TOPIC_KINDS)
    return TopicRow(id=article.id, text=text or article.text, label=article.topic)
