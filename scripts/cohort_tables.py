"""Print the markdown result tables of docs/scenarios.md from finished cohort runs (runs/experiments/cohort_*/).

Run: python scripts/cohort_tables.py [--root runs/experiments]. Reads each cohort's cohort.csv and cohort_runs.csv
(written by `mscabm experiment experiments/cohort_<disease>.toml`); diseases whose cohort has not run are skipped.
"""

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from mscabm.experiments import load_spec
from mscabm.experiments.render import markdown_table
from mscabm.experiments.statistics import paired_bootstrap, wilson

DISEASES = ["sle", "ra", "ms", "ibd", "psoriasis", "gvhd", "t1d", "pss"]


def frac(k: int, n: int, lo: float, hi: float) -> str:
    return f"{int(k)}/{int(n)} [{lo:.2f}, {hi:.2f}]"


def verdict_word(diff: float, more: bool = True) -> str:
    """A combination against the full drug dose: "yes" at or below it (with at least as many responders, where
    counted), "close" within 3 points of activity, else "no"."""
    return "yes" if diff <= 0 and more else ("close" if diff < 3 else "no")


def arm_cell(s: pd.Series, g: pd.DataFrame) -> str:
    return (f"{s.mean_end:.1f}; {s.mean_drop_pct:+.0f}% [{g.drop_pct.min():+.0f}, {g.drop_pct.max():+.0f}]; "
            f"**{int(s.responders)}/{int(s.n)}**; {int(s.vs_ref_responders)}/{int(s.n)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--root", default="runs/experiments")
    root = Path(ap.parse_args().root)
    arms = ["control", "drug", "drug_low", "MSC", "drug_low_MSC"]
    rows = []
    combo = []
    for d in DISEASES:
        f = root / f"cohort_{d}"
        if not (f / "cohort.csv").is_file():
            continue
        summ = pd.read_csv(f / "cohort.csv").set_index("arm")
        runs = pd.read_csv(f / "cohort_runs.csv")
        label = load_spec(f / "spec.toml").report.get("responder_label", "")
        cells = [arm_cell(summ.loc[a], runs[runs.arm == a]) if a in summ.index else "-" for a in arms]
        rows.append([f"{d} ({label})", f"{summ.loc['control'].mean_baseline:.1f}", *cells])
        extra = [a for a in summ.index if a not in arms]
        for a in extra:
            rows.append([f"{d}: {a}", "", arm_cell(summ.loc[a], runs[runs.arm == a]), "", "", "", ""])
        if {"drug", "drug_low", "drug_low_MSC"} <= set(summ.index):
            combo.append((d, summ, runs))
    print(markdown_table(rows, ["disease (criterion)", "enrolment activity", *arms]))
    print()

    def verdict(s, arm: str) -> str:
        if arm not in s.index:
            return "-"
        diff = s.loc[arm].mean_end - s.loc["drug"].mean_end
        more = int(s.loc[arm].responders) >= int(s.loc["drug"].responders)
        return f"{verdict_word(diff, more)} ({diff:+.1f}; responders {'>=' if more else '<'})"

    rows = []
    for d, s, _ in combo:
        def cell(a, s=s):
            return f"{s.loc[a].mean_end:.1f} ({int(s.loc[a].responders)}/{int(s.loc[a].n)})" if a in s.index else "-"

        rows.append([d, cell("drug"), cell("drug_low"), cell("MSC"), cell("drug_low_MSC"), cell("drug_mid_MSC"),
                     verdict(s, "drug_low_MSC"), verdict(s, "drug_mid_MSC")])
    print(markdown_table(rows, ["disease", "drug 0.5: mean end (responders)", "drug 0.25", "MSC", "drug 0.25 + MSC",
                                "drug 0.375 + MSC", "reaches drug 0.5 at -50% dose?", "at -25% dose?"]))
    period_table(root, [(d, runs) for d, _, runs in combo])
    f = root / "cohort_sle_options"
    if (f / "cohort.csv").is_file():
        s = pd.read_csv(f / "cohort.csv")
        runs = pd.read_csv(f / "cohort_runs.csv")
        rows = []
        for r in s.itertuples():
            g = runs[runs.arm == r.arm]
            rows.append([r.arm, f"{r.mean_end:.1f}", f"{r.mean_drop_pct:+.0f} [{g.drop_pct.min():+.0f}, "
                         f"{g.drop_pct.max():+.0f}]", frac(r.responders, r.n, r.ci95_low, r.ci95_high),
                         f"{int(r.vs_ref_responders)}/{int(r.n)}"])
        print()
        print(markdown_table(rows, ["SLE arm", "mean end", "mean % drop [min, max]", "SRI-4-like responders [95% CI]",
                                    ">= 25% below untreated twin"]))
    gvhd_trial_table(root / "cohort_gvhd_trial")
    sr_gvhd_table(root / "cohort_gvhd_sr")
    ms_repeated_table(root / "cohort_ms_repeated")
    for d in ("sle", "psoriasis"):
        anchor_trial_table(root / f"cohort_{d}_trial", d)


