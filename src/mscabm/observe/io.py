"""Atomic file writes: write to a temporary file in the same folder, fsync, then rename.

A reader (or a crash) therefore sees either the previous complete file or the new complete
file, never a half-written one. A full disk surfaces as :class:`OutputError` naming the file.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd


class OutputError(OSError):
    """Writing an output file failed (disk full, permissions...)."""


def _umask() -> int:
    """The process's umask, read without changing it where Linux tells it (``/proc/self/status``)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    old = os.umask(0o022)  # elsewhere: set and restore (a moment's race with other threads' file creation)
    os.umask(old)
    return old


def _os_error(path: Path, exc: OSError) -> OutputError:
    if exc.errno == errno.ENOSPC:
        return OutputError(errno.ENOSPC, f"disk full while writing {path}")
    return OutputError(exc.errno or 0, f"could not write {path}: {exc.strerror or exc}")


def _atomic(path: Path, write: Callable[[str], None]) -> Path:
    """Write ``path`` through ``write(tmp)`` into a temporary file beside it, then rename.

    The file gets the mode a plain ``open`` would give it (0666 less the umask; ``mkstemp``
    alone makes it 0600, unreadable to the group in a shared results folder). Every
    filesystem failure (no space, no inodes, read-only folder, permissions) is an
    :class:`OutputError` naming the file; no temporary file is left behind."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise _os_error(path, exc) from exc
    try:
        with contextlib.suppress(OSError):  # best effort: vfat/exFAT and some CIFS/FUSE mounts refuse chmod
            os.fchmod(fd, 0o666 & ~_umask())
    finally:
        os.close(fd)
    try:
        write(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise _os_error(path, exc) from exc
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def atomic_write_text(path: Path, text: str) -> Path:
    def write(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)

    return _atomic(path, write)


def atomic_write_parquet(path: Path, frame: pd.DataFrame) -> Path:
    return _atomic(path, lambda tmp: frame.to_parquet(tmp, index=False))


def atomic_write_npz(path: Path, **arrays: np.ndarray) -> Path:
    def write(tmp: str) -> None:
        with open(tmp, "wb") as fh:
            np.savez_compressed(fh, **arrays)

    return _atomic(path, write)


def atomic_write_bytes(path: Path, data: bytes) -> Path:
    def write(tmp: str) -> None:
        with open(tmp, "wb") as fh:
            fh.write(data)

    return _atomic(path, write)


def atomic_write_figure(path: Path, fig, dpi: int | None = None) -> Path:
    """Write a matplotlib figure; the format comes from the file name's suffix (``.png``, ``.svg``...)."""
    fmt = Path(path).suffix.lstrip(".")
    return _atomic(path, lambda tmp: fig.savefig(tmp, format=fmt, dpi=dpi))
