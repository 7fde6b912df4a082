"""Decoding raw bytes into text, or a rejection that says why not.

UTF-8 (with or without BOM) is read as is; so is UTF-16 with a BOM, and UTF-16 without one
whose bytes leave no doubt (``utf16_encoding``: Windows tools write it, little-endian, though
the standard reads a BOM-less stream as big-endian), with a warning. Anything else is detected
among the Western encodings a German newsroom produces (cp1252, Latin-1, Latin-9) with
charset-normalizer. Text that decodes but holds mojibake (``MÃ¼nchen``) is refused rather
than stored.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from typing import Literal

import charset_normalizer

from newscorpus.core.codes import Code
from newscorpus.core.errors import NewscorpusError
from newscorpus.core.report import Problem

_LEGACY_ENCODINGS = ["cp1252", "latin_1", "iso8859_15"]
# UTF-8 read as cp1252/Latin-1 leaves a lead byte followed by what continuation bytes 0x80-0xBF
# become: Â/Ã (symbols, umlauts), Ì/Í (combining marks of NFD text), á/â + 2 (ẞ; punctuation such
# as „ “ – … €), ï»¿ (a BOM), ð + 3 (emoji). No German letter is a lead here (ß« in »Gruß« is
# fine). ftfy's heuristics were tried first and refused correct German typography (»Ära«, »Übergang«).
_CONTINUATION = "[\u0080-\u00bf€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ]"
_MOJIBAKE = re.compile(f"[ÂÃÌÍ]{_CONTINUATION}|[áâ]{_CONTINUATION}{{2}}|ï»¿|ð{_CONTINUATION}{{3}}")
_MOJIBAKE_LEADS = "ÂÃÌÍáâïð"  # every match starts with one
# Control characters (Unicode category Cc) but tab, LF, CR and NEL, which normalize_text makes line breaks.
_C0_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f]")
_SUSPECT = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f{_MOJIBAKE_LEADS}]")
"""Any character either check above starts with."""
_NOT_SUSPECT = bytes(b for b in range(256) if not _SUSPECT.match(chr(b)))
"""The Latin-1 bytes of every other character below U+0100 (every suspect character is below it)."""
TextFault = Literal["empty", "control_char", "mojibake"]
"""Why a decoded text is not usable; the raw file's problem code and the article text's differ."""
_RAW_CODES: dict[TextFault, Code] = {
    "empty": Code.RAW_EMPTY,
    "control_char": Code.RAW_CONTROL_CHAR,
    "mojibake": Code.RAW_MOJIBAKE,
}


class UndecodableError(NewscorpusError):
    """The bytes are not text this corpus can take; ``code`` says what kind of problem, the message why."""

    def __init__(self, code: Code, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Decoded:
    """Text decoded from raw bytes, with the encoding it was read as."""

    text: str
    encoding: str


BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
"""The byte-order marks a raw file may start with, each with the codec of the bytes after it."""
UTF16_HEAD_BYTES = 4096
"""How much of a file ``utf16_encoding`` looks at."""
BOMLESS_UTF16 = ("utf-16-le", "utf-16-be")
"""The encodings of UTF-16 read without a byte-order mark: what its bytes said, not the file."""


def bom_of(head: bytes) -> tuple[bytes, str] | None:
    """Return the byte-order mark ``head`` starts with and the codec of what follows it (``BOMS``); None if none."""
    return next(((mark, codec) for mark, codec in BOMS if head.startswith(mark)), None)


def utf16_encoding(head: bytes) -> str | None:
    """Return how to decode a file that begins with ``head`` if it is UTF-16 text, else None.

    ``utf-16`` where a byte-order mark says so. Without one, ``utf-16-le`` (or ``-be``) where at
    least half the code units have a zero high byte (low byte), and at most half as many a zero
    low byte (high byte: U+0100, U+0400, some surrogates): text mostly below U+0100, as German
    is. UTF-8 text, which has no NUL byte, never looks so; a binary file's zeros hardly ever
    fall so unevenly, and it must still decode and hold no control character.
    """
    if (marked := bom_of(head)) is not None:
        return None if marked[1] == "utf-8" else "utf-16"
    units = len(head) // 2
    if not units:
        return None
    even, odd = head[0 : 2 * units : 2].count(0), head[1 : 2 * units : 2].count(0)
    for zeros, others, encoding in ((odd, even, "utf-16-le"), (even, odd, "utf-16-be")):
        if 2 * zeros >= units and 2 * others <= zeros:
            return encoding
    return None


def bomless_utf16(decoded: Decoded, name: str, line: int | None = None) -> list[Problem]:
    """Return the warning that ``decoded`` (file ``name``, or its ``line``) was read as BOM-less UTF-16, if it was."""
    if decoded.encoding not in BOMLESS_UTF16:
        return []
    return [utf16_read(name, decoded.encoding, "UTF-8, or UTF-16 with a byte-order mark", line)]


def json_utf16(decoded: Decoded, name: str, line: int | None = None) -> list[Problem]:
    """Return the warning that JSON ``decoded`` (file ``name``, or its ``line``) was read as UTF-16, if it was.

    With a byte-order mark too: JSON is UTF-8 (RFC 8259), where a page copy may be in any encoding.
    """
    if decoded.encoding != "utf-16" and decoded.encoding not in BOMLESS_UTF16:
        return []
    return [utf16_read(name, decoded.encoding, "UTF-8 (JSON is UTF-8)", line)]


def utf16_read(name: str, encoding: str, wanted: str, line: int | None = None) -> Problem:
    """Return the warning that file ``name`` (or its ``line``) was read as UTF-16 (``encoding``) where ``wanted`` is."""
    bomless = {"utf-16-le": "little", "utf-16-be": "big"}
    what = f"{bomless[encoding]}-endian UTF-16 without a byte-order mark" if encoding in bomless else "UTF-16"
    message = (
        f"{'this line ' if line else ''}is {what}, where {wanted} is expected; it was read as its bytes say, "
        "losing nothing. Save it as UTF-8 to leave no doubt."
    )
    return Problem(code=Code.RAW_UTF16, file=name, line=line, severity="warning", message=message)


def _marked(data: bytes, mark: bytes, codec: str, encoding: str) -> Decoded:
    """Decode ``data``, which starts with the byte-order mark ``mark`` of ``codec``; refuse it where it is not."""
    try:
        return Decoded(data[len(mark) :].decode(codec), encoding)
    except UnicodeDecodeError as exc:
        name = codec.upper()[:6]  # UTF-8, UTF-16
        message = f"starts with a {name} byte-order mark, but is not {name} from byte {len(mark) + exc.start} on"
        raise UndecodableError(Code.RAW_UNDECODABLE, f"{message} ({exc.reason})") from None


def _decode_bytes(data: bytes) -> Decoded:
    if (marked := bom_of(data)) is not None:
        mark, codec = marked
        return _marked(data, mark, codec, "utf-8-sig" if codec == "utf-8" else "utf-16")
    nul = data.find(b"\x00")
    if nul >= 0:
        # UTF-16 without a byte-order mark has zeros (German text's high bytes): only then is it looked for.
        if (utf16 := utf16_encoding(data[:UTF16_HEAD_BYTES])) is not None:
            try:
                return Decoded(data.decode(utf16), utf16)
            except UnicodeDecodeError:
                pass  # a guess from its zeros only: a binary file, then
        raise UndecodableError(
            Code.RAW_NUL_BYTES, f"holds a NUL byte at byte {nul}: a binary file, or text with NUL bytes"
        )
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError as exc:
        utf8_error = exc
    best = charset_normalizer.from_bytes(data, cp_isolation=_LEGACY_ENCODINGS).best()
    if best is not None:
        return Decoded(str(best), best.encoding)
    try:  # too little text for detection to decide: cp1252, the superset, if it decodes at all
        return Decoded(data.decode("cp1252"), "cp1252")
    except UnicodeDecodeError:
        raise UndecodableError(
            Code.RAW_UNDECODABLE,
            f"is neither UTF-8 ({utf8_error.reason} at byte {utf8_error.start}) nor cp1252/Latin-1 text",
        ) from None


def text_problem(text: str, *, allow_c1: bool = False) -> tuple[TextFault, str] | None:
    """Return what is wrong with decoded ``text`` and why (emptiness, control characters, mojibake), or None.

    ``allow_c1`` keeps C1 controls (U+0080-U+009F), which a published corpus may hold and an
    import must keep to stay lossless; in a newsroom's raw file they are refused.
    """
    if not text.strip():
        return "empty", "is empty or holds only whitespace"
    # One scan clears nearly every text: its characters below U+0100 as Latin-1 bytes, all but the suspect
    # ones deleted, in C at about three times the speed of _SUSPECT.search.
    if not text.encode("latin-1", "ignore").translate(None, _NOT_SUSPECT):
        return None
    if control := (_C0_CONTROLS if allow_c1 else _CONTROLS).search(text):
        return (
            "control_char",
            f"holds the control character U+{ord(control.group()):04X} at character {control.start()}: a binary file?",
        )
    if _MOJIBAKE.search(text):
        return (
            "mojibake",
            "looks like mojibake, e.g. 'Ã¼' for 'ü': it was decoded with the wrong encoding "
            "somewhere upstream. Fix the encoding and add it again.",
        )
    return None


def decode_text(data: bytes) -> Decoded:
    """Decode raw bytes, refusing binary data, control characters and mojibake."""
    decoded = _decode_bytes(data)
    if problem := text_problem(decoded.text):
        fault, message = problem
        raise UndecodableError(_RAW_CODES[fault], message)
    return decoded