def period_table(root: Path, cohorts: list[tuple[str, pd.DataFrame]]) -> None:
    """The combination comparison over the treatment period (time-averaged activity, the cohort report's
    period_mean) instead of at the end: MSC added to the low drug dose against the low dose alone (pairs lower),
    and the combinations against the full dose."""
    rows = []
    for d, runs in cohorts:
        if "period_mean" not in runs:  # a report from before the period mean: `mscabm report <dir>` rebuilds it
            rows.append([d, f"(no period_mean: run `mscabm report {root / f'cohort_{d}'}`)"] + [""] * 7)
            continue
        pm = runs.pivot(index="patient", columns="arm", values="period_mean")
        def cell(a, pm=pm):
            return f"{pm[a].mean():.1f}" if a in pm else "-"

        diff = (pm["drug_low_MSC"] - pm["drug_low"]).dropna()

        def verdict(arm: str, pm=pm) -> str:
            if arm not in pm:
                return "-"
            dd = pm[arm].mean() - pm["drug"].mean()
            return f"{verdict_word(dd)} ({dd:+.1f})"

        rows.append([d, cell("drug"), cell("drug_low"), cell("MSC"), cell("drug_low_MSC"), cell("drug_mid_MSC"),
                     f"{diff.mean():+.1f} ({int((diff < 0).sum())}/{len(diff)})", verdict("drug_low_MSC"),
                     verdict("drug_mid_MSC")])
    print()
    print(markdown_table(rows, ["disease", "period mean: drug 0.5", "drug 0.25", "MSC", "drug 0.25 + MSC",
                                "drug 0.375 + MSC", "drug 0.25 + MSC vs drug 0.25: paired difference (pairs lower)",
                                "at -50% dose", "at -25% dose"]))


def activity_at(f: Path, run_ids: pd.Series, time_min: float, col: str = "disease_activity") -> pd.Series:
    """Each run's ``col`` at the first recorded time >= ``time_min`` (from the experiment's per-run parts)."""
    out = {}
    for rid in run_ids:
        ts = pd.read_parquet(f / "parts" / f"{rid}.parquet", columns=["time_min", col])
        out[rid] = float(ts.loc[ts.time_min >= time_min - 1e-9, col].iloc[0])
    return pd.Series(out)


