"""Compressed JSONL, as crawls ship it: read like the plain file, line numbers and record bytes exact."""

from __future__ import annotations

import bz2
import gzip
import json
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newscorpus.core.codes import Code
from newscorpus.core.report import Problem
from newscorpus.ingest import pieces
from newscorpus.ingest.corpus import iter_corpus, validate
from newscorpus.ingest.parsers.compressed import decompressed_chunks
from newscorpus.model.article import Article
from newscorpus.release.build import build


@pytest.fixture
def empty_corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    (root / "raw").mkdir(parents=True)
    return root


def _compress(data: bytes, suffix: str) -> bytes:
    if suffix == ".gz":
        return gzip.compress(data)
    if suffix == ".bz2":
        return bz2.compress(data)
    sink = pa.BufferOutputStream()
    with pa.CompressedOutputStream(sink, "zstd") as out:
        out.write(data)
    return sink.getvalue().to_pybytes()


def _lines(n: int) -> bytes:
    records = [
        json.dumps({"id": f"meldung-{i}", "headline": f"Meldung {i}", "body": f"Ein Satz über „Köln“, Nummer {i}. 😀"})
        for i in range(n)
    ]
    records[3] = "{kaputt"  # a bad line among good ones
    return ("\n".join(records[:5]) + "\n\n\r\n" + "\n".join(records[5:]) + "\n").encode("utf-8")


def _read(corpus: Path, processes: int) -> list[tuple[str, int | None, str, str] | tuple[str, int | None, str]]:
    out: list[tuple[str, int | None, str, str] | tuple[str, int | None, str]] = []
    for item in iter_corpus(corpus, executor=None) if processes == 1 else _pooled(corpus, processes):
        if isinstance(item, Article):
            out.append((item.id, item.raw_line, item.raw_sha256, item.text))
        else:
            out.append((item.file.rsplit("/", 1)[-1].split(".")[0], item.line, item.code))
    return out


def _pooled(corpus: Path, processes: int) -> list[Article | Problem]:
    from newscorpus.core.executor import LocalExecutor

    with LocalExecutor(processes) as executor:
        return list(iter_corpus(corpus, executor=executor))


@pytest.mark.parametrize("suffix", [".gz", ".bz2", ".zst"])
@pytest.mark.parametrize("processes", [1, 2])
def test_a_compressed_jsonl_reads_as_the_plain_one(
    empty_corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str, processes: int
) -> None:
    monkeypatch.setattr(pieces, "DECOMPRESSED_BYTES", 300)  # many chunks, some ending mid-record
    data = _lines(40)
    plain = tmp_path / "plain"
    (plain / "raw").mkdir(parents=True)
    (plain / "raw" / "meldungen.jsonl").write_bytes(data)
    (empty_corpus / "raw" / "meldungen.jsonl.gz".replace(".gz", suffix)).write_bytes(_compress(data, suffix))

    read, expected = _read(empty_corpus, processes), _read(plain, processes)

    assert read == expected
    assert sum(len(item) == 4 for item in read) == 39
    assert ("meldungen", 4, Code.JSON_MALFORMED) in read


def test_a_sidecar_beside_a_compressed_file_applies_and_is_no_orphan(empty_corpus: Path) -> None:
    raw = empty_corpus / "raw"
    (raw / "export.jsonl.gz").write_bytes(gzip.compress(_lines(6)))
    (raw / "export.jsonl.meta.yaml").write_text("license: CC-BY-4.0\nredistributable: true\n", encoding="utf-8")
    report = validate(empty_corpus, processes=1)
    assert [p.code for p in report.problems] == [Code.JSON_MALFORMED]
    result = build(empty_corpus, "1.0.0", skip_invalid=True, processes=1)
    assert result.manifest.statistics.articles == 5
    assert {"raw/export.jsonl.gz", "raw/export.jsonl.meta.yaml"} <= {e.path for e in result.manifest.inputs}


def test_a_damaged_stream_keeps_what_came_before(empty_corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pieces, "DECOMPRESSED_BYTES", 2000)  # records go on in chunks: those before the break stay
    whole = gzip.compress(_lines(400), mtime=0)
    (empty_corpus / "raw" / "kaputt.jsonl.gz").write_bytes(whole[: len(whole) * 3 // 4])
    (empty_corpus / "raw" / "zuletzt.json").write_text(
        json.dumps({"id": "danach", "headline": "Danach", "body": "Gelesen."}), encoding="utf-8"
    )

    items = list(iter_corpus(empty_corpus))

    damaged = [i for i in items if isinstance(i, Problem) and i.code == Code.RAW_UNREADABLE]
    assert [p.file for p in damaged] == ["raw/kaputt.jsonl.gz"]
    assert "compressed" in damaged[0].message.lower()
    articles = [i for i in items if isinstance(i, Article)]
    assert 0 < len(articles) - 1 < 399  # some records came before the break; the file after it is read too
    assert articles[-1].id == "danach"


@settings(max_examples=40, deadline=None)
@given(st.lists(st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"")), max_size=30), st.integers(1, 64))
def test_chunks_are_the_lines_in_order_with_their_numbers(lines: list[bytes], size: int) -> None:
    import tempfile

    data = b"".join(line + b"\n" for line in lines)
    with tempfile.NamedTemporaryFile(suffix=".jsonl.gz") as handle:
        handle.write(gzip.compress(data))
        handle.flush()
        chunks = list(decompressed_chunks(Path(handle.name), "gzip", size))
    assert b"".join(chunk for _, chunk in chunks) == data
    line = 1
    for first, chunk in chunks:
        assert first == line
        assert chunk.endswith(b"\n")
        line += chunk.count(b"\n")


