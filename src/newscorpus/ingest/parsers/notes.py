"""What the JSON records of one raw file hold that their articles do not: told once per file, not once per line."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from newscorpus.core.codes import Code
from newscorpus.core.plural import plural
from newscorpus.core.report import Problem

if TYPE_CHECKING:
    from newscorpus.ingest.parsers.jsonl import JsonArticle
    from newscorpus.ingest.parsers.repair import Decided


_ZONED = (
    "{fields} without a UTC offset; read as Europe/Berlin time, the time German news sites give. Where that is "
    "wrong, give the date with its offset (in the record, or in a sidecar)."
)
_UNTIMED = "{fields} without a time; read as 00:00 Europe/Berlin time. Where the time is known, give it."
_STAMPED = (
    "{fields} as Unix timestamps (seconds since 1970 UTC, or milliseconds); read as those instants, in Europe/Berlin "
    "time. Where such a number is no timestamp, give the date in ISO 8601."
)
_RESHAPED = (
    "{fields} in another shape than the corpus's: a body as a list of strings is read as its paragraphs, authors "
    "as one string as one author."
)
_HALVED = (
    "strings with half a UTF-16 surrogate pair (an escape such as \\ud83d alone, as JavaScript's string cutting "
    "leaves): no text can hold one, so each was read as U+FFFD (\ufffd). The raw file keeps them as they are."
)
_MARKUP = (
    "HTML tags or character references in {fields} (such as <p> or &amp;): they are kept as text, so they stand in "
    "the articles' text, its offsets and its tokens. Where the records are HTML, extract their text first (with "
    "trafilatura, say) and add the file again."
)
UNTOLD = "?"
"""The field of a note whose fields are not told (which key held half a surrogate pair): the warning names none."""
_UNORDERED = (
    "a modification date before its publication date (news-please's date_modify, schema.org's dateModified): "
    "both are taken from the page, and one is wrong. That date is no updated_at, and only the raw file keeps it."
)


@dataclass
class FieldNotes:
    """The records of a file whose fields needed one kind of decision: how many, the first one's line, which fields."""

    records: int = 0
    first: int | None = None
    fields: set[str] = field(default_factory=set)

    def add(self, line: int | None, fields: Collection[str]) -> None:
        """Note the record at ``line`` if reading ``fields`` (of its fields) needed the decision."""
        if fields:
            self.first = self.first if self.records else line
            self.records += 1
            self.fields.update(fields)

    def merge(self, later: FieldNotes) -> None:
        """Add the notes of records read after these."""
        self.first = self.first if self.records else later.first
        self.records += later.records
        self.fields |= later.fields

    def named(self) -> str:
        """Return the fields concerned, for a message: "published_at and updated_at"."""
        return " and ".join(sorted(self.fields))

    def warning(self, code: Code, file: str, what: str) -> Problem:
        """Return the warning: the records gave ``what`` (``{fields}``: the fields concerned), at the first one's line.

        It points at the field concerned, or at none if several are, or if they are not told (``UNTOLD``).
        """
        field = next(iter(self.fields)) if len(self.fields) == 1 and UNTOLD not in self.fields else None
        message = f"{plural(self.records, 'record')} gave {what.format(fields=self.named())}"
        return Problem(code=code, file=file, line=self.first, field=field, severity="warning", message=message)


