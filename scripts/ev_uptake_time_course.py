"""MSC-EVs taken up: the vesicle field and the cargo the target cells hold after one EV dose.

Runs a quiet 200 x 200 um well with T cells, DCs and macrophages (no MSCs, no stimulus) given one
dose of the EV field, with the cells taking the vesicles up and, for comparison, with every uptake
stopped (the field then only decays). Draws docs/figures/ev_uptake_time_course.png: left, the EV
field; right, each type's mean cargo (``mean_<TYPE>_EV_cargo``) over its rules' half-max
(biology/rules.py ``ev_cargo_half_max``), so 1 = the cargo at which an EV rule acts half.

    python scripts/ev_uptake_time_course.py [--dose 50] [--days 3] [--out docs/figures/ev_uptake_time_course.png]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

TYPES = {"T": 50.0, "DC": 5.0, "MAC": 5.0}  # cell type -> the former field half-max of its EV rules (pM)


def time_course(dose_pM: float, days: float, uptake: bool, seed: int = 1) -> dict[str, np.ndarray]:
    """Readout name -> its values every 30 min (``time_min`` included) in the quiet well given ``dose_pM`` of EVs
    at t = 0."""
    from mscabm.biology.celltypes import CELL_TYPES
    from mscabm.config import load_config
    from mscabm.model import MSCModel

    values = {"domain.width_um": 200.0, "domain.height_um": 200.0, "model.steps": 10**6, "output.record_every": 30,
              **{f"cells.{t}.count": 0 for t in CELL_TYPES},
              **{f"cells.{t}.count": 40 for t in TYPES},
              "interventions.doses": [{"at_min": 0.0, "field": "EV", "level": dose_pM}]}
    if not uptake:
        cfg = load_config(values=values)
        values |= {f"behaviours.{t}.{s}.uptake_EV_per_min": 0.0 for t in TYPES for s in cfg.cells[t].states}
    m = MSCModel(**values, rng=seed)
    for _ in range(int(days * 1440)):
        m.step()
    rows = m.log.rows
    keys = ["time_min", "mean_EV_pM"] + [f"mean_{t}_EV_cargo" for t in TYPES]
    return {k: np.array([r[k] for r in rows], dtype=float) for k in keys}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dose", type=float, default=50.0, help="EV dose at t = 0, pM (naive-EV equivalents)")
    p.add_argument("--days", type=float, default=3.0)
    p.add_argument("--out", default="docs/figures/ev_uptake_time_course.png")
    args = p.parse_args(argv)
    if not (0.0 < args.dose <= 1e6 and 0.0 < args.days <= 30.0):
        print("error: --dose must be in (0, 1e6] pM and --days in (0, 30]", file=sys.stderr)
        return 2
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from mscabm.biology.rules import ev_cargo_half_max

    taken = time_course(args.dose, args.days, uptake=True)
    blind = time_course(args.dose, args.days, uptake=False)
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.0, 3.4))
    h = taken["time_min"] / 60.0
    left.plot(h, taken["mean_EV_pM"], label="cells take EVs up")
    left.plot(blind["time_min"] / 60.0, blind["mean_EV_pM"], "--", label="uptake stopped (decay only)")
    left.set(xlabel="hours after the dose", ylabel="EV field, pM (naive-EV equivalents)", title="vesicles")
    left.legend(frameon=False, fontsize=8)
    print("| hour | EV pM | " + " | ".join(f"{t} cargo / half-max" for t in TYPES) + " |")
    print("|---|---|" + "---|" * len(TYPES))
    for t, k in TYPES.items():
        right.plot(h, taken[f"mean_{t}_EV_cargo"] / ev_cargo_half_max(t, k), label=t)
    right.axhline(1.0, color="grey", lw=0.8, ls=":")
    right.set(xlabel="hours after the dose", ylabel="cargo held / the rules' half-max", title="cargo taken up")
    right.legend(frameon=False, fontsize=8)
    for hour in (6, 12, 24, 48, 72):
        i = int(np.argmin(np.abs(h - hour)))
        cells = " | ".join(f"{taken[f'mean_{t}_EV_cargo'][i] / ev_cargo_half_max(t, k):.2f}" for t, k in TYPES.items())
        print(f"| {hour} | {taken['mean_EV_pM'][i]:.1f} | {cells} |")
    fig.tight_layout()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=120)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
