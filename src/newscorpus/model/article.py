r"""The corpus record models: the single source of truth of the schema.

The Arrow schema, the Hugging Face ``Features``, the JSON Schema snapshots in
``schemas/`` and the Label Studio config are all derived from these models.

Offset rule: every ``start``/``end`` counts Python code points over ``text``,
which is NFC with ``\\n`` newlines; every span satisfies
``text[start:end] == span.text``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import UTC
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from newscorpus.core.codes import Code, CodedValueError
from newscorpus.core.offsets import sha256_text, span_problem
from newscorpus.model.label_types import EntityLabel, Topic
from newscorpus.model.rules import rule

OFFSET_RULE = (
    "Offsets count Python code points over `text`, which is NFC with `\\n` newlines; "
    "every span satisfies text[start:end] == span text."
)
MAX_TEXT_CHARS = 2 * 1024 * 1024
"""An article's text may hold at most this many code points (2 Mi); a longer one is rejected."""
_C0_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

BlockKind = Literal["kicker", "headline", "lead", "caption", "credit", "subheading", "paragraph"]
Split = Literal["train", "validation", "test"]
LayerStatus = Literal["none", "gold", "needs_review", "needs_adjudication"]
"""How far one annotation layer of an article got: none (nobody annotated it), gold, or held back for a person."""
LayerName = Literal["entities", "topic"]
LAYERS: tuple[LayerName, ...] = ("entities", "topic")
"""The annotation layers: each has its own status, because one annotation may fill one and not the other."""
ArticleId = Annotated[
    str,
    Field(
        pattern=r"^[a-z0-9][a-z0-9._-]{0,159}$",
        description="Stable id, derived from the raw file's name or the article's URL, never from its text.",
    ),
]
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
INT32_MAX = 2**31 - 1
"""Whole numbers are stored as Arrow int32: the models refuse what it cannot hold."""
Offset = Annotated[int, Field(ge=0, le=INT32_MAX, description=OFFSET_RULE)]
EARLIEST, LATEST = 1800, 2200
"""Dates outside these years are refused: in UTC they may leave what Python's datetime can hold."""


def _parseable_url(url: str) -> bool:
    try:
        return bool(urlsplit(url).hostname)
    except ValueError:
        return False


