"""Public-corpus imports: GermEval 2014 and 10kGNAD in, GermEval 2014 back out byte for byte."""

from __future__ import annotations

import collections
import csv
import hashlib
import re
import string
import tempfile
import unicodedata
from pathlib import Path

import pytest
import typer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from newscorpus.article import Article
from newscorpus.cli import export as export_cli
from newscorpus.cli import import_ as import_cli
from newscorpus.errors import InvalidInput, UsageError
from newscorpus.exporters import ExportError, export_germeval2014, imported_articles, raw_name
from newscorpus.importers import ImportConflict, import_file
from newscorpus.parsers import parse_file
from newscorpus.report import Problem
from tests.conftest import SHARED_DATA
from tests.helpers import write_gold
from tests.strategies import EMOJI, ENTITY_LABELS, PUNCTUATION, UMLAUTS, WORDS

GERMEVAL_DEV = SHARED_DATA / "germeval2014" / "NER-de-dev.tsv"
GNAD_TEST = SHARED_DATA / "10kgnad" / "test.csv"
DEV_NAME = "raw/imports/germeval2014/NER-de-dev.tsv"


def new_corpus(root: Path) -> Path:
    corpus = root / "corpus"
    (corpus / "raw").mkdir(parents=True)
    (corpus / "annotations").mkdir()
    return corpus


def parse_all(corpus: Path, raw: Path) -> tuple[list[Article], list[Problem]]:
    results = list(parse_file(raw, raw.relative_to(corpus).as_posix()))
    return [r for r in results if isinstance(r, Article)], [r for r in results if isinstance(r, Problem)]


def tsv(*sentences: tuple[str, list[str]]) -> str:
    """A GermEval file from (comment line, token lines) pairs."""
    return "\n\n".join("\n".join([comment, *rows]) for comment, rows in sentences) + "\n"


GOOD = ("#\thttp://a.de/1\t[2010-01-01]\t", ["1\tIn\tO\tO", "2\tBerlin\tB-LOC\tO", "3\t.\tO\tO"])


# --- (a) GermEval TSV -> records -> TSV is the identity ---------------------------------------------------------

PIECES = (*UMLAUTS, "ß", "ẞ", *PUNCTUATION, *EMOJI, '"', "#", "€", "\x96")
TOKENS = st.one_of(
    st.sampled_from(WORDS),
    st.text(alphabet=string.ascii_letters + string.digits + UMLAUTS + "ß", min_size=1, max_size=8),
    st.lists(st.sampled_from(PIECES), min_size=1, max_size=3).map("".join),
)
NO_LINE_END = st.characters(blacklist_characters="\t\n\r", blacklist_categories=("Cs",))
URLS = st.one_of(
    st.sampled_from(
        (
            "http://www.heise.de/tp/r4/artikel/32/32883/1.html",
            "http://de.wikipedia.org/wiki/Schwäbisch_Gmünd",
            "welt.de vom 09.03.2006",
            "",
        )
    ),
    st.text(NO_LINE_END, max_size=30),
)
DATES = st.one_of(st.just("2009-08-13"), st.text(st.characters(blacklist_characters="\t\n\r[]", codec="utf-8")))


@st.composite
def bio(draw: st.DrawFn, outer: list[str] | None = None, n: int = 0) -> list[str]:
    """Valid BIO tags; given the outer tags, inner spans stay inside one outer span."""
    tags: list[str] = []
    for i in range(len(outer) if outer is not None else n):
        kind, label = draw(st.sampled_from("OOBI")), draw(st.sampled_from(ENTITY_LABELS))
        if outer is not None and outer[i] == "O":
            tags.append("O")
            continue
        same_outer = outer is None or outer[i].startswith("I-")
        if kind == "I" and tags and tags[-1] != "O" and same_outer:
            tags.append("I-" + tags[-1][2:])
        elif kind in "BI":
            tags.append("B-" + label)
        else:
            tags.append("O")
    return tags


