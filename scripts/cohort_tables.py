"""Print the markdown result tables of docs/scenarios.md from finished cohort runs (runs/experiments/cohort_*/).

Run: python scripts/cohort_tables.py [--root runs/experiments]. Reads each cohort's cohort.csv and cohort_runs.csv
(written by `mscabm experiment experiments/cohort_<disease>.toml`); diseases whose cohort has not run are skipped.
"""

import argparse
from pathlib import Path

import pandas as pd

DISEASES = ["sle", "ra", "ms", "ibd", "psoriasis", "gvhd", "t1d"]


def frac(k: int, n: int, lo: float, hi: float) -> str:
    return f"{int(k)}/{int(n)} [{lo:.2f}, {hi:.2f}]"


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
        spec = (f / "spec.toml").read_text()
        label = next((ln.split("=", 1)[1].strip().strip('"') for ln in spec.splitlines()
                      if ln.startswith("responder_label")), "")
        cells = [arm_cell(summ.loc[a], runs[runs.arm == a]) if a in summ.index else "-" for a in arms]
        print(f"| {d} ({label}) | {summ.loc['control'].mean_baseline:.1f} | " + " | ".join(cells) + " |")
        extra = [a for a in summ.index if a not in arms]
        for a in extra:
            print(f"| {d}: {a} | | " + arm_cell(summ.loc[a], runs[runs.arm == a]) + " | | | | |")
        if {"drug", "drug_low", "drug_low_MSC"} <= set(summ.index):
            combo.append((d, summ))
    print()
    print("| disease | drug 0.5: mean end (responders) | drug 0.25 | drug 0.25 + MSC | MSC | combo end - drug end |"
          " combo reaches drug alone? |")
    print("|---|---|---|---|---|---|---|")
    for d, s in combo:
        cell = lambda a: f"{s.loc[a].mean_end:.1f} ({int(s.loc[a].responders)}/{int(s.loc[a].n)})"  # noqa: E731
        diff = s.loc["drug_low_MSC"].mean_end - s.loc["drug"].mean_end
        verdict = "yes" if diff <= 0 else ("close (< 3 points)" if diff < 3 else "no")
        print(f"| {d} | {cell('drug')} | {cell('drug_low')} | {cell('drug_low_MSC')} | {cell('MSC')} | {diff:+.1f} | "
              f"{verdict} |")
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


if __name__ == "__main__":
    main()
