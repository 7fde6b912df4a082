"""Reusable Hypothesis strategies: German-ish text, block lists and valid articles.

The text strategies deliberately mix what German news copy really holds
(umlauts, ß/ẞ, „quotes“, »guillemets«, dashes) with what breaks naive offset
code: emoji made of several code points (flags, ZWJ sequences, skin tones),
decomposed (NFD) letters, CRLF / lone CR / Unicode line breaks, tabs and
trailing spaces.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import string
import unicodedata
from typing import Any, get_args
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from newscorpus.core.offsets import normalize_text
from newscorpus.ingest.make import make_article
from newscorpus.model.article import Article, BlockKind, LayerStatus
from newscorpus.model.labels import label_sets

BLOCK_KINDS: tuple[str, ...] = get_args(BlockKind)
LAYER_STATUSES: tuple[str, ...] = get_args(LayerStatus)
ENTITY_LABELS: tuple[str, ...] = label_sets().entity_names()
TOPICS: tuple[str, ...] = label_sets().topic_names()

UMLAUTS = "äöüÄÖÜ"
SHARP_S = "ßẞ"
PUNCTUATION = ("„", "“", "‚", "‘", "»", "«", "›", "‹", "–", "—", "…", ".", ",", ";", ":", "!", "?", "(", ")", "-", "'")
EMOJI = (
    "🇺🇦",  # flag: two regional indicators
    "🇩🇪",
    "👩\u200d👩\u200d👧",  # ZWJ family: five code points
    "👍🏽",  # skin-tone modifier
    "👋🏿",
    "😀",
    "❤️",  # heart + variation selector 16
)
# Decomposed letters: NFC composes each of these into one code point, and the
# last one has two marks in non-canonical order, which NFC also reorders.
COMBINING = ("u\u0308", "U\u0308", "a\u0308", "A\u0308", "o\u0308", "O\u0308", "e\u0301", "n\u0303", "a\u0301\u0323")
WORDS = (
    "Straße",
    "Größe",
    "Bundestag",
    "Übergang",
    "Ärger",
    "Österreich",
    "Macron",
    "Selenskyj",
    "Nato-Staaten",
    "FUẞBALL",
    "Koalition",
    "der",
    "die",
    "und",
)
SPACES = (" ", " ", " ", "\t", "  ", "\u00a0")
LINE_BREAKS = ("\n", "\r\n", "\r", "\u2028", "\u2029", "\x85")
# Breaks that stay one break whatever precedes or follows them (a lone "\r"
# followed by "\n" would merge into one CRLF).
SAFE_LINE_BREAKS = ("\n", "\r\n", "\u2028", "\u2029", "\x85")


def ascii_words() -> st.SearchStrategy[str]:
    return st.text(alphabet=string.ascii_letters, min_size=1, max_size=8)


def umlaut_words() -> st.SearchStrategy[str]:
    return st.text(alphabet=string.ascii_lowercase + UMLAUTS + SHARP_S, min_size=1, max_size=8)


def tokens(*, line_breaks: bool = True) -> st.SearchStrategy[str]:
    """One piece of German-ish text: a word, punctuation, an emoji, a space or a line break."""
    choices = [
        ascii_words(),
        umlaut_words(),
        st.sampled_from(WORDS),
        st.sampled_from(PUNCTUATION),
        st.sampled_from(EMOJI),
        st.sampled_from(COMBINING),
        st.sampled_from(SPACES),
        st.sampled_from(string.digits),
    ]
    if line_breaks:
        # A break, optionally with trailing spaces or tabs before it.
        choices.append(
            st.builds(lambda pad, br: pad + br, st.sampled_from(("", " ", "\t", " \t ")), st.sampled_from(LINE_BREAKS))
        )
    return st.one_of(choices)


def german_text(*, min_tokens: int = 0, max_tokens: int = 30, line_breaks: bool = True) -> st.SearchStrategy[str]:
    """German-ish raw text, as a raw file might hold it (any line-break style, NFC or NFD)."""
    return st.lists(tokens(line_breaks=line_breaks), min_size=min_tokens, max_size=max_tokens).map("".join)


def any_text() -> st.SearchStrategy[str]:
    """German-ish text, or arbitrary Unicode (no surrogates) for breadth."""
    return st.one_of(german_text(), st.text(max_size=40))


def canonical(text: str) -> str:
    """What a block becomes once normalised: NFC, ``\\n`` newlines, stripped."""
    return normalize_text(text).strip()


def blocks(*, min_size: int = 0, max_size: int = 8, text: st.SearchStrategy[str] | None = None) -> st.SearchStrategy:
    """A list of raw ``(kind, text)`` parts; some may be empty or whitespace only."""
    part_text = text if text is not None else st.one_of(german_text(), st.sampled_from(("", " ", "\t\r\n", "\n\n")))
    return st.lists(st.tuples(st.sampled_from(BLOCK_KINDS), part_text), min_size=min_size, max_size=max_size)


def nonempty_blocks(*, max_size: int = 6) -> st.SearchStrategy:
    """Block lists whose assembled text is not empty (every article needs text)."""
    return st.builds(
        lambda head, tail: [*head, tail],
        blocks(max_size=max_size - 1),
        st.tuples(
            st.sampled_from(BLOCK_KINDS),
            st.builds(lambda a, w, b: a + w + b, german_text(), st.sampled_from(WORDS), german_text()),
        ),
    )


# --- metadata --------------------------------------------------------------------------------

TIMEZONES = (
    dt.UTC,
    ZoneInfo("Europe/Berlin"),
    ZoneInfo("Europe/Vienna"),
    ZoneInfo("America/New_York"),
    ZoneInfo("Asia/Kathmandu"),  # +05:45
    dt.timezone(dt.timedelta(hours=2)),
    dt.timezone(dt.timedelta(hours=-9, minutes=-30)),
    dt.timezone(dt.timedelta(hours=14)),
)


def timezones() -> st.SearchStrategy[dt.tzinfo]:
    return st.one_of(
        st.sampled_from(TIMEZONES),
        st.builds(lambda m: dt.timezone(dt.timedelta(minutes=m)), st.integers(-18 * 60 + 1, 18 * 60 - 1)),
    )


def aware_datetimes() -> st.SearchStrategy[dt.datetime]:
    """Aware datetimes, folds and odd offsets included (1850 still has LMT offsets with seconds)."""
    return st.datetimes(min_value=dt.datetime(1850, 1, 1), max_value=dt.datetime(2100, 12, 31), timezones=timezones())


def article_ids() -> st.SearchStrategy[str]:
    return st.from_regex(r"[a-z0-9][a-z0-9._-]{0,40}", fullmatch=True)


def url_segments() -> st.SearchStrategy[str]:
    return st.text(alphabet=string.ascii_letters + string.digits + "-_.~%" + UMLAUTS + "ß", min_size=1, max_size=20)


def urls() -> st.SearchStrategy[str]:
    """URLs matching the Article pattern ``^https?://\\S+$``."""
    host = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?(\.[a-z]{2,6}){1,2}", fullmatch=True)
    return st.builds(
        lambda scheme, h, segs, trail, query: f"{scheme}://{h}/{'/'.join(segs)}{trail}{query}",
        st.sampled_from(("http", "https")),
        host,
        st.lists(url_segments(), max_size=4),
        st.sampled_from(("", "/", ".html", ".htm")),
        st.one_of(st.just(""), st.builds(lambda q: "?" + q, url_segments())),
    )


