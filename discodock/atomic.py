"""Atomic file output: write to a temporary name beside the target, then rename.

An interrupted run therefore never leaves a half-written file under the final name, and a rerun
can trust that any file it finds is complete.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Callable, Iterator, TextIO


def default_mode(full: int = 0o666) -> int:
    """Permission bits a plain `open()` would give under the current umask (mkstemp/mkdtemp use 0600/0700)."""
    umask = os.umask(0)
    os.umask(umask)
    return full & ~umask


@contextmanager
def _published(path: Path, mode: str, encoding: str | None, publish: Callable[[str, Path], None]) -> Iterator[IO]:
    """Write a temporary file next to `path`; once complete (fsynced, closed), `publish(tmp, path)` it.
    The temporary name never outlives the call."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    binary = "b" in mode
    try:
        with os.fdopen(fd, mode, encoding=None if binary else encoding) as handle:
            os.fchmod(handle.fileno(), default_mode())
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        publish(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


@contextmanager
def atomic_open(path: str | Path, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[TextIO]:
    """Open a temporary file next to `path`; on success fsync and rename it onto `path`."""
    with _published(Path(path), mode, encoding, os.replace) as handle:
        yield handle


def atomic_write_text(path: str | Path, text: str) -> None:
    with atomic_open(path, "w") as handle:
        handle.write(text)


def create_if_absent(path: str | Path, text: str) -> bool:
    """Create `path` holding `text` unless it exists; True if this call created it.

    The file appears complete or not at all, and never replaces one another process made meanwhile
    (hard link of a finished temporary file: fails if the name exists), so processes appending to a
    shared file can all call this first and none sees it empty or loses rows to a late header."""
    try:
        with _published(Path(path), "w", "utf-8", os.link) as handle:
            handle.write(text)
        return True
    except FileExistsError:
        return False
