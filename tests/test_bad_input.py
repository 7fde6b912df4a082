"""Bad raw input: every fixture in tests/fixtures/bad/ is cleaned into a record or rejected with its reason."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path
from types import ModuleType

import pytest
from conftest import FIXTURES, REPO, SEED_NAME
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from strategies import LINE_BREAKS, SPACES

from newscorpus.core.codes import Code
from newscorpus.core.errors import InvalidInput
from newscorpus.core.report import Problem
from newscorpus.ingest.candidates import text_key
from newscorpus.ingest.corpus import iter_corpus, validate
from newscorpus.ingest.importers import import_file
from newscorpus.ingest.listing import raw_files
from newscorpus.ingest.make import make_article
from newscorpus.ingest.parsers import MAX_FILE_BYTES, parse_file
from newscorpus.model.article import MAX_TEXT_CHARS, Article
from newscorpus.release.build import build

BAD = FIXTURES / "bad"
REPO_RAW = REPO / "corpus" / "raw"
NOT_FIXTURES = {"README.md", "make_fixtures.py"}


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_fixtures", BAD / "make_fixtures.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gen = _load_generator()

# file -> (line, code of the problem): the whole file is rejected with one error.
REJECTED: dict[str, tuple[int | None, Code]] = {
    "empty.txt": (None, Code.RAW_EMPTY),
    "whitespace-only.txt": (None, Code.RAW_EMPTY),
    "binary.txt": (None, Code.RAW_NUL_BYTES),
    "nul-bytes.txt": (None, Code.RAW_NUL_BYTES),
    "truncated.json": (None, Code.JSON_MALFORMED),
    "no-header.txt": (1, Code.PAGECOPY_NO_HEADER),
    "mojibake.txt": (None, Code.RAW_MOJIBAKE),
}
# file -> (generator's source text, encoding it must be read as, words that must come out exactly)
CLEANED: dict[str, tuple[str, set[str], list[str]]] = {
    "bom.txt": (gen.BOM_TEXT, {"utf-8-sig"}, ["München", "Maß", "Gäste", "„Die Maß war so gefragt wie nie“"]),
    "crlf.txt": (gen.CRLF_TEXT, {"utf-8"}, ["Straßen", "überflutet", "Störungen", "Einsätzen"]),
    "nfd.txt": (gen.NFD_TEXT, {"utf-8"}, ["Köln", "Düsseldorf", "Fahrgäste", "Übergang", "Kölner Straße"]),
    # Latin-1 bytes without 0x80-0x9F decode identically as cp1252 or Latin-9; any of them is right.
    "latin1.txt": (gen.LATIN1_TEXT, {"cp1252", "latin_1", "iso8859_15"}, ["Würzburg", "Sanderstraße", "Büros"]),
    "cp1252.txt": (gen.CP1252_TEXT, {"cp1252"}, ["Düsseldorfer", "„sozialer Kälte“", "entbrannt – die", "Gemüse"]),
}
JSONL = "one-bad-line.jsonl"
DUPLICATE = "duplicate-of-seed"


def fixture_files() -> list[str]:
    """Every raw fixture file (sidecars excluded)."""
    return sorted(p.name for p in BAD.iterdir() if p.name not in NOT_FIXTURES and not p.name.endswith(".meta.yaml"))


def add(corpus: Path, *names: str) -> None:
    """Copy fixtures, with their sidecars, into the corpus's raw/."""
    for name in names:
        shutil.copy(BAD / name, corpus / "raw" / name)
        sidecar = BAD / (name.rsplit(".", 1)[0] + ".meta.yaml")
        if sidecar.is_file():
            shutil.copy(sidecar, corpus / "raw" / sidecar.name)


def results(corpus: Path) -> tuple[list[Article], list[Problem]]:
    articles: list[Article] = []
    problems: list[Problem] = []
    for result in iter_corpus(corpus):
        (problems if isinstance(result, Problem) else articles).append(result)  # type: ignore[arg-type]
    return articles, problems


@pytest.fixture
def empty_corpus(tmp_path: Path) -> Path:
    root = tmp_path / "empty-corpus"
    (root / "raw").mkdir(parents=True)
    return root


