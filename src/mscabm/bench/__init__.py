"""The mscabm benchmark suite (``mscabm bench``; also ``python benchmarks/run_suite.py``).

Modules
-------
harness   timing (warm-up excluded, repeats, median and spread) and the table printer
machine   the machine's own limit: a STREAM-like copy/triad in numba on the same threads, and
          machine information (cores, numba threads, caches, versions)
suite     the benchmarks: diffusion, contact, exchange, model (with the pure-Mesa reference)
plots     one PNG per kernel from a results dict
cli       the ``mscabm bench`` subcommand

Why a small harness of our own rather than pytest-benchmark or asv: every figure must be put
next to a limit measured *in the same run* (STREAM bandwidth, scipy cKDTree, the pure-Mesa
reference, a plain-numpy stencil), the suite is a user-facing command (not a test plug-in, not a
cross-commit history tool), and it must run on a bare install with no extra dependency.  The
harness is ~100 lines: warm up (JIT compile and cache load excluded), repeat, report the median
and the min/max spread.
"""

from mscabm.bench.harness import Timing, measure  # noqa: F401
