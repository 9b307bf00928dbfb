"""A fit's outputs: fit.json, report.md, convergence.png/.svg and fitted_preset.toml.

:func:`summarise` gathers the best fit, the residual of every target in units of its sd, the
linearised intervals and correlations (:mod:`mscabm.fit.intervals`), the budget used and (for a
synthetic problem) whether each hidden value lies in its interval. :func:`write_outputs` writes
them; the preset file holds the best values as a config layer (``extends`` the first experiment
spec's base preset) with a comment naming the fit that produced it.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mscabm.fit.intervals import linearised_intervals, posterior_intervals
from mscabm.fit.objective import FAILED_OBJECTIVE, Evaluation
from mscabm.fit.spec import FitSpec

__all__ = ["summarise", "write_outputs", "to_markdown"]


def summarise(fit: FitSpec, evaluations: list[Evaluation], best: Evaluation, jacobian: np.ndarray | None,
              stop_reason: str, wall_s: float, synthetic: list[tuple[float, float, int]] | None,
              observed: list[float], spec_names: dict[str, str] | None = None,
              posterior: Any = None) -> dict[str, Any]:
    """The contents of fit.json (plain data). ``spec_names``: a target's spec as given -> the experiment's
    name, for a parameter's ``specs`` (fit.json names the experiments, as ``--posterior`` matches them).
    ``posterior``: an ABC-SMC search's :class:`~mscabm.fit.search.AbcPosterior` (its intervals replace the
    linearised ones; its particles go into fit.json for ``--posterior``)."""
    params = []
    intervals = None
    interval_note = "not computed ([fit] intervals = false)" if not fit.intervals else ""
    bounds = np.array([p.parameter.sample_bounds() for p in fit.parameters])
    sample = None
    if fit.method == "abcsmc":
        interval_note = "not computed: the budget ended before ABC-SMC's first generation"
        if posterior is not None:
            sample = bounds[:, 0] + posterior.units * (bounds[:, 1] - bounds[:, 0])  # unit cube -> search space
            intervals = posterior_intervals(sample, posterior.weights, bounds,
                                            lambda j, s: fit.parameters[j].parameter.from_sample(s))
    elif jacobian is not None:
        if np.all(np.isfinite(jacobian)):
            best_s = np.array([p.parameter.to_sample(best.values[p.name]) for p in fit.parameters])
            intervals = linearised_intervals(best_s, jacobian, bounds,
                                             lambda j, s: fit.parameters[j].parameter.from_sample(s))
        else:
            interval_note = "not computed: a difference candidate's targets are undefined (failed runs)"
    elif fit.intervals:
        interval_note = "not computed: no candidate gave every target a value"
    for j, fp in enumerate(fit.parameters):
        p = fp.parameter
        row: dict[str, Any] = {"name": p.name, "keys": p.keys, "bounds": list(p.bounds), "log": p.log,
                               "scale": p.scale, "start": fp.value(fp.start_unit), "best": best.values[p.name],
                               "specs": [(spec_names or {}).get(n, n) for n in fp.specs]}
        if intervals is not None:
            row.update(ci95_low=intervals.low[j], ci95_high=intervals.high[j],
                       sd_search=intervals.sd_search[j], identified=intervals.identified[j],
                       interval_reaches_bound=intervals.clipped[j])
        if fit.synthetic is not None:
            hidden = fit.synthetic[p.name]
            row["hidden"] = hidden
            if intervals is not None:
                row["hidden_in_interval"] = bool(intervals.low[j] <= hidden <= intervals.high[j])
        params.append(row)
    targets = []
    for i, t in enumerate(fit.targets):
        m = best.mean[i]
        targets.append({"name": t.name, "spec": t.spec, "readout": t.readout, "where": t.where, "route": t.route,
                        "observed": observed[i], "sd": t.sd, "accepted": list(t.accepted) if t.accepted else None,
                        "model_mean": m, "model_se": best.se[i], "n": best.n[i], "z": best.z[i],
                        "in_accepted_range": (bool(t.accepted[0] <= m <= t.accepted[1])
                                              if t.accepted and math.isfinite(m) else None),
                        "source": t.source})
    start = evaluations[0]
    if sample is not None:
        last = posterior.generations[-1] if posterior.generations else {}
        method = (f"ABC-SMC posterior (pyabc): weighted 2.5% and 97.5% quantiles of the {len(sample)} particles of "
                  f"generation {last.get('t', '?')} (threshold {last.get('epsilon', math.nan):.3g} on the RMS "
                  "residual); identified: the interval spans less than half the box")
    else:
        method = ("linearised (Gauss-Newton) 95% intervals from central differences at the best fit, common random "
                  "numbers" if intervals is not None else interval_note)
    return {
        "name": fit.name, "method": fit.method, "seed": fit.seed, "stop_reason": stop_reason,
        "candidates": len(evaluations), "search_candidates": sum(e.phase != "interval" for e in evaluations),
        "runs": int(sum(e.runs for e in evaluations)), "failed_runs": int(sum(e.failed_runs for e in evaluations)),
        "wall_s": wall_s, "best_candidate": best.index, "best_objective": best.objective,
        "start_objective": start.objective, "parameters": params, "targets": targets,
        "correlation": intervals.correlation if intervals is not None else None,
        "condition_number": intervals.condition_number if intervals is not None else None,
        "interval_method": method,
        "abc_generations": posterior.generations if posterior is not None else None,
        "posterior_sample": ({"search": sample.tolist(), "weights": posterior.weights.tolist()}
                             if sample is not None else None),
        "synthetic": ({"hidden": fit.synthetic, "seed": fit.synthetic_seed,
                       "observations": [{"mean": m, "se": s, "n": n} for m, s, n in synthetic]}
                      if fit.synthetic is not None and synthetic is not None else None),
    }


def _g(x: Any) -> str:
    if x is None:
        return ""
    if isinstance(x, float):
        if not math.isfinite(x):
            return "inf" if x > 0 else ("-inf" if x < 0 else "nan")
        return f"{x:.4g}"
    return str(x)


def to_markdown(result: dict[str, Any]) -> str:
    """report.md: budget, parameters with intervals, targets with residuals, correlations."""
    from mscabm.experiments.render import markdown_table

    lines = [f"# Fit {result['name']}", "",
             f"Method **{result['method']}** (seed {result['seed']}); {result['candidates']} candidates "
             f"({result['search_candidates']} start + search), {result['runs']} runs "
             f"({result['failed_runs']} failed), {result['wall_s']:.0f} s wall. Stopped: {result['stop_reason']}.",
             f"Objective (sum of squared residuals): start {_g(result['start_objective'])}, best "
             f"{_g(result['best_objective'])} (candidate {result['best_candidate']}).", "",
             "## Parameters", "", f"Intervals: {result['interval_method']}.", ""]
    synthetic = result.get("synthetic") is not None
    head = ["parameter", "keys", "bounds", "start", "best", "95% interval", "identified"]
    if synthetic:
        head += ["hidden", "hidden in interval"]
    rows = []
    for p in result["parameters"]:
        ci = (f"[{_g(p['ci95_low'])}, {_g(p['ci95_high'])}]" + (" (reaches a bound)" if p["interval_reaches_bound"]
                                                                else "")) if "ci95_low" in p else ""
        row = [p["name"], ", ".join(p["keys"]), f"[{_g(p['bounds'][0])}, {_g(p['bounds'][1])}]"
               + (" log" if p["log"] else ""), _g(p["start"]), _g(p["best"]), ci,
               ("yes" if p["identified"] else "NO") if "identified" in p else ""]
        if synthetic:
            row += [_g(p["hidden"]), ("yes" if p["hidden_in_interval"] else "NO") if "hidden_in_interval" in p else ""]
        rows.append(row)
    lines += [markdown_table(rows, head), "", "## Targets", "",
              "z = (model mean - observed) / sqrt(sd^2 + se0^2), se0 = the standard error of the mean at the start "
              "candidate (replicate noise, held fixed); the se column is this candidate's own. An accepted range is "
              "read as a 95% interval (observed = its middle, sd = its width / 4).", ""]
    rows = []
    for t in result["targets"]:
        obs = f"{_g(t['observed'])} +- {_g(t['sd'])}" + (f" (accepted {_g(t['accepted'][0])} to "
                                                         f"{_g(t['accepted'][1])})" if t["accepted"] else "")
        inr = "" if t["in_accepted_range"] is None else ("yes" if t["in_accepted_range"] else "NO")
        rows.append([t["name"], obs, f"{_g(t['model_mean'])} +- {_g(t['model_se'])} (n={t['n']})", _g(t["z"]), inr,
                     t["source"]])
    lines += [markdown_table(rows, ["target", "observed", "model (mean +- se)", "z", "in range", "source"]), ""]
    if result.get("correlation") is not None and len(result["parameters"]) > 1:
        names = [p["name"] for p in result["parameters"]]
        rows = [[n] + [_g(v) for v in r] for n, r in zip(names, result["correlation"])]
        what = ("the posterior covariance (weighted particles)" if result.get("posterior_sample") is not None
                else "J^T J")
        lines += ["## Correlations of the estimates", "",
                  f"|r| near 1: the targets cannot tell the two apart. Condition number of {what}: "
                  f"{_g(result['condition_number'])}.", "", markdown_table(rows, [""] + names), ""]
    if result.get("abc_generations"):
        rows = [[g["t"], _g(g["epsilon"]), g["particles"], g["candidates"],
                 f"{g['particles'] / max(g['candidates'], 1):.2f}"] for g in result["abc_generations"]]
        lines += ["## ABC-SMC generations", "",
                  "Threshold: the largest RMS residual a particle of the generation may have (targets in units of "
                  "their sd).", "",
                  markdown_table(rows, ["generation", "threshold", "particles", "candidates", "acceptance"]), ""]
    lines += ["![convergence](convergence.png)", ""]
    return "\n".join(lines)


def convergence_figure(fit: FitSpec, evaluations: list[Evaluation], out: Path) -> None:
    """convergence.png/.svg: objective per candidate with the best so far; parameter traces (unit cube)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    idx = np.array([e.index for e in evaluations])
    obj = np.array([e.objective for e in evaluations], dtype=float)
    shown = np.where(obj < FAILED_OBJECTIVE, obj, np.nan)
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(10, 3.8), constrained_layout=True)
    colours = {"start": "black", "search": "tab:blue", "interval": "tab:orange"}
    for phase, c in colours.items():
        sel = np.array([e.phase == phase for e in evaluations])
        if sel.any():
            ax0.scatter(idx[sel], np.maximum(shown[sel], 1e-3), s=14, color=c, label=phase)
    ax0.plot(idx, np.maximum(np.fmin.accumulate(np.nan_to_num(shown, nan=np.inf)), 1e-3), color="tab:red",
             label="best so far")
    ax0.set_yscale("log")
    ax0.set_xlabel("candidate")
    ax0.set_ylabel("objective (sum of z^2)")
    ax0.legend(fontsize=8)
    for j, p in enumerate(fit.parameters):
        ax1.plot(idx, [e.unit[j] for e in evaluations], marker=".", lw=0.8, label=p.name)
        if fit.synthetic is not None:
            ax1.axhline(p.unit(fit.synthetic[p.name]), ls="--", lw=0.8, color=ax1.lines[-1].get_color())
    ax1.set_ylim(-0.02, 1.02)
    ax1.set_xlabel("candidate")
    ax1.set_ylabel("position in bounds (0 = low, 1 = high)")
    ax1.legend(fontsize=8)
    fig.suptitle(f"fit {fit.name} ({fit.method})" + ("; dashed: hidden values" if fit.synthetic else ""))
    for ext in ("png", "svg"):
        fig.savefig(out / f"convergence.{ext}", dpi=110)
    plt.close(fig)