# --- the fixture folder itself -------------------------------------------------------------------


def test_every_fixture_is_covered_by_an_expected_outcome() -> None:
    expected = set(REJECTED) | set(CLEANED) | {JSONL, f"{DUPLICATE}.txt"}
    assert set(fixture_files()) == expected


def test_generator_reproduces_the_committed_fixtures(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(BAD / "make_fixtures.py"), str(tmp_path)], check=True)
    generated = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    committed = {p.name: p.read_bytes() for p in BAD.iterdir() if p.name not in NOT_FIXTURES}
    assert generated.keys() == committed.keys()
    for name, data in generated.items():
        assert committed[name] == data, f"{name} differs from what make_fixtures.py writes; rerun it"


def test_fixtures_hold_the_bytes_they_claim() -> None:
    assert (BAD / "empty.txt").stat().st_size == 0
    assert not (BAD / "whitespace-only.txt").read_bytes().strip()
    assert b"\0" in (BAD / "binary.txt").read_bytes()
    assert (BAD / "binary.txt").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert (BAD / "nul-bytes.txt").read_bytes().count(b"\0") == 1
    assert (BAD / "bom.txt").read_bytes().startswith(b"\xef\xbb\xbf")
    crlf = (BAD / "crlf.txt").read_bytes()
    assert b"\r\n" in crlf
    assert b"\n" not in crlf.replace(b"\r\n", b"")
    nfd = (BAD / "nfd.txt").read_text(encoding="utf-8")
    assert "o\u0308" in nfd
    assert "ö" not in nfd
    for name in ("latin1.txt", "cp1252.txt"):
        with pytest.raises(UnicodeDecodeError):
            (BAD / name).read_bytes().decode("utf-8")
    assert b"\xfc" in (BAD / "latin1.txt").read_bytes()  # ü in Latin-1
    assert all(c in (BAD / "cp1252.txt").read_bytes() for c in (b"\x84", b"\x93", b"\x96"))  # „ “ –
    assert "MÃ¼nchen" in (BAD / "mojibake.txt").read_text(encoding="utf-8")
    assert (BAD / f"{DUPLICATE}.txt").read_bytes() == (REPO_RAW / f"{SEED_NAME}.txt").read_bytes()


# --- one fixture at a time, next to the seed ------------------------------------------------------


@pytest.mark.parametrize("name", sorted(REJECTED))
def test_rejected_fixture_is_reported_specifically(corpus: Path, name: str) -> None:
    add(corpus, name)
    report = validate(corpus)
    line, code = REJECTED[name]
    assert report.articles_valid == 1  # the seed, untouched by the bad file beside it
    assert len(report.problems) == 1
    problem = report.problems[0]
    assert problem.file == f"raw/{name}"
    assert problem.line == line
    assert problem.severity == "error"
    assert problem.code is code
    assert not report.valid


def test_nul_byte_message_gives_its_byte_offset(corpus: Path) -> None:
    add(corpus, "nul-bytes.txt")
    offset = (BAD / "nul-bytes.txt").read_bytes().index(b"\0")
    [problem] = validate(corpus).problems
    assert f"NUL byte at byte {offset}" in problem.message


def test_binary_file_is_called_binary(corpus: Path) -> None:
    add(corpus, "binary.txt")
    [problem] = validate(corpus).problems
    assert problem.code is Code.RAW_NUL_BYTES
    assert "binary" in problem.message


@pytest.mark.parametrize("name", sorted(CLEANED))
def test_cleaned_fixture_becomes_a_clean_record(corpus: Path, name: str) -> None:
    add(corpus, name)
    report = validate(corpus)
    assert report.problems == []
    assert report.articles_valid == 2
    [article] = [a for a in iter_corpus(corpus) if isinstance(a, Article) and a.raw_file == f"raw/{name}"]
    _, encodings, words = CLEANED[name]
    assert unicodedata.is_normalized("NFC", article.text)
    assert "\r" not in article.text
    assert "\ufeff" not in article.text
    assert "Ã" not in article.text
    assert "Ã" not in article.model_dump_json()
    for word in words:
        assert word in article.text
    assert article.raw_encoding in encodings
    raw = (BAD / name).read_bytes()
    assert article.raw_sha256 == hashlib.sha256(raw).hexdigest()
    assert article.text_sha256 == hashlib.sha256(article.text.encode("utf-8")).hexdigest()


