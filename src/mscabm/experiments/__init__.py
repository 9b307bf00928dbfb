"""Batch experiments: specs (TOML), sweeps and replicates, matched controls, resumable runs on
any ``concurrent.futures.Executor`` (local processes, Dask distributed, in-process), results,
summary, figure and report. See ``docs/experiments.md``.

    >>> import mscabm.experiments as mx
    >>> df = mx.run("experiments/dose_response.toml", out="runs/experiments/dose", workers=2)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from mscabm.experiments.spec import Spec, load_spec, parse_spec, plan

__all__ = ["run", "load_spec", "parse_spec", "plan", "Spec", "report"]


def run(spec: Spec | str | Path | dict, out: str | Path | None = None, **kwargs: Any) -> pd.DataFrame:
    """Run an experiment spec (a path, a parsed :class:`Spec` or a spec document as a dict).

    Keyword arguments go to :func:`mscabm.experiments.runner.run_experiment` (``workers``,
    ``scheduler``, ``executor``, ``resume``, ``in_process``, ``progress``). Returns the results
    table: one row per run (condition columns, readouts, status).
    """
    from mscabm.experiments.runner import run_experiment

    if isinstance(spec, dict):
        spec = parse_spec(spec)
    return run_experiment(spec, out, **kwargs)


def report(out: str | Path) -> pd.DataFrame:
    """Rebuild results, summary, figure and report.md of an experiment folder."""
    from mscabm.experiments.report import build_report

    return build_report(out)
