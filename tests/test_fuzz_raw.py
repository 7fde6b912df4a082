"""Any bytes in a raw file: parsed into articles and problems, never an exception (one bad file hides no other)."""

from __future__ import annotations

import codecs
import json
import shutil
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newscorpus.core.report import Problem
from newscorpus.ingest.corpus import iter_corpus
from newscorpus.model.article import Article

PREFIXES = [
    b"",
    codecs.BOM_UTF8,
    codecs.BOM_UTF16_LE,
    codecs.BOM_UTF16_BE,
    b"{",
    b'{"url": "https://example.org/a", "headline": "',
    b"[",
    "Politik\n\nÜberschrift über Köln\n\nVon dpa 04.09.2025, 14:07 Uhr\n\n".encode(),
    b"{\x00",
]
"""Beginnings that send the bytes down each reader's path: BOMs, JSON, a page copy's header, UTF-16."""
PIECES = st.sampled_from(
    [b"\x00", b"\n", b"\r\n", b'"', b"\\u", b"\\ud83d", b"}", b"]", b",", "ü".encode(), b"\xc3", b"\xff"]
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.sampled_from(PREFIXES),
    st.lists(st.binary(max_size=12) | PIECES, max_size=24).map(b"".join),
    st.sampled_from(["a.txt", "a.json", "a.jsonl"]),
)
def test_any_bytes_give_articles_and_problems_never_an_exception(
    tmp_path: Path, prefix: bytes, rest: bytes, name: str
) -> None:
    corpus = tmp_path / "corpus"
    shutil.rmtree(corpus, ignore_errors=True)
    (corpus / "raw").mkdir(parents=True)
    (corpus / "raw" / name).write_bytes(prefix + rest)
    results = list(iter_corpus(corpus))  # as every command reads a corpus: pieces, workers' parsing, admission
    assert all(isinstance(r, Article | Problem) for r in results)
    assert {r.raw_file if isinstance(r, Article) else r.file for r in results} == {f"raw/{name}"}


RECORD_KEYS = [
    # the corpus's own, and those news-please, schema.org, trafilatura and dataset exports give
    "url", "id", "headline", "title", "lead", "body", "text", "published_at", "updated_at", "authors", "license",
    "source", "split", "metadata", "kicker", "caption", "agency", "redistributable", "maintext", "date_publish",
    "date_modify", "source_domain", "@type", "@graph", "articleBody", "datePublished", "dateModified", "author",
    "publisher", "mainEntityOfPage", "description", "excerpt", "hostname", "source-hostname", "date",
]  # fmt: skip
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | st.text(max_size=20)
    | st.sampled_from(["2025-09-04", "04.09.2025 14:07", "NewsArticle", "https://example.org/a", "CC-BY-4.0"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(RECORD_KEYS), inner, max_size=3),
    max_leaves=8,
)  # fmt: skip
"""Any JSON, with the values the readers look for: dates, article types, URLs, licences."""


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.sampled_from(RECORD_KEYS), JSON_VALUES, max_size=8), st.sampled_from(["a.json", "a.jsonl"]))
def test_any_json_record_gives_an_article_or_problems_never_an_exception(
    tmp_path: Path, record: dict[str, object], name: str
) -> None:
    """Every reader a record may go to (the corpus's, news-please's, schema.org's, trafilatura's) takes any shape.

    It found a schema.org ``@type`` that is an object (unhashable) raising out of the reading.
    """
    corpus = tmp_path / "corpus"
    shutil.rmtree(corpus, ignore_errors=True)
    (corpus / "raw").mkdir(parents=True)
    (corpus / "raw" / name).write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    results = list(iter_corpus(corpus))
    assert results
    assert all(isinstance(r, Article | Problem) for r in results)
