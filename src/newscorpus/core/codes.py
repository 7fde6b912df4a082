"""Problem codes: every kind of problem newscorpus reports, declared once, each with its one-line meaning.

A code is ``area.kind``: the area is the input or step the problem is found in (``raw``,
``json``, ``germeval``, ``gold``, ``release``, …), the kind what is wrong there. Codes are
stable: tools and tests match on them, and manifests keep them, so a code is never renamed or
removed; a new kind of problem gets a new code. The README's "Problem codes" table lists them.
"""

from __future__ import annotations

from enum import StrEnum


class Code(StrEnum):
    """The code of a ``Problem``: its value is ``area.kind``, its ``meaning`` one line for the README."""

    _value_: str
    meaning: str

    def __new__(cls, value: str, meaning: str) -> Code:
        """Make the member ``value``, with its ``meaning``."""
        member = str.__new__(cls, value)
        member._value_ = value
        member.meaning = meaning
        return member

    # The bytes of a raw file (or of one JSONL line) are no text an article can be made of.
    RAW_EMPTY = "raw.empty", "The file or line is empty or holds only whitespace."
    RAW_NUL_BYTES = "raw.nul_bytes", "The file or line holds a NUL byte: a binary file, or text with NUL bytes."
    RAW_CONTROL_CHAR = "raw.control_char", "The decoded text holds a control character, as a binary file does."
    RAW_UNDECODABLE = "raw.undecodable", "The bytes are neither UTF-8 (or UTF-16) nor cp1252/Latin-1."
    RAW_UTF16 = (
        "raw.utf16",
        "Warning: UTF-16 without a byte-order mark, or JSON(L) in UTF-16, was read as its bytes say.",
    )
    RAW_MOJIBAKE = "raw.mojibake", "The text is mojibake ('Ã¼' for 'ü'): it was decoded with the wrong encoding."
    RAW_TOO_BIG = "raw.too_big", "The file or line is over its limit: 2 MiB for one article, 256 MiB for a JSON array."
    RAW_UNSUPPORTED_FORMAT = (
        "raw.unsupported_format",
        "The file's suffix is no raw format (.txt, .json, .jsonl, .ndjson).",
    )
    RAW_FORMAT_UNNAMED = "raw.format_unnamed", "A .tsv or .csv file has no sidecar naming its format (see import)."
    RAW_UNREADABLE = "raw.unreadable", "The entry cannot be read: a broken link, a link to a folder, a pipe, no access."
    # The article's text as assembled from its parts: after JSON escapes are decoded, or from an import's cells.
    TEXT_EMPTY = "text.empty", "The article's text is empty or holds only whitespace."
    TEXT_CONTROL_CHAR = "text.control_char", "The article's text holds a control character (a JSON \\u0000, say)."
    TEXT_MOJIBAKE = "text.mojibake", "The article's text is mojibake (JSON escapes M\\u00c3\\u00bc, say)."
    # Records checked against their model (an article, a gold file, a sidecar): derived from pydantic's errors.
    JSON_MALFORMED = "json.malformed", "The file or line is no JSON that parses (truncated, or bad syntax)."
    RECORD_NOT_OBJECT = "record.not_object", "The file or line is a JSON (or YAML) value, but not an object."
    RECORD_INVALID = "record.invalid", "The record breaks a rule across its fields that has no code of its own."
    FIELD_MISSING = "field.missing", "A required field is missing."
    FIELD_UNKNOWN = (
        "field.unknown",
        "A field is not one the record (or sidecar) accepts; the message lists those it does, and names the one "
        "meant where the key is another tool's name for it (`pubDate`, `author`, `content`, NewsAPI's `publishedAt`).",
    )
    FIELD_INVALID = "field.invalid", "A field's value has the wrong type or breaks its constraint."
    # The rules of an article (its validators in newscorpus.model.article, which raise CodedValueError).
    TEXT_NOT_NFC = "text.not_nfc", "The article's text is not in Unicode normal form NFC."
    TEXT_CARRIAGE_RETURN = "text.carriage_return", "The article's text holds a \\r: its newlines must be \\n."
    TEXT_SHA256_MISMATCH = "text.sha256_mismatch", "The record's text_sha256 is not the sha256 of its text."
    TEXT_NOT_PRETOKENIZED = "text.not_pretokenized", "A pretokenized text is not tokens joined by single spaces."
    BLOCK_OUT_OF_BOUNDS = "block.out_of_bounds", "A block's offsets are empty, reversed or past the end of the text."
    BLOCK_OUT_OF_ORDER = "block.out_of_order", "A block overlaps the block before it, or the blocks are out of order."
    SPAN_OUT_OF_BOUNDS = "span.out_of_bounds", "A span's offsets are empty, reversed or past the end of the text."
    SPAN_OFFSET_MISMATCH = "span.offset_mismatch", "An entity span's text is not text[start:end] of the article."
    SPAN_DUPLICATE = "span.duplicate", "An entity span repeats another: the same start, end, label and level."
    URL_NO_HOST = "url.no_host", "The url does not parse as a URL with a host."
    DATE_OUT_OF_RANGE = "date.out_of_range", "published_at or updated_at is outside the years an article may have."
    DATE_UPDATED_BEFORE_PUBLISHED = "date.updated_before_published", "updated_at is before published_at."
    DATE_NO_OFFSET = "date.no_offset", "Warning: a date without a UTC offset was read as Berlin time."
    DATE_NO_TIME = "date.no_time", "Warning: a date without a time was read as 00:00 Berlin time."
    DATE_TIMESTAMP = "date.timestamp", "Warning: a Unix timestamp was read as the instant it gives, in Berlin time."
    # A JSON article, or a Hugging Face or DataTrove record.
    JSON_GIVEN_TWICE = "json.given_twice", "One thing is given twice: body and text, headline and title, or metadata."
    JSON_NO_BODY = "json.no_body", "The article has neither a body nor a text."
    JSON_RESHAPED = "json.reshaped", "Warning: a body as a list of strings, or authors as one string, was read."
    JSON_UNKEPT_KEYS = "json.unkept_keys", "Warning: metadata keys no article field takes stay only in the raw file."
    JSON_LONE_SURROGATE = "json.lone_surrogate", "Warning: half a UTF-16 surrogate pair (\\ud83d) was read as U+FFFD."
    JSON_MARKUP = "json.markup", "Warning: the text holds HTML tags or character references, kept as text."
    JSON_LINES = "json.lines", "Warning: a .json file holds JSON Lines (an object on each line), read as JSONL."
    # Article ids.
    ID_MISSING = "id.missing", "The article has neither an id nor a url to derive one from."
    ID_FOREIGN = "id.foreign", "Warning: the id given is no corpus id, so the article's id is made from it."
    ID_DUPLICATE = "id.duplicate", "The article repeats the id of an article read before it."
    # Copies of an article read before (in path order, then line order); only the first is kept.
    DUPLICATE_EXACT = "duplicate.exact", "Warning: the same bytes as an article read before; this copy is left out."
    DUPLICATE_TEXT = "duplicate.text", "Warning: the same text up to whitespace as an article read before; left out."
    DUPLICATE_SPLIT_CONFLICT = (
        "duplicate.split_conflict",
        "Warning: a new article is a near-duplicate of released articles in different splits; none is moved.",
    )
    # A plain-text page copy (.txt).
    PAGECOPY_NO_HEADER = "pagecopy.no_header", "No title and date line in the first blocks of the page copy."
    PAGECOPY_NO_TITLE = "pagecopy.no_title", "No title before the date line."
    PAGECOPY_LONG_TITLE = "pagecopy.long_title", "The title runs over more than two lines; a sidecar must split it."
    PAGECOPY_KICKER_MISMATCH = "pagecopy.kicker_mismatch", "The sidecar's kicker is not how the title starts."
    PAGECOPY_HEADLINE_MISMATCH = "pagecopy.headline_mismatch", "The sidecar's headline is not how the title ends."
    PAGECOPY_BAD_DATE = "pagecopy.bad_date", "The date line holds an impossible date."
    # Sidecars (NAME.meta.yaml).
    SIDECAR_MALFORMED = "sidecar.malformed", "The sidecar is not readable YAML."
    SIDECAR_ORPHAN = "sidecar.orphan", "A sidecar has no raw file beside it."
    SIDECAR_NOT_FOR_IMPORT = "sidecar.not_for_import", "A sidecar key does not apply to an imported corpus."
    # Gold files (annotations/ID.json).
    GOLD_ORPHAN = "gold.orphan", "A gold file is for an id that is no article."
    GOLD_WRONG_ARTICLE = "gold.wrong_article", "A gold file's article_id names another article than its file name."
    GOLD_STALE = "gold.stale", "The gold was made on another text: the article's text changed after annotation."
    GOLD_REANCHOR_CONFLICT = "gold.reanchor_conflict", "Warning: a text correction touched a gold span: review it."
    # An imported GermEval 2014 TSV file.
    GERMEVAL_NOT_UTF8 = "germeval.not_utf8", "The GermEval 2014 file is not UTF-8."
    GERMEVAL_NO_SPLIT = "germeval.no_split", "The GermEval 2014 file's sidecar names no split."
    GERMEVAL_EMPTY = "germeval.empty", "The GermEval 2014 file holds no sentences."
    GERMEVAL_NO_COMMENT = "germeval.no_comment", "A sentence does not start with its comment line."
    GERMEVAL_NO_TOKENS = "germeval.no_tokens", "A sentence has no token lines."
    GERMEVAL_COLUMNS = "germeval.columns", "A token line has not the four columns of GermEval 2014."
    GERMEVAL_INDEX = "germeval.index", "A token line's index is not its position in the sentence."
    GERMEVAL_BAD_TOKEN = "germeval.bad_token", "A token is empty or holds whitespace."
    GERMEVAL_TOKEN_NOT_NFC = "germeval.token_not_nfc", "A token is not NFC."
    GERMEVAL_UNKNOWN_TAG = "germeval.unknown_tag", "A tag is no tag of the label set."
    GERMEVAL_BROKEN_SPAN = "germeval.broken_span", "An I- tag continues no B- or I- tag of the same label."
    GERMEVAL_NESTING = "germeval.nesting", "Warning: an inner span lies inside no outer span; kept as gold."
    GERMEVAL_BOM = "germeval.bom", "Warning: the file starts with a byte order mark; kept for the export."
    GERMEVAL_CRLF = "germeval.crlf", "Warning: lines end in CRLF; read as \\n, kept for the export."
    GERMEVAL_COMMENT_TAB = "germeval.comment_tab", "Warning: comment lines lack their trailing tab; kept as written."
    GERMEVAL_EXTRA_COLUMNS = "germeval.extra_columns", "Warning: extra, empty columns after the tags; kept as written."
    # An imported 10kGNAD CSV file.
    GNAD_NOT_UTF8 = "gnad.not_utf8", "The 10kGNAD file is not UTF-8."
    GNAD_EMPTY = "gnad.empty", "The 10kGNAD file holds no rows."
    GNAD_BAD_ROW = "gnad.bad_row", "A row is no readable `label;'text'` CSV row."
    GNAD_FIELDS = "gnad.fields", "A row has not the two fields `label;'text'`."
    GNAD_UNKNOWN_TOPIC = "gnad.unknown_topic", "A row's label is none of the topics."
    # Building and verifying releases, and the annotation tool.
    NER_NESTING = "ner.nesting", "The article's entity spans cannot be written as the ner config's two BIO levels."
    RELEASE_BROKEN = "release.broken", "Data files of the release are missing or changed; says how to rebuild them."
    RELEASE_FILE_MISSING = "release.file_missing", "A data file the manifest lists is missing."
    RELEASE_FILE_CHANGED = "release.file_changed", "A data file's sha256 is not the one the manifest lists."
    RELEASE_FILE_UNLISTED = "release.file_unlisted", "A file in the release folder is not listed in its manifest."
    LABELSTUDIO_DUPLICATE_TASK = "labelstudio.duplicate_task", "Label Studio holds a second task for one article."
    LABELSTUDIO_TASK_CHANGED = "labelstudio.task_changed", "Warning: a task changed while pull read it; pull again."
    PROBLEM_UNCODED = "problem.uncoded", "A problem recorded before problems had codes (in an older manifest)."


class CodedValueError(ValueError):
    """A ``ValueError`` that names its problem's code: a validator raises it, ``problems_from_validation`` reads it.

    Pydantic turns a validator's ``ValueError`` into a ``ValidationError`` and keeps the exception in the
    error's ``ctx["error"]``; a plain ``ValueError`` of a rule across fields gets ``record.invalid``.
    """

    def __init__(self, code: Code, message: str) -> None:
        super().__init__(message)
        self.code = code

    def __reduce__(self) -> tuple[type[CodedValueError], tuple[Code, str]]:
        # A ValidationError may cross from a worker process; unpickling calls the class with these arguments.
        return type(self), (self.code, str(self))
