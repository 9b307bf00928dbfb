"""Combine an experiment folder into results, summary, figure and report.

- ``results.parquet``: one row per planned run: run_id, condition, role, replicate, seed,
  status, error, the condition's columns (factor labels, ``<factor>_value``, sampled
  parameter values), every readout of the spec and the control-based derived readouts
  (``suppression``: 100 (1 - x / x_control); ``fold_change``: x / x_control, paired by replicate
  with the matched control; NaN where the control failed or is 0);
- ``summary.csv``: per condition and readout: n, mean, sd, 95% CI (Student t), failed runs;
- ``sensitivity.csv`` (morris / sobol designs): SALib indices of ``report.sensitivity_of``;
- ``figure.png`` and ``figure.svg``: dose-response curves, bars, or a tornado plot;
- ``report.md``: description, status, figure, summary table, failures.

``mscabm report DIR`` calls :func:`build_report`, which needs only the folder.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mscabm.experiments import manifest
from mscabm.experiments.cohort import cohort_report
from mscabm.experiments.plan import salib_problem
from mscabm.experiments.posterior import condition_factors, draw_column, predictive_table
from mscabm.experiments.render import experiment_figure, markdown_table
from mscabm.experiments.spec import CONTROL_DERIVED, Spec, parse_spec
from mscabm.experiments.statistics import mean_interval
from mscabm.observe.io import atomic_write_parquet, atomic_write_text

__all__ = ["build_report", "results_table", "summarize", "sensitivity"]


def _load(out: Path) -> tuple[Spec, dict]:
    out = Path(out)
    doc = manifest.read_spec_document(out)
    return parse_spec(doc, source=str(out / manifest.SPEC_FILE)), manifest.read_plan(out)


def results_table(out: str | Path) -> pd.DataFrame:
    """One row per planned run (see module docstring); runs not yet run have status 'missing'."""
    out = Path(out)
    spec, pl = _load(out)
    rows_by_id = manifest.read_manifest(out)
    conds = {c["id"]: c for c in pl["conditions"]}
    col_names: list[str] = []
    for c in pl["conditions"]:
        col_names += [k for k in c["columns"] if k not in col_names]
    rows = []
    for r in pl["runs"]:
        m = rows_by_id.get(r["run_id"], {})
        ok = m.get("status") == "done" and m.get("fingerprint") == r["fingerprint"]
        c = conds[r["condition"]]
        row: dict[str, Any] = {"run_id": r["run_id"], "condition": c["id"], "role": c["role"],
                               "replicate": r["replicate"], "seed": r["seed"],
                               "status": m.get("status", "missing") if (ok or m.get("status") != "done") else "stale",
                               "error": m.get("error", ""), "wall_s": m.get("wall_s", math.nan),
                               "control": c["control"] or ""}
        for k in col_names:
            row[k] = c["columns"].get(k)
        for k, v in r.get("patient", {}).items():  # virtual-cohort draws (mscabm/experiments/patients.py)
            row[f"patient_{k}"] = v
        final = m.get("final", {}) if ok else {}
        for k in spec.readout_columns:
            if next((d for d in spec.derived if d.name == k and d.kind in CONTROL_DERIVED), None) is None:
                row[k] = float(final.get(k, math.nan))
        rows.append(row)
    df = pd.DataFrame(rows)
    # control-based readouts, paired by replicate
    key = {(r["condition"], r["replicate"]): i for i, r in df.iterrows()}
    for d in spec.derived:
        if d.kind not in CONTROL_DERIVED:
            continue
        vals = []
        for _, r in df.iterrows():
            j = key.get((r["control"], r["replicate"])) if r["control"] else None
            x = r[d.of]
            xc = df.at[j, d.of] if j is not None else math.nan
            if j is None or not np.isfinite(xc) or not np.isfinite(x) or xc == 0:
                vals.append(math.nan)
            elif d.kind == "suppression":
                vals.append(100.0 * (1.0 - x / xc))
            else:
                vals.append(x / xc)
        df[d.name] = vals
    return df


def summarize(df: pd.DataFrame, spec: Spec) -> pd.DataFrame:
    """Long table: condition, role, columns, readout, n, mean, sd, ci95_low, ci95_high, n_failed."""
    col_names = [c for c in df.columns if c not in ("run_id", "condition", "role", "replicate", "seed", "status",
                                                      "error", "wall_s", "control") and c not in spec.readout_columns
                 and not c.startswith("patient_")]
    rows = []
    for cid, g in df.groupby("condition", sort=False):
        base = {"condition": cid, "role": g["role"].iloc[0], **{k: g[k].iloc[0] for k in col_names}}
        n_failed = int((g["status"] == "failed").sum())
        for k in spec.readout_columns:
            n, mean, sd, lo, hi = mean_interval(g[k].to_numpy(dtype=float))
            rows.append({**base, "readout": k, "n": n, "mean": mean, "sd": sd, "ci95_low": lo, "ci95_high": hi,
                         "n_failed": n_failed})
    return pd.DataFrame(rows)


def sensitivity(df: pd.DataFrame, spec: Spec, pl: dict) -> pd.DataFrame | None:
    """SALib indices of the chosen readout (mean over replicates per sample); None if not a SA design."""
    if spec.design_kind not in ("morris", "sobol") or pl.get("samples") is None:
        return None
    of = spec.report.get("sensitivity_of") or spec.readout_columns[-1]
    design = df[df["role"] == "condition"]
    y = design.groupby("condition", sort=True)[of].mean()
    ids = [f"s{i:05d}" for i in range(len(pl["samples"]))]
    Y = np.array([y.get(i, math.nan) for i in ids], dtype=float)
    problem = salib_problem(spec)
    X = np.array(pl["samples"], dtype=float)
    if not np.all(np.isfinite(Y)):
        bad = int((~np.isfinite(Y)).sum())
        return pd.DataFrame({"parameter": problem["names"], "note": f"{bad} sample(s) without a finite {of}; "
                             "indices not computed (rerun failed runs with --resume)"})
    if spec.design_kind == "morris":
        from SALib.analyze import morris

        res = morris.analyze(problem, X, Y, num_levels=spec.levels, seed=spec.master_seed % 2**32)
        return pd.DataFrame({"parameter": problem["names"], "mu": res["mu"], "mu_star": res["mu_star"],
                             "sigma": res["sigma"], "mu_star_conf": res["mu_star_conf"], "readout": of})
    from SALib.analyze import sobol

    res = sobol.analyze(problem, Y, calc_second_order=spec.second_order, seed=spec.master_seed % 2**32)
    return pd.DataFrame({"parameter": problem["names"], "S1": res["S1"], "S1_conf": res["S1_conf"], "ST": res["ST"],
                         "ST_conf": res["ST_conf"], "readout": of})


def _fmt(v: float) -> str:
    if v is None or not np.isfinite(v):
        return "-"
    return f"{v:.3g}"


def build_report(out: str | Path) -> pd.DataFrame:
    """(Re)write results.parquet, summary.csv, sensitivity.csv, figure.png/.svg and report.md."""
    out = Path(out)
    spec, pl = _load(out)
    df = results_table(out)
    atomic_write_parquet(out / "results.parquet", df)
    summary = summarize(df, spec)
    atomic_write_text(out / "summary.csv", summary.to_csv(index=False))
    sens = sensitivity(df, spec, pl)
    if sens is not None:
        atomic_write_text(out / "sensitivity.csv", sens.to_csv(index=False))
    predictive = predictive_table(df, spec)
    if predictive is not None:
        atomic_write_text(out / "predictive.csv", predictive.to_csv(index=False))
    cohort_lines: list[str] = []
    if spec.report.get("kind") == "cohort":
        figs, cohort_lines = cohort_report(out, spec, df)
    else:
        figs = experiment_figure(df, summary, spec, sens, out)

    n = len(df)
    counts = df["status"].value_counts().to_dict()
    lines = [f"# Experiment `{spec.name}`", ""]
    if spec.description:
        lines += [spec.description.strip(), ""]
    lines += [f"- design: {spec.design_kind}, {len(pl['conditions'])} conditions "
              f"({sum(c['role'] == 'control' for c in pl['conditions'])} extra matched controls), "
              f"{spec.replicates} replicate(s), master seed {spec.master_seed} ({spec.seeds} seeds)",
              f"- runs: {n}: " + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())),
              f"- wall time of the runs: {np.nansum(df['wall_s'].to_numpy(dtype=float)):.1f} s (sum over runs)", ""]
    if "png" in " ".join(figs):
        lines += ["![figure](figure.png)", "", "(vector: [figure.svg](figure.svg))", ""]
    lines += cohort_lines
    lines += ["## Summary (mean +- sd [95% CI], n)", ""]
    wide_cols = spec.readout_columns
    rows = []
    for cid, g in summary.groupby("condition", sort=False):
        cells = []
        for k in wide_cols:
            r = g[g["readout"] == k].iloc[0]
            cells.append(f"{_fmt(r['mean'])} +- {_fmt(r['sd'])} "
                         f"[{_fmt(r['ci95_low'])}, {_fmt(r['ci95_high'])}], {r['n']}")
        role = " (control)" if g["role"].iloc[0] == "control" else ""
        rows.append([f"{cid}{role}", *cells])
    lines += [markdown_table(rows, ["condition", *wide_cols]), ""]
    if sens is not None:
        lines += [f"## Sensitivity ({spec.design_kind})", "", sens.to_markdown(index=False), ""]
    if predictive is not None and len(predictive):
        lines += [f"## Predictive intervals over the parameter sets (`{draw_column(spec)}`: posterior draws with "
                  "--posterior)", "",
                  "Per condition and readout, over every draw and replicate: mean [2.5th, 97.5th percentile]; the sd "
                  "between the draws' means (parameter uncertainty) and within a draw (replicate noise). "
                  "`predictive.csv` has every readout.", ""]
        cols = condition_factors(spec)
        lines += [markdown_table([[*(str(r[c]) for c in cols), r["readout"],
                                   f"{_fmt(r['mean'])} [{_fmt(r['p2_5'])}, {_fmt(r['p97_5'])}]",
                                   _fmt(r["between_draw_sd"]), _fmt(r["replicate_sd"]), f"{r['draws']}, {r['n']}"]
                                  for _, r in predictive.iterrows()],
                                 [*cols, "readout", "mean [95% predictive]", "sd between draws", "sd within draw",
                                  "draws, runs"]), ""]
    failed = df[df["status"] == "failed"]
    if len(failed):
        lines += ["## Failed runs", "",
                  markdown_table([[r.run_id, r.error] for r in failed.itertuples()], ["run", "error"])]
        lines += ["", "Rerun them with `mscabm experiment SPEC --out DIR --resume`.", ""]
    lines += ["Files: `results.parquet` (one row per run), `summary.csv`, `parts/<run>.parquet` (time series), "
              "`runs/<run>.json` (manifest rows), `spec.toml`, `plan.json`.", ""]
    atomic_write_text(out / "report.md", "\n".join(lines))
    return df
