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
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from newscorpus.cli import export as export_cli
from newscorpus.cli import import_ as import_cli
from newscorpus.core.codes import Code
from newscorpus.core.errors import InvalidInput, UsageError
from newscorpus.core.report import Problem
from newscorpus.derive.configs import ner_rows
from newscorpus.derive.tokens import sentences as token_sentences
from newscorpus.ingest.exporters import ExportError, export_germeval2014, imported_articles, raw_name
from newscorpus.ingest.importers import ImportConflict, import_file
from newscorpus.ingest.parsers import parse_file
from newscorpus.model.article import Article
from tests.conftest import FIXTURES, SHARED_DATA
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


Sentence = tuple[list[str], list[str], list[str]]
"""A sentence's tokens, outer tags and inner tags."""


@st.composite
def sentences(draw: st.DrawFn) -> tuple[Sentence, list[str]]:
    """A sentence and its lines, with any of the official files' quirks: a comment line without its
    trailing tab, token lines with extra empty columns, inner spans outside every outer span."""
    tokens = draw(st.lists(TOKENS, min_size=1, max_size=12))
    outer = draw(bio(n=len(tokens)))
    inner = draw(st.one_of(bio(outer=outer), bio(n=len(tokens))))  # nested as GermEval says, or anyhow
    comment = f"#\t{draw(URLS)}\t[{draw(DATES)}]" + draw(st.sampled_from(("\t", "\t", "")))
    extra = st.lists(st.sampled_from(("", "", "", "\t", "\t\t")), min_size=len(tokens), max_size=len(tokens))
    rows = [
        f"{i}\t{t}\t{o}\t{n}{x}"
        for i, (t, o, n, x) in enumerate(zip(tokens, outer, inner, draw(extra), strict=True), start=1)
    ]
    return (tokens, outer, inner), [comment, *rows]


LAYOUT = {
    "bom": Code.GERMEVAL_BOM,
    "crlf": Code.GERMEVAL_CRLF,
    "comment": Code.GERMEVAL_COMMENT_TAB,
    "columns": Code.GERMEVAL_EXTRA_COLUMNS,
}
"""The file-level warnings of layout quirks, by their codes."""


def layout_warnings(problems: list[Problem]) -> dict[str, int | None]:
    """The file-level warnings among ``problems``: each quirk with the line it is reported at."""
    whole_file = [p for p in problems if p.article_id is None]
    assert all(p.severity == "warning" for p in whole_file)
    return {kind: p.line for p in whole_file for kind, code in LAYOUT.items() if p.code is code}


def germeval_sentences(data: bytes) -> list[Sentence]:
    """A GermEval file's sentences as (tokens, outer tags, inner tags), read independently of the importer."""
    sentences, current = [], ([], [], [])
    for line in data.decode("utf-8").removeprefix("\ufeff").replace("\r\n", "\n").split("\n"):
        if line.startswith("#"):
            current = ([], [], [])
            sentences.append(current)
        elif line:
            _, token, outer, inner, *empty = line.split("\t")
            assert not any(empty)
            for column, value in zip(current, (token, outer, inner), strict=True):
                column.append(value)
    return sentences


@st.composite
def germeval_files(draw: st.DrawFn) -> tuple[bytes, list[Sentence], dict[str, int]]:
    """A GermEval file of generated sentences, laid out as files in the wild may be (blank lines before,
    between and after the sentences, CRLF line ends on all lines or some, no line end on the last line,
    a byte order mark); with the layout warnings it should get, each at its first line."""
    drawn = draw(st.lists(sentences(), min_size=1, max_size=5))
    lines = [""] * draw(st.integers(0, 1))
    for number, (_, sentence_lines) in enumerate(drawn):
        lines += [""] * (draw(st.integers(1, 3)) if number else 0) + sentence_lines
    lines += [""] * draw(st.integers(0, 2))
    crlf = draw(st.sampled_from(("none", "none", "all", "some")))
    ends = ["\r\n" if crlf == "all" or (crlf == "some" and draw(st.booleans())) else "\n" for _ in lines]
    if lines[-1] and draw(st.booleans()):
        ends[-1] = ""
    bom = draw(st.sampled_from(("", "", "\ufeff")))
    quirks = {
        "bom": [1] if bom else [],
        "crlf": [n for n, end in enumerate(ends, start=1) if end == "\r\n"],
        "comment": [n for n, line in enumerate(lines, start=1) if line.startswith("#") and not line.endswith("\t")],
        "columns": [n for n, line in enumerate(lines, start=1) if line[:1].isdigit() and line.count("\t") > 3],
    }
    text = bom + "".join(line + end for line, end in zip(lines, ends, strict=True))
    expected = {kind: numbers[0] for kind, numbers in quirks.items() if numbers}
    return text.encode("utf-8"), [sentence for sentence, _ in drawn], expected


