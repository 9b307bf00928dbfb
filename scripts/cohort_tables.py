"""Print the markdown result tables of docs/scenarios.md from finished cohort runs (runs/experiments/cohort_*/).

Run: python scripts/cohort_tables.py [--root runs/experiments]. Reads each cohort's cohort.csv and cohort_runs.csv
(written by `mscabm experiment experiments/cohort_<disease>.toml`); diseases whose cohort has not run are skipped.
"""

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from mscabm.experiments.spec import load_spec

DISEASES = ["sle", "ra", "ms", "ibd", "psoriasis", "gvhd", "t1d"]


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
    print("| disease (criterion) | enrolment activity | " + " | ".join(arms) + " |")
    print("|---|---|" + "---|" * len(arms))
    combo = []
    for d in DISEASES:
        f = root / f"cohort_{d}"
        if not (f / "cohort.csv").is_file():
            continue
        summ = pd.read_csv(f / "cohort.csv").set_index("arm")
        runs = pd.read_csv(f / "cohort_runs.csv")
        label = load_spec(f / "spec.toml").report.get("responder_label", "")
        cells = [arm_cell(summ.loc[a], runs[runs.arm == a]) if a in summ.index else "-" for a in arms]
        print(f"| {d} ({label}) | {summ.loc['control'].mean_baseline:.1f} | " + " | ".join(cells) + " |")
        extra = [a for a in summ.index if a not in arms]
        for a in extra:
            print(f"| {d}: {a} | | " + arm_cell(summ.loc[a], runs[runs.arm == a]) + " | | | | |")
        if {"drug", "drug_low", "drug_low_MSC"} <= set(summ.index):
            combo.append((d, summ, runs))
    print()
    print("| disease | drug 0.5: mean end (responders) | drug 0.25 | MSC | drug 0.25 + MSC | drug 0.375 + MSC |"
          " reaches drug 0.5 at -50% dose? | at -25% dose? |")
    print("|---|---|---|---|---|---|---|---|")

    def verdict(s, arm: str) -> str:
        if arm not in s.index:
            return "-"
        diff = s.loc[arm].mean_end - s.loc["drug"].mean_end
        more = int(s.loc[arm].responders) >= int(s.loc["drug"].responders)
        return f"{verdict_word(diff, more)} ({diff:+.1f}; responders {'>=' if more else '<'})"

    for d, s, _ in combo:
        cell = lambda a: (f"{s.loc[a].mean_end:.1f} ({int(s.loc[a].responders)}/{int(s.loc[a].n)})"  # noqa: E731
                          if a in s.index else "-")
        print(f"| {d} | {cell('drug')} | {cell('drug_low')} | {cell('MSC')} | {cell('drug_low_MSC')} | "
              f"{cell('drug_mid_MSC')} | {verdict(s, 'drug_low_MSC')} | {verdict(s, 'drug_mid_MSC')} |")
    period_table(root, [(d, runs) for d, _, runs in combo])
    f = root / "cohort_sle_options"
    if (f / "cohort.csv").is_file():
        s = pd.read_csv(f / "cohort.csv")
        runs = pd.read_csv(f / "cohort_runs.csv")
        print()
        print("| SLE arm | mean end | mean % drop [min, max] | SRI-4-like responders [95% CI] | "
              ">= 25% below untreated twin |")
        print("|---|---|---|---|---|")
        for r in s.itertuples():
            g = runs[runs.arm == r.arm]
            print(f"| {r.arm} | {r.mean_end:.1f} | {r.mean_drop_pct:+.0f} [{g.drop_pct.min():+.0f}, "
                  f"{g.drop_pct.max():+.0f}] | {frac(r.responders, r.n, r.ci95_low, r.ci95_high)} | "
                  f"{int(r.vs_ref_responders)}/{int(r.n)} |")
    gvhd_trial_table(root / "cohort_gvhd_trial")
    for d in ("sle", "psoriasis"):
        anchor_trial_table(root / f"cohort_{d}_trial", d)


