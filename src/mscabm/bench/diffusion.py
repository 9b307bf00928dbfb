"""Diffusion benchmarks: per-scheme throughput against the STREAM bandwidth and BioFVM's figure,
a plain-numpy FTCS in the same run, and the default field set at the model step (time and error
of one step against the analytic solution).

Voxel-updates/s per model step: ``voxels x species / seconds per model step``; per sweep:
``x sweeps``, a sweep being one pass over a field (explicit: one sub-step; lod: one Thomas solve
along one axis; kernel: one convolution pass along one axis).  Fraction of bandwidth: a sweep must
read and write each voxel once, ``2 x itemsize`` bytes per voxel-sweep, divided by the STREAM
bandwidth (a scheme that fuses sweeps in cache may exceed 1.0).
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from mscabm.bench.common import DX_UM, REFERENCE, default_fields, log
from mscabm.bench.harness import measure, rate

__all__ = ["THROUGHPUT_D", "bench_diffusion", "diffusion_error", "numpy_ftcs"]

#: uniform D (um^2/min) per scheme for the throughput table (dx = 10 um, dt = 1 min):
#: explicit at lambda = 1/4 (one sub-step: one step per sweep), lod with one sub-step
#: (BioFVM's choice), kernel at a protein cytokine's D (lambda 5.55, 45 taps)
THROUGHPUT_D = {"explicit": 25.0, "lod": 555.0, "kernel": 555.0}


#: BioFVM's scheme at its default diffusion step (LOD backward Euler, 0.01 min): the reference
#: of the equal-accuracy comparison (simulated minutes per wall second at the stated error)
BIOFVM_SUBSTEPS_PER_MIN = 100


def _solver(shape, names, D, k, dtype, scheme, **kw):
    from mscabm.engine.diffusion import DiffusionSolver
    from mscabm.engine.lattice import Boundary, Lattice

    if scheme == "biofvm":
        scheme, kw = "lod", dict(kw, substeps=BIOFVM_SUBSTEPS_PER_MIN)

    lat = Lattice(shape, DX_UM, names, dtype=np.dtype(dtype))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lod: "tolerance not reached" is reported in the table
        solver = DiffusionSolver(lat, D, k, [Boundary()] * len(names), 1.0, scheme=scheme, **kw)
    return lat, solver


def numpy_ftcs(u: np.ndarray, lam: float) -> None:
    """Plain numpy FTCS, one sub-step, zero flux (edge padding), in place on each 2-D field of ``u``."""
    for s in range(u.shape[0]):
        p = np.pad(u[s], 1, mode="edge")
        u[s] = u[s] + lam * (p[:-2, 1:-1] + p[2:, 1:-1] + p[1:-1, :-2] + p[1:-1, 2:] - 4.0 * u[s])


def _gauss_exact(n: int, sigma0: float, lam: float, decay: float) -> tuple[np.ndarray, np.ndarray]:
    """Initial sampled Gaussian (sigma0 voxels, centred) and the continuum solution after one
    step of ``2*lam`` variance with zero-flux walls (method of images), times ``exp(-decay)``."""
    x = np.arange(n, dtype=np.float64)
    x0 = n / 2.0
    s2 = sigma0**2 + 2.0 * lam
    g1 = np.zeros(n)
    for k in range(-3, 4):
        for c in (x0 + 2 * n * k, -1.0 - x0 + 2 * n * k):
            g1 += math.sqrt(sigma0**2 / s2) * np.exp(-((x - c) ** 2) / (2 * s2))
    u0 = np.exp(-((x - x0) ** 2) / (2 * sigma0**2))
    return np.outer(u0, u0), np.outer(g1, g1) * math.exp(-decay)


def diffusion_error(scheme: str, n: int) -> list[dict]:
    """Max-norm error of one model step (dt = 1 min) vs the analytic solution, per default
    field, relative to the analytic peak, from a Gaussian of sigma0 = 2 voxels."""
    names, D, k = default_fields()
    lat, solver = _solver((n, n), names, D, k, "float64", scheme)
    out = []
    for i, _name in enumerate(names):
        lam = D[i] * 1.0 / DX_UM**2
        u0, exact = _gauss_exact(n, 2.0, lam, k[i])
        lat.data[i] = u0
    solver.step()
    for i, name in enumerate(names):
        lam = D[i] / DX_UM**2
        _, exact = _gauss_exact(n, 2.0, lam, k[i])
        err = float(np.abs(lat.data[i] - exact).max() / exact.max())
        p = solver.plan[i]
        out.append({"field": name, "D_um2_per_min": D[i], "lambda": lam, "scheme": p.scheme,
                    "substeps": p.substeps, "error": err, "est_error": p.est_error})
    return out


def bench_diffusion(cfg: dict, bw_gb_s: float | None) -> dict:
    names, D_def, k_def = default_fields()
    n_default = len(names)
    rng = np.random.default_rng(0)
    rows = []
    for n in cfg["diff_sizes"]:
        for sp in cfg["diff_species"]:
            ns = n_default if sp == "default" else int(sp)
            for dtype in cfg["diff_dtypes"]:
                for scheme in ("explicit", "lod", "kernel"):
                    D = THROUGHPUT_D[scheme]
                    kw = {"substeps": 1} if scheme in ("lod", "explicit") else {}
                    lat, solver = _solver((n, n), [f"s{i}" for i in range(ns)], [D] * ns, [0.001] * ns, dtype,
                                          scheme, **kw)
                    lat.data[:] = rng.random(lat.data.shape, dtype=np.float32)
                    p = solver.plan[0]
                    sweeps = {"explicit": p.substeps, "lod": 2 * p.substeps, "kernel": 2}[p.scheme]
                    t = measure(solver.step, repeats=cfg["diff_reps"], warmup=1, min_repeats=2, budget_s=3.0)
                    vox = n * n * ns
                    itemsize = np.dtype(dtype).itemsize
                    per_sweep = vox * sweeps / t.median
                    row = dict(scheme=p.scheme, size=n, species=ns, species_set=str(sp), dtype=dtype, D=D,
                               lam=p.lam_step, substeps=p.substeps, sweeps=sweeps, taps=list(p.taps),
                               ms_per_step=1e3 * t.median, timing=t.to_dict(),
                               voxel_updates_per_s=rate(vox, t), voxel_sweeps_per_s=per_sweep,
                               bytes_per_voxel_sweep=2 * itemsize,
                               bw_fraction=(per_sweep * 2 * itemsize / (bw_gb_s * 1e9)) if bw_gb_s else None,
                               vs_biofvm=vox / t.median / REFERENCE["biofvm_2d_4sub_2threads"])
                    rows.append(row)
                    log(f"  diffusion {p.scheme:8s} {n:>5}^2 x{ns} {dtype}  {row['ms_per_step']:9.2f} ms/step  "
                        f"{row['voxel_updates_per_s']['median']:.3g} vox-upd/s  {per_sweep:.3g} vox-sweeps/s  "
                        f"bw {row['bw_fraction'] or 0:.2f}")
                    del lat, solver
    # plain numpy FTCS (one sub-step, lambda 1/4) at the largest size, float32, 6 fields (or the largest set)
    numpy_rows = []
    n = max(cfg["diff_sizes"])
    ns = max(n_default if s == "default" else int(s) for s in cfg["diff_species"])
    u = rng.random((ns, n, n), dtype=np.float32)
    t = measure(lambda u=u: numpy_ftcs(u, 0.25), repeats=max(2, cfg["diff_reps"] // 2), warmup=1)
    numba_row = next((r for r in rows if r["scheme"] == "explicit" and r["size"] == n and r["species"] == ns
                      and r["dtype"] == "float32"), None)
    nr = dict(impl="numpy", scheme="explicit", size=n, species=ns, dtype="float32", substeps=1,
              ms_per_step=1e3 * t.median, timing=t.to_dict(), voxel_updates_per_s=rate(n * n * ns, t),
              vs_reference=n * n * ns / t.median / REFERENCE["numpy_explicit_f32_4096_6"])
    if numba_row:
        nr["numba_speedup"] = t.median * 1e3 / numba_row["ms_per_step"]
    numpy_rows.append(nr)
    log(f"  diffusion numpy explicit {n}^2 x{ns} float32  {nr['ms_per_step']:.2f} ms/step  "
        f"{nr['voxel_updates_per_s']['median']:.3g} vox-upd/s  (numba x{nr.get('numba_speedup', float('nan')):.1f})")
    del u

    # the default field set at the model step: simulated minutes per wall second, error vs analytic
    step_rows = []
    for scheme in cfg["step_schemes"]:
        errs = diffusion_error(scheme, cfg["err_size"])
        # explicit/lod need hundreds of sweeps per step here: the smallest lattice only
        sizes = cfg["step_sizes"] if scheme in ("auto", "kernel", "spectral") else cfg["step_sizes"][:1]
        for n in sizes:
            lat, solver = _solver((n, n), names, D_def, k_def, "float32", scheme)
            lat.data[:] = 1.0
            # explicit/lod need hundreds of sweeps per step here: their kernels are already compiled
            # (throughput rows, same dtype), so one timed step without warm-up
            fast = scheme in ("auto", "kernel", "spectral")
            t = measure(solver.step, repeats=cfg["diff_reps"] if fast else 1, warmup=1 if fast else 0,
                        min_repeats=1, budget_s=3.0)
            row = dict(scheme=scheme, size=n, species=n_default, dtype="float32", dt_min=1.0,
                       plan=[(p.species, p.scheme, p.substeps) for p in solver.plan],
                       ms_per_step=1e3 * t.median, timing=t.to_dict(),
                       sim_min_per_wall_s=1.0 / t.median,
                       voxel_updates_per_s=rate(n * n * n_default, t),
                       max_error=max(e["error"] for e in errs), error_by_field=errs, error_lattice=cfg["err_size"])
            step_rows.append(row)
            log(f"  diffusion model step {scheme:8s} {n}^2 x{n_default} (default fields)  {row['ms_per_step']:.2f} ms  "
                f"{row['sim_min_per_wall_s']:.3g} sim-min/s  max error {row['max_error']:.1e}")
            del lat, solver
    return {"throughput": rows, "numpy_reference": numpy_rows, "model_step": step_rows}

