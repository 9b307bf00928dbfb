"""Rendering of experiment reports: figures (PNG and SVG, written atomically) and Markdown tables.

- :func:`experiment_figure`: dose-response curves, bars, or a tornado plot of a sensitivity design;
- :func:`cohort_figure`: a virtual cohort's activity over time and responder fractions;
- :func:`markdown_table`: rows of pre-formatted cells as a Markdown table (pandas ``to_markdown``).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

from mscabm.experiments.spec import Spec
from mscabm.observe.io import atomic_write_figure

__all__ = ["experiment_figure", "cohort_figure", "save_figure", "markdown_table"]


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, out: Path, dpi: int) -> list[str]:
    """Write ``figure.png`` and ``figure.svg`` into ``out`` atomically, close the figure, return the file names."""
    names = []
    for ext in ("png", "svg"):
        atomic_write_figure(Path(out) / f"figure.{ext}", fig, dpi=dpi)
        names.append(f"figure.{ext}")
    _pyplot().close(fig)
    return names


def markdown_table(rows: list[list[str]], columns: list[str]) -> str:
    """A Markdown (pipe) table of ``rows`` (cells as text, formatted by the caller) under ``columns``.

    Cells are not re-parsed as numbers; a '|' in a cell is written as '/' (it would end the cell) and a
    line break as a space.
    """
    clean = [[" ".join(str(c).replace("|", "/").splitlines()) for c in r] for r in rows]
    return pd.DataFrame(clean, columns=[c.replace("|", "/") for c in columns]).to_markdown(index=False,
                                                                                         disable_numparse=True)


def experiment_figure(df: pd.DataFrame, summary: pd.DataFrame, spec: Spec, sens: pd.DataFrame | None,
                      out: Path) -> list[str]:
    """Dose-response curves, bars or a tornado plot (``[report] kind``) into ``out``; returns the file names."""
    plt = _pyplot()
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


def cohort_figure(out: Path, spec: Spec, summary: pd.DataFrame, timecourse: pd.DataFrame, traces: dict, col: str,
                  t0: float, crit: str, below: float | None) -> list[str]:
    """Activity over time per arm (mean, 95% CI band, each patient) and responder fractions; returns the file names."""
    plt = _pyplot()
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 4.8), gridspec_kw={"width_ratios": [2, 1]})
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, arm in enumerate(summary["arm"]):
        c = colors[i % len(colors)]
        g = timecourse[timecourse["arm"] == arm]
        days = g["time_min"] / 1440.0
        for (a, _), s in traces.items():
            if a == arm:
                ax.plot(s["time_min"] / 1440.0, s[col], color=c, alpha=0.12, lw=0.7)
        ax.plot(days, g["mean"], color=c, lw=2, label=arm)
        ax.fill_between(days, g["ci95_low"], g["ci95_high"], color=c, alpha=0.25)
    ax.axvline(t0 / 1440.0, color="k", ls="--", lw=0.8)
    if below is not None:  # the absolute criterion's threshold
        ax.axhline(below, color="grey", ls=":", lw=1.0)
    ax.set_xlabel("day")
    ax.set_ylabel(col)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    ax.set_title("mean, 95% CI band, patients (thin)")
    x = np.arange(len(summary))
    bars = [("responder_frac", "ci95_low", "ci95_high", crit, 0.8, None)]
    if "vs_ref_frac" in summary:  # the paired criterion too, hatched, when the spec asks for it
        ref = spec.report.get("reference") or "reference"
        bars.append(("vs_ref_frac", "vs_ref_ci95_low", "vs_ref_ci95_high",
                     f">= {spec.report['responder_vs_reference_pct']:g}% below the {ref} twin", 0.35, "//"))
    w = 0.8 / len(bars)
    for j, (fr, lo, hi, lab, alpha, hatch) in enumerate(bars):
        # Wilson bounds at k = 0 or k = n can sit a rounding error inside the fraction: clip to >= 0
        err = np.clip(np.nan_to_num(np.vstack([summary[fr] - summary[lo], summary[hi] - summary[fr]])), 0.0, None)
        bx.bar(x + (j - (len(bars) - 1) / 2) * w, summary[fr], width=w, yerr=err, capsize=2,
               color=[colors[i % len(colors)] for i in range(len(summary))], alpha=alpha, hatch=hatch,
               edgecolor="k", linewidth=0.4, label=textwrap.fill(lab, 48))
    bx.set_xticks(x)
    bx.set_xticklabels(summary["arm"], rotation=35, ha="right", fontsize=8)
    bx.set_ylim(0, 1.05)
    bx.set_ylabel("responder fraction (95% CI)", fontsize=8)
    bx.legend(fontsize=6.5, loc="upper center", bbox_to_anchor=(0.5, -0.32), frameon=False)
    bx.grid(alpha=0.3)
    fig.suptitle(spec.report.get("title") or spec.name)
    fig.tight_layout()
    return save_figure(fig, out, dpi=110)