@pytest.mark.parametrize("name", sorted(CLEANED))
def test_cleaned_fixture_equals_the_clean_original(tmp_path: Path, name: str) -> None:
    """Decoding, newline and NFC repairs change nothing else: the record is that of a clean UTF-8 copy."""
    source, _, _ = CLEANED[name]
    (tmp_path / "clean").mkdir()
    clean = tmp_path / "clean" / name
    clean.write_bytes(unicodedata.normalize("NFC", source).encode("utf-8"))
    [expected] = parse_file(clean, f"raw/{name}")
    [actual] = parse_file(BAD / name, f"raw/{name}")
    assert isinstance(expected, Article)
    assert isinstance(actual, Article)
    assert actual.text == expected.text
    assert actual.blocks == expected.blocks
    assert actual.text_sha256 == expected.text_sha256
    assert actual.raw_sha256 != expected.raw_sha256
    assert actual.model_dump(exclude={"raw_encoding", "raw_sha256"}) == expected.model_dump(
        exclude={"raw_encoding", "raw_sha256"}
    )


def test_cleaned_fixture_keeps_its_layout() -> None:
    [article] = parse_file(BAD / "crlf.txt", "raw/crlf.txt")
    assert isinstance(article, Article)
    assert article.kicker == "Unwetter in Bayern"
    assert article.headline == "Starkregen überflutet Straßen in Augsburg"
    assert article.agency == "dpa"
    assert article.reading_time_minutes == 2
    assert [b.kind for b in article.blocks].count("subheading") == 1
    assert article.block_text("subheading") == "Bahnverkehr eingeschränkt"


def test_jsonl_keeps_good_lines_and_rejects_the_bad_one_by_number(corpus: Path) -> None:
    add(corpus, JSONL)
    articles, problems = results(corpus)
    from_jsonl = [a for a in articles if a.raw_file == f"raw/{JSONL}"]
    assert [a.raw_line for a in from_jsonl] == [1, 3]
    assert [a.headline for a in from_jsonl] == [gen.GOOD_LINE_1["headline"], gen.GOOD_LINE_3["headline"]]
    assert from_jsonl[0].url == gen.GOOD_LINE_1["url"]
    assert from_jsonl[0].id != from_jsonl[1].id
    lines = (BAD / JSONL).read_bytes().split(b"\n")
    for article in from_jsonl:
        assert article.raw_sha256 == hashlib.sha256(lines[article.raw_line - 1]).hexdigest()  # type: ignore[operator]
    [problem] = problems
    assert problem.file == f"raw/{JSONL}"
    assert problem.line == 2
    assert problem.code is Code.JSON_MALFORMED
    assert problem.severity == "error"


def test_duplicate_of_seed_has_the_seeds_text_hash() -> None:
    [seed] = parse_file(REPO_RAW / f"{SEED_NAME}.txt", f"raw/{SEED_NAME}.txt")
    [copy] = parse_file(BAD / f"{DUPLICATE}.txt", f"raw/{DUPLICATE}.txt")
    assert isinstance(seed, Article)
    assert isinstance(copy, Article)
    assert copy.text == seed.text
    assert copy.text_sha256 == seed.text_sha256 == hashlib.sha256(seed.text.encode("utf-8")).hexdigest()
    assert copy.kicker == seed.kicker == "Beratungen in Paris"  # the copied sidecar split it the same way
    assert copy.id != seed.id


def test_duplicate_of_seed_is_reported_and_one_copy_kept(corpus: Path) -> None:
    add(corpus, f"{DUPLICATE}.txt")
    first, second = (f"raw/{p.name}" for p in raw_files(corpus))  # reading order decides which copy stays
    articles, problems = results(corpus)
    assert [a.raw_file for a in articles] == [first]
    [problem] = problems
    assert problem.file == second
    assert problem.severity == "warning"
    assert problem.code is Code.DUPLICATE_EXACT
    assert first in problem.message  # names the copy that is kept
    assert validate(corpus).valid  # a duplicate is a warning, not an error


