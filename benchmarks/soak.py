"""Long-run stability: run the default model for many steps; report memory and speed per block.

Memory is the process RSS (psutil) after each block; "flat" means it does not grow beyond
what the population itself needs (cells x bytes per cell). Speed is steps/s per block.

    python benchmarks/soak.py [--steps 10000] [--blocks 10] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import time

import psutil

from mscabm.model import MSCModel

SOAK_DEFAULTS = {"model.steps": 10**9, "output.record_every": 10}


def soak(steps: int = 10_000, blocks: int = 10, **overrides) -> dict:
    """Run ``steps`` steps in ``blocks`` equal blocks; returns per-block RSS (MB), cells and steps/s."""
    proc = psutil.Process()
    model = MSCModel(**{**SOAK_DEFAULTS, **overrides})
    model.step()  # JIT / cache load outside the measurement
    per_block = max(1, steps // blocks)
    rows = []
    rss0 = proc.memory_info().rss / 2**20
    for b in range(blocks):
        t0 = time.perf_counter()
        for _ in range(per_block):
            model.step()
        dt = time.perf_counter() - t0
        rows.append({"block": b, "step": int(model.steps), "cells": len(model.population),
                     "rss_mb": proc.memory_info().rss / 2**20, "steps_per_s": per_block / dt})
    return {"rss_start_mb": rss0, "blocks": rows}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=10_000)
    ap.add_argument("--blocks", type=int, default=10)
    ap.add_argument("--json")
    args = ap.parse_args()
    res = soak(args.steps, args.blocks)
    print(f"RSS after warm-up: {res['rss_start_mb']:.1f} MB")
    for r in res["blocks"]:
        print(f"block {r['block']:>2}  step {r['step']:>6}  cells {r['cells']:>6}  RSS {r['rss_mb']:7.1f} MB  "
              f"{r['steps_per_s']:7.1f} steps/s")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(res, fh, indent=2)


if __name__ == "__main__":
    main()
