"""Whole-model benchmarks: ``MSCModel.step`` at 10^3-10^6 cells with the default biology.

Cell-steps/s: cells x steps / wall seconds of ``MSCModel.step``; memory per cell: peak
tracemalloc-traced bytes (numpy buffers included) of building the model and running 2 steps,
divided by N (Python's allocator view: excludes the interpreter and the JIT-compiled code).  The
phase profile times the kernels one step calls, by wrapping them.
"""

from __future__ import annotations

import gc
import math
import time
import tracemalloc
from collections.abc import Callable

import numpy as np

from mscabm.bench.common import log
from mscabm.bench.harness import Timing, rate

__all__ = ["bench_model", "build_model", "model_memory", "phase_profile", "steps_for", "time_steps"]


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


def steps_for(n: int, override: int | None, budget_cell_steps: float = 4e5) -> int:
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
    (module functions in ``mscabm.model`` and ``mscabm.sensing``, and the engine objects' methods); "other" is
    the remainder (Python and numpy glue: rule groups, division, compaction, readouts)."""
    import mscabm.model as mm
    import mscabm.sensing as ms

    acc: dict[str, float] = {}

    def wrap(name, fn):
        def w(*a, **k):
            t0 = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                acc[name] = acc.get(name, 0.0) + time.perf_counter() - t0
        return w

    funcs = {(mm, "voxel_indices"): "sense+exchange: voxel index", (ms, "sample_fields"): "sense: sample fields",
             (ms, "count_contacts_by_type"): "sense: contacts by type", (mm, "evaluate_behaviours"): "decide: rules",
             (mm, "advance_lifecycle"): "act: lifecycle"}
    saved_f = {key: getattr(*key) for key in funcs}
    objs = [(model.contacts, "find", "sense: contact list"), (model.mover, "move", "move"),
            (model.exchange, "apply", "exchange"), (model.diffusion, "step", "diffuse")]
    try:
        for (module, f), label in funcs.items():
            setattr(module, f, wrap(label, saved_f[module, f]))
        for obj, meth, label in objs:
            setattr(obj, meth, wrap(label, getattr(obj, meth)))
        t0 = time.perf_counter()
        for _ in range(steps):
            model.step()
        total = time.perf_counter() - t0
    finally:
        for module, f in funcs:
            setattr(module, f, saved_f[module, f])
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
        steps = steps_for(n, cfg["model_steps"])
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
        log(f"  model N={n:>9,}  lattice {nx}x{ny}  {cells / t.median:.3g} cell-steps/s  "
            f"{1 / t.median:.3g} steps/s  {row['ns_per_cell_step']:.0f} ns/cell-step  "
            f"{mem['bytes_per_cell'] / 1e3:.2f} KB/cell (tracemalloc peak)")
    if profile:
        log("  model phase profile at N=%d: %s" % (profile["cells"], ", ".join(
            f"{k} {v * 1e3:.1f} ms" for k, v in profile["per_step_s"].items())))
    return {"rows": rows, "profile": profile}