def stray_inner_spans(outer: list[str], inner: list[str]) -> int:
    """How many inner spans lie inside no outer span, read from the tags without the library."""
    outer_span, count = [], 0
    for tag in outer:
        count += tag.startswith("B-")
        outer_span.append(count if tag != "O" else None)
    stray, covering = 0, None
    for i, tag in enumerate([*inner, "O"]):
        if covering is not None and not tag.startswith("I-"):
            stray += None in covering or len(covering) > 1
            covering = None
        if tag != "O":
            covering = (covering or set()) | {outer_span[i]}
    return stray


@settings(max_examples=80)
@given(germeval_files())
def test_germeval_roundtrip_is_identity(generated: tuple[bytes, list[Sentence], dict[str, int]]) -> None:
    data, expected, layout = generated
    with tempfile.TemporaryDirectory() as tmp:
        corpus = new_corpus(Path(tmp))
        source = Path(tmp) / "generiert.tsv"
        source.write_bytes(data)
        raw = import_file(corpus, "germeval2014", source, "train")
        articles, problems = parse_all(corpus, raw)
        assert [p for p in problems if p.severity == "error"] == []
        assert [a.id for a in articles] == [f"generiert-{n:05d}" for n in range(1, len(expected) + 1)]
        assert all(a.pretokenized and a.annotation.entities.status == "gold" for a in articles)
        for article, columns in zip(articles, expected, strict=True):
            (row,) = ner_rows(article, token_sentences(article.text, [], True))
            assert (row["tokens"], row["ner_tags"], row["nested_ner_tags"]) == columns
        strays = [stray_inner_spans(outer, inner) for _, outer, inner in expected]
        nesting = collections.Counter(p.article_id for p in problems if p.field == "inner tag")
        assert nesting == collections.Counter({a.id: n for a, n in zip(articles, strays, strict=True) if n})
        assert layout_warnings(problems) == layout
        assert export_germeval2014(articles, raw).encode("utf-8") == data


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
    assert export_germeval2014(articles, raw).encode("utf-8") == GERMEVAL_DEV.read_bytes()


def test_gold_correction_is_exported_and_a_token_cutting_one_refused(tmp_path: Path) -> None:
    corpus = new_corpus(tmp_path)
    source = tmp_path / "klein.tsv"
    source.write_text(tsv(GOOD), encoding="utf-8")
    raw = import_file(corpus, "germeval2014", source, "test")
    name = raw.relative_to(corpus).as_posix()
    (article,) = imported_articles(corpus, name, "germeval2014")
    gold = write_gold(corpus, article, [("Berlin", "ORG")], topic=None)
    assert "2\tBerlin\tB-ORG\tO" in export_germeval2014(imported_articles(corpus, name, "germeval2014"), raw)
    gold.unlink()
    write_gold(corpus, article, [("Berl", "LOC")], topic=None)
    with pytest.raises(ExportError, match="cannot be written as GermEval 2014 tags"):
        export_germeval2014(imported_articles(corpus, name, "germeval2014"), raw)


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
    assert {(a.source, a.license, a.redistributable, a.annotation.topic.source) for a in articles} == {
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
    "three columns": (["1\tDer\tO\tO", "2\tSatz\tO"], 2, Code.GERMEVAL_COLUMNS),
    "I- after O": (["1\tDann\tO\tO", "2\tBerlin\tI-LOC\tO"], 2, Code.GERMEVAL_BROKEN_SPAN),
    "unknown label": (["1\tX\tB-FOO\tO"], 1, Code.GERMEVAL_UNKNOWN_TAG),
    "index gap": (["1\tEins\tO\tO", "3\tDrei\tO\tO"], 2, Code.GERMEVAL_INDEX),
    "whitespace in token": (["1\tzwei\u00a0Wörter\tO\tO"], 1, Code.GERMEVAL_BAD_TOKEN),
    "NFD token": (["1\tMu\u0308nchen\tB-LOC\tO"], 1, Code.GERMEVAL_TOKEN_NOT_NFC),
    "a fifth column with text": (["1\tDer\tO\tO\tART"], 1, Code.GERMEVAL_COLUMNS),
    "an empty column between": (["1\tDer\tO\t\tO"], 1, Code.GERMEVAL_COLUMNS),
    "no inner tag": (["1\tDer\tO\t"], 1, Code.GERMEVAL_UNKNOWN_TAG),
    "inner I- after outer O-run": (["1\tIn\tO\tO", "2\tBerlin\tB-LOC\tI-LOC"], 2, Code.GERMEVAL_BROKEN_SPAN),
    "C0 control": (["1\tA\x01B\tO\tO"], 0, Code.TEXT_CONTROL_CHAR),  # found in the text: the # line
}


