"""Spans ↔ BIO, token splitting at span boundaries, and the ner/topics configs of a release."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newscorpus.core.errors import InvalidInput
from newscorpus.core.report import Problem
from newscorpus.derive import tokens as tokens_module
from newscorpus.derive.configs import Ner, NerSentence, TableRows, TopicRow, ner_rows, topic_row
from newscorpus.derive.configs.ner import substrings, tag_sentences
from newscorpus.derive.encode import records_from_batch
from newscorpus.derive.token_store import Sentences
from newscorpus.derive.tokens import TokenCache, sentences
from newscorpus.ingest.corpus import iter_corpus
from newscorpus.model.article import Article, Entity
from newscorpus.model.bio import (
    NestingError,
    bio_names,
    bio_to_spans,
    check_nesting,
    outside_outer,
    spans_to_bio,
    split_tokens,
    tag_sentence,
)
from newscorpus.model.labels import label_sets
from newscorpus.release.build import build
from tests.helpers import add_json_articles, write_gold

LABELS = list(label_sets().entity_names())


@st.composite
def spans_over(draw: st.DrawFn, toks: list[tuple[int, int]]) -> list[tuple[int, int, str]]:
    """Non-overlapping spans that start and end on the boundaries of ``toks``."""
    spans, i = [], 0
    while i < len(toks):
        if draw(st.booleans()):
            j = draw(st.integers(i, min(i + 3, len(toks) - 1)))
            spans.append((toks[i][0], toks[j][1], draw(st.sampled_from(LABELS))))
            i = j + 1 + draw(st.integers(0, 1))
        else:
            i += 1
    return spans


@st.composite
def tokens_and_spans(draw: st.DrawFn) -> tuple[list[tuple[int, int]], list[tuple[int, int, str]]]:
    """Tokens with gaps, and non-overlapping spans that start and end on token boundaries."""
    lengths = draw(st.lists(st.tuples(st.integers(1, 6), st.integers(0, 2)), min_size=1, max_size=25))
    toks, cursor = [], 0
    for length, gap in lengths:
        toks.append((cursor, cursor + length))
        cursor += length + gap
    return toks, draw(spans_over(toks))


def valid_bio(tags: list[str]) -> bool:
    previous = "O"
    for tag in tags:
        if tag.startswith("I-") and previous[2:] != tag[2:]:
            return False
        previous = tag
    return True


@given(tokens_and_spans())
def test_spans_to_bio_to_spans_is_the_identity(case) -> None:
    toks, spans = case
    tags = spans_to_bio(toks, spans)
    assert set(tags) <= set(bio_names())
    assert valid_bio(tags)
    assert bio_to_spans(toks, tags) == spans


@settings(max_examples=200)
@given(st.text(alphabet="abcäöüß „“🇺🇦-", min_size=1, max_size=40), st.data())
def test_token_boundaries_include_every_span_boundary(text: str, data: st.DataObject) -> None:
    toks = [(i, i + len(w)) for i, w in _words(text)]
    if not toks:
        return
    start = data.draw(st.integers(toks[0][0], toks[-1][1] - 1))
    end = data.draw(st.integers(start + 1, toks[-1][1]))
    entity = Entity(start=start, end=end, label="LOC", text=text[start:end])
    if not any(s < end and start < e for s, e in toks):
        return  # the span covers only whitespace
    split, outer, _ = tag_sentence(toks, [entity])
    assert not any(s < start < e or s < end < e for s, e in split)  # no token crosses a span boundary
    assert all(s < e for s, e in split)
    assert "".join(text[s:e] for s, e in split) == "".join(text[s:e] for s, e in toks)  # no character lost
    covered = [t for t, tag in zip(split, outer, strict=True) if tag != "O"]
    if covered:
        assert (covered[0][0], covered[-1][1]) == (max(start, covered[0][0]), min(end, covered[-1][1]))


def _words(text: str) -> list[tuple[int, str]]:
    out, i = [], 0
    for word in text.split(" "):
        if word:
            out.append((i, word))
        i += len(word) + 1
    return out


def test_split_tokens_cuts_only_inside() -> None:
    assert split_tokens([(0, 12), (13, 18)], [4, 13, 18, 99]) == [(0, 4), (4, 12), (13, 18)]
    assert split_tokens([], [3]) == []


@given(tokens_and_spans(), st.lists(st.integers(0, 200), max_size=8))
def test_split_tokens_cuts_each_token_at_every_boundary_inside_it(case, boundaries: list[int]) -> None:
    toks, _ = case
    pieces = [p for s, e in toks for p in itertools.pairwise([s, *sorted({c for c in boundaries if s < c < e}), e])]
    assert split_tokens(toks, boundaries) == pieces


@st.composite
def sentences_and_spans(draw: st.DrawFn) -> tuple[list[list[tuple[int, int]]], list[Entity]]:
    """Sentences of tokens in order (gaps between some), and spans of both levels with boundaries anywhere."""
    found, cursor = [], draw(st.integers(0, 2))
    for _ in range(draw(st.integers(0, 5))):
        sentence = []
        for _ in range(draw(st.integers(1, 6))):
            length = draw(st.integers(1, 5))
            sentence.append((cursor, cursor + length))
            cursor += length + draw(st.integers(0, 2))
        found.append(sentence)
    spans = []
    for _ in range(draw(st.integers(0, 6))):
        start = draw(st.integers(0, cursor + 1))
        end = draw(st.integers(start + 1, cursor + 2))
        spans.append(entity(start, end, draw(st.integers(0, 1)), draw(st.sampled_from(LABELS))))
    return found, spans


def by_sentence(found: list[list[tuple[int, int]]], entities: list[Entity]) -> list[tuple[list, list, list]]:
    """What tagging each sentence on its own gives: sentences a span crosses joined, then ``tag_sentence`` each."""
    check_nesting(entities)
    joined: list[list[tuple[int, int]]] = []
    for sentence in found:
        if joined and any(e.start < joined[-1][-1][1] < e.end for e in entities):
            joined[-1] = joined[-1] + sentence
        else:
            joined.append(sentence)
    inside = [[e for e in entities if s[0][0] <= e.start and e.end <= s[-1][1]] for s in joined]
    return [tag_sentence(sentence, spans) for sentence, spans in zip(joined, inside, strict=True)]


def flat_tagged(found: list[list[tuple[int, int]]], entities: list[Entity]) -> list[tuple[list, list, list]]:
    """``tag_sentences`` of the whole article, read back sentence by sentence as ``by_sentence`` gives them."""
    tagged = tag_sentences(Sentences.of(found), entities)
    names = bio_names()
    tokens = list(zip(tagged.starts.tolist(), tagged.ends.tolist(), strict=True))
    out, at = [], 0
    for length in tagged.lengths.tolist():
        outer, inner = tagged.ner_tags[at : at + length], tagged.nested_ner_tags[at : at + length]
        out.append((tokens[at : at + length], [names[i] for i in outer], [names[i] for i in inner]))
        at += length
    return out


def outcome(tag: Callable[[], object]) -> object:
    """What ``tag`` returns, or the words of the ``NestingError`` it raises."""
    try:
        return tag()
    except NestingError as refused:
        return f"refused: {refused}"


@settings(max_examples=300)
@given(sentences_and_spans())
def test_tagging_an_article_at_once_gives_what_tagging_each_sentence_gives(case) -> None:
    found, entities = case  # the same tags, or the same span refused first, with the same words
    assert outcome(lambda: flat_tagged(found, entities)) == outcome(lambda: by_sentence(found, entities))


@given(st.text(alphabet="ab äßé„“🇺🇦\n", max_size=30), st.data())
def test_substrings_are_the_slices_of_the_text(text: str, data: st.DataObject) -> None:
    bounds = sorted(data.draw(st.lists(st.integers(0, len(text)), max_size=10)))
    pairs = list(zip(bounds[0::2], bounds[1::2], strict=False))
    starts, ends = (np.array([p[i] for p in pairs], np.int64) for i in (0, 1))
    got = substrings(text, starts, ends)
    assert got.to_pylist() == [text[s:e] for s, e in pairs]
    got.validate(full=True)  # valid UTF-8, offsets in order


def entity(start: int, end: int, level: int = 0, label: str = "ORG") -> Entity:
    return Entity(start=start, end=end, label=label, level=level, text="x" * (end - start))


def test_only_spans_that_overlap_within_a_level_are_refused() -> None:
    check_nesting([entity(0, 10), entity(0, 4, 1), entity(12, 15)])
    check_nesting([entity(0, 4), entity(3, 8, 1), entity(10, 12, 1)])  # past its outer span, and outside any
    with pytest.raises(NestingError, match="level-0 spans overlap"):
        check_nesting([entity(0, 10), entity(5, 15)])
    with pytest.raises(NestingError, match="level-1 spans overlap"):
        check_nesting([entity(0, 10), entity(0, 6, 1), entity(4, 8, 1)])


def test_an_inner_span_outside_every_outer_span_is_tagged_as_it_is() -> None:
    toks = [(0, 6), (7, 13), (14, 16)]  # "Sultan Osman I."
    entities = [entity(0, 13, 0, "OTH"), entity(7, 16, 1, "PER")]
    assert tag_sentence(toks, entities) == (toks, ["B-OTH", "I-OTH", "O"], ["O", "B-PER", "I-PER"])
    outer, inner = [(0, 2, "OTH"), (3, 4, "ORG")], [(0, 1, "LOC"), (1, 3, "PER"), (3, 4, "LOC"), (5, 6, "PER")]
    assert outside_outer(outer, inner) == [(1, 3, "PER"), (5, 6, "PER")]


@given(st.data(), tokens_and_spans())
def test_the_two_levels_are_independent_columns(data: st.DataObject, case) -> None:
    toks, outer = case
    inner = data.draw(spans_over(toks))
    entities = [entity(s, e, level, label) for level, spans in enumerate((outer, inner)) for s, e, label in spans]
    check_nesting(entities)
    split, outer_tags, inner_tags = tag_sentence(toks, entities)
    assert split == toks
    assert (bio_to_spans(toks, outer_tags), bio_to_spans(toks, inner_tags)) == (outer, inner)
    assert outer_tags == spans_to_bio(toks, outer)  # the inner level changes nothing in the outer column


def test_invalid_bio_is_refused() -> None:
    with pytest.raises(NestingError, match="follows no B-PER"):
        bio_to_spans([(0, 1), (2, 3)], ["O", "I-PER"])


def seed(corpus: Path) -> Article:
    return next(a for a in iter_corpus(corpus) if isinstance(a, Article) and a.id == "koalition-der-willigen-paris")


def test_seed_sentences_tokens_and_tags(corpus: Path) -> None:
    article = seed(corpus)
    write_gold(corpus, article, [("Emmanuel Macron", "PER"), ("Nato-Staaten", "ORGpart"), ("Pariser", "LOCderiv")])
    article = seed(corpus)
    found = sentences(article.text, [(b.start, b.end) for b in article.blocks], article.pretokenized)
    rows = [NerSentence.model_validate(row) for row in ner_rows(article, found)]
    assert rows[0].tokens == ["Beratungen", "in", "Paris"]
    assert rows[1].tokens == ["Koalition", "der", "Willigen", "ringt", "um", "Militärhilfe", "für", "Ukraine"]
    for row in rows:
        assert [article.text[o.start : o.end] for o in row.token_offsets] == row.tokens
        assert valid_bio(row.ner_tags)
    tagged = [(tok, tag) for r in rows for tok, tag in zip(r.tokens, r.ner_tags, strict=True) if tag != "O"]
    assert tagged == [
        ("Emmanuel", "B-PER"),
        ("Macron", "I-PER"),
        ("Pariser", "B-LOCderiv"),
        ("Nato-Staaten", "B-ORGpart"),
    ]
    assert all(len(r.ner_tags) == len(r.nested_ner_tags) == len(r.tokens) for r in rows)


def test_a_span_across_a_sentence_boundary_merges_the_sentences(corpus: Path) -> None:
    article = seed(corpus)
    found = sentences(article.text, [(b.start, b.end) for b in article.blocks], article.pretokenized)
    end_of_first, start_of_next = found[3][-2], found[4][0]  # the lead's first sentence and the next one
    span = (end_of_first[0], start_of_next[1])
    crossing = Entity(start=span[0], end=span[1], label="OTH", text=article.text[span[0] : span[1]])
    rows = [
        NerSentence.model_validate(row) for row in ner_rows(article.model_copy(update={"entities": [crossing]}), found)
    ]
    assert len(rows) == len(found) - 1
    (merged,) = [r for r in rows if "B-OTH" in r.ner_tags]
    assert len(merged.tokens) == len(found[3]) + len(found[4])


def test_rows_of_many_articles_at_once_are_the_rows_of_each(corpus: Path, tmp_path: Path) -> None:
    add_json_articles(corpus, 3)
    first, refused, _ = [a for a in iter_corpus(corpus) if isinstance(a, Article) and a.id != seed(corpus).id]
    write_gold(corpus, first, [("Straße", "LOC")])
    write_gold(corpus, refused, [("Köln", "LOC"), ("Köln", "ORG")])  # one level, overlapping: refused
    write_gold(corpus, seed(corpus), [("Emmanuel Macron", "PER")])
    articles = [a for a in iter_corpus(corpus) if isinstance(a, Article)]  # the last json article has no gold
    ner = Ner(TokenCache(tmp_path / "cache"))
    many = ner.rows_many(articles)
    for article, rows in zip(articles, many, strict=True):
        one = ner.rows(article)
        assert rows.rows().equals(one.rows()) if isinstance(one, TableRows) else rows == one
    assert [isinstance(rows, Problem) for rows in many].count(True) == 1
    assert [rows for rows in many if isinstance(rows, list)] == [[]]
    made = [rows for rows in many if isinstance(rows, TableRows)]
    assert len({id(rows.table) for rows in made}) == 1  # one table for the job
    expected = [a.id for a in articles if a.id in (first.id, seed(corpus).id)]
    assert [set(rows.rows().column("article_id").to_pylist()) for rows in made] == [{id_} for id_ in expected]
    assert [ner.count(rows) for rows in made] == [
        {"sentences": len(rows), "tokens": sum(map(len, rows.rows().column("tokens").to_pylist()))} for rows in made
    ]


def test_topics_row_is_headline_and_body(corpus: Path) -> None:
    article = seed(corpus)
    assert topic_row(article) is None  # no gold topic yet
    write_gold(corpus, article, [], topic="International")
    row = topic_row(seed(corpus))
    assert row.label == "International"
    assert row.text.startswith("Koalition der Willigen ringt um Militärhilfe für Ukraine\n\nWie weit will Europa")
    assert "Beratungen in Paris" not in row.text  # the kicker
    assert "Ludovic Marin" not in row.text  # the credit


def test_release_has_ner_and_topics_configs_on_the_same_split(corpus: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("NEWSCORPUS_CACHE", str(tmp_path / "cache"))
    add_json_articles(corpus, 30)
    write_gold(corpus, seed(corpus), [("Paris", "LOC")], topic="International")
    result = build(corpus, "1.0.0", processes=1)
    splits = result.manifest.splits
    assert set(splits) == {"documents", "ner", "topics"}
    assert sum(splits["topics"].values()) == 1
    assert sum(splits["ner"].values()) == result.manifest.statistics.sentences

    article_split = {}
    for split in splits["documents"]:
        with pa.ipc.open_stream(result.path / "documents" / f"{split}.arrow") as reader:
            article_split.update({a.id: split for a in records_from_batch(reader.read_all(), Article)})
    for config, model in (("ner", NerSentence), ("topics", TopicRow)):
        for split in splits[config]:
            with pa.ipc.open_stream(result.path / config / f"{split}.arrow") as reader:
                for row in records_from_batch(reader.read_all(), model):
                    assert article_split[getattr(row, "article_id", row.id)] == split


def test_spans_bio_cannot_express_keep_the_article_out_of_ner_alone(corpus: Path) -> None:
    write_gold(corpus, seed(corpus), [("Emmanuel Macron", "PER"), ("Emmanuel", "PER")])  # overlapping, one level
    with pytest.raises(InvalidInput) as refused:
        build(corpus, "1.0.0", processes=1)
    (problem,) = refused.value.report.problems
    assert (problem.code, problem.field, problem.article_id) == ("ner.nesting", "entities", seed(corpus).id)
    assert problem.message.startswith("cannot go into the ner config: ")
    manifest = build(corpus, "1.0.0", processes=1, skip_invalid=True).manifest
    assert manifest.rejected == [problem]
    assert sum(manifest.splits["ner"].values()) == manifest.statistics.sentences == manifest.statistics.tokens == 0
    assert sum(manifest.splits["documents"].values()) == 1  # the article itself is fine everywhere else


def test_tokens_are_cached_by_text_and_one_change_retokenises_one(corpus: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("NEWSCORPUS_CACHE", str(tmp_path / "cache"))
    calls = []
    real = tokens_module.sentences
    monkeypatch.setattr(tokens_module, "sentences", lambda text, *rest: calls.append(text[:20]) or real(text, *rest))
    add_json_articles(corpus, 20)
    for article in iter_corpus(corpus):
        write_gold(corpus, article, [], topic=None)  # ner tokenises only articles with entity gold
    build(corpus, "1.0.0", processes=1)
    assert len(calls) == 21
    calls.clear()
    raw = corpus / "raw" / "koalition-der-willigen-paris.txt"
    raw.write_text(raw.read_text(encoding="utf-8").replace("Macron", "Emmanuel Macron", 1), encoding="utf-8")
    write_gold(corpus, seed(corpus), [], topic=None)  # the gold of the old text no longer applies
    build(corpus, "1.0.1", processes=1)
    assert calls == ["Beratungen in Paris\n"]


def test_one_core_and_two_give_byte_identical_releases(corpus: Path, tmp_path: Path, monkeypatch) -> None:
    add_json_articles(corpus, 40)
    monkeypatch.setenv("NEWSCORPUS_CACHE", str(tmp_path / "cache-1"))
    one = build(corpus, "1.0.0", processes=1)
    files = {e.path: (one.path / e.path).read_bytes() for e in one.manifest.files}
    import shutil

    shutil.rmtree(one.path)
    monkeypatch.setenv("NEWSCORPUS_CACHE", str(tmp_path / "cache-2"))
    two = build(corpus, "1.0.0", processes=2)
    assert {e.path: (two.path / e.path).read_bytes() for e in two.manifest.files} == files


@pytest.mark.integration
def test_transformers_preprocessing_runs_on_the_ner_config_without_glue(corpus: Path, tmp_path: Path) -> None:
    """The alignment step of transformers' run_ner.py, with a WordPiece tokenizer built here (nothing downloaded)."""
    from datasets import load_dataset
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    from newscorpus.publish.folder import publish

    write_gold(corpus, seed(corpus), [("Emmanuel Macron", "PER"), ("Nato-Staaten", "ORGpart")], topic="International")
    build(corpus, "1.0.0")
    publish(corpus, "1.0.0", tmp_path / "published")
    ner = load_dataset(str(tmp_path / "published"), "ner", cache_dir=str(tmp_path / "hf"))["train"]
    label_list = ner.features["ner_tags"].feature.names
    assert label_list == list(bio_names())

    words = sorted({w for row in ner["tokens"] for w in row})
    vocab = {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3}
    for word in words:  # short words whole, long ones only in 3-character pieces, so they split into subwords
        pieces = (word,) if len(word) <= 6 else (word[:3], *(f"##{word[i : i + 3]}" for i in range(3, len(word), 3)))
        for piece in pieces:
            vocab.setdefault(piece, len(vocab))
    core = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]"))  # noqa: S106 - a token name, not a secret
    core.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    core.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)]
    )
    special = {"unk_token": "[UNK]", "pad_token": "[PAD]", "cls_token": "[CLS]", "sep_token": "[SEP]"}
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=core, **special)

    def tokenize_and_align_labels(examples):  # as in transformers' examples/pytorch/token-classification
        tokenized = tokenizer(examples["tokens"], truncation=True, is_split_into_words=True)
        labels = []
        for i, label in enumerate(examples["ner_tags"]):
            word_ids = tokenized.word_ids(batch_index=i)
            previous, ids = None, []
            for word_idx in word_ids:
                ids.append(-100 if word_idx is None or word_idx == previous else label[word_idx])
                previous = word_idx
            labels.append(ids)
        tokenized["labels"] = labels
        return tokenized

    processed = ner.map(tokenize_and_align_labels, batched=True, remove_columns=ner.column_names)
    assert len(processed) == len(ner)
    for row, original in zip(processed, ner, strict=True):
        assert len(row["labels"]) == len(row["input_ids"])
        assert [x for x in row["labels"] if x != -100] == original["ner_tags"]
    assert any(len(r["input_ids"]) > len(o["tokens"]) + 2 for r, o in zip(processed, ner, strict=True))  # subwords
    assert label_list.index("B-PER") in {x for r in processed for x in r["labels"]}
