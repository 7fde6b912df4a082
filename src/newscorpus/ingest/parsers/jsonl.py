r"""JSON and JSONL raw articles: one object per file (``.json``) or per line (``.jsonl``).

An object gives metadata and the article's blocks::

    {"url": "https://…", "source": "…", "published_at": "2025-09-04T14:07:00+02:00",
     "license": "CC-BY-4.0", "redistributable": true,
     "kicker": "…", "headline": "…", "lead": "…", "caption": "…", "credit": "…",
     "body": "Paragraph one.\\n\\nParagraph two."}

``body`` is either a string (paragraphs separated by blank lines) or a list of
``{"kind": "paragraph" | "subheading", "text": "…"}``.

Records as the ecosystem writes them are read too. A Hugging Face record
(``{"id", "title", "text", "url", …}``) gives its body as ``text`` (read as a
body string) and its headline as ``title``. A DataTrove record (``{"id", "text",
"metadata": {…}}``) keeps its other keys in ``metadata``: the keys an article has
(``url``, ``source``, ``published_at``, …) are taken from there; the others
(``dump``, ``file_path``, ``language_score``, and ``date``, which DataTrove sets to
the crawl time, not the publication date) have no field in an article, so they
stay only in the raw file and a warning names them. An integer id is taken as
its digits; an id that is still no corpus id (DataTrove's ``<urn:uuid:…>``)
becomes one, its slug plus a hash of it, so that distinct ids stay distinct, and
a warning says so. Warnings come once per file, not once per record.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from newscorpus.core.codes import Code
from newscorpus.core.offsets import normalize_text
from newscorpus.core.report import Problem, problems_from_validation
from newscorpus.ingest.ids import slugify
from newscorpus.model.article import ArticleId
from newscorpus.model.keys import unknown_key
from newscorpus.model.metadata import Metadata

_HEADER_KINDS = ("kicker", "headline", "lead", "caption", "credit")
_GERMAN = {"deu": "de", "ger": "de"}
"""ISO 639-2/3 codes of German (GlotLID, in DataTrove, writes ``deu``): the corpus's one language, as ``de``, as are
BCP 47 tags of German (``de-DE``, ``de-AT``, as schema.org's ``inLanguage`` gives them)."""
_CORPUS_ID: TypeAdapter[str] = TypeAdapter(ArticleId)
_BLANK_LINES = re.compile(r"\n\n+")  # not \n{2,}: a literal start lets the regex engine skip ahead, 20× faster


class BodyBlock(BaseModel):
    """One block of a JSON article's body."""

    model_config = ConfigDict(strict=True, extra="forbid")
    kind: Literal["paragraph", "subheading"]
    text: str


class ArticleMetadata(Metadata):
    """The metadata keys of a raw article: at the top of a JSON object, or in its DataTrove ``metadata`` object."""

    id: str | int | None = Field(None, description="The article's id; one that is no corpus id is made into one.")
    language: str | None = None

    @field_validator("language")
    @classmethod
    def _german_as_de(cls, value: str | None) -> str | None:
        if not value:
            return value
        primary = value.replace("_", "-").split("-")[0].lower()  # a BCP 47 tag's language: de-DE, de-AT, deu-Latn
        return "de" if _GERMAN.get(primary, primary) == "de" else value


class RecordMetadata(ArticleMetadata):
    """DataTrove's ``metadata`` object: an article's keys are taken from it, any other key stays in the raw file."""

    model_config = ConfigDict(strict=True, extra="allow")


class JsonArticle(ArticleMetadata):
    """A raw article as a JSON object: the corpus's own keys, or a Hugging Face or DataTrove record."""

    kicker: str | None = None
    headline: str | None = None
    title: str | None = Field(None, description="The headline, as Hugging Face records call it.")
    lead: str | None = None
    caption: str | None = None
    credit: str | None = None
    body: str | list[BodyBlock] | None = Field(
        None, description="Paragraphs separated by blank lines, or a list of blocks."
    )
    text: str | None = Field(None, description="The body, as Hugging Face and DataTrove records call it.")
    metadata: RecordMetadata | None = Field(None, description="DataTrove's metadata object.")

    def problems(self) -> list[tuple[Code, str, str]]:
        """Return ``(code, field, message)`` for each thing this object says twice, or leaves out."""
        found = []
        if self.body is not None and self.text is not None:
            found.append(
                (
                    Code.JSON_GIVEN_TWICE,
                    "text",
                    "is given as well as body. Try giving the article's body once, as body or as text.",
                )
            )
        if self.body is None and self.text is None:
            found.append(
                (
                    Code.JSON_NO_BODY,
                    "body",
                    "is missing. Try giving the article's body as body (or text, as Hugging Face does).",
                )
            )
        if self.headline is not None and self.title is not None:
            found.append(
                (Code.JSON_GIVEN_TWICE, "title", "is given as well as headline. Try giving the headline once.")
            )
        for key, value in self._lifted().items():
            top = getattr(self, key)
            if top is not None and top != value:
                found.append(
                    (
                        Code.JSON_GIVEN_TWICE,
                        f"metadata.{key}",
                        f"is {value!r}, but {key} is {top!r}. Try giving {key} once.",
                    )
                )
        return found

    def _lifted(self) -> dict[str, Any]:
        """Return the article's keys that the ``metadata`` object sets."""
        if self.metadata is None:
            return {}
        return self.metadata.model_dump(exclude_none=True, include=set(ArticleMetadata.model_fields))

    def article_metadata(self) -> dict[str, object]:
        """Return the article's metadata this object sets, from its top and its ``metadata`` object."""
        fields = {**self._lifted(), **self.model_dump(exclude_none=True, include=set(ArticleMetadata.model_fields))}
        if "id" in fields:
            fields["id"] = corpus_id(fields["id"])
        return fields

    def foreign_id(self) -> str | None:
        """Return the id as given if it had to be made into a corpus id, else None."""
        given = self.id if self.id is not None else self._lifted().get("id")
        return None if given is None or str(given) == corpus_id(given) else str(given)

    def unkept(self) -> list[str]:
        """Return the keys of the ``metadata`` object that an article has no field for, sorted."""
        return sorted((self.metadata.model_extra or {}) if self.metadata else ())

    def parts(self) -> list[tuple[str, str]]:
        """Return the article's ``(kind, text)`` parts in reading order, each normalised (``normalize_text``)."""
        header = {kind: getattr(self, kind) for kind in _HEADER_KINDS} | {"headline": self.headline or self.title}
        parts = [(kind, normalize_text(value)) for kind, value in header.items() if value]
        body = self.body if self.body is not None else self.text
        if isinstance(body, str):
            # Normalise first, so CR, U+2028 and space-only lines separate paragraphs as a blank line does. Each
            # paragraph is normalised then too: split at line breaks, which no character composes with.
            parts += [("paragraph", p) for p in _BLANK_LINES.split(normalize_text(body))]
        elif body is not None:
            parts += [(block.kind, normalize_text(block.text)) for block in body]
        return parts


def corpus_id(value: str | int) -> str:
    """Return ``value`` if it is a corpus id (an integer: its digits), else a corpus id made from it.

    A made id is the slug of the value and a hash of it, so that distinct values stay distinct.
    """
    text = str(value)
    try:
        return _CORPUS_ID.validate_python(text)
    except ValidationError:
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]
        slug = slugify(text)
        return f"{slug}-{digest}" if slug else f"id-{digest}"


def validation_problems(error: ValidationError, file: str, line: int | None) -> list[Problem]:
    """Return the problems of a JSON object that is no raw article; an unknown key's names the accepted keys."""
    problems = problems_from_validation(error, file, line)
    for i, item in enumerate(error.errors(include_url=False)):
        if item["type"] == "extra_forbidden":
            model = BodyBlock if item["loc"][0] == "body" else JsonArticle
            message = unknown_key(str(item["loc"][-1]), list(model.model_fields)) + ", or removing it"
            if model is JsonArticle:
                message += "; or moving it into metadata, which keeps it in the raw file, not in the article"
            problems[i] = problems[i].model_copy(update={"message": message + "."})
    return problems