@pytest.mark.parametrize("case", BAD_SENTENCES)
def test_bad_germeval_sentence_is_one_problem_and_the_others_parse(tmp_path: Path, case: str) -> None:
    rows, offset, code = BAD_SENTENCES[case]
    corpus = new_corpus(tmp_path)
    source = tmp_path / "kaputt.tsv"
    bad = ("#\thttp://a.de/2\t[2010-01-02]\t", rows)
    source.write_text(tsv(GOOD, bad, GOOD), encoding="utf-8")
    articles, problems = parse_all(corpus, import_file(corpus, "germeval2014", source, "train"))
    assert [(p.file, p.line, p.code) for p in problems] == [("raw/imports/germeval2014/kaputt.tsv", 6 + offset, code)]
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
    assert problem.code is {"germeval2014": Code.GERMEVAL_NOT_UTF8, "10kgnad": Code.GNAD_NOT_UTF8}[fmt]
    assert "at byte 22" in problem.message


def test_germeval_without_split_in_sidecar_is_a_problem(tmp_path: Path) -> None:
    corpus = new_corpus(tmp_path)
    source = tmp_path / "x.tsv"
    source.write_text(tsv(GOOD), encoding="utf-8")
    raw = import_file(corpus, "germeval2014", source, "train")
    raw.with_name("x.meta.yaml").write_text("format: germeval2014\n", encoding="utf-8")
    (problem,) = parse_all(corpus, raw)[1]
    assert (problem.file, problem.field) == ("raw/imports/germeval2014/x.meta.yaml", "split")
    assert problem.code is Code.GERMEVAL_NO_SPLIT


def test_bad_gnad_rows_are_problems_and_the_others_parse(tmp_path: Path) -> None:
    corpus = new_corpus(tmp_path)
    source = tmp_path / "test.csv"
    source.write_text(
        "Sport;'Erster Text.'\r\nKlatsch;'Zweiter Text.'\r\nWeb;'Dritter'\r\n\r\nEtat;a;b\r\nInland;'Fünfter.'\r\n",
        encoding="utf-8",
    )
    articles, problems = parse_all(corpus, import_file(corpus, "10kgnad", source, None))
    assert [(p.line, p.field, p.code) for p in problems] == [
        (2, "topic", Code.GNAD_UNKNOWN_TOPIC),
        (5, None, Code.GNAD_FIELDS),
    ]
    assert [(a.id, a.raw_line) for a in articles] == [
        ("10kgnad-test-00001", 1),
        ("10kgnad-test-00003", 3),
        ("10kgnad-test-00005", 6),
    ]


def test_empty_import_files_are_problems(tmp_path: Path) -> None:
    corpus = new_corpus(tmp_path)
    for fmt, name, code in (
        ("germeval2014", "leer.tsv", Code.GERMEVAL_EMPTY),
        ("10kgnad", "leer.csv", Code.GNAD_EMPTY),
    ):
        (tmp_path / name).write_bytes(b"\n")
        (problem,) = parse_all(corpus, import_file(corpus, fmt, tmp_path / name, "test"))[1]
        assert problem.code is code


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
    assert "1 article, 1 problem." in bad.stdout
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
    raw = import_file(corpus, "germeval2014", source, "train")
    with pytest.raises(InvalidInput, match="1 problem,"):
        imported_articles(corpus, "raw/imports/germeval2014/x.tsv", "germeval2014")
    articles = parse_all(corpus, raw)[0]
    with pytest.raises(ExportError, match=r"the sentence at line 6 of x\.tsv has no record"):
        export_germeval2014(articles, raw)


