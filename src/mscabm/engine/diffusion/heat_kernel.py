"""The ``kernel`` scheme: the exact 1-D heat kernel applied along y, then along x.

One pass along each axis convolves with the 1-D heat kernel of variance ``2*lambda`` (voxel^2;
``lambda = D*dt/dx^2``, dimensionless, for the whole model step): a sampled Gaussian whose width
is tuned so that its discrete variance is exactly ``2*lambda`` (this matters only for lambda
<~ 0.3, where a plainly sampled Gaussian diffuses too slowly), cut where it falls below
:data:`KERNEL_CUT` of its peak (about +-6.4 sigma), renormalised to sum 1.  All taps are >= 0, so
the scheme is monotone for any D and dt.

Why: the 2-D heat kernel is the product of two 1-D ones, so for uniform D the x/y split has no
splitting error, and there is no time error: one model step is two passes for any D and dt.  It
is also the most accurate in space: a sampled Gaussian of sigma >= ~0.7 voxel spreads like the
continuum, while the 5-point Laplacian errs by ~1 % for a sigma = 2 voxel peak.  Its cost grows
with sqrt(lambda) (taps ~ 13 sqrt(2 lambda)); the measurements are in docs/design.md.

Boundaries by the method of images: the axis is extended by mirror images (zero flux: mass is
conserved exactly), odd images about the ghost node (Dirichlet) or wrap-around (periodic); taps
wider than one period of the image pattern are wrapped onto it, so the cost per voxel is at most
~2n+1 (4n+2 for Dirichlet/zero-flux axes).  Dirichlet sides are exact: only the deviation from
the steady state ``q`` diffuses, ``u_new = q + exp(-k*dt) Kx Ky (u - q)`` with ``Kx Ky`` the
homogeneous kernels (odd images), so the fixed point is ``q`` for any dt
(:mod:`mscabm.engine.diffusion.steady_state`).  Decay ``exp(-k*dt)`` is folded into the x taps.
Passes accumulate in float64 (y pass into a float64 scratch ``(ny, nx)``, x pass along a float64
line), so a float32 field is rounded once per model step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit, prange

from mscabm.engine.diffusion.boundaries import DIRICHLET, PERIODIC, ZERO_FLUX

__all__ = ["KERNEL_CUT", "AxisKernel", "KernelOp", "dirichlet_offset", "fold_kernel", "heat_kernel_taps",
           "image_period"]

#: kernel taps are cut where the Gaussian falls below this fraction of its peak
KERNEL_CUT = 1e-9


@njit(cache=True, parallel=True, nogil=True)
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


@njit(cache=True, parallel=True, nogil=True)
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


@njit(cache=True, nogil=True)
def _kernel_run(u, w, lines, nrow_chunks, half_y, idx_y, sgn_y, signed_y,
                half_x, idx_x, sgn_x, signed_x, c):
    _kernel_y(u, w, nrow_chunks, half_y, idx_y, sgn_y, signed_y)
    _kernel_x(w, u, lines, nrow_chunks, half_x, idx_x, sgn_x, signed_x, c)


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


@dataclass
class AxisKernel:
    """The heat kernel of one axis, folded onto its ``n`` voxels by the method of images."""

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


def image_period(n: int, klo: int, khi: int) -> int:
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


def fold_kernel(w: np.ndarray, n: int, klo: int, khi: int, factor: float) -> AxisKernel:
    """The heat kernel ``w`` (centred, length 2h+1) times ``factor`` on an axis of ``n`` voxels
    with homogeneous boundaries of the given kinds (method of images)."""
    w = _wrap_taps(w, image_period(n, klo, khi))
    h = (len(w) - 1) // 2
    half = np.ascontiguousarray(w[h:] * factor)
    folded = [_fold_index(p - h, n, klo, khi) for p in range(n + 2 * h)]
    idx = np.array([f[0] for f in folded], dtype=np.int64)
    sgn = np.array([f[1] for f in folded], dtype=np.float64)
    return AxisKernel(half, idx, sgn, bool(DIRICHLET in (klo, khi)))


def dirichlet_offset(ky: AxisKernel, kx: AxisKernel, q: np.ndarray, nrow_chunks: int) -> np.ndarray:
    """The affine term ``c = q - exp(-k*dt) Kx Ky q`` of ``u_new = exp(-k*dt) Kx Ky u + c``.

    ``q`` ``(ny, nx)`` float64: the steady state held by the Dirichlet sides (field unit);
    ``ky``/``kx``: the homogeneous axis kernels (``kx`` carries the decay factor).  Computed with
    the kernels themselves, so ``q`` is their fixed point to rounding.  Returns ``(ny, nx)`` float64.
    """
    ny, nx = q.shape
    kq = q.copy()
    _kernel_run(kq, np.empty((ny, nx)), np.zeros((nrow_chunks, 2, len(kx.idx))),
                nrow_chunks, ky.half, ky.idx, ky.sgn, ky.signed,
                kx.half, kx.idx, kx.sgn, True, np.zeros((1, nx)))
    return q - kq


class KernelOp:
    """One model step of the kernel scheme: ``u <- Kx Ky u + c`` (``c`` ``(ny, nx)`` or ``(1, nx)``
    float64, see :func:`dirichlet_offset`; ``w1d`` the centred infinite-lattice taps)."""

    def __init__(self, ky: AxisKernel, kx: AxisKernel, c: np.ndarray, w1d: np.ndarray):
        self.ky, self.kx, self.c, self.w1d = ky, kx, np.ascontiguousarray(c), w1d
        self.clamp_x = ky.signed or kx.signed

    def run(self, u, solver):
        (w,) = solver._buffers(1)
        ky, kx = self.ky, self.kx
        _kernel_run(u, w, solver._klines, solver._nrow_chunks, ky.half, ky.idx, ky.sgn, ky.signed,
                    kx.half, kx.idx, kx.sgn, self.clamp_x, self.c)

