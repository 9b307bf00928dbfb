"""The benchmark suite: diffusion, contact, exchange and the whole model (with the pure-Mesa
reference), each against a limit measured in the same run.

``run_suite(["all"], mode="quick")`` returns one JSON-able dict; ``summary(results)`` is the
table with ratios and targets that ``mscabm bench`` prints.  Modes: ``smoke`` (tiny sizes, CI,
seconds), ``quick`` (the issue's sizes with few repeats, < 3 min on 2 cores), ``full``.

Definitions
-----------
* voxel-updates/s per model step: ``voxels x species / seconds per model step``;
  per sweep: ``x sweeps``, a sweep being one pass over a field (explicit: one sub-step; lod: one
  Thomas solve along one axis; kernel: one convolution pass along one axis).
* fraction of bandwidth (memory-bound kernels): the bytes a kernel must move per update divided
  by the STREAM bandwidth measured in the same run (``machine.stream``, best of copy/triad).
  Diffusion: a sweep must read and write each voxel once, ``2 x itemsize`` bytes per voxel-sweep
  (a scheme that fuses sweeps in cache may exceed 1.0).  Exchange: per active cell, its voxel
  index, volume, 4 behaviour columns per species, its output row, and one read+write of its
  voxel per species.  Contact is latency/compute bound (neighbour gathers) and reports no
  fraction.
* cell-steps/s: cells x steps / wall seconds of ``MSCModel.step``; memory per cell: peak
  tracemalloc-traced bytes (numpy buffers included) of building the model and running 2 steps,
  divided by N (Python's allocator view: excludes the interpreter and the JIT-compiled code).
"""

from __future__ import annotations

import gc
import importlib.util
import math
import sys
import time
import tracemalloc
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

from mscabm.bench.harness import Timing, measure, rate, table
from mscabm.bench.machine import machine_info, stream

KERNELS = ("diffusion", "contact", "exchange", "model")

#: reference figures from the issue (same machine class, 2 cores)
REFERENCE = {
    "numpy_explicit_f32_4096_6": 0.44e9,     # voxel-updates/s, plain numpy FTCS
    "biofvm_2d_4sub_2threads": 2e8,          # voxel-updates/s, BioFVM LOD
    "physicell_1e4": 4e5,                    # cell-steps/s, PhysiCell 1.14, 2 threads
    "physicell_1e5": 1.3e5,
    "physicell_bytes_per_cell": 7.8e3,
}

#: sizes and repeats per mode
MODES = {
    "smoke": dict(stream_n=1 << 18, stream_reps=3, diff_sizes=[64], diff_species=[1, "default"],
                  diff_dtypes=["float32"], diff_reps=2, step_sizes=[64], err_size=64,
                  step_schemes=["auto", "kernel"],
                  contact_sizes=[2000], exchange_sizes=[2000], model_sizes=[300, 1000], model_reps=2,
                  model_steps=2, profile_size=1000, mesa_sizes=[200], mesa_steps=1,
                  match_cells=1000, match_steps=10, match_seeds=3, reps=2),
    "quick": dict(stream_n=None, stream_reps=6, diff_sizes=[256, 1024, 4096], diff_species=[1, 6, "default"],
                  diff_dtypes=["float32", "float64"], diff_reps=3, step_sizes=[256], err_size=256,
                  step_schemes=["auto", "kernel", "explicit", "lod"],
                  contact_sizes=[10_000, 100_000, 1_000_000], exchange_sizes=[100_000, 1_000_000],
                  model_sizes=[1000, 10_000, 100_000, 1_000_000], model_reps=3, model_steps=None,
                  profile_size=100_000, mesa_sizes=[1000, 10_000, 100_000], mesa_steps=None,
                  match_cells=3000, match_steps=30, match_seeds=4, reps=3),
    "full": dict(stream_n=None, stream_reps=10, diff_sizes=[256, 512, 1024, 2048, 4096],
                 diff_species=[1, 6, "default"], diff_dtypes=["float32", "float64"], diff_reps=7,
                 step_sizes=[256, 1024], err_size=256, step_schemes=["auto", "kernel", "explicit", "lod"],
                 contact_sizes=[10_000, 100_000, 1_000_000], exchange_sizes=[100_000, 1_000_000],
                 model_sizes=[1000, 10_000, 100_000, 1_000_000], model_reps=5, model_steps=None,
                 profile_size=100_000, mesa_sizes=[1000, 10_000, 100_000], mesa_steps=None,
                 match_cells=5000, match_steps=40, match_seeds=6, reps=7),
}


