"""The page-copy parser: the seed article exactly, then the layout heuristics on edited copies of it."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
from pathlib import Path

import pytest
from conftest import SEED_NAME

from newscorpus.core.codes import Code
from newscorpus.core.report import Problem
from newscorpus.ingest.ids import assign_split, id_from_filename
from newscorpus.ingest.make import DEFAULTS
from newscorpus.ingest.parsers import parse_file
from newscorpus.model.article import Annotation, Article

CEST = dt.timezone(dt.timedelta(hours=2))
SEED_UPDATED = dt.datetime(2025, 9, 4, 14, 7, tzinfo=CEST)
KICKER = "Beratungen in Paris"
HEADLINE = "Koalition der Willigen ringt um Militärhilfe für Ukraine"
DATE_LINE = "Von dpa Aktualisiert am 04.09.2025 - 14:07 Uhr Lesedauer: 4 Min."
CAPTION = "Die Unterstützung durch die USA ist Voraussetzung für alle Sicherheitsgarantien für die Ukraine."
CREDIT = "Ludovic Marin/Pool AFP/AP/dpa/dpa-bilder"
CAPTION_BLOCK = f"{CAPTION} (Quelle: {CREDIT})"
SUBHEADINGS = ["Macron: Konzept für Sicherheitsgarantien steht", "Zusagen aus Washington lassen auf sich warten"]
SEED_KINDS = [
    "kicker",
    "headline",
    "lead",
    "caption",
    "credit",
    "paragraph",
    "paragraph",
    "subheading",
    "paragraph",
    "paragraph",
    "subheading",
    "paragraph",
]


@pytest.fixture
def seed_text(seed_raw: Path) -> str:
    return seed_raw.read_text(encoding="utf-8")


@pytest.fixture
def seed_sidecar(seed_raw: Path) -> str:
    return seed_raw.with_name(f"{SEED_NAME}.meta.yaml").read_text(encoding="utf-8")


def edit(text: str, old: str, new: str) -> str:
    """Replace ``old`` (which must be there, once) by ``new``."""
    assert text.count(old) == 1, f"{old!r} is not in the seed exactly once"
    return text.replace(old, new)


def parse(tmp_path: Path, text: str, sidecar: str | None = None, name: str = SEED_NAME) -> list[Article | Problem]:
    raw = tmp_path / "raw"
    raw.mkdir(exist_ok=True)
    (raw / f"{name}.txt").write_text(text, encoding="utf-8")
    if sidecar is not None:
        (raw / f"{name}.meta.yaml").write_text(sidecar, encoding="utf-8")
    return list(parse_file(raw / f"{name}.txt", f"raw/{name}.txt"))


def parse_article(tmp_path: Path, text: str, sidecar: str | None = None) -> Article:
    results = parse(tmp_path, text, sidecar)
    assert len(results) == 1, results
    assert isinstance(results[0], Article), results
    return results[0]


def parse_problems(tmp_path: Path, text: str, sidecar: str | None = None) -> list[Problem]:
    results = parse(tmp_path, text, sidecar)
    assert results
    assert all(isinstance(r, Problem) for r in results), results
    return results  # type: ignore[return-value]


def texts_of(article: Article, kind: str) -> list[str]:
    return [article.text[b.start : b.end] for b in article.blocks if b.kind == kind]


def raw_blocks(text: str) -> list[str]:
    return [b.strip() for b in text.split("\n\n") if b.strip()]


@pytest.fixture
def seed(seed_raw: Path) -> Article:
    [article] = parse_file(seed_raw, f"raw/{SEED_NAME}.txt")
    assert isinstance(article, Article)
    return article


# --- the seed, exactly ------------------------------------------------------------------------------


def test_seed_title(seed: Article) -> None:
    assert seed.kicker == KICKER
    assert seed.headline == HEADLINE


def test_seed_byline_and_date(seed: Article) -> None:
    assert seed.agency == "dpa"
    assert seed.authors == []
    assert seed.updated_at == SEED_UPDATED
    assert seed.updated_at.utcoffset() == dt.timedelta(hours=2)  # type: ignore[union-attr]
    assert seed.published_at is None
    assert seed.reading_time_minutes == 4


def test_seed_caption_and_credit(seed: Article) -> None:
    assert texts_of(seed, "caption") == [CAPTION]
    assert texts_of(seed, "credit") == [CREDIT]


def test_seed_lead_subheadings_and_paragraphs(seed: Article) -> None:
    assert seed.lead is not None
    assert seed.lead.startswith("Wie weit will Europa")
    assert seed.lead.endswith("Aber inwiefern sind die USA überhaupt mit im Boot?")
    assert texts_of(seed, "subheading") == SUBHEADINGS
    assert len(texts_of(seed, "paragraph")) == 5
    assert [b.kind for b in seed.blocks] == SEED_KINDS


def test_seed_blocks_are_the_raw_blocks(seed: Article, seed_text: str) -> None:
    """Every raw block after the date line reappears verbatim as a block (the caption split in two)."""
    raw = raw_blocks(seed_text)
    assert raw[0] == f"{KICKER} {HEADLINE}"
    assert raw[1] == DATE_LINE
    assert raw[2] == CAPTION_BLOCK
    body = [b for b in seed.blocks if b.kind in ("lead", "paragraph", "subheading")]
    assert [seed.text[b.start : b.end] for b in body] == raw[3:]


def test_seed_offsets_and_separators(seed: Article) -> None:
    blocks = seed.blocks
    assert blocks[0].start == 0
    assert blocks[-1].end == len(seed.text)
    for before, after in itertools.pairwise(blocks):
        assert seed.text[before.end : after.start] == "\n\n"
    assert "\n\n".join(seed.text[b.start : b.end] for b in blocks) == seed.text
    for block in blocks:
        piece = seed.text[block.start : block.end]
        assert piece == piece.strip()
        assert "\n\n" not in piece


def test_seed_record_fields(seed: Article, seed_raw: Path) -> None:
    assert seed.id == id_from_filename(SEED_NAME) == SEED_NAME
    assert seed.split == assign_split(seed.id)
    assert seed.source == "t-online"
    assert seed.license == "LicenseRef-dpa-research-use"
    assert seed.redistributable is False
    assert seed.language == "de"
    assert seed.raw_file == f"raw/{SEED_NAME}.txt"
    assert seed.raw_line is None
    assert seed.raw_encoding == "utf-8"
    assert seed.raw_sha256 == hashlib.sha256(seed_raw.read_bytes()).hexdigest()
    assert seed.text_sha256 == hashlib.sha256(seed.text.encode("utf-8")).hexdigest()
    assert seed.entities == []
    assert seed.annotation == Annotation()  # neither layer annotated
    assert (seed.annotation.entities.status, seed.annotation.topic.status) == ("none", "none")


# --- the byline/date line ---------------------------------------------------------------------------


def test_missing_byline(tmp_path: Path, seed_text: str, seed_sidecar: str) -> None:
    text = edit(seed_text, DATE_LINE, "Aktualisiert am 04.09.2025 - 14:07 Uhr Lesedauer: 4 Min.")
    article = parse_article(tmp_path, text, seed_sidecar)
    assert article.agency is None
    assert article.authors == []
    assert article.updated_at == SEED_UPDATED
    assert article.reading_time_minutes == 4
    assert article.headline == HEADLINE


@pytest.mark.parametrize(
    "date",
    ["4.9.2025, 14:07 Uhr", "04.09.2025 – 14:07 Uhr", "04.09.2025 14:07 Uhr", "4.9.2025 -14:07 Uhr"],
)
def test_other_date_styles(tmp_path: Path, seed_text: str, seed_sidecar: str, date: str) -> None:
    text = edit(seed_text, "04.09.2025 - 14:07 Uhr", date)
    article = parse_article(tmp_path, text, seed_sidecar)
    assert article.updated_at == SEED_UPDATED
    assert article.agency == "dpa"


@pytest.mark.parametrize("given", ["2025-09-04 12:07:00", "2025-09-04", "1756987620", "04.09.2025 14:07"])
def test_a_sidecar_date_in_another_form_is_refused_naming_the_form_it_takes(
    tmp_path: Path, seed_text: str, seed_sidecar: str, given: str
) -> None:
    """A sidecar is the user's own word, so its dates are strict; the error says what to write instead."""
    [problem] = parse_problems(tmp_path, seed_text, seed_sidecar + f"published_at: {given}\n")
    assert (problem.code, problem.field) == (Code.FIELD_INVALID, "published_at")
    assert problem.message.endswith("Try ISO 8601 with the UTC offset, such as 2025-09-04T14:07:00+02:00.")