@st.composite
def sentences(draw: st.DrawFn) -> tuple[str, list[str]]:
    tokens = draw(st.lists(TOKENS, min_size=1, max_size=12))
    outer = draw(bio(n=len(tokens)))
    inner = draw(bio(outer=outer))
    comment = f"#\t{draw(URLS)}\t[{draw(DATES)}]\t"
    rows = [f"{i}\t{t}\t{o}\t{n}" for i, (t, o, n) in enumerate(zip(tokens, outer, inner, strict=True), start=1)]
    return comment, rows


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(sentences(), min_size=1, max_size=5))
def test_germeval_roundtrip_is_identity(generated: list[tuple[str, list[str]]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        corpus = new_corpus(Path(tmp))
        source = Path(tmp) / "generiert.tsv"
        source.write_bytes(tsv(*generated).encode("utf-8"))
        raw = import_file(corpus, "germeval2014", source, "train")
        articles, problems = parse_all(corpus, raw)
        assert problems == []
        assert [a.id for a in articles] == [f"generiert-{n:05d}" for n in range(1, len(generated) + 1)]
        assert all(a.pretokenized and a.annotation.status == "gold" for a in articles)
        assert export_germeval2014(articles).encode("utf-8") == source.read_bytes()


# --- (b) the real GermEval dev file ------------------------------------------------------------------------------


def test_germeval_dev_file_imports_and_exports_byte_for_byte(tmp_path: Path) -> None:
    corpus = new_corpus(tmp_path)
    raw = import_file(corpus, "germeval2014", GERMEVAL_DEV, "validation")
    assert raw == corpus / DEV_NAME
    articles = imported_articles(corpus, DEV_NAME, "germeval2014")  # through iter_corpus, gold applied
    assert len(articles) == 2200
    assert sum(len(a.text.split(" ")) for a in articles) == 41_653
    assert {a.split for a in articles} == {"validation"}
    assert {(a.license, a.redistributable) for a in articles} == {("CC-BY-4.0", True)}
    assert any("\x96" in a.text for a in articles)
    first = articles[0]
    assert first.id == "ner-de-dev-00001"
    assert first.raw_line == 1
    assert first.source == "http://www.heise.de/tp/r4/artikel/32/32883/1.html [2010-07-04]"
    assert first.url == "http://www.heise.de/tp/r4/artikel/32/32883/1.html"
    assert [(e.text, e.label, e.level) for e in first.entities] == [("Ecce homo", "OTH", 0), ("Jesu", "PER", 0)]
    assert first.raw_sha256 == hashlib.sha256(GERMEVAL_DEV.read_bytes().split(b"\n\n")[0]).hexdigest()
    assert all(a.text[e.start : e.end] == e.text for a in articles for e in a.entities)
    assert any(e.level == 1 for a in articles for e in a.entities)
    no_url = next(a for a in articles if " vom " in (a.source or ""))
    assert no_url.url is None
    assert export_germeval2014(articles).encode("utf-8") == GERMEVAL_DEV.read_bytes()


def test_gold_correction_is_exported_and_a_token_cutting_one_refused(tmp_path: Path) -> None:
    corpus = new_corpus(tmp_path)
    source = tmp_path / "klein.tsv"
    source.write_text(tsv(GOOD), encoding="utf-8")
    name = import_file(corpus, "germeval2014", source, "test").relative_to(corpus).as_posix()
    (article,) = imported_articles(corpus, name, "germeval2014")
    gold = write_gold(corpus, article, [("Berlin", "ORG")], topic=None)
    assert "2\tBerlin\tB-ORG\tO" in export_germeval2014(imported_articles(corpus, name, "germeval2014"))
    gold.unlink()
    write_gold(corpus, article, [("Berl", "LOC")], topic=None)
    with pytest.raises(ExportError, match="cannot be written as GermEval 2014 tags"):
        export_germeval2014(imported_articles(corpus, name, "germeval2014"))


# --- (c) the real 10kGNAD test file ------------------------------------------------------------------------------


def test_gnad_test_file(tmp_path: Path) -> None:
    corpus = new_corpus(tmp_path)
    raw = import_file(corpus, "10kgnad", GNAD_TEST, None)
    assert raw.name == "10kgnad-test.csv"
    articles, problems = parse_all(corpus, raw)
    assert problems == []
    with GNAD_TEST.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";", quotechar="'"))
    assert len(articles) == len(rows) == 1028
    assert collections.Counter(a.topic for a in articles) == collections.Counter(label for label, _ in rows)
    assert [a.id for a in articles] == [f"10kgnad-test-{n:05d}" for n in range(1, 1029)]
    assert all(unicodedata.is_normalized("NFC", text) for _, text in rows)  # NFC changes no row
    # The text is the row's, except that a block is stripped: rows with a trailing space lose it.
    assert [a.text for a in articles] == [text.strip() for _, text in rows]
    stripped = [i for i, (_, text) in enumerate(rows) if text != text.strip()]
    assert stripped
    assert [i for i, (a, (_, text)) in enumerate(zip(articles, rows, strict=True)) if a.text != text] == stripped
    assert all([b.kind for b in a.blocks] == ["paragraph"] and a.headline is None for a in articles)
    assert {(a.source, a.license, a.redistributable, a.annotation.source) for a in articles} == {
        ("DER STANDARD", "CC-BY-NC-SA-4.0", True, "10kgnad")
    }
    assert {a.split for a in articles} == {"train", "validation", "test"}  # no --split: the id's split
    assert [a.raw_line for a in articles] == list(range(1, 1029))


