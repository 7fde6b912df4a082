"""An unknown key of a raw input: refused, with the accepted keys and the one it probably meant."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import parse_raw
from hypothesis import given
from hypothesis import strategies as st

from newscorpus.core.codes import Code
from newscorpus.core.errors import InvalidInput
from newscorpus.core.report import Problem
from newscorpus.ingest.parsers.jsonl import JsonArticle
from newscorpus.model import keys
from newscorpus.model.keys import meant
from newscorpus.model.sidecar import Sidecar, load_sidecar

RECORD_KEYS = list(JsonArticle.model_fields)
SIDECAR_KEYS = list(Sidecar.model_fields)


def _camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part.title() for part in rest)


@given(
    accepted=st.sampled_from([RECORD_KEYS, SIDECAR_KEYS]),
    pick=st.integers(0, 100),
    style=st.sampled_from([_camel, str.upper, str.title, lambda n: n.replace("_", "-"), lambda n: f"_{n}"]),
)
def test_a_key_written_in_another_style_is_taken_for_the_accepted_one(
    accepted: list[str], pick: int, style: Callable[[str], str]
) -> None:
    """publishedAt (NewsAPI), Published-At, HEADLINE, MongoDB's _id: the accepted key written otherwise."""
    name = accepted[pick % len(accepted)]
    assert meant(style(name), accepted) == name


def test_every_synonym_names_a_record_key_and_is_none_itself() -> None:
    """The table names fields that exist, and no synonym is an accepted key or another field's synonym."""
    plain_keys = {key.replace("_", "") for key in RECORD_KEYS + SIDECAR_KEYS}
    seen: list[str] = []
    for field, others in keys._SYNONYMS.items():
        assert field in RECORD_KEYS
        for other in others:
            assert other == keys._plain(other)  # looked up as written
            assert other not in plain_keys
            seen.append(other)
    assert len(seen) == len(set(seen))


@given(
    accepted=st.sampled_from([RECORD_KEYS, SIDECAR_KEYS]),
    key=st.one_of(st.sampled_from(sorted(keys._MEANT)), st.text(max_size=12)),
)
def test_a_guess_is_always_an_accepted_key(accepted: list[str], key: str) -> None:
    """A sidecar's ``content`` is given no guess: ``body`` is a record's key, not a sidecar's."""
    guess = meant(key, accepted)
    assert guess is None or guess in accepted
    if key in keys._MEANT:
        assert (guess is not None) == (keys._MEANT[key] in accepted)


def test_a_news_api_article_is_refused_with_each_key_it_meant(tmp_path: Path) -> None:
    """NewsAPI's article object: every key but one has a field under another name, and the message names it."""
    record = {
        "author": "Max Muster",
        "title": "Rathaus wird saniert",
        "description": "Das Kölner Rathaus wird ab Montag saniert.",
        "url": "https://www.spiegel.de/panorama/rathaus-a-123.html",
        "urlToImage": "https://cdn.spiegel.de/images/rathaus.jpg",
        "publishedAt": "2024-03-05T10:00:00Z",
        "content": "Das Kölner Rathaus wird ab Montag saniert.",
    }
    problems = parse_raw(tmp_path, "newsapi.json", json.dumps(record, ensure_ascii=False))
    assert all(isinstance(p, Problem) for p in problems)
    unknown = {p.field: p.message for p in problems if isinstance(p, Problem) and p.code is Code.FIELD_UNKNOWN}
    guesses = {key: re.search(r"did you mean (\w+)\?", message) for key, message in unknown.items()}
    assert {key: found.group(1) if found else None for key, found in guesses.items()} == {
        "author": "authors",
        "description": "lead",
        "urlToImage": None,
        "publishedAt": "published_at",
        "content": "body",
    }
    for message in unknown.values():  # each still lists every accepted key
        assert message.split("(accepted: ")[1].split(")")[0].split(", ") == RECORD_KEYS


@pytest.mark.parametrize(("key", "field"), [("date", "published_at"), ("Autor", "authors"), ("ressort", None)])
def test_an_unknown_sidecar_key_names_the_sidecar_keys_and_the_one_it_meant(
    tmp_path: Path, key: str, field: str | None
) -> None:
    path = tmp_path / "a.meta.yaml"
    path.write_text(f"{key}: x\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        load_sidecar(path, "raw/a.meta.yaml")
    [problem] = caught.value.report.problems
    assert (problem.code, problem.field) == (Code.FIELD_UNKNOWN, key)
    assert problem.message.split("(accepted: ")[1].split(")")[0].split(", ") == SIDECAR_KEYS
    assert (f"did you mean {field}?" in problem.message) if field else "did you mean" not in problem.message