@dataclass
class RecordNotes:
    """What the records of one raw file hold that their articles do not: told once per file, not once per line."""

    ids: int = 0
    first_id: tuple[int | None, str, str] | None = None  # (line, as given, as made)
    unkept: set[str] = field(default_factory=set)
    records: int = 0
    lines: tuple[int | None, int | None] = (None, None)  # the first and the last with an unkept key
    zoned: FieldNotes = field(default_factory=FieldNotes)  # dates without an offset, read as Berlin time
    untimed: FieldNotes = field(default_factory=FieldNotes)  # dates without a time, read as 00:00
    stamped: FieldNotes = field(default_factory=FieldNotes)  # dates given as Unix timestamps
    reshaped: FieldNotes = field(default_factory=FieldNotes)  # a body as a list of strings, authors as one string
    unordered: FieldNotes = field(default_factory=FieldNotes)  # a modification before the publication
    halved: FieldNotes = field(default_factory=FieldNotes)  # strings with half a surrogate pair, read as U+FFFD
    markup: FieldNotes = field(default_factory=FieldNotes)  # text with HTML tags or character references

    def add(
        self, obj: JsonArticle, line: int | None, made_id: str | None, decided: Decided, unkept: Collection[str] = ()
    ) -> None:
        """Note what ``obj`` (an article now, at ``line``) held that its article does not; ``made_id``: its new id.

        ``decided`` is what reading it had to decide (dates, shapes), each told once per file; ``unkept``, the keys
        of the record it was translated from (``Translated.unkept``) that no article field takes.
        """
        if (given := obj.foreign_id()) is not None and made_id is not None:
            self.ids += 1
            self.first_id = self.first_id or (line, given, made_id)
        if keys := [*obj.unkept(), *unkept]:
            self.unkept.update(keys)
            self.records += 1
            self.lines = (self.lines[0] or line, line)
        self.zoned.add(line, decided.zoned)
        self.untimed.add(line, decided.untimed)
        self.stamped.add(line, decided.stamped)
        self.reshaped.add(line, decided.reshaped)
        self.unordered.add(line, ("updated_at",) if decided.unordered else ())
        self.halved.add(line, (UNTOLD,) if decided.halved else ())
        self.markup.add(line, decided.markup)

    def merge(self, later: RecordNotes) -> None:
        """Add the notes of a later part of the same file."""
        self.ids += later.ids
        self.first_id = self.first_id or later.first_id
        self.unkept |= later.unkept
        self.records += later.records
        self.lines = (self.lines[0] or later.lines[0], later.lines[1] or self.lines[1])
        self.zoned.merge(later.zoned)
        self.untimed.merge(later.untimed)
        self.stamped.merge(later.stamped)
        self.reshaped.merge(later.reshaped)
        self.unordered.merge(later.unordered)
        self.halved.merge(later.halved)
        self.markup.merge(later.markup)

    def problems(self, file: str) -> list[Problem]:
        """Return a warning for each kind of note, placed at the first line it concerns."""
        out = []
        if self.first_id is not None:
            line, given, made = self.first_id
            message = (
                f"{given!r} is not a corpus id (lowercase letters, digits, '.', '_' and '-', at most 160), so the "
                f"article's id is {made!r}, made from it; the id as given stays in the raw file"
            )
            if self.ids > 1:
                message += f". The same goes for {plural(self.ids - 1, 'more record')} of this file"
            out.append(
                Problem(
                    code=Code.ID_FOREIGN, file=file, line=line, field="id", severity="warning", message=message + "."
                )
            )
        if self.unkept:
            first, last = self.lines
            where = f" ({plural(self.records, 'record')}, lines {first}–{last})" if first else ""
            message = (
                f"the articles have no field for {plural(len(self.unkept), 'metadata key')}: "
                f"{', '.join(sorted(self.unkept))}. Only the raw file keeps the values{where}."
            )
            if "date" in self.unkept:
                message += " DataTrove's date is the crawl time; if it is the publication date, name it published_at."
            warning = Problem(
                code=Code.JSON_UNKEPT_KEYS, file=file, line=first, field="metadata", severity="warning", message=message
            )
            out.append(warning)
        for noted, code, what in (
            (self.zoned, Code.DATE_NO_OFFSET, _ZONED),
            (self.untimed, Code.DATE_NO_TIME, _UNTIMED),
            (self.stamped, Code.DATE_TIMESTAMP, _STAMPED),
            (self.reshaped, Code.JSON_RESHAPED, _RESHAPED),
            (self.unordered, Code.DATE_UPDATED_BEFORE_PUBLISHED, _UNORDERED),
            (self.halved, Code.JSON_LONE_SURROGATE, _HALVED),
            (self.markup, Code.JSON_MARKUP, _MARKUP),
        ):
            if noted.records:
                out.append(noted.warning(code, file, what))
        return out
