"""UTF-16 raw files, as Windows tools write them: read whole and warned, never refused as binary.

Windows PowerShell 5.1 writes UTF-16 (little-endian, with a byte-order mark) for ``>`` and
``Out-File``; other exports drop the mark. JSON Lines and JSON are UTF-8 by their standards,
and a BOM-less UTF-16 stream is big-endian by Unicode's: the files are read as their bytes
say, each with one ``raw.utf16`` warning.
"""

from __future__ import annotations

import codecs
import json
import shutil
from pathlib import Path

import pytest

from newscorpus.core.codes import Code
from newscorpus.core.executor import LocalExecutor
from newscorpus.core.report import Problem
from newscorpus.ingest import pieces
from newscorpus.ingest.corpus import iter_corpus
from newscorpus.model.article import Article
from tests.conftest import REPO, SEED_NAME
from tests.helpers import add_json_articles

ENCODINGS = ["utf-16", "utf-16-le", "utf-16-be"]
"""With a byte-order mark (little-endian, as PowerShell writes it), and without one in either order."""


def _encoded(text: str, encoding: str) -> bytes:
    return codecs.BOM_UTF16_LE + text.encode("utf-16-le") if encoding == "utf-16" else text.encode(encoding)


def _read(corpus: Path, processes: int = 1) -> tuple[list[Article], list[Problem]]:
    with LocalExecutor(processes) as executor:
        items = list(iter_corpus(corpus, executor=executor))
    return [i for i in items if isinstance(i, Article)], [i for i in items if isinstance(i, Problem)]


def _seen(article: Article) -> tuple[object, ...]:
    return article.id, article.text, article.blocks, article.raw_line


def _corpus(root: Path) -> Path:
    (root / "raw").mkdir(parents=True)
    return root


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_a_utf16_jsonl_gives_the_articles_of_its_utf8_twin(tmp_path: Path, encoding: str, newline: str) -> None:
    """Same ids, texts, blocks and line numbers; the file's encoding recorded; one warning for the file."""
    twin = _corpus(tmp_path / "utf8")
    lines = add_json_articles(twin, 40, name="feed.jsonl").read_text(encoding="utf-8").replace("\n", newline)
    ours = _corpus(tmp_path / "utf16")
    (ours / "raw" / "feed.jsonl").write_bytes(_encoded(lines, encoding))
    expected, none = _read(twin)
    got, problems = _read(ours, processes=2)
    assert none == []
    assert [(a.id, a.text, a.blocks, a.raw_line) for a in got] == [
        (a.id, a.text, a.blocks, a.raw_line) for a in expected
    ]
    assert {a.raw_encoding for a in got} == {encoding}
    [warning] = problems
    assert (warning.code, warning.severity, warning.file, warning.line) == (
        Code.RAW_UTF16,
        "warning",
        "raw/feed.jsonl",
        None,
    )
    assert ("without a byte-order mark" in warning.message) == (encoding != "utf-16")


@pytest.mark.parametrize("chunk", [1, pieces.DECOMPRESSED_BYTES])
def test_a_line_that_is_not_utf16_is_that_lines_problem_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    """Half a code unit, or a lone surrogate, breaks one line; the lines around it are read with their numbers.

    Whether the lines go to the workers a chunk each (``chunk`` 1) or all in one.
    """
    monkeypatch.setattr(pieces, "DECOMPRESSED_BYTES", chunk)
    corpus = _corpus(tmp_path / "corpus")
    records = add_json_articles(_corpus(tmp_path / "twin"), 6).read_text(encoding="utf-8").splitlines()
    broken = records[2].encode("utf-16-le")[:-2] + b"\x00\xd8"  # its last character: a high surrogate alone
    data = b"".join([*(r.encode("utf-16-le") + "\n".encode("utf-16-le") for r in records[:2]), broken])
    data += "\n".encode("utf-16-le") + "\n".join(records[3:]).encode("utf-16-le")  # the last line without a newline
    (corpus / "raw" / "feed.jsonl").write_bytes(data)
    articles, problems = _read(corpus)
    assert [a.raw_line for a in articles] == [1, 2, 4, 5, 6]
    assert [(p.code, p.line) for p in problems] == [(Code.RAW_UTF16, None), (Code.RAW_UNDECODABLE, 3)]
    assert "this line is not UTF-16" in problems[1].message


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_a_page_copy_in_utf16_without_a_bom_is_the_article_of_its_utf8_twin(tmp_path: Path, encoding: str) -> None:
    twin = _corpus(tmp_path / "utf8")
    for suffix in (".txt", ".meta.yaml"):
        shutil.copy(REPO / "corpus" / "raw" / f"{SEED_NAME}{suffix}", twin / "raw")
    ours = tmp_path / "utf16"
    shutil.copytree(twin, ours)
    page = ours / "raw" / f"{SEED_NAME}.txt"
    page.write_bytes(page.read_text(encoding="utf-8").encode(encoding))
    [expected], _ = _read(twin)
    [got], [warning] = _read(ours)
    assert (got.id, got.text, got.blocks, got.raw_encoding) == (expected.id, expected.text, expected.blocks, encoding)
    assert (warning.code, warning.file) == (Code.RAW_UTF16, f"raw/{SEED_NAME}.txt")


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_a_json_array_in_utf16_without_a_bom_is_read(tmp_path: Path, encoding: str) -> None:
    corpus = _corpus(tmp_path / "corpus")
    records = [json.loads(r) for r in add_json_articles(_corpus(tmp_path / "twin"), 3).read_text("utf-8").splitlines()]
    (corpus / "raw" / "export.json").write_bytes(json.dumps(records, ensure_ascii=False, indent=1).encode(encoding))
    articles, problems = _read(corpus)
    assert [a.headline for a in articles] == [r["headline"] for r in records]
    assert [(p.code, p.file) for p in problems] == [(Code.RAW_UTF16, "raw/export.json")]