def test_export_refuses_records_the_raw_file_no_longer_holds(tmp_path: Path) -> None:
    corpus = new_corpus(tmp_path)
    source = tmp_path / "x.tsv"
    source.write_text(tsv(GOOD, GOOD), encoding="utf-8")
    raw = import_file(corpus, "germeval2014", source, "train")
    first, second = parse_all(corpus, raw)[0]
    stray = second.model_copy(update={"id": "x-00009", "raw_line": 3})
    with pytest.raises(ExportError, match=r"x-00009: no sentence of x\.tsv starts at the line"):
        export_germeval2014([first, second, stray], raw)
    raw.write_text(tsv(GOOD, GOOD).replace("Berlin", "Bonn"), encoding="utf-8")  # as if the copy had changed since
    with pytest.raises(ExportError, match=r"x-00001 was read from other lines than line 1 of x\.tsv holds now"):
        export_germeval2014([first, second], raw)


# --- (g) the official files as they are: quirks of the test file, and of files an editor touched ------------------

QUIRKS = FIXTURES / "germeval"
INNER_WARNINGS = [
    (7, 1, "the inner PER span 'Wilhelm II.' (tokens 6–7) runs past the outer OTH span 'Kaiser Wilhelm' (tokens 5–6)"),
    (14, 2, "the inner LOCderiv span 'Hamburger' (token 2) has no outer span around it"),
    (28, 3, "the inner ORG span 'Berlin Brandenburg' (tokens 3–4) runs past the outer LOC span 'Berlin' (token 3)"),
]
OFFICIAL_QUIRKS = {
    "comment-without-tab.tsv": ({"comment": 11}, []),
    "extra-empty-column.tsv": ({"columns": 15}, []),
    "inner-outside-outer.tsv": ({}, INNER_WARNINGS),
}


def import_and_parse(tmp_path: Path, data: bytes, name: str) -> tuple[Path, Path, list[Article], list[Problem]]:
    corpus = new_corpus(tmp_path)
    source = tmp_path / name
    source.write_bytes(data)
    raw = import_file(corpus, "germeval2014", source, "test")
    return corpus, raw, *parse_all(corpus, raw)


def assert_lossless(corpus: Path, raw: Path, articles: list[Article], data: bytes) -> None:
    """ner gives the file's tokens and both tag columns for every sentence; the export gives the file back."""
    expected = germeval_sentences(data)
    assert len(articles) == len(expected)
    for article, columns in zip(articles, expected, strict=True):
        (row,) = ner_rows(article, token_sentences(article.text, [], True))
        assert (row["tokens"], row["ner_tags"], row["nested_ner_tags"]) == columns
    exported = imported_articles(corpus, raw.relative_to(corpus).as_posix(), "germeval2014")  # warnings do not block
    assert export_germeval2014(exported, raw).encode("utf-8") == data


@pytest.mark.parametrize("name", OFFICIAL_QUIRKS)
def test_official_quirks_import_as_gold_with_warnings_and_export_byte_for_byte(tmp_path: Path, name: str) -> None:
    layout, inner = OFFICIAL_QUIRKS[name]
    data = (QUIRKS / name).read_bytes()
    corpus, raw, articles, problems = import_and_parse(tmp_path, data, name)
    assert [p for p in problems if p.severity == "error"] == []
    assert {a.annotation.entities.status for a in articles} == {"gold"}
    assert layout_warnings(problems) == layout
    stem = name.removesuffix(".tsv")
    nesting = [p for p in problems if p.article_id is not None]
    assert [(p.code, p.line, p.article_id, p.field, p.severity) for p in nesting] == [
        (Code.GERMEVAL_NESTING, line, f"{stem}-{number:05d}", "inner tag", "warning") for line, number, _ in inner
    ]
    # Each warning names the inner span and the outer span it runs past.
    assert [p.message.split("; ")[0] for p in nesting] == [
        f"sentence {stem}-{number:05d}: {message}" for _, number, message in inner
    ]
    assert_lossless(corpus, raw, articles, data)