def test_the_notes_of_a_damaged_stream_stay_with_its_file(empty_corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Records read before the break leave notes (a foreign id); they are told for that file, not the next."""
    monkeypatch.setattr(pieces, "DECOMPRESSED_BYTES", 2000)
    records = [{"id": f"<urn:uuid:{n:04d}>", "body": f"Ein Satz, Nummer {n}."} for n in range(300)]
    whole = gzip.compress("".join(json.dumps(r) + "\n" for r in records).encode(), mtime=0)
    (empty_corpus / "raw" / "a.jsonl.gz").write_bytes(whole[: len(whole) * 3 // 4])
    clean = json.dumps({"id": "sauber", "body": "Text."}) + "\n"
    (empty_corpus / "raw" / "b.jsonl").write_text(clean, encoding="utf-8")

    problems = [i for i in iter_corpus(empty_corpus) if isinstance(i, Problem)]

    assert [(p.file, p.code) for p in problems] == [
        ("raw/a.jsonl.gz", Code.RAW_UNREADABLE),
        ("raw/a.jsonl.gz", Code.ID_FOREIGN),
    ]


def _article(i: int) -> dict[str, object]:
    return {"url": f"https://www.example.de/{i}.html", "headline": f"Meldung {i}", "body": f"Über „Köln“ {i}. 😀"}


@pytest.mark.parametrize("suffix", [".gz", ".bz2", ".zst"])
@pytest.mark.parametrize("array", [False, True])
def test_a_compressed_json_file_reads_as_the_plain_one(tmp_path: Path, suffix: str, array: bool) -> None:
    """One object (its id from the file name) or an array: the same articles, hashes and lines as uncompressed."""
    data = (
        json.dumps([_article(i) for i in range(4)], indent=1) if array else json.dumps(_article(0) | {"url": None})
    ).encode("utf-8")
    read = {}
    for kind, name, content in (("plain", "meldung.json", data), ("packed", f"meldung.json{suffix}", data)):
        corpus = tmp_path / kind
        (corpus / "raw").mkdir(parents=True)
        (corpus / "raw" / name).write_bytes(content if kind == "plain" else _compress(content, suffix))
        items = list(iter_corpus(corpus))
        assert all(isinstance(item, Article) for item in items), items
        read[kind] = [(a.id, a.raw_line, a.raw_sha256, a.text) for a in items if isinstance(a, Article)]
    assert read["packed"] == read["plain"]
    assert len(read["plain"]) == (4 if array else 1)


def test_a_damaged_compressed_json_file_is_unreadable(empty_corpus: Path) -> None:
    packed = gzip.compress(json.dumps(_article(1)).encode("utf-8"))
    (empty_corpus / "raw" / "kaputt.json.gz").write_bytes(packed[: len(packed) // 2])
    [problem] = list(iter_corpus(empty_corpus))
    assert isinstance(problem, Problem)
    assert (problem.code, problem.file) == (Code.RAW_UNREADABLE, "raw/kaputt.json.gz")
    assert "gzip" in problem.message


def test_a_sidecar_beside_a_compressed_json_file_applies_and_is_no_orphan(empty_corpus: Path) -> None:
    (empty_corpus / "raw" / "meldung.json.zst").write_bytes(_compress(json.dumps(_article(2)).encode(), ".zst"))
    (empty_corpus / "raw" / "meldung.json.meta.yaml").write_text("license: CC-BY-4.0\n", encoding="utf-8")
    [article] = list(iter_corpus(empty_corpus))
    assert isinstance(article, Article)
    assert article.license == "CC-BY-4.0"


@pytest.mark.parametrize("suffix", ["", ".gz"])
@pytest.mark.parametrize("processes", [1, 2])
def test_ndjson_reads_as_jsonl(
    empty_corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str, processes: int
) -> None:
    """NDJSON is JSON Lines under another name (Elasticsearch's, BigQuery's exports): the same records, lines, bytes."""
    monkeypatch.setattr(pieces, "MIN_RANGE_BYTES", 200)  # a plain file in several ranges, as a big one is
    monkeypatch.setattr(pieces, "DECOMPRESSED_BYTES", 300)
    data = _lines(40)
    plain = tmp_path / "plain"
    (plain / "raw").mkdir(parents=True)
    (plain / "raw" / "meldungen.jsonl").write_bytes(data)
    (empty_corpus / "raw" / f"meldungen.ndjson{suffix}").write_bytes(_compress(data, suffix) if suffix else data)

    read = _read(empty_corpus, processes)

    assert read == _read(plain, processes)
    assert sum(len(item) == 4 for item in read) == 39