def test_winter_time_is_cet(tmp_path: Path, seed_text: str, seed_sidecar: str) -> None:
    text = edit(seed_text, "04.09.2025 - 14:07 Uhr", "04.12.2025 - 14:07 Uhr")
    article = parse_article(tmp_path, text, seed_sidecar)
    assert article.updated_at == dt.datetime(2025, 12, 4, 13, 7, tzinfo=dt.UTC)


def test_veroeffentlicht_sets_published_at(tmp_path: Path, seed_text: str, seed_sidecar: str) -> None:
    text = edit(seed_text, "Aktualisiert am", "Veröffentlicht am")
    article = parse_article(tmp_path, text, seed_sidecar)
    assert article.published_at == SEED_UPDATED
    assert article.updated_at is None


def test_byline_with_authors_and_agency(tmp_path: Path, seed_text: str, seed_sidecar: str) -> None:
    text = edit(seed_text, "Von dpa ", "Von Anna Müller und Peter Schmidt, dpa ")
    article = parse_article(tmp_path, text, seed_sidecar)
    assert article.authors == ["Anna Müller", "Peter Schmidt"]
    assert article.agency == "dpa"


def test_byline_with_two_agencies(tmp_path: Path, seed_text: str, seed_sidecar: str) -> None:
    text = edit(seed_text, "Von dpa ", "Von dpa/AFP ")
    article = parse_article(tmp_path, text, seed_sidecar)
    assert article.agency == "dpa, AFP"
    assert article.authors == []


