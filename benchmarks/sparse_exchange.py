"""Sparse exchange and the zero-field skip, timed against their dense counterparts in one process.

Builds the coculture well, steps it to ``--steps`` (default one day), then times, interleaved in blocks of 10
calls, (1) ``FieldExchange.apply`` with the per-type field lists (``Tables.exchange_species``) and without them
(every field for every cell), and (2) ``DiffusionSolver.step`` over the live fields (which skips all-zero ones)
and each live field's operator run directly (no skip). Prints medians (ms per call) and the ratios
(benchmarks/README.md, "Sparse exchange and zero fields"). The two paths give the same result to the bit
(tests/test_exchange.py, tests/test_model.py); this measures only their cost.

    NUMBA_NUM_THREADS=1 python benchmarks/sparse_exchange.py [--steps 1440] [--blocks 30]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=1440, help="steps before timing (default 1440 = 1 day)")
    ap.add_argument("--blocks", type=int, default=30, help="interleaved blocks of 10 calls (default 30)")
    args = ap.parse_args()
    from mscabm.model import MSCModel

    m = MSCModel("coculture", rng=11, **{"model.steps": args.steps + 10})
    for _ in range(args.steps):
        m.step()
    pop, lat, t = m.population, m.lattice, m.tables
    n = len(pop)
    volume = (4.0 / 3.0) * np.pi * pop["radius_um"][:n] ** 3
    alive = pop["apoptosis_left_min"][:n] < 0
    listed = (pop["type"], t.exchange_species_ptr, t.exchange_species)

    def exchange(sparse: bool) -> None:
        m.exchange.apply(lat.data, m._voxel, n, m._behaviours, *m._exchange_cols, volume, lat.voxel_volume_um3,
                         m.dt_min, alive, listed if sparse else None)

    def diffuse(skip: bool) -> None:
        if skip:
            m.diffusion.step(species=m._active_fields)
        else:
            for s in m._active_fields:
                m.diffusion._ops[s].run(lat.data[s], m.diffusion)

    cases = {"exchange, every field": (exchange, False), "exchange, listed fields": (exchange, True),
             "diffusion, every live field": (diffuse, False), "diffusion, zero fields skipped": (diffuse, True)}
    for f, arg in cases.values():  # warm-up (JIT)
        f(arg)
    ms = {k: [] for k in cases}
    for _ in range(args.blocks):
        for k, (f, arg) in cases.items():
            t0 = time.perf_counter()
            for _ in range(10):
                f(arg)
            ms[k].append((time.perf_counter() - t0) / 10 * 1e3)
    zero = [lat.species[s] for s in m._active_fields if not lat.data[s].any()]
    print(f"coculture at step {args.steps}: {n} cells, {len(m._active_fields)} live fields, all zero now: {zero}; "
          f"NUMBA_NUM_THREADS={os.environ.get('NUMBA_NUM_THREADS', 'all')}, load average {os.getloadavg()[0]:.2f}")
    for k, v in ms.items():
        p25, p75 = np.percentile(v, [25, 75])
        print(f"  {k:32s} median {np.median(v):.4f} ms (p25 {p25:.4f}, p75 {p75:.4f})")
    med = {k: float(np.median(v)) for k, v in ms.items()}
    print(f"  ratios: exchange {med['exchange, listed fields'] / med['exchange, every field']:.3f}, "
          f"diffusion {med['diffusion, zero fields skipped'] / med['diffusion, every live field']:.3f}")


if __name__ == "__main__":
    main()
