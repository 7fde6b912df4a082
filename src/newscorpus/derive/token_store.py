"""The token cache on disk: append-only segment files, one pair per writing process, safe on a shared filesystem.

Each process that stores an entry appends to a segment of its own, named by host, process and a
random tag, so no two writers ever share a file: processes on one machine or on several machines
over a shared filesystem write at once without locks. A segment is two files:

- ``NAME.dat``: the entries, one after the other: a 16-byte BLAKE2b digest of key and payload, then
  the payload (the sentences as one array of 16-bit offsets mostly: see ``encode``);
- ``NAME.idx``: fixed 44-byte records ``key (32 bytes) | offset (8) | length (4)`` into ``NAME.dat``,
  appended after the entry itself.

A reader loads every ``.idx`` into memory once per process (44 bytes an entry), and again on a miss,
reading only what was appended since. A ``get`` is one positioned read and a digest check: an entry that
a crash, a power cut or a half-synced shared filesystem left torn or zero-filled fails the check and is a
miss, never a wrong answer; so is an index record whose entry never reached the disk, and a trailing part
of an index record is not read until it is whole.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import socket
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

Sentence = list[tuple[int, int]]
FORMAT = "segments-1"
"""The folder of this layout inside the cache folder: a new layout gets a new folder and ignores the old."""
_INDEX = struct.Struct("<32sQI")
_OFFSETS = 1 << 63
"""File offsets are below this (a signed 64-bit ``off_t``): a record beyond it is damaged and left out."""
_DIGEST = 16
_TYPES: dict[str, np.dtype[np.unsignedinteger]] = {"H": np.dtype("<u2"), "I": np.dtype("<u4"), "Q": np.dtype("<u8")}
"""The types of a payload's numbers by type code: little-endian on every machine sharing the cache."""


def _digest(key: bytes, payload: bytes) -> bytes:
    return hashlib.blake2b(payload, digest_size=_DIGEST, key=key).digest()


@dataclass(frozen=True, slots=True, eq=False)
class Sentences:
    """Sentences as flat arrays: how many tokens each has, then every token's start and end offsets, in order.

    A build takes a text's tokens whole into Arrow columns, so they stay arrays from the cache to the release.
    """

    lengths: npt.NDArray[np.int64]
    starts: npt.NDArray[np.int64]
    ends: npt.NDArray[np.int64]

    @classmethod
    def of(cls, found: list[Sentence]) -> Sentences:
        """Return ``found``, a list of sentences of ``(start, end)`` tokens, as arrays."""
        flat = np.array([offset for sentence in found for token in sentence for offset in token], np.int64)
        return cls(np.array([len(sentence) for sentence in found], np.int64), flat[0::2], flat[1::2])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sentences) and all(
            np.array_equal(getattr(self, name), getattr(other, name)) for name in ("lengths", "starts", "ends")
        )

    __hash__ = None  # type: ignore[assignment]  # equal by value, and mutable arrays


def encode(found: Sentences) -> bytes:
    """Return sentences as bytes: a type code, the sentence count, their token counts, then every token's offsets.

    All numbers in one array of the smallest type that holds them: 16 bits for a text under 64 Ki characters.
    """
    values = np.empty(len(found.lengths) + 2 * len(found.starts), np.int64)
    values[: len(found.lengths)] = found.lengths
    values[len(found.lengths) :: 2] = found.starts
    values[len(found.lengths) + 1 :: 2] = found.ends
    top = int(values.max(initial=0))
    code = "H" if top < 1 << 16 else "I" if top < 1 << 32 else "Q"
    return code.encode() + struct.pack("<I", len(found.lengths)) + values.astype(_TYPES[code]).tobytes()


def decode(payload: bytes) -> Sentences:
    """Return the sentences ``encode`` made ``payload`` of; raise ValueError if it is not such bytes."""
    if len(payload) < 5 or chr(payload[0]) not in _TYPES:
        raise ValueError("not an entry: too short, or an unknown type code")
    (count,) = struct.unpack_from("<I", payload, 1)
    values = np.frombuffer(payload, _TYPES[chr(payload[0])], offset=5).astype(np.int64)  # raises on a torn number
    lengths = values[:count]
    if len(lengths) != count or 2 * int(lengths.sum()) != len(values) - count:
        raise ValueError("token counts do not match the tokens")
    return Sentences(lengths, values[count::2], values[count + 1 :: 2])


