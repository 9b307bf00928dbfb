"""Route diagnosis (docs/calibration.md "Why the routes are redundant"): which MSC brake stops the first divisions?

One human MLR well at MSC:T 1:10 (the co-culture preset) for ``--hours`` (default 48), against its no-MSC control,
then the same MSC well with one family of MSC-derived T/CD8 arrest rules switched off at a time; prints the T + CD8
divisions at 24 h and at the end, and the well means of the mediators. Single seed: a reading, not a statistic.

    NUMBA_NUM_THREADS=1 python benchmarks/routes/early_brakes.py [--seed 5] [--hours 48]   (~2 min on 1 core)
"""

from __future__ import annotations

import argparse

from mscabm.biology.rules import DEFAULT_RULES
from mscabm.model import MSCModel

FAMILIES = ("pge2", "tgfb", "kyn", "hgf", "pdl1", "ev", "il10", "treg_contact")
MEDIATORS = (("IL10", "mean_IL10_pM"), ("TGFB", "mean_TGFB_pM"), ("HGF", "mean_HGF_pM"), ("KYN", "mean_KYN_uM"),
             ("PGE2", "mean_PGE2_nM"), ("TRP", "mean_TRP_uM"))


def divisions(readouts: dict) -> float:
    return readouts["births_T_total"] + readouts["births_CD8_total"]


def run_well(msc: int, rules_off: list[str], seed: int, steps: int) -> tuple[float, dict]:
    """(divisions at 24 h, final readouts) of one well."""
    overrides = {"model.steps": steps, "cells.MSC.count": msc, "output.snapshot_every": 0}
    overrides.update({f"rules.{name}.enabled": False for name in rules_off})
    model = MSCModel("coculture", rng=seed, **overrides)
    at_24h = float("nan")
    while model.running:
        model.step()
        if model.steps == 24 * 60:
            at_24h = divisions(model.readouts)
    return at_24h, dict(model.readouts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--hours", type=float, default=48.0)
    args = parser.parse_args()
    steps = int(round(args.hours * 60))
    arms = [("control (no MSCs)", 0, []), ("MSCs", 100, [])]
    arms += [(f"MSCs, {family} arrest off", 100, [n for n in DEFAULT_RULES if n.startswith(family + "_arrests_")])
             for family in FAMILIES]
    print(f"{'arm':30s} {'div 24 h':>8s} {f'div {args.hours:g} h':>9s}  " + " ".join(f"{m:>6s}" for m, _ in MEDIATORS))
    for label, msc, off in arms:
        at_24h, final = run_well(msc, off, args.seed, steps)
        print(f"{label:30s} {at_24h:8.0f} {divisions(final):9.0f}  "
              + " ".join(f"{final[key]:6.1f}" for _, key in MEDIATORS), flush=True)


if __name__ == "__main__":
    main()
