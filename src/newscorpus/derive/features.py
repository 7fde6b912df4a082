"""Hugging Face ``Features`` and the Arrow schema, derived from the pydantic models.

Nothing here names a field: the mapping walks the model's annotations, so a
field added to :mod:`newscorpus.model.article` appears in every derived schema.
``Literal`` types become ``ClassLabel`` in the order they are declared (for
labels, the order of ``schemas/labels.yaml``).

The mapping yields small feature types of its own (``Value``, ``ClassLabel``, ``List``,
and dicts of them), which know their Arrow type and their ``datasets`` dict: a build
writes its schema without importing ``datasets``, seconds of every build's start-up.
``features_for`` makes the ``datasets.Features`` from them where one is wanted
(cards, snapshots); a test holds both to the same Arrow schema, metadata included.
"""

from __future__ import annotations

import datetime as dt
import json
import types
import typing
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

import pyarrow as pa
from pydantic import AwareDatetime, BaseModel

from newscorpus.core.errors import SchemaError
from newscorpus.model.article import Article

if TYPE_CHECKING:
    from datasets import Features

TIMESTAMP = "timestamp[us, tz=UTC]"
R = TypeVar("R", bound=BaseModel)
_SCALARS: dict[Any, str] = {str: "string", int: "int32", bool: "bool", float: "float64"}
_ARROW: dict[str, pa.DataType] = {
    "string": pa.string(),
    "int8": pa.int8(),
    "int32": pa.int32(),
    "bool": pa.bool_(),
    "float64": pa.float64(),
    TIMESTAMP: pa.timestamp("us", tz="UTC"),
}


@dataclass(frozen=True)
class Value:
    """A scalar column, as ``datasets.Value``."""

    dtype: str


@dataclass(frozen=True)
class ClassLabel:
    """A label stored as its index among ``names`` (int64), as ``datasets.ClassLabel``."""

    names: tuple[str, ...]

    def str2int(self, name: str) -> int:
        """Return the index ``name`` is stored as."""
        return self.names.index(name)


@dataclass(frozen=True)
class List:
    """A list of ``feature``, as ``datasets.List``."""

    feature: Feature


Feature: TypeAlias = Value | ClassLabel | List | dict[str, "Feature"]
"""A column's type: a scalar, a label, a list, or a struct of named features."""


def feature_for(annotation: Any) -> Feature:
    """Return the feature for one field annotation."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return feature_for(args[0])
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        if len(inner) != 1:
            raise SchemaError(f"Cannot map the union {annotation} to a feature; use X | None.")
        return feature_for(inner[0])
    if origin is typing.Literal:
        if all(isinstance(a, int) and not isinstance(a, bool) for a in args):
            return Value("int8")
        return ClassLabel(tuple(str(a) for a in args))
    if origin is list:
        return List(feature_for(args[0]))
    if annotation in (dt.datetime, AwareDatetime):
        return Value(TIMESTAMP)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return fields_for(annotation)
    if annotation in _SCALARS:
        return Value(_SCALARS[annotation])
    raise SchemaError(f"Cannot map {annotation!r} to a Hugging Face feature. Extend newscorpus.derive.features.")


@cache
def fields_for(model: type[BaseModel]) -> dict[str, Feature]:
    """Return the feature of each field of a record model, one column per field."""
    return {name: feature_for(field.annotation) for name, field in model.model_fields.items()}


def feature_dict(feature: Feature) -> Any:
    """Return ``feature`` as ``datasets`` writes it (``Features.to_dict``): what a schema's metadata holds."""
    if isinstance(feature, Value):
        return {"dtype": feature.dtype, "_type": "Value"}
    if isinstance(feature, ClassLabel):
        return {"names": list(feature.names), "_type": "ClassLabel"}
    if isinstance(feature, List):
        return {"feature": feature_dict(feature.feature), "_type": "List"}
    return {name: feature_dict(sub) for name, sub in feature.items()}


def arrow_type(feature: Feature) -> pa.DataType:
    """Return the Arrow type ``datasets`` stores ``feature`` as."""
    if isinstance(feature, Value):
        return _ARROW[feature.dtype]
    if isinstance(feature, ClassLabel):
        return pa.int64()
    if isinstance(feature, List):
        return pa.list_(arrow_type(feature.feature))
    return pa.struct([pa.field(name, arrow_type(sub)) for name, sub in feature.items()])


@cache
def features_for(model: type[BaseModel]) -> Features:
    """Return the ``datasets.Features`` of a record model, one column per field (imports ``datasets``)."""
    from datasets import Features

    return Features.from_dict(feature_dict(fields_for(model)))


def article_features() -> Features:
    """Return the ``Features`` of the ``documents`` config."""
    return features_for(Article)


@cache
def schema_for(model: type[BaseModel]) -> pa.Schema:
    """Return the Arrow schema of a record model, with its Features in the metadata, as ``datasets`` writes it."""
    fields = fields_for(model)
    metadata = json.dumps({"info": {"features": feature_dict(fields)}})
    return pa.schema([pa.field(name, arrow_type(f)) for name, f in fields.items()]).with_metadata(
        {"huggingface": metadata}
    )