def seed_article(corpus: Path) -> Article:
    [seed] = [a for a in iter_corpus(corpus) if isinstance(a, Article)]
    return seed


@pytest.mark.parametrize("copy", ["aa-copy", "zz-copy"])
def test_a_byte_copy_without_the_sidecar_is_a_duplicate_whichever_comes_first(corpus: Path, copy: str) -> None:
    seed = seed_article(corpus)
    shutil.copy(REPO_RAW / f"{SEED_NAME}.txt", corpus / "raw" / f"{copy}.txt")
    [alone] = parse_file(corpus / "raw" / f"{copy}.txt", f"raw/{copy}.txt")
    assert alone.text_sha256 != seed.text_sha256  # without the sidecar, no kicker of its own: another text
    first, second = (f"raw/{p.name}" for p in raw_files(corpus))
    articles, problems = results(corpus)
    assert [a.raw_file for a in articles] == [first]  # the first in reading order, sidecar or not
    [problem] = problems
    assert (problem.file, problem.severity, problem.code) == (second, "warning", Code.DUPLICATE_EXACT)
    assert first in problem.message


def test_a_byte_copy_with_the_same_id_is_a_duplicate_not_an_id_clash(corpus: Path) -> None:
    record = json.dumps({"id": "haushalt", "headline": "Stadtrat streitet", "body": "Über den Haushalt."})
    for name in ("a.json", "b.json"):
        (corpus / "raw" / name).write_text(record, encoding="utf-8")
    articles, problems = results(corpus)
    assert [a.raw_file for a in articles] == ["raw/a.json", f"raw/{SEED_NAME}.txt"]
    [problem] = problems
    assert (problem.file, problem.severity, problem.code) == ("raw/b.json", "warning", Code.DUPLICATE_EXACT)
    assert "raw/a.json" in problem.message


def test_a_copy_with_other_whitespace_is_a_duplicate(corpus: Path) -> None:
    seed = seed_article(corpus)
    # Blocks run together, lines wrapped, spaces doubled, one a no-break space: the same words.
    respaced = seed.text.replace("\n\n", "\n").replace(" ", "  ").replace("  ", "\u00a0", 1)
    (corpus / "raw" / "zz-respaced.json").write_text(json.dumps({"id": "respaced", "body": respaced}), "utf-8")
    articles, problems = results(corpus)
    assert [a.id for a in articles] == [seed.id]
    [problem] = problems
    assert (problem.file, problem.severity, problem.article_id) == ("raw/zz-respaced.json", "warning", "respaced")
    assert problem.code is Code.DUPLICATE_TEXT
    assert f"raw/{SEED_NAME}.txt" in problem.message


@pytest.mark.parametrize(
    ("old", "new"),
    [("Paris", "Pariser"), ("Sicherheitsgarantien", "Sicherheits garantien"), ("USA", "usa")],
)
def test_a_text_that_differs_by_more_than_whitespace_is_kept(corpus: Path, old: str, new: str) -> None:
    edited = seed_article(corpus).text.replace(old, new, 1)
    (corpus / "raw" / "zz-edited.json").write_text(json.dumps({"id": "edited", "body": edited}), "utf-8")
    articles, problems = results(corpus)
    assert problems == []
    assert len(articles) == 2