def test_byline_with_author_only(tmp_path: Path, seed_text: str, seed_sidecar: str) -> None:
    text = edit(seed_text, "Von dpa ", "Von Anna Müller ")
    article = parse_article(tmp_path, text, seed_sidecar)
    assert article.authors == ["Anna Müller"]
    assert article.agency is None


def test_no_reading_time(tmp_path: Path, seed_text: str, seed_sidecar: str) -> None:
    text = edit(seed_text, " Lesedauer: 4 Min.", "")
    article = parse_article(tmp_path, text, seed_sidecar)
    assert article.reading_time_minutes is None
    assert article.updated_at == SEED_UPDATED


@pytest.mark.parametrize(
    "line", ["Von dpa Aktualisiert am 04.09.2025 Lesedauer: 4 Min.", "Von dpa 04.09.2025", "04.09.2025"]
)
def test_a_date_without_a_time_is_midnight_and_warned(
    tmp_path: Path, seed_text: str, seed_sidecar: str, line: str
) -> None:
    """Older pages give the date alone: the article is read, at 00:00 Berlin time, and a warning says so."""
    article, warning = parse(tmp_path, edit(seed_text, DATE_LINE, line), seed_sidecar)
    assert isinstance(article, Article)
    assert isinstance(warning, Problem)
    dated = "updated_at" if "Aktualisiert" in line else "published_at"
    assert getattr(article, dated) == dt.datetime(2025, 9, 4, tzinfo=CEST)
    assert (warning.code, warning.severity, warning.line, warning.field) == (Code.DATE_NO_TIME, "warning", 3, dated)
    assert article.headline == HEADLINE  # the rest of the page reads as before


def test_a_line_with_a_time_is_the_date_line_before_a_date_alone(
    tmp_path: Path, seed_text: str, seed_sidecar: str
) -> None:
    """Only where no line gives a time is a date alone the date line: a page with both reads as before."""
    article = parse_article(tmp_path, edit(seed_text, DATE_LINE, f"04.09.2025\n\n{DATE_LINE}"), seed_sidecar)
    assert article.updated_at == SEED_UPDATED  # and no warning: parse_article takes exactly one result


def test_a_sidecar_that_gives_the_time_silences_the_warning(tmp_path: Path, seed_text: str, seed_sidecar: str) -> None:
    sidecar = seed_sidecar + "published_at: 2025-09-04T09:30:00+02:00\n"
    [article] = parse(tmp_path, edit(seed_text, DATE_LINE, "Von dpa Veröffentlicht am 04.09.2025"), sidecar)
    assert isinstance(article, Article)
    assert article.published_at == dt.datetime(2025, 9, 4, 9, 30, tzinfo=CEST)


