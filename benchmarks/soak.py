"""Long-run stability: run the default model for many steps; report memory and speed per block.

Memory is the process RSS (psutil) after each block, beside the bytes the model holds in numpy
arrays (``array_mb``: cell columns, per-cell scratch, fields). "Flat" means RSS grows by no more
than those arrays: they grow in steps, doubling when the population passes its capacity, so
``rss_mb - array_mb`` is the figure that must not creep. Speed is steps/s per block.

    python benchmarks/soak.py [--steps 10000] [--blocks 10] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import psutil

from mscabm.model import MSCModel

SOAK_DEFAULTS = {"model.steps": 10**9, "output.record_every": 10}


def model_array_mb(model: MSCModel) -> float:
    """MB held in numpy arrays reachable from the model's and its population's attributes (one level deep)."""
    seen: set[int] = set()
    total = 0

    def add(value) -> None:
        nonlocal total
        if isinstance(value, np.ndarray) and id(value) not in seen:
            seen.add(id(value))
            total += value.nbytes
        elif isinstance(value, dict):
            for v in value.values():
                add(v)

    for owner in (model, model.population, getattr(model, "lattice", None)):
        if owner is not None:
            for value in vars(owner).values():
                add(value)
    return total / 2**20


def soak(steps: int = 10_000, blocks: int = 10, **overrides) -> dict:
    """Run ``steps`` steps in ``blocks`` equal blocks; returns per-block RSS (MB), cells and steps/s."""
    proc = psutil.Process()
    model = MSCModel(**{**SOAK_DEFAULTS, **overrides})
    model.step()  # JIT / cache load outside the measurement
    per_block = max(1, steps // blocks)
    rows = []
    rss0 = proc.memory_info().rss / 2**20
    array0 = model_array_mb(model)
    for b in range(blocks):
        t0 = time.perf_counter()
        for _ in range(per_block):
            model.step()
        dt = time.perf_counter() - t0
        rows.append({"block": b, "step": int(model.steps), "cells": len(model.population),
                     "capacity": int(model.population.capacity), "rss_mb": proc.memory_info().rss / 2**20,
                     "array_mb": model_array_mb(model), "steps_per_s": per_block / dt})
    return {"rss_start_mb": rss0, "array_start_mb": array0, "blocks": rows}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=10_000)
    ap.add_argument("--blocks", type=int, default=10)
    ap.add_argument("--json")
    args = ap.parse_args()
    res = soak(args.steps, args.blocks)
    print(f"RSS after warm-up: {res['rss_start_mb']:.1f} MB")
    for r in res["blocks"]:
        print(f"block {r['block']:>2}  step {r['step']:>6}  cells {r['cells']:>6}  capacity {r['capacity']:>7}  "
              f"RSS {r['rss_mb']:7.1f} MB  arrays {r['array_mb']:7.1f} MB  "
              f"{r['steps_per_s']:7.1f} steps/s")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(res, fh, indent=2)


if __name__ == "__main__":
    main()
