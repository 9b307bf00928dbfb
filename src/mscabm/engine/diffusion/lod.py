"""The ``lod`` scheme: BioFVM-style locally-one-dimensional backward Euler.

Each of ``m`` sub-steps (``lambda_sub = D*(dt/m)/dx^2``, dimensionless, any size: unconditionally
stable and monotone) is a Thomas solve of ``(I - lambda_sub L) u' = u`` along y (inner loop over
x: vectorised) and one along x (8 rows interleaved in a transposed block), the order alternating
y-x, x-y from one sub-step to the next.  LU factors are precomputed per (species, axis); periodic
axes use the cyclic (Sherman-Morrison) variant; Dirichlet enters through the ghost value on the
right-hand side; zero-flux end rows are ``1+lambda, -lambda``.  Solves run in float64 scratch.
For uniform D the x and y operators commute, except for the Dirichlet sources: where two
Dirichlet sides of different values meet, the corner has a splitting error (2 % of the values at
lambda_sub = 0.75, 0.4 % at 0.19).  Decay: the factor ``exp(-k*dt/m)`` per sub-step, with the
Strang-scaled ghost values next to Dirichlet sides (as in :mod:`.ftcs`).  Backward Euler leaves a
sharp peak almost undamped at large lambda, so ``auto`` never picks this scheme (see
:mod:`mscabm.engine.diffusion.scheme_choice` and docs/design.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit, prange

from mscabm.engine.diffusion.boundaries import DIRICHLET, PERIODIC, ZERO_FLUX
from mscabm.engine.diffusion.field_ops import copy_into

__all__ = ["AxisLOD", "LodOp", "lod_axis"]


@njit(cache=True, parallel=True, nogil=True)
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


@njit(cache=True, parallel=True, nogil=True)
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


@njit(cache=True, nogil=True)
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
                copy_into(w, u)


@dataclass
class AxisLOD:
    """Precomputed Thomas factors of one axis: ``cp`` (c'), ``invd`` (1/denominator), ``(n,)``
    float64; ``g0``/``g1`` the Dirichlet right-hand-side terms ``lam * ghost`` of the end voxels;
    ``z``, ``fac``, ``r`` the Sherman-Morrison correction of a periodic axis."""

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


def lod_axis(n: int, lam: float, klo: int, khi: int, glo: float, ghi: float) -> AxisLOD:
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
    return AxisLOD(lam, cp, invd, g0, g1, periodic, z, fac, r)


class LodOp:
    """``m`` LOD sub-steps with decay factor ``a`` each, on the factors ``ay`` (y) and ``ax`` (x)."""

    def __init__(self, m, a, ay: AxisLOD, ax: AxisLOD):
        self.m, self.a, self.ay, self.ax = m, a, ay, ax

    def run(self, u, solver):
        (w,) = solver._buffers(1)
        ay, ax = self.ay, self.ax
        _lod_run(u, w, solver._aux, solver._lblk, solver._ncol_chunks, solver._nrow_chunks, self.m, self.a,
                 ay.lam, ay.cp, ay.invd, ay.g0, ay.g1, ay.periodic, ay.z, ay.fac, ay.r,
                 ax.lam, ax.cp, ax.invd, ax.g0, ax.g1, ax.periodic, ax.z, ax.fac, ax.r)

