"""Hugging Face ``Features`` and the Arrow schema, derived from the pydantic models.

Nothing here names a field: the mapping walks the model's annotations, so a
field added to :mod:`newscorpus.article` appears in every derived schema.
``Literal`` types become ``ClassLabel`` in the order they are declared (for
labels, the order of ``schemas/labels.yaml``).
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from collections.abc import Iterator, Sequence
from functools import cache
from typing import Any, TypeVar

import pyarrow as pa
from datasets import ClassLabel, Features, List, Value
from pydantic import AwareDatetime, BaseModel

from newscorpus.article import Article
from newscorpus.errors import SchemaError

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
    raise SchemaError(f"Cannot map {annotation!r} to a Hugging Face feature. Extend newscorpus.features.")


@cache
def features_for(model: type[BaseModel]) -> Features:
    """Return the ``Features`` of a record model, one column per field."""
    return Features(feature_for(model))


def article_features() -> Features:
    """Return the ``Features`` of the ``documents`` config."""
    return features_for(Article)


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


def record_batch(records: Sequence[BaseModel], model: type[BaseModel] = Article) -> pa.RecordBatch:
    """Encode records of ``model`` as one Arrow record batch of its schema."""
    features = features_for(model)
    rows = [features.encode_example(r.model_dump()) for r in records]
    return pa.RecordBatch.from_pylist(rows, schema=schema_for(model))


def records_from_batch(batch: pa.RecordBatch | pa.Table, model: type[R]) -> Iterator[R]:
    """Decode Arrow rows of ``model``'s schema back into validated records."""
    features = features_for(model)
    for row in batch.to_pylist():
        yield model.model_validate({k: _decode(features[k], v) for k, v in row.items()})


def articles_from_batch(batch: pa.RecordBatch | pa.Table) -> Iterator[Article]:
    """Decode Arrow rows of the ``documents`` schema back into validated articles."""
    return records_from_batch(batch, Article)
