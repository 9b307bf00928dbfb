"""Batch experiments: specs (TOML), sweeps and replicates, matched controls, resumable runs on
any ``concurrent.futures.Executor`` (local processes, Dask distributed, in-process), results,
summary, figure and report. See ``docs/experiments.md``.

    >>> import mscabm.experiments as mx
    >>> df = mx.run("dose_response", out="runs/experiments/dose", workers=2)

Layers (each module imports only those above it in this list)::

    checks       schema pieces shared by the spec sections (names, set tables, dotted-key reads)
    parameters   a drawn value applied to dotted keys (sampled designs and patients)
    patients     [patients]: per-patient draws, paired across arms
    statistics   Student t and Wilson intervals, paired bootstrap, period mean (scipy.stats)
    manifest     the output folder: file names, manifest rows, spec and plan as run
    spec         the spec document's schema and parse_spec / load_spec
    plan         conditions, matched controls, runs, seeds, configs, fingerprints
    posterior    a fit's posterior draws as a design factor, and the predictive table over them
    executors    local pool, Dask, in-process
    runner       runs a plan into a folder (parts, manifest rows)
    render       figures and Markdown tables
    cohort       the cohort report
    report       results, summary, sensitivity, figure, report.md of a folder
    cli          `mscabm experiment`, `mscabm report`
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from mscabm.experiments.plan import plan
from mscabm.experiments.spec import Spec, load_spec, parse_spec

__all__ = ["run", "load_spec", "parse_spec", "plan", "Spec", "report"]


def run(spec: Spec | str | Path | dict, out: str | Path | None = None, report: bool = True,
        **kwargs: Any) -> pd.DataFrame:
    """Run an experiment spec (a path, a parsed :class:`Spec` or a spec document as a dict).

    Keyword arguments go to :func:`mscabm.experiments.runner.run_experiment` (``workers``,
    ``scheduler``, ``executor``, ``resume``, ``in_process``, ``threads``, ``progress``). Then
    the folder's results, summary, figure and report.md are built (``report=False``: only the
    results table). Returns the results table: one row per run (condition columns, readouts,
    status).
    """
    from mscabm.experiments.report import build_report, results_table
    from mscabm.experiments.runner import run_experiment

    if isinstance(spec, dict):
        spec = parse_spec(spec)
    folder = run_experiment(spec, out, **kwargs)
    return build_report(folder) if report else results_table(folder)


def report(out: str | Path) -> pd.DataFrame:
    """Rebuild results, summary, figure and report.md of an experiment folder."""
    from mscabm.experiments.report import build_report

    return build_report(out)
