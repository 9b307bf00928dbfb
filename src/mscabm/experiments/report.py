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

import json
import math
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mscabm.experiments.runner import read_manifest
from mscabm.experiments.spec import CONTROL_DERIVED, Spec, parse_spec, salib_problem
from mscabm.observe.io import atomic_write_parquet, atomic_write_text
from mscabm.schema import ConfigError

__all__ = ["build_report", "results_table", "summarize"]

# two-sided 95% Student t quantiles, df 1..30 (beyond: normal)
_T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
         2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042]


def t975(df: int) -> float:
    if df < 1:
        return math.nan
    return _T975[df - 1] if df <= 30 else 1.96


def _load(out: Path) -> tuple[Spec, dict]:
    out = Path(out)
    if not (out / "spec.toml").is_file() or not (out / "plan.json").is_file():
        raise ConfigError(str(out), "not an experiment folder (spec.toml and plan.json missing)")
    spec = parse_spec(tomllib.loads((out / "spec.toml").read_text(encoding="utf-8")), source=str(out / "spec.toml"))
    return spec, json.loads((out / "plan.json").read_text(encoding="utf-8"))


def results_table(out: str | Path) -> pd.DataFrame:
    """One row per planned run (see module docstring); runs not yet run have status 'missing'."""
    out = Path(out)
    spec, pl = _load(out)
    manifest = read_manifest(out)
    conds = {c["id"]: c for c in pl["conditions"]}
    col_names: list[str] = []
    for c in pl["conditions"]:
        col_names += [k for k in c["columns"] if k not in col_names]
    rows = []
    for r in pl["runs"]:
        m = manifest.get(r["run_id"], {})
        ok = m.get("status") == "done" and m.get("fingerprint") == r["fingerprint"]
        c = conds[r["condition"]]
        row: dict[str, Any] = {"run_id": r["run_id"], "condition": c["id"], "role": c["role"],
                               "replicate": r["replicate"], "seed": r["seed"],
                               "status": m.get("status", "missing") if (ok or m.get("status") != "done") else "stale",
                               "error": m.get("error", ""), "wall_s": m.get("wall_s", math.nan),
                               "control": c["control"] or ""}
        for k in col_names:
            row[k] = c["columns"].get(k)
        for k, v in r.get("patient", {}).items():  # virtual-cohort draws (experiments/cohort.py)
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
            v = g[k].to_numpy(dtype=float)
            v = v[np.isfinite(v)]
            n = len(v)
            mean = float(v.mean()) if n else math.nan
            sd = float(v.std(ddof=1)) if n > 1 else math.nan
            half = t975(n - 1) * sd / math.sqrt(n) if n > 1 else math.nan
            rows.append({**base, "readout": k, "n": n, "mean": mean, "sd": sd, "ci95_low": mean - half,
                         "ci95_high": mean + half, "n_failed": n_failed})
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