def test_imported_records_may_repeat_a_text_but_a_raw_copy_of_one_is_a_duplicate(corpus: Path, tmp_path: Path) -> None:
    sentence = "#\thttp://a.de/1\t[2010-01-01]\t\n1\tIn\tO\tO\n2\tBerlin\tB-LOC\tO\n3\t.\tO\tO\n"
    source = tmp_path / "twice.tsv"
    source.write_text(f"{sentence}\n{sentence}", encoding="utf-8")  # the same sentence twice, byte for byte
    import_file(corpus, "germeval2014", source, "validation")
    (corpus / "raw" / "kopie.json").write_text(json.dumps({"id": "kopie", "body": "In  Berlin ."}), "utf-8")
    articles, problems = results(corpus)
    imported = [a for a in articles if a.raw_file.startswith("raw/imports/")]
    assert [a.text for a in imported] == ["In Berlin .", "In Berlin ."]  # public corpora repeat texts on purpose
    assert imported[0].raw_sha256 == imported[1].raw_sha256
    [problem] = problems
    assert (problem.file, problem.code) == ("raw/kopie.json", Code.DUPLICATE_TEXT)
    assert f"{imported[0].raw_file}:1" in problem.message


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.text(st.characters(blacklist_categories=["Cs", "Zs", "Zl", "Zp", "Cc"]), min_size=1), max_size=8),
    st.data(),
)
def test_text_key_is_equal_exactly_when_the_words_are(words: list[str], data: st.DataObject) -> None:
    """Any whitespace between and around the same words gives the same key; other words give another."""
    assume(all(not any(c.isspace() for c in word) for word in words))
    gaps = st.lists(st.sampled_from([*SPACES, *LINE_BREAKS, "\n\n"]), min_size=1, max_size=3).map("".join)
    spaced = data.draw(st.sampled_from(["", " ", "\n"])) + "".join(w + data.draw(gaps) for w in words)
    assert text_key(spaced) == text_key(" ".join(words))
    other = data.draw(st.lists(st.text(min_size=1, max_size=5), max_size=8))
    assert (text_key(" ".join(other)) == text_key(" ".join(words))) == (" ".join(other).split() == words)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from([*SPACES, *LINE_BREAKS, "\t", "a", "ß", "ü", "„", "😀", "\u0308"]), max_size=40).map(
        "".join
    )
)
def test_text_key_counts_the_words_split_counts(text: str) -> None:
    """A release counts an article's words as ``str.split`` does: the key's one split counts them."""
    assert text_key(text).words == len(text.split())


# --- the file-size limit --------------------------------------------------------------------------


