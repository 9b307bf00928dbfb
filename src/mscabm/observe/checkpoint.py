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
import math
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from mscabm.observe.io import atomic_write_npz

#: 2 (2026-12-08): held behaviours (``model.phenotype_every`` > 1) saved in the stored-column layout
#: (``Tables.behaviour_column``), not one column per vocabulary behaviour
CHECKPOINT_FORMAT = 2
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
    if not zipfile.is_zipfile(p):
        raise CheckpointError(f"{p} is not a readable checkpoint (not an .npz archive; checkpoints are written by "
                              "mscabm run --checkpoint-every)")
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
        raise CheckpointError(f"{p} is not a readable checkpoint ({type(exc).__name__}: {str(exc)[:200]})") from None
    except Exception as exc:  # numpy's header parser raises what it meets (tokenize.TokenError, SyntaxError...)
        raise CheckpointError(f"{p} is not a readable checkpoint (corrupt member: {type(exc).__name__})") from None
    for key, kind in (("meta", dict), ("rows", list), ("config_toml", str)):
        if not isinstance(header.get(key), kind):
            raise CheckpointError(f"{p} is not a complete checkpoint: header member {key!r} is missing or not a "
                                  f"{kind.__name__}")
    if not all(isinstance(r, dict) for r in header["rows"]):
        raise CheckpointError(f"{p}: header member 'rows' holds something other than time-series rows")
    state = dict(header["meta"])
    state["population"] = population
    state["fields"] = fields
    state["behaviours"] = behaviours
    return {"state": state, "rows": header["rows"], "config_toml": header["config_toml"]}


def validate_state(state: dict[str, Any], schema: dict[str, np.dtype], n_states: list[int],
                   extent_um: tuple[float, float], fields_shape: tuple[int, ...], fields_dtype: np.dtype) -> None:
    """Check a loaded checkpoint's state against the model it is to be loaded into.

    Parameters
    ----------
    state : dict
        ``load_checkpoint(...)["state"]``.
    schema : dict of str to numpy.dtype
        The population's columns (``Population.schema``).
    n_states : list of int
        Number of states of each cell type, in type-index order.
    extent_um : (float, float)
        Domain width and height, um: cell positions must lie in ``[0, w] x [0, h]``.
    fields_shape, fields_dtype
        The model's field store.

    Raises
    ------
    CheckpointError
        Naming the first member that is missing, of the wrong shape or dtype, not finite, out of
        the domain or of range (ids unique and below the id counter, types and states declared).
    """
    def _plausible_minutes(value: int | float) -> bool:  # an int too large for a float overflows np.isfinite
        try:
            return math.isfinite(value) and abs(value) < 1e15
        except OverflowError:
            return False

    def bad(what: str) -> CheckpointError:
        return CheckpointError(f"the checkpoint's {what}; it cannot be resumed (rerun from the start)")

    for key in ("steps", "time", "running", "rng_state", "active_fields", "readouts"):
        if key not in state:
            raise bad(f"state has no {key!r}")
    steps, time_min = state["steps"], state["time"]
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise bad(f"step {str(steps)[:40]!r} is not a whole number >= 0")
    if isinstance(time_min, bool) or not isinstance(time_min, int | float) or not _plausible_minutes(time_min):
        raise bad(f"time {str(time_min)[:40]!r} is not a finite number of minutes")
    if not isinstance(state["rng_state"], dict) or not isinstance(state["active_fields"], list):
        raise bad("random-generator state or active-field list is malformed")
    pop = state["population"]
    missing = [k for k in (*schema, "__next_id__") if k not in pop]
    if missing:
        raise bad(f"population lacks the column(s) {', '.join(missing[:5])}")
    n = None
    for k, dtype in schema.items():
        col = pop[k]
        if col.ndim != 1 or col.dtype.kind not in "biuf" or (col.dtype.kind == "f") != (dtype.kind == "f"):
            raise bad(f"column {k!r} is {col.dtype} of shape {col.shape}; expected a 1-D {dtype} column")
        if n is None:
            n = len(col)
        elif len(col) != n:
            raise bad(f"column {k!r} has {len(col)} rows, 'id' has {n}")
        if col.dtype.kind == "f" and not np.all(np.isfinite(col)):
            raise bad(f"column {k!r} holds NaN or infinite values")
    next_id = np.asarray(pop["__next_id__"])
    if next_id.shape != (1,) or next_id.dtype.kind not in "iu":
        raise bad("id counter is malformed")
    ids = pop["id"]
    if n and (len(np.unique(ids)) != n or ids.min() < 0 or ids.max() >= next_id[0]):
        raise bad("cell ids are not unique, negative, or not below the id counter")
    width, height = extent_um
    for k, hi in (("x_um", width), ("y_um", height)):
        if n and (pop[k].min() < 0.0 or pop[k].max() > hi):
            raise bad(f"positions {k!r} leave the domain [0, {hi:g}] um")
    types, cell_states = pop["type"].astype(np.int64), pop["state"].astype(np.int64)
    if n and (types.min() < 0 or types.max() >= len(n_states)):
        raise bad(f"cell types lie outside 0..{len(n_states) - 1}")
    if n and (cell_states.min() < 0 or np.any(cell_states >= np.asarray(n_states, dtype=np.int64)[types])):
        raise bad("cell states lie outside their type's declared states")
    fields = state["fields"]
    if fields.shape != tuple(fields_shape) or fields.dtype != fields_dtype:
        raise bad(f"fields are {fields.dtype} {fields.shape}; the model's lattice is {fields_dtype} "
                  f"{tuple(fields_shape)}")
    if not np.all(np.isfinite(fields)):
        raise bad("fields hold NaN or infinite values")
