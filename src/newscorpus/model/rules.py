"""Declared rules: every pydantic validator of a record model, with a version the schema snapshot records.

A JSON Schema cannot say what a custom validator checks, so each validator declares it::

    @model_validator(mode="after")
    @rule(version=2, loosens=1)
    def _dates_in_range(self) -> Article: ...

The snapshot records each rule's version, its declared loosening and a fingerprint: a hash of its
normalised syntax tree and of the project functions and constants it names (so neither formatting,
comments, docstrings nor the wording of what it raises count, and a changed ``LATEST`` year does).
``newscorpus schema check`` then sees a rule change like a field change.
"""

from __future__ import annotations

import ast
import hashlib
import inspect
import re
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar, get_args

from pydantic import BaseModel

from newscorpus.core.errors import SchemaError

F = TypeVar("F", bound=Callable[..., Any])
_DECLARED = "__newscorpus_rule__"
# Fields that say how the code was written (or that one Python version has and another lacks), not what it does;
# type hints too, which postponed evaluation never runs.
_NOT_SEMANTIC = frozenset({"ctx", "type_comment", "kind", "type_params", "annotation", "returns"})


@dataclass(frozen=True)
class Declared:
    """What a validator declares: its rule version, and the version of it this one accepts everything of."""

    version: int
    loosens: int | None


def rule(version: int, loosens: int | None = None) -> Callable[[F], F]:
    """Declare a validator's rule version; put it under ``@model_validator`` or ``@field_validator``.

    Bump ``version`` whenever what the rule accepts may change. ``loosens=N`` declares that this version
    accepts everything version N accepted (0: before the rule existed, for a check moved here from another
    rule), so ``schema check`` asks for a minor bump, not a major one.
    """
    if version < 1 or (loosens is not None and not 0 <= loosens < version):
        raise SchemaError(
            f"@rule(version={version}, loosens={loosens}): a version counts from 1, and loosens names an earlier one."
        )

    def declare(func: F) -> F:
        setattr(func, _DECLARED, Declared(version, loosens))
        return func

    return declare


def _canonical(node: object) -> str:
    if isinstance(node, ast.Raise):
        return "Raise()"  # what a rule says when it rejects is its message, not its rule
    if isinstance(node, ast.AST):
        fields = (
            f"{name}={_canonical(value)}"
            for name, value in ast.iter_fields(node)
            if name not in _NOT_SEMANTIC and value is not None and value != []
        )
        return f"{type(node).__name__}({','.join(fields)})"
    if isinstance(node, list):
        return "[" + ",".join(_canonical(item) for item in node) + "]"
    return repr(node)


def _constant(value: object) -> str | None:
    """Return a stable text of a constant a rule names, or None for anything else (a module, a class)."""
    if isinstance(value, re.Pattern):
        return f"re({value.pattern!r}, {value.flags})"
    if value is None or isinstance(value, bool | int | float | str | bytes):
        return repr(value)
    if isinstance(value, tuple | list | frozenset | set):
        texts = [text for item in value if (text := _constant(item)) is not None]
        if len(texts) != len(value):
            return None
        return "(" + ",".join(texts if isinstance(value, tuple | list) else sorted(texts)) + ")"
    return None


def _parts(func: Callable[..., Any], seen: set[str]) -> Iterator[str]:
    """Yield the canonical text of ``func`` and of every function of its package and constant it names."""
    seen.add(f"{func.__module__}.{func.__qualname__}")
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(func))).body[0]
    except (OSError, TypeError, SyntaxError) as exc:
        raise SchemaError(
            f"Cannot read the source of {func.__qualname__}: {exc}. Try reinstalling newscorpus."
        ) from exc
    if not isinstance(tree, ast.FunctionDef):
        raise SchemaError(f"{func.__qualname__} is not a plain function; a rule must be one.")
    body = tree.body[1:] if ast.get_docstring(tree) is not None else tree.body
    yield _canonical(tree.args) + _canonical(body)
    names = {n.id for node in (tree.args, *body) for n in ast.walk(node) if isinstance(n, ast.Name)}
    for name in sorted(names & func.__globals__.keys()):
        value = func.__globals__[name]
        if inspect.isfunction(value) and value.__module__.split(".")[0] == func.__module__.split(".")[0]:
            if f"{value.__module__}.{value.__qualname__}" not in seen:
                yield f"{name}=def"
                yield from _parts(value, seen)
        elif (text := _constant(value)) is not None:
            yield f"{name}={text}"


def fingerprint(func: Callable[..., Any]) -> str:
    """Return a hash of what ``func`` checks: its normalised syntax tree, and the functions and constants it names."""
    return hashlib.sha256("\n".join(_parts(func, set())).encode("utf-8")).hexdigest()[:16]


def _models(model: type[BaseModel]) -> list[type[BaseModel]]:
    """Return ``model`` and every model nested in its fields, each once, in field order."""
    found: list[type[BaseModel]] = []

    def visit(annotation: object) -> None:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if annotation not in found:
                found.append(annotation)
                for field in annotation.model_fields.values():
                    visit(field.annotation)
        else:
            for arg in get_args(annotation):
                visit(arg)

    visit(model)
    return found


def rules_of(model: type[BaseModel]) -> dict[str, dict[str, Any]]:
    """Return the rules of ``model`` and of the models nested in it, as ``Owner.name``: version, loosens, fingerprint.

    Raises ``SchemaError`` for a validator that declares no rule: it would be invisible to ``schema check``.
    """
    rules: dict[str, dict[str, Any]] = {}
    for nested in _models(model):
        infos = nested.__pydantic_decorators__
        for decorators in (infos.model_validators, infos.field_validators, infos.validators, infos.root_validators):
            for decorator in decorators.values():
                func = inspect.unwrap(getattr(decorator.func, "__func__", decorator.func))
                name = decorator.cls_var_name
                owner = next(c.__name__ for c in nested.__mro__ if name in vars(c))
                declared: Declared | None = getattr(func, _DECLARED, None)
                if declared is None:
                    raise SchemaError(
                        f"The validator {owner}.{name} declares no rule version, so `newscorpus schema check` "
                        "cannot see it change. Try `@rule(version=1)` (from newscorpus.model.rules) under its "
                        "pydantic decorator."
                    )
                rules[f"{owner}.{name.lstrip('_')}"] = {
                    "version": declared.version,
                    "loosens": declared.loosens,
                    "fingerprint": fingerprint(func),
                }
    return rules
