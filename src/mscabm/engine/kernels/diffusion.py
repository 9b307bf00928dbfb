"""Diffusion-decay of the fields on a :class:`~mscabm.engine.lattice.Lattice`.

Every species obeys ``du/dt = D * laplacian(u) - k * u + s`` (D in um^2/min, k in 1/min, s an
optional uniform zero-order supply in field units per min, default 0) on the lattice's voxels,
with per-species boundaries (zero flux by default, Dirichlet, periodic; per axis and side if
wanted).  :class:`DiffusionSolver` advances all species by the model step
``dt`` in place; ``solver.plan`` / ``solver.describe()`` say how each species is advanced.

Schemes.  All are monotone (non-negative fields stay non-negative, for any D and dt) and
conserve mass exactly in exact arithmetic under zero-flux/periodic boundaries without decay;
all numba kernels accumulate in float64 (a float32 field is rounded once per model step).
-------------------------------------------------------------------------------------------
``kernel``    exact-in-time heat kernel: one pass along y and one along x convolve with the
              1-D heat kernel of variance ``2*lambda`` (voxel^2, ``lambda = D*dt/dx^2``): a
              sampled Gaussian whose width is tuned so that its discrete variance is exactly
              ``2*lambda`` (this matters only for lambda <~ 0.3, where a plainly sampled
              Gaussian diffuses too slowly), cut where it falls below 1e-9 of its peak (about
              +-6.4 sigma), renormalised to sum 1.  Boundaries by the method of images: the
              axis is extended by mirror images (zero flux: mass is conserved exactly), odd
              images about the ghost node (Dirichlet: only the deviation from the steady
              state diffuses, see below) or wrap-around (periodic); taps wider than one period
              of the image pattern are wrapped onto it, so the cost per voxel is at most
              ~2n+1 (4n+2 for Dirichlet/zero-flux axes).  All taps are >= 0.  The 2-D heat
              kernel is the product of two 1-D ones, so the x/y split has no splitting error,
              and there is no time error: one model step is two passes for any D and dt.  It
              is also the most accurate in space: a sampled Gaussian of sigma >= ~0.7 voxel
              spreads like the continuum, while the 5-point Laplacian errs by ~1 % for a
              sigma = 2 voxel peak.
``explicit``  FTCS 5-point stencil with ``n`` sub-steps of ``lambda_sub = lambda/n <= 1/4``
              (the 2-D stability and positivity limit), fused in one numba call per species,
              ping-ponging in float64 scratch.
``lod``       BioFVM-style locally-one-dimensional backward Euler: Thomas solves along y (inner
              loop over x: vectorised) and along x (8 rows interleaved), the order alternating
              y-x, x-y from one sub-step to the next; LU factors precomputed per (species,
              axis); periodic axes use the cyclic (Sherman-Morrison) variant; Dirichlet enters
              through the ghost value on the right-hand side; zero-flux end rows
              ``1+lambda, -lambda``.  ``m`` sub-steps (see below).  For uniform D the x and y
              operators commute, except for the Dirichlet sources: where two Dirichlet sides
              of different values meet, the corner has a splitting error (2 % of the values at
              lambda_sub = 0.75, 0.4 % at 0.19).
``decay``     D = 0: only the decay factor (``none`` when k = 0 too).

Decay is applied exactly, as the factor ``exp(-k*dt)`` (kernel: folded into the x pass).  It
commutes with diffusion except next to Dirichlet boundaries; there ``explicit``/``lod`` use a
symmetric (Strang) splitting per sub-step (the same as a ghost value ``v*exp(k*dt_sub/2)``).
A uniform supply ``s`` (zero-flux or periodic species only) is added after the step as the exact
increment ``s*(1 - exp(-k*dt))/k`` (``s*dt`` when k = 0): the Laplacian of a uniform field is zero
under those boundaries, so the split is exact (the mean obeys ``dm/dt = -k m + s`` to rounding).
``kernel`` handles Dirichlet sides exactly: ``u_new = q + exp(-k*dt) Kx Ky (u - q)`` with ``q``
the steady state, ``Kx Ky`` the homogeneous kernels (odd images), so its fixed point is ``q``
for any dt.  ``q`` is the analytic continuum profile (``cosh``/``sinh``, ``L = sqrt(D/k)``)
when one axis has Dirichlet sides, and the steady state of the 5-point system when both have
(each axis diagonalised once at set-up, O(n^3): set-up ~1 s at 1000^2, ~2.5 s at 2048^2 for
two such species; a constant when k = 0 and all Dirichlet values agree).  (Splitting the
decay over the axes instead put the steady state 2 % off at dt = 1 min, D = 600, k = 0.06.)

How ``scheme="auto"`` chooses, per species -- and the measurements behind it
---------------------------------------------------------------------------
For each candidate (scheme, sub-steps) a *probe error* is computed a priori by Fourier analysis
of the scheme (:func:`probe_error`; milliseconds, no lattice): the max-norm error, relative to
the analytic peak, of ONE model step from a 2-D Gaussian of sigma0 = 2 voxels, against the
continuum solution (a Gaussian of variance ``sigma0^2 + 2*D*dt``; the 2-D amplitude falls by
``sigma0^2/sigma^2``).  This counts spatial and time error together.  ``auto`` takes the cheapest
candidate (cost model below) whose probe error is <= ``rel_tol`` (default 1e-3), else the most
accurate one.  The outcome: ``explicit`` (1-4 sub-steps) for lambda <~ 0.5 where a sub-step
lambda near 1/8 happens to meet the tolerance (its time and spatial errors partly cancel), and
``kernel`` everywhere else -- in particular for every protein cytokine (D ~ 600 um^2/min:
lambda = 6 at 10 um and 1 min) and small molecule (D ~ 3e4-6e4: lambda = 300-600).  ``lod`` is
never chosen.  Probe errors (``lambda_sub`` = 1/4 and 1/8 columns: sub-steps in brackets;
lambda >= 600 explicit values are upper bounds)::

    lambda  kernel   5-point exact  explicit 1/4     explicit 1/8     lod m=1  m=8     m=64
    0.06    1.2e-3   1.7e-3         9.5e-4 (1)       9.5e-4 (1)       2.2e-3   1.8e-3  1.7e-3
    0.25    1.8e-4   6.1e-3         7.2e-3 (1)       6.2e-4 (2)       1.3e-2   7.0e-3  6.2e-3
    0.6     4.8e-8   1.1e-2         7.1e-3 (3)       1.2e-3 (5)       4.1e-2   1.6e-2  1.2e-2
    6       3e-10    1.2e-2         1.2e-2 (24)      1.1e-3 (48)      4.2e-1   6.6e-2  1.9e-2
    60      3e-9     2.0e-3         1.9e-3 (240)     1.8e-4 (480)     1.2e+0   9.7e-2  1.3e-2
    600     4e-9     2.1e-4         6.1e-4 (2400)    5.5e-5 (4800)    1.8e+0   1.0e-1  1.2e-2

("5-point exact": the semi-discrete 5-point system solved exactly in time, the floor of
explicit and lod.)  Backward Euler leaves a sharp peak almost undamped at large lambda (180 %
of the analytic peak at lambda = 600) and converges like 1/m in its sub-steps.  A forced
``explicit``/``lod`` aims at ``max(rel_tol, 1.1 x the 5-point floor)`` (lod: the fewest
sub-steps, searched up to ``max_substeps``; a RuntimeWarning says when it is not reached).

Measured time per model step, ms, 1024^2 float32, one species (2-core AMD EPYC VM, numba 0.68,
benchmarks/bench_diffusion.py; repeated runs vary by up to ~2x on this shared VM; the numba
FTCS is 4-20x faster than a plain numpy FTCS)::

    D um2/min (lambda)  kernel (taps)   explicit (sub-steps)   lod m=1
    6      (0.06)        1.1 (7)          0.29 (1)              2.0
    60     (0.6)         1.6 (17)         0.66 (3)              2.0
    600    (6)           3.7 (47)         5.2  (24)             2.2
    6000   (60)         10.6 (143)       53    (240)            2.0
    60000  (600)        31   (449)      534    (2400)           2.0   (m=64 for 1.2e-2: ~130)

so ``kernel`` (error < 1e-8) is already faster than ``explicit`` at its cheapest (error 1e-2)
for cytokines (lambda = 6; ~3x faster than explicit at 1e-3) and ~20x faster for small
molecules, while lod needs hundreds of sub-steps to reach 1e-2.  For lambda <~ 0.5 one to four
FTCS sub-steps are cheapest.  The cost model constants below are fitted to these numbers
(only their ratios matter).

3-D: the kernel and lod schemes are per-axis 1-D operators, so a 3-D lattice adds a z pass;
the explicit scheme would need a 7-point stencil.  Only 2-D is implemented.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numba import njit, prange

from ..lattice import Boundary, Lattice

__all__ = ["SCHEMES", "DiffusionSolver", "SpeciesPlan", "heat_kernel_taps", "probe_error"]

SCHEMES = ("auto", "explicit", "lod", "kernel")

ZERO_FLUX, DIRICHLET, PERIODIC = 0, 1, 2
_KIND_CODE = {"zero_flux": ZERO_FLUX, "dirichlet": DIRICHLET, "periodic": PERIODIC}
_KIND_NAME = {v: k for k, v in _KIND_CODE.items()}

#: explicit sub-step lambdas tried (largest first: cheapest); 1/4 is the 2-D stability limit
EXPLICIT_LAMBDAS = (0.25, 0.2, 1.0 / 6.0, 0.125)
#: kernel taps are cut where the Gaussian falls below this fraction of its peak
KERNEL_CUT = 1e-9
#: sigma of the probe Gaussian, voxels
PROBE_SIGMA0 = 2.0

# Cost model: ns per voxel (per species) per model step on the 2-core development machine,
# float32 fields, fitted to benchmarks/bench_diffusion.py at 1024^2 (see the module docstring).
# Only ratios matter: they decide between schemes whose costs differ by large factors.
COST_EXPLICIT_SWEEP = 0.22      # one FTCS sub-step (float64 ping-pong)
COST_EXPLICIT_COPY = 0.07       # the extra copy-back when there is a single sub-step
COST_LOD_SWEEP = 1.0            # one Thomas solve along one axis
COST_KERNEL_PASS = 0.3          # one convolution pass: per-voxel overhead
COST_KERNEL_TAP = 0.035         # + per tap and voxel (W taps per voxel and pass)


def _explicit_cost(n: int) -> float:
    return COST_EXPLICIT_SWEEP * n + (COST_EXPLICIT_COPY if n == 1 else 0.0)


def _lod_cost(m: int, ndim: int = 2) -> float:
    return COST_LOD_SWEEP * ndim * m


def _kernel_cost(n_taps: Sequence[int]) -> float:
    return sum(COST_KERNEL_PASS + COST_KERNEL_TAP * W for W in n_taps)


# =============================================================================== numba kernels
def _chunks(n: int, target: int) -> int:
    return max(1, min(n, target))


@njit(cache=True, parallel=True)
def _copy_into(src, dst):
    ny = src.shape[0]
    for i in prange(ny):
        for j in range(src.shape[1]):
            dst[i, j] = src[i, j]


@njit(cache=True, parallel=True)
def _scale_inplace(u, a):
    for i in prange(u.shape[0]):
        for j in range(u.shape[1]):
            u[i, j] = u[i, j] * a


@njit(cache=True, parallel=True)
def _ftcs_sweep(src, dst, lam_y, lam_x, a, kinds, g):
    """One FTCS sub-step src -> dst (dst must not alias src), times the decay factor ``a``.

    ``kinds[axis, side]`` (axis 0 = y, 1 = x; side 0 = low, 1 = high); ``g`` = Dirichlet ghost
    values (y_lo, y_hi, x_lo, x_hi), already scaled for the Strang decay splitting.
    """
    ny, nx = src.shape
    c0 = 1.0 - 2.0 * (lam_y + lam_x)
    for i in prange(ny):
        # neighbour rows: index, weight and ghost value (weight 0 + ghost for Dirichlet)
        iu = i - 1
        wu = 1.0
        gu = 0.0
        if i == 0:
            k = kinds[0, 0]
            if k == PERIODIC:
                iu = ny - 1
            elif k == DIRICHLET:
                iu = 0
                wu = 0.0
                gu = g[0]
            else:
                iu = 0
        idn = i + 1
        wd = 1.0
        gd = 0.0
        if i == ny - 1:
            k = kinds[0, 1]
            if k == PERIODIC:
                idn = 0
            elif k == DIRICHLET:
                idn = ny - 1
                wd = 0.0
                gd = g[1]
            else:
                idn = ny - 1
        gsum = lam_y * (gu + gd)
        s = src[i]
        su = src[iu]
        sd = src[idn]
        d = dst[i]
        for j in range(1, nx - 1):
            d[j] = a * (c0 * s[j] + lam_x * (s[j - 1] + s[j + 1]) + lam_y * (wu * su[j] + wd * sd[j]) + gsum)
        # x ends
        k = kinds[1, 0]
        if k == PERIODIC:
            left = 1.0 * s[nx - 1]
        elif k == DIRICHLET:
            left = g[2]
        else:
            left = 1.0 * s[0]
        k = kinds[1, 1]
        if k == PERIODIC:
            right = 1.0 * s[0]
        elif k == DIRICHLET:
            right = g[3]
        else:
            right = 1.0 * s[nx - 1]
        if nx == 1:
            d[0] = a * (c0 * s[0] + lam_x * (left + right) + lam_y * (wu * su[0] + wd * sd[0]) + gsum)
        else:
            d[0] = a * (c0 * s[0] + lam_x * (left + s[1]) + lam_y * (wu * su[0] + wd * sd[0]) + gsum)
            j = nx - 1
            d[j] = a * (c0 * s[j] + lam_x * (s[j - 1] + right) + lam_y * (wu * su[j] + wd * sd[j]) + gsum)


@njit(cache=True)
def _explicit_run(u, buf_a, buf_b, nsub, lam_y, lam_x, a, kinds, g):
    """``nsub`` FTCS sub-steps on field ``u`` (2-D, any float dtype) via float64 buffers."""
    if nsub == 1:
        _ftcs_sweep(u, buf_a, lam_y, lam_x, a, kinds, g)
        _copy_into(buf_a, u)
        return
    _ftcs_sweep(u, buf_a, lam_y, lam_x, a, kinds, g)
    src = buf_a
    dst = buf_b
    for _ in range(nsub - 2):
        _ftcs_sweep(src, dst, lam_y, lam_x, a, kinds, g)
        src, dst = dst, src
    _ftcs_sweep(src, u, lam_y, lam_x, a, kinds, g)


@njit(cache=True, parallel=True)
def _lod_y(src, dst, aux, ncol_chunks, lam, cp, invd, g0, g1, periodic, z, fac, r, a):
    """Backward-Euler solve along y (axis 0) for all columns, times the decay factor ``a``;
    dst (float64) may alias src.

    Thomas with precomputed factors ``cp`` (c'), ``invd`` (1/denominator); ``g0``/``g1`` are
    the Dirichlet right-hand-side terms (lambda * ghost) of the first/last row.  Periodic
    axes add the Sherman-Morrison correction with ``z``, ``fac``, ``r``.
    """
    ny, nx = src.shape
    for c in prange(ncol_chunks):
        j0 = c * nx // ncol_chunks
        j1 = (c + 1) * nx // ncol_chunks
        d0 = dst[0]
        s0 = src[0]
        gfirst = g0 + g1 if ny == 1 else g0
        for j in range(j0, j1):
            d0[j] = (s0[j] + gfirst) * invd[0]
        for i in range(1, ny):
            di = dst[i]
            dp = dst[i - 1]
            si = src[i]
            gi = g1 if i == ny - 1 else 0.0
            ivd = invd[i]
            for j in range(j0, j1):
                di[j] = (si[j] + gi + lam * dp[j]) * ivd
        for i in range(ny - 2, -1, -1):
            di = dst[i]
            dn = dst[i + 1]
            cpi = cp[i]
            for j in range(j0, j1):
                di[j] = di[j] - cpi * dn[j]
        if periodic:
            dl = dst[ny - 1]
            for j in range(j0, j1):
                aux[j] = (d0[j] + r * dl[j]) * fac
            for i in range(ny):
                di = dst[i]
                zi = z[i]
                for j in range(j0, j1):
                    v = di[j] - aux[j] * zi
                    di[j] = v if v > 0.0 else 0.0
        if a != 1.0:
            for i in range(ny):
                di = dst[i]
                for j in range(j0, j1):
                    di[j] *= a


@njit(cache=True, parallel=True)
def _lod_x(src, dst, blk, nrow_chunks, lam, cp, invd, g0, g1, periodic, z, fac, r, a):
    """Backward-Euler solve along x (axis 1) for every row, times the decay factor ``a``.

    ``src`` is float64; ``dst`` (any float dtype) may alias it.  Rows are solved ``B`` at a
    time in a transposed float64 block ``blk[c]`` of shape (nx + 1, B), so the Thomas
    recurrences of B independent rows interleave (the recurrence along one row is serial).
    """
    ny, nx = src.shape
    B = blk.shape[2]
    for c in prange(nrow_chunks):
        L = blk[c]
        r0 = c * ny // nrow_chunks
        r1 = (c + 1) * ny // nrow_chunks
        for g in range(r0, r1, B):
            nb = min(B, r1 - g)
            iv = invd[0]
            gg = g0 + g1 if nx == 1 else g0
            for b in range(nb):
                L[0, b] = (src[g + b, 0] + gg) * iv
            for j in range(1, nx):
                iv = invd[j]
                gg = g1 if j == nx - 1 else 0.0
                Lj = L[j]
                Lp = L[j - 1]
                for b in range(nb):
                    Lj[b] = (src[g + b, j] + gg + lam * Lp[b]) * iv
            for j in range(nx - 2, -1, -1):
                cj = cp[j]
                Lj = L[j]
                Ln = L[j + 1]
                for b in range(nb):
                    Lj[b] = Lj[b] - cj * Ln[b]
            if periodic:
                T = L[nx]
                for b in range(nb):
                    T[b] = (L[0, b] + r * L[nx - 1, b]) * fac
                for j in range(nx):
                    zj = z[j]
                    Lj = L[j]
                    for b in range(nb):
                        v = Lj[b] - T[b] * zj
                        Lj[b] = v if v > 0.0 else 0.0
            for b in range(nb):
                d = dst[g + b]
                for j in range(nx):
                    d[j] = a * L[j, b]


@njit(cache=True)
def _lod_run(u, w, aux, lines, ncol_chunks, nrow_chunks, m, a,
             lam_y, cp_y, invd_y, gy0, gy1, per_y, z_y, fac_y, r_y,
             lam_x, cp_x, invd_x, gx0, gx1, per_x, z_x, fac_x, r_x):
    """``m`` LOD sub-steps on field ``u``, each a y solve and an x solve (alternating the order
    from one sub-step to the next: y-x, x-y, ..., a symmetric composition that halves the
    splitting error at corners between Dirichlet sides) times the decay factor ``a``."""
    for s in range(m):
        last = s == m - 1
        if s % 2 == 0:
            if s == 0:
                _lod_y(u, w, aux, ncol_chunks, lam_y, cp_y, invd_y, gy0, gy1, per_y, z_y, fac_y, r_y, 1.0)
            else:
                _lod_y(w, w, aux, ncol_chunks, lam_y, cp_y, invd_y, gy0, gy1, per_y, z_y, fac_y, r_y, 1.0)
            if last:
                _lod_x(w, u, lines, nrow_chunks, lam_x, cp_x, invd_x, gx0, gx1, per_x, z_x, fac_x, r_x, a)
            else:
                _lod_x(w, w, lines, nrow_chunks, lam_x, cp_x, invd_x, gx0, gx1, per_x, z_x, fac_x, r_x, a)
        else:
            _lod_x(w, w, lines, nrow_chunks, lam_x, cp_x, invd_x, gx0, gx1, per_x, z_x, fac_x, r_x, 1.0)
            _lod_y(w, w, aux, ncol_chunks, lam_y, cp_y, invd_y, gy0, gy1, per_y, z_y, fac_y, r_y, a)
            if last:
                _copy_into(w, u)


@njit(cache=True, parallel=True)
def _kernel_y(src, dst, nrow_chunks, half, idx, sgn, signed):
    """Heat-kernel convolution along y (axis 0): src (any float dtype) -> dst (float64).

    ``dst[i] = sum_m half[|m|] * sgn[i+h+m] * src[idx[i+h+m]]`` for m = -h..h: the
    axis extended by ``h`` image rows on each side (``idx``/``sgn``: source row and sign of
    each extended row; sign -1 for odd Dirichlet images, 0 on a Dirichlet ghost node).  Rows
    are split into chunks, one per task (consecutive output rows share 2h of their source rows).
    Every output voxel is summed in a fixed order, whatever the thread count.  (Column strips
    for cache blocking were measured: no gain on a 2-core EPYC, up to 2x slower when narrow.)
    """
    ny, nx = src.shape
    h = half.shape[0] - 1
    for ch in prange(nrow_chunks):
        r0 = ch * ny // nrow_chunks
        r1 = (ch + 1) * ny // nrow_chunks
        for i in range(r0, r1):
            d = dst[i]
            p = i + h
            s0 = src[idx[p]]
            w0 = half[0] * sgn[p]
            for j in range(nx):
                d[j] = w0 * s0[j]
            m = 1
            if not signed:
                while m + 3 <= h:  # four tap pairs per pass over the row
                    a1 = src[idx[p - m]]
                    b1 = src[idx[p + m]]
                    a2 = src[idx[p - m - 1]]
                    b2 = src[idx[p + m + 1]]
                    a3 = src[idx[p - m - 2]]
                    b3 = src[idx[p + m + 2]]
                    a4 = src[idx[p - m - 3]]
                    b4 = src[idx[p + m + 3]]
                    t1 = half[m]
                    t2 = half[m + 1]
                    t3 = half[m + 2]
                    t4 = half[m + 3]
                    for j in range(nx):
                        d[j] += (t1 * (a1[j] + b1[j]) + t2 * (a2[j] + b2[j])) + (
                            t3 * (a3[j] + b3[j]) + t4 * (a4[j] + b4[j]))
                    m += 4
                while m <= h:
                    a1 = src[idx[p - m]]
                    b1 = src[idx[p + m]]
                    t1 = half[m]
                    for j in range(nx):
                        d[j] += t1 * (a1[j] + b1[j])
                    m += 1
            else:
                while m + 1 <= h:
                    a1 = src[idx[p - m]]
                    b1 = src[idx[p + m]]
                    a2 = src[idx[p - m - 1]]
                    b2 = src[idx[p + m + 1]]
                    ta1 = half[m] * sgn[p - m]
                    tb1 = half[m] * sgn[p + m]
                    ta2 = half[m + 1] * sgn[p - m - 1]
                    tb2 = half[m + 1] * sgn[p + m + 1]
                    for j in range(nx):
                        d[j] += (ta1 * a1[j] + tb1 * b1[j]) + (ta2 * a2[j] + tb2 * b2[j])
                    m += 2
                while m <= h:
                    a1 = src[idx[p - m]]
                    b1 = src[idx[p + m]]
                    ta1 = half[m] * sgn[p - m]
                    tb1 = half[m] * sgn[p + m]
                    for j in range(nx):
                        d[j] += ta1 * a1[j] + tb1 * b1[j]
                    m += 1
                for j in range(nx):  # exact result >= 0; remove rounding-level negatives
                    if d[j] < 0.0:
                        d[j] = 0.0


@njit(cache=True, parallel=True)
def _kernel_x(src, dst, lines, nrow_chunks, half, idx, sgn, signed, c):
    """Heat-kernel convolution along x (axis 1) plus the affine term: src (float64) -> dst
    (any float dtype).

    Each row is first gathered into a float64 line extended by ``h`` image values on each side
    (``line[p] = sgn[p] * row[idx[p]]``), then convolved with the symmetric taps using
    contiguous slices (vectorised), and ``c[i]`` (or ``c[0]`` when ``c`` has one row) is
    added.  ``dst`` may alias ``src``.
    """
    ny, nx = src.shape
    h = half.shape[0] - 1
    n_ext = nx + 2 * h
    for ch in prange(nrow_chunks):
        ext = lines[ch, 0]
        o = lines[ch, 1]
        for i in range(ch * ny // nrow_chunks, (ch + 1) * ny // nrow_chunks):
            s = src[i]
            ci = c[i] if c.shape[0] > 1 else c[0]
            for p in range(n_ext):
                ext[p] = sgn[p] * s[idx[p]]
            oo = o[:nx]
            lc = ext[h:h + nx]
            c0 = half[0]
            for j in range(nx):
                oo[j] = ci[j] + c0 * lc[j]
            m = 1
            while m + 3 <= h:  # four tap pairs per pass; slices let LLVM vectorise
                t1 = half[m]
                t2 = half[m + 1]
                t3 = half[m + 2]
                t4 = half[m + 3]
                a1 = ext[h - m:h - m + nx]
                b1 = ext[h + m:h + m + nx]
                a2 = ext[h - m - 1:h - m - 1 + nx]
                b2 = ext[h + m + 1:h + m + 1 + nx]
                a3 = ext[h - m - 2:h - m - 2 + nx]
                b3 = ext[h + m + 2:h + m + 2 + nx]
                a4 = ext[h - m - 3:h - m - 3 + nx]
                b4 = ext[h + m + 3:h + m + 3 + nx]
                for j in range(nx):
                    oo[j] += (t1 * (a1[j] + b1[j]) + t2 * (a2[j] + b2[j])) + (
                        t3 * (a3[j] + b3[j]) + t4 * (a4[j] + b4[j]))
                m += 4
            while m <= h:
                t1 = half[m]
                a1 = ext[h - m:h - m + nx]
                b1 = ext[h + m:h + m + nx]
                for j in range(nx):
                    oo[j] += t1 * (a1[j] + b1[j])
                m += 1
            d = dst[i]
            if signed:
                for j in range(nx):
                    v = oo[j]
                    d[j] = v if v > 0.0 else 0.0
            else:
                for j in range(nx):
                    d[j] = oo[j]


@njit(cache=True)
def _kernel_run(u, w, lines, nrow_chunks, half_y, idx_y, sgn_y, signed_y,
                half_x, idx_x, sgn_x, signed_x, c):
    _kernel_y(u, w, nrow_chunks, half_y, idx_y, sgn_y, signed_y)
    _kernel_x(w, u, lines, nrow_chunks, half_x, idx_x, sgn_x, signed_x, c)


# ============================================================================ set-up (numpy)
def _sampled_gauss(var: float, h: int) -> np.ndarray:
    m = np.arange(-h, h + 1, dtype=np.float64)
    w = np.exp(-(m * m) / (2.0 * var))
    return w / w.sum()


def heat_kernel_taps(lam: float, cut: float = KERNEL_CUT) -> np.ndarray:
    """1-D heat-kernel taps for ``lam = D*dt/dx^2``: non-negative, sum 1, variance ``2*lam``.

    A sampled Gaussian exp(-m^2 / (2 s^2)), with s^2 chosen so that the discrete variance is
    exactly 2*lam (for lam >~ 0.3 this is s^2 = 2*lam to double precision), cut where it falls
    below ``cut`` of its peak.  Returned centred: index ``h`` is offset 0.
    """
    if lam <= 0.0:
        return np.ones(1)
    target = 2.0 * lam

    def width(s2: float) -> int:
        return max(1, int(math.ceil(math.sqrt(2.0 * s2 * math.log(1.0 / cut)))))

    def var(s2: float) -> float:
        h = width(s2)
        w = _sampled_gauss(s2, h)
        m = np.arange(-h, h + 1, dtype=np.float64)
        return float((w * m * m).sum())

    s2 = target
    if target < 4.0:  # aliasing: var(s2) differs from s2 noticeably only below this
        lo, hi = 1e-3 * target, target + 1.0
        # var(s2) is increasing; bisection in log space (robust, ~60 evaluations of tiny arrays)
        for _ in range(100):
            mid = math.sqrt(lo * hi)
            if var(mid) < target:
                lo = mid
            else:
                hi = mid
            if hi / lo - 1.0 < 1e-13:
                break
        s2 = 0.5 * (lo + hi)
    else:  # only the truncated tails (< 1e-8 relative) to make up for
        for _ in range(4):
            s2 *= target / var(s2)
    return _sampled_gauss(s2, width(s2))


def _steady_profile(n: int, ell: float, klo: int, khi: int, vlo: float, vhi: float) -> np.ndarray | None:
    """Continuum steady state of D q'' = k q on voxel centres x = 0..n-1 (voxel units).

    ``ell = sqrt(D/k)/dx`` (inf for k = 0).  Zero-flux faces at x = -1/2 and n - 1/2; Dirichlet
    ghost nodes at x = -1 and x = n.  None when the axis has no Dirichlet side.
    """
    if klo != DIRICHLET and khi != DIRICHLET:
        return None
    x = np.arange(n, dtype=np.float64)
    if klo == DIRICHLET and khi == DIRICHLET:
        if not np.isfinite(ell):
            return vlo + (vhi - vlo) * (x + 1.0) / (n + 1.0)
        b = (n + 1.0) / ell
        return vlo * _sinh_ratio((n - x) / ell, b) + vhi * _sinh_ratio((x + 1.0) / ell, b)
    if klo == DIRICHLET:  # zero flux at the high face
        if not np.isfinite(ell):
            return np.full(n, vlo)
        return vlo * _cosh_ratio((n - 0.5 - x) / ell, (n + 0.5) / ell)
    if not np.isfinite(ell):
        return np.full(n, vhi)
    return vhi * _cosh_ratio((x + 0.5) / ell, (n + 0.5) / ell)


def _sinh_ratio(a: np.ndarray, b: float) -> np.ndarray:
    """sinh(a)/sinh(b) for 0 <= a <= b, without overflow."""
    return np.exp(a - b) * (-np.expm1(-2.0 * a)) / (-math.expm1(-2.0 * b))


def _cosh_ratio(a: np.ndarray, b: float) -> np.ndarray:
    """cosh(a)/cosh(b) for 0 <= a <= b, without overflow."""
    return np.exp(a - b) * (1.0 + np.exp(-2.0 * a)) / (1.0 + math.exp(-2.0 * b))


@dataclass
class _AxisKernel:
    half: np.ndarray    # (h+1,) symmetric taps times the decay factor of this axis
    idx: np.ndarray     # (n+2h,) int64: source voxel of each position of the extended axis
    sgn: np.ndarray     # (n+2h,) float64: +1, -1 (odd Dirichlet image) or 0 (Dirichlet node)
    signed: bool        # a Dirichlet side (odd images): clamp rounding-level negatives

    @property
    def width(self) -> int:
        """Taps per voxel."""
        return 2 * (len(self.half) - 1) + 1


def _fold_index(p: int, n: int, klo: int, khi: int) -> tuple[int, float]:
    """Source voxel and sign of position ``p`` (any integer) of the infinitely extended axis.

    Zero flux: mirror about the face (p -> -1-p, 2n-1-p); Dirichlet: odd mirror about the
    ghost node (p -> -2-p, 2n-p; the node itself is 0); periodic: wrap.
    """
    sign = 1.0
    while p < 0 or p >= n:
        if p < 0:
            if klo == PERIODIC:
                p += n * ((-p + n - 1) // n)
            elif klo == ZERO_FLUX:
                p = -1 - p
            elif p == -1:
                return 0, 0.0
            else:
                p, sign = -2 - p, -sign
        else:
            if khi == PERIODIC:
                p -= n * (p // n)
            elif khi == ZERO_FLUX:
                p = 2 * n - 1 - p
            elif p == n:
                return 0, 0.0
            else:
                p, sign = 2 * n - p, -sign
    return p, sign


def _image_period(n: int, klo: int, khi: int) -> int:
    """Period of the image-extended axis (with its signs)."""
    if klo == PERIODIC:
        return n
    a = -1 if klo == ZERO_FLUX else -2          # twice the reflection planes, voxel units
    b = 2 * n - 1 if khi == ZERO_FLUX else 2 * n
    P = b - a                                   # 2 * (distance between the planes)
    return P if (klo == DIRICHLET) == (khi == DIRICHLET) else 2 * P


def _wrap_taps(w: np.ndarray, period: int) -> np.ndarray:
    """Fold centred taps wider than ``period`` onto one period (the extended axis repeats with
    that period, so this changes no result and caps the cost at ~period taps per voxel).  An
    even period's end offsets +-period/2 are the same point: its weight is split between them,
    which keeps the taps symmetric."""
    h = (len(w) - 1) // 2
    if 2 * h + 1 <= period:
        return w
    H = period // 2
    out = np.zeros(2 * H + 1)
    d = (np.arange(-h, h + 1) + H) % period - H   # in [-H, period - H)
    np.add.at(out, d + H, w)
    if period % 2 == 0:
        out[0] *= 0.5
        out[-1] = out[0]
    return out


def _fold_kernel(w: np.ndarray, n: int, klo: int, khi: int, factor: float) -> _AxisKernel:
    """The heat kernel ``w`` (centred, length 2h+1) times ``factor`` on an axis of ``n`` voxels
    with homogeneous boundaries of the given kinds (method of images)."""
    w = _wrap_taps(w, _image_period(n, klo, khi))
    h = (len(w) - 1) // 2
    half = np.ascontiguousarray(w[h:] * factor)
    folded = [_fold_index(p - h, n, klo, khi) for p in range(n + 2 * h)]
    idx = np.array([f[0] for f in folded], dtype=np.int64)
    sgn = np.array([f[1] for f in folded], dtype=np.float64)
    return _AxisKernel(half, idx, sgn, bool(DIRICHLET in (klo, khi)))


def _axis_operator(n: int, klo: int, khi: int, vlo: float, vhi: float):
    """The 1-D 5-point operator T (-u_{i-1} + 2u_i - u_{i+1}, boundaries folded in) of one axis
    and its Dirichlet source b (ghost values), as dense arrays."""
    T = 2.0 * np.eye(n) - np.eye(n, k=1) - np.eye(n, k=-1)
    b = np.zeros(n)
    if klo == PERIODIC:
        T[0, -1] -= 1.0
        T[-1, 0] -= 1.0
        return T, b
    for end, kind, v in ((0, klo, vlo), (n - 1, khi, vhi)):
        if kind == ZERO_FLUX:
            T[end, end] -= 1.0
        else:
            b[end] += v
    return T, b


def _steady_state_2d(shape, kappa: float, kinds: np.ndarray, values: np.ndarray,
                     eig_cache: dict | None = None) -> np.ndarray:
    """Steady state of the 5-point system ``kappa q + (T_y + T_x) q = b`` (``kappa = k dx^2/D``)
    by diagonalising each axis (dense eigh, O(n^3): ~1 s at 2048; the eigenvectors depend only
    on (n, kinds) and are shared through ``eig_cache``)."""
    cache = {} if eig_cache is None else eig_cache
    eig, src = [], []
    for a, n in enumerate(shape):
        klo, khi = int(kinds[a, 0]), int(kinds[a, 1])
        T, b = _axis_operator(n, klo, khi, values[a, 0], values[a, 1])
        if (n, klo, khi) not in cache:
            cache[(n, klo, khi)] = np.linalg.eigh(T)
        eig.append(cache[(n, klo, khi)])
        src.append(b)
    (mu, V), (nu, W) = eig
    by, bx = src
    # V^T (by 1^T + 1 bx^T) W, a rank-2 product
    Rh = np.outer(V.T @ by, W.sum(axis=0)) + np.outer(V.sum(axis=0), W.T @ bx)
    Qh = Rh / (kappa + mu[:, None] + nu[None, :])
    return np.maximum(V @ Qh @ W.T, 0.0)


@dataclass
class _AxisLOD:
    lam: float
    cp: np.ndarray
    invd: np.ndarray
    g0: float
    g1: float
    periodic: bool
    z: np.ndarray
    fac: float
    r: float


def _thomas(lower: np.ndarray, diag: np.ndarray, upper: np.ndarray):
    """Factors (c', 1/den) of a tridiagonal matrix (lower[i] couples i to i-1)."""
    n = len(diag)
    cp = np.zeros(n)
    invd = np.zeros(n)
    den = diag[0]
    invd[0] = 1.0 / den
    cp[0] = upper[0] * invd[0] if n > 1 else 0.0
    for i in range(1, n):
        den = diag[i] - lower[i] * cp[i - 1]
        invd[i] = 1.0 / den
        cp[i] = upper[i] * invd[i] if i < n - 1 else 0.0
    return cp, invd


def _thomas_solve(lower, cp, invd, d):
    n = len(d)
    x = np.zeros(n)
    x[0] = d[0] * invd[0]
    for i in range(1, n):
        x[i] = (d[i] - lower[i] * x[i - 1]) * invd[i]
    for i in range(n - 2, -1, -1):
        x[i] -= cp[i] * x[i + 1]
    return x


def _lod_axis(n: int, lam: float, klo: int, khi: int, glo: float, ghi: float) -> _AxisLOD:
    """LU factors of the backward-Euler matrix (I - lam * L) of one axis."""
    periodic = klo == PERIODIC
    if periodic and n <= 2:
        # n = 1: no neighbours; n = 2: both neighbours are the other voxel = zero flux, 2*lam
        lam = 0.0 if n == 1 else 2.0 * lam
        klo = khi = ZERO_FLUX
        periodic = False
    lower = np.full(n, -lam)
    upper = np.full(n, -lam)
    nb = np.full(n, 2.0)
    if not periodic:
        nb[0] -= 1.0
        nb[-1] -= 1.0
        if klo == DIRICHLET:
            nb[0] += 1.0
        if khi == DIRICHLET:
            nb[-1] += 1.0
    diag = 1.0 + lam * nb
    z = np.zeros(n)
    fac = 0.0
    r = 0.0
    if periodic:
        # cyclic: corners A[0, n-1] = beta = -lam, A[n-1, 0] = alpha = -lam (Numerical Recipes)
        gamma = -diag[0]
        alpha = beta = -lam
        diag = diag.copy()
        diag[0] -= gamma
        diag[-1] -= alpha * beta / gamma
        cp, invd = _thomas(lower, diag, upper)
        uvec = np.zeros(n)
        uvec[0] = gamma
        uvec[-1] = alpha
        z = _thomas_solve(lower, cp, invd, uvec)
        r = beta / gamma
        fac = 1.0 / (1.0 + z[0] + r * z[-1])
    else:
        cp, invd = _thomas(lower, diag, upper)
    g0 = lam * glo if klo == DIRICHLET else 0.0
    g1 = lam * ghi if khi == DIRICHLET else 0.0
    return _AxisLOD(lam, cp, invd, g0, g1, periodic, z, fac, r)


# ============================================================================== probe errors
def _probe_grid(lam: float):
    sf = math.sqrt(PROBE_SIGMA0**2 + 2.0 * lam)
    N = 1 << max(6, int(math.ceil(math.log2(16.0 * sf))))
    x = np.fft.fftfreq(N, 1.0 / N)            # integer offsets in FFT order
    theta = 2.0 * np.pi * np.fft.fftfreq(N)
    return sf, x, theta


def _probe_separable(lam: float, symbol) -> float:
    sf, x, theta = _probe_grid(lam)
    g0 = np.exp(-x * x / (2.0 * PROBE_SIGMA0**2))
    u = np.fft.ifft(np.fft.fft(g0) * symbol(theta, x)).real
    a = (PROBE_SIGMA0 / sf) * np.exp(-x * x / (2.0 * sf * sf))
    e1 = np.abs(u - a).max()
    # |u_i u_j - a_i a_j| <= e1 * (max|u| + max|a|): a bound on the 2-D max error
    return float(e1 * (np.abs(u).max() + a.max()) / a.max() ** 2)


def probe_error(scheme: str, lam: float, substeps: int = 1, taps: np.ndarray | None = None) -> float:
    """Max error, relative to the analytic peak, of one model step of ``scheme`` from a 2-D
    Gaussian of sigma 2 voxels (infinite domain), vs the continuum solution.

    ``lam = D*dt/dx^2`` for the whole model step; ``substeps`` for explicit/lod; ``taps`` for the
    kernel scheme (default: :func:`heat_kernel_taps`).
    """
    if lam <= 0.0:
        return 0.0
    if scheme == "kernel":
        w = heat_kernel_taps(lam) if taps is None else taps
        h = (len(w) - 1) // 2

        def sym(theta, x):
            g = np.zeros(len(theta))
            np.add.at(g, np.arange(-h, h + 1) % len(theta), w)
            return np.fft.fft(g).real

        return _probe_separable(lam, sym)
    if scheme == "lod":
        ls = lam / substeps
        return _probe_separable(lam, lambda th, x: (1.0 + ls * (2.0 - 2.0 * np.cos(th))) ** (-float(substeps)))
    if scheme == "semidiscrete":  # the 5-point system solved exactly in time: the spatial floor
        return _probe_separable(lam, lambda th, x: np.exp(-lam * (2.0 - 2.0 * np.cos(th))))
    if scheme == "explicit":
        ls = lam / substeps
        # the error falls with lambda for lambda >~ 5 (the probe is then relatively smooth);
        # beyond 200 probe at 200 with the same lambda_sub: an upper bound that stays cheap
        n = substeps if lam <= 200.0 else max(1, int(round(200.0 / ls)))
        lam_p = n * ls
        sf, x, theta = _probe_grid(lam_p)
        g0 = np.exp(-x * x / (2.0 * PROBE_SIGMA0**2))
        u0 = np.outer(g0, g0)
        s = 2.0 - 2.0 * np.cos(theta)
        sym = (1.0 - ls * (s[:, None] + s[None, :])) ** n
        u = np.fft.ifft2(np.fft.fft2(u0) * sym).real
        a1 = (PROBE_SIGMA0 / sf) * np.exp(-x * x / (2.0 * sf * sf))
        a = np.outer(a1, a1)
        return float(np.abs(u - a).max() / a.max())
    raise ValueError(f"unknown scheme {scheme!r}")


# ===================================================================================== plan
@dataclass(frozen=True)
class SpeciesPlan:
    """How one species is advanced per model step."""

    species: str
    scheme: str            # "explicit" | "lod" | "kernel" | "decay" | "none"
    substeps: int
    lam_step: float        # D*dt/dx^2 per model step (per axis)
    lam_sub: float         # D*dt_sub/dx^2 per sub-step (per axis)
    diffusion_um2_per_min: float
    decay_per_min: float
    boundary: str
    taps: tuple[int, ...]  # kernel: taps per voxel per axis (y, x); else ()
    est_error: float       # probe error (see module docstring), relative to the peak
    est_cost_ns: float     # estimated ns per voxel per model step (cost model)

    def __str__(self) -> str:
        extra = f", taps={'x'.join(map(str, self.taps))}" if self.taps else ""
        return (
            f"{self.species}: {self.scheme} x{self.substeps} (lambda/step={self.lam_step:.4g}, "
            f"lambda/sub-step={self.lam_sub:.4g}{extra}, D={self.diffusion_um2_per_min:g} um^2/min, "
            f"decay={self.decay_per_min:g}/min, boundary={self.boundary}, "
            f"est. error={self.est_error:.2g}, est. cost={self.est_cost_ns:.3g} ns/voxel)"
        )


def _normalise_boundary(b, axes: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """-> kinds (ndim, 2) int64, values (ndim, 2) float64, axis order = array order."""
    nd = len(axes)
    kinds = np.zeros((nd, 2), dtype=np.int64)
    values = np.zeros((nd, 2))
    if isinstance(b, Boundary):
        per_axis = {ax: b for ax in axes}
    elif isinstance(b, Mapping):
        unknown = set(b) - set(axes)
        if unknown:
            raise ValueError(f"unknown axes {sorted(unknown)} in boundary mapping; axes are {list(axes)}")
        per_axis = {ax: b.get(ax, Boundary()) for ax in axes}
    else:
        raise TypeError(
            f"a boundary must be a Boundary or a mapping axis -> Boundary | (low, high); got {b!r}"
        )
    for a, ax in enumerate(axes):
        spec = per_axis[ax]
        sides = (spec, spec) if isinstance(spec, Boundary) else tuple(spec)
        if len(sides) != 2 or not all(isinstance(s, Boundary) for s in sides):
            raise TypeError(f"boundary of axis {ax!r} must be a Boundary or (low, high) Boundaries, got {spec!r}")
        for side, s in enumerate(sides):
            kinds[a, side] = _KIND_CODE[s.kind]
            values[a, side] = s.value
        if (kinds[a, 0] == PERIODIC) != (kinds[a, 1] == PERIODIC):
            raise ValueError(f"axis {ax!r}: periodic must be used on both sides")
    return kinds, values


def _describe_boundary(kinds, values, axes) -> str:
    parts = []
    for a, ax in enumerate(axes):
        sides = []
        for side in range(2):
            k = _KIND_NAME[int(kinds[a, side])]
            sides.append(f"{k}={values[a, side]:g}" if k == "dirichlet" else k)
        parts.append(f"{ax}:{sides[0]}" if sides[0] == sides[1] else f"{ax}:{sides[0]}/{sides[1]}")
    return ",".join(parts)


# ================================================================================ operators
class _DecayOp:
    def __init__(self, factor: float):
        self.factor = factor

    def run(self, u: np.ndarray, solver: "DiffusionSolver") -> None:
        if self.factor != 1.0:
            _scale_inplace(u, self.factor)


class _ExplicitOp:
    def __init__(self, nsub, lam, a, kinds, ghosts):
        self.nsub, self.lam, self.a = nsub, lam, a
        self.kinds = kinds
        self.g = ghosts

    def run(self, u, solver):
        buf_a, buf_b = solver._buffers(2)
        _explicit_run(u, buf_a, buf_b, self.nsub, self.lam, self.lam, self.a, self.kinds, self.g)


class _LodOp:
    def __init__(self, m, a, ay: _AxisLOD, ax: _AxisLOD):
        self.m, self.a, self.ay, self.ax = m, a, ay, ax

    def run(self, u, solver):
        (w,) = solver._buffers(1)
        ay, ax = self.ay, self.ax
        _lod_run(u, w, solver._aux, solver._lblk, solver._ncol_chunks, solver._nrow_chunks, self.m, self.a,
                 ay.lam, ay.cp, ay.invd, ay.g0, ay.g1, ay.periodic, ay.z, ay.fac, ay.r,
                 ax.lam, ax.cp, ax.invd, ax.g0, ax.g1, ax.periodic, ax.z, ax.fac, ax.r)


class _KernelOp:
    def __init__(self, ky: _AxisKernel, kx: _AxisKernel, c: np.ndarray, w1d: np.ndarray):
        self.ky, self.kx, self.c, self.w1d = ky, kx, np.ascontiguousarray(c), w1d
        self.clamp_x = ky.signed or kx.signed

    def run(self, u, solver):
        (w,) = solver._buffers(1)
        ky, kx = self.ky, self.kx
        _kernel_run(u, w, solver._klines, solver._nrow_chunks, ky.half, ky.idx, ky.sgn, ky.signed,
                    kx.half, kx.idx, kx.sgn, self.clamp_x, self.c)


# =================================================================================== solver
class DiffusionSolver:
    """Advances every species of a Lattice by dt_min: diffusion + first-order decay.

    Parameters
    ----------
    lattice : the field lattice (its ``spacing_um`` and ``shape`` are used; ``step`` updates
        ``lattice.data`` in place unless another array of the same shape is given).
    diffusion_um2_per_min, decay_per_min : one value per species (>= 0).
    supply_per_min : optional, one value per species (>= 0, field units per min): a uniform
        zero-order source (e.g. vascular resupply of a nutrient); the level without cells
        relaxes to ``supply / decay``. Refused on a species with a Dirichlet side.
    boundaries : one per species: a :class:`Boundary` (all sides) or a mapping
        ``{"x": b, "y": b}`` where each ``b`` is a Boundary or a ``(low, high)`` pair; a single
        Boundary is also accepted for all species.
    dt_min : the model step (min).
    scheme : "auto" (default), "explicit", "lod" or "kernel"; or one per species.
    rel_tol : accuracy target of ``auto`` and of the sub-step choice of explicit/lod (probe
        error, see module docstring).
    substeps : force the number of sub-steps of explicit/lod (int or one per species, None =
        chosen by ``rel_tol``).
    max_substeps : cap of the automatic lod sub-step search.
    """

    def __init__(
        self,
        lattice: Lattice,
        diffusion_um2_per_min: Sequence[float],
        decay_per_min: Sequence[float],
        boundaries: Sequence[Boundary] | Boundary,
        dt_min: float,
        scheme: str | Sequence[str] = "auto",
        rel_tol: float = 1e-3,
        substeps: int | Sequence[int | None] | None = None,
        max_substeps: int = 256,
        supply_per_min: Sequence[float] | None = None,
    ) -> None:
        if lattice.ndim != 2:
            raise NotImplementedError("only 2-D lattices are implemented")
        ns = lattice.n_species
        D = self._per_species(diffusion_um2_per_min, ns, "diffusion_um2_per_min", float)
        K = self._per_species(decay_per_min, ns, "decay_per_min", float)
        S = [0.0] * ns if supply_per_min is None else self._per_species(supply_per_min, ns, "supply_per_min", float)
        for name, arr in (("diffusion_um2_per_min", D), ("decay_per_min", K), ("supply_per_min", S)):
            for s, v in zip(lattice.species, arr):
                if not (math.isfinite(v) and v >= 0.0):
                    raise ValueError(f"{name} of {s!r} must be finite and >= 0, got {v!r}")
        dt = float(dt_min)
        if not (math.isfinite(dt) and dt > 0.0):
            raise ValueError(f"dt_min must be positive and finite, got {dt_min!r}")
        rel_tol = float(rel_tol)
        if not rel_tol > 0.0:
            raise ValueError(f"rel_tol must be > 0, got {rel_tol!r}")
        if isinstance(boundaries, (Boundary, Mapping)):
            boundaries = [boundaries] * ns
        boundaries = list(boundaries)
        if len(boundaries) != ns:
            raise ValueError(f"boundaries: expected {ns} entries (one per species), got {len(boundaries)}")
        schemes = [scheme] * ns if isinstance(scheme, str) else list(scheme)
        if len(schemes) != ns:
            raise ValueError(f"scheme: expected {ns} entries (one per species), got {len(schemes)}")
        for sc in schemes:
            if sc not in SCHEMES:
                raise ValueError(f"unknown scheme {sc!r}; expected one of {SCHEMES}")
        subs = self._per_species(substeps, ns, "substeps", lambda v: None if v is None else int(v)) \
            if substeps is not None and not isinstance(substeps, int) else [substeps] * ns

        self.lattice = lattice
        self.dt_min = dt
        self.rel_tol = rel_tol
        self.max_substeps = int(max_substeps)
        self.diffusion_um2_per_min = tuple(D)
        self.decay_per_min = tuple(K)
        self.supply_per_min = tuple(S)
        #: per species: the exact uniform increment of one step from the supply (0 = none)
        self._supply_step = tuple(0.0 if s == 0.0 else (s * dt if k == 0.0 else s * -math.expm1(-k * dt) / k)
                                  for s, k in zip(S, K))
        self.plan: list[SpeciesPlan] = []
        self._ops: list = []
        self._targets: list[float] = []
        self._bufs: list[np.ndarray] = []
        self._eig_cache: dict = {}   # set-up only (Dirichlet steady states)
        ny, nx = lattice.shape
        self._nrow_chunks = _chunks(ny, 64)
        self._ncol_chunks = max(1, min(64, nx // 32))
        self._aux = np.zeros(nx)
        line_len = nx
        dx = lattice.spacing_um
        for s in range(ns):
            kinds, values = _normalise_boundary(boundaries[s], lattice.axes)
            if S[s] > 0.0 and bool((kinds == DIRICHLET).any()):
                raise ValueError(f"supply_per_min of {lattice.species[s]!r}: a uniform supply needs zero-flux or "
                                 f"periodic boundaries (it is exact only there); give the supply through the "
                                 f"Dirichlet value instead")
            lam = D[s] * dt / (dx * dx)
            plan, op = self._build(lattice.species[s], lam, D[s], K[s], kinds, values, schemes[s], subs[s])
            self.plan.append(plan)
            self._ops.append(op)
            if isinstance(op, _KernelOp):
                line_len = max(line_len, len(op.kx.idx))
        self._eig_cache.clear()
        self._lblk = np.zeros((self._nrow_chunks, nx + 1, 8))
        self._klines = np.zeros((self._nrow_chunks, 2, line_len))
        for p, target in zip(self.plan, self._targets):
            if p.est_error > target:
                warnings.warn(
                    f"diffusion of {p.species!r}: estimated error {p.est_error:.3g} exceeds the target {target:.3g} "
                    f"({p.scheme} x{p.substeps}); consider scheme='kernel' (see DiffusionSolver.describe())",
                    RuntimeWarning, stacklevel=2,
                )

    # ------------------------------------------------------------------------ helpers
    @staticmethod
    def _per_species(values, ns, name, conv):
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence | np.ndarray):
            raise TypeError(f"{name} must be a sequence with one value per species")
        vals = [conv(v) for v in values]
        if len(vals) != ns:
            raise ValueError(f"{name}: expected {ns} values (one per species), got {len(vals)}")
        return vals

    def _buffers(self, k: int) -> list[np.ndarray]:
        while len(self._bufs) < k:
            self._bufs.append(np.zeros(self.lattice.shape))
        return self._bufs[:k]

    def _build(self, name, lam, D, k, kinds, values, scheme, nsub_forced):
        dt = self.dt_min
        ny, nx = self.lattice.shape
        bdesc = _describe_boundary(kinds, values, self.lattice.axes)
        base = dict(species=name, lam_step=lam, diffusion_um2_per_min=D, decay_per_min=k, boundary=bdesc)
        if lam == 0.0:
            self._targets.append(math.inf)
            plan = SpeciesPlan(scheme="decay" if k > 0 else "none", substeps=1, lam_sub=0.0, taps=(),
                               est_error=0.0, est_cost_ns=0.0 if k == 0 else COST_EXPLICIT_SWEEP, **base)
            return plan, _DecayOp(math.exp(-k * dt))

        cands = []  # (cost, error, scheme, substeps)
        tol = self.rel_tol
        if scheme in ("explicit", "lod"):
            # a forced 5-point scheme cannot beat the spatial error of the 5-point Laplacian:
            # aim its sub-steps at rel_tol or just above that floor, whichever is larger
            tol = max(tol, 1.1 * probe_error("semidiscrete", lam))

        def kernel_cand():
            w = heat_kernel_taps(lam)
            ntaps = tuple(min(len(w), _image_period(n, int(kinds[ax, 0]), int(kinds[ax, 1])) + 1)
                          for ax, n in enumerate((ny, nx)))
            err = probe_error("kernel", lam, taps=w)
            return (_kernel_cost(ntaps), err, "kernel", 1)

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
            while m <= self.max_substeps:
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
            limit = kc[0] if kc[1] <= tol else math.inf
            cands += explicit_cands(limit)
            feas = [c for c in cands if c[1] <= tol]
            limit = min(c[0] for c in feas) if feas else math.inf
            cands += lod_cands(min(limit, _lod_cost(self.max_substeps)))
        elif scheme == "kernel":
            if nsub_forced not in (None, 1):
                raise ValueError(f"{name}: the kernel scheme is exact in time and takes no sub-steps")
            cands.append(kernel_cand())
        elif scheme == "explicit":
            cands += explicit_cands(math.inf)
        else:
            cands += lod_cands(math.inf)
            if not cands:
                cands.append((_lod_cost(1), probe_error("lod", lam, 1), "lod", 1))
        self._targets.append(tol)
        feas = [c for c in cands if c[1] <= tol]
        if feas:
            cost, err, sch, n = min(feas, key=lambda c: (c[0], c[1]))
        else:
            cost, err, sch, n = min(cands, key=lambda c: (c[1], c[0]))

        h = dt / n
        a = math.exp(-k * h)
        if sch == "explicit":
            ghost = np.array([values[0, 0], values[0, 1], values[1, 0], values[1, 1]]) * math.exp(0.5 * k * h)
            op = _ExplicitOp(n, lam / n, a, kinds, ghost)
            taps = ()
        elif sch == "lod":
            gs = math.exp(0.5 * k * h)
            axes = [_lod_axis(self.lattice.shape[ax], lam / n, int(kinds[ax, 0]), int(kinds[ax, 1]),
                              values[ax, 0] * gs, values[ax, 1] * gs) for ax in range(2)]
            op = _LodOp(n, a, axes[0], axes[1])
            taps = ()
        else:
            w = heat_kernel_taps(lam)
            # decay folded into the x pass; Dirichlet via u_new = q + exp(-k dt) Kx Ky (u - q)
            ky = _fold_kernel(w, ny, int(kinds[0, 0]), int(kinds[0, 1]), 1.0)
            kx = _fold_kernel(w, nx, int(kinds[1, 0]), int(kinds[1, 1]), math.exp(-k * dt))
            q = self._steady_state(D, k, kinds, values)
            if q is None:
                c = np.zeros((1, nx))
            else:  # c = q - exp(-k dt) Kx Ky q, computed with the kernels themselves
                kq = q.copy()
                _kernel_run(kq, np.empty((ny, nx)), np.zeros((self._nrow_chunks, 2, len(kx.idx))),
                            self._nrow_chunks, ky.half, ky.idx, ky.sgn, ky.signed,
                            kx.half, kx.idx, kx.sgn, True, np.zeros((1, nx)))
                c = q - kq
            op = _KernelOp(ky, kx, c, w)
            taps = (ky.width, kx.width)
        plan = SpeciesPlan(scheme=sch, substeps=n, lam_sub=lam / n, taps=taps, est_error=err,
                           est_cost_ns=cost, **base)
        return plan, op

    def _steady_state(self, D, k, kinds, values) -> np.ndarray | None:
        """Steady state q held by the Dirichlet sides (None without any): the analytic
        continuum profile (cosh/sinh, L = sqrt(D/k)) when one axis has Dirichlet sides, the
        5-point steady state when both have (a constant when k = 0 and all values agree)."""
        ny, nx = self.lattice.shape
        dx = self.lattice.spacing_um
        d_axes = [ax for ax in range(2) if DIRICHLET in (kinds[ax, 0], kinds[ax, 1])]
        if not d_axes:
            return None
        if len(d_axes) == 1:
            ax = d_axes[0]
            ell = math.sqrt(D / k) / dx if k > 0 else math.inf
            q1 = _steady_profile(self.lattice.shape[ax], ell, int(kinds[ax, 0]), int(kinds[ax, 1]),
                                 values[ax, 0], values[ax, 1])
            return np.broadcast_to(q1[:, None] if ax == 0 else q1[None, :], (ny, nx)).copy()
        dvals = {float(values[a, sd]) for a in range(2) for sd in range(2) if kinds[a, sd] == DIRICHLET}
        if k == 0.0 and len(dvals) == 1:
            return np.full((ny, nx), dvals.pop())
        return _steady_state_2d((ny, nx), k * dx * dx / D, kinds, values, self._eig_cache)

    # ---------------------------------------------------------------------- public
    def kernel_taps(self, name: str) -> np.ndarray | None:
        """The 1-D infinite-lattice taps (centred) of a species using the kernel scheme."""
        op = self._ops[self.lattice.index(name)]
        return op.w1d.copy() if isinstance(op, _KernelOp) else None

    def step(self, data: np.ndarray | None = None, species: Sequence[int] | None = None) -> None:
        """Advance the species by ``dt_min``, in place on ``lattice.data`` (or on ``data``).

        ``species``: indices of the species to advance (default all). A caller may leave out a
        species it knows is identically zero with zero boundary values and no sources: such a
        field is a fixed point of every scheme, so skipping it changes nothing.
        """
        arr = self.lattice.data if data is None else data
        expected = (self.lattice.n_species,) + self.lattice.shape
        if arr.shape != expected:
            raise ValueError(f"data has shape {arr.shape}, expected {expected}")
        if arr.dtype not in (np.float32, np.float64):
            raise ValueError(f"data must be float32 or float64, got {arr.dtype}")
        if not arr.flags.c_contiguous:
            raise ValueError("data must be C-contiguous")
        for s in range(len(self._ops)) if species is None else species:
            self._ops[s].run(arr[s], self)
            if self._supply_step[s]:
                arr[s] += self._supply_step[s]

    def describe(self) -> str:
        """Human-readable table of the plan."""
        hdr = ("species", "D um2/min", "decay/min", "supply/min", "lambda/step", "scheme", "sub", "lambda/sub",
               "taps y x", "est.err", "ns/voxel", "boundary")
        rows = [hdr]
        for p, supply in zip(self.plan, self.supply_per_min):
            rows.append((p.species, f"{p.diffusion_um2_per_min:g}", f"{p.decay_per_min:g}", f"{supply:g}",
                         f"{p.lam_step:.4g}",
                         p.scheme, str(p.substeps), f"{p.lam_sub:.3g}", " ".join(map(str, p.taps)) or "-",
                         f"{p.est_error:.1e}", f"{p.est_cost_ns:.3g}", p.boundary))
        widths = [max(len(r[c]) for r in rows) for c in range(len(hdr))]
        lines = [
            f"DiffusionSolver: dt={self.dt_min:g} min, dx={self.lattice.spacing_um:g} um, "
            f"grid {self.lattice.shape[0]}x{self.lattice.shape[1]}, rel_tol={self.rel_tol:g}"
        ]
        for r_i, r in enumerate(rows):
            lines.append("  ".join(c.ljust(wd) for c, wd in zip(r, widths)).rstrip())
            if r_i == 0:
                lines.append("  ".join("-" * wd for wd in widths))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"DiffusionSolver({[str(p) for p in self.plan]})"
