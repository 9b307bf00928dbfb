"""The ``explicit`` scheme: FTCS (forward Euler in time, 5-point Laplacian) with sub-steps.

One model step ``dt`` is ``n`` sub-steps of ``lambda_sub = D*(dt/n)/dx^2 <= 1/4`` (dimensionless;
1/4 is the 2-D stability and positivity limit, so the scheme is monotone), fused in one numba
call per species, ping-ponging in float64 scratch ``(ny, nx)`` buffers (a float32 field is
rounded once per model step).  Decay enters as the factor ``a = exp(-k*dt/n)`` per sub-step;
Dirichlet sides enter as ghost values, scaled by ``exp(k*dt_sub/2)`` (the symmetric, Strang,
splitting of decay and diffusion next to a Dirichlet side).  Zero flux and periodic sides fold
the neighbour onto the edge voxel or the opposite edge.  How many sub-steps: see
:mod:`mscabm.engine.diffusion.scheme_choice`.
"""

from __future__ import annotations

from numba import njit, prange

from mscabm.engine.diffusion.boundaries import DIRICHLET, PERIODIC
from mscabm.engine.diffusion.field_ops import copy_into

__all__ = ["ExplicitOp"]


@njit(cache=True, parallel=True, nogil=True)
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


@njit(cache=True, nogil=True)
def _explicit_run(u, buf_a, buf_b, nsub, lam_y, lam_x, a, kinds, g):
    """``nsub`` FTCS sub-steps on field ``u`` (2-D, any float dtype) via float64 buffers."""
    if nsub == 1:
        _ftcs_sweep(u, buf_a, lam_y, lam_x, a, kinds, g)
        copy_into(buf_a, u)
        return
    _ftcs_sweep(u, buf_a, lam_y, lam_x, a, kinds, g)
    src = buf_a
    dst = buf_b
    for _ in range(nsub - 2):
        _ftcs_sweep(src, dst, lam_y, lam_x, a, kinds, g)
        src, dst = dst, src
    _ftcs_sweep(src, u, lam_y, lam_x, a, kinds, g)


class ExplicitOp:
    """``nsub`` FTCS sub-steps of ``lam = lambda_sub`` (both axes) and decay factor ``a`` each;
    ``kinds`` ``(2, 2)`` int64 boundary codes, ``ghosts`` ``(4,)`` float64 Dirichlet values
    (y_lo, y_hi, x_lo, x_hi) already scaled for the Strang splitting."""

    def __init__(self, nsub, lam, a, kinds, ghosts):
        self.nsub, self.lam, self.a = nsub, lam, a
        self.kinds = kinds
        self.g = ghosts

    def run(self, u, solver):
        buf_a, buf_b = solver._buffers(2)
        _explicit_run(u, buf_a, buf_b, self.nsub, self.lam, self.lam, self.a, self.kinds, self.g)

