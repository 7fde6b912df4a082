r"""JSON and JSONL raw articles: one object per file (``.json``) or per line (``.jsonl``).

An object gives metadata and the article's blocks::

    {"url": "https://…", "source": "…", "published_at": "2025-09-04T14:07:00+02:00",
     "license": "CC-BY-4.0", "redistributable": true,
     "kicker": "…", "headline": "…", "lead": "…", "caption": "…", "credit": "…",
     "body": "Paragraph one.\\n\\nParagraph two."}

``body`` is either a string (paragraphs separated by blank lines) or a list of
``{"kind": "paragraph" | "subheading", "text": "…"}``.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from newscorpus.article import ArticleId, Split
from newscorpus.offsets import normalize_text

_HEADER_KINDS = ("kicker", "headline", "lead", "caption", "credit")


class BodyBlock(BaseModel):
    """One block of a JSON article's body."""

    model_config = ConfigDict(strict=True, extra="forbid")
    kind: Literal["paragraph", "subheading"]
    text: str


class JsonArticle(BaseModel):
    """A raw article as a JSON object."""

    model_config = ConfigDict(strict=True, extra="forbid")
    id: ArticleId | None = None
    split: Split | None = None
    url: str | None = None
    source: str | None = None
    agency: str | None = None
    authors: list[str] | None = None
    published_at: AwareDatetime | None = None
    updated_at: AwareDatetime | None = None
    reading_time_minutes: int | None = None
    language: str | None = None
    license: str | None = None
    redistributable: bool | None = None
    kicker: str | None = None
    headline: str | None = None
    lead: str | None = None
    caption: str | None = None
    credit: str | None = None
    body: str | list[BodyBlock] = Field(description="Paragraphs separated by blank lines, or a list of blocks.")

    def metadata(self) -> dict[str, object]:
        """Return the metadata this object sets."""
        return self.model_dump(exclude_none=True, exclude={*_HEADER_KINDS, "body"})

    def parts(self) -> list[tuple[str, str]]:
        """Return the article's ``(kind, text)`` parts in reading order."""
        parts = [(kind, value) for kind in _HEADER_KINDS if (value := getattr(self, kind))]
        if isinstance(self.body, str):
            # Normalise first, so CR, U+2028 and space-only lines separate paragraphs as a blank line does.
            parts += [("paragraph", p) for p in re.split(r"\n{2,}", normalize_text(self.body))]
        else:
            parts += [(block.kind, block.text) for block in self.body]
        return parts
