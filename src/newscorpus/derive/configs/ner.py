"""The ``ner`` config: a row per sentence, with the columns and 25 ``ClassLabel`` names of the Hub's ``germeval_14``.

So training scripts written for ``germeval_14`` run on it unchanged. Only articles whose entity
layer is gold go in, so an all-``O`` row is an answer. Sentences come from SoMaJo through the
token cache (``newscorpus.derive.tokens``).
"""

from __future__ import annotations

from collections import Counter
from itertools import chain
from typing import TYPE_CHECKING, Any, cast

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field

from newscorpus.core.codes import Code
from newscorpus.core.report import Problem
from newscorpus.derive.configs.base import Config, Rows, register
from newscorpus.derive.tokens import Sentence, TokenCache, cached_sentences
from newscorpus.model.article import Article, ArticleId, Entity, Offset, Record
from newscorpus.model.bio import NestingError, check_nesting, tag_sentence
from newscorpus.model.label_types import NerTag

if TYPE_CHECKING:  # datasets takes seconds to import; only building or summarising needs it
    import datasets


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
    ner_tags: list[NerTag] = Field(description="Outer entities (level 0), BIO.")
    nested_ner_tags: list[NerTag] = Field(description="Inner entities (level 1), BIO.")
    token_offsets: list[TokenOffset] = Field(description="Each token's place in the article text.")


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


@register
class Ner(Config):
    """Token classification: the sentences of every article with entity gold, tagged BIO on two levels."""

    name = "ner"
    model = NerSentence
    description = (
        "one row per sentence, with `tokens`, `ner_tags` and `nested_ner_tags` (the 25 BIO tags of "
        "GermEval 2014, as the Hub's `germeval_14`), and `token_offsets` into the article text."
    )
    counts = ("sentences", "tokens")
    task_categories = ("token-classification",)
    task_ids = ("named-entity-recognition",)

    def __init__(self, cache: TokenCache | None = None) -> None:
        # Made in the building process, so every worker reads and fills the cache it names.
        self.cache = cache or TokenCache()

    def rows(self, article: Article) -> Rows | Problem:
        """Return the sentences as one table if the entity layer is gold, or why BIO cannot express the spans."""
        if not has_entity_gold(article):
            return []
        try:
            rows = ner_rows(article, cached_sentences(article, self.cache))
        except NestingError as exc:
            return Problem(
                code=Code.NER_NESTING,
                file=article.raw_file,
                line=article.raw_line,
                field="entities",
                message=f"cannot go into the ner config: {exc}",
                article_id=article.id,
            )
        # A table, made here: one article has many sentences, and a table travels cheaper than their dicts.
        from newscorpus.derive.features import record_batch  # datasets: imported when rows are made

        return pa.Table.from_batches([record_batch(rows, NerSentence)])

    def count(self, rows: Rows) -> dict[str, int]:
        """Count the sentences and their tokens."""
        tokens = pc.list_value_length(cast(pa.Table, rows).column("tokens"))  # rows() makes only tables
        return {"sentences": len(rows), "tokens": pc.sum(tokens).as_py()}

    def summarize(self, split: datasets.Dataset) -> dict[str, Counter[str]]:
        """Count the entities of both levels by their ``B-`` tags."""
        tag = self.class_label(split.features["ner_tags"].feature)
        tags = chain(split["ner_tags"], split["nested_ner_tags"])
        return {"entities": Counter(name[2:] for name in map(tag.int2str, chain.from_iterable(tags)) if name[0] == "B")}
