"""Diffusion-decay of the fields on a :class:`~mscabm.engine.lattice.Lattice`.

Every species obeys ``du/dt = D * laplacian(u) - k * u + s`` (D in um^2/min, k in 1/min, s an
optional uniform zero-order supply in field units per min, default 0) on the lattice's voxels,
with per-species boundaries (zero flux by default, Dirichlet, periodic; per axis and side if
wanted).  :class:`DiffusionSolver` advances all species by the model step ``dt`` in place;
``solver.plan`` / ``solver.describe()`` say how each species is advanced.

Schemes (``lambda = D*dt/dx^2``, dimensionless).  All are monotone (non-negative fields stay
non-negative, for any D and dt) and conserve mass exactly in exact arithmetic under
zero-flux/periodic boundaries without decay; all numba kernels accumulate in float64 (a float32
field is rounded once per model step).

``kernel``    exact-in-time heat kernel along y, then x: no splitting and no time error for any
              D and dt; the default for every species with lambda >~ 0.5 (``heat_kernel``)
``spectral``  the kernel scheme's operator in its DCT-II eigenbasis, truncated at 1e-10 (zero-flux
              sides only); chosen by ``auto`` where it is cheaper: wide kernels on small
              lattices, e.g. small molecules in a co-culture well (``spectral``)
``explicit``  FTCS 5-point stencil with sub-steps of lambda <= 1/4 (``ftcs``)
``lod``       BioFVM-style locally-one-dimensional backward Euler (``lod``); never chosen by
              ``auto``: it leaves sharp peaks almost undamped at large lambda
``decay``     D = 0: only the decay factor (``none`` when k = 0 too)

Modules
-------
solver         DiffusionSolver: validation, per-species set-up, scratch buffers, ``step``
scheme_choice  SCHEMES, the candidates of ``scheme="auto"``, the cost model, choose_scheme
probe          probe_error: a-priori error of one model step by Fourier analysis
heat_kernel    the kernel scheme: taps, method of images, numba convolutions
spectral       the spectral scheme: DCT-II modes of the folded kernel, numba products
ftcs           the explicit scheme (numba)
lod            the lod scheme: Thomas factors, numba solves
steady_state   the steady state held by Dirichlet sides (kernel scheme)
boundaries     boundary kind codes, normalising and describing Boundary specs
plan           SpeciesPlan, one species' plan
field_ops      whole-field numba copy/scale, the decay-only operator

The measurements behind the choice (probe errors per scheme and lambda, time per model step)
are in docs/design.md ("Diffusion schemes"); ``benchmarks/bench_diffusion.py`` reproduces them.
3-D: the kernel and lod schemes are per-axis 1-D operators, so a 3-D lattice adds a z pass; the
explicit scheme would need a 7-point stencil.  Only 2-D is implemented.
"""

from mscabm.engine.diffusion.heat_kernel import heat_kernel_taps
from mscabm.engine.diffusion.plan import SpeciesPlan
from mscabm.engine.diffusion.probe import probe_error
from mscabm.engine.diffusion.scheme_choice import SCHEMES
from mscabm.engine.diffusion.solver import DiffusionSolver

__all__ = ["SCHEMES", "DiffusionSolver", "SpeciesPlan", "heat_kernel_taps", "probe_error"]
