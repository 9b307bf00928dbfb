"""The fit's objective: one candidate parameter set -> its runs -> target values -> residuals.

A candidate is a point ``u`` of the unit cube (one coordinate per free parameter, 0 = low bound,
1 = high bound, log10-spaced where the parameter is ``log``). Evaluating it runs every experiment
spec the targets need, with the parameter values in the spec's ``[base.set]``, through the
experiment runner into ``<fit out>/candidates/p<hash of u>/<spec>/`` (so a local pool, Dask and an
in-process executor all work, and a finished run is never run twice: a resumed fit replays the
same candidates and finds their runs done). Every candidate keeps the specs' master seeds, so
replicate ``r`` of every candidate shares its random numbers (common random numbers: the
differences between candidates are not masked by seed noise).

Each target's model value is the mean over its runs (the replicates of the conditions its
``where`` selects); its residual in units of the target's spread is noise-aware::

    z = (model mean - observed) / sqrt(sd**2 + se0**2)

with ``se0`` the standard error of that mean at the first candidate evaluated (the start): the
replicate noise is estimated once and then held fixed, so that a candidate whose replicates
happen to disagree is not rewarded with a smaller residual, and the finite differences of the
intervals see only the change of the mean. The objective is the sum of squared residuals (a
chi-square). A candidate with any failed run (or a config the model refuses at that point), or
whose target values are undefined (NaN), gets :data:`FAILED_OBJECTIVE`.
"""

from __future__ import annotations

import math
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mscabm.fit.spec import FitSpec, FitTarget, candidate_spec

__all__ = ["Evaluation", "Evaluator", "target_value", "point_folder", "FAILED_OBJECTIVE"]

#: objective of a candidate with failed runs or undefined target values (far above any real chi-square)
FAILED_OBJECTIVE = 1e12


@dataclass
class Evaluation:
    """One evaluated candidate: its unit-cube point, parameter values, per-target values and residuals."""

    index: int
    phase: str  # start | search | interval
    unit: list[float]
    values: dict[str, float]  # parameter name -> value
    mean: list[float]  # per target
    se: list[float]
    n: list[int]
    z: list[float]
    objective: float
    runs: int
    failed_runs: int
    wall_s: float

    def row(self, fit: FitSpec) -> dict[str, Any]:
        out: dict[str, Any] = {"candidate": self.index, "phase": self.phase}
        for p, u in zip(fit.parameters, self.unit):
            out[p.name] = self.values[p.name]
            out[f"unit_{p.name}"] = u
        for i in range(len(fit.targets)):
            out[f"target{i}_mean"] = self.mean[i]
            out[f"target{i}_se"] = self.se[i]
            out[f"target{i}_z"] = self.z[i]
        out.update(objective=self.objective, runs=self.runs, failed_runs=self.failed_runs, wall_s=self.wall_s,
                   folder=point_folder(self.unit))
        return out


def target_value(target: FitTarget, results: pd.DataFrame) -> tuple[float, float, int]:
    """(mean, standard error, n) of ``target`` over the matching runs of one experiment's results table.

    Rows are the spec's conditions (not matched controls) whose columns equal ``target.where``; a
    route target's values are the per-replicate shares of the suppression its blocker removes
    (:func:`mscabm.calibration.route_shares`). Non-finite values are dropped; NaN if none is left.
    """
    if target.route is not None:
        from mscabm.calibration import route_shares

        sel = route_shares(results)
        sel = sel[sel["route_blocked"].astype(str) == str(target.route)]
        column = "share_removed_pct"
    else:
        sel = results[results["role"] == "condition"] if "role" in results.columns else results
        column = target.readout
    for col, val in target.where.items():
        sel = sel[sel[col].astype(str) == str(val)] if col in sel.columns else sel.iloc[0:0]
    values = sel[column].to_numpy(dtype=float) if column in sel.columns else np.array([])
    values = values[np.isfinite(values)]
    n = len(values)
    if n == 0:
        return math.nan, math.nan, 0
    se = float(values.std(ddof=1) / math.sqrt(n)) if n > 1 else 0.0
    return float(values.mean()), se, n


def point_folder(unit: list[float]) -> str:
    """Folder name of a candidate point: a hash of its unit-cube coordinates, so that a point met
    again (a resumed fit, a larger budget, an interval point the search already ran) reuses its runs."""
    import hashlib
    import json

    return "p" + hashlib.sha256(json.dumps([float(u) for u in unit]).encode()).hexdigest()[:12]


