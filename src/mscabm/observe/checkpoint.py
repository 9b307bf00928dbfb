"""Checkpoints: the complete state of a run in one atomically written ``.npz`` file.

A checkpoint holds every population column, the fields, the numpy Generator's state, Mesa's
step counter and clock, the model's running totals, the time-series rows recorded so far,
and the resolved config (TOML text). Loading it into a model built from that config gives
a run that continues bit-identically to one never interrupted.

The file carries ``CHECKPOINT_FORMAT``; a file of another format version, a truncated or
corrupt file, or a config mismatch raises :class:`CheckpointError` with a clear message.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from mscabm.observe.io import atomic_write_npz

CHECKPOINT_FORMAT = 1
CHECKPOINT_NAME = "checkpoint.npz"


class CheckpointError(RuntimeError):
    """A checkpoint cannot be used (missing, corrupt, other format version, other config)."""


def save_checkpoint(path: str | Path, model_state: dict[str, Any], rows: list[dict[str, float]],
                    config_toml: str) -> Path:
    """Write ``model_state`` (from ``MSCModel.state_dict()``), time-series rows and config."""
    arrays = {f"pop/{k}": v for k, v in model_state["population"].items()}
    arrays["fields"] = model_state["fields"]
    if model_state.get("behaviours") is not None:  # held between phenotype steps (model.phenotype_every > 1)
        arrays["behaviours"] = model_state["behaviours"]
    meta = {k: v for k, v in model_state.items() if k not in ("population", "fields", "behaviours")}
    header = {"format": CHECKPOINT_FORMAT, "meta": meta, "rows": rows, "config_toml": config_toml}
    arrays["header"] = np.frombuffer(json.dumps(header).encode("utf-8"), dtype=np.uint8)
    return atomic_write_npz(Path(path), **arrays)


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Read a checkpoint: ``{"state": model_state, "rows": [...], "config_toml": str}``."""
    p = Path(path)
    if not p.is_file():
        raise CheckpointError(f"no checkpoint at {p} (was the run started with --checkpoint-every?)")
    try:
        with np.load(p, allow_pickle=False) as npz:
            header = json.loads(npz["header"].tobytes().decode("utf-8"))
            if not isinstance(header, dict) or header.get("format") != CHECKPOINT_FORMAT:
                found = header.get("format") if isinstance(header, dict) else None
                raise CheckpointError(f"{p} has checkpoint format {found!r}; this mscabm reads format "
                                      f"{CHECKPOINT_FORMAT}. Rerun from the start or use the mscabm version "
                                      "that wrote it.")
            population = {k[4:]: npz[k] for k in npz.files if k.startswith("pop/")}
            fields = npz["fields"]
            behaviours = npz["behaviours"] if "behaviours" in npz.files else None
    except CheckpointError:
        raise
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{p} is not a readable checkpoint ({type(exc).__name__}: {exc})") from None
    state = dict(header["meta"])
    state["population"] = population
    state["fields"] = fields
    state["behaviours"] = behaviours
    return {"state": state, "rows": header["rows"], "config_toml": header["config_toml"]}
