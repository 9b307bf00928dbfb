"""The benchmark suite's driver: diffusion, contact, exchange and the whole model (with the
pure-Mesa reference), each against a limit measured in the same run; the co-culture well and
the process start-up (``well``: the researcher's unit of work).

``run_suite(["all"], mode="quick")`` returns one JSON-able dict; ``report.summary(results)`` is
the table with ratios and targets that ``mscabm bench`` prints.  Modes: ``smoke`` (tiny sizes,
CI, seconds), ``quick`` (the issue's sizes with few repeats, < 3 min on 2 cores), ``full``.
The STREAM bandwidth (``machine.stream``, best of copy/triad) is always measured first, on the
same threads; the benchmarks themselves, and the definitions of their figures, are in
``diffusion``, ``cell_kernels`` (contact, exchange), ``whole_model`` and ``mesa_compare``.
"""

from __future__ import annotations

import time

from mscabm.bench.cell_kernels import bench_contact, bench_exchange
from mscabm.bench.common import REFERENCE, log
from mscabm.bench.diffusion import bench_diffusion
from mscabm.bench.machine import machine_info, stream
from mscabm.bench.mesa_compare import bench_mesa
from mscabm.bench.report import checks, targets
from mscabm.bench.well import bench_startup, bench_well
from mscabm.bench.whole_model import bench_model

__all__ = ["KERNELS", "MODES", "run_suite"]

KERNELS = ("diffusion", "contact", "exchange", "model", "well", "startup")

#: sizes and repeats per mode
MODES = {
    "smoke": dict(stream_n=1 << 18, stream_reps=3, diff_sizes=[64], diff_species=[1, "default"],
                  diff_dtypes=["float32"], diff_reps=2, step_sizes=[64], err_size=64,
                  step_schemes=["auto", "kernel", "biofvm"],
                  contact_sizes=[2000], exchange_sizes=[2000], model_sizes=[300, 1000], model_reps=2,
                  model_steps=2, profile_size=1000, mesa_sizes=[200], mesa_steps=1,
                  match_cells=1000, match_steps=10, match_seeds=3, reps=2,
                  well_steps=60, well_reps=1, startup_reps=1),
    "quick": dict(stream_n=None, stream_reps=6, diff_sizes=[256, 1024, 4096], diff_species=[1, 6, "default"],
                  diff_dtypes=["float32", "float64"], diff_reps=3, step_sizes=[256], err_size=256,
                  step_schemes=["auto", "kernel", "explicit", "lod", "biofvm"],
                  contact_sizes=[10_000, 100_000, 1_000_000], exchange_sizes=[100_000, 1_000_000],
                  model_sizes=[1000, 10_000, 100_000, 1_000_000], model_reps=3, model_steps=None,
                  profile_size=100_000, mesa_sizes=[1000, 10_000, 100_000], mesa_steps=None,
                  match_cells=3000, match_steps=30, match_seeds=4, reps=3,
                  well_steps=None, well_reps=1, startup_reps=2),
    "full": dict(stream_n=None, stream_reps=10, diff_sizes=[256, 512, 1024, 2048, 4096],
                 diff_species=[1, 6, "default"], diff_dtypes=["float32", "float64"], diff_reps=7,
                 step_sizes=[256, 1024], err_size=256,
                 step_schemes=["auto", "kernel", "explicit", "lod", "biofvm"],
                 contact_sizes=[10_000, 100_000, 1_000_000], exchange_sizes=[100_000, 1_000_000],
                 model_sizes=[1000, 10_000, 100_000, 1_000_000], model_reps=5, model_steps=None,
                 profile_size=100_000, mesa_sizes=[1000, 10_000, 100_000], mesa_steps=None,
                 match_cells=5000, match_steps=40, match_seeds=6, reps=7,
                 well_steps=None, well_reps=3, startup_reps=5),
}


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
    log(f"mscabm bench ({mode}): {', '.join(res['benchmarks'])}")
    res["stream"] = stream(cfg["stream_n"], repeats=cfg["stream_reps"])
    res["machine"] = machine_info()
    m = res["machine"]
    log(f"  machine: {m['cpu']}, {m['cpu_count']} CPUs, numba {m['numba']} with {m['numba_threads']} threads "
        f"({m['numba_threading_layer']}), caches {m['caches_bytes']}")
    s = res["stream"]
    log(f"  STREAM ({s['array_mb']:.0f} MB arrays{', IN CACHE' if s['in_cache'] else ''}): "
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
    if "well" in chosen:
        res["well"] = bench_well(cfg)
    if "startup" in chosen:
        res["startup"] = bench_startup(cfg)
    res["wall_s"] = time.perf_counter() - t0
    try:
        import os

        res["load_avg_end"] = os.getloadavg()
    except OSError:
        pass
    res["targets"] = targets(res)
    res["checks"] = checks(res)
    return res