def test_impossible_date_is_rejected(tmp_path: Path, seed_text: str, seed_sidecar: str) -> None:
    text = edit(seed_text, "04.09.2025", "31.02.2025")
    [problem] = parse_problems(tmp_path, text, seed_sidecar)
    assert problem.file == f"raw/{SEED_NAME}.txt"
    assert problem.line == 3
    assert problem.field == "updated_at"
    assert problem.code is Code.PAGECOPY_BAD_DATE


def test_impossible_publication_date_names_published_at(tmp_path: Path, seed_text: str, seed_sidecar: str) -> None:
    text = edit(edit(seed_text, "04.09.2025", "31.02.2025"), "Aktualisiert am", "Veröffentlicht am")
    [problem] = parse_problems(tmp_path, text, seed_sidecar)
    assert problem.field == "published_at"


def test_impossible_time_is_rejected(tmp_path: Path, seed_text: str, seed_sidecar: str) -> None:
    text = edit(seed_text, "14:07 Uhr", "25:07 Uhr")
    [problem] = parse_problems(tmp_path, text, seed_sidecar)
    assert problem.line == 3
    assert problem.code is Code.PAGECOPY_BAD_DATE


# --- caption, subheadings, body ---------------------------------------------------------------------


def test_no_caption(tmp_path: Path, seed_text: str, seed_sidecar: str) -> None:
    text = edit(seed_text, CAPTION_BLOCK + "\n\n", "")
    article = parse_article(tmp_path, text, seed_sidecar)
    assert texts_of(article, "caption") == []
    assert texts_of(article, "credit") == []
    assert article.lead is not None
    assert article.lead.startswith("Wie weit will Europa")
    assert [b.kind for b in article.blocks] == [k for k in SEED_KINDS if k not in ("caption", "credit")]


def test_caption_after_the_lead(tmp_path: Path, seed_text: str, seed_sidecar: str, seed: Article) -> None:
    lead = raw_blocks(seed_text)[3]
    text = edit(edit(seed_text, CAPTION_BLOCK + "\n\n", ""), lead, f"{lead}\n\n{CAPTION} (Foto: {CREDIT})")
    article = parse_article(tmp_path, text, seed_sidecar)
    assert texts_of(article, "caption") == [CAPTION]
    assert texts_of(article, "credit") == [CREDIT]
    assert article.lead == seed.lead


def test_no_subheadings(tmp_path: Path, seed_text: str, seed_sidecar: str) -> None:
    text = seed_text
    for subheading in SUBHEADINGS:
        text = edit(text, f"{subheading}\n\n", "")
    article = parse_article(tmp_path, text, seed_sidecar)
    assert texts_of(article, "subheading") == []
    assert len(texts_of(article, "paragraph")) == 5


def test_short_last_block_is_a_paragraph(tmp_path: Path, seed_text: str, seed_sidecar: str) -> None:
    text = seed_text.rstrip("\n") + "\n\nMit Material von Reuters"
    article = parse_article(tmp_path, text, seed_sidecar)
    assert texts_of(article, "paragraph")[-1] == "Mit Material von Reuters"
    assert texts_of(article, "subheading") == SUBHEADINGS


def test_short_sentence_is_not_a_subheading(tmp_path: Path, seed_text: str, seed_sidecar: str) -> None:
    text = edit(seed_text, SUBHEADINGS[0], "Macron sagte, das Konzept stehe.")
    article = parse_article(tmp_path, text, seed_sidecar)
    assert texts_of(article, "subheading") == SUBHEADINGS[1:]
    assert "Macron sagte, das Konzept stehe." in texts_of(article, "paragraph")


# --- the title and the sidecar ----------------------------------------------------------------------


def test_two_line_title_without_sidecar(tmp_path: Path, seed_text: str) -> None:
    text = edit(seed_text, f"{KICKER} {HEADLINE}", f"{KICKER}\n{HEADLINE}")
    article = parse_article(tmp_path, text)
    assert article.kicker == KICKER
    assert article.headline == HEADLINE
    assert article.text.startswith(f"{KICKER}\n\n{HEADLINE}\n\n")