def fitted_preset(fit: FitSpec, result: dict[str, Any], specs: dict[str, Any], out: Path) -> str:
    """TOML text of a config layer with the best values (the first spec's base config as ``extends``)."""
    import tomli_w

    from mscabm.config import set_path
    from mscabm.experiments.plan import base_data

    first = specs[fit.spec_names[0]]
    base = base_data(first)
    data: dict[str, Any] = {}
    if first.base_config and "/" not in first.base_config and not first.base_config.endswith(".toml"):
        data["extends"] = first.base_config
    elsewhere: list[str] = []  # parameters fitted only in other specs (e.g. a species' own): not this preset's
    for fp in fit.parameters:
        best = result["parameters"][fit.parameters.index(fp)]["best"]
        if fp.applies_to(fit.spec_names[0]):
            for key, v in fp.parameter.apply(best, base, f"parameters.{fp.name}").items():
                set_path(data, key, v)
            continue
        own = specs[next(n for n in fit.spec_names if fp.applies_to(n))]
        values = fp.parameter.apply(best, base_data(own), f"parameters.{fp.name}")
        elsewhere.append(f"# {fp.name} = {best:.6g} (applied in spec(s) {', '.join(fp.specs)} only; there: "
                         + ", ".join(f"{k} = {v:.6g}" for k, v in values.items()) + ")")
    header = (f"# Written by `mscabm fit` (fit {fit.name}, method {fit.method}, {result['candidates']} candidates, "
              f"best objective {result['best_objective']:.4g}).\n# Fit folder: {out}; report: {out}/report.md.\n"
              "# Values of scale = 'multiply' parameters are relative to the base config of spec "
              f"{first.name}.\n")
    if elsewhere:
        header += "# Fitted for other specs, not set here:\n" + "\n".join(elsewhere) + "\n"
    return header + tomli_w.dumps(data)


def write_outputs(fit: FitSpec, out: Path, evaluations: list[Evaluation], result: dict[str, Any],
                  specs: dict[str, Any]) -> None:
    """candidates.csv, fit.json, report.md, the convergence figure and fitted_preset.toml into ``out``;
    ``specs``: the fit's experiment specs as :func:`mscabm.fit.spec.check_fit` loaded them."""
    from mscabm.observe.io import atomic_write_text

    atomic_write_text(out / "candidates.csv", pd.DataFrame([e.row(fit) for e in evaluations]).to_csv(index=False))
    atomic_write_text(out / "fit.json", json.dumps(result, indent=1, default=float))
    atomic_write_text(out / "report.md", to_markdown(result))
    convergence_figure(fit, evaluations, out)
    atomic_write_text(out / "fitted_preset.toml", fitted_preset(fit, result, specs, out))
