"""Benchmark of the diffusion-decay schemes (the engine/diffusion/ package).

    python benchmarks/bench_diffusion.py [--quick] [--json FILE] [--sizes 256 1024] [--D 600]

For each scheme (explicit, lod, kernel), lattice size, species count (1, 6) and dtype (float32,
float64) it times ``DiffusionSolver.step`` after a warm-up call (JIT excluded), repeats, and
prints the median time per model step and two throughputs:

* per model step: voxels x species / time   (what a simulation cares about)
* per sweep:      voxels x species x sweeps / time, where a sweep is one pass over the field
                  (explicit: one sub-step; lod: one Thomas solve along one axis, 2 per sub-step;
                  kernel: one convolution pass along one axis, 2 per step)

A plain numpy FTCS (slicing, same sub-steps as the explicit scheme; timed over up to 8 sub-steps
and scaled to the step) is timed in the same run for 1 species, and the numba/numpy ratio is
printed.  lod is timed with 1 sub-step (BioFVM's
choice); the column ``m_acc`` gives the sub-steps its rel_tol rule would use, so its per-step
cost at matched accuracy is ``t_step * m_acc``.  Quick mode: D = 600 um^2/min, 256^2 and 1024^2.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
import warnings

import numpy as np

try:
    from mscabm.engine.diffusion import DiffusionSolver
    from mscabm.engine.lattice import Boundary, Lattice
except ImportError:  # running from a checkout without installing
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
    from mscabm.engine.diffusion import DiffusionSolver
    from mscabm.engine.lattice import Boundary, Lattice

DX = 10.0
DT = 1.0


def _time(fn, min_reps=3, max_reps=15, budget_s=0.4):
    fn()  # warm-up (JIT compile / cache load, first touch of scratch memory)
    times = []
    t_start = time.perf_counter()
    while len(times) < min_reps or (len(times) < max_reps and time.perf_counter() - t_start < budget_s):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), len(times)


def numpy_ftcs(u: np.ndarray, lam: float, nsub: int) -> None:
    """Plain numpy FTCS with zero-flux (mirror) boundaries, in place on a 2-D field."""
    for _ in range(nsub):
        p = np.pad(u, 1, mode="edge")
        u[:] = u + lam * (p[:-2, 1:-1] + p[2:, 1:-1] + p[1:-1, :-2] + p[1:-1, 2:] - 4.0 * u)


def run(sizes, species_counts, dtypes, Ds, schemes, with_numpy=True):
    rows = []
    rng = np.random.default_rng(0)
    for D in Ds:
        for n in sizes:
            for ns in species_counts:
                for dt_name in dtypes:
                    dtype = np.dtype(dt_name)
                    lat = Lattice((n, n), DX, [f"s{i}" for i in range(ns)], dtype=dtype)
                    lat.data[:] = rng.random(lat.data.shape, dtype=np.float64).astype(dtype)
                    for scheme in schemes:
                        if scheme == "explicit" and D * DT / DX**2 * 4 * n * n * ns > 4e10:
                            continue  # a single step would take minutes; see per-sweep rate at smaller D
                        kw = {}
                        if scheme == "lod":
                            kw["substeps"] = 1
                        with warnings.catch_warnings():
                            warnings.simplefilter("ignore")
                            solver = DiffusionSolver(lat, [D] * ns, [0.001] * ns, [Boundary()] * ns, DT,
                                                     scheme=scheme, **kw)
                            m_acc = None
                            if scheme == "lod":
                                m_acc = DiffusionSolver(Lattice((8, 8), DX, ["a"]), [D], [0.0], [Boundary()], DT,
                                                        scheme="lod").plan[0].substeps
                        p = solver.plan[0]
                        sweeps = {"explicit": p.substeps, "lod": 2 * p.substeps, "kernel": 2}[p.scheme]
                        t, reps = _time(solver.step)
                        vox = n * n * ns
                        rows.append(dict(
                            impl="numba", scheme=p.scheme, size=n, species=ns, dtype=dt_name, D=D,
                            lam=p.lam_step, substeps=p.substeps, sweeps=sweeps,
                            taps=list(p.taps), m_acc=m_acc, est_error=p.est_error,
                            t_step_ms=1e3 * t, reps=reps,
                            per_step_voxel_updates_per_s=vox / t,
                            per_sweep_voxel_updates_per_s=vox * sweeps / t,
                            ns_per_voxel_step=1e9 * t / vox,
                        ))
                        _print_row(rows[-1])
                        if with_numpy and scheme == "explicit" and ns == 1:
                            u = lat.data[0].copy()
                            lam_sub = p.lam_sub
                            nsub = p.substeps
                            reps_np = max(1, min(nsub, 8))  # time a few sub-steps, scale to the step
                            t_np, r_np = _time(lambda: numpy_ftcs(u, lam_sub, reps_np),  # noqa: B023 (timed now)
                                               min_reps=2, max_reps=5)
                            t_np *= nsub / reps_np
                            rows.append(dict(
                                impl="numpy", scheme="explicit", size=n, species=ns, dtype=dt_name, D=D,
                                lam=p.lam_step, substeps=nsub, sweeps=nsub, taps=[], m_acc=None,
                                est_error=p.est_error, t_step_ms=1e3 * t_np, reps=r_np,
                                per_step_voxel_updates_per_s=vox / t_np,
                                per_sweep_voxel_updates_per_s=vox * nsub / t_np,
                                ns_per_voxel_step=1e9 * t_np / vox,
                                numba_speedup=t_np / t,
                            ))
                            _print_row(rows[-1])
    return rows


HEADER = (f"{'impl':6} {'scheme':8} {'size':>5} {'sp':>2} {'dtype':7} {'D':>6} {'lambda':>7} {'sub':>5} "
          f"{'taps':>9} {'m_acc':>5} {'ms/step':>9} {'Mvox/s step':>11} {'Mvox/s sweep':>12} {'note':>10}")


def _print_row(r):
    taps = "x".join(map(str, r["taps"])) or "-"
    note = f"x{r['numba_speedup']:.1f} numba" if "numba_speedup" in r else ""
    m_acc = "-" if r["m_acc"] is None else str(r["m_acc"])
    print(f"{r['impl']:6} {r['scheme']:8} {r['size']:>5} {r['species']:>2} {r['dtype']:7} {r['D']:>6g} "
          f"{r['lam']:>7.3g} {r['substeps']:>5} {taps:>9} {m_acc:>5} {r['t_step_ms']:>9.2f} "
          f"{r['per_step_voxel_updates_per_s'] / 1e6:>11.1f} {r['per_sweep_voxel_updates_per_s'] / 1e6:>12.1f} "
          f"{note:>10}", flush=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="256^2 and 1024^2, D=600 only (< ~60 s)")
    ap.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    ap.add_argument("--sizes", type=int, nargs="+")
    ap.add_argument("--D", type=float, nargs="+", help="diffusion coefficients, um^2/min")
    ap.add_argument("--species", type=int, nargs="+")
    ap.add_argument("--dtypes", nargs="+", choices=["float32", "float64"])
    ap.add_argument("--schemes", nargs="+", choices=["explicit", "lod", "kernel"])
    args = ap.parse_args(argv)
    sizes = args.sizes or ([256, 1024] if args.quick else [256, 512, 1024, 2048])
    Ds = args.D or ([600.0] if args.quick else [60.0, 600.0, 60000.0])
    species = args.species or [1, 6]
    dtypes = args.dtypes or ["float32", "float64"]
    schemes = args.schemes or ["explicit", "lod", "kernel"]
    import numba

    print(f"diffusion benchmark: dx={DX} um, dt={DT} min, numba {numba.__version__}, "
          f"{numba.get_num_threads()} threads, {os.cpu_count()} CPUs, {platform.processor() or platform.machine()}")
    print(HEADER)
    t0 = time.perf_counter()
    rows = run(sizes, species, dtypes, Ds, schemes)
    print(f"total {time.perf_counter() - t0:.1f} s")
    if args.json:
        meta = dict(numba=numba.__version__, numpy=np.__version__, threads=numba.get_num_threads(),
                    cpus=os.cpu_count(), machine=platform.machine(), python=platform.python_version(),
                    dx_um=DX, dt_min=DT, quick=args.quick)
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as fh:
            json.dump(dict(meta=meta, results=rows), fh, indent=1)
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
