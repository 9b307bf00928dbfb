"""Route diagnosis (docs/calibration.md "The s3 targets in the deep well"): the calibration's own targets in the deep
well with culture-medium proteins.

Writes the shipped calibration specs (``dose_response``, ``pge2_24h``) with the deep-well geometry and the medium
physics of ``probe_deep_well.toml`` added to their ``[base.set]`` (every cell on the well bottom under the transwell
module's 1.1 mm medium column, no membrane, no insert cells; proteins diffusing freely, 6000 um^2/min, and lost at
0.0005/min), runs them, and checks them against SCIENCE.md s3 with ``mscabm calibrate --from``. A probe, not a fit.

    NUMBA_NUM_THREADS=1 python benchmarks/routes/deep_well_calibration.py --out runs/deep_well --workers 2
        (~20 min on 2 cores at the default 3 replicates; rerunning resumes)
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SPECS = Path(__file__).resolve().parents[2] / "src" / "mscabm" / "experiments" / "specs"
ANCHOR = '"output.snapshot_every" = 0\n'


def deep_well_block() -> str:
    """The ``[base.set]`` lines of probe_deep_well.toml after its snapshot setting (geometry and medium physics)."""
    text = (HERE / "probe_deep_well.toml").read_text()
    return text.split(ANCHOR, 1)[1].split("\n[design]")[0].strip("\n") + "\n"


def deep_well_spec(name: str, replicates: int) -> str:
    """The shipped spec ``name`` with the deep-well lines in its ``[base.set]`` and ``replicates`` replicates."""
    text = (SPECS / f"{name}.toml").read_text()
    if ANCHOR not in text:
        raise SystemExit(f"{name}.toml has no {ANCHOR.strip()!r} line to extend")
    lines = [f"replicates = {replicates}" if line.startswith("replicates = ") else line
             for line in text.replace(ANCHOR, ANCHOR + deep_well_block(), 1).splitlines()]
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("runs/deep_well"))
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--replicates", type=int, default=3)
    args = ap.parse_args()
    if args.replicates < 1 or args.workers < 1:
        print("--replicates and --workers must be >= 1", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    for name in ("pge2_24h", "dose_response"):
        spec = args.out / f"{name}.toml"
        spec.write_text(deep_well_spec(name, args.replicates))
        folder = args.out / "calibration" / name
        cmd = [sys.executable, "-m", "mscabm", "experiment", str(spec), "--out", str(folder),
               "--workers", str(args.workers), "--threads", "1"] + (["--resume"] if folder.exists() else [])
        if subprocess.call(cmd) != 0:
            return 1
    return subprocess.call([sys.executable, "-m", "mscabm", "calibrate", "--from", str(args.out / "calibration")])


if __name__ == "__main__":
    sys.exit(main())
