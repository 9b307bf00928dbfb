"""Cost of the biology: the full model vs the engine alone, per cell-step, at 10^5 cells.

Issue 3 asks that the whole step stays in numba kernels, so that a run with the complete
biology (18 fields, ~150 rules, contact killing, efferocytosis, state-resolved contact
signals) is not more than 3x slower per cell-step than the engine alone. Two "engine alone"
baselines, same cells in the same domain, same step code:

- ``engine_1_field``: the biology stripped to one diffusing field (IL-2, still secreted and
  taken up), no rules, no contact killing or phagocytosis;
- ``engine_all_fields``: every field diffusing with the same base secretion and uptake, but no
  rules, no killing, no phagocytosis: the cost of the biology *logic* on top of the engine's
  per-field work.

Ratios are measured in one run (mscabm.bench.whole_model.time_steps: medians over timed blocks, JIT
excluded).

    python benchmarks/bench_biology.py [--cells 100000] [--steps 10] [--repeats 5] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform

import numba

from mscabm.bench.whole_model import time_steps
from mscabm.config import build_config, default_config_dict
from mscabm.model import MSCModel

ENGINE_FIELD = "IL2"


def scaled_config_dict(n_cells: int) -> dict:
    """The default config at ~n_cells: default cell mix and density, domain side scaled with sqrt(N)."""
    d = default_config_dict()
    base = sum(c["count"] for c in d["cells"].values())
    scale = n_cells / base
    side = d["domain"]["width_um"] * math.sqrt(scale)
    d["domain"]["width_um"] = d["domain"]["height_um"] = side
    d["model"]["steps"] = 10**8
    for c in d["cells"].values():
        c["count"] = int(round(c["count"] * scale))
    return d


def engine_only(d: dict) -> dict:
    """Strip the biology: one field, no rules, no behaviours that name other fields, no killing."""
    d = dict(d)
    d["fields"] = {ENGINE_FIELD: d["fields"][ENGINE_FIELD]}
    d["rules"] = {}
    keep = ("cycle_rate_per_min", "death_rate_per_min", "speed_um_per_min", "persistence_min",
            f"export_{ENGINE_FIELD}_molecules_per_min", f"uptake_{ENGINE_FIELD}_per_min")
    d["behaviours"] = {t: {s: {b: v for b, v in vals.items() if b in keep} for s, vals in states.items()}
                       for t, states in d["behaviours"].items()}
    for c in d["cells"].values():
        c["chemotaxis_field"] = ""
    return d


def engine_all_fields(d: dict) -> dict:
    """Keep every field and base behaviour; drop the rules, contact killing and phagocytosis."""
    d = dict(d)
    d["rules"] = {}
    d["behaviours"] = {t: {s: {b: v for b, v in vals.items()
                               if not b.startswith("kill_") and b != "phagocytosis_per_min"}
                           for s, vals in states.items()} for t, states in d["behaviours"].items()}
    return d


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cells", type=int, default=100_000)
    ap.add_argument("--steps", type=int, default=10, help="steps per timed block")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--json", help="write results to this file")
    args = ap.parse_args()
    print(f"biology cost: numba {numba.__version__}, {numba.get_num_threads()} threads, {os.cpu_count()} CPUs, "
          f"{platform.machine()}, {args.cells:,} cells")
    full_cfg = scaled_config_dict(args.cells)
    results = {}
    for name, data in (("engine_1_field", engine_only(full_cfg)), ("engine_all_fields", engine_all_fields(full_cfg)),
                       ("full", full_cfg)):
        m = MSCModel(build_config(data))
        timing, cells = time_steps(m, args.steps, args.repeats)
        med, rates = cells / timing.median, (cells / timing.max, cells / timing.min)
        results[name] = {"cell_steps_per_s": med, "spread": [min(rates), max(rates)],
                         "fields": len(m.tables.field_names), "live_fields": len(m._active_fields),
                         "rule_runs": m.tables.rules.n_runs, "cells": len(m.population),
                         "lattice": list(m.lattice.shape)}
        print(f"{name:>17}: {med:.3g} cell-steps/s (min {min(rates):.3g}, max {max(rates):.3g}); "
              f"{results[name]['live_fields']}/{results[name]['fields']} fields live, "
              f"{results[name]['rule_runs']} rule runs, {len(m.population):,} cells")
    full = results["full"]["cell_steps_per_s"]
    ratios = {k: results[k]["cell_steps_per_s"] / full for k in ("engine_1_field", "engine_all_fields")}
    for k, r in ratios.items():
        print(f"full biology is {r:.2f}x slower per cell-step than {k} (target <= 3x)")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"benchmark": "biology_cost", "numba_threads": numba.get_num_threads(), "cells": args.cells,
                       "results": results, "slowdown_full_vs": ratios}, fh, indent=2)


if __name__ == "__main__":
    main()
