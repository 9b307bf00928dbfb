"""Whole-field numba loops shared by the diffusion schemes, and the decay-only operator.

A field here is one species' 2-D array ``(ny, nx)`` of any float dtype; the loops are
row-parallel (each row is written by one thread), so results do not depend on the thread count.
The ``ftcs`` and ``lod`` kernels call :func:`copy_into`; numba's on-disk cache of a caller is not
invalidated when a callee in another module changes, so after editing these loops delete the
package's ``__pycache__`` (or bump the callers) before timing or testing.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

__all__ = ["DecayOp", "copy_into", "scale_inplace"]


@njit(cache=True, parallel=True, nogil=True)
def copy_into(src, dst):
    ny = src.shape[0]
    for i in prange(ny):
        for j in range(src.shape[1]):
            dst[i, j] = src[i, j]


@njit(cache=True, parallel=True, nogil=True)
def scale_inplace(u, a):
    for i in prange(u.shape[0]):
        for j in range(u.shape[1]):
            u[i, j] = u[i, j] * a


class DecayOp:
    """A species without diffusion (D = 0): multiply by ``factor = exp(-k*dt)`` per model step."""

    def __init__(self, factor: float):
        self.factor = factor

    def run(self, u: np.ndarray, solver) -> None:
        if self.factor != 1.0:
            scale_inplace(u, self.factor)