class SegmentStore:
    """Entries by 32-byte key in the segments of one folder; this process appends to a segment of its own."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.pid = os.getpid()
        self._index: dict[bytes, tuple[int, int, int]] = {}  # key: (segment number, offset, length)
        self._segments: list[str] = []  # segment names by number
        self._numbers: dict[str, int] = {}
        self._read: dict[str, int] = {}  # bytes of each segment's .idx read so far
        self._fds: dict[int, int] = {}
        self._writer: tuple[int, int, int, int] | None = None  # segment number, .dat fd, .idx fd, .dat size
        self.refresh()

    def refresh(self) -> None:
        """Read what every segment's index gained since the last refresh (whole records only)."""
        try:
            found = sorted((e.name, e.stat().st_size) for e in os.scandir(self.folder) if e.name.endswith(".idx"))
        except FileNotFoundError:
            return
        for name, size in found:
            stem = name.removesuffix(".idx")
            number = self._number(stem)
            done = self._read[stem]
            if size - done < _INDEX.size:  # nothing new (a miss looks again, so most looks find nothing)
                continue
            try:
                with (self.folder / name).open("rb") as handle:
                    handle.seek(done)
                    data = handle.read()
            except FileNotFoundError:
                continue
            whole = len(data) - len(data) % _INDEX.size
            for key, offset, length in _INDEX.iter_unpack(data[:whole]):
                if offset < _OFFSETS:  # else a flipped bit: no read could reach it, and pread would raise
                    self._index.setdefault(key, (number, offset, length))
            self._read[stem] = done + whole

    def _number(self, stem: str) -> int:
        """Return the number of segment ``stem``, giving it the next one if it is new."""
        if stem not in self._numbers:
            self._numbers[stem] = len(self._segments)
            self._segments.append(stem)
            self._read[stem] = 0
        return self._numbers[stem]

    def get(self, key: bytes) -> bytes | None:
        """Return the payload stored under ``key``, or None if there is none or it does not check out."""
        where = self._index.get(key)
        if where is None:
            return None
        number, offset, length = where
        try:
            fd = self._fds.get(number)
            if fd is None:
                fd = self._fds[number] = os.open(self.folder / f"{self._segments[number]}.dat", os.O_RDONLY)
            data = os.pread(fd, length, offset)
        except OSError:
            return None
        digest, payload = data[:_DIGEST], data[_DIGEST:]
        if len(data) != length or _digest(key, payload) != digest:
            return None
        return payload

    def put(self, key: bytes, payload: bytes) -> None:
        """Append ``payload`` under ``key`` to this process's segment: first the entry, then its index record.

        If a write fails (a full disk), the segment is given up and the next entry starts a new one: what the
        failed write left is never read back, since its digest cannot match.
        """
        if self._writer is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            stem = f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(4)}"
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND
            dat = os.open(self.folder / f"{stem}.dat", flags, 0o666)
            idx = os.open(self.folder / f"{stem}.idx", flags, 0o666)
            self._writer = (self._number(stem), dat, idx, 0)
        number, dat, idx, size = self._writer
        entry = _digest(key, payload) + payload
        try:
            _write_all(dat, entry)
            _write_all(idx, _INDEX.pack(key, size, len(entry)))
        except OSError:
            self._close_writer()
            raise
        self._writer = (number, dat, idx, size + len(entry))
        self._read[self._segments[number]] += _INDEX.size  # written here, so never read back
        self._index.setdefault(key, (number, size, len(entry)))

    def writes_to_missing_segment(self) -> bool:
        """Whether this process's segment was removed (the cache folder was cleared) since it was opened."""
        return self._writer is not None and not (self.folder / f"{self._segments[self._writer[0]]}.dat").exists()

    def _close_writer(self) -> None:
        if self._writer is not None:
            os.close(self._writer[1])
            os.close(self._writer[2])
            self._writer = None

    def close(self) -> None:
        """Close every file this store holds open."""
        for fd in self._fds.values():
            os.close(fd)
        self._fds = {}
        self._close_writer()


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