def test_gnad_split_from_sidecar(tmp_path: Path) -> None:
    corpus = new_corpus(tmp_path)
    source = tmp_path / "test.csv"
    source.write_text("Sport;'Ein Tor; zwei Tore.'\r\nWeb;'Ein ''Klick''.'\r\n", encoding="utf-8")
    articles, problems = parse_all(corpus, import_file(corpus, "10kgnad", source, "test"))
    assert problems == []
    assert [(a.text, a.split, a.topic) for a in articles] == [
        ("Ein Tor; zwei Tore.", "test", "Sport"),
        ("Ein 'Klick'.", "test", "Web"),
    ]
    assert articles[0].raw_sha256 == hashlib.sha256(b"Sport;'Ein Tor; zwei Tore.'").hexdigest()


# --- (d) malformed inputs ----------------------------------------------------------------------------------------

BAD_SENTENCES = {
    "three columns": (["1\tDer\tO\tO", "2\tSatz\tO"], 2, "3 columns"),
    "I- after O": (["1\tDann\tO\tO", "2\tBerlin\tI-LOC\tO"], 2, "I-LOC follows O"),
    "unknown label": (["1\tX\tB-FOO\tO"], 1, "'B-FOO' is no tag"),
    "index gap": (["1\tEins\tO\tO", "3\tDrei\tO\tO"], 2, "not 2"),
    "whitespace in token": (["1\tzwei\u00a0Wörter\tO\tO"], 1, "whitespace"),
    "NFD token": (["1\tMu\u0308nchen\tB-LOC\tO"], 1, "not NFC"),
    "inner outside outer": (["1\tBerlin\tO\tB-LOC"], 1, "inside no outer span"),
    "inner across outers": (["1\tA\tB-ORG\tB-LOC", "2\tB\tB-ORG\tI-LOC"], 1, "inside no outer span"),
    "C0 control": (["1\tA\x01B\tO\tO"], 0, "control character U+0001"),  # found in the text: the # line
}


@pytest.mark.parametrize("case", BAD_SENTENCES)
def test_bad_germeval_sentence_is_one_problem_and_the_others_parse(tmp_path: Path, case: str) -> None:
    rows, offset, message = BAD_SENTENCES[case]
    corpus = new_corpus(tmp_path)
    source = tmp_path / "kaputt.tsv"
    bad = ("#\thttp://a.de/2\t[2010-01-02]\t", rows)
    source.write_text(tsv(GOOD, bad, GOOD), encoding="utf-8")
    articles, problems = parse_all(corpus, import_file(corpus, "germeval2014", source, "train"))
    assert [(p.file, p.line) for p in problems] == [("raw/imports/germeval2014/kaputt.tsv", 6 + offset)]
    assert message in problems[0].message
    assert [(a.id, a.raw_line) for a in articles] == [("kaputt-00001", 1), ("kaputt-00003", 6 + len(rows) + 2)]


def test_bad_germeval_comment_and_empty_sentence(tmp_path: Path) -> None:
    corpus = new_corpus(tmp_path)
    source = tmp_path / "kopf.tsv"
    text = tsv(("#\tkein Datum", ["1\tA\tO\tO"]), ("1\tohne\tO\tO", []), ("#\thttp://a.de\t[1]\t", [])) + "\n"
    source.write_text(text + tsv(GOOD), encoding="utf-8")
    articles, problems = parse_all(corpus, import_file(corpus, "germeval2014", source, "train"))
    assert [p.line for p in problems] == [1, 4, 6]
    assert [a.id for a in articles] == ["kopf-00004"]


