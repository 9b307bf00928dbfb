"""Whole-model throughput: cell-steps/s of MSCModel with the default biology at several sizes.

The default cell mix and density (2760 cells per mm^2) are kept; the domain grows with N so the
lattice (10 um voxels) scales too. JIT compilation is excluded (one warm-up step); the figure is
the median over repeated blocks of steps.

    python benchmarks/bench_model.py [--sizes 1000 10000 100000] [--steps 20] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time

import numba

from mscabm.bench.whole_model import build_model
from mscabm.model import MSCModel


def build(n_cells: int) -> MSCModel:
    """The default biology at ~n_cells (shared with the suite: ``mscabm.bench.whole_model.build_model``)."""
    return build_model(n_cells)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    ap.add_argument("--steps", type=int, default=20, help="steps per timed block")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", help="write results to this file")
    args = ap.parse_args()
    print(f"model benchmark: numba {numba.__version__}, {numba.get_num_threads()} threads, {os.cpu_count()} CPUs, "
          f"{platform.machine()}")
    rows = []
    for n in args.sizes:
        m = build(n)
        m.step()  # JIT warm-up (and cache load)
        rates = []
        for _ in range(args.repeats):
            cells = 0
            t0 = time.perf_counter()
            for _ in range(args.steps):
                cells += len(m.population)
                m.step()
            rates.append(cells / (time.perf_counter() - t0))
        ny, nx = m.lattice.shape
        med = statistics.median(rates)
        rows.append({"cells": n, "lattice": [ny, nx], "fields": len(m.tables.field_names),
                     "cell_steps_per_s": med, "spread": [min(rates), max(rates)],
                     "ms_per_step": 1e3 * len(m.population) / med})
        print(f"N={n:>9,}  lattice {nx}x{ny}  {med:.3g} cell-steps/s (min {min(rates):.3g}, max {max(rates):.3g})  "
              f"{rows[-1]['ms_per_step']:.1f} ms/step")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"benchmark": "model", "numba_threads": numba.get_num_threads(), "results": rows}, fh, indent=2)


if __name__ == "__main__":
    main()
