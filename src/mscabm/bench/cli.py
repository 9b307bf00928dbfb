"""``mscabm bench``: the benchmark suite as a subcommand (plug-in of ``mscabm.cli``)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from mscabm.config import ConfigError

CHOICES = ("diffusion", "contact", "exchange", "model", "well", "startup", "all")

DESCRIPTION = """\
Benchmark the kernels and the whole model against limits measured in the same run: the
machine's memory bandwidth (STREAM-like copy/triad in numba, same threads), scipy cKDTree, a
plain-numpy stencil and a pure-Mesa implementation of a reduced model.  Each figure: warm-up
(JIT excluded), repeats, median (spread in the JSON).  Prints the tables with ratios and targets.
"""

EPILOG = """\
examples:
  mscabm bench --quick                     every benchmark, few repeats (< 3 min on 2 cores)
  mscabm bench contact --threads 1         one kernel, one numba thread
  mscabm bench well startup --quick        one 4-day co-culture well (1 thread) and the start-up time
  mscabm bench all --json out.json --plots benchmarks/results
"""


def register(subparsers) -> dict:
    p = subparsers.add_parser("bench", help="benchmark the kernels and the whole model",
                              description=DESCRIPTION, epilog=EPILOG,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("which", nargs="*", default=["all"], metavar="{diffusion,contact,exchange,model,well,startup,all}",
                   help="benchmarks to run (default: all); 'model' includes the pure-Mesa reference; 'well' "
                        "is one 4-day co-culture well at 1 thread, 'startup' a fresh process to its first step")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="the issue's sizes, few repeats (< 3 min on 2 cores)")
    mode.add_argument("--smoke", action="store_true", help="tiny sizes, seconds: checks the suite runs (CI)")
    p.add_argument("--threads", type=int, help="numba threads (default: NUMBA_NUM_THREADS, all cores)")
    p.add_argument("--json", type=Path, metavar="FILE", help="write every figure as JSON")
    p.add_argument("--plots", type=Path, metavar="DIR", help="write one PNG per kernel into DIR")
    return {"bench": cmd_bench}


def cmd_bench(args: argparse.Namespace) -> int:
    from mscabm.bench.report import summary
    from mscabm.bench.suite import run_suite

    which = list(args.which) or ["all"]
    bad = [w for w in which if w not in CHOICES]
    if bad:
        raise ConfigError("bench", f"unknown benchmark {bad[0]!r}; choose from {', '.join(CHOICES)}")
    mode = "smoke" if args.smoke else "quick" if args.quick else "full"
    if args.json is not None and args.json.is_dir():
        raise ConfigError("--json", f"{args.json} is a directory")
    res = run_suite(which, mode=mode, threads=args.threads)
    print(summary(res))
    if args.json is not None:
        write_json(res, args.json)
        print(f"wrote {args.json}")
    if args.plots is not None:
        from mscabm.bench.plots import write_plots

        for p in write_plots(res, args.plots):
            print(f"wrote {p}")
    ok = all(res["checks"].values())
    if not ok:
        print(f"mscabm bench: a correctness check failed: {res['checks']}")
    return 0 if ok else 1


def write_json(res: dict, path: Path) -> None:
    from mscabm.observe.io import atomic_write_text

    atomic_write_text(Path(path), json.dumps(res, indent=1, default=_default))


def _default(o):
    import numpy as np

    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)
