"""Writes that a crash or a kill cannot leave half done: write a temp file, then rename."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path


def default_mode(directory: bool = False) -> int:
    """Return the mode a new file (or folder) gets under the current umask; mkstemp would make it private."""
    umask = os.umask(0)
    os.umask(umask)
    return (0o777 if directory else 0o666) & ~umask


@contextmanager
def atomic_path(path: Path, *, durable: bool = True) -> Iterator[Path]:
    """Yield a temp file beside ``path`` to write; it becomes ``path`` if the block ends well, else it is removed.

    ``durable`` syncs the data to disk before the rename, so a power cut cannot leave an empty
    file behind; a cache or a build's scratch file, whose loss costs only time, can skip that cost.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        if durable:
            fd = os.open(tmp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        tmp.chmod(default_mode())
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: Path, data: bytes | Iterable[bytes], *, durable: bool = True) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never a part.

    ``data`` may come in pieces, so that a large file is never held whole; ``durable`` as for ``atomic_path``.
    """
    with atomic_path(path, durable=durable) as tmp, tmp.open("wb") as handle:
        for piece in [data] if isinstance(data, bytes) else data:
            handle.write(piece)


def atomic_write_text(path: Path, text: str, *, durable: bool = True) -> None:
    """Write UTF-8 ``text`` to ``path`` atomically (see ``atomic_write_bytes``)."""
    atomic_write_bytes(path, text.encode("utf-8"), durable=durable)