def test_title_in_two_blocks_without_sidecar(tmp_path: Path, seed_text: str) -> None:
    text = edit(seed_text, f"{KICKER} {HEADLINE}", f"{KICKER}\n\n{HEADLINE}")
    article = parse_article(tmp_path, text)
    assert article.kicker == KICKER
    assert article.headline == HEADLINE


def test_no_sidecar_whole_line_is_the_headline(tmp_path: Path, seed_text: str) -> None:
    article = parse_article(tmp_path, seed_text)
    assert article.kicker is None
    assert article.headline == f"{KICKER} {HEADLINE}"
    assert [b.kind for b in article.blocks] == SEED_KINDS[1:]
    assert article.source is None
    assert article.license == DEFAULTS["license"]
    assert article.redistributable is DEFAULTS["redistributable"]
    assert article.agency == "dpa"  # the byline still counts


def test_sidecar_headline_splits_the_title(tmp_path: Path, seed_text: str, seed_sidecar: str) -> None:
    sidecar = edit(seed_sidecar, f"kicker: {KICKER}", f"headline: {HEADLINE}")
    article = parse_article(tmp_path, seed_text, sidecar)
    assert article.kicker == KICKER
    assert article.headline == HEADLINE


def test_sidecar_kicker_that_does_not_match(tmp_path: Path, seed_text: str, seed_sidecar: str) -> None:
    sidecar = edit(seed_sidecar, f"kicker: {KICKER}", "kicker: Beratungen in Berlin")
    [problem] = parse_problems(tmp_path, seed_text, sidecar)
    assert problem.file == f"raw/{SEED_NAME}.txt"
    assert problem.field == "kicker"
    assert problem.line == 1
    assert problem.code is Code.PAGECOPY_KICKER_MISMATCH
    assert "Beratungen in Berlin" in problem.message  # names the kicker that does not fit


def test_sidecar_kicker_that_is_the_whole_title(tmp_path: Path, seed_text: str, seed_sidecar: str) -> None:
    sidecar = edit(seed_sidecar, f"kicker: {KICKER}", f"kicker: {KICKER} {HEADLINE}")
    [problem] = parse_problems(tmp_path, seed_text, sidecar)
    assert (problem.field, problem.code) == ("kicker", Code.PAGECOPY_KICKER_MISMATCH)


def test_sidecar_headline_that_does_not_match(tmp_path: Path, seed_text: str, seed_sidecar: str) -> None:
    sidecar = edit(seed_sidecar, f"kicker: {KICKER}", "headline: Koalition der Willigen tagt")
    [problem] = parse_problems(tmp_path, seed_text, sidecar)
    assert (problem.field, problem.code) == ("headline", Code.PAGECOPY_HEADLINE_MISMATCH)
    assert problem.line == 1


def test_sidecar_with_an_unknown_key(tmp_path: Path, seed_text: str, seed_sidecar: str) -> None:
    sidecar = seed_sidecar + "ressort: Politik\n"
    [problem] = parse_problems(tmp_path, seed_text, sidecar)
    assert problem.file == f"raw/{SEED_NAME}.meta.yaml"
    assert (problem.field, problem.code) == ("ressort", Code.FIELD_UNKNOWN)


def test_sidecar_that_is_not_yaml(tmp_path: Path, seed_text: str) -> None:
    [problem] = parse_problems(tmp_path, seed_text, "kicker: [Beratungen in Paris\n")
    assert problem.file == f"raw/{SEED_NAME}.meta.yaml"
    assert (problem.line, problem.code) == (2, Code.SIDECAR_MALFORMED)


def test_sidecar_overrides_the_byline(tmp_path: Path, seed_text: str, seed_sidecar: str) -> None:
    sidecar = seed_sidecar + "authors: [Anna Müller]\nagency: AFP\n"
    article = parse_article(tmp_path, seed_text, sidecar)
    assert article.authors == ["Anna Müller"]
    assert article.agency == "AFP"


