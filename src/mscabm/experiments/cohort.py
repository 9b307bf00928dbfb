"""The ``cohort`` report of a virtual-cohort spec (patients: :mod:`mscabm.experiments.patients`).

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
from pathlib import Path

import pandas as pd

from mscabm.experiments.manifest import read_part
from mscabm.experiments.render import cohort_figure, markdown_table
from mscabm.experiments.spec import Spec
from mscabm.experiments.statistics import period_mean, t_half_width, wilson
from mscabm.observe.io import atomic_write_text

__all__ = ["cohort_report"]


def cohort_report(out: Path, spec: Spec, df: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Write the cohort tables and figure; returns (figure file names, report.md lines).

    ``df``: the results table (one row per run: run_id, condition, replicate, status).
    """
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
        s = read_part(out, r.run_id, ["time_min", col])
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
        half = t_half_width(n.to_numpy(), sd.to_numpy())
        tc.append(pd.DataFrame({"arm": arm, "time_min": m.index, "n": n.values, "mean": mean.values,
                                "ci95_low": (mean - half).values, "ci95_high": (mean + half).values,
                                "p10": m.quantile(0.1, axis=1).values, "p90": m.quantile(0.9, axis=1).values}))
    timecourse = pd.concat(tc, ignore_index=True)
    atomic_write_text(out / "timecourse.csv", timecourse.to_csv(index=False))
    figs = cohort_figure(out, spec, summary, timecourse, traces, col, t0, label or crit, below)
    how = (f"at the end `{col}` <= {below:g} (absolute: free of clinically significant disease)" if below is not None
           else f"`{col}` at the end <= {100 - drop_thr:g}% of its value at treatment start (t = {t0:g} min, first "
                f"recorded time >= it), i.e. a drop of >= {drop_thr:g}%")
    records = summary.to_dict("records")  # records, not itertuples: arm names need not be identifiers
    lines = ["## Cohort", "",
             f"Responder{f' ({label})' if label else ''}: {how}. "
             f"Patients are paired across arms (same draws, same seed); reference arm for paired "
             f"differences: `{ref}`.", "",
             markdown_table([[r["arm"], r["n"], r["responders"], f"{r['responder_frac']:.2f} [{r['ci95_low']:.2f}, "
                              f"{r['ci95_high']:.2f}]", f"{r['mean_drop_pct']:.1f}", f"{r['mean_baseline']:.1f}",
                              f"{r['mean_end']:.1f}", f"{r[f'mean_end_minus_{ref}']:.1f}"] for r in records],
                            ["arm", "n", "responders", "fraction [95% CI, Wilson]", "mean drop %", "mean baseline",
                             "mean end", f"mean end - {ref} (paired)"])]
    if vs_thr is not None:
        lines += ["", f"Paired responder: end `{col}` <= {100 - float(vs_thr):g}% of the same patient's end in "
                  f"`{ref}` (its twin in the reference arm), i.e. >= {float(vs_thr):g}% better than `{ref}`.", "",
                  markdown_table([[r["arm"], r["vs_ref_responders"],
                                   f"{r['vs_ref_frac']:.2f} [{r['vs_ref_ci95_low']:.2f}, {r['vs_ref_ci95_high']:.2f}]"]
                                  for r in records],
                                 ["arm", "paired responders", "fraction [95% CI, Wilson]"])]
    rows = []
    for row in records:
        n_pairs = row[f"pairs_{ref}"]
        if row["arm"] == ref or n_pairs == 0:  # the reference itself, or no twins to compare with
            rows.append([row["arm"], f"{row['mean_end']:.1f}", "-", "-", f"{row['mean_period_mean']:.1f}", "-", "-"])
            continue
        rows.append([row["arm"], f"{row['mean_end']:.1f}", f"{row[f'mean_end_minus_{ref}']:+.1f}",
                     f"{row[f'end_below_{ref}']}/{n_pairs}", f"{row['mean_period_mean']:.1f}",
                     f"{row[f'mean_period_mean_minus_{ref}']:+.1f}", f"{row[f'period_mean_below_{ref}']}/{n_pairs}"])
    lines += ["", f"Over the treatment period (time average of `{col}` from treatment start to the end, the "
              "analogue of a trial's repeated visits; an effect that fades before the end shows here and not at "
              f"the end). Pairs below: patients whose value is lower than their twin's in `{ref}`.", "",
              markdown_table(rows, ["arm", "mean end", f"end - {ref} (paired)", "pairs below at the end", "period mean",
                                    f"period mean - {ref} (paired)", "pairs below over the period"])]
    lines += ["", "Files: `cohort.csv` (per arm), `cohort_runs.csv` (per patient and arm), `timecourse.csv` "
              "(mean, 95% CI, 10th-90th percentile per arm and time).", ""]
    return figs, lines
