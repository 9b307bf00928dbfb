"""The mscabm benchmark suite (``mscabm bench``; also ``python benchmarks/run_suite.py``).

Modules
-------
harness       timing (warm-up excluded, repeats, median and spread) and the table printer
machine       the machine's own limit: a STREAM-like copy/triad in numba on the same threads, and
              machine information (cores, numba threads, caches, versions)
common        what the benchmarks share: the issue's reference figures, lattice spacing, default
              field set, progress line
diffusion     diffusion: per-scheme throughput, plain-numpy FTCS, the default fields at the model
              step (time and error vs analytic)
cell_kernels  contact (vs scipy cKDTree) and exchange on uniformly placed cells
whole_model   MSCModel.step at 10^3-10^6 cells: cell-steps/s, memory per cell, phase profile
mesa_compare  the reduced model in mscabm vs pure Mesa (benchmarks/mesa_reference.py)
report        the targets, the correctness checks and the printed tables
suite         the driver: modes, run_suite (STREAM first, then the chosen benchmarks)
plots         one PNG per kernel from a results dict
cli           the ``mscabm bench`` subcommand

Why a small harness of our own rather than pytest-benchmark or asv: every figure must be put
next to a limit measured *in the same run* (STREAM bandwidth, scipy cKDTree, the pure-Mesa
reference, a plain-numpy stencil), the suite is a user-facing command (not a test plug-in, not a
cross-commit history tool), and it must run on a bare install with no extra dependency.  The
harness is ~100 lines: warm up (JIT compile and cache load excluded), repeat, report the median
and the min/max spread.
"""

from mscabm.bench.harness import Timing, measure  # noqa: F401
