"""The researcher's unit of work: one co-culture well (the ``coculture`` preset, 4 days at 1 min,
~1,500 cells, one numba thread), and the process start-up before its first step.

``well``: the simulation only (model built, kernels warm), wall seconds for the preset's steps,
cell-steps/s and where a step goes (sense, decide, act, move, population, exchange, diffuse,
observe), from timers wrapped around the model's phase methods (they add ~1 us per phase).

``startup``: a fresh interpreter (``sys.executable``) that imports ``mscabm.model``, loads the
preset, builds the model and runs one step (numba kernels loaded from the on-disk cache: run
once before, which the suite's warm-up does); each part timed inside the child, the whole
process from outside.  The parts say what a researcher waits for before the first step.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import numpy as np

from mscabm.bench.common import log

__all__ = ["PHASES", "bench_startup", "bench_well", "run_well"]

#: the model's step phases, in order (MSCModel.step)
PHASES = ("_sense", "_decide", "_act", "_move", "_update_population", "_exchange", "_diffuse", "_observe")

_STARTUP_CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
import mesa  # Mesa's own imports (pandas, scipy, networkx): what mscabm cannot defer
tm = time.perf_counter()
import mscabm.model
from mscabm.config.loading import load_config
t1 = time.perf_counter()
cfg = load_config(sys.argv[1], ["model.steps=1", "output.record_every=1"])
t2 = time.perf_counter()
m = mscabm.model.MSCModel(cfg)
t3 = time.perf_counter()
m.step()
t4 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "import_mesa_s": tm - t0, "config_s": t2 - t1, "build_s": t3 - t2,
                  "first_step_s": t4 - t3, "first_step_done_wall": time.time()}))
"""


#: the well's variants: the reference (every phase every minute) and multi-rate stepping
#: (rules every 6 min, PhysiCell's phenotype step; docs/design.md)
VARIANTS = {"reference": [], "phenotype every 6 min": ["model.phenotype_every=6"]}


def _timed_model(preset: str, steps: int | None, seed: int, overrides=()):
    from mscabm.config.loading import load_config
    from mscabm.model import MSCModel

    over = [f"model.seed={seed}"] + ([f"model.steps={steps}"] if steps else []) + list(overrides)
    model = MSCModel(load_config(preset, over))
    spent = dict.fromkeys(PHASES, 0.0)
    for name in PHASES:
        method = getattr(model, name)

        def timed(*a, _m=method, _n=name, **k):
            t = time.perf_counter()
            out = _m(*a, **k)
            spent[_n] += time.perf_counter() - t
            return out

        setattr(model, name, timed)
    return model, spent


def run_well(preset: str = "coculture", steps: int | None = None, seed: int = 1, overrides=()) -> dict:
    """Step one well to its end in this process; returns wall, cell-steps and the phase times."""
    model, spent = _timed_model(preset, steps, seed, overrides)
    n_steps = model.config.model.steps
    cells = 0
    t0 = time.perf_counter()
    for _ in range(n_steps):
        model.step()
        cells += len(model.population)
    wall = time.perf_counter() - t0
    return {"preset": preset, "overrides": list(overrides), "steps": n_steps, "wall_s": wall, "cell_steps": cells,
            "cells_end": len(model.population), "cell_steps_per_s": cells / wall if wall > 0 else None,
            "ms_per_step": 1e3 * wall / n_steps, "phases_s": spent,
            "glue_s": wall - sum(spent.values())}


def bench_well(cfg: dict) -> dict:
    """The ``well`` benchmark: the co-culture preset at one numba thread, ``well_reps`` runs
    (seeds 1..reps) per variant (:data:`VARIANTS`), after a short warm-up run; median wall.
    ``median`` and ``runs`` are the reference's; ``variants`` every variant's."""
    import numba

    saved = numba.get_num_threads()
    numba.set_num_threads(1)
    steps = cfg.get("well_steps")  # None: the preset's 5760 (4 days)
    variants = {}
    try:
        log(f"  well: coculture preset, {steps or 'all'} steps, 1 thread, {cfg['well_reps']} run(s) per variant")
        run_well(steps=5)  # warm-up: kernels loaded or compiled
        for label, over in VARIANTS.items():
            runs = [run_well(steps=steps, seed=s + 1, overrides=over) for s in range(cfg["well_reps"])]
            walls = [r["wall_s"] for r in runs]
            median = runs[int(np.argsort(walls)[len(walls) // 2])]
            for r in runs:
                log(f"    {label}: {r['steps']} steps: {r['wall_s']:.2f} s ({r['ms_per_step']:.2f} ms/step, "
                    f"{r['cell_steps_per_s']:.3g} cell-steps/s)")
            variants[label] = {"runs": runs, "median": median,
                               "wall_s": {"median": float(np.median(walls)), "all": walls}}
    finally:
        numba.set_num_threads(saved)
    ref = variants["reference"]
    return {"runs": ref["runs"], "median": ref["median"], "wall_s": ref["wall_s"], "variants": variants,
            "threads": 1}


def bench_startup(cfg: dict, preset: str = "coculture") -> dict:
    """The ``startup`` benchmark: a fresh interpreter up to the end of the first step.

    The children may write bytecode (``PYTHONDONTWRITEBYTECODE`` removed from their environment):
    the dropped first run then leaves the .pyc files a normal install has, instead of every run
    compiling mscabm and any uncompiled package from source (~4 s more on the 2-core VM)."""
    env = dict(os.environ, NUMBA_NUM_THREADS="1", SOLARA_TELEMETRY_MIXPANEL_ENABLE="False")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    rows = []
    for _ in range(cfg["startup_reps"] + 1):  # the first run fills caches (kernels, .pyc): dropped
        t0, wall0 = time.perf_counter(), time.time()
        out = subprocess.run([sys.executable, "-c", _STARTUP_CHILD, preset], capture_output=True, text=True,
                             env=env, timeout=600, check=True)
        total = time.perf_counter() - t0
        parts = json.loads(out.stdout.strip().splitlines()[-1])
        # start-up proper: from the spawn to the end of the first step (the wall clock, shared by the
        # two processes); process_s adds the interpreter's exit (numba, threads), not start-up
        to_step = parts.pop("first_step_done_wall") - wall0
        rows.append(dict(parts, to_first_step_s=to_step, process_s=total))
    rows = rows[1:]
    med = {k: float(np.median([r[k] for r in rows])) for k in rows[0]}
    log(f"  startup: {med['to_first_step_s']:.2f} s from the spawn to the end of the first step (import "
        f"{med['import_s']:.2f} of which mesa {med['import_mesa_s']:.2f}, config {med['config_s']:.2f}, "
        f"build {med['build_s']:.2f}, first step {med['first_step_s']:.2f}); {med['process_s']:.2f} s to exit")
    return {"rows": rows, "median": med, "preset": preset}
