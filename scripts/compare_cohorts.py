"""Compare two runs of the same virtual cohort (same spec and seeds, two versions of the model): per arm, the
responder counts and each patient's paired change, against the cohort's own patient-to-patient spread.

Run: python scripts/compare_cohorts.py OLD_DIR NEW_DIR  (each a finished `mscabm experiment cohort_<disease>` folder)

Written for behaviour changes that only reorder random draws (e.g. influx moved into the population phase,
docs/design.md): a change within replicate noise shows paired differences whose 95% interval is wide and holds 0,
and responder counts that move by a patient or two, not a shift larger than the arm's own interval.
"""

import argparse
from pathlib import Path

import pandas as pd

from mscabm.experiments.render import markdown_table
from mscabm.experiments.statistics import mean_interval


def compare(old_dir: Path, new_dir: Path) -> pd.DataFrame:
    """One row per arm: responders old/new, mean activity drop old/new with the arm's 95% t half-width, and the
    paired (same patient) difference new - old in the drop with its 95% t interval."""
    old = pd.read_csv(old_dir / "cohort_runs.csv")
    new = pd.read_csv(new_dir / "cohort_runs.csv")
    both = old.merge(new, on=["arm", "patient"], suffixes=("_old", "_new"), validate="one_to_one")
    if len(both) != len(old) or len(both) != len(new):
        raise SystemExit("the two folders do not hold the same arms and patients: not the same cohort spec")
    rows = []
    for arm, g in both.groupby("arm", sort=False):
        _, m_old, _, lo_old, hi_old = mean_interval(g["drop_pct_old"].to_numpy())
        _, m_new, _, _, _ = mean_interval(g["drop_pct_new"].to_numpy())
        _, d, _, d_lo, d_hi = mean_interval((g["drop_pct_new"] - g["drop_pct_old"]).to_numpy())
        rows.append({"arm": arm, "n": len(g), "responders_old": int(g["responder_old"].sum()),
                     "responders_new": int(g["responder_new"].sum()), "drop_old_pct": m_old,
                     "drop_new_pct": m_new, "arm_ci_half_width": (hi_old - lo_old) / 2, "paired_diff": d,
                     "paired_lo": d_lo, "paired_hi": d_hi, "within_noise": bool(abs(d) <= (hi_old - lo_old) / 2)})
    return pd.DataFrame(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("old", type=Path)
    ap.add_argument("new", type=Path)
    a = ap.parse_args()
    df = compare(a.old, a.new)
    print(markdown_table([[r.arm, f"{r.responders_old}/{r.n}", f"{r.responders_new}/{r.n}",
                           f"{r.drop_old_pct:+.1f} +- {r.arm_ci_half_width:.1f}", f"{r.drop_new_pct:+.1f}",
                           f"{r.paired_diff:+.1f} [{r.paired_lo:+.1f}, {r.paired_hi:+.1f}]",
                           "yes" if r.within_noise else "no"] for r in df.itertuples()],
                         ["arm", "responders old", "responders new", "drop old % (95% CI half-width)",
                          "drop new %", "paired new - old [95% CI]", "within the arm's CI"]))


if __name__ == "__main__":
    main()
