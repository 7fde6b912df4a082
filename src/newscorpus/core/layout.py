"""Folder layouts as tables: a class over a folder declares each path in it once, as one line.

``log = Part("server.log", "The server's output.")`` on a class with a ``root`` gives
``obj.log == obj.root / "server.log"``: the layout reads as a table, not as one
property per path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol, overload


class Rooted(Protocol):
    """Anything with a folder ``root``: the owner of :class:`Part` paths."""

    @property
    def root(self) -> Path:
        """The folder the parts are in."""
        ...


class Part:
    """A path at a fixed place below its owner's ``root``, with a docstring saying what it holds."""

    def __init__(self, relative: str, doc: str) -> None:
        self.relative = relative
        self.__doc__ = doc

    @overload
    def __get__(self, owner: None, owner_type: type[Any]) -> Part: ...

    @overload
    def __get__(self, owner: Rooted, owner_type: type[Any] | None = None) -> Path: ...

    def __get__(self, owner: Rooted | None, owner_type: type[Any] | None = None) -> Part | Path:
        # On the class itself (help(), documentation tools), the part describes itself.
        return self if owner is None else owner.root / self.relative