def sha256_hex() -> st.SearchStrategy[str]:
    return st.binary(max_size=16).map(lambda b: hashlib.sha256(b).hexdigest())


def short_strings() -> st.SearchStrategy[str]:
    return german_text(max_tokens=5, line_breaks=False)


@st.composite
def metadata(draw: st.DrawFn) -> dict[str, Any]:
    """Random article metadata, in the shape make_article takes (absent keys get defaults)."""
    fields: dict[str, Any] = {}
    optional = {
        "id": article_ids(),
        "split": st.sampled_from(("train", "validation", "test")),
        "url": urls(),
        "source": st.one_of(st.none(), short_strings()),
        "agency": st.one_of(st.none(), st.sampled_from(("dpa", "AFP", "Reuters")), short_strings()),
        "authors": st.lists(short_strings(), max_size=3),
        "reading_time_minutes": st.one_of(st.none(), st.integers(0, 120), st.just(2**31 - 1)),
        "license": st.sampled_from(("CC-BY-4.0", "CC0-1.0", "LicenseRef-t-online", "LicenseRef-unknown")),
        "redistributable": st.booleans(),
    }
    for name, strategy in optional.items():
        if draw(st.booleans()):
            fields[name] = draw(strategy)
    published = draw(st.one_of(st.none(), aware_datetimes()))
    if published is not None:
        fields["published_at"] = published
        if draw(st.booleans()):
            # Never before published_at; possibly in another zone, possibly the same instant. Added in UTC: adding
            # to a zoned time is wall-clock arithmetic, which drops a fold (02:30 of the repeated hour, plus
            # nothing, is the first 02:30: an hour earlier).
            delta = draw(st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=30)))
            later = (published.astimezone(dt.UTC) + delta).astimezone(draw(timezones()))
            if later < published:  # the same zone compares wall times, folds ignored: the model's known bug
                later = later.astimezone(dt.UTC)  # (test_jsonl: an update in the repeated hour)
            fields["updated_at"] = later
    elif draw(st.booleans()):
        fields["updated_at"] = draw(aware_datetimes())
    return fields


