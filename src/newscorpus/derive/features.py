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
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, TypeAlias

import pyarrow as pa
from pydantic import AwareDatetime, BaseModel

from newscorpus.core.errors import SchemaError
from newscorpus.model.article import Article

if TYPE_CHECKING:
    from datasets import Features

TIMESTAMP = "timestamp[us, tz=UTC]"
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