def sr_gvhd_table(f: Path) -> None:
    """Steroid-refractory acute GVHD (cohort_gvhd_sr): patients whose activity after the steroid's first days is
    not >= 25% below enrolment are refractory (read from the steroid arm; both arms are identical up to the second
    line, common seeds); among them, overall response-like (activity -25% from the second line's start) with MSCs
    as second line vs steroid alone, against Le Blanc 2008's 39/55 (71%)."""
    if not (f / "cohort_runs.csv").is_file():
        return
    spec = load_spec(f / "spec.toml")
    runs = pd.read_csv(f / "cohort_runs.csv")
    second = float(spec.report["baseline_min"])
    enrol = float(spec.base_set["interventions.immunosuppressant_start_min"])  # the steroid's start
    steroid = runs[runs.arm == "steroid"].set_index("patient")
    at_enrol = activity_at(f, steroid.run_id, enrol)
    steroid = steroid.assign(enrol=at_enrol.loc[steroid.run_id].to_numpy())
    steroid["early_drop_pct"] = 100.0 * (1.0 - steroid.baseline / steroid.enrol)
    refractory = steroid.index[steroid.early_drop_pct < 25.0]
    rows = []
    for arm in ("steroid", "steroid_MSC"):
        g = runs[(runs.arm == arm) & runs.patient.isin(refractory)]
        k, n = int(g.responder.sum()), len(g)
        lo, hi = wilson(k, n)
        rows.append([arm, f"{n}", frac(k, n, lo, hi), f"{g.baseline.mean():.1f}", f"{g.end.mean():.1f}",
                     f"{g.drop_pct.mean():+.0f} [{g.drop_pct.min():+.0f}, {g.drop_pct.max():+.0f}]"])
    print()
    print(f"Steroid-refractory acute GVHD: {len(refractory)}/{len(steroid)} patients refractory after the steroid's "
          f"first {(second - enrol) / 1440:g} days (activity not >= 25% below enrolment; early drop "
          f"{steroid.early_drop_pct.min():+.0f}% to {steroid.early_drop_pct.max():+.0f}%)")
    print(markdown_table(rows, ["arm (refractory patients)", "n", "overall response-like (-25%) [95% CI]",
                                "activity at second line", "mean end", "% drop from second line [min, max]"]))
    ms = runs[runs.arm == "steroid_MSC"].set_index("patient").loc[refractory]
    st = runs[runs.arm == "steroid"].set_index("patient").loc[refractory]
    diff = (ms.end - st.end)
    print(f"paired (MSC - steroid alone, refractory patients): end {diff.mean():+.1f} points, lower in "
          f"{int((diff < 0).sum())}/{len(diff)}; anchor: 39/55 = 0.71 responded (Le Blanc 2008)")


def ms_repeated_table(f: Path) -> None:
    """Repeated intrathecal dosing in progressive MS (cohort_ms_repeated): mean activity by arm at enrolment, at the
    end of the single-dose cohort's window (10 days), before the second dose and 10 days after it; improved
    (-20% from enrolment) at each, and the paired difference to the untreated twin."""
    if not (f / "cohort_runs.csv").is_file():
        return
    spec = load_spec(f / "spec.toml")
    runs = pd.read_csv(f / "cohort_runs.csv")
    t0 = float(spec.report["baseline_min"])
    doses = [i["at_min"] for i in next(c["set"] for c in spec.conditions if c["id"] == "MSC_repeated")
             ["interventions.infusions"]]
    times = {"enrolment": t0, "10 days after dose 1": t0 + 10 * 1440.0}
    for k, at in enumerate(doses[1:], start=2):
        times[f"before dose {k}"] = at - 1.0
        times[f"10 days after dose {k}"] = min(at + 10 * 1440.0, float(spec.steps))
    values = {arm: {name: activity_at(f, runs[runs.arm == arm].sort_values("patient").run_id, t).to_numpy()
                    for name, t in times.items()} for arm in ("control", "MSC_repeated")}
    base_c, base_m = values["control"]["enrolment"], values["MSC_repeated"]["enrolment"]
    rows = []
    for name in times:
        c, m = values["control"][name], values["MSC_repeated"][name]
        rows.append([f"{name} (day {times[name] / 1440:.0f})", f"{c.mean():.1f} ({int((c <= 0.8 * base_c).sum())})",
                     f"{m.mean():.1f} ({int((m <= 0.8 * base_m).sum())})",
                     f"{(m - c).mean():+.1f} ({int((m < c).sum())}/{len(m)} lower)"])
    print()
    print(f"Repeated intrathecal MSC in progressive MS ({len(runs) // 2} patients): mean activity (patients improved, "
          "-20% from enrolment)")
    print(markdown_table(rows, ["time", "control", "MSC_repeated", "MSC - control, paired"]))