def _log(msg: str) -> None:
    print(msg, flush=True)


# ============================================================================ diffusion
def _default_fields():
    from mscabm.config import default_config_dict

    f = default_config_dict()["fields"]
    return list(f), [f[k]["diffusion_um2_per_min"] for k in f], [f[k]["decay_per_min"] for k in f]


#: uniform D (um^2/min) per scheme for the throughput table (dx = 10 um, dt = 1 min):
#: explicit at lambda = 1/4 (one sub-step: one step per sweep), lod with one sub-step
#: (BioFVM's choice), kernel at a protein cytokine's D (lambda 5.55, 45 taps)
THROUGHPUT_D = {"explicit": 25.0, "lod": 555.0, "kernel": 555.0}
DX_UM = 10.0


def _solver(shape, names, D, k, dtype, scheme, **kw):
    from mscabm.engine.kernels.diffusion import DiffusionSolver
    from mscabm.engine.lattice import Boundary, Lattice

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
    names, D, k = _default_fields()
    lat, solver = _solver((n, n), names, D, k, "float64", scheme)
    out = []
    for i, name in enumerate(names):
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
    names, D_def, k_def = _default_fields()
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
                    _log(f"  diffusion {p.scheme:8s} {n:>5}^2 x{ns} {dtype}  {row['ms_per_step']:9.2f} ms/step  "
                         f"{row['voxel_updates_per_s']['median']:.3g} vox-upd/s  {per_sweep:.3g} vox-sweeps/s  "
                         f"bw {row['bw_fraction'] or 0:.2f}")
                    del lat, solver
    # plain numpy FTCS (one sub-step, lambda 1/4) at the largest size, float32, 6 fields (or the largest set)
    numpy_rows = []
    n = max(cfg["diff_sizes"])
    ns = max(n_default if s == "default" else int(s) for s in cfg["diff_species"])
    u = rng.random((ns, n, n), dtype=np.float32)
    t = measure(lambda: numpy_ftcs(u, 0.25), repeats=max(2, cfg["diff_reps"] // 2), warmup=1)
    numba_row = next((r for r in rows if r["scheme"] == "explicit" and r["size"] == n and r["species"] == ns
                      and r["dtype"] == "float32"), None)
    nr = dict(impl="numpy", scheme="explicit", size=n, species=ns, dtype="float32", substeps=1,
              ms_per_step=1e3 * t.median, timing=t.to_dict(), voxel_updates_per_s=rate(n * n * ns, t),
              vs_reference=n * n * ns / t.median / REFERENCE["numpy_explicit_f32_4096_6"])
    if numba_row:
        nr["numba_speedup"] = t.median * 1e3 / numba_row["ms_per_step"]
    numpy_rows.append(nr)
    _log(f"  diffusion numpy explicit {n}^2 x{ns} float32  {nr['ms_per_step']:.2f} ms/step  "
         f"{nr['voxel_updates_per_s']['median']:.3g} vox-upd/s  (numba x{nr.get('numba_speedup', float('nan')):.1f})")
    del u

    # the default field set at the model step: simulated minutes per wall second, error vs analytic
    step_rows = []
    for scheme in cfg["step_schemes"]:
        errs = diffusion_error(scheme, cfg["err_size"])
        # explicit/lod need hundreds of sweeps per step here: the smallest lattice only
        sizes = cfg["step_sizes"] if scheme in ("auto", "kernel") else cfg["step_sizes"][:1]
        for n in sizes:
            lat, solver = _solver((n, n), names, D_def, k_def, "float32", scheme)
            lat.data[:] = 1.0
            # explicit/lod need hundreds of sweeps per step here: their kernels are already compiled
            # (throughput rows, same dtype), so one timed step without warm-up
            fast = scheme in ("auto", "kernel")
            t = measure(solver.step, repeats=cfg["diff_reps"] if fast else 1, warmup=1 if fast else 0,
                        min_repeats=1, budget_s=3.0)
            row = dict(scheme=scheme, size=n, species=n_default, dtype="float32", dt_min=1.0,
                       plan=[(p.species, p.scheme, p.substeps) for p in solver.plan],
                       ms_per_step=1e3 * t.median, timing=t.to_dict(),
                       sim_min_per_wall_s=1.0 / t.median,
                       voxel_updates_per_s=rate(n * n * n_default, t),
                       max_error=max(e["error"] for e in errs), error_by_field=errs, error_lattice=cfg["err_size"])
            step_rows.append(row)
            _log(f"  diffusion model step {scheme:8s} {n}^2 x{n_default} (default fields)  {row['ms_per_step']:.2f} ms  "
                 f"{row['sim_min_per_wall_s']:.3g} sim-min/s  max error {row['max_error']:.1e}")
            del lat, solver
    return {"throughput": rows, "numpy_reference": numpy_rows, "model_step": step_rows}


# ============================================================================ contact / exchange
RADIUS_UM = 5.0
TARGET_NEIGHBOURS = 6.0


def uniform_cells(n: int, seed: int = 0):
    """Uniform cells of radius 5 um in a square sized for ~6 contacts (distance <= 10 um) each."""
    cut = 2 * RADIUS_UM
    side = math.sqrt(n * math.pi * cut * cut / TARGET_NEIGHBOURS)
    rng = np.random.default_rng(seed)
    return side, rng.uniform(0, side, n), rng.uniform(0, side, n), np.full(n, RADIUS_UM), rng


def bench_contact(cfg: dict) -> dict:
    from scipy.spatial import cKDTree

    from mscabm.engine.kernels.contact import ContactFinder, csr_to_pairs

    rows = []
    for n in cfg["contact_sizes"]:
        side, x, y, r, _ = uniform_cells(n)
        finder = ContactFinder(side, side)
        t = measure(lambda: finder.find(x, y, r, n, 1.0), repeats=cfg["reps"], warmup=1)
        off, nb = finder.find(x, y, r, n, 1.0)
        ours = csr_to_pairs(off, nb)

        def kd():
            return cKDTree(np.column_stack([x, y])).query_pairs(2 * RADIUS_UM, output_type="ndarray")

        tk = measure(kd, repeats=max(1, cfg["reps"] // 2), warmup=0 if n >= 1_000_000 else 1)
        pk = np.sort(kd(), axis=1)
        pk = pk[np.lexsort((pk[:, 1], pk[:, 0]))]
        # the same cells stored in bin order (ContactFinder.spatial_order): no cache misses on
        # the gathers; what a population kept spatially sorted would see
        order = finder.spatial_order().copy()
        xs, ys, rs = x[order], y[order], r[order]
        ts = measure(lambda: finder.find(xs, ys, rs, n, 1.0), repeats=cfg["reps"], warmup=1)
        row = dict(n=n, neighbours_per_cell=nb.size / n, timing=t.to_dict(), agent_updates_per_s=rate(n, t),
                   sorted_timing=ts.to_dict(), sorted_agent_updates_per_s=rate(n, ts),
                   kdtree_timing=tk.to_dict(), kdtree_agent_updates_per_s=rate(n, tk),
                   speedup_vs_kdtree=tk.median / t.median, pairs=int(ours.shape[0]),
                   pairs_equal=bool(np.array_equal(pk, ours)))
        rows.append(row)
        _log(f"  contact n={n:>9,}  {t.median * 1e3:8.2f} ms  {n / t.median:.3g} agent-upd/s  "
             f"(spatially sorted {n / ts.median:.3g})  nb/cell {row['neighbours_per_cell']:.2f}  "
             f"cKDTree x{row['speedup_vs_kdtree']:.1f}  "
             f"pairs equal: {row['pairs_equal']}")
    return {"rows": rows}


def bench_exchange(cfg: dict, bw_gb_s: float | None) -> dict:
    from mscabm.engine.kernels.exchange import FieldExchange, voxel_indices

    names, _, _ = _default_fields()
    ns = len(names)
    rows = []
    for n in cfg["exchange_sizes"]:
        side, x, y, r, rng = uniform_cells(n, seed=2)
        nxv = int(math.ceil(side / DX_UM))
        data = rng.uniform(0, 1, (ns, nxv, nxv)).astype(np.float32)
        vox = voxel_indices(x, y, n, DX_UM, nxv, nxv)
        beh = rng.uniform(0, 1, (n, 4 * ns)).astype(np.float32)
        cols = np.arange(4 * ns).reshape(4, ns)
        active = np.ones(n, bool)
        vol = np.full(n, 4.0 / 3.0 * math.pi * RADIUS_UM**3)
        ex = FieldExchange(nxv * nxv)
        t = measure(lambda: ex.apply(data, vox, n, beh, *cols, vol, DX_UM**3, 1.0, active),
                    repeats=cfg["reps"], warmup=1)
        # must-move bytes per cell: voxel index + volume + active flag + sort order (w+r),
        # 4 behaviour columns per species, the output row, one read+write of its voxel per species
        bpc = 8 + 8 + 1 + 16 + ns * (4 * 4 + 8 + 2 * 4)
        row = dict(n=n, voxels=nxv * nxv, species=ns, cells_per_voxel=n / nxv**2, timing=t.to_dict(),
                   cells_per_s=rate(n, t), bytes_per_cell=bpc,
                   bw_fraction=(n / t.median * bpc / (bw_gb_s * 1e9)) if bw_gb_s else None)
        rows.append(row)
        _log(f"  exchange n={n:>9,}  {t.median * 1e3:8.2f} ms  {n / t.median:.3g} cells/s  "
             f"({ns} species, {n / nxv**2:.2f} cells/voxel)  bw {row['bw_fraction'] or 0:.2f}")
    return {"rows": rows}


# ============================================================================ whole model
def build_model(n_cells: int, **extra):
    """MSCModel with the default biology at ~n_cells: the default cell mix and density
    (cells per mm^2) kept, the square domain (and its 10 um lattice) scaled with N."""
    from mscabm.config import default_config_dict
    from mscabm.model import MSCModel

    d = default_config_dict()
    base = sum(c["count"] for c in d["cells"].values())
    scale = n_cells / base
    side = d["domain"]["width_um"] * math.sqrt(scale)
    overrides = {"domain.width_um": side, "domain.height_um": side, "model.steps": 10**8}
    for t, c in d["cells"].items():
        overrides[f"cells.{t}.count"] = int(round(c["count"] * scale))
    overrides.update(extra)
    return MSCModel(**overrides)


def time_steps(model, steps_per_block: int, blocks: int, warmup_steps: int = 3) -> tuple[Timing, float]:
    """Warm up (JIT compile / cache load of every specialisation), then time ``blocks`` blocks of
    steps; returns the per-step Timing and the mean number of live rows."""
    for _ in range(warmup_steps):
        model.step()
    per_step = []
    cells = []
    for _ in range(blocks):
        cells.append(len(model.population))
        t0 = time.perf_counter()
        for _ in range(steps_per_block):
            model.step()
        per_step.append((time.perf_counter() - t0) / steps_per_block)
    import statistics

    return Timing(statistics.median(per_step), min(per_step), max(per_step), blocks), float(np.mean(cells))


def _steps_for(n: int, override: int | None, budget_cell_steps: float = 4e5) -> int:
    return override if override else max(1, min(20, int(budget_cell_steps / n)))


def model_memory(n: int, builder: Callable = build_model, steps: int = 2) -> dict:
    """Peak tracemalloc bytes of building the model and running ``steps`` steps (JIT already
    loaded by an earlier run of the same size class)."""
    gc.collect()
    tracemalloc.start()
    try:
        m = builder(n)
        for _ in range(steps):
            m.step()
        _, peak = tracemalloc.get_traced_memory()
        cells = len(m.population)
    finally:
        tracemalloc.stop()
    del m
    gc.collect()
    return {"peak_bytes": peak, "bytes_per_cell": peak / max(cells, 1), "cells": cells}


def phase_profile(model, steps: int) -> dict:
    """Seconds per step in each phase of ``MSCModel.step``, by wrapping the kernels it calls
    (module functions in ``mscabm.model`` and the engine objects' methods); "other" is the
    remainder (Python and numpy glue: rule groups, division, compaction, readouts)."""
    import mscabm.model as mm

    acc: dict[str, float] = {}

    def wrap(name, fn):
        def w(*a, **k):
            t0 = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                acc[name] = acc.get(name, 0.0) + time.perf_counter() - t0
        return w

    funcs = {"voxel_indices": "sense+exchange: voxel index", "sample_fields": "sense: sample fields",
             "count_contacts_by_type": "sense: contacts by type", "evaluate_behaviours": "decide: rules",
             "advance_lifecycle": "act: lifecycle"}
    saved_f = {f: getattr(mm, f) for f in funcs}
    objs = [(model.contacts, "find", "sense: contact list"), (model.mover, "move", "move"),
            (model.exchange, "apply", "exchange"), (model.diffusion, "step", "diffuse")]
    try:
        for f, label in funcs.items():
            setattr(mm, f, wrap(label, saved_f[f]))
        for obj, meth, label in objs:
            setattr(obj, meth, wrap(label, getattr(obj, meth)))
        t0 = time.perf_counter()
        for _ in range(steps):
            model.step()
        total = time.perf_counter() - t0
    finally:
        for f in funcs:
            setattr(mm, f, saved_f[f])
        for obj, meth, _ in objs:
            delattr(obj, meth)  # back to the class attribute
    out = {k: v / steps for k, v in acc.items()}
    out["other (python/numpy glue)"] = max(0.0, total / steps - sum(out.values()))
    out["total"] = total / steps
    return out


def bench_model(cfg: dict) -> dict:
    rows = []
    profile = None
    for n in cfg["model_sizes"]:
        m = build_model(n)
        ny, nx = m.lattice.shape
        nfields = len(m.tables.field_names)
        steps = _steps_for(n, cfg["model_steps"])
        t, cells = time_steps(m, steps, cfg["model_reps"])
        if n == cfg["profile_size"]:
            profile = {"cells": len(m.population), "per_step_s": phase_profile(m, max(2, steps // 2))}
        del m
        mem = model_memory(n)
        row = dict(n=n, cells=cells, lattice=[ny, nx], fields=nfields, steps_per_block=steps, timing=t.to_dict(),
                   cell_steps_per_s=rate(cells, t), steps_per_s=1.0 / t.median,
                   ns_per_cell_step=1e9 * t.median / cells, memory=mem,
                   bytes_per_cell=mem["bytes_per_cell"])
        rows.append(row)
        _log(f"  model N={n:>9,}  lattice {nx}x{ny}  {cells / t.median:.3g} cell-steps/s  "
             f"{1 / t.median:.3g} steps/s  {row['ns_per_cell_step']:.0f} ns/cell-step  "
             f"{mem['bytes_per_cell'] / 1e3:.2f} KB/cell (tracemalloc peak)")
    if profile:
        _log("  model phase profile at N=%d: %s" % (profile["cells"], ", ".join(
            f"{k} {v * 1e3:.1f} ms" for k, v in profile["per_step_s"].items())))
    return {"rows": rows, "profile": profile}


# ============================================================================ pure-Mesa reference
def _load_mesa_reference():
    """benchmarks/mesa_reference.py, imported by path (it is not part of the package)."""
    root = Path(__file__).resolve().parents[3]
    path = root / "benchmarks" / "mesa_reference.py"
    if not path.exists():
        return None
    name = "mscabm_bench_mesa_reference"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def bench_mesa(cfg: dict) -> dict:
    ref = _load_mesa_reference()
    if ref is None:
        return {"skipped": "benchmarks/mesa_reference.py not found (installed without the source tree)"}
    rows = []
    for n in cfg["mesa_sizes"]:
        ours = ref.build_mscabm(n, seed=1)
        steps = _steps_for(n, cfg["model_steps"], budget_cell_steps=1e6)
        t_ours, cells = time_steps(ours, steps, cfg["model_reps"])
        del ours
        mesa_model = ref.MesaReference(ref.params_for(n), seed=1)
        msteps = cfg["mesa_steps"] or max(1, min(5, int(2e4 / n)))
        t_mesa = measure(mesa_model.step, repeats=msteps, warmup=1 if n < 100_000 else 0)
        del mesa_model
        row = dict(n=n, mscabm_timing=t_ours.to_dict(), mesa_timing=t_mesa.to_dict(),
                   mscabm_cell_steps_per_s=n / t_ours.median, mesa_cell_steps_per_s=n / t_mesa.median,
                   speedup=t_mesa.median / t_ours.median, mesa_steps_timed=t_mesa.repeats)
        rows.append(row)
        _log(f"  mesa reference N={n:>7,}  mscabm {t_ours.median * 1e3:8.2f} ms/step  "
             f"Mesa {t_mesa.median * 1e3:9.1f} ms/step ({t_mesa.repeats} steps)  speed-up x{row['speedup']:.0f}")
    match = ref.compare(cfg["match_cells"], cfg["match_steps"], cfg["match_seeds"])
    _log("  readouts (mean over seeds, mscabm vs Mesa): " + ", ".join(
        f"{k} {v['mscabm']:.4g} vs {v['mesa']:.4g} ({'ok' if v['match'] else 'DIFFER'})"
        for k, v in match["readouts"].items()))
    return {"rows": rows, "match": match}


# ============================================================================ driver
def _set_threads(threads: int | None) -> None:
    import numba

    if threads is None:
        return
    from mscabm.config import ConfigError

    limit = numba.config.NUMBA_NUM_THREADS
    if not 1 <= threads <= limit:
        raise ConfigError("--threads", f"{threads} is outside [1, {limit}] (NUMBA_NUM_THREADS={limit})")
    numba.set_num_threads(threads)


def run_suite(which=("all",), mode: str = "quick", threads: int | None = None) -> dict:
    """Run the chosen benchmarks (``diffusion``, ``contact``, ``exchange``, ``model``, ``all``);
    the STREAM bandwidth is always measured first, on the same threads."""
    from mscabm.config import ConfigError

    if mode not in MODES:
        raise ConfigError("mode", f"{mode!r} is not one of {sorted(MODES)}")
    chosen = set(KERNELS) if "all" in which else set(which)
    bad = chosen - set(KERNELS)
    if bad:
        raise ConfigError("bench", f"unknown benchmark(s) {sorted(bad)}; choose from {list(KERNELS) + ['all']}")
    import numba

    saved_threads = numba.get_num_threads()
    _set_threads(threads)
    try:
        return _run(chosen, mode, MODES[mode])
    finally:
        numba.set_num_threads(saved_threads)


def _run(chosen: set, mode: str, cfg: dict) -> dict:
    t0 = time.perf_counter()
    res: dict = {"mode": mode, "benchmarks": [k for k in KERNELS if k in chosen],
                 "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "reference_figures": REFERENCE}
    _log(f"mscabm bench ({mode}): {', '.join(res['benchmarks'])}")
    res["stream"] = stream(cfg["stream_n"], repeats=cfg["stream_reps"])
    res["machine"] = machine_info()
    m = res["machine"]
    _log(f"  machine: {m['cpu']}, {m['cpu_count']} CPUs, numba {m['numba']} with {m['numba_threads']} threads "
         f"({m['numba_threading_layer']}), caches {m['caches_bytes']}")
    s = res["stream"]
    _log(f"  STREAM ({s['array_mb']:.0f} MB arrays{', IN CACHE' if s['in_cache'] else ''}): "
         f"copy {s['copy_gb_s']:.1f} GB/s, triad {s['triad_gb_s']:.1f} GB/s")
    bw = s["limit_gb_s"]
    if "diffusion" in chosen:
        res["diffusion"] = bench_diffusion(cfg, bw)
    if "contact" in chosen:
        res["contact"] = bench_contact(cfg)
    if "exchange" in chosen:
        res["exchange"] = bench_exchange(cfg, bw)
    if "model" in chosen:
        res["model"] = bench_model(cfg)
        res["mesa"] = bench_mesa(cfg)
    res["wall_s"] = time.perf_counter() - t0
    try:
        import os

        res["load_avg_end"] = os.getloadavg()
    except OSError:
        pass
    res["targets"] = targets(res)
    res["checks"] = checks(res)
    return res


# ============================================================================ summary
def _pick(rows, **kw):
    return [r for r in rows if all(r.get(k) == v for k, v in kw.items())]


def targets(res: dict) -> list[dict]:
    """The issue's targets, each with the measured value, the target and whether it is met."""
    out = []

    def add(name, value, target, unit, higher=True, note=""):
        if value is None:
            return
        met = value >= target if higher else value <= target
        out.append(dict(target=name, value=value, goal=target, unit=unit, met=bool(met),
                        ratio=(value / target) if higher else (target / value if value else math.inf), note=note))

    d = res.get("diffusion")
    if d:
        big = max(r["size"] for r in d["throughput"])
        one = _pick(d["throughput"], scheme="explicit", dtype="float32", size=big)
        if one:
            r = max(one, key=lambda r: r["species"])
            add(f"diffusion: fraction of bandwidth, explicit 1 sweep/step, {big}^2 x{r['species']} f32",
                r["bw_fraction"], 0.6, "of STREAM")
        for scheme in ("explicit", "lod", "kernel"):
            rr = _pick(d["throughput"], scheme=scheme, dtype="float32", size=big)
            if rr:
                r = max(rr, key=lambda r: r["species"])
                add(f"diffusion: {scheme} vs BioFVM 2e8 vox-upd/s, {big}^2 x{r['species']} f32 (per step)",
                    r["vs_biofvm"], 10.0, "x")
    c = res.get("contact")
    if c and c["rows"]:
        r = max(c["rows"], key=lambda r: r["n"])
        add(f"contact: agent-updates/s at {r['n']:,} cells", r["agent_updates_per_s"]["median"], 2e7, "1/s")
        add(f"contact: speed-up vs cKDTree at {r['n']:,} cells", r["speedup_vs_kdtree"], 10.0, "x")
    m = res.get("model")
    if m and m["rows"]:
        for r in m["rows"]:
            if r["n"] == 100_000:
                add("model: cell-steps/s at 1e5 cells", r["cell_steps_per_s"]["median"], 2e6, "1/s")
            if r["n"] == 1_000_000:
                add("model: steps/s at 1e6 cells", r["steps_per_s"], 1.0, "1/s")
        r = max(m["rows"], key=lambda r: r["n"])
        add(f"model: memory per cell at {r['n']:,} cells", r["bytes_per_cell"], 1000.0, "B", higher=False)
    me = res.get("mesa")
    if me and me.get("rows"):
        r = max(me["rows"], key=lambda r: r["n"])
        add(f"model: speed-up vs pure Mesa at {r['n']:,} cells", r["speedup"], 100.0, "x")
    return out


def checks(res: dict) -> dict:
    """Correctness checks made in the run (not timings)."""
    out = {}
    if "contact" in res:
        out["contact_pairs_equal_kdtree"] = all(r["pairs_equal"] for r in res["contact"]["rows"])
    if res.get("mesa", {}).get("match"):
        out["mesa_readouts_match"] = res["mesa"]["match"]["all_match"]
    return out


def _n_fields(res: dict) -> int:
    """Fields of the default config the results were taken with (the current default if not recorded)."""
    rows = (res.get("diffusion") or {}).get("model_step") or []
    return rows[0]["species"] if rows else len(_default_fields()[0])


def summary(res: dict) -> str:
    """The results tables (medians; spreads are in the JSON) with ratios and targets."""
    parts = []
    s = res["stream"]
    m = res["machine"]
    parts.append(f"Machine: {m['cpu']}, {m['cpu_count']} CPUs, {m['numba_threads']} numba threads; "
                 f"numba {m['numba']}, numpy {m['numpy']}; STREAM copy {s['copy_gb_s']:.1f} GB/s, "
                 f"triad {s['triad_gb_s']:.1f} GB/s (limit used: {s['limit_gb_s']:.1f} GB/s)")
    d = res.get("diffusion")
    if d:
        rows = [(r["scheme"], f"{r['size']}^2", r["species"], r["dtype"], r["ms_per_step"],
                 r["voxel_updates_per_s"]["median"], r["voxel_sweeps_per_s"], r["bw_fraction"], r["vs_biofvm"])
                for r in d["throughput"]]
        parts.append(table(["scheme", "lattice", "fields", "dtype", "ms/step", "vox-upd/s", "vox-sweeps/s",
                            "x bandwidth", "x BioFVM"], rows, "Diffusion throughput (one model step, dt = 1 min)"))
        rows = [(r["impl"], f"{r['size']}^2", r["species"], r["dtype"], r["ms_per_step"],
                 r["voxel_updates_per_s"]["median"], r.get("numba_speedup"), r["vs_reference"])
                for r in d["numpy_reference"]]
        parts.append(table(["impl", "lattice", "fields", "dtype", "ms/step", "vox-upd/s", "numba explicit x",
                            "x issue's 0.44e9"], rows, "Plain numpy explicit FTCS, same run"))
        rows = [(r["scheme"], f"{r['size']}^2", " ".join(f"{p[1]}:{p[2]}" for p in r["plan"]), r["ms_per_step"],
                 r["sim_min_per_wall_s"], r["max_error"]) for r in d["model_step"]]
        parts.append(table(["scheme", "lattice", "plan (scheme:sub-steps per field)", "ms/step", "sim-min/wall-s",
                            "max rel. error"], rows,
                           f"Diffusion, default field set ({_n_fields(res)} fields) at the model step; "
                           "error of one step vs analytic"))
    c = res.get("contact")
    if c:
        rows = [(r["n"], r["neighbours_per_cell"], r["timing"]["median"] * 1e3, r["agent_updates_per_s"]["median"],
                 r["sorted_agent_updates_per_s"]["median"], r["kdtree_agent_updates_per_s"]["median"],
                 r["speedup_vs_kdtree"], r["pairs_equal"]) for r in c["rows"]]
        parts.append(table(["cells", "nb/cell", "ms", "agent-upd/s", "same, cells in bin order",
                            "cKDTree agent-upd/s", "x cKDTree", "pairs equal"], rows,
                           "Contact (cell list, random cell order) vs scipy cKDTree.query_pairs"))
    e = res.get("exchange")
    if e:
        rows = [(r["n"], r["species"], r["timing"]["median"] * 1e3, r["cells_per_s"]["median"], r["bw_fraction"])
                for r in e["rows"]]
        parts.append(table(["cells", "fields", "ms", "cells/s", "x bandwidth"], rows,
                           "Exchange (secretion/uptake, BioFVM implicit formula)"))
    mo = res.get("model")
    if mo:
        pc = {1000: None, 10_000: REFERENCE["physicell_1e4"], 100_000: REFERENCE["physicell_1e5"]}
        rows = [(r["n"], f"{r['lattice'][1]}x{r['lattice'][0]}", r["cell_steps_per_s"]["median"], r["steps_per_s"],
                 r["ns_per_cell_step"], r["bytes_per_cell"] / 1e3,
                 (r["cell_steps_per_s"]["median"] / pc[r["n"]]) if pc.get(r["n"]) else None) for r in mo["rows"]]
        parts.append(table(["cells", "lattice", "cell-steps/s", "steps/s", "ns/cell-step", "KB/cell",
                            "x PhysiCell"], rows, f"Whole model, default biology ({_n_fields(res)} fields)"))
        if mo.get("profile"):
            p = mo["profile"]["per_step_s"]
            tot = p["total"]
            rows = [(k, v * 1e3, v / tot) for k, v in sorted(p.items(), key=lambda kv: -kv[1]) if k != "total"]
            parts.append(table(["phase", "ms/step", "share"], rows,
                               f"Where a step goes at {mo['profile']['cells']:,} cells"))
    me = res.get("mesa")
    if me and me.get("rows"):
        rows = [(r["n"], r["mscabm_cell_steps_per_s"], r["mesa_cell_steps_per_s"], r["speedup"]) for r in me["rows"]]
        parts.append(table(["cells", "mscabm cell-steps/s", "Mesa cell-steps/s", "speed-up"], rows,
                           "Reduced model (T cells: walk + contact + one field) vs pure Mesa"))
        mt = me["match"]
        rows = [(k, v["mscabm"], v["mesa"], v["rel_diff"], v["tolerance"], v["match"]) for k, v in mt["readouts"].items()]
        parts.append(table(["readout", "mscabm", "Mesa", "rel. diff", "tolerance", "match"], rows,
                           f"Readouts after {mt['steps']} steps, {mt['cells']} cells, {mt['seeds']} seeds each"))
    if res.get("targets"):
        rows = [(t["target"], t["value"], t["goal"], t["ratio"], t["met"]) for t in res["targets"]]
        parts.append(table(["target", "measured", "goal", "measured/goal", "met"], rows, "Targets"))
    load = f"load average {m.get('load_avg_1min', float('nan')):.2f} at start"
    if res.get("load_avg_end"):
        load += f", {res['load_avg_end'][0]:.2f} (1 min) / {res['load_avg_end'][1]:.2f} (5 min) at the end"
    parts.append(f"\nchecks: {res.get('checks')}; wall time {res.get('wall_s', 0):.0f} s; {load} "
                 f"({m['cpu_count']} CPUs: a load above ~0.3 means other processes shared the cores)")
    return "\n".join(parts)