def article_schema() -> pa.Schema:
    """Return the Arrow schema of the ``documents`` config, with the Features in its metadata."""
    return schema_for(Article)


def _decode(feature: Any, value: Any) -> Any:
    """Turn one encoded Arrow value back into the model's Python value (ClassLabel ids to names)."""
    if value is None:
        return None
    if isinstance(feature, ClassLabel):
        return feature.names[value]
    if isinstance(feature, List):
        return [_decode(feature.feature, v) for v in value]
    if isinstance(feature, dict):
        return {k: _decode(f, value[k]) for k, f in feature.items()}
    if isinstance(feature, Value) and feature.dtype == TIMESTAMP:
        return value.astimezone(dt.UTC)
    return value


def _identity(value: Any) -> Any:
    return value


def _encoder(feature: Feature) -> Callable[[Any], Any]:
    """Compile what ``Features.encode_example`` does for one feature into a closure.

    The generic ``encode_example`` walks the Features for every row and dominated build time;
    this walks them once. Values may be models (read by attribute) or dicts (read by key).
    """
    if isinstance(feature, ClassLabel):
        ids = {name: i for i, name in enumerate(feature.names)}
        return lambda value: None if value is None else ids[value]
    if isinstance(feature, List):
        if isinstance(feature.feature, ClassLabel):  # tag lists: one C-level lookup per token
            lookup = {name: i for i, name in enumerate(feature.feature.names)}.__getitem__
            return lambda value: None if value is None else list(map(lookup, value))
        inner = _encoder(feature.feature)
        if inner is _identity:
            return lambda value: None if value is None else list(value)
        return lambda value: None if value is None else [inner(item) for item in value]
    if isinstance(feature, dict):
        fields = [(name, _encoder(sub)) for name, sub in feature.items()]
        plain = all(enc is _identity for _, enc in fields)

        def encode(value: Any) -> Any:
            if plain and isinstance(value, dict):
                return value  # already the stored shape: rebuilding it per token would dominate
            if value is None:
                return None
            if isinstance(value, dict):
                return {name: enc(value.get(name)) for name, enc in fields}
            return {name: enc(getattr(value, name)) for name, enc in fields}

        return encode
    return _identity


def _relabeller(feature: Feature) -> Callable[[Any], Any] | None:
    """Compile what turns a ``model_dump`` of ``feature`` into its Arrow row (class names to ids), in place.

    None where the dump is the row already: only the paths to a ``ClassLabel`` are walked.
    """
    if isinstance(feature, ClassLabel) or (isinstance(feature, List) and isinstance(feature.feature, ClassLabel)):
        return _encoder(feature)
    if isinstance(feature, List):
        inner = _relabeller(feature.feature)
        return None if inner is None else lambda value: None if value is None else [inner(item) for item in value]
    if isinstance(feature, dict):
        fixes = [(name, fix) for name, sub in feature.items() if (fix := _relabeller(sub)) is not None]
        if not fixes:
            return None

        def relabel(value: Any) -> Any:
            if value is not None:
                for name, fix in fixes:
                    value[name] = fix(value[name])
            return value

        return relabel
    return None


@cache
def row_encoder(model: type[BaseModel]) -> Callable[[BaseModel | dict[str, Any]], dict[str, Any]]:
    """Return the function that turns one record of ``model`` into an Arrow row.

    A model is dumped by pydantic (in Rust: a third of the time of walking its fields here)
    and only its class names are turned into ids; a dict of its shape is encoded field by field.
    """
    features = fields_for(model)
    from_dict, relabel = _encoder(features), _relabeller(features) or _identity

    def encode(record: BaseModel | dict[str, Any]) -> dict[str, Any]:
        if isinstance(record, BaseModel):
            return relabel(record.model_dump())  # type: ignore[no-any-return]
        return from_dict(record)  # type: ignore[no-any-return]

    return encode


def record_batch(records: Sequence[BaseModel | dict[str, Any]], model: type[BaseModel] = Article) -> pa.RecordBatch:
    """Encode records of ``model`` (models, or dicts of their shape) as one Arrow record batch of its schema."""
    encode = row_encoder(model)
    return pa.RecordBatch.from_pylist([encode(r) for r in records], schema=schema_for(model))


def records_from_batch(batch: pa.RecordBatch | pa.Table, model: type[R]) -> Iterator[R]:
    """Decode Arrow rows of ``model``'s schema back into validated records."""
    features = fields_for(model)
    for row in batch.to_pylist():
        yield model.model_validate({k: _decode(features[k], v) for k, v in row.items()})


def articles_from_batch(batch: pa.RecordBatch | pa.Table) -> Iterator[Article]:
    """Decode Arrow rows of the ``documents`` schema back into validated articles."""
    return records_from_batch(batch, Article)