def period_table(root: Path, cohorts: list[tuple[str, pd.DataFrame]]) -> None:
    """The combination comparison over the treatment period (time-averaged activity, the cohort report's
    period_mean) instead of at the end: MSC added to the low drug dose against the low dose alone (pairs lower),
    and the combinations against the full dose."""
    print()
    print("| disease | period mean: drug 0.5 | drug 0.25 | MSC | drug 0.25 + MSC | drug 0.375 + MSC | "
          "drug 0.25 + MSC vs drug 0.25: paired difference (pairs lower) | at -50% dose | at -25% dose |")
    print("|---|---|---|---|---|---|---|---|---|")
    for d, runs in cohorts:
        if "period_mean" not in runs:  # a report from before the period mean: `mscabm report <dir>` rebuilds it
            print(f"| {d} | (no period_mean: run `mscabm report {root / f'cohort_{d}'}`) |")
            continue
        pm = runs.pivot(index="patient", columns="arm", values="period_mean")
        cell = lambda a: f"{pm[a].mean():.1f}" if a in pm else "-"  # noqa: E731
        diff = (pm["drug_low_MSC"] - pm["drug_low"]).dropna()

        def verdict(arm: str) -> str:
            if arm not in pm:
                return "-"
            dd = pm[arm].mean() - pm["drug"].mean()
            return f"{verdict_word(dd)} ({dd:+.1f})"

        print(f"| {d} | {cell('drug')} | {cell('drug_low')} | {cell('MSC')} | {cell('drug_low_MSC')} | "
              f"{cell('drug_mid_MSC')} | {diff.mean():+.1f} ({int((diff < 0).sum())}/{len(diff)}) | "
              f"{verdict('drug_low_MSC')} | {verdict('drug_mid_MSC')} |")


def anchor_trial_table(f: Path, disease: str) -> None:
    """An anchor's comparison with 30 patients (cohort_<disease>_trial: untreated vs MSC): responders with Wilson
    95% CIs, and how the cohort's own patients (the trial's first ones) compare with those added."""
    if not (f / "cohort.csv").is_file():
        return
    k = load_spec(Path(__file__).resolve().parents[1] / "experiments" / f"cohort_{disease}.toml").replicates
    s = pd.read_csv(f / "cohort.csv")
    runs = pd.read_csv(f / "cohort_runs.csv")
    label = load_spec(f / "spec.toml").report.get("responder_label", "responders")
    print()
    print(f"| {disease} arm | n | {label} [95% CI] | patients 0-{k - 1} | patients {k}-{len(runs) // len(s) - 1} | "
          "mean end | mean % drop "
          "[min, max] | period mean | >= 25% below the untreated twin |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in s.itertuples():
        g = runs[runs.arm == r.arm]
        first, rest = g[g.patient < k], g[g.patient >= k]
        print(f"| {r.arm} | {int(r.n)} | {frac(r.responders, r.n, r.ci95_low, r.ci95_high)} | "
              f"{int(first.responder.sum())}/{len(first)} | {int(rest.responder.sum())}/{len(rest)} | "
              f"{r.mean_end:.1f} | {r.mean_drop_pct:+.0f} [{g.drop_pct.min():+.0f}, {g.drop_pct.max():+.0f}] | "
              f"{r.mean_period_mean:.1f} | {int(r.vs_ref_responders)}/{int(r.n)} |")


def gvhd_trial_table(f: Path, n_boot: int = 4000) -> None:
    """GVHD incidence with and without MSC added to prophylaxis, and the relative reduction with a paired
    bootstrap 95% CI over patients (seeded: the same table every time)."""
    if not (f / "cohort.csv").is_file():
        return
    s = pd.read_csv(f / "cohort.csv").set_index("arm")
    runs = pd.read_csv(f / "cohort_runs.csv")
    print()
    print("| GVHD arm | n | incidence (activity > 50) [95% CI] | mean end | >= 25% below the prophylaxis twin |")
    print("|---|---|---|---|---|")
    for a, r in s.iterrows():
        k = int(r.n - r.responders)
        print(f"| {a} | {int(r.n)} | {frac(k, r.n, 1 - r.ci95_high, 1 - r.ci95_low)} | {r.mean_end:.1f} | "
              f"{int(r.vs_ref_responders)}/{int(r.n)} |")
    free = runs.pivot(index="patient", columns="arm", values="responder").astype(bool)
    inc = (~free).to_numpy(float)
    cols = list(free.columns)
    i_p, i_m = cols.index("prophylaxis"), cols.index("prophylaxis_MSC")
    rng = np.random.default_rng(0)
    idx = rng.integers(0, len(inc), (n_boot, len(inc)))
    p_b, m_b = inc[idx, i_p].mean(axis=1), inc[idx, i_m].mean(axis=1)
    ok = p_b > 0
    rel = 1.0 - m_b[ok] / p_b[ok]
    point = 1.0 - inc[:, i_m].mean() / inc[:, i_p].mean()
    lo, hi = np.percentile(rel, [2.5, 97.5])
    print(f"\nRelative reduction of incidence with MSC: {point:.0%} [paired bootstrap 95% CI {lo:.0%}, {hi:.0%}] "
          f"(trials: 37-44%)")


if __name__ == "__main__":
    main()
