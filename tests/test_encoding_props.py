"""The mojibake check: never on German text, always on German text decoded with the wrong encoding."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from newscorpus.ingest.encoding import decode_text, text_problem
from tests.strategies import german_text

NON_ASCII = german_text(min_tokens=1).filter(lambda t: any(ord(c) > 0x9F for c in t))
# C1 controls are left out of round trips: byte 0x85 is "…" in cp1252 and NEL in Latin-1, and
# cp1252 is the right guess for a German newsroom's file.
WITHOUT_C1 = german_text(min_tokens=1).filter(lambda t: t.strip() and not any(0x80 <= ord(c) <= 0x9F for c in t))


@settings(max_examples=300)
@given(german_text(min_tokens=1))
def test_german_text_is_never_taken_for_mojibake(text: str) -> None:
    problem = text_problem(text)
    assert problem is None or problem[0] != "mojibake"


@settings(max_examples=300)
@given(NON_ASCII, st.sampled_from(["cp1252", "latin-1"]))
def test_utf8_read_with_a_legacy_encoding_is_always_caught(text: str, wrong: str) -> None:
    try:
        garbled = text.encode("utf-8").decode(wrong)
    except UnicodeDecodeError:
        return  # cp1252 leaves five bytes undefined: such a file is refused as undecodable instead
    problem = text_problem(garbled)
    assert problem is not None
    assert problem[0] in {"mojibake", "control_char"}


@given(WITHOUT_C1, st.sampled_from(["cp1252", "latin-1"]))
def test_legacy_encoded_german_decodes_to_the_same_text(text: str, encoding: str) -> None:
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        return  # the text holds characters that encoding cannot write
    assert decode_text(data).text == text
