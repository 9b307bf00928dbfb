"""The ``spectral`` scheme: the kernel scheme's operator applied in its own eigenbasis.

On an axis with zero-flux sides the heat kernel folded by the method of images
(:func:`~mscabm.engine.diffusion.heat_kernel.fold_kernel`) is a *symmetric convolution*: the
orthonormal DCT-II basis ``b_k(i) = a_k cos(pi k (i + 1/2) / n)`` diagonalises it exactly
(Martucci 1994, IEEE Trans. Signal Process. 42:1038).  Its eigenvalues ``e_k`` are computed
here from the folded taps themselves (``e_k = b_k . K b_k``; the off-diagonal terms are checked
to be rounding), so this scheme is the kernel scheme's linear operator, not another
approximation of the heat equation.  They fall like ``exp(-lambda (pi k / n)^2)``: a wide kernel
(a small molecule, lambda = 300 at 10 um and 1 min) keeps only the first few modes of a small
lattice, e.g. 7 of 70, and one model step costs ``2 K_x (1 + K_y / n_x)`` multiply-adds per
voxel instead of ``~2 x (taps / 2)`` with up to ``2n + 1`` taps per axis.

One step, ``u <- exp(-k dt) B_y^T (E_y (B_y u B_x^T) E_x) B_x`` with ``B`` the ``(K, n)`` basis
rows kept: modes whose eigenvalue is below :data:`SPECTRAL_CUT` (relative to mode 0, whose
eigenvalue is 1) are dropped, which is below the rounding floor of the kernel's own taps
(~1e-11), so the result matches the kernel scheme to ~1e-10 of the field's peak.  Mode 0 is
always kept: the mean (mass) is conserved exactly in exact arithmetic.  Rounding-level
negatives from the dropped modes are clamped to 0 (the kernel scheme is monotone; the exact
result is >= 0).  Every product is a fixed-order float64 accumulation in numba, so results do
not depend on the thread count.  Zero-flux sides only (Dirichlet would need the DST and the
steady-state offset; periodic, the DFT).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from mscabm.engine.diffusion.heat_kernel import AxisKernel

__all__ = ["SPECTRAL_CUT", "SpectralAxis", "SpectralOp", "dct_basis", "spectral_axis"]

#: modes whose eigenvalue (relative to mode 0) falls below this are dropped
SPECTRAL_CUT = 1e-10


def dct_basis(n: int) -> np.ndarray:
    """Orthonormal DCT-II basis ``(n, n)`` float64: row k is ``a_k cos(pi k (i + 1/2) / n)``."""
    i = np.arange(n, dtype=np.float64)
    k = np.arange(n, dtype=np.float64)[:, None]
    b = np.sqrt(2.0 / n) * np.cos(np.pi * k * (i + 0.5) / n)
    b[0] = math.sqrt(1.0 / n)
    return b


def axis_matrix(kernel: AxisKernel, n: int) -> np.ndarray:
    """The folded kernel of one axis as a dense ``(n, n)`` matrix (``M[i, j]``: weight of
    source voxel ``j`` in output voxel ``i``)."""
    h = len(kernel.half) - 1
    m = np.zeros((n, n))
    offsets = np.arange(-h, h + 1)
    weights = kernel.half[np.abs(offsets)]
    for i in range(n):
        p = i + h + offsets
        np.add.at(m[i], kernel.idx[p], weights * kernel.sgn[p])
    return m


class SpectralAxis:
    """The kept DCT-II modes of one axis: ``basis`` ``(K, n)`` and ``eigenvalues`` ``(K,)``."""

    def __init__(self, basis: np.ndarray, eigenvalues: np.ndarray) -> None:
        self.basis = np.ascontiguousarray(basis)
        self.eigenvalues = np.ascontiguousarray(eigenvalues)

    @property
    def modes(self) -> int:
        return len(self.eigenvalues)


def spectral_axis(kernel: AxisKernel, n: int, cut: float = SPECTRAL_CUT) -> SpectralAxis:
    """Eigen-decomposition of a zero-flux axis kernel (built with factor 1), truncated at ``cut``.

    Raises ValueError if the DCT-II does not diagonalise the kernel (not a zero-flux axis).
    """
    if kernel.signed:
        raise ValueError("the spectral scheme needs zero-flux sides (this axis has a Dirichlet side)")
    b = dct_basis(n)
    e = b @ axis_matrix(kernel, n) @ b.T
    eig = np.diag(e).copy()
    off = np.abs(e - np.diag(eig)).max() if n > 1 else 0.0
    if off > 1e-9:
        raise ValueError(f"the DCT-II does not diagonalise this axis kernel (off-diagonal {off:.2g}); "
                         "the spectral scheme needs zero-flux sides")
    keep = np.flatnonzero(np.abs(eig) >= cut * abs(eig[0]))
    k = int(keep.max()) + 1  # modes 0..k-1 (the eigenvalues fall with k; keep any straggler above the cut)
    return SpectralAxis(b[:k].copy(), eig[:k])  # a copy: the view would keep the whole (n, n) basis alive


def spectral_modes(lam: float, n: int, cut: float = SPECTRAL_CUT) -> int:
    """A-priori number of modes kept on an axis of ``n`` voxels: ``exp(-lam (pi k / n)^2) >= cut``
    (the eigenvalues of the kernel taps, to their rounding floor); at most ``n``."""
    if lam <= 0.0:
        return n
    k_max = n / math.pi * math.sqrt(math.log(1.0 / cut) / lam)
    return max(1, min(n, int(math.floor(k_max)) + 1))


@njit(cache=True, inline="always")
def _combine_rows(dst, weights, rows):
    """``dst[:] = sum_r weights[r] * rows[r]`` (float64), summed in row order (axpy passes)."""
    n = dst.shape[0]
    for j in range(n):
        dst[j] = 0.0
    for r in range(weights.shape[0]):
        wr = weights[r]
        src = rows[r]
        for j in range(n):
            dst[j] += wr * src[j]


@njit(cache=True, parallel=True, nogil=True)
def _spectral_run(u, by, bx, ey, ex, factor, c1, c, t2, w):
    """``u <- factor * By^T diag(ey) (By u Bx^T) diag(ex) Bx``, clamped at 0, in place.

    u (ny, nx) float32/64; by (Ky, ny), bx (Kx, nx) basis rows; ey (Ky,), ex (Kx,) eigenvalues;
    scratch c1 (Ky, nx), c (Ky, Kx), t2 (Ky, nx), w (ny, nx) float64.  Rows of every product are summed in
    a fixed order (contiguous axpy passes that LLVM vectorises).
    """
    ny, nx = u.shape
    ky = by.shape[0]
    kx = bx.shape[0]
    for k in prange(ky):  # c1 = By u: project the columns onto the y modes
        _combine_rows(c1[k], by[k], u)
    for k in prange(ky):  # c = (c1 Bx^T) * ey ex * factor;  t2 = c Bx
        for m in range(kx):
            acc = 0.0
            for j in range(nx):
                acc += c1[k, j] * bx[m, j]
            c[k, m] = acc * ey[k] * ex[m] * factor
        _combine_rows(t2[k], c[k], bx)
    for i in prange(ny):  # u = By^T t2 (accumulated in the float64 scratch row), clamped at 0
        acc = w[i]
        _combine_rows(acc, by[:, i], t2)
        d = u[i]
        for j in range(nx):
            v = acc[j]
            d[j] = v if v > 0.0 else 0.0


class SpectralOp:
    """One model step of the spectral scheme (zero-flux sides): see the module docstring."""

    def __init__(self, ay: SpectralAxis, ax: SpectralAxis, decay_factor: float) -> None:
        self.ay, self.ax, self.factor = ay, ax, float(decay_factor)
        ky, kx = ay.modes, ax.modes
        nx = ax.basis.shape[1]
        self._c1 = np.zeros((ky, nx))
        self._c = np.zeros((ky, kx))
        self._t2 = np.zeros((ky, nx))

    @property
    def modes(self) -> tuple[int, int]:
        return self.ay.modes, self.ax.modes

    def run(self, u, solver):
        (w,) = solver._buffers(1)
        _spectral_run(u, self.ay.basis, self.ax.basis, self.ay.eigenvalues, self.ax.eigenvalues, self.factor,
                      self._c1, self._c, self._t2, w)
