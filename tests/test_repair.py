"""Dates as real files give them (ISO 8601 with or without an offset or a time, RFC 2822, German, Unix timestamps):
the same instant back."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from email.utils import format_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from strategies import aware_datetimes

from newscorpus.core.codes import Code
from newscorpus.core.errors import InvalidInput
from newscorpus.core.report import Problem
from newscorpus.ingest.parsers.repair import read_date, read_timestamp
from newscorpus.model.article import Article
from newscorpus.model.sidecar import load_sidecar
from tests.helpers import jsonl_warned, parse_raw

BERLIN = ZoneInfo("Europe/Berlin")
NAIVE = st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2035, 12, 31))


def utc(when: dt.datetime) -> dt.datetime:
    """The instant, compared in UTC: times of two zones in a fold or a gap are never equal otherwise (PEP 495)."""
    return when.astimezone(dt.UTC)


@given(aware_datetimes())
def test_an_aware_date_reads_as_the_same_instant_in_iso_and_rfc_2822(when: dt.datetime) -> None:
    for text in (when.isoformat(), when.isoformat(sep=" ")):
        read = read_date(text)
        assert read is not None
        assert (utc(read.value), read.zoned, read.untimed) == (utc(when), False, False)
    whole = when.replace(microsecond=0)  # RFC 2822 has seconds at most, and offsets of whole minutes
    assume(whole.utcoffset() % dt.timedelta(minutes=1) == dt.timedelta(0))  # not 1893's Berlin mean time
    read = read_date(format_datetime(whole))
    assert read is not None
    assert (utc(read.value), read.zoned) == (utc(whole), False)


@given(NAIVE)
def test_a_naive_date_is_berlin_time_and_a_date_alone_midnight(when: dt.datetime) -> None:
    read = read_date(when.isoformat())
    assert read is not None
    assert (read.value, read.zoned, read.untimed) == (when.replace(tzinfo=BERLIN), True, False)
    alone = read_date(when.date().isoformat())
    assert alone is not None
    assert (alone.value, alone.zoned, alone.untimed) == (
        dt.datetime.combine(when.date(), dt.time(), BERLIN),
        False,
        True,
    )


@given(st.text(max_size=20).filter(lambda t: not any(c.isdigit() for c in t)))
def test_text_without_digits_is_no_date(text: str) -> None:
    assert read_date(text) is None


@given(aware_datetimes())
def test_a_unix_timestamp_reads_as_its_instant_in_berlin_time(when: dt.datetime) -> None:
    """Seconds and milliseconds, as integers (exact) and as floats; outside 1990–2100 a number is no timestamp.

    Milliseconds are told from seconds by size (from 10^11 on), so those of an instant before March
    1973 would count as seconds: they are left out here.
    """
    seconds, milliseconds = int(utc(when).timestamp()), int(utc(when).timestamp() * 1000)
    whole = dt.datetime.fromtimestamp(seconds, dt.UTC)
    to_the_millisecond = dt.datetime.fromtimestamp(milliseconds // 1000, dt.UTC) + dt.timedelta(
        milliseconds=milliseconds % 1000
    )
    forms = [(seconds, whole), (float(seconds), whole)]
    if abs(milliseconds) >= 10**11:
        forms.append((milliseconds, to_the_millisecond))
    for number, instant in forms:
        read = read_timestamp(number)
        if not 1990 <= instant.astimezone(BERLIN).year <= 2100:
            assert read is None
            continue
        assert read is not None
        assert utc(read) == instant
        assert read.tzinfo == BERLIN


@given(st.integers(0, 631_000_000) | st.sampled_from([float("nan"), float("inf"), -float("inf"), 1e20, -1e20, 2**70]))
def test_a_number_before_1990_or_no_finite_time_is_no_timestamp(value: float) -> None:
    """Before 1990 as seconds (and so as milliseconds), like an 8-digit date (20250904: a day of 1970)."""
    assert read_timestamp(value) is None


GERMAN_FORMS = [
    "{d:%d.%m.%Y} {d:%H:%M}",
    "{d:%d.%m.%Y}, {d:%H:%M} Uhr",
    "{d.day}.{d.month}.{d.year} - {d:%H:%M:%S}",
    "{d:%d.%m.%Y} um {d:%H:%M} Uhr",
]
"""Dates as German CMS exports write them: day first, as the dots say."""


@given(NAIVE, st.sampled_from(GERMAN_FORMS))
def test_a_german_date_is_berlin_time_day_first(when: dt.datetime, form: str) -> None:
    read = read_date(form.format(d=when))
    assert read is not None
    expected = when.replace(second=when.second if "%S" in form else 0, microsecond=0, tzinfo=BERLIN)
    assert (read.value, read.zoned, read.untimed) == (expected, True, False)
    alone = read_date(f"{when.day}.{when.month}.{when.year}")
    assert alone is not None
    assert (alone.value, alone.zoned, alone.untimed) == (
        dt.datetime.combine(when.date(), dt.time(), BERLIN),
        False,
        True,
    )


def test_a_german_date_that_does_not_exist_is_no_date() -> None:
    for text in ("31.02.2025", "29.02.2023 10:00", "01.13.2025", "12.03.2025 24:00", "12.03.25"):
        assert read_date(text) is None, text


def test_a_record_with_a_german_date_gets_it_in_berlin_time(tmp_path: Path) -> None:
    record = {
        "url": "https://example.org/a",
        "headline": "Straße gesperrt",
        "body": "In Köln.",
        "published_at": "04.09.2025 14:07",
    }
    [article], warning = jsonl_warned(tmp_path, [record], Code.DATE_NO_OFFSET)
    assert article.published_at == dt.datetime(2025, 9, 4, 14, 7, tzinfo=BERLIN)
    assert warning.field == "published_at"


@given(aware_datetimes())
def test_a_timestamp_in_a_string_reads_as_the_number_does(when: dt.datetime) -> None:
    """PHP exports write numbers as strings: ``"1709632800"`` is that timestamp, in Berlin time, warned (not UTC)."""
    seconds = int(utc(when).timestamp())
    assume(1990 <= dt.datetime.fromtimestamp(seconds, dt.UTC).astimezone(BERLIN).year <= 2100)
    with tempfile.TemporaryDirectory() as folder:
        as_number, _ = jsonl_warned(Path(folder), [_record(seconds)], Code.DATE_TIMESTAMP)
        as_string, _ = jsonl_warned(Path(folder), [_record(f" {seconds}")], Code.DATE_TIMESTAMP)
    assert as_string[0].published_at == as_number[0].published_at
    read = as_string[0].published_at
    assert read is not None
    assert read.utcoffset() == read.astimezone(BERLIN).utcoffset()  # Berlin's offset then, never UTC's


def test_eight_digits_in_a_string_are_a_day_not_a_timestamp_of_1970(tmp_path: Path) -> None:
    """``"20250904"`` is ISO 8601's basic form of a day; pydantic read it as 1970-08-23. Other digits: a number."""
    [article], warning = jsonl_warned(tmp_path, [_record("20250904")], Code.DATE_NO_TIME)
    assert article.published_at == dt.datetime(2025, 9, 4, tzinfo=BERLIN)
    assert warning.field == "published_at"
    refused = parse_raw(tmp_path, "short.jsonl", json.dumps(_record("12345")) + "\n")
    assert [(p.code, p.field) for p in refused if isinstance(p, Problem)] == [(Code.FIELD_INVALID, "published_at")]