class Evaluator:
    """Runs candidates of one fit into ``out/candidates/`` on one executor and scores them.

    ``specs``: experiment spec name -> parsed spec (from :func:`mscabm.fit.spec.check_fit`);
    ``executor``/``slots``: where the runs go (see :mod:`mscabm.experiments.executors`).
    """

    def __init__(self, fit: FitSpec, specs: dict[str, Any], out: Path, executor: Executor, slots: int,
                 threads: int | None = None) -> None:
        self.fit, self.specs, self.out = fit, specs, Path(out)
        self.executor, self.slots, self.threads = executor, slots, threads
        self.observed = np.array([t.observed for t in fit.targets], dtype=float)
        self.sd = np.array([t.sd for t in fit.targets], dtype=float)
        self.noise_se: np.ndarray | None = None  # per target, from the first candidate (see the module docstring)

    def run_specs(self, unit: list[float], folder: Path, master_seed: int | None = None
                  ) -> dict[str, pd.DataFrame] | None:
        """Run every spec at ``unit`` into ``folder/<spec name>/`` (resuming); spec name -> results table,
        or None if the config is refused at this point (only the box's corners are checked beforehand)."""
        return self.run_points([unit], [folder], master_seed)[0]

    def run_points(self, units: list[list[float]], folders: list[Path], master_seed: int | None = None
                   ) -> list[dict[str, pd.DataFrame] | None]:
        """Run every spec at each point ``units[k]`` into ``folders[k]/<spec name>/`` (resuming), all points'
        runs in one batch on the executor (:func:`mscabm.experiments.runner.run_prepared`): workers left idle
        by one candidate's few runs take the next one's. Per point: spec name -> results table, or None where
        the config is refused at that point (checked for every point before any run starts). Points that share
        a folder (the same point twice) run once."""
        from mscabm.experiments.report import results_table
        from mscabm.experiments.runner import Prepared, run_prepared
        from mscabm.schema import ConfigError

        jobs: dict[Path, Prepared] = {}  # a point met twice runs once
        points: list[list[Path] | None] = []
        for unit, folder in zip(units, folders):
            try:  # every run's config built and checked: a refusal is per point, before any run
                prepared = [jobs.get(Path(folder) / spec.name)
                            or Prepared.check(candidate_spec(self.fit, spec, unit, master_seed, given=given),
                                              Path(folder) / spec.name, resume=True)
                            for given, spec in self.specs.items()]
            except ConfigError:
                points.append(None)
                continue
            jobs.update({job.out: job for job in prepared})
            points.append([job.out for job in prepared])
        if jobs:
            run_prepared(list(jobs.values()), executor=self.executor, workers=self.slots, threads=self.threads,
                         progress=False)
        return [None if outs is None else {name: results_table(out) for name, out in zip(self.specs, outs)}
                for outs in points]

    def evaluate(self, index: int, unit: list[float], phase: str) -> Evaluation:
        """Run and score candidate ``index`` at the unit-cube point ``unit``."""
        return self.evaluate_many(index, [unit], phase)[0]

    def evaluate_many(self, first_index: int, units: list[list[float]], phase: str) -> list[Evaluation]:
        """Run candidates ``first_index, first_index + 1, ...`` at the points ``units`` as one batch (see
        :meth:`run_points`) and score them in that order; each one's ``wall_s`` is its share of the batch's wall
        time. The scores do not depend on the batching: every run's seed comes from its spec."""
        import time

        t0 = time.perf_counter()
        units = [[min(1.0, max(0.0, float(u))) for u in unit] for unit in units]
        all_results = self.run_points(units, [self.out / "candidates" / point_folder(u) for u in units])
        wall_s = (time.perf_counter() - t0) / max(1, len(units))
        return [self._score(first_index + k, unit, phase, results, wall_s)
                for k, (unit, results) in enumerate(zip(units, all_results))]

    def _score(self, index: int, unit: list[float], phase: str, results: dict[str, pd.DataFrame] | None,
               wall_s: float) -> Evaluation:
        n_t = len(self.fit.targets)
        if results is None:  # refused config at this point
            stats = [(math.nan, math.nan, 0)] * n_t
            runs = failed = 0
        else:
            stats = [target_value(t, results[t.spec]) for t in self.fit.targets]
            runs = sum(len(df) for df in results.values())
            failed = sum(int((df["status"] != "done").sum()) for df in results.values())
        mean = np.array([s[0] for s in stats])
        se = np.array([s[1] for s in stats])
        if self.noise_se is None and np.all(np.isfinite(se)):
            self.noise_se = se
        noise = self.noise_se if self.noise_se is not None else np.nan_to_num(se)
        z = (mean - self.observed) / np.sqrt(self.sd**2 + noise**2)
        ok = results is not None and failed == 0 and bool(np.all(np.isfinite(z)))
        objective = float(np.sum(z**2)) if ok else FAILED_OBJECTIVE
        values = {p.name: p.value(u) for p, u in zip(self.fit.parameters, unit)}
        return Evaluation(index, phase, unit, values, mean.tolist(), se.tolist(), [s[2] for s in stats],
                          z.tolist(), objective, runs, failed, wall_s)

    def synthetic_observations(self) -> list[tuple[float, float, int]]:
        """Run the specs at the fit's hidden values (``[fit.synthetic]``) with the synthetic master seed
        into ``out/synthetic/``; per target (mean, se, n) of the model's own output there."""
        assert self.fit.synthetic is not None
        unit = [p.unit(self.fit.synthetic[p.name]) for p in self.fit.parameters]
        results = self.run_specs(unit, self.out / "synthetic", master_seed=self.fit.synthetic_seed)
        if results is None:
            return [(math.nan, math.nan, 0)] * len(self.fit.targets)
        return [target_value(t, results[t.spec]) for t in self.fit.targets]
