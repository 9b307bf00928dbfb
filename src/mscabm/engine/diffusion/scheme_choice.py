"""How a species' scheme and sub-steps are chosen: candidates, their probe errors, a cost model.

For each candidate (scheme, sub-steps) the a-priori *probe error* of one model step is computed
(:func:`~mscabm.engine.diffusion.probe.probe_error`), and ``scheme="auto"`` takes the cheapest
candidate (cost model below) whose probe error is <= ``rel_tol`` (default 1e-3), else the most
accurate one.  The outcome: ``explicit`` (1-4 sub-steps) for lambda <~ 0.5 (``lambda =
D*dt/dx^2``, dimensionless), where a sub-step lambda near 1/8 happens to meet the tolerance (its
time and spatial errors partly cancel), and ``kernel`` everywhere else -- in particular for every
protein cytokine (D ~ 600 um^2/min: lambda = 6 at 10 um and 1 min) -- except where ``spectral``
(the same operator in its DCT eigenbasis, zero-flux sides only) is cheaper: a wide kernel on a
lattice not much wider than it, e.g. every small molecule (D ~ 3e4-1e5 um^2/min: lambda =
300-1000) on a co-culture well of 70 x 70 voxels (7 modes of 70 kept; 180 -> 20 us per step
measured) up to ~1000 voxels a side.  ``lod`` is never chosen.  A forced ``explicit``/``lod``
cannot beat the spatial error of the 5-point Laplacian, so it aims its sub-steps at
``max(rel_tol, 1.1 x the 5-point floor)`` (lod: the fewest sub-steps, searched up to
``max_substeps``; the solver warns when the target is not reached).

The cost model gives ns per voxel (per species) per model step on the 2-core development machine,
float32 fields, fitted to benchmarks/bench_diffusion.py at 1024^2; only ratios matter: they decide
between schemes whose costs differ by large factors.  The probe-error and timing tables behind
these choices are in docs/design.md ("Diffusion schemes").
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from mscabm.engine.diffusion.boundaries import ZERO_FLUX
from mscabm.engine.diffusion.heat_kernel import heat_kernel_taps, image_period
from mscabm.engine.diffusion.probe import probe_error
from mscabm.engine.diffusion.spectral import SPECTRAL_CUT, spectral_modes

__all__ = ["COST_EXPLICIT_SWEEP", "EXPLICIT_LAMBDAS", "SCHEMES", "SchemeChoice", "choose_scheme"]

SCHEMES = ("auto", "explicit", "lod", "kernel", "spectral")

#: explicit sub-step lambdas tried (largest first: cheapest); 1/4 is the 2-D stability limit
EXPLICIT_LAMBDAS = (0.25, 0.2, 1.0 / 6.0, 0.125)

# Cost model: ns per voxel (per species) per model step (see the module docstring).
COST_EXPLICIT_SWEEP = 0.22      # one FTCS sub-step (float64 ping-pong)
COST_EXPLICIT_COPY = 0.07       # the extra copy-back when there is a single sub-step
COST_LOD_SWEEP = 1.0            # one Thomas solve along one axis
COST_KERNEL_PASS = 0.3          # one convolution pass: per-voxel overhead
COST_KERNEL_TAP = 0.035         # + per tap and voxel (W taps per voxel and pass)
COST_SPECTRAL_PASS = 0.1        # spectral: per-voxel overhead of the four products
COST_SPECTRAL_FMA = 0.09        # + per multiply-add and voxel (2 Kx (1 + Ky / nx) of them)


def _explicit_cost(n: int) -> float:
    return COST_EXPLICIT_SWEEP * n + (COST_EXPLICIT_COPY if n == 1 else 0.0)


def _lod_cost(m: int, ndim: int = 2) -> float:
    return COST_LOD_SWEEP * ndim * m


def _kernel_cost(n_taps: Sequence[int]) -> float:
    return sum(COST_KERNEL_PASS + COST_KERNEL_TAP * W for W in n_taps)


def _spectral_cost(modes_y: int, modes_x: int, nx: int) -> float:
    return COST_SPECTRAL_PASS + COST_SPECTRAL_FMA * 2.0 * modes_x * (1.0 + modes_y / nx)


class SchemeChoice(NamedTuple):
    """The scheme chosen for one species."""

    scheme: str          # "explicit" | "lod" | "kernel" | "spectral"
    substeps: int
    est_error: float     # probe error of one model step, relative to the peak
    est_cost_ns: float   # cost model: ns per voxel per model step
    target: float        # the error it aimed at (rel_tol, or the 5-point floor of a forced scheme)


def choose_scheme(name: str, lam: float, shape: tuple[int, int], kinds: np.ndarray, scheme: str,
                  nsub_forced: int | None, rel_tol: float, max_substeps: int) -> SchemeChoice:
    """Choose scheme and sub-steps for one species with ``lam = D*dt/dx^2 > 0`` per model step.

    ``shape`` ``(ny, nx)``, ``kinds`` ``(2, 2)`` boundary codes (they cap the kernel's taps);
    ``scheme`` one of :data:`SCHEMES`; ``nsub_forced`` the forced sub-steps (None: by
    ``rel_tol``); ``max_substeps`` caps the lod search.  ``name`` is only for error messages.
    Raises ValueError for a forced explicit sub-step count above the stability limit, or
    sub-steps given to the kernel scheme.
    """
    ny, nx = shape
    cands = []  # (cost, error, scheme, substeps)
    tol = rel_tol
    if scheme in ("explicit", "lod"):
        # a forced 5-point scheme cannot beat the spatial error of the 5-point Laplacian:
        # aim its sub-steps at rel_tol or just above that floor, whichever is larger
        tol = max(tol, 1.1 * probe_error("semidiscrete", lam))

    def kernel_cand():
        w = heat_kernel_taps(lam)
        ntaps = tuple(min(len(w), image_period(n, int(kinds[ax, 0]), int(kinds[ax, 1])) + 1)
                      for ax, n in enumerate((ny, nx)))
        err = probe_error("kernel", lam, taps=w)
        return (_kernel_cost(ntaps), err, "kernel", 1)

    all_zero_flux = bool((np.asarray(kinds) == ZERO_FLUX).all())

    def spectral_cand():
        kc = kernel_cand()  # the same operator, in its eigenbasis, truncated at SPECTRAL_CUT
        cost = _spectral_cost(spectral_modes(lam, ny), spectral_modes(lam, nx), nx)
        return (cost, kc[1] + SPECTRAL_CUT, "spectral", 1)

    def explicit_cands(limit_cost):
        if nsub_forced is not None:
            n = int(nsub_forced)
            if lam / n > 0.25 + 1e-12:
                raise ValueError(f"{name}: explicit with {n} sub-steps has lambda={lam / n:.3g} > 0.25 (unstable)")
            return [(_explicit_cost(n), probe_error("explicit", lam, n), "explicit", n)]
        out = []
        for ls in EXPLICIT_LAMBDAS:
            n = max(1, math.ceil(lam / ls - 1e-12))
            cost = _explicit_cost(n)
            if any(c[3] == n for c in out) or cost > limit_cost:
                continue
            out.append((cost, probe_error("explicit", lam, n), "explicit", n))
            if out[-1][1] <= tol:
                break
        return out

    def lod_cands(limit_cost):
        if nsub_forced is not None:
            n = int(nsub_forced)
            return [(_lod_cost(n), probe_error("lod", lam, n), "lod", n)]
        out = []
        m = 1
        while m <= max_substeps:
            cost = _lod_cost(m)
            if cost > limit_cost:
                break
            out.append((cost, probe_error("lod", lam, m), "lod", m))
            if out[-1][1] <= tol:
                # refine downwards between m/2 and m (errors fall monotonically with m)
                lo, hi = m // 2, m
                while hi - lo > 1:
                    mid = (lo + hi) // 2
                    e = probe_error("lod", lam, mid)
                    if e <= tol:
                        hi = mid
                        out.append((_lod_cost(mid), e, "lod", mid))
                    else:
                        lo = mid
                break
            m *= 2
        return out

    if scheme == "auto":
        kc = kernel_cand()
        cands.append(kc)
        if all_zero_flux:
            cands.append(spectral_cand())
        limit = kc[0] if kc[1] <= tol else math.inf
        cands += explicit_cands(limit)
        feas = [c for c in cands if c[1] <= tol]
        limit = min(c[0] for c in feas) if feas else math.inf
        cands += lod_cands(min(limit, _lod_cost(max_substeps)))
    elif scheme == "kernel":
        if nsub_forced not in (None, 1):
            raise ValueError(f"{name}: the kernel scheme is exact in time and takes no sub-steps")
        cands.append(kernel_cand())
    elif scheme == "spectral":
        if nsub_forced not in (None, 1):
            raise ValueError(f"{name}: the spectral scheme is exact in time and takes no sub-steps")
        if not all_zero_flux:
            raise ValueError(f"{name}: the spectral scheme needs zero-flux sides on both axes "
                             "(use 'kernel' for Dirichlet or periodic sides)")
        cands.append(spectral_cand())
    elif scheme == "explicit":
        cands += explicit_cands(math.inf)
    else:
        cands += lod_cands(math.inf)
        if not cands:
            cands.append((_lod_cost(1), probe_error("lod", lam, 1), "lod", 1))
    feas = [c for c in cands if c[1] <= tol]
    if feas:
        cost, err, sch, n = min(feas, key=lambda c: (c[0], c[1]))
    else:
        cost, err, sch, n = min(cands, key=lambda c: (c[1], c[0]))
    return SchemeChoice(sch, n, err, cost, tol)
