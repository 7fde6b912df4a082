r"""The offset rule, in one place.

Offsets count Python code points (``str`` indices) over NFC text whose only
line break is ``\\n``. Every span satisfies ``text[start:end] == span_text``.
Texts are normalised once, here, before any offset is computed, so an offset
never depends on how the raw file happened to encode a character or a newline.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable

BLOCK_SEPARATOR = "\n\n"
# CRLF, lone CR and the Unicode line/paragraph separators all become "\n".
_LINE_BREAKS = re.compile(r"\r\n|[\r\u2028\u2029\x85]")
_TRAILING_SPACE = re.compile(r"[ \t]+$", re.MULTILINE)


def normalize_text(text: str) -> str:
    r"""Return ``text`` in NFC with ``\\n`` newlines and no trailing spaces on a line."""
    # The substring tests are fast scans in C; the regexes run only on texts that need them.
    if "\r" in text or "\x85" in text or "\u2028" in text or "\u2029" in text:
        text = _LINE_BREAKS.sub("\n", text)
    if " \n" in text or "\t\n" in text or text.endswith((" ", "\t")):
        text = _TRAILING_SPACE.sub("", text)
    return unicodedata.normalize("NFC", text)


def sha256_text(text: str) -> str:
    """Return the hex sha256 of ``text`` encoded as UTF-8."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def assemble(parts: Iterable[tuple[str, str]], normalized: bool = False) -> tuple[str, list[tuple[str, int, int]]]:
    """Join ``(kind, block_text)`` parts into one text and stand-off ``(kind, start, end)`` blocks.

    Each block is normalised (unless the caller says it is already) and stripped; blocks are
    separated by a blank line. Empty blocks are dropped, so no block is ever zero-length.
    """
    pieces: list[str] = []
    blocks: list[tuple[str, int, int]] = []
    cursor = 0
    for kind, raw in parts:
        block_text = (raw if normalized else normalize_text(raw)).strip()
        if not block_text:
            continue
        if pieces:
            pieces.append(BLOCK_SEPARATOR)
            cursor += len(BLOCK_SEPARATOR)
        pieces.append(block_text)
        blocks.append((kind, cursor, cursor + len(block_text)))
        cursor += len(block_text)
    return "".join(pieces), blocks


def pretokenized_offsets(tokens: list[str]) -> list[tuple[int, int]]:
    """Return each token's ``(start, end)`` in the text the tokens make when joined by single spaces.

    A pretokenized text (a GermEval import) is exactly that text, so its tokens are its own: never re-split.
    """
    offsets, start = [], 0
    for token in tokens:
        offsets.append((start, start + len(token)))
        start += len(token) + 1
    return offsets


def span_problem(text: str, start: int, end: int, span_text: str | None = None) -> str | None:
    """Return why ``[start, end)`` is not a valid span over ``text``, or None if it is."""
    if not 0 <= start < end <= len(text):
        return f"offsets [{start}, {end}) are outside 0 <= start < end <= {len(text)}"
    if span_text is not None and text[start:end] != span_text:
        return f"text[{start}:{end}] is {text[start:end]!r}, not the span text {span_text!r}"
    return None