def test_a_utf16_jsonl_of_a_byte_order_mark_alone_is_empty(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path / "corpus")
    (corpus / "raw" / "feed.jsonl").write_bytes(codecs.BOM_UTF16_LE)
    articles, problems = _read(corpus)
    assert articles == []
    assert [(p.code, p.file) for p in problems] == [(Code.RAW_EMPTY, "raw/feed.jsonl")]


def test_a_file_with_a_utf16_bom_that_is_not_utf16_is_its_problem_alone(tmp_path: Path) -> None:
    """A byte-order mark and half a code unit: refused with where it breaks, the other files read (it crashed)."""
    corpus = _corpus(tmp_path / "corpus")
    add_json_articles(corpus, 2)
    (corpus / "raw" / "x.txt").write_bytes(codecs.BOM_UTF16_LE + b"A")
    articles, problems = _read(corpus)
    assert len(articles) == 2
    [problem] = problems
    assert (problem.code, problem.file) == (Code.RAW_UNDECODABLE, "raw/x.txt")
    assert "not UTF-16 from byte 2 on" in problem.message


def test_a_utf16_jsonl_that_cannot_be_mapped_is_reported_not_raised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Emptied between its first read and its mapping (mmap refuses an empty file): a worker reads it and reports."""
    corpus = _corpus(tmp_path / "corpus")
    (corpus / "raw" / "feed.jsonl").write_bytes(_encoded('{"url": "https://example.org/a"}\n', "utf-16"))

    def emptied(*args: object, **kwargs: object) -> None:
        raise ValueError("cannot mmap an empty file")

    monkeypatch.setattr(pieces.mmap, "mmap", emptied)
    articles, problems = _read(corpus)
    assert articles == []
    assert problems
    assert {p.file for p in problems} == {"raw/feed.jsonl"}


def test_a_utf16_line_in_a_utf8_jsonl_is_read_and_warned_at_its_line(tmp_path: Path) -> None:
    """A record pasted from a UTF-16 export into a UTF-8 file: read as its bytes say, warned at its line alone."""
    corpus = _corpus(tmp_path / "corpus")
    records = add_json_articles(_corpus(tmp_path / "twin"), 3).read_text(encoding="utf-8").splitlines()
    lines = [records[0].encode("utf-8"), records[1].encode("utf-16-le"), records[2].encode("utf-8")]
    (corpus / "raw" / "feed.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    articles, problems = _read(corpus)
    assert [(a.raw_line, a.raw_encoding) for a in articles] == [(1, "utf-8"), (2, "utf-16-le"), (3, "utf-8")]
    assert [(p.code, p.line) for p in problems] == [(Code.RAW_UTF16, 2)]
    assert problems[0].message.startswith("this line is little-endian UTF-16")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_a_json_file_in_utf16_with_a_bom_is_read_and_warned(tmp_path: Path, encoding: str) -> None:
    """PowerShell 5.1's ``ConvertTo-Json | Out-File`` writes UTF-16 with a mark: JSON is UTF-8, so it is warned about.

    A page copy with the mark is not (a plain text file may be in any encoding the mark names).
    """
    twin = _corpus(tmp_path / "twin")
    records = [json.loads(r) for r in add_json_articles(twin, 2).read_text("utf-8").splitlines()]
    corpus = _corpus(tmp_path / "corpus")
    text = json.dumps(records[0], ensure_ascii=False)
    data = text.encode("utf-16") if encoding == "utf-16" else codecs.BOM_UTF16_BE + text.encode("utf-16-be")
    (corpus / "raw" / "export.json").write_bytes(data)
    page = REPO / "corpus" / "raw" / f"{SEED_NAME}.txt"
    (corpus / "raw" / page.name).write_bytes(page.read_text(encoding="utf-8").encode("utf-16"))
    shutil.copy(page.with_suffix(".meta.yaml"), corpus / "raw")
    articles, problems = _read(corpus)
    assert sorted(a.raw_file for a in articles) == ["raw/export.json", f"raw/{SEED_NAME}.txt"]
    [record] = [a for a in articles if a.raw_file == "raw/export.json"]
    assert (record.headline, record.raw_encoding) == (records[0]["headline"], "utf-16")
    assert [(p.code, p.file) for p in problems] == [(Code.RAW_UTF16, "raw/export.json")]
    assert "UTF-8 (JSON is UTF-8) is expected" in problems[0].message
