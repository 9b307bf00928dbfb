"""The long fuzz run: thousands of hostile inputs over every class, tallied (mscabm.bench.fuzz).

    python benchmarks/fuzz.py [--n 1200] [--seed 0] [--signals 12] [--json FILE]

Prints tried / rejected / accepted / traceback / hang / long_message per class, lists every
traceback and hang with its input, and exits 1 if there was any. ``--signals`` is the number
of SIGTERM/SIGINT inputs (each a real ``mscabm run`` process, several seconds apiece); the
other inputs run in this process.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

from mscabm.bench.fuzz import CLASSES, format_tally, fuzz, tally


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1200, help="in-process inputs (default 1200)")
    ap.add_argument("--signals", type=int, default=12, help="signal inputs (real processes, default 12)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", type=Path, help="write the tally and every non-clean input here")
    args = ap.parse_args()
    if args.n < 0 or args.signals < 0:
        print("fuzz: --n and --signals must be >= 0", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="mscabm-fuzz-") as root:
        kinds = tuple(k for k in CLASSES if k != "signal")
        results = fuzz(args.n, Path(root) / "inputs", seed=args.seed, kinds=kinds)
        if args.signals:
            results += fuzz(args.signals, Path(root) / "signals", seed=args.seed, kinds=("signal",))
    print(format_tally(results))
    bad = [r for r in results if r.outcome in ("traceback", "hang", "long_message")]
    for r in bad:
        print(f"{r.outcome}: [{r.kind}] {r.label!r}: {r.rc} {r.message[:200]!r}")
    if args.json:
        args.json.write_text(json.dumps({"seed": args.seed, "tally": tally(results),
                                         "not_clean": [asdict(r) for r in bad]}, indent=2) + "\n")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
