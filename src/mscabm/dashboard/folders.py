"""Which kind of output folder a path is: a run folder (replay) or an experiment/cohort folder (results).

``mscabm dashboard PATH`` opens a folder by what it holds, so the user need not say which:

* a **run folder** (``mscabm run --out``): ``config.toml`` and ``timeseries.parquet`` and/or
  ``cells/`` snapshots (:mod:`mscabm.observe.output`);
* an **experiment or cohort folder** (``mscabm experiment --out``): ``spec.toml`` and ``plan.json``
  (:mod:`mscabm.experiments.manifest`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from mscabm.schema import ConfigError

__all__ = ["folder_kind", "is_run_folder"]


def is_run_folder(path: str | Path) -> bool:
    """A folder written by ``mscabm run``: a config and a time series or cell snapshots."""
    p = Path(path)
    return p.is_dir() and (p / "config.toml").is_file() and (
        (p / "timeseries.parquet").is_file() or any((p / "cells").glob("step_*.parquet")))


def folder_kind(path: str | Path) -> Literal["run", "results"]:
    """``"run"`` or ``"results"``; raises :class:`ConfigError` naming the path and what each kind holds."""
    from mscabm.dashboard.results import is_results_folder

    p = Path(path)
    if not p.exists():
        raise ConfigError(str(path), "no such folder")
    if not p.is_dir():
        raise ConfigError(str(path), "not a folder; give a run folder (mscabm run --out) or an experiment "
                          "folder (mscabm experiment --out), or a config file without a trailing /")
    if is_results_folder(p):
        return "results"
    if is_run_folder(p):
        return "run"
    raise ConfigError(str(path), "neither a run folder (config.toml with timeseries.parquet or cells/step_*.parquet)"
                      " nor an experiment folder (spec.toml with plan.json)")