def test_digits_quoted_in_a_text_stay_as_they_are(tmp_path: Path) -> None:
    """Only a date's own value is read so: a body that quotes such JSON keeps it to the character."""
    body = 'Im Export stand "published_at": "20250904", ohne Uhrzeit.'
    [article] = parse_raw(
        tmp_path, "quoted.jsonl", json.dumps({**_record("2025-09-04T10:00:00+02:00"), "body": body}) + "\n"
    )
    assert isinstance(article, Article)
    assert body in article.text


def _record(published_at: object) -> dict[str, object]:
    return {
        "url": "https://example.org/a",
        "headline": "Straße gesperrt",
        "body": "In Köln.",
        "published_at": published_at,
    }


@pytest.mark.parametrize("value", ['"20240305"', '"1709632800"', "' 20240305 '"])
def test_a_sidecar_date_of_digits_alone_is_refused_not_read_as_1970(tmp_path: Path, value: str) -> None:
    """A sidecar is written by hand: digits alone, which pydantic read as a timestamp (1970 for a day), are an error."""
    sidecar = tmp_path / "a.meta.yaml"
    sidecar.write_text(f"published_at: {value}\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as refused:
        load_sidecar(sidecar, "raw/a.meta.yaml")
    [problem] = refused.value.report.problems
    assert (problem.code, problem.field) == (Code.FIELD_INVALID, "published_at")
    sidecar.write_text("published_at: 2024-03-05T10:00:00+01:00\n", encoding="utf-8")
    assert load_sidecar(sidecar, "raw/a.meta.yaml").published_at == dt.datetime(2024, 3, 5, 10, tzinfo=BERLIN)
