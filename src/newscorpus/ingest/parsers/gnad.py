"""10kGNAD CSV: one article per ``label;'text'`` row, the label as its gold topic.

The dataset keeps no headline: the text field is the teaser and body run
together, so it becomes one paragraph block and no headline is guessed at.
Rows are read with Python's csv module (``;`` separated, ``'`` quoted); a
broken row is a problem at its line and the rows after it are still read.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator
from pathlib import Path

from newscorpus.core.codes import Code
from newscorpus.core.plural import plural
from newscorpus.core.report import Problem
from newscorpus.ingest.ids import slugify
from newscorpus.ingest.make import ParseResult, make_article
from newscorpus.model.labels import label_sets
from newscorpus.model.sidecar import Sidecar

FORMAT = "10kgnad"
LICENSE = "CC-BY-NC-SA-4.0"
SOURCE = "DER STANDARD"


class _Lines:
    """The lines of a text, remembering those the csv reader consumed for the current row."""

    def __init__(self, text: str) -> None:
        self._lines = io.StringIO(text, newline="")  # newline="": line ends stay as written
        self.consumed: list[str] = []

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.consumed.append(line)
        return line

    def take(self) -> str:
        """Return the consumed lines as written, without the row's final line end, and forget them."""
        raw, self.consumed = "".join(self.consumed), []
        return raw.removesuffix("\n").removesuffix("\r")


def _rows(text: str) -> Iterator[tuple[int, str, list[str] | str]]:
    """Yield (first line, raw row, fields) per CSV row, or (line, raw, error message) for a broken one."""
    lines = _Lines(text)
    reader = csv.reader(lines, delimiter=";", quotechar="'")
    first = 1
    while True:
        try:
            row: list[str] | str = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:  # the reader starts afresh on the next line
            row = f"is not a readable `label;'text'` CSV row: {exc}"
        yield first, lines.take(), row
        first = reader.line_num + 1


def parse(path: Path, name: str, sidecar: Sidecar) -> Iterator[ParseResult]:
    """Yield one article per row of a 10kGNAD CSV file, and a problem for each bad row.

    Ids number the rows (``10kgnad-test-00001``); blank lines are no rows. raw_line is the
    row's first line, and raw_sha256 is over the row as written, without its line end.
    """
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        message = f"is not UTF-8 ({exc.reason} at byte {exc.start}); 10kGNAD files are"
        yield Problem(code=Code.GNAD_NOT_UTF8, file=name, message=message)
        return
    topics = label_sets().topic_names()
    stem = slugify(path.stem)
    number = 0
    for line, raw, row in _rows(text):
        if row == []:
            continue
        number += 1
        if isinstance(row, str):
            yield Problem(code=Code.GNAD_BAD_ROW, file=name, line=line, message=row)
            continue
        if len(row) != 2:
            message = f"has {plural(len(row), 'field')}, not the 2 of `label;'text'`"
            yield Problem(code=Code.GNAD_FIELDS, file=name, line=line, message=message)
            continue
        label, body = row
        if label not in topics:
            message = f"is {label!r}, not one of the topics {', '.join(topics)}"
            yield Problem(code=Code.GNAD_UNKNOWN_TOPIC, file=name, line=line, field="topic", message=message)
            continue
        metadata: dict[str, object] = {
            "id": f"{stem}-{number:05d}",
            "source": SOURCE,
            "license": sidecar.license or LICENSE,
            "redistributable": True if sidecar.redistributable is None else sidecar.redistributable,
            "topic": label,
            "annotation": {"topic": {"status": "gold", "source": FORMAT}},
        }
        if sidecar.split is not None:
            metadata["split"] = sidecar.split  # else make_article gives the id's fixed split
        result = make_article(
            parts=[("paragraph", body)],
            metadata=metadata,
            raw_file=name,
            raw_sha256=hashlib.sha256(raw.encode("utf-8")).hexdigest(),
            encoding="utf-8",
            fallback_id=None,
            line=line,
            allow_c1=True,  # a published corpus is kept as published
        )
        yield from result if isinstance(result, list) else [result]
    if number == 0:
        yield Problem(code=Code.GNAD_EMPTY, file=name, message="holds no rows")
