"""Bounded files of the role processes: the SIP trace and the log rotate at a size cap.

Every role configuration has the optional item ``"rotation": {"max_bytes": N, "backups": K}``
(default 64 MiB and 4). A file that would pass ``max_bytes`` with the next write is renamed
``<name>.1`` (an older ``<name>.1`` becomes ``<name>.2``, and so on; ``<name>.<K>`` is dropped) and a
new ``<name>`` is started, so a role keeps at most (K + 1) x N bytes of each. A single line longer
than ``max_bytes`` still goes whole into a file of its own.

A reader that remembers where a file ended (its inode and size) can follow the rotation: the file
with that inode is now one of the numbered ones, and everything after it is in the newer ones and in
``<name>`` (the lab does this, fixtures/lab/follow.py).

- :class:`RotatingFile` appends lines (the SIP traces of the core, the server and the client).
- :func:`install_log_rotation` makes the logging of a role rotate its stderr when the lab (or a
  shell) points stderr at a regular file: the file is renamed and a new one is put on descriptor 2.
"""
from __future__ import annotations

import logging
import os
import stat
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO

__all__ = ["Rotation", "RotationError", "RotatingFile", "UNBOUNDED", "install_log_rotation", "parse", "rotate_files"]

DEFAULT_MAX_BYTES = 64 * 1024 * 1024
DEFAULT_BACKUPS = 4
MIN_MAX_BYTES = 1024
MAX_MAX_BYTES = 1 << 40
MAX_BACKUPS = 100


class RotationError(ValueError):
    """The rotation item of a configuration is unusable; the message names it."""


@dataclass(frozen=True)
class Rotation:
    max_bytes: int = DEFAULT_MAX_BYTES
    backups: int = DEFAULT_BACKUPS
    bounded: bool = True  # False only under a fault that restores unbounded files

    def to_json(self) -> dict:
        return {"max_bytes": self.max_bytes, "backups": self.backups}


UNBOUNDED = Rotation(bounded=False)


def parse(value: object, where: str = "rotation") -> Rotation:
    """The ``rotation`` item of a role configuration (absent or null: the defaults)."""
    if value is None:
        return Rotation()
    if not isinstance(value, dict):
        raise RotationError(f"{where}: must be an object with max_bytes and/or backups")
    unknown = sorted(set(value) - {"max_bytes", "backups"})
    if unknown:
        raise RotationError(f"{where}.{unknown[0]}: unknown item (known: max_bytes, backups)")
    checked = {}
    for key, default, low, high in (("max_bytes", DEFAULT_MAX_BYTES, MIN_MAX_BYTES, MAX_MAX_BYTES),
                                    ("backups", DEFAULT_BACKUPS, 1, MAX_BACKUPS)):
        item = value.get(key, default)
        if isinstance(item, bool) or not isinstance(item, int) or not low <= item <= high:
            raise RotationError(f"{where}.{key}: must be an integer {low}..{high}")
        checked[key] = item
    return Rotation(**checked)


def rotate_files(path: Path, backups: int) -> None:
    """``path`` becomes ``path.1``, ``path.1`` becomes ``path.2``, ...; ``path.<backups>`` is replaced."""
    for index in range(backups - 1, 0, -1):
        older = path.with_name(f"{path.name}.{index}")
        if older.exists():
            os.replace(older, path.with_name(f"{path.name}.{index + 1}"))
    if path.exists():
        os.replace(path, path.with_name(f"{path.name}.1"))


class RotatingFile:
    """Appends lines to ``path`` under ``rotation``; thread-safe, every write flushed."""

    def __init__(self, path: Path | str, rotation: Rotation = Rotation()) -> None:
        self.path = Path(path)
        self.rotation = rotation
        self._lock = threading.Lock()
        self._file: IO[bytes] | None = None
        self._size = 0

    def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            self._open()

    def _open(self) -> None:
        self._file = open(self.path, "ab")
        self._size = os.fstat(self._file.fileno()).st_size

    @property
    def closed(self) -> bool:
        return self._file is None

    def write(self, data: bytes) -> None:
        with self._lock:
            if self._file is None:
                return
            if self.rotation.bounded and self._size and self._size + len(data) > self.rotation.max_bytes:
                self._file.close()
                self._file = None
                rotate_files(self.path, self.rotation.backups)
                self._open()
            self._file.write(data)
            self._file.flush()
            self._size += len(data)

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None


class _RotatingStderrHandler(logging.StreamHandler):
    """Writes log records to stderr; when stderr's file has reached the cap, rotates it first."""

    def __init__(self, path: Path, rotation: Rotation) -> None:
        super().__init__(sys.stderr)
        self._path = path
        self._rotation = rotation

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if os.fstat(2).st_size >= self._rotation.max_bytes:
                self.flush()
                rotate_files(self._path, self._rotation.backups)
                fd = os.open(self._path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
                try:
                    os.dup2(fd, 2)  # tracebacks and anything else written to stderr follow too
                finally:
                    os.close(fd)
        except OSError:
            pass  # the log must never stop the role; the next record tries again
        super().emit(record)


def install_log_rotation(rotation: Rotation, level: str, fmt: str) -> bool:
    """Configure the root logger to write to stderr, rotating stderr's file when it is a regular file
    (True) ; otherwise (a terminal, a pipe) plain stderr logging (False)."""
    handler: logging.Handler
    rotating = False
    try:
        mode = os.fstat(2).st_mode
        path = Path(os.readlink("/proc/self/fd/2"))
        rotating = rotation.bounded and stat.S_ISREG(mode) and path.is_absolute() and path.exists()
    except OSError:
        path = Path()
    handler = _RotatingStderrHandler(path, rotation) if rotating else logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(fmt))
    logging.basicConfig(level=level, handlers=[handler])
    return rotating