@st.composite
def entity_spans(draw: st.DrawFn, text: str, max_size: int = 8) -> list[dict[str, Any]]:
    """Valid, distinct entity spans over ``text``: non-empty, in range, ``text`` is the slice."""
    if not text:
        return []
    span = st.tuples(
        st.integers(0, len(text) - 1),
        st.integers(1, min(len(text), 40)),
        st.sampled_from(ENTITY_LABELS),
        st.sampled_from((0, 1)),
    ).map(lambda t: (t[0], min(len(text), t[0] + t[1]), t[2], t[3]))
    spans = draw(st.lists(span, max_size=max_size, unique=True))
    return [{"start": s, "end": e, "label": label, "level": lvl, "text": text[s:e]} for s, e, label, lvl in spans]


def layers() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "status": st.sampled_from(LAYER_STATUSES),
            "source": st.one_of(st.none(), st.sampled_from(("label-studio", "germeval2014", "10kgnad"))),
            "annotators": st.lists(st.from_regex(r"a[0-9]{1,3}", fullmatch=True), max_size=3),
            "annotated_at": st.one_of(st.none(), aware_datetimes()),
        }
    )


def annotations() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({"entities": layers(), "topic": layers()})


@st.composite
def articles(draw: st.DrawFn, *, with_gold: bool = True) -> Article:
    """A valid Article, built through make_article, then given random gold spans and a topic."""
    # The alphabet has no mojibake (no 'Ã', no 'â€'), so every draw must make a valid article.
    parts = draw(nonempty_blocks())
    meta = draw(metadata())
    line = draw(st.one_of(st.none(), st.integers(1, 10**6)))
    result = make_article(
        parts=parts,
        metadata=meta,
        raw_file=draw(st.sampled_from(("raw/a.txt", "raw/feed.jsonl", "raw/Ärger über „Größe“.json"))),
        raw_sha256=draw(sha256_hex()),
        encoding=draw(st.sampled_from(("utf-8", "utf-8-sig", "utf-16", "cp1252"))),
        fallback_id=draw(article_ids()),
        line=line,
    )
    # The strategy promises validity by construction: a problem here is a bug, not a filter.
    assert isinstance(result, Article), f"make_article refused generated input: {result}"
    if not with_gold:
        return result
    entities = draw(entity_spans(result.text))
    topic = draw(st.one_of(st.none(), st.sampled_from(TOPICS)))
    annotation = draw(st.one_of(st.none(), annotations()))
    data = {**result.model_dump(), "entities": entities, "topic": topic}
    if annotation is not None:
        data["annotation"] = annotation
    return Article.model_validate(data)


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)
