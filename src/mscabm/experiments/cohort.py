"""Virtual cohorts: patient-level variability and the ``cohort`` report.

**Patients** (``[patients]`` in a spec): each replicate is one virtual patient. Its values
are drawn from the distributions in ``[[patients.vary]]`` with a generator seeded by
``SeedSequence(master_seed, spawn_key=(PATIENT_KEY, replicate))``, so patient r has the same
values in every arm (control, drug, MSC, drug + MSC): arms are paired, like a crossover
trial of identical twins, and with ``seeds = "common"`` (default) the run-in before treatment
is bit-identical across arms. Keys apply on top of the base config and under each condition's
``set``. One entry::

    [[patients.vary]]
    name = "treg_fraction"                 # column in results.parquet
    keys = ["cells.T.state_fractions.Treg"]
    dist = "normal"                        # normal (mean, sd) | lognormal (median, sigma of ln) | uniform (low, high)
    mean = 0.06
    sd = 0.02
    clip = [0.01, 0.2]                     # optional bounds
    scale = "value"                        # value | multiply (x the base config's value)
    integer = false

**Cohort report** (``[report] kind = "cohort"``): per run the activity readout (``activity``,
default ``disease_activity``) at the treatment start (``baseline_min``: the first recorded
time >= it) and at the end; a **responder** has ``end <= (1 - responder_drop_pct / 100) x
baseline`` (default 50%, the common "50% improvement" criterion). Writes ``cohort_runs.csv``
(one row per patient and arm), ``cohort.csv`` (per arm: n, responders, fraction with Wilson
95% CI, mean and median % drop, mean end activity, mean paired difference to the reference
arm), ``timecourse.csv`` (per arm and time: mean, 95% CI, 10th/90th percentiles) and
``figure.png/.svg`` (activity over time with 95% CI bands per arm, and responder fractions).

Besides the end value, each run gets its **mean over the treatment period** (``period_mean``: the
time average of the activity from the treatment start to the end, trapezoid rule over the recorded
times), the analogue of a trial's repeated visits (DAS28 at every visit, the area under the curve)
rather than one reading at the last visit. Per arm ``cohort.csv`` gives its mean and, against the
reference arm, the mean paired difference and the number of patients below their twin (end and
period mean alike): an effect that peaks and fades before the end shows here and not at the end.

``responder_below`` (instead of ``responder_drop_pct``): a responder has ``end <= responder_below``
(an absolute criterion: free of clinically significant disease at the end, e.g. the complement of
a cGVHD incidence). ``responder_label`` names the criterion in the report and figure (e.g.
"PASI40-like").

``responder_vs_reference_pct`` (optional) adds a second, paired criterion: a patient responds in an
arm when its end activity is <= (1 - pct / 100) x the same patient's end activity in the reference
arm (its untreated twin): improvement against what the disease would have done, for horizons too
short for a drop from baseline (columns ``responder_vs_ref``, ``vs_ref_*``).
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mscabm.schema import ConfigError

__all__ = ["PatientVar", "parse_patients", "draw_patient", "cohort_report", "period_mean", "wilson", "PATIENT_KEY",
           "DISTS"]

PATIENT_KEY = 2**31 - 2  # spawn key of the patient draws (the sampled designs use 2**31 - 1)
DISTS = {"normal": ("mean", "sd"), "lognormal": ("median", "sigma"), "uniform": ("low", "high")}


class PatientVar:
    def __init__(self, name: str, keys: list[str], dist: str, params: dict[str, float],
                 clip: tuple[float, float] | None, scale: str, integer: bool) -> None:
        self.name, self.keys, self.dist, self.params = name, keys, dist, params
        self.clip, self.scale, self.integer = clip, scale, integer

    def to_dict(self) -> dict[str, Any]:
        return dict(name=self.name, keys=self.keys, dist=self.dist, params=self.params, clip=self.clip,
                    scale=self.scale, integer=self.integer)


def parse_patients(doc: Any, path: str = "patients") -> list[PatientVar]:
    """Validate the ``[patients]`` table (key paths in errors)."""
    from mscabm.experiments.spec import _bool, _float, _keys, _list, _name, _p, _str, _table

    _table(doc, path)
    _keys(doc, path, ("vary",), ("vary",))
    out: list[PatientVar] = []
    names: set[str] = set()
    for i, v in enumerate(_list(doc["vary"], _p(path, "vary"), 1)):
        vp = _p(_p(path, "vary"), i)
        v = _table(v, vp)
        dist = _str(v.get("dist", ""), _p(vp, "dist"), tuple(DISTS))
        need = DISTS[dist]
        _keys(v, vp, ("name", "keys", "dist", "clip", "scale", "integer") + need, ("name", "keys", "dist") + need)
        name = _name(v["name"], _p(vp, "name"))
        if name in names:
            raise ConfigError(_p(vp, "name"), f"duplicate patient variable {name!r}")
        names.add(name)
        keys = [_str(k, _p(_p(vp, "keys"), j), nonempty=True) for j, k in enumerate(_list(v["keys"], _p(vp, "keys"), 1))]
        params = {k: _float(v[k], _p(vp, k)) for k in need}
        if dist == "normal" and params["sd"] < 0 or dist == "lognormal" and (params["sigma"] < 0 or params["median"] <= 0):
            raise ConfigError(_p(vp, need[1]), "must be >= 0 (and a lognormal median > 0)")
        if dist == "uniform" and not params["low"] < params["high"]:
            raise ConfigError(_p(vp, "high"), "must be above low")
        clip = None
        if "clip" in v:
            c = _list(v["clip"], _p(vp, "clip"), 2)
            if len(c) != 2:
                raise ConfigError(_p(vp, "clip"), "expected [low, high]")
            clip = (_float(c[0], _p(_p(vp, "clip"), 0)), _float(c[1], _p(_p(vp, "clip"), 1)))
            if not clip[0] <= clip[1]:
                raise ConfigError(_p(vp, "clip"), "low must not exceed high")
        out.append(PatientVar(name, keys, dist, params, clip,
                              _str(v.get("scale", "value"), _p(vp, "scale"), ("value", "multiply")),
                              _bool(v.get("integer", False), _p(vp, "integer"))))
    return out


def _get(data: dict, dotted: str) -> Any:
    node: Any = data
    for k in dotted.split("."):
        if not isinstance(node, dict) or k not in node:
            return None
        node = node[k]
    return node


def draw_patient(variables: list[PatientVar], master_seed: int, replicate: int,
                 base: dict) -> tuple[dict[str, Any], dict[str, float]]:
    """(dotted key -> value overrides, name -> drawn value) of patient ``replicate``."""
    rng = np.random.default_rng(np.random.SeedSequence(master_seed, spawn_key=(PATIENT_KEY, replicate)))
    sets: dict[str, Any] = {}
    drawn: dict[str, float] = {}
    for v in variables:
        p = v.params
        if v.dist == "normal":
            x = rng.normal(p["mean"], p["sd"])
        elif v.dist == "lognormal":
            x = p["median"] * math.exp(rng.normal(0.0, p["sigma"]))
        else:
            x = rng.uniform(p["low"], p["high"])
        if v.clip:
            x = min(max(x, v.clip[0]), v.clip[1])
        drawn[v.name] = float(x)
        for k in v.keys:
            if v.scale == "multiply":
                b = _get(base, k)
                if not isinstance(b, int | float) or isinstance(b, bool):
                    raise ConfigError(f"patients: {v.name}: {k}", "scale = 'multiply' needs a number in the base "
                                      f"config, found {b!r}")
                val = b * x
            else:
                val = x
            sets[k] = int(round(val)) if v.integer else float(val)
    return sets, drawn


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score 95% interval of a proportion k/n."""
    if n == 0:
        return math.nan, math.nan
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return max(0.0, min(p, c - h)), min(1.0, max(p, c + h))  # k = 0 or n: no rounding step past p


