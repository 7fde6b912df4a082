"""The ``ner`` config: a row per sentence, with the columns and 25 ``ClassLabel`` names of the Hub's ``germeval_14``.

So training scripts written for ``germeval_14`` run on it unchanged. Only articles whose entity
layer is gold go in, so an all-``O`` row is an answer. Sentences come from SoMaJo through the
token cache (``newscorpus.derive.tokens``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from itertools import chain
from typing import TYPE_CHECKING, Any, NamedTuple, cast

import numpy as np
import pyarrow as pa
from pydantic import Field

from newscorpus.core.codes import Code
from newscorpus.core.ranges import run_indices
from newscorpus.core.report import Problem
from newscorpus.derive.configs.base import Config, Rows, TableRows, register
from newscorpus.derive.encode import records_from_batch
from newscorpus.derive.features import schema_for
from newscorpus.derive.token_store import Sentences
from newscorpus.derive.tokens import Sentence, TokenCache, cached_sentences
from newscorpus.model.article import Article, ArticleId, Entity, Offset, Record
from newscorpus.model.bio import Ids, NestingError, check_nesting, split_offsets, tag_offsets
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


def has_entity_gold(article: Article) -> bool:
    """Whether ``article`` belongs in ``ner``: its entity layer is gold, so an all-``O`` row there is an answer."""
    return article.annotation.entities.status == "gold"


class Tagged(NamedTuple):
    """The ``ner`` sentences of one article as flat arrays: tokens per sentence, then per token its offsets and tags."""

    lengths: Ids
    starts: Ids
    ends: Ids
    ner_tags: Ids
    nested_ner_tags: Ids


def tag_sentences(found: Sentences, entities: list[Entity]) -> Tagged:
    """Return an article's ``ner`` sentences; raise ``NestingError`` for spans BIO cannot express.

    ``found`` are its sentences (``derive.tokens``), tokens in order; ``entities`` its gold spans.
    Sentences that a span crosses are joined: a span is never cut, not even by a sentence boundary.
    The spans that lie in a sentence split its tokens at their boundaries and are tagged (``model.bio``),
    checked sentence by sentence: each sentence's outer spans, then its inner ones. A span in no
    sentence (one that starts or ends in the space between two) is left out, as it always was.
    """
    check_nesting(entities)
    lengths, starts, ends = found.lengths, found.starts, found.ends
    if not len(lengths):
        return Tagged(lengths, starts, ends, np.zeros(0, np.int64), np.zeros(0, np.int64))
    span_starts, span_ends, levels = (
        np.array([getattr(e, f) for e in entities], np.int64) for f in ("start", "end", "level")
    )
    bounds = np.cumsum(lengths)
    ended = ends[bounds[:-1] - 1][:, None]  # where each sentence but the last ends
    joined = ((span_starts < ended) & (ended < span_ends)).any(axis=1)
    opens = (bounds - lengths)[np.concatenate(([True], ~joined))]  # each (joined) sentence's first token
    closes = np.append(opens[1:], len(starts))
    sentence, which = np.nonzero((starts[opens][:, None] <= span_starts) & (span_ends <= ends[closes - 1][:, None]))
    split_starts, split_ends = split_offsets(starts, ends, np.unique(np.append(span_starts[which], span_ends[which])))
    # A token split in pieces makes its sentence longer: count each sentence's tokens from where its first starts.
    opens = np.searchsorted(split_starts, starts[opens], "left")
    inside = [entities[i] for i in which[np.lexsort((which, levels[which], sentence))].tolist()]
    outer, inner = tag_offsets(split_starts, split_ends, [(e.start, e.end, e.label, e.level) for e in inside])
    return Tagged(np.diff(np.append(opens, len(split_starts))), split_starts, split_ends, outer, inner)


def substrings(text: str, starts: Ids, ends: Ids) -> pa.StringArray:
    """Return ``text[start:end]`` for each offset pair as one Arrow array, cut from the UTF-8 bytes at once."""
    data = np.frombuffer(text.encode("utf-8"), np.uint8)
    if len(data) != len(text):  # not ASCII: code point offsets become byte offsets
        points = np.frombuffer(text.encode("utf-32-le"), "<u4")
        at = np.zeros(len(text) + 1, np.int64)
        np.cumsum(1 + (points >= 0x80) + (points >= 0x800) + (points >= 0x10000), out=at[1:])
        starts, ends = at[starts], at[ends]
    sizes = ends - starts
    offsets = np.zeros(len(sizes) + 1, np.int32)
    np.cumsum(sizes, out=offsets[1:])
    # The value bytes are the strings' byte runs, one after another.
    picks = run_indices(starts, sizes)
    return pa.StringArray.from_buffers(len(sizes), pa.py_buffer(offsets), pa.py_buffer(data[picks]))


def ner_table(tagged: Sequence[tuple[Article, Tagged]]) -> pa.Table:
    """Return the ``ner`` rows of articles with entity gold, each with its ``tag_sentences``, as one table.

    The columns are built whole from the flat arrays of all the articles at once: a dict per sentence
    and per token, as ``Table.from_pylist`` takes rows, cost most of a build, and so did a table per article.
    """
    schema = schema_for(NerSentence)
    lengths = np.concatenate([sentences.lengths for _, sentences in tagged] or [np.zeros(0, np.int64)])
    at = np.zeros(len(lengths) + 1, np.int32)  # where each sentence's tokens start: the list columns' offsets
    np.cumsum(lengths, out=at[1:])
    offsets = pa.array(at)

    def per_token(name: str, values: pa.Array) -> pa.ListArray:
        return pa.ListArray.from_arrays(offsets, values, type=schema.field(name).type)

    def joined(column: str) -> Ids:
        return np.concatenate([getattr(sentences, column) for _, sentences in tagged] or [np.zeros(0, np.int64)])

    # The texts joined, so that every token is cut from one string: each article's offsets move by the texts before it.
    texts = [article.text for article, _ in tagged]
    before = np.cumsum([0, *map(len, texts)], dtype=np.int64)[:-1]
    moved = np.repeat(before, [len(sentences.starts) for _, sentences in tagged])
    starts, ends = joined("starts"), joined("ends")
    rows = [(article, len(sentences.lengths)) for article, sentences in tagged]
    columns = [
        pa.array([f"{article.id}-{number:04d}" for article, n in rows for number in range(n)], pa.string()),
        pa.array([article.id for article, n in rows for _ in range(n)], pa.string()),
        pa.array([article.source for article, n in rows for _ in range(n)], pa.string()),
        per_token("tokens", substrings("".join(texts), starts + moved, ends + moved)),
        per_token("ner_tags", pa.array(joined("ner_tags"))),
        per_token("nested_ner_tags", pa.array(joined("nested_ner_tags"))),
        per_token(
            "token_offsets",
            pa.StructArray.from_arrays(
                [pa.array(starts.astype(np.int32)), pa.array(ends.astype(np.int32))],
                fields=list(schema.field("token_offsets").type.value_type),
            ),
        ),
    ]
    return pa.Table.from_arrays(columns, schema=schema)


def ner_rows(article: Article, found: list[Sentence]) -> list[dict[str, Any]]:
    """Return the ``ner`` rows of an article with entity gold as ``NerSentence`` dicts (tags by name).

    Raise ``NestingError`` for spans BIO cannot express. ``found`` are its sentences as ``derive.tokens.sentences``
    gives them. A build makes ``ner_table`` of the cached sentences instead; this reads it back.
    """
    table = ner_table([(article, tag_sentences(Sentences.of(found), article.entities))])
    return [row.model_dump() for row in records_from_batch(table, NerSentence)]


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
        return self.rows_many([article])[0]

    def rows_many(self, articles: Sequence[Article]) -> Sequence[Rows | Problem]:
        """Return ``rows`` of each article: one table made for all of them, and rows of it for each."""
        made: list[Tagged | Problem | None] = []
        for article in articles:
            if not has_entity_gold(article):
                made.append(None)
                continue
            try:
                made.append(tag_sentences(cached_sentences(article, self.cache), article.entities))
            except NestingError as exc:
                made.append(
                    Problem(
                        code=Code.NER_NESTING,
                        file=article.raw_file,
                        line=article.raw_line,
                        field="entities",
                        message=f"cannot go into the ner config: {exc}",
                        article_id=article.id,
                    )
                )
        tagged_here = [(a, tagged) for a, tagged in zip(articles, made, strict=True) if isinstance(tagged, Tagged)]
        table = ner_table(tagged_here) if tagged_here else None  # most corpora hold articles without entity gold
        rows: list[Rows | Problem] = []
        at = 0
        for tagged in made:
            if isinstance(tagged, Tagged):  # so the table was made
                rows.append(TableRows(cast(pa.Table, table), at, at + len(tagged.lengths)))
                at += len(tagged.lengths)
            else:
                rows.append(tagged or [])
        return rows

    def count(self, rows: Rows) -> dict[str, int]:
        """Count the sentences and their tokens."""
        tokens = cast(TableRows, rows).rows().column("tokens")  # rows() makes only table rows
        return {"sentences": len(rows), "tokens": sum(len(chunk.flatten()) for chunk in tokens.chunks)}

    def summarize(self, split: datasets.Dataset) -> dict[str, Counter[str]]:
        """Count the entities of both levels by their ``B-`` tags."""
        tag = self.class_label(split.features["ner_tags"].feature)
        tags = chain(split["ner_tags"], split["nested_ner_tags"])
        return {"entities": Counter(name[2:] for name in map(tag.int2str, chain.from_iterable(tags)) if name[0] == "B")}
