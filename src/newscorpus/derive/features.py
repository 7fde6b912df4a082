"""Hugging Face ``Features`` and the Arrow schema, derived from the pydantic models.

Nothing here names a field: the mapping walks the model's annotations, so a
field added to :mod:`newscorpus.model.article` appears in every derived schema.
``Literal`` types become ``ClassLabel`` in the order they are declared (for
labels, the order of ``schemas/labels.yaml``).
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from collections.abc import Callable, Iterator, Sequence
from functools import cache
from typing import Any, TypeVar

import pyarrow as pa
from datasets import ClassLabel, Features, List, Value
from pydantic import AwareDatetime, BaseModel

from newscorpus.core.errors import SchemaError
from newscorpus.model.article import Article

TIMESTAMP = "timestamp[us, tz=UTC]"
R = TypeVar("R", bound=BaseModel)
_SCALARS: dict[Any, str] = {str: "string", int: "int32", bool: "bool", float: "float64"}


def feature_for(annotation: Any) -> Any:
    """Return the ``datasets`` feature for one field annotation."""
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
        return ClassLabel(names=[str(a) for a in args])
    if origin is list:
        return List(feature_for(args[0]))
    if annotation in (dt.datetime, AwareDatetime):
        return Value(TIMESTAMP)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return {name: feature_for(field.annotation) for name, field in annotation.model_fields.items()}
    if annotation in _SCALARS:
        return Value(_SCALARS[annotation])
    raise SchemaError(f"Cannot map {annotation!r} to a Hugging Face feature. Extend newscorpus.derive.features.")


@cache
def features_for(model: type[BaseModel]) -> Features:
    """Return the ``Features`` of a record model, one column per field."""
    return Features(feature_for(model))


def article_features() -> Features:
    """Return the ``Features`` of the ``documents`` config."""
    return features_for(Article)


@cache  # Features.arrow_schema is rebuilt on every access
def schema_for(model: type[BaseModel]) -> pa.Schema:
    """Return the Arrow schema of a record model, with its Features in the metadata."""
    return features_for(model).arrow_schema


def article_schema() -> pa.Schema:
    """Return the Arrow schema of the ``documents`` config, with the Features in its metadata."""
    return schema_for(Article)


def _decode(feature: Any, value: Any) -> Any:
    """Turn one encoded Arrow value back into the model's Python value (ClassLabel ids to names)."""
    if value is None:
        return None
    if isinstance(feature, ClassLabel):
        return feature.int2str(value)
    if isinstance(feature, List):
        return [_decode(feature.feature, v) for v in value]
    if isinstance(feature, dict):
        return {k: _decode(f, value[k]) for k, f in feature.items()}
    if isinstance(feature, Value) and feature.dtype == TIMESTAMP:
        return value.astimezone(dt.UTC)
    return value


def _identity(value: Any) -> Any:
    return value


def _encoder(feature: Any) -> Callable[[Any], Any]:
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


@cache
def row_encoder(model: type[BaseModel]) -> Callable[[BaseModel | dict[str, Any]], dict[str, Any]]:
    """Return the function that turns one record of ``model`` into an Arrow row."""
    return _encoder(dict(features_for(model)))


def record_batch(records: Sequence[BaseModel | dict[str, Any]], model: type[BaseModel] = Article) -> pa.RecordBatch:
    """Encode records of ``model`` (models, or dicts of their shape) as one Arrow record batch of its schema."""
    encode = row_encoder(model)
    return pa.RecordBatch.from_pylist([encode(r) for r in records], schema=schema_for(model))


def records_from_batch(batch: pa.RecordBatch | pa.Table, model: type[R]) -> Iterator[R]:
    """Decode Arrow rows of ``model``'s schema back into validated records."""
    features = features_for(model)
    for row in batch.to_pylist():
        yield model.model_validate({k: _decode(features[k], v) for k, v in row.items()})


def articles_from_batch(batch: pa.RecordBatch | pa.Table) -> Iterator[Article]:
    """Decode Arrow rows of the ``documents`` schema back into validated articles."""
    return records_from_batch(batch, Article)
