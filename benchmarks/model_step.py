"""Time the whole model's step at N cells, and its peak memory, for A/B comparisons between commits.

Run the same command under two source trees (the older one as a git worktree on PYTHONPATH) and compare the
two lines; interleave the runs, since the machine is shared::

    git worktree add /tmp/before <commit>
    for i in 1 2 3; do
      PYTHONPATH=/tmp/before/src NUMBA_NUM_THREADS=2 python benchmarks/model_step.py 100000 --steps 10
      NUMBA_NUM_THREADS=2 python benchmarks/model_step.py 100000 --steps 10
    done

The model is ``mscabm.bench.whole_model.build_model(N)`` (the default biology at its density, the domain
scaled with N). Time: 3 warm-up steps (kernels compiled or loaded from the cache), then the median of 3
blocks of ``--steps`` steps. Memory (``--memory``): the tracemalloc peak of building a second model and
stepping it twice, per cell (what ``mscabm bench model`` reports), after the first model is freed.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("cells", type=int, help="number of cells (e.g. 100000)")
    p.add_argument("--steps", type=int, default=10, help="steps per timed block (default 10)")
    p.add_argument("--memory", action="store_true", help="also measure the peak memory per cell")
    args = p.parse_args(argv)
    if args.cells < 100 or args.steps < 1:
        print("cells must be >= 100 and --steps >= 1", file=sys.stderr)
        return 2
    import mscabm
    from mscabm.bench.whole_model import build_model, model_memory

    m = build_model(args.cells)
    for _ in range(3):
        m.step()
    blocks = []
    for _ in range(3):
        t0 = time.perf_counter()
        for _ in range(args.steps):
            m.step()
        blocks.append((time.perf_counter() - t0) / args.steps)
    cells = len(m.population)
    out = {"source": mscabm.__file__, "cells": cells, "ms_per_step": 1e3 * statistics.median(blocks),
           "cell_steps_per_s": cells / statistics.median(blocks)}
    del m
    gc.collect()
    if args.memory:
        out["peak_bytes_per_cell"] = model_memory(args.cells)["bytes_per_cell"]
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
