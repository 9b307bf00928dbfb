"""The steady state ``q`` that a species' Dirichlet sides hold, ``D lap(q) = k q`` (field unit).

The ``kernel`` scheme diffuses only the deviation from ``q`` (``u_new = q + exp(-k*dt) Kx Ky
(u - q)``, :mod:`mscabm.engine.diffusion.heat_kernel`), so ``q`` is its exact fixed point for
any dt.  ``q`` is the analytic continuum profile (``cosh``/``sinh`` of ``x / L``, ``L =
sqrt(D/k)``) when one axis has Dirichlet sides, and the steady state of the 5-point system when
both have: each axis diagonalised once at set-up, O(n^3) (set-up ~1 s at 1000^2, ~2.5 s at
2048^2 for two such species; eigenvectors shared between species through a cache); a constant
when k = 0 and all Dirichlet values agree.  (Splitting the decay over the axes instead put the
steady state 2 % off at dt = 1 min, D = 600 um^2/min, k = 0.06/min.)  Positions are voxel
centres ``x = 0..n-1`` in voxel units; zero-flux faces sit at ``-1/2`` and ``n - 1/2``, Dirichlet
ghost nodes at ``-1`` and ``n``.
"""

from __future__ import annotations

import math

import numpy as np

from mscabm.engine.diffusion.boundaries import DIRICHLET, PERIODIC, ZERO_FLUX

__all__ = ["steady_state"]


def steady_state(shape: tuple[int, int], spacing_um: float, D: float, k: float, kinds: np.ndarray,
                 values: np.ndarray, eig_cache: dict) -> np.ndarray | None:
    """Steady state ``q`` ``(ny, nx)`` float64 held by the Dirichlet sides (None without any).

    ``D`` in um^2/min, ``k`` in 1/min, ``spacing_um`` the voxel side; ``kinds``/``values``
    ``(2, 2)`` from :func:`~mscabm.engine.diffusion.boundaries.normalise_boundary`;
    ``eig_cache`` shares the axis eigenvectors between species (set-up only).
    """
    ny, nx = shape
    dx = spacing_um
    d_axes = [ax for ax in range(2) if DIRICHLET in (kinds[ax, 0], kinds[ax, 1])]
    if not d_axes:
        return None
    if len(d_axes) == 1:
        ax = d_axes[0]
        ell = math.sqrt(D / k) / dx if k > 0 else math.inf
        q1 = _steady_profile(shape[ax], ell, int(kinds[ax, 0]), int(kinds[ax, 1]),
                             values[ax, 0], values[ax, 1])
        assert q1 is not None  # a Dirichlet side exists on this axis
        return np.broadcast_to(q1[:, None] if ax == 0 else q1[None, :], (ny, nx)).copy()
    dvals = {float(values[a, sd]) for a in range(2) for sd in range(2) if kinds[a, sd] == DIRICHLET}
    if k == 0.0 and len(dvals) == 1:
        return np.full((ny, nx), dvals.pop())
    return _steady_state_2d((ny, nx), k * dx * dx / D, kinds, values, eig_cache)


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
