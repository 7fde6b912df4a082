"""A ``.json`` file holding an array of article objects, as many exports write them: where each record stands.

The array is cut into its elements with the standard library's decoder, which says where each
one ends, so every record keeps its own bytes (for its hash) and the line it starts on.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator

from newscorpus.ingest.encoding import bom_of, utf16_encoding

MAX_ARRAY_BYTES = 256 << 20
"""A JSON array is read whole by one worker; past this, JSONL (read in parallel, by byte ranges) is the format."""
_DECODER = json.JSONDecoder()
_SPACE = re.compile(r"[ \t\n\r]*")  # JSON's whitespace


def holds_json_lines(head: bytes) -> bool:
    """Whether a ``.json`` file beginning with ``head`` holds JSON Lines: an object on its first line, another after.

    Exports often name JSON Lines ``.json``. One object on a line of its own, then a line that
    opens another, is no JSON document; a pretty-printed object's first line is ``{`` alone.
    """
    data, at = head.removeprefix(codecs.BOM_UTF8), 0
    filled: list[bytes] = []
    while len(filled) < 2 and at <= len(data):  # the first two lines that hold anything, not every line of a file
        end = data.find(b"\n", at)
        end = len(data) if end < 0 else end
        if line := data[at:end].strip(b" \t\r"):
            filled.append(line)
        at = end + 1
    # The first is a whole line (a newline follows it: the second is after it); the second may be cut by the head.
    return len(filled) == 2 and filled[0][:1] == b"{" and filled[0][-1:] == b"}" and filled[1][:1] == b"{"


def starts_array(head: bytes) -> bool:
    """Whether a file beginning with ``head`` holds a JSON array: ``[`` after a byte order mark and whitespace.

    UTF-16 without a byte-order mark is read as ``utf16_encoding`` finds it.
    """
    if (marked := bom_of(head)) is not None:
        mark, codec = marked
        text = head[len(mark) :].decode(codec, errors="ignore")
    else:  # else every byte a character (Latin-1): only ASCII matters here
        text = head.decode(utf16_encoding(head) or "latin-1", errors="ignore")
    return text.lstrip(" \t\r\n").startswith("[")


def _skip(text: str, at: int) -> int:
    """Return where the whitespace from ``at`` ends."""
    space = _SPACE.match(text, at)
    return space.end() if space else at


def array_elements(text: str) -> Iterator[tuple[str, int]]:
    """Yield each element of the JSON array ``text`` as its own JSON text, with the line it starts on.

    Raise ``json.JSONDecodeError`` where the array breaks (the elements before it are yielded already).
    """
    at = _skip(text, int(text.startswith("\ufeff")))
    if not text.startswith("[", at):
        raise json.JSONDecodeError("Expecting '['", text, at)
    at = _skip(text, at + 1)
    line, counted = 1, 0
    if not text.startswith("]", at):
        while True:
            _, end = _DECODER.raw_decode(text, at)
            line, counted = line + text.count("\n", counted, at), at
            yield text[at:end], line
            at = _skip(text, end)
            if text.startswith(",", at):
                at = _skip(text, at + 1)
            elif text.startswith("]", at):
                break
            else:
                raise json.JSONDecodeError("Expecting ',' delimiter", text, at)
    at = _skip(text, at + 1)
    if at != len(text):
        raise json.JSONDecodeError("Extra data", text, at)