@pytest.mark.parametrize(("fmt", "name"), [("germeval2014", "x.tsv"), ("10kgnad", "x.csv")])
def test_undecodable_file_is_one_problem_naming_the_byte(tmp_path: Path, fmt: str, name: str) -> None:
    corpus = new_corpus(tmp_path)
    source = tmp_path / name
    source.write_bytes(b"#\thttp://a.de\t[1]\t\n1\tM\xfcnchen\tB-LOC\tO\n")
    (problem,) = parse_all(corpus, import_file(corpus, fmt, source, "train"))[1]
    assert "not UTF-8" in problem.message
    assert "at byte 22" in problem.message


def test_germeval_crlf_file_is_one_problem(tmp_path: Path) -> None:
    corpus = new_corpus(tmp_path)
    source = tmp_path / "x.tsv"
    source.write_bytes(tsv(GOOD, GOOD).replace("\n", "\r\n").encode("utf-8"))
    (problem,) = parse_all(corpus, import_file(corpus, "germeval2014", source, "train"))[1]
    assert (problem.line, "CRLF" in problem.message) == (1, True)


def test_germeval_without_split_in_sidecar_is_a_problem(tmp_path: Path) -> None:
    corpus = new_corpus(tmp_path)
    source = tmp_path / "x.tsv"
    source.write_text(tsv(GOOD), encoding="utf-8")
    raw = import_file(corpus, "germeval2014", source, "train")
    raw.with_name("x.meta.yaml").write_text("format: germeval2014\n", encoding="utf-8")
    (problem,) = parse_all(corpus, raw)[1]
    assert (problem.file, problem.field) == ("raw/imports/germeval2014/x.meta.yaml", "split")


def test_bad_gnad_rows_are_problems_and_the_others_parse(tmp_path: Path) -> None:
    corpus = new_corpus(tmp_path)
    source = tmp_path / "test.csv"
    source.write_text(
        "Sport;'Erster Text.'\r\nKlatsch;'Zweiter Text.'\r\nWeb;'Dritter'\r\n\r\nEtat;a;b\r\nInland;'Fünfter.'\r\n",
        encoding="utf-8",
    )
    articles, problems = parse_all(corpus, import_file(corpus, "10kgnad", source, None))
    assert [(p.line, p.field) for p in problems] == [(2, "topic"), (5, None)]
    assert "'Klatsch', not one of the topics" in problems[0].message
    assert [(a.id, a.raw_line) for a in articles] == [
        ("10kgnad-test-00001", 1),
        ("10kgnad-test-00003", 3),
        ("10kgnad-test-00005", 6),
    ]


def test_empty_import_files_are_problems(tmp_path: Path) -> None:
    corpus = new_corpus(tmp_path)
    for fmt, name in (("germeval2014", "leer.tsv"), ("10kgnad", "leer.csv")):
        (tmp_path / name).write_bytes(b"\n")
        (problem,) = parse_all(corpus, import_file(corpus, fmt, tmp_path / name, "test"))[1]
        assert "holds no" in problem.message


# --- (e) importing twice -----------------------------------------------------------------------------------------


def test_import_again_is_a_noop_and_a_different_file_is_refused(tmp_path: Path) -> None:
    corpus = new_corpus(tmp_path)
    source = tmp_path / "x.tsv"
    source.write_text(tsv(GOOD), encoding="utf-8")
    raw = import_file(corpus, "germeval2014", source, "test")
    sidecar = raw.with_name("x.meta.yaml")
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in (raw, sidecar)}
    assert import_file(corpus, "germeval2014", source, "test") == raw
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in (raw, sidecar)} == before
    with pytest.raises(ImportConflict, match="was imported as format germeval2014, split test"):
        import_file(corpus, "germeval2014", source, "train")
    other = tmp_path / "anders" / "x.tsv"
    other.parent.mkdir()
    other.write_text(tsv(GOOD, GOOD), encoding="utf-8")
    with pytest.raises(ImportConflict, match=re.escape("delete it and raw/imports/germeval2014/x.meta.yaml")):
        import_file(corpus, "germeval2014", other, "test")
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in (raw, sidecar)} == before
    sidecar.unlink()  # an interrupted import: the copy is there, its sidecar not yet
    assert import_file(corpus, "germeval2014", source, "test") == raw
    assert sidecar.read_bytes() == before[sidecar][0]


