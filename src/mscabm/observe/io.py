"""Atomic file writes: write to a temporary file in the same folder, fsync, then rename.

A reader (or a crash) therefore sees either the previous complete file or the new complete
file, never a half-written one. A full disk surfaces as :class:`OutputError` naming the file.
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd


class OutputError(OSError):
    """Writing an output file failed (disk full, permissions...)."""


def _atomic(path: Path, write: Callable[[str], None]) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if exc.errno == errno.ENOSPC:
            raise OutputError(errno.ENOSPC, f"disk full while writing {path}") from exc
        raise OutputError(exc.errno or 0, f"could not write {path}: {exc.strerror or exc}") from exc
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