def period_mean(time_min: np.ndarray, values: np.ndarray) -> float:
    """Time average of ``values`` over ``time_min`` (trapezoid rule; NaN for fewer than 2 points).

    ``time_min``: (n,) increasing recorded times (min); ``values``: (n,) the readout at them.
    """
    if len(time_min) < 2 or time_min[-1] <= time_min[0]:
        return math.nan
    return float(np.trapezoid(values, time_min) / (time_min[-1] - time_min[0]))


def _series(out: Path, run_id: str, col: str) -> pd.DataFrame | None:
    p = out / "parts" / f"{run_id}.parquet"
    if not p.is_file():
        return None
    s = pd.read_parquet(p, columns=["time_min", col])
    return s


def cohort_report(out: Path, spec, df: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Write the cohort tables and figure; returns (figure file names, report.md lines)."""
    from mscabm.experiments.report import t975

    rep = spec.report
    col = rep.get("activity", "disease_activity")
    t0 = float(rep.get("baseline_min", 0.0))
    drop_thr = float(rep.get("responder_drop_pct", 50.0))
    below = rep.get("responder_below")
    label = rep.get("responder_label", "")
    crit = (f"end `{col}` <= {below:g}" if below is not None
            else f"`{col}` drop >= {drop_thr:g}% from treatment start")
    arms = list(dict.fromkeys(df["condition"]))
    ref = rep.get("reference") or arms[0]
    vs_thr = rep.get("responder_vs_reference_pct")
    rows, traces = [], {}
    for r in df.itertuples():
        if r.status != "done":
            continue
        s = _series(out, r.run_id, col)
        if s is None or s.empty:
            continue
        after = s[s["time_min"] >= t0 - 1e-9]
        base = float(after[col].iloc[0]) if len(after) else float(s[col].iloc[0])
        end = float(s[col].iloc[-1])
        drop = 100.0 * (1.0 - end / base) if base > 0 else math.nan
        rows.append({"run_id": r.run_id, "arm": r.condition, "patient": r.replicate, "baseline": base, "end": end,
                     "drop_pct": drop, "responder": bool(end <= below) if below is not None
                     else bool(base > 0 and end <= (1 - drop_thr / 100.0) * base),
                     "period_mean": period_mean(after["time_min"].to_numpy(float), after[col].to_numpy(float))})
        traces[(r.condition, r.replicate)] = s
    runs = pd.DataFrame(rows)
    if runs.empty:
        return [], ["## Cohort", "", "No finished runs yet.", ""]
    from mscabm.observe.io import atomic_write_text

    twins = runs[runs["arm"] == ref].set_index("patient")  # each patient's run in the reference arm
    refv = twins["end"]
    if vs_thr is not None:
        twin = runs["patient"].map(refv)
        runs["responder_vs_ref"] = (runs["end"] <= (1 - float(vs_thr) / 100.0) * twin) & twin.notna()
        runs.loc[runs["arm"] == ref, "responder_vs_ref"] = False
    atomic_write_text(out / "cohort_runs.csv", runs.to_csv(index=False))
    summ = []
    for arm in arms:
        g = runs[runs["arm"] == arm]
        if g.empty:
            continue
        k, n = int(g["responder"].sum()), len(g)
        lo, hi = wilson(k, n)
        by_patient = g.set_index("patient")
        paired = (by_patient["end"] - refv).dropna()
        paired_p = (by_patient["period_mean"] - twins["period_mean"]).dropna()
        summ.append({"arm": arm, "n": n, "responders": k, "responder_frac": k / n, "ci95_low": lo, "ci95_high": hi,
                     "mean_drop_pct": float(g["drop_pct"].mean()), "median_drop_pct": float(g["drop_pct"].median()),
                     "mean_baseline": float(g["baseline"].mean()), "mean_end": float(g["end"].mean()),
                     f"mean_end_minus_{ref}": float(paired.mean()) if len(paired) else math.nan,
                     f"pairs_{ref}": len(paired), f"end_below_{ref}": int((paired < 0).sum()),
                     "mean_period_mean": float(g["period_mean"].mean()),
                     f"mean_period_mean_minus_{ref}": float(paired_p.mean()) if len(paired_p) else math.nan,
                     f"period_mean_below_{ref}": int((paired_p < 0).sum())})
        if vs_thr is not None:
            kv = int(g["responder_vs_ref"].sum())
            lo2, hi2 = wilson(kv, n)
            summ[-1].update({"vs_ref_responders": kv, "vs_ref_frac": kv / n, "vs_ref_ci95_low": lo2,
                             "vs_ref_ci95_high": hi2})
    summary = pd.DataFrame(summ)
    atomic_write_text(out / "cohort.csv", summary.to_csv(index=False))
    tc = []
    for arm in arms:
        ss = [s.set_index("time_min")[col] for (a, _), s in traces.items() if a == arm]
        if not ss:
            continue
        m = pd.concat(ss, axis=1)
        n = m.notna().sum(axis=1)
        mean, sd = m.mean(axis=1), m.std(axis=1, ddof=1)
        half = np.array([t975(int(k) - 1) if k > 1 else math.nan for k in n]) * sd / np.sqrt(n)
        tc.append(pd.DataFrame({"arm": arm, "time_min": m.index, "n": n.values, "mean": mean.values,
                                "ci95_low": (mean - half).values, "ci95_high": (mean + half).values,
                                "p10": m.quantile(0.1, axis=1).values, "p90": m.quantile(0.9, axis=1).values}))
    timecourse = pd.concat(tc, ignore_index=True)
    atomic_write_text(out / "timecourse.csv", timecourse.to_csv(index=False))
    figs = _figure(out, spec, summary, timecourse, traces, col, t0, label or crit, below)
    how = (f"at the end `{col}` <= {below:g} (absolute: free of clinically significant disease)" if below is not None
           else f"`{col}` at the end <= {100 - drop_thr:g}% of its value at treatment start (t = {t0:g} min, first "
                f"recorded time >= it), i.e. a drop of >= {drop_thr:g}%")
    lines = ["## Cohort", "",
             f"Responder{f' ({label})' if label else ''}: {how}. "
             f"Patients are paired across arms (same draws, same seed); reference arm for paired "
             f"differences: `{ref}`.", "",
             "| arm | n | responders | fraction [95% CI, Wilson] | mean drop % | mean baseline | mean end | "
             f"mean end - {ref} (paired) |", "|---|---|---|---|---|---|---|---|"]
    for r in summary.itertuples():
        lines.append(f"| {r.arm} | {r.n} | {r.responders} | {r.responder_frac:.2f} [{r.ci95_low:.2f}, "
                     f"{r.ci95_high:.2f}] | {r.mean_drop_pct:.1f} | {r.mean_baseline:.1f} | {r.mean_end:.1f} | "
                     f"{getattr(r, f'mean_end_minus_{ref}'):.1f} |")
    if vs_thr is not None:
        lines += ["", f"Paired responder: end `{col}` <= {100 - float(vs_thr):g}% of the same patient's end in "
                  f"`{ref}` (its twin in the reference arm), i.e. >= {float(vs_thr):g}% better than `{ref}`.", "",
                  "| arm | paired responders | fraction [95% CI, Wilson] |", "|---|---|---|"]
        for r in summary.itertuples():
            lines.append(f"| {r.arm} | {r.vs_ref_responders} | {r.vs_ref_frac:.2f} [{r.vs_ref_ci95_low:.2f}, "
                         f"{r.vs_ref_ci95_high:.2f}] |")
    lines += ["", f"Over the treatment period (time average of `{col}` from treatment start to the end, the "
              "analogue of a trial's repeated visits; an effect that fades before the end shows here and not at "
              f"the end). Pairs below: patients whose value is lower than their twin's in `{ref}`.", "",
              f"| arm | mean end | end - {ref} (paired) | pairs below at the end | period mean | "
              f"period mean - {ref} (paired) | pairs below over the period |", "|---|---|---|---|---|---|---|"]
    for row in summary.to_dict("records"):  # records, not itertuples: arm names need not be identifiers
        n_pairs = row[f"pairs_{ref}"]
        if row["arm"] == ref or n_pairs == 0:  # the reference itself, or no twins to compare with
            lines.append(f"| {row['arm']} | {row['mean_end']:.1f} | - | - | {row['mean_period_mean']:.1f} | - | - |")
            continue
        lines.append(f"| {row['arm']} | {row['mean_end']:.1f} | {row[f'mean_end_minus_{ref}']:+.1f} | "
                     f"{row[f'end_below_{ref}']}/{n_pairs} | {row['mean_period_mean']:.1f} | "
                     f"{row[f'mean_period_mean_minus_{ref}']:+.1f} | {row[f'period_mean_below_{ref}']}/{n_pairs} |")
    lines += ["", "Files: `cohort.csv` (per arm), `cohort_runs.csv` (per patient and arm), `timecourse.csv` "
              "(mean, 95% CI, 10th-90th percentile per arm and time).", ""]
    return figs, lines


def _figure(out: Path, spec, summary, timecourse, traces, col, t0, crit: str, below: float | None) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

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
    from mscabm.experiments.report import save_figure

    return save_figure(fig, out, dpi=110)