def anchor_trial_table(f: Path, disease: str) -> None:
    """An anchor's comparison with 30 patients (cohort_<disease>_trial: untreated vs MSC): responders with Wilson
    95% CIs, and how the cohort's own patients (the trial's first ones) compare with those added."""
    if not (f / "cohort.csv").is_file():
        return
    k = load_spec(f"cohort_{disease}").replicates
    s = pd.read_csv(f / "cohort.csv")
    runs = pd.read_csv(f / "cohort_runs.csv")
    label = load_spec(f / "spec.toml").report.get("responder_label", "responders")
    rows = []
    for r in s.itertuples():
        g = runs[runs.arm == r.arm]
        first, rest = g[g.patient < k], g[g.patient >= k]
        rows.append([r.arm, f"{int(r.n)}", frac(r.responders, r.n, r.ci95_low, r.ci95_high),
                     f"{int(first.responder.sum())}/{len(first)}", f"{int(rest.responder.sum())}/{len(rest)}",
                     f"{r.mean_end:.1f}", f"{r.mean_drop_pct:+.0f} [{g.drop_pct.min():+.0f}, {g.drop_pct.max():+.0f}]",
                     f"{r.mean_period_mean:.1f}", f"{int(r.vs_ref_responders)}/{int(r.n)}"])
    print()
    print(markdown_table(rows, [f"{disease} arm", "n", f"{label} [95% CI]", f"patients 0-{k - 1}",
                                f"patients {k}-{len(runs) // len(s) - 1}", "mean end", "mean % drop [min, max]",
                                "period mean", ">= 25% below the untreated twin"]))


def relative_reduction(prophylaxis: np.ndarray, msc: np.ndarray, axis: int = -1) -> np.ndarray:
    """1 - incidence with MSC / incidence without, over patients (0/1 incidence arrays, vectorised over ``axis``)."""
    return 1.0 - msc.mean(axis=axis) / prophylaxis.mean(axis=axis)


def gvhd_trial_table(f: Path, n_boot: int = 4000) -> None:
    """GVHD incidence with and without MSC added to prophylaxis, and the relative reduction with a paired
    bootstrap 95% CI over patients (scipy.stats.bootstrap, paired, seeded: the same table every time)."""
    if not (f / "cohort.csv").is_file():
        return
    s = pd.read_csv(f / "cohort.csv").set_index("arm")
    runs = pd.read_csv(f / "cohort_runs.csv")
    rows = []
    for a, r in s.iterrows():
        k = int(r.n - r.responders)
        rows.append([a, f"{int(r.n)}", frac(k, r.n, 1 - r.ci95_high, 1 - r.ci95_low), f"{r.mean_end:.1f}",
                     f"{int(r.vs_ref_responders)}/{int(r.n)}"])
    print()
    print(markdown_table(rows, ["GVHD arm", "n", "incidence (activity > 50) [95% CI]", "mean end",
                                ">= 25% below the prophylaxis twin"]))
    free = runs.pivot(index="patient", columns="arm", values="responder").astype(bool)
    inc_p, inc_m = (~free["prophylaxis"]).to_numpy(float), (~free["prophylaxis_MSC"]).to_numpy(float)
    point = float(relative_reduction(inc_p, inc_m))
    lo, hi = paired_bootstrap((inc_p, inc_m), relative_reduction, seed=0, n_resamples=n_boot)
    print(f"\nRelative reduction of incidence with MSC: {point:.0%} [paired bootstrap 95% CI {lo:.0%}, {hi:.0%}] "
          f"(trials: 37-44%)")


if __name__ == "__main__":
    main()