# ---------------------------------------------------------------------------- figure
def _figure(df: pd.DataFrame, summary: pd.DataFrame, spec: Spec, sens: pd.DataFrame | None, out: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rep = spec.report
    kind = rep.get("kind", "auto")
    if kind == "none":
        return []
    if kind == "auto":
        if spec.design_kind in ("morris", "sobol"):
            kind = "tornado"
        elif spec.design_kind == "grid" and any(f"{f.name}_value" in df.columns for f in spec.factors):
            kind = "dose_response"
        else:
            kind = "bars"
    ys = rep.get("y") or ([d.name for d in spec.derived] or spec.final)[:4]
    title = rep.get("title") or spec.name
    if kind == "tornado":
        if sens is None or "note" in sens.columns:
            return []
        fig, ax = plt.subplots(figsize=(6, 0.5 * len(sens) + 1.5))
        col, err = ("mu_star", "mu_star_conf") if "mu_star" in sens.columns else ("ST", "ST_conf")
        s = sens.sort_values(col)
        ax.barh(s["parameter"], s[col], xerr=s[err], color="tab:blue", alpha=0.8, capsize=3, label=col)
        if col == "ST":
            ax.barh(s["parameter"], s["S1"], color="tab:orange", alpha=0.8, label="S1")
            ax.legend()
        ax.set_xlabel(f"{col} of {s['readout'].iloc[0]}")
        ax.set_title(title)
    else:
        fig, axes = plt.subplots(1, len(ys), figsize=(4.8 * len(ys), 4), squeeze=False)
        design = summary[summary["role"] == "condition"]
        for ax, y in zip(axes[0], ys):
            s = design[design["readout"] == y]
            if kind == "dose_response":
                xf = rep.get("x") or next(f.name for f in spec.factors if f"{f.name}_value" in s.columns)
                hue = rep.get("hue") or next((f.name for f in spec.factors if f.name != xf), None)
                groups = s.groupby(hue, sort=False) if hue else [(None, s)]
                log_x = rep.get("log_x", True)
                for label, g in groups:
                    g = g[g[f"{xf}_value"].notna()].sort_values(f"{xf}_value")
                    if log_x:
                        g = g[g[f"{xf}_value"] > 0]
                    yerr = np.vstack([g["mean"] - g["ci95_low"], g["ci95_high"] - g["mean"]])
                    ax.errorbar(g[f"{xf}_value"], g["mean"], yerr=np.nan_to_num(yerr), marker="o", capsize=3,
                                label=f"{hue}={label}" if hue else None)
                if log_x:
                    ax.set_xscale("log")
                ax.set_xlabel(xf)
                if hue:
                    ax.legend(fontsize=8)
            else:
                yerr = np.vstack([s["mean"] - s["ci95_low"], s["ci95_high"] - s["mean"]])
                ax.bar(range(len(s)), s["mean"], yerr=np.nan_to_num(yerr), capsize=3, color="tab:blue", alpha=0.8)
                ax.set_xticks(range(len(s)))
                ax.set_xticklabels(s["condition"], rotation=40, ha="right", fontsize=8)
            ax.set_ylabel(y)
            ax.grid(alpha=0.3)
        fig.suptitle(title)
    fig.tight_layout()
    return save_figure(fig, out, dpi=120)


def save_figure(fig, out: Path, dpi: int) -> list[str]:
    """Write ``figure.png`` and ``figure.svg`` into ``out`` atomically (temp file, then rename), close
    the figure, and return the file names."""
    import matplotlib.pyplot as plt

    names = []
    for ext in ("png", "svg"):
        tmp = out / f".figure.{ext}.tmp"
        fig.savefig(tmp, format=ext, dpi=dpi)
        tmp.replace(out / f"figure.{ext}")
        names.append(f"figure.{ext}")
    plt.close(fig)
    return names


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
    cohort_lines: list[str] = []
    if spec.report.get("kind") == "cohort":
        from mscabm.experiments.cohort import cohort_report

        figs, cohort_lines = cohort_report(out, spec, df)
    else:
        figs = _figure(df, summary, spec, sens, out)

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
    lines.append("| condition | " + " | ".join(wide_cols) + " |")
    lines.append("|---" * (len(wide_cols) + 1) + "|")
    for cid, g in summary.groupby("condition", sort=False):
        cells = []
        for k in wide_cols:
            r = g[g["readout"] == k].iloc[0]
            cells.append(f"{_fmt(r['mean'])} +- {_fmt(r['sd'])} [{_fmt(r['ci95_low'])}, {_fmt(r['ci95_high'])}], {r['n']}")
        role = " (control)" if g["role"].iloc[0] == "control" else ""
        lines.append(f"| {cid}{role} | " + " | ".join(cells) + " |")
    lines.append("")
    if sens is not None:
        lines += [f"## Sensitivity ({spec.design_kind})", "", sens.to_markdown(index=False) if _has_tabulate()
                  else "```\n" + sens.to_string(index=False) + "\n```", ""]
    failed = df[df["status"] == "failed"]
    if len(failed):
        lines += ["## Failed runs", "", "| run | error |", "|---|---|"]
        lines += [f"| {r.run_id} | {str(r.error).replace('|', '/')} |" for r in failed.itertuples()]
        lines += ["", "Rerun them with `mscabm experiment SPEC --out DIR --resume`.", ""]
    lines += ["Files: `results.parquet` (one row per run), `summary.csv`, `parts/<run>.parquet` (time series), "
              "`runs/<run>.json` (manifest rows), `spec.toml`, `plan.json`.", ""]
    atomic_write_text(out / "report.md", "\n".join(lines))
    return df


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
    except ImportError:
        return False
    return True
