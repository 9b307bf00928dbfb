"""The mscabm benchmark suite as a script: the same as ``mscabm bench``.

    python benchmarks/run_suite.py [diffusion|contact|exchange|model|all] [--quick|--smoke]
                                   [--threads N] [--json FILE] [--plots DIR]

e.g. ``python benchmarks/run_suite.py all --quick --json benchmarks/results/latest.json
--plots benchmarks/results`` (what benchmarks/README.md was made with).
"""

from __future__ import annotations

import os
import sys

try:
    import mscabm  # noqa: F401
except ImportError:  # running from a checkout without installing
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))

from mscabm.cli import main

if __name__ == "__main__":
    raise SystemExit(main(["bench", *sys.argv[1:]]))
