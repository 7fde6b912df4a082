"""Article ids and split assignment: both stable, neither depends on the text."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import get_args
from urllib.parse import urlsplit

from newscorpus.model.article import Split

SPLITS: tuple[str, ...] = get_args(Split)
SPLIT_PERCENT = {"train": 80, "validation": 10, "test": 10}
_NOT_SLUG = re.compile(r"[^a-z0-9._-]+")


def slugify(value: str, max_length: int = 120) -> str:
    """Return a lowercase ASCII slug of ``value``: umlauts folded (ä→ae, ß→ss), punctuation made a separator."""
    value = unicodedata.normalize("NFC", value).lower()  # an NFD file name must give the same id
    for src, dst in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        value = value.replace(src, dst)
    if not value.isascii():  # ASCII has nothing to decompose; most names are ASCII
        value = "".join(c for c in unicodedata.normalize("NFKD", value) if not unicodedata.combining(c))
    slug = _NOT_SLUG.sub("-", value).strip("-._")
    return slug[:max_length].rstrip("-._")


def id_from_filename(stem: str) -> str:
    """Return the id of a single-article raw file: the slug of its name."""
    return slugify(stem)


def id_from_url(url: str) -> str:
    """Return the id of an article known by URL: a readable slug plus a hash of the whole URL."""
    try:
        parts = urlsplit(url)
    except ValueError:  # not parseable (such as "https://["): the hash alone still names it stably
        readable = ""
    else:
        last = [p for p in parts.path.split("/") if p]
        readable = slugify(last[-1].rsplit(".", 1)[0] if last else parts.netloc, max_length=80)
    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:10]
    return f"{readable}-{digest}" if readable else f"url-{digest}"


def assign_split(article_id: str) -> str:
    """Return the split of an article: a fixed function of its id, so adding articles moves none."""
    bucket = int.from_bytes(hashlib.sha256(article_id.encode("utf-8")).digest()[:8], "big") % 100
    threshold = 0
    for split in SPLITS:
        threshold += SPLIT_PERCENT[split]
        if bucket < threshold:
            return split
    raise AssertionError("split percentages must add up to 100")
