"""The small helpers every layer shares: one place each, with the invariants that make them safe to share."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from hypothesis import given
from hypothesis import strategies as st

from newscorpus.core.offsets import pretokenized_offsets
from newscorpus.ingest.parsers.jsonl import ArticleMetadata
from newscorpus.model.article import Article
from newscorpus.model.metadata import Metadata
from newscorpus.model.sidecar import SIDECAR_SUFFIX, Sidecar, sidecar_path
from tests.strategies import EMOJI, SHARP_S, UMLAUTS

# Pieces, not characters: an emoji may be several code points, and a token must hold no space.
PIECES = [*UMLAUTS, *SHARP_S, *EMOJI, "a", "Z", ".", "„", "“", "-"]
TOKEN = st.lists(st.sampled_from(PIECES), min_size=1, max_size=6).map("".join)
NAME = st.from_regex(r"[a-zäöü0-9_-]{1,12}(/[a-zäöü0-9_-]{1,12}){0,2}\.(txt|json|jsonl|tsv|csv)", fullmatch=True)


@given(st.lists(TOKEN, min_size=1, max_size=20))
def test_pretokenized_offsets_give_back_each_token(tokens: list[str]) -> None:
    text = " ".join(tokens)
    offsets = pretokenized_offsets(tokens)
    assert [text[start:end] for start, end in offsets] == tokens
    assert offsets[-1][1] == len(text)


@given(NAME)
def test_sidecar_names_and_paths_agree(name: str) -> None:
    as_name = sidecar_path(f"raw/{name}")
    assert as_name == sidecar_path(Path("raw") / name).as_posix()
    assert as_name.endswith(SIDECAR_SUFFIX)
    assert PurePosixPath(as_name).parent == PurePosixPath(f"raw/{name}").parent
    assert as_name.removesuffix(SIDECAR_SUFFIX) == f"raw/{name}".rsplit(".", 1)[0]


def test_every_metadata_key_is_the_article_field_of_that_name() -> None:
    """Sidecars and JSON records share one declaration, and it can only name what an Article holds."""
    for name, field in Metadata.model_fields.items():
        assert name in Article.model_fields
        article_type = Article.model_fields[name].annotation
        assert field.annotation in (article_type | None, article_type), name
    assert set(Metadata.model_fields) <= set(Sidecar.model_fields)
    assert set(Metadata.model_fields) <= set(ArticleMetadata.model_fields)
