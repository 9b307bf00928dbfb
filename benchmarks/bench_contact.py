"""Benchmark the cell-side kernels: contact finding (vs scipy cKDTree.query_pairs, pair sets
checked equal), motion and cell<->field exchange.

    python benchmarks/bench_contact.py [--quick] [--json FILE] [--sizes 10000 100000 1000000]

Cells are uniform random in a square whose side gives ~6 contacts per cell (radius 5 um,
contact distance 10 um).  JIT compilation is excluded (a warm-up call first); times are the
median of repeats.  "agent-updates/s" = cells / seconds per call.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time

import numpy as np

from mscabm.bench.cell_kernels import RADIUS_UM, TARGET_NEIGHBOURS  # the suite's layout
from mscabm.bench.cell_kernels import uniform_cells as config
from mscabm.engine.kernels.contact import ContactFinder, csr_to_pairs
from mscabm.engine.kernels.exchange import FieldExchange, voxel_indices
from mscabm.engine.kernels.motion import Mover

VOXEL_UM = 20.0
N_SPECIES = 3


def timeit(fn, repeats: int) -> float:
    fn()  # warm-up (JIT, buffer growth)
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return float(np.median(ts))


def bench_contact(n: int, repeats: int, kdtree: bool) -> dict:
    side, x, y, r, _ = config(n)
    finder = ContactFinder(side, side)
    t = timeit(lambda: finder.find(x, y, r, n, 1.0), repeats)
    off, nb = finder.find(x, y, r, n, 1.0)
    res = {"n": n, "neighbours_per_cell": nb.size / n, "seconds": t, "agent_updates_per_s": n / t}
    if kdtree:
        from scipy.spatial import cKDTree

        def kd():
            return cKDTree(np.column_stack([x, y])).query_pairs(2 * RADIUS_UM, output_type="ndarray")

        tk = timeit(kd, max(1, repeats // 3))
        pk = kd()
        pk = np.sort(pk, axis=1)
        pk = pk[np.lexsort((pk[:, 1], pk[:, 0]))]
        ours = csr_to_pairs(off, nb)
        res.update(kdtree_seconds=tk, kdtree_agent_updates_per_s=n / tk, speedup_vs_kdtree=tk / t,
                   pairs_equal=bool(np.array_equal(pk, ours)), pairs=int(ours.shape[0]))
    return res


def bench_motion(n: int, repeats: int) -> dict:
    side, x, y, r, rng = config(n, seed=1)
    off, nb = ContactFinder(side, side).find(x, y, r, n, 1.25)
    nxv = int(math.ceil(side / VOXEL_UM))
    fields = rng.uniform(0, 1, (N_SPECIES, nxv, nxv)).astype(np.float32)
    vox = voxel_indices(x, y, n, VOXEL_UM, nxv, nxv)
    ang = rng.uniform(0, 2 * np.pi, n)
    px, py = np.cos(ang), np.sin(ang)
    args = dict(speed=np.full(n, 2.0), pers=np.full(n, 5.0), bias=np.full(n, 0.5),
                species=rng.integers(-1, N_SPECIES, n), motile=rng.random(n) < 0.8,
                rep=np.full(n, 10.0), adh=np.full(n, 0.4), sca=np.full(n, 1.25),
                ut=rng.random(n), ua=rng.random(n))
    xo, yo = np.empty(n), np.empty(n)
    mover = Mover()

    def go():
        mover.move(x, y, px, py, r, args["speed"], args["pers"], args["bias"], args["species"],
                   args["motile"], vox, fields, off, nb, args["rep"], args["adh"], args["sca"],
                   args["ut"], args["ua"], 1.0, side, side, xo, yo, n=n)

    t = timeit(go, repeats)
    return {"n": n, "seconds": t, "agent_updates_per_s": n / t}


def bench_exchange(n: int, repeats: int) -> dict:
    side, x, y, r, rng = config(n, seed=2)
    nxv = int(math.ceil(side / VOXEL_UM))
    data = rng.uniform(0, 1, (N_SPECIES, nxv, nxv)).astype(np.float32)
    vox = voxel_indices(x, y, n, VOXEL_UM, nxv, nxv)
    beh = rng.uniform(0, 1, (n, 4 * N_SPECIES)).astype(np.float32)
    cols = np.arange(4 * N_SPECIES).reshape(4, N_SPECIES)
    active = np.ones(n, bool)
    ex = FieldExchange(nxv * nxv)
    t = timeit(lambda: ex.apply(data, vox, n, beh, *cols, 2000.0, VOXEL_UM**3, 1.0, active), repeats)
    return {"n": n, "voxels": nxv * nxv, "species": N_SPECIES, "seconds": t,
            "cells_per_s": n / t}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats (under ~60 s)")
    ap.add_argument("--json", metavar="FILE", help="write the results as JSON")
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    a = ap.parse_args(argv)
    repeats = 3 if a.quick else 9
    import numba

    out = {
        "machine": {"python": sys.version.split()[0], "numba": numba.__version__,
                    "numpy": np.__version__, "platform": platform.platform(),
                    "cpu_count": os.cpu_count(), "numba_threads": numba.get_num_threads()},
        "quick": a.quick, "contact": [], "motion": [], "exchange": [],
    }
    print(f"numba threads: {numba.get_num_threads()}  (cells ~{TARGET_NEIGHBOURS:g} contacts each)")
    for n in a.sizes:
        res = bench_contact(n, repeats, kdtree=True)
        out["contact"].append(res)
        print(f"contact  n={n:>9,d}  {res['seconds'] * 1e3:9.2f} ms  "
              f"{res['agent_updates_per_s']:.3g} cells/s  nb/cell={res['neighbours_per_cell']:.2f}  "
              f"cKDTree {res['kdtree_seconds'] * 1e3:9.2f} ms (x{res['speedup_vs_kdtree']:.1f})  "
              f"pairs equal: {res['pairs_equal']}")
    for n in a.sizes:
        res = bench_motion(n, repeats)
        out["motion"].append(res)
        print(f"motion   n={n:>9,d}  {res['seconds'] * 1e3:9.2f} ms  "
              f"{res['agent_updates_per_s']:.3g} cells/s")
    for n in [s for s in a.sizes if s >= 100_000] or a.sizes:
        res = bench_exchange(n, repeats)
        out["exchange"].append(res)
        print(f"exchange n={n:>9,d}  {res['seconds'] * 1e3:9.2f} ms  {res['cells_per_s']:.3g} cells/s"
              f"  ({res['voxels']:,d} voxels, {res['species']} species)")
    if a.json:
        d = os.path.dirname(os.path.abspath(a.json))
        os.makedirs(d, exist_ok=True)
        tmp = a.json + ".tmp"
        with open(tmp, "w") as f:
            json.dump(out, f, indent=2)
        os.replace(tmp, a.json)
    ok = all(r["pairs_equal"] for r in out["contact"])
    if not ok:
        print("ERROR: contact pair sets differ from cKDTree", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