def test_title_over_three_lines_needs_a_sidecar(tmp_path: Path, seed_text: str) -> None:
    text = edit(seed_text, f"{KICKER} {HEADLINE}", f"{KICKER}\nKoalition der Willigen\nringt um Militärhilfe")
    [problem] = parse_problems(tmp_path, text)
    assert (problem.field, problem.code) == ("headline", Code.PAGECOPY_LONG_TITLE)


def test_date_line_first_has_no_title(tmp_path: Path, seed_text: str) -> None:
    text = edit(seed_text, f"{KICKER} {HEADLINE}\n\n", "")
    [problem] = parse_problems(tmp_path, text)
    assert problem.field == "headline"
    assert (problem.line, problem.code) == (1, Code.PAGECOPY_NO_TITLE)


def test_date_line_too_far_down_is_no_header(tmp_path: Path, seed_text: str) -> None:
    text = edit(seed_text, f"{KICKER} {HEADLINE}\n\n", f"{KICKER}\n\n{HEADLINE}\n\nEilmeldung\n\n")
    [problem] = parse_problems(tmp_path, text)
    assert (problem.line, problem.code) == (1, Code.PAGECOPY_NO_HEADER)


@pytest.mark.parametrize("kicker", ["Beratungen in Par", "Beratungen i"])
def test_sidecar_kicker_must_end_at_a_word_boundary(
    tmp_path: Path, seed_text: str, seed_sidecar: str, kicker: str
) -> None:
    sidecar = seed_sidecar.replace("kicker: Beratungen in Paris", f"kicker: {kicker}")
    [problem] = parse_problems(tmp_path, seed_text, sidecar)
    assert (problem.field, problem.code) == ("kicker", Code.PAGECOPY_KICKER_MISMATCH)


def test_sidecar_headline_must_start_at_a_word_boundary(tmp_path: Path, seed_text: str, seed_sidecar: str) -> None:
    sidecar = seed_sidecar.replace(
        "kicker: Beratungen in Paris", "headline: oalition der Willigen ringt um Militärhilfe für Ukraine"
    )
    [problem] = parse_problems(tmp_path, seed_text, sidecar)
    assert (problem.field, problem.code) == ("headline", Code.PAGECOPY_HEADLINE_MISMATCH)


# --- copies that lost their layout on the way ------------------------------------------------------


@pytest.mark.parametrize("crlf", [False, True])
def test_a_copy_without_blank_lines_reads_as_the_seed(
    tmp_path: Path, seed_text: str, seed_sidecar: str, seed: Article, crlf: bool
) -> None:
    """Some browsers copy paragraphs with one line break between them: every line is then a block."""
    squeezed = "\n".join(line for line in seed_text.split("\n") if line.strip())
    article = parse_article(tmp_path, squeezed.replace("\n", "\r\n") if crlf else squeezed, seed_sidecar)
    assert article.text == seed.text
    assert [(b.kind, b.start, b.end) for b in article.blocks] == [(b.kind, b.start, b.end) for b in seed.blocks]
    assert (article.updated_at, article.agency, article.reading_time_minutes) == (SEED_UPDATED, "dpa", 4)


def test_a_date_line_inside_a_block_is_found(tmp_path: Path, seed_text: str, seed_sidecar: str, seed: Article) -> None:
    text = edit(seed_text, f"\n\n{DATE_LINE}\n\n", f"\n{DATE_LINE}\n")  # title, date line and caption run together
    article = parse_article(tmp_path, text, seed_sidecar)
    assert article.updated_at == SEED_UPDATED
    assert texts_of(article, "headline") == [HEADLINE]
    assert texts_of(article, "credit") == [CREDIT]


@pytest.mark.parametrize(
    "line",
    [
        "von dpa Aktualisiert am 04.09.2025 - 14:07 Uhr Lesedauer: 4 Min.",  # a lowercase "von"
        "Von dpa Aktualisiert am 04.09.2025 - 14:07 UhrLesedauer: 4 Min.",  # the parts run together
    ],
)
def test_date_lines_as_copies_garble_them(tmp_path: Path, seed_text: str, seed_sidecar: str, line: str) -> None:
    article = parse_article(tmp_path, edit(seed_text, DATE_LINE, line), seed_sidecar)
    assert (article.updated_at, article.agency, article.reading_time_minutes) == (SEED_UPDATED, "dpa", 4)