def big_page_copy(size: int) -> bytes:
    """Return a UTF-8 page copy of exactly ``size`` bytes."""
    head = (
        "Haushalt\nStadtrat in München streitet über Straßenbau\n\n"
        "Von dpa Aktualisiert am 04.09.2025 - 14:07 Uhr Lesedauer: 2 Min.\n\n"
    ).encode()
    paragraph = ("Der Stadtrat prüft die Größe der Straßen, Plätze und Brücken im Süden der Stadt. " * 8).encode()
    data = head + b"\n\n".join([paragraph] * ((size - len(head)) // (len(paragraph) + 2)))
    return data + b"x" * (size - len(data))


def test_big_file_size_helper_is_exact() -> None:
    assert len(big_page_copy(123_457)) == 123_457


def test_five_mb_article_is_rejected_by_the_documented_limit(empty_corpus: Path) -> None:
    """The documented limit (MAX_FILE_BYTES, 2 MiB) rejects a 5 MB article with its size, and loses nothing."""
    assert MAX_FILE_BYTES < 5 * 1024 * 1024
    path = empty_corpus / "raw" / "big.txt"
    path.write_bytes(big_page_copy(5 * 1024 * 1024))
    [problem] = parse_file(path, "raw/big.txt")
    assert isinstance(problem, Problem)
    assert (problem.file, problem.code) == ("raw/big.txt", Code.RAW_TOO_BIG)
    assert f"{5 * 1024 * 1024:,} bytes, over the limit of {MAX_FILE_BYTES:,}" in problem.message


def test_file_limit_binds_before_the_text_limit() -> None:
    """A character takes at least one byte, so no file under the limit can exceed the text limit."""
    assert MAX_FILE_BYTES <= MAX_TEXT_CHARS


def test_article_at_the_file_limit_parses(empty_corpus: Path) -> None:
    path = empty_corpus / "raw" / "long.txt"
    path.write_bytes(big_page_copy(MAX_FILE_BYTES))
    [article] = parse_file(path, "raw/long.txt")
    assert isinstance(article, Article)
    assert article.headline == "Stadtrat in München streitet über Straßenbau"


def test_text_over_the_limit_is_rejected_by_the_model() -> None:
    parts = [("headline", "Zu lang"), ("paragraph", "x" * MAX_TEXT_CHARS)]
    [problem] = make_article(
        parts=parts, metadata={}, raw_file="raw/x.json", raw_sha256="0" * 64, encoding="utf-8", fallback_id="x"
    )
    assert (problem.field, problem.code) == ("text", Code.FIELD_INVALID)
    assert f"{MAX_TEXT_CHARS}" in problem.message


def test_file_over_the_limit_is_rejected_with_its_size(empty_corpus: Path) -> None:
    path = empty_corpus / "raw" / "huge.txt"
    path.write_bytes(big_page_copy(MAX_FILE_BYTES + 1))
    [problem] = parse_file(path, "raw/huge.txt")
    assert isinstance(problem, Problem)
    assert (problem.file, problem.code) == ("raw/huge.txt", Code.RAW_TOO_BIG)
    assert f"{MAX_FILE_BYTES + 1:,}" in problem.message
    assert f"{MAX_FILE_BYTES:,}" in problem.message


def test_json_file_over_the_limit_is_rejected_with_its_size(empty_corpus: Path) -> None:
    path = empty_corpus / "raw" / "huge.json"
    body = "Der Stadtrat prüft die Größe der Straßen. " * (MAX_FILE_BYTES // 40)
    path.write_text(json.dumps({"id": "huge", "headline": "Zu groß", "body": body}), encoding="utf-8")
    size = path.stat().st_size
    assert size > MAX_FILE_BYTES
    [problem] = parse_file(path, "raw/huge.json")
    assert isinstance(problem, Problem)
    assert problem.code is Code.RAW_TOO_BIG
    assert f"{size:,}" in problem.message


def test_file_at_the_limit_is_not_refused_for_its_size(empty_corpus: Path) -> None:
    path = empty_corpus / "raw" / "edge.txt"
    path.write_bytes(big_page_copy(MAX_FILE_BYTES))
    assert not any(isinstance(r, Problem) and r.code is Code.RAW_TOO_BIG for r in parse_file(path, "raw/edge.txt"))


# --- all fixtures in one corpus -------------------------------------------------------------------


def expected_rejections() -> dict[tuple[str, int | None], Code]:
    """(file, line) -> code, for every error the fixtures must produce together."""
    errors = {(f"raw/{name}", line): code for name, (line, code) in REJECTED.items()}
    errors[(f"raw/{JSONL}", 2)] = Code.JSON_MALFORMED
    return errors


@pytest.fixture
def full_corpus(corpus: Path) -> Path:
    add(corpus, *fixture_files())
    return corpus


def test_all_fixtures_at_once_lose_nothing(full_corpus: Path) -> None:
    articles, problems = results(full_corpus)
    seen = {a.raw_file for a in articles} | {p.file for p in problems}
    assert seen == {f"raw/{p.name}" for p in raw_files(full_corpus)}
    assert {f"raw/{name}" for name in fixture_files()} | {f"raw/{SEED_NAME}.txt"} == seen

    errors = {(p.file, p.line): p.code for p in problems if p.severity == "error"}
    assert errors == expected_rejections()

    kept = sorted((a.raw_file, a.raw_line) for a in articles)
    duplicate_pair = sorted([f"raw/{DUPLICATE}.txt", f"raw/{SEED_NAME}.txt"])
    assert kept == sorted(
        [(f"raw/{name}", None) for name in CLEANED]
        + [(f"raw/{JSONL}", 1), (f"raw/{JSONL}", 3)]
        + [(duplicate_pair[0], None)]  # the first in reading order is kept...
    )
    [warning] = [p for p in problems if p.severity == "warning"]
    assert warning.file == duplicate_pair[1]  # ...and the other reported
    assert warning.code is Code.DUPLICATE_EXACT


def test_validate_counts_every_outcome(full_corpus: Path) -> None:
    report = validate(full_corpus)
    assert report.articles_valid == len(CLEANED) + 2 + 1
    assert len(report.errors) == len(expected_rejections())
    assert len(report.problems) == len(expected_rejections()) + 1
    assert not report.valid


def test_cli_validate_reports_each_fixture(full_corpus: Path) -> None:
    env = {**os.environ, "COLUMNS": "400", "NO_COLOR": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "newscorpus", "validate", "--json", "--corpus", str(full_corpus)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    errors = {(p["file"], p["line"]): p["code"] for p in report["problems"] if p["severity"] == "error"}
    assert errors == {where: code.value for where, code in expected_rejections().items()}


def test_build_skip_invalid_lists_every_rejected_file(full_corpus: Path) -> None:
    result = build(full_corpus, "0.1.0", skip_invalid=True)
    manifest = result.manifest
    assert result.status == "built"
    rejected = {(p.file, p.line): p for p in manifest.rejected}
    for where, code in expected_rejections().items():
        assert where in rejected, where
        assert rejected[where].code is code
        assert rejected[where].severity == "error"
    assert len([p for p in manifest.rejected if p.severity == "error"]) == len(expected_rejections())
    assert manifest.statistics.articles == len(CLEANED) + 2 + 1
    assert sum(manifest.splits["documents"].values()) == manifest.statistics.articles
    warning_files = {p.file for p in manifest.rejected if p.severity == "warning"}
    assert warning_files <= {f"raw/{DUPLICATE}.txt", f"raw/{SEED_NAME}.txt"}
    assert len(warning_files) == 1


def test_build_without_skip_invalid_refuses_and_reports_all(full_corpus: Path) -> None:
    with pytest.raises(InvalidInput) as caught:
        build(full_corpus, "0.1.0")
    errors = {(p.file, p.line): p.code for p in caught.value.report.errors}
    assert errors == expected_rejections()
    assert str(len(expected_rejections())) in str(caught.value)
    assert not (full_corpus / "releases" / "0.1.0").exists()


def test_two_files_whose_names_differ_only_in_composition_are_told_so(corpus: Path) -> None:
    """macOS writes names in NFD: beside the NFC name of another file they look alike, and give one id."""
    record = {"headline": "Ärger über Größe", "body": "Ein Text über Köln."}
    composed = "Ärger über Größe.json"
    (corpus / "raw" / composed).write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    (corpus / "raw" / unicodedata.normalize("NFD", composed)).write_text(
        json.dumps({**record, "body": "Ein anderer Text über Bonn."}, ensure_ascii=False), encoding="utf-8"
    )
    third = {**record, "body": "Ein dritter Text über Bonn.", "id": "aerger-ueber-groesse"}
    (corpus / "raw" / "zwei.json").write_text(json.dumps(third), encoding="utf-8")
    problems = {p.file: p for p in iter_corpus(corpus) if isinstance(p, Problem)}  # read in path order: NFD first
    assert {f: p.code for f, p in problems.items()} == {
        f"raw/{composed}": Code.ID_DUPLICATE,
        "raw/zwei.json": Code.ID_DUPLICATE,
    }
    assert "differ in how their letters are composed (one NFC, one NFD" in problems[f"raw/{composed}"].message
    assert "composed" not in problems["raw/zwei.json"].message  # names apart in letters too: nothing to tell


def test_a_file_of_another_format_is_told_what_to_make_of_it(corpus: Path) -> None:
    """A page saved as HTML, a feed, an image: each refused with the formats read, and for a page or a feed the way."""
    (corpus / "raw" / "seite.html").write_text("<html><body><h1>Titel</h1></body></html>", encoding="utf-8")
    (corpus / "raw" / "feed.xml").write_text("<rss><channel/></rss>", encoding="utf-8")
    (corpus / "raw" / "bild.png").write_bytes(b"\x89PNG\r\n")
    problems = {p.file: p for p in validate(corpus).problems}
    for name in ("raw/seite.html", "raw/feed.xml", "raw/bild.png"):
        assert problems[name].code is Code.RAW_UNSUPPORTED_FORMAT
        assert (
            ".txt, .json, .jsonl, .ndjson (JSON and JSON Lines also compressed: .gz, .bz2, .zst)"
            in problems[name].message
        )
    assert "Try saving the article's text as a page copy (.txt" in problems["raw/seite.html"].message
    assert "Try converting its items to JSON Lines" in problems["raw/feed.xml"].message
    assert "Try" not in problems["raw/bild.png"].message
