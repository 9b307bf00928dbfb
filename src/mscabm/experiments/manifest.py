"""The experiment output folder: file names, manifest rows, and the spec and plan as run.

Layout::

    <out>/spec.toml                   the spec as run (``mscabm report`` reads it)
    <out>/plan.json                   conditions, controls, runs (ids, seeds, fingerprints)
    <out>/parts/<run_id>.parquet      one per finished run: every readout at every recorded step
    <out>/runs/<run_id>.json          one manifest row per run: status (done/failed), error,
                                      traceback, final readouts, wall time, fingerprint
    <out>/manifest.parquet            all manifest rows (rewritten at the end of a run)

Every file is written atomically (:mod:`mscabm.observe.io`): a crash leaves the previous file
or the new one, never half of one.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
import tomli_w

from mscabm.config import read_toml
from mscabm.observe.io import atomic_write_parquet, atomic_write_text
from mscabm.schema import ConfigError

__all__ = ["slug", "part_path", "row_path", "read_manifest", "write_row", "is_finished", "write_manifest_table",
           "write_spec_document", "read_spec_document", "write_plan", "read_plan", "read_part"]

SPEC_FILE = "spec.toml"
PLAN_FILE = "plan.json"


def slug(text: str, max_len: int = 48) -> str:
    """A file-name-safe version of ``text``: letters, digits, '.', '_', '-' only, no leading dot."""
    s = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._-")
    s = re.sub(r"\.{2,}", ".", s)
    return s[:max_len] or "c"


def part_path(out: Path, run_id: str) -> Path:
    """The time-series part of run ``run_id``."""
    return Path(out) / "parts" / f"{run_id}.parquet"


def row_path(out: Path, run_id: str) -> Path:
    """The manifest row of run ``run_id``."""
    return Path(out) / "runs" / f"{run_id}.json"


def read_manifest(out: str | Path) -> dict[str, dict[str, Any]]:
    """run_id -> manifest row, for every readable ``runs/*.json`` in ``out``."""
    rows = {}
    for p in sorted((Path(out) / "runs").glob("*.json")):
        if p.name.startswith("."):
            continue
        try:
            row = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue  # a torn file cannot happen with atomic writes, but be lenient: rerun it
        rows[row.get("run_id", p.stem)] = row
    return rows


def write_row(out: Path, row: dict[str, Any]) -> Path:
    """Write one manifest row (a JSON object with ``run_id``)."""
    return atomic_write_text(row_path(out, row["run_id"]), json.dumps(row, default=float) + "\n")


def is_finished(row: dict | None, run_id: str, fingerprint: str, out: Path) -> bool:
    """A run is finished when its row says done with the planned fingerprint and its part exists."""
    return (row is not None and row.get("status") == "done" and row.get("fingerprint") == fingerprint
            and part_path(out, run_id).is_file())


def write_manifest_table(out: Path) -> pd.DataFrame | None:
    """Collect every manifest row (without the final readouts) into ``manifest.parquet``."""
    manifest = read_manifest(out)
    if not manifest:
        return None
    mf = pd.DataFrame([{k: v for k, v in r.items() if k != "final"} for r in manifest.values()])
    atomic_write_parquet(Path(out) / "manifest.parquet", mf)
    return mf


def write_spec_document(out: Path, document: dict) -> Path:
    """The spec document as run (``spec.toml``)."""
    return atomic_write_text(Path(out) / SPEC_FILE, tomli_w.dumps(document))


def write_plan(out: Path, plan_json: dict) -> Path:
    """The plan as run (``plan.json``)."""
    return atomic_write_text(Path(out) / PLAN_FILE, json.dumps(plan_json, default=float) + "\n")


def _check_folder(out: Path) -> None:
    if not (out / SPEC_FILE).is_file() or not (out / PLAN_FILE).is_file():
        raise ConfigError(str(out), "not an experiment folder (spec.toml and plan.json missing)")


def read_spec_document(out: Path) -> dict:
    """The spec document of an experiment folder (plain data; ``ConfigError`` if not a folder)."""
    out = Path(out)
    _check_folder(out)
    return read_toml(out / SPEC_FILE)


def read_plan(out: Path) -> dict:
    """The plan of an experiment folder as plain data (``Plan.to_json()``)."""
    out = Path(out)
    _check_folder(out)
    return json.loads((out / PLAN_FILE).read_text(encoding="utf-8"))


def read_part(out: Path, run_id: str, columns: list[str] | None = None) -> pd.DataFrame | None:
    """The time series of run ``run_id`` (None if it has no part)."""
    p = part_path(out, run_id)
    if not p.is_file():
        return None
    return pd.read_parquet(p, columns=columns)