@pytest.mark.parametrize(
    ("fmt", "name", "split", "message"),
    [
        ("germeval2014", "x.tsv", None, "--split"),
        ("germeval2014", "x.tsv", "dev", "none of train, validation, test"),
        ("germeval2014", "x.txt", "train", "no .tsv file"),
        ("conll", "x.tsv", "train", "no importable format"),
        ("10kgnad", "---.csv", None, "gives no id"),
    ],
)
def test_import_refuses_bad_requests(tmp_path: Path, fmt: str, name: str, split: str | None, message: str) -> None:
    corpus = new_corpus(tmp_path)
    (tmp_path / name).write_text(tsv(GOOD), encoding="utf-8")
    with pytest.raises(UsageError, match=message):
        import_file(corpus, fmt, tmp_path / name, split)
    assert not (corpus / "raw" / "imports").exists()


# --- (f) the commands --------------------------------------------------------------------------------------------

root = typer.Typer()
root.add_typer(import_cli.app, name=import_cli.NAME)
root.add_typer(export_cli.app, name=export_cli.NAME)
runner = CliRunner()


def run(*args: str | Path):
    return runner.invoke(root, [str(a) for a in args])


def test_cli_import_and_export_germeval(tmp_path: Path) -> None:
    corpus = new_corpus(tmp_path)
    result = run("import", "germeval2014", GERMEVAL_DEV, "--split", "validation", "--corpus", corpus)
    assert result.exit_code == 0, result.output
    assert f"Imported: {DEV_NAME}, 2200 articles, 0 problems." in result.stdout
    again = run("import", "germeval2014", GERMEVAL_DEV, "--split", "validation", "--corpus", corpus)
    assert again.exit_code == 0, again.output
    assert "Already imported" in again.stdout
    out = tmp_path / "out" / "dev.tsv"
    result = run("export", "germeval2014", DEV_NAME, "--out", out, "--corpus", corpus)
    assert result.exit_code == 0, result.output
    assert "Wrote 2200 sentences" in result.stdout
    assert out.read_bytes() == GERMEVAL_DEV.read_bytes()
    assert raw_name(corpus, str(corpus / DEV_NAME)) == DEV_NAME  # a path to the file works too


def test_cli_errors(tmp_path: Path) -> None:
    corpus = new_corpus(tmp_path)
    missing = run("import", "germeval2014", GERMEVAL_DEV, "--corpus", corpus)
    assert missing.exit_code == 2
    assert "--split" in missing.stderr
    source = tmp_path / "test.csv"
    source.write_text("Sport;'Ein Text.'\nKlatsch;'Noch einer.'\n", encoding="utf-8")
    bad = run("import", "10kgnad", source, "--corpus", corpus)
    assert bad.exit_code == 1
    assert "1 articles, 1 problems" in bad.stdout
    assert "invalid records" in bad.stderr
    assert (corpus / "raw" / "imports" / "10kgnad" / "10kgnad-test.csv").is_file()
    name = "raw/imports/10kgnad/10kgnad-test.csv"
    not_germeval = run("export", "germeval2014", name, "--out", tmp_path / "o.tsv", "--corpus", corpus)
    assert not_germeval.exit_code == 1
    assert "is not a germeval2014 import" in not_germeval.stderr
    absent = run("export", "germeval2014", "raw/nichts.tsv", "--out", tmp_path / "o.tsv", "--corpus", corpus)
    assert absent.exit_code == 2
    assert not (tmp_path / "o.tsv").exists()


def test_export_refuses_a_file_with_a_bad_sentence(tmp_path: Path) -> None:
    corpus = new_corpus(tmp_path)
    source = tmp_path / "x.tsv"
    source.write_text(tsv(GOOD, ("#\thttp://a.de\t[1]\t", ["1\tA\tI-PER\tO"])), encoding="utf-8")
    import_file(corpus, "germeval2014", source, "train")
    with pytest.raises(InvalidInput, match="1 problems"):
        imported_articles(corpus, "raw/imports/germeval2014/x.tsv", "germeval2014")
    assert export_germeval2014([]) == ""
    assert export_germeval2014(parse_all(corpus, corpus / "raw/imports/germeval2014/x.tsv")[0]) == tsv(GOOD)
