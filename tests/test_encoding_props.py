"""Decoding: the mojibake check (never on German text, always on German text decoded wrongly), and UTF-16."""

from __future__ import annotations

import codecs
import struct

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from newscorpus.core.codes import Code
from newscorpus.ingest.encoding import (
    _C0_CONTROLS,
    _CONTROLS,
    _MOJIBAKE,
    Decoded,
    UndecodableError,
    bomless_utf16,
    decode_text,
    text_problem,
    utf16_encoding,
)
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
@example("Ä„", "cp1252")  # bytes C4 84: UTF-8 too, for "Ą"
def test_legacy_encoded_german_decodes_to_the_same_text(text: str, encoding: str) -> None:
    """Legacy bytes decode to their text; bytes that are valid UTF-8 too are read as UTF-8, as the module says."""
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        return  # the text holds characters that encoding cannot write
    try:
        as_utf8 = data.decode("utf-8")
    except UnicodeDecodeError:
        assert decode_text(data).text == text
        return
    try:
        decoded = decode_text(data).text
    except UndecodableError:
        return  # its UTF-8 reading holds control characters or mojibake: refused, never guessed otherwise
    assert decoded == as_utf8


SUSPECTS = [*"\x00\x08\x0b\x1f\x7f\x80\x85\x9f\xa0ÂÃÌÍáâïð¼ä€„", "Ã¼", "Ã„", "â€ž", "ï»¿", "ð\x9f\x98\x80"]
"""Controls, mojibake leads, what follows them, and whole mojibake."""


@given(st.lists(st.characters(codec="utf-8") | st.sampled_from(SUSPECTS), min_size=1).map("".join))
def test_a_text_has_a_problem_exactly_when_a_control_or_mojibake_is_in_it(text: str) -> None:
    """The quick scan that clears most texts before any regex runs never clears one with a problem."""
    if text.strip():
        assert (text_problem(text) is None) == (not _CONTROLS.search(text) and not _MOJIBAKE.search(text))
        lenient = text_problem(text, allow_c1=True) is None
        assert lenient == (not _C0_CONTROLS.search(text) and not _MOJIBAKE.search(text))


def test_every_character_below_u0100_and_every_mojibake_pair_is_scanned_for() -> None:
    for text in [f"Straße {chr(c)} zu" for c in range(256)] + [f"Straße {m} zu" for m in SUSPECTS]:
        assert (text_problem(text) is None) == (not _CONTROLS.search(text) and not _MOJIBAKE.search(text)), text


@settings(max_examples=300)
@given(WITHOUT_C1, st.sampled_from(["utf-16-le", "utf-16-be"]))
def test_german_text_in_utf16_without_a_bom_decodes_to_the_same_text(text: str, encoding: str) -> None:
    """Windows tools write UTF-16 without a byte-order mark: German text is read back whole, by its bytes' order."""
    units = len(text.encode("utf-16-le")) // 2
    assume(4 * sum(ord(c) < 0x100 for c in text) >= 3 * units)  # mostly Latin-1, as German is: what its bytes show
    decoded = decode_text(text.encode(encoding))
    assert decoded == Decoded(text, encoding)
    [warning] = bomless_utf16(decoded, "raw/x.txt")
    assert warning.code is Code.RAW_UTF16
    assert warning.severity == "warning"
    assert bomless_utf16(decode_text(codecs.BOM_UTF16 + text.encode("utf-16")[2:]), "raw/x.txt") == []


@given(st.text(st.characters(codec="utf-8", exclude_characters="\x00")))
def test_utf8_is_never_taken_for_utf16(text: str) -> None:
    """UTF-8 has a zero byte only for NUL: nothing else looks like UTF-16 without a byte-order mark."""
    assert utf16_encoding(text.encode("utf-8")) is None


def test_a_binary_file_whose_zeros_look_like_utf16_is_still_refused_as_binary() -> None:
    """A PNG's header, a table of small 16-bit numbers: zeros in every other byte, yet no text. Refused as binary."""
    png = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000100000001008060000001ff3ff61")
    numbers = struct.pack("<16H", *range(1, 17))
    for data in (png, numbers):
        assert utf16_encoding(data) is not None
        with pytest.raises(UndecodableError) as caught:
            decode_text(data)
        assert caught.value.code in {Code.RAW_NUL_BYTES, Code.RAW_CONTROL_CHAR}
        assert "binary" in str(caught.value)


def test_utf16_with_a_bom_that_breaks_says_where() -> None:
    data = codecs.BOM_UTF16_LE + "Straße".encode("utf-16-le") + b"\x00\xdc" + "zu".encode("utf-16-le")
    with pytest.raises(UndecodableError) as caught:
        decode_text(data)
    assert caught.value.code is Code.RAW_UNDECODABLE
    assert "not UTF-16 from byte 14 on" in str(caught.value)
