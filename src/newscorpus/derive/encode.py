"""Records of a model as Arrow data and back: what a release's rows are made of.

Models are encoded a column at a time (``record_table``): one ``pyarrow.array`` per field
for a whole job's records, where a row at a time cost a pydantic dump, a relabelling and a
dict per record. Dicts of a model's shape (a config may make its rows as dicts) are encoded a
row at a time (``row_encoder``). Both give the same Arrow data: a test holds them equal.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from functools import cache
from itertools import chain
from operator import attrgetter
from typing import Any, TypeVar

import numpy as np
import pyarrow as pa
from pydantic import BaseModel

from newscorpus.derive.features import TIMESTAMP, ClassLabel, Feature, List, Value, arrow_type, fields_for, schema_for
from newscorpus.model.article import Article

R = TypeVar("R", bound=BaseModel)
Column = Callable[[list[Any]], pa.Array]
"""What turns one field's values, of many records, into its Arrow array."""


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


def _column(feature: Feature) -> Column:
    """Compile what turns the values of one field of many models (models where the feature is a struct) into an array.

    None stays null at every level, as ``pyarrow`` makes it of a row's None.
    """
    kind = arrow_type(feature)
    if isinstance(feature, ClassLabel):
        ids: dict[str | None, int | None] = {None: None, **{name: i for i, name in enumerate(feature.names)}}
        return lambda values: pa.array(list(map(ids.__getitem__, values)), kind)
    if isinstance(feature, List):
        inner = _column(feature.feature)

        def column(values: list[Any]) -> pa.Array:
            nulls = [value is None for value in values]
            lists = [() if null else value for value, null in zip(values, nulls, strict=True)] if any(nulls) else values
            offsets = np.zeros(len(values) + 1, dtype=np.int32)
            np.cumsum(list(map(len, lists)), out=offsets[1:])
            mask = pa.array(nulls) if any(nulls) else None
            return pa.ListArray.from_arrays(offsets, inner(list(chain.from_iterable(lists))), type=kind, mask=mask)

        return column
    if isinstance(feature, dict):
        fields = [(attrgetter(name), _column(sub)) for name, sub in feature.items()]

        def struct(values: list[Any]) -> pa.Array:
            nulls = [value is None for value in values]
            if any(nulls):
                children = [make([None if v is None else get(v) for v in values]) for get, make in fields]
                return pa.StructArray.from_arrays(children, fields=list(kind), mask=pa.array(nulls))
            return pa.StructArray.from_arrays([make(list(map(get, values))) for get, make in fields], fields=list(kind))

        return struct
    return lambda values: pa.array(values, kind)


@cache
def _columns(model: type[BaseModel]) -> list[tuple[attrgetter[Any], Column]]:
    return [(attrgetter(name), _column(feature)) for name, feature in fields_for(model).items()]


def _arrays(records: Sequence[BaseModel], model: type[BaseModel]) -> list[pa.Array]:
    return [make(list(map(get, records))) for get, make in _columns(model)]


def record_table(records: Sequence[BaseModel], model: type[BaseModel] = Article) -> pa.Table:
    """Encode models of ``model`` as one Arrow table of its schema, a column at a time."""
    return pa.Table.from_arrays(_arrays(records, model), schema=schema_for(model))


@cache
def row_encoder(model: type[BaseModel]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Return the function that turns one dict of ``model``'s shape into an Arrow row (class names to ids)."""
    return _encoder(fields_for(model))


def record_batch(records: Sequence[BaseModel | dict[str, Any]], model: type[BaseModel] = Article) -> pa.RecordBatch:
    """Encode records of ``model`` (models, or dicts of their shape) as one Arrow record batch of its schema."""
    if all(isinstance(record, BaseModel) for record in records):
        return pa.RecordBatch.from_arrays(_arrays(records, model), schema=schema_for(model))  # type: ignore[arg-type]
    encode = row_encoder(model)
    return pa.RecordBatch.from_pylist([encode(r) for r in records], schema=schema_for(model))  # type: ignore[arg-type]


def records_from_batch(batch: pa.RecordBatch | pa.Table, model: type[R]) -> Iterator[R]:
    """Decode Arrow rows of ``model``'s schema back into validated records."""
    features = fields_for(model)
    for row in batch.to_pylist():
        yield model.model_validate({k: _decode(features[k], v) for k, v in row.items()})


def articles_from_batch(batch: pa.RecordBatch | pa.Table) -> Iterator[Article]:
    """Decode Arrow rows of the ``documents`` schema back into validated articles."""
    return records_from_batch(batch, Article)
