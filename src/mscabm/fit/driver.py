"""Run a fit: check the spec, (synthetic observations), start point, search, intervals, outputs.

Output folder (default ``runs/fits/<name>/``)::

    fitspec.json        the fit spec as run, with its fingerprint (a resume must match it)
    synthetic/<spec>/   [fit.synthetic] only: the runs at the hidden values (the observations)
    candidates/p<hash>/<spec>/    every candidate point's experiment folders (parts, manifest)
    candidates.csv      one row per candidate: phase, values, target means, se, z, objective
    fit.json            best fit, intervals, correlations, residuals, budget used, stop reason
    report.md           the same as tables; convergence.png/.svg; fitted_preset.toml

Candidate 0 is the start point (the parameters' ``start``, default the middle of the bounds: the
hand fit's values when ``start`` gives them), then the search, within ``max_candidates`` in all;
the intervals' difference pairs (2 per parameter) come on top of that budget. The candidates of one
search batch (a CMA-ES generation) and the interval points run as one batch of runs on the executor.
An ABC-SMC search (``method = "abcsmc"``) evaluates its particles one candidate at a time and gives
its intervals from the posterior sample it ends with (no difference pairs).
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mscabm.experiments.runner import executor_context
from mscabm.fit.intervals import difference_points
from mscabm.fit.objective import FAILED_OBJECTIVE, Evaluation, Evaluator
from mscabm.fit.search import SEARCHES, Budget
from mscabm.fit.spec import FitSpec, check_fit, fingerprint
from mscabm.schema import ConfigError

__all__ = ["run_fit", "default_out_dir"]


def default_out_dir(fit: FitSpec) -> Path:
    return Path("runs") / "fits" / fit.name


def _claim_folder(fit: FitSpec, out: Path, resume: bool) -> None:
    """Refuse to mix two fits in one folder; write fitspec.json."""
    from mscabm.observe.io import atomic_write_text

    if out.exists() and not out.is_dir():
        raise ConfigError("--out", f"{out} is a file; allowed: a new or a fit folder")
    marker = out / "fitspec.json"
    fp = fingerprint(fit.document)
    if marker.is_file():
        if not resume:
            raise ConfigError("--out", f"{out} already holds a fit; add --resume to continue it, or choose another "
                                       "--out")
        old = json.loads(marker.read_text(encoding="utf-8")).get("fingerprint")
        if old != fp:
            raise ConfigError("--resume", f"{out} holds a fit of another fit spec (fingerprint {old}, this spec {fp}: "
                                          "parameters, targets or method differ; the budget may change); "
                                          "choose another --out")
    elif out.is_dir() and any(out.iterdir()):
        raise ConfigError("--out", f"{out} is a folder that holds no fit; allowed: a new or a fit folder")
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(marker, json.dumps({"fingerprint": fp, "source": fit.source, "document": fit.document},
                                         indent=1, default=str))


def run_fit(fit: FitSpec, out: str | Path | None = None, *, workers: int | None = None,
            scheduler: str | None = None, in_process: bool = False, threads: int | None = None,
            resume: bool = False, progress: bool = True) -> dict[str, Any]:
    """Run the fit ``fit`` into ``out``; returns the contents of ``fit.json``.

    ``workers``/``scheduler``/``in_process``/``threads`` choose where the runs go, as for
    ``mscabm experiment``. ``resume`` continues a fit in ``out`` (finished runs are not repeated).
    Raises :class:`~mscabm.schema.ConfigError` for a spec the model refuses, before any run.
    """
    from tqdm import tqdm

    from mscabm.fit import report
    from mscabm.observe.io import atomic_write_text

    specs = check_fit(fit)
    executor = executor_context(None, workers, scheduler, in_process, threads)  # bad options fail here, before writes
    out = Path(out) if out is not None else default_out_dir(fit)
    _claim_folder(fit, out, resume)
    t0 = time.perf_counter()
    deadline = time.monotonic() + 60.0 * fit.max_wall_min if fit.max_wall_min > 0 else None
    budget = Budget(fit.max_candidates, deadline)
    n_interval = 2 * len(fit.parameters) if fit.difference_intervals else 0
    evaluations: list[Evaluation] = []
    bar = tqdm(total=fit.max_candidates + n_interval, desc=f"fit {fit.name}", unit="candidate",
               disable=not progress, dynamic_ncols=True)
    with executor as (ex, slots, nthreads):
        evaluator = Evaluator(fit, specs, out, ex, slots, threads if threads is not None else (nthreads or None))
        synthetic = None
        if fit.synthetic is not None:
            synthetic = evaluator.synthetic_observations()
            if not all(math.isfinite(m) for m, _, _ in synthetic):
                bad = [t.name for t, (m, _, _) in zip(fit.targets, synthetic) if not math.isfinite(m)]
                raise ConfigError("fit.synthetic", f"the model gives no value for target(s) {', '.join(bad)} at the "
                                                   "hidden values (failed runs or an undefined readout)")
            evaluator.observed = np.array([m for m, _, _ in synthetic])

        def evaluate(units: list[list[float]], phase: str) -> list[float]:
            """Run the candidates ``units`` as one batch; their objectives, in order."""
            batch = evaluator.evaluate_many(len(evaluations), units, phase)
            evaluations.extend(batch)
            atomic_write_text(out / "candidates.csv", pd.DataFrame([e.row(fit) for e in evaluations])
                              .to_csv(index=False))
            best = min(e.objective for e in evaluations)
            bar.set_postfix(best_chi2=f"{best:.3g}", refresh=False)
            bar.update(len(batch))
            return [ev.objective for ev in batch]

        start = [p.start_unit for p in fit.parameters]
        budget.allows(1)
        budget.spend(1)
        evaluate([start], "start")
        posterior = SEARCHES[fit.method](evaluate, start, budget, fit.seed, fit.sigma0, fit.population,
                                         n_targets=len(fit.targets), min_epsilon=fit.min_epsilon)
        best = min(evaluations, key=lambda e: (e.objective, e.index))
        jacobian = None
        if fit.difference_intervals and best.objective < FAILED_OBJECTIVE:
            jacobian = _jacobian(fit, best, evaluate, evaluations)
    bar.close()
    result = report.summarise(fit, evaluations, best, jacobian, budget.stop_reason or "search finished",
                              time.perf_counter() - t0, synthetic, evaluator.observed.tolist(),
                              {given: spec.name for given, spec in specs.items()}, posterior)
    report.write_outputs(fit, out, evaluations, result, specs)
    return result


def _jacobian(fit: FitSpec, best: Evaluation, evaluate, evaluations: list[Evaluation]) -> np.ndarray:
    """d z / d s (search space) at ``best`` from difference pairs (candidates of phase 'interval', run as one
    batch)."""
    points = difference_points(best.unit, fit.interval_step)
    units = []
    for j, lo, hi in points:
        for u_j in (lo, hi):
            if u_j != best.unit[j]:
                units.append([*best.unit[:j], u_j, *best.unit[j + 1:]])
    first = len(evaluations)
    if units:
        evaluate(units, "interval")
    batch = iter(evaluations[first:])
    columns = []
    for j, lo, hi in points:
        pair = [best if u_j == best.unit[j] else next(batch) for u_j in (lo, hi)]
        p = fit.parameters[j].parameter
        s_lo_b, s_hi_b = p.sample_bounds()
        ds = (hi - lo) * (s_hi_b - s_lo_b)
        dz = np.array(pair[1].z) - np.array(pair[0].z)
        columns.append(dz / ds if ds > 0 else np.full(len(dz), np.nan))
    return np.column_stack(columns)
