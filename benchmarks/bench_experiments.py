"""Experiment runner benchmark: throughput of a 40-run spec with 1 vs 2 workers, and the per-run
overhead of the runner (spec, plan, executor, part and manifest files) vs calling the model directly.

    .venv/bin/python benchmarks/bench_experiments.py            # 40 runs, 1000 steps each
    .venv/bin/python benchmarks/bench_experiments.py --quick    # 12 runs, 60 steps
    .venv/bin/python benchmarks/bench_experiments.py --json bench_experiments.json

Prints runs/s for 1 and 2 local worker processes (their ratio is the parallel speed-up), and the
mean time per run: the model alone (same configs, one process, no files), the runner in-process
(same work plus the runner's bookkeeping), and the runner with a pool (adds process start-up and
task transfer). Numba kernels are warmed up first so compilation is excluded.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from mscabm.config import build_config
from mscabm.experiments import parse_spec, plan, run


def spec_doc(runs: int, steps: int) -> dict:
    return {
        "experiment": {"name": "bench", "master_seed": 1, "replicates": runs // 4, "steps": steps, "record_every": 20},
        "base": {"set": {"domain.width_um": 300.0, "domain.height_um": 300.0, "cells.T.count": 200,
                         "cells.CD8.count": 80, "cells.DC.count": 6,
                         "cells.B.count": 0, "cells.NK.count": 0, "cells.MAC.count": 0, "output.snapshot_every": 0}},
        "design": {"kind": "grid", "factors": [{"name": "msc", "key": "cells.MSC.count", "values": [0, 2, 20, 60]}]},
        "control": {"set": {"cells.MSC.count": 0}},
        "readouts": {"final": ["births_T_total", "n_T"],
                     "derived": [{"name": "supp", "kind": "suppression", "of": "births_T_total"}]},
    }


def direct(doc: dict) -> float:
    """Seconds to build and step every planned model directly (no runner, no files)."""
    from mscabm.model import MSCModel

    p = plan(parse_spec(doc))
    t0 = time.perf_counter()
    for r in p.runs:
        m = MSCModel(build_config(r.config))
        while m.running:
            m.step()
    return time.perf_counter() - t0


def timed_run(doc: dict, **kw) -> float:
    tmp = Path(tempfile.mkdtemp(prefix="bench_exp_"))
    try:
        t0 = time.perf_counter()
        df = run(doc, tmp / "o", progress=False, report=False, **kw)
        dt = time.perf_counter() - t0
        assert (df["status"] == "done").all()
        return dt
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--runs", type=int, default=40)
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=1,
                    help="numba threads per run in every mode (default 1: compares like with like)")
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()
    runs, steps = (12, 60) if a.quick else (a.runs, a.steps)
    import numba

    numba.set_num_threads(min(a.threads, numba.config.NUMBA_NUM_THREADS))
    doc = spec_doc(runs, steps)
    n = len(plan(parse_spec(doc)).runs)
    direct(spec_doc(4, 5))  # warm up the numba kernels
    res = {"runs": n, "steps": steps, "threads_per_run": a.threads}
    res["direct_s"] = direct(doc)
    res["in_process_s"] = timed_run(doc, in_process=True, threads=a.threads)
    res["workers1_s"] = timed_run(doc, workers=1, threads=a.threads)
    res["workers2_s"] = timed_run(doc, workers=2, threads=a.threads)
    res["runs_per_s_1"] = n / res["workers1_s"]
    res["runs_per_s_2"] = n / res["workers2_s"]
    res["speedup_2_vs_1"] = res["workers1_s"] / res["workers2_s"]
    res["overhead_in_process_ms_per_run"] = 1e3 * (res["in_process_s"] - res["direct_s"]) / n
    res["overhead_pool1_ms_per_run"] = 1e3 * (res["workers1_s"] - res["direct_s"]) / n
    print(f"{n} runs x {steps} steps, {a.threads} numba thread(s) per run")
    print(f"  model directly    : {res['direct_s']:.2f} s ({1e3 * res['direct_s'] / n:.0f} ms/run)")
    print(f"  runner in-process : {res['in_process_s']:.2f} s "
          f"(overhead {res['overhead_in_process_ms_per_run']:.0f} ms/run)")
    print(f"  runner 1 worker   : {res['workers1_s']:.2f} s, {res['runs_per_s_1']:.2f} runs/s "
          f"(overhead vs direct {res['overhead_pool1_ms_per_run']:.0f} ms/run, includes process start-up)")
    print(f"  runner 2 workers  : {res['workers2_s']:.2f} s, {res['runs_per_s_2']:.2f} runs/s; "
          f"speed-up 2 vs 1 worker: {res['speedup_2_vs_1']:.2f}x")
    if a.json:
        a.json.write_text(json.dumps(res, indent=2) + "\n")


if __name__ == "__main__":
    main()
