"""The article metadata a raw input may state: declared once, for sidecars and JSON records alike.

Each field is a field of ``Article`` of the same name, made optional: an input says
what it knows, and ``Article`` validates the whole once the parser has assembled it.
"""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict

from newscorpus.model.article import Split


class Metadata(BaseModel):
    """Metadata a raw input may set; every key is optional and is the ``Article`` field of that name."""

    model_config = ConfigDict(strict=True, extra="forbid")
    split: Split | None = None
    source: str | None = None
    url: str | None = None
    agency: str | None = None
    authors: list[str] | None = None
    published_at: AwareDatetime | None = None
    updated_at: AwareDatetime | None = None
    reading_time_minutes: int | None = None
    license: str | None = None
    redistributable: bool | None = None