def test_a_quirk_on_several_lines_is_one_warning_that_counts_them(tmp_path: Path) -> None:
    data = (QUIRKS / "extra-empty-column.tsv").read_bytes()
    problems = import_and_parse(tmp_path, data, "x.tsv")[3]
    (warning,) = problems
    assert (warning.code, warning.line, warning.severity) == (Code.GERMEVAL_EXTRA_COLUMNS, 15, "warning")
    assert warning.message.startswith("has extra, empty columns (1 more line too); GermEval 2014 has 4")


EDITED = {
    "CRLF line ends": (lambda data: data.replace(b"\n", b"\r\n"), {"crlf": 1}),
    "CRLF on some lines": (lambda data: data.replace(b"O\n\n#", b"O\r\n\r\n#"), {"crlf": 10}),
    "a byte order mark": (lambda data: b"\xef\xbb\xbf" + data, {"bom": 1}),
    "no line end on the last line": (lambda data: data.removesuffix(b"\n"), {}),
    "blank lines around the sentences": (lambda data: b"\n" + data.replace(b"\n\n", b"\n\n\n\n") + b"\n\n", {}),
}


@pytest.mark.parametrize("case", EDITED)
def test_a_file_an_editor_touched_imports_and_exports_byte_for_byte(tmp_path: Path, case: str) -> None:
    edit, layout = EDITED[case]
    data = edit((QUIRKS / "inner-outside-outer.tsv").read_bytes())
    corpus, raw, articles, problems = import_and_parse(tmp_path, data, "x.tsv")
    assert [p for p in problems if p.severity == "error"] == []
    assert layout_warnings(problems) == layout
    assert len([p for p in problems if p.field == "inner tag"]) == len(INNER_WARNINGS)
    first_sentence = re.split(rb"\r?\n\r?\n", data.removeprefix(b"\xef\xbb\xbf").lstrip(b"\n"))[0]
    assert articles[0].raw_sha256 == hashlib.sha256(first_sentence).hexdigest()  # as written, CRs included
    assert_lossless(corpus, raw, articles, data)


def test_the_dataset_table_credits_each_import_in_its_sidecar_and_names_its_files(tmp_path: Path) -> None:
    from newscorpus.ingest.importers import DATASETS, import_path, sidecar_text

    assert set(DATASETS) == {"germeval2014", "10kgnad"}
    assert sidecar_text("10kgnad", "test.csv", "ab12", "test") == (
        "# Ten Thousand German News Articles Dataset (10kGNAD): DER STANDARD articles, 9 topics.\n"
        "# Block (2019), 10kGNAD, derived from the One Million Posts Corpus (Schabus et al. 2017). Licence "
        "CC BY-NC-SA 4.0: redistributable non-commercially, with attribution, under the same licence.\n"
        '# Imported with `newscorpus import 10kgnad` from "test.csv" (sha256 ab12).\n'
        "# The raw file beside this sidecar is that file, byte for byte: never edit it.\n"
        "format: 10kgnad\nsplit: test\nlicense: CC-BY-NC-SA-4.0\nredistributable: true\n"
    )
    assert sidecar_text("germeval2014", "NER-de-dev.tsv", "cd34", None).splitlines()[:2] == [
        "# GermEval 2014 NER shared task: NoSta-D named entities, two levels (outer, inner).",
        '# Benikova, Biemann, Reznicek (2014), "NoSta-D Named Entity Annotation for German". Licence '
        "CC BY 4.0: redistributable with attribution.",
    ]
    assert "license: CC-BY-4.0\n" in sidecar_text("germeval2014", "NER-de-dev.tsv", "cd34", None)
    assert import_path(tmp_path, "10kgnad", Path("test.csv")).name == "10kgnad-test.csv"
    assert import_path(tmp_path, "germeval2014", Path("NER-de-dev.tsv")).name == "NER-de-dev.tsv"
    one_split = tmp_path / "NER-de-train.tsv"
    one_split.write_text("1\tWort\tO\tO\n\n", encoding="utf-8")
    with pytest.raises(UsageError, match="--split"):
        import_file(new_corpus(tmp_path), "germeval2014", one_split, None)