class Record(BaseModel):
    """Base of every record: strict types, no unknown fields, immutable."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class Block(Record):
    """A stand-off structural block of the text: ``text[start:end]`` is the block."""

    kind: BlockKind
    start: Offset
    end: Offset


class Entity(Record):
    """A gold named-entity span over the article text."""

    start: Offset
    end: Offset
    label: EntityLabel = Field(description="A NoSta-D label from schemas/labels.yaml.")
    level: Literal[0, 1] = Field(0, description="Nesting level: 0 outer, 1 inner (GermEval 2014 nests two).")
    text: str = Field(description="The covered text; always equal to text[start:end] of the article.")


class Layer(Record):
    """Where one annotation layer of an article (its entities, or its topic) came from and how far it got."""

    status: LayerStatus = Field(
        "none",
        description="none: nobody annotated this layer, so its emptiness means nothing; gold: checked by a person "
        "or imported from a gold corpus (an empty gold layer means: there is none); needs_review, "
        "needs_adjudication: annotated, but held back until a person decides.",
    )
    source: str | None = Field(None, description="label-studio, or the public corpus the gold was imported from.")
    annotators: list[str] = Field(default_factory=list, description="Pseudonymous annotator ids.")
    annotated_at: AwareDatetime | None = None


class Annotation(Record):
    """The status of each annotation layer: the entities and the topic are annotated, and gold, separately."""

    entities: Layer = Field(default_factory=Layer, description="The entity layer: `entities` of the article.")
    topic: Layer = Field(default_factory=Layer, description="The topic layer: `topic` of the article.")


class Article(Record):
    """One news article: its text, its structure, its metadata and its gold."""

    id: ArticleId
    split: Split = Field(description="train, validation or test: a fixed function of the id (80/10/10).")
    source: str | None = Field(None, description="The outlet, if known (t-online, DER STANDARD).")
    url: str | None = Field(None, pattern=r"^https?://\S+$", description="Where the article was published.")
    agency: str | None = Field(None, description="News agency named in the byline (dpa, AFP).")
    authors: list[str] = Field(default_factory=list, description="Authors named in the byline.")
    published_at: AwareDatetime | None = Field(None, description="First publication; stored in UTC.")
    updated_at: AwareDatetime | None = Field(None, description="Last update; stored in UTC.")
    language: str = Field("de", pattern=r"^de$", description="ISO 639-1 code; always de.")
    reading_time_minutes: int | None = Field(None, ge=0, le=INT32_MAX, description="Reading time the outlet states.")
    license: str = Field(min_length=1, description="SPDX id, or LicenseRef-… for a custom licence.")
    redistributable: bool = Field(description="Whether the licence allows sharing the full text.")
    text: str = Field(
        min_length=1,
        max_length=MAX_TEXT_CHARS,
        description="Everything annotators see, blocks separated by a blank line. " + OFFSET_RULE,
    )
    blocks: list[Block] = Field(description="Stand-off structure: kicker, headline, lead, caption, credit, …")
    pretokenized: bool = Field(
        False, description="The text is tokens joined by single spaces (a GermEval import); the ner config keeps them."
    )
    entities: list[Entity] = Field(default_factory=list, description="Gold named-entity spans (NoSta-D labels).")
    topic: Topic | None = Field(None, description="Gold topic: a 10kGNAD class, or none.")
    annotation: Annotation = Field(
        default_factory=Annotation, description="Per layer (entities, topic): its status and where it came from."
    )
    raw_file: str = Field(description="The raw file, relative to the corpus folder, with / separators.")
    raw_line: int | None = Field(None, ge=1, le=INT32_MAX, description="Line of the record in a multi-record raw file.")
    raw_encoding: str = Field(description="The encoding the raw file was decoded from.")
    raw_sha256: Sha256 = Field(description="sha256 of the raw bytes: the file, or the line of a JSONL file.")
    text_sha256: Sha256 = Field(description="sha256 of `text` as UTF-8.")
    cluster_id: str | None = Field(
        None,
        description="Set by a release: the id of the first article of its near-duplicate cluster (its own id if none).",
    )

    # One validator per rule, in the order they run: the first that fails is the error. Each declares its rule
    # version, which the schema snapshot records (newscorpus.model.rules).
    @model_validator(mode="after")
    @rule(version=1)
    def _text_is_nfc(self) -> Article:
        if not unicodedata.is_normalized("NFC", self.text):
            raise CodedValueError(Code.TEXT_NOT_NFC, "text is not NFC")
        return self

    @model_validator(mode="after")
    @rule(version=1)
    def _newlines_are_lf(self) -> Article:
        if "\r" in self.text:
            raise CodedValueError(Code.TEXT_CARRIAGE_RETURN, "text holds a \\r; newlines must be \\n")
        return self

    @model_validator(mode="after")
    @rule(version=1)
    def _no_control_characters(self) -> Article:
        if control := _C0_CONTROLS.search(self.text):
            raise CodedValueError(
                Code.TEXT_CONTROL_CHAR,
                f"text holds the control character U+{ord(control.group()):04X} at {control.start()}",
            )
        return self

    @model_validator(mode="after")
    @rule(version=1)
    def _text_sha256_matches(self) -> Article:
        if sha256_text(self.text) != self.text_sha256:
            raise CodedValueError(Code.TEXT_SHA256_MISMATCH, "text_sha256 is not the sha256 of text")
        return self

    @model_validator(mode="after")
    @rule(version=1)
    def _blocks_are_ordered_spans(self) -> Article:
        previous_end = 0
        for i, block in enumerate(self.blocks):
            if problem := span_problem(self.text, block.start, block.end):
                raise CodedValueError(Code.BLOCK_OUT_OF_BOUNDS, f"blocks[{i}]: {problem}")
            if block.start < previous_end:
                raise CodedValueError(
                    Code.BLOCK_OUT_OF_ORDER, f"blocks[{i}] overlaps the block before it or is out of order"
                )
            previous_end = block.end
        return self

    @model_validator(mode="after")
    @rule(version=1)
    def _entities_match_text(self) -> Article:
        """Every entity is a span of the text with its text, and no two are the same span."""
        seen: set[tuple[int, int, str, int]] = set()
        for i, entity in enumerate(self.entities):
            if problem := span_problem(self.text, entity.start, entity.end, entity.text):
                # The bounds alone tell offsets outside the text from a text that is not the slice. Asked inside the
                # raise, which the rule's fingerprint leaves out: which code a problem gets is no part of the rule.
                raise CodedValueError(
                    Code.SPAN_OUT_OF_BOUNDS
                    if span_problem(self.text, entity.start, entity.end)
                    else Code.SPAN_OFFSET_MISMATCH,
                    f"entities[{i}]: {problem}",
                )
            key = (entity.start, entity.end, entity.label, entity.level)
            if key in seen:
                raise CodedValueError(Code.SPAN_DUPLICATE, f"entities[{i}] duplicates another span {key}")
            seen.add(key)
        return self

    @model_validator(mode="after")
    @rule(version=1)
    def _url_has_host(self) -> Article:
        if self.url is not None and not _parseable_url(self.url):
            raise CodedValueError(Code.URL_NO_HOST, f"url {self.url!r} is not a URL with a host")
        return self

    @model_validator(mode="after")
    @rule(version=1)
    def _dates_in_range(self) -> Article:
        for name in ("published_at", "updated_at"):
            value = getattr(self, name)
            if value is not None and not EARLIEST <= value.year <= LATEST:
                raise CodedValueError(
                    Code.DATE_OUT_OF_RANGE, f"{name} {value.isoformat()} is outside the years {EARLIEST}–{LATEST}"
                )
        return self

    @model_validator(mode="after")
    @rule(version=1)
    def _pretokenized_is_single_spaced(self) -> Article:
        text = self.text
        if self.pretokenized and (not text.strip() or "  " in text or text != text.strip() or "\n" in text):
            raise CodedValueError(
                Code.TEXT_NOT_PRETOKENIZED, "a pretokenized text must be tokens joined by single spaces"
            )
        return self

    @model_validator(mode="after")
    @rule(version=2, loosens=1)
    def _updated_not_before_published(self) -> Article:
        # In UTC: two datetimes of one tzinfo object compare by wall time, folds ignored, which put 02:10 CET
        # before 02:50 CEST on the night clocks go back (version 1 did).
        if (
            self.published_at
            and self.updated_at
            and self.updated_at.astimezone(UTC) < self.published_at.astimezone(UTC)
        ):
            raise CodedValueError(Code.DATE_UPDATED_BEFORE_PUBLISHED, "updated_at is before published_at")
        return self

    def with_layers(self, annotation: Annotation, values: Mapping[str, object]) -> Article:
        """Return this article with ``annotation`` and the layers' ``values`` (``entities``, ``topic``) in place.

        It accepts and refuses what validating the whole article again would, without running the rules of
        the text again: nothing they read changes. The values must be validated already, as the fields'
        types (``Entity`` instances, a ``Topic``), and so must ``annotation``; the rules that read a layer
        (``LAYER_RULES``) run here, in order, and the first that fails raises its ``CodedValueError``.
        """
        article = self.model_copy(update={**values, "annotation": annotation})
        for name in LAYER_RULES:
            getattr(article, name)()
        return article

    def block_text(self, kind: BlockKind) -> str | None:
        """Return the text of the first block of ``kind``, or None."""
        for block in self.blocks:
            if block.kind == kind:
                return self.text[block.start : block.end]
        return None

    @property
    def kicker(self) -> str | None:
        """The kicker (Dachzeile), a slice of ``text``."""
        return self.block_text("kicker")

    @property
    def headline(self) -> str | None:
        """The headline, a slice of ``text``."""
        return self.block_text("headline")

    @property
    def lead(self) -> str | None:
        """The lead (teaser), a slice of ``text``."""
        return self.block_text("lead")


LAYER_RULES = ("_entities_match_text",)
"""The rules of ``Article`` that read its layers (``entities``, ``topic``, ``annotation``), in the order they run;
every other rule reads only what a change of layers leaves as it was."""
