"""Vertical transport between stacked horizontal layers of a field (e.g. a transwell: well, gap, insert).

The medium is cut into ``L`` horizontal layers of thickness ``h_i`` (finite volumes, bottom to top),
each a full 2-D lattice. Between layers ``i`` and ``i + 1`` the diffusive flux per area is
``(c_i - c_{i+1}) / R_i`` with the series resistance

    R_i = h_i / (2 D) + h_{i+1} / (2 D) + 1 / P_i      (P_i = inf unless a membrane sits there),

and ``dc_i/dt = (J_{i-1} - J_i) / h_i`` with zero flux through the bottom and the top. A membrane of
porosity ``phi`` (open area fraction) and thickness ``d`` has ``P = D phi / d`` (diffusion through
water-filled pores; hindrance ignored). Over a step the columns advance by the exact propagator
``M = expm(dt A)`` of this linear system (``A`` the tridiagonal matrix above), so any step is exact
for the semi-discrete operator; ``sum_i h_i c_i`` is conserved.

Horizontal diffusion and decay act on every layer alike (the same 2-D operator), so they commute
with the vertical operator: advancing each layer horizontally and then every column by ``M`` is the
exact semi-discrete 3-D step when the horizontal scheme is exact. Nothing here is biology.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import expm

__all__ = ["vertical_operator", "vertical_propagators", "apply_vertical"]


def vertical_operator(thickness_um, diffusion_um2_per_min: float, membrane_after: int = -1,
                      membrane_permeability_um_per_min: float = np.inf) -> np.ndarray:
    """The (L, L) matrix ``A`` (1/min) of the layered column (module docstring).

    thickness_um : float (L,) > 0, bottom to top; membrane_after : the membrane lies between layers
    ``membrane_after`` and ``membrane_after + 1`` (-1: none); membrane_permeability_um_per_min : P.
    """
    h = np.asarray(thickness_um, dtype=np.float64)
    if h.ndim != 1 or len(h) < 1 or not (h > 0).all():
        raise ValueError("thickness_um must be a 1-D array of positive thicknesses")
    D = float(diffusion_um2_per_min)
    if not (D >= 0):
        raise ValueError("diffusion_um2_per_min must be >= 0")
    L = len(h)
    A = np.zeros((L, L))
    if D == 0.0:
        return A
    for i in range(L - 1):
        with np.errstate(over="ignore"):  # a vanishing D (subnormal) gives R = inf: no coupling, its exact limit
            R = h[i] / (2 * D) + h[i + 1] / (2 * D)
        if i == membrane_after:
            P = float(membrane_permeability_um_per_min)
            if not P > 0:
                continue  # an impermeable membrane: two sealed columns
            R += 1.0 / P
        g = 1.0 / R
        A[i, i] -= g / h[i]
        A[i, i + 1] += g / h[i]
        A[i + 1, i + 1] -= g / h[i + 1]
        A[i + 1, i] += g / h[i + 1]
    return A


def vertical_propagators(thickness_um, diffusion_um2_per_min, dt_min: float, membrane_after: int = -1,
                         membrane_porosity: float = 1.0, membrane_thickness_um: float = 0.0) -> np.ndarray:
    """Exact step propagators, float64 (n_species, L, L): ``expm(dt A_s)`` per species.

    diffusion_um2_per_min : float (n_species,); the membrane's permeability for each species is
    ``D phi / d`` (infinite when ``membrane_thickness_um`` is 0).
    """
    Ds = np.atleast_1d(np.asarray(diffusion_um2_per_min, dtype=np.float64))
    out = np.empty((len(Ds), len(thickness_um), len(thickness_um)))
    for s, D in enumerate(Ds):
        P = np.inf if membrane_thickness_um <= 0 else D * membrane_porosity / membrane_thickness_um
        out[s] = expm(float(dt_min) * vertical_operator(thickness_um, D, membrane_after, P))
    return out


def apply_vertical(layers: np.ndarray, propagators: np.ndarray, species=None) -> None:
    """``layers[:, s] <- M_s @ layers[:, s]`` for every column, in place.

    layers : float32/float64 (L, n_species, ny, nx); propagators : (n_species, L, L); species :
    indices to advance (default all). Values are clipped at 0 (the propagator is non-negative up to
    rounding).
    """
    L, ns = layers.shape[:2]
    if propagators.shape != (ns, L, L):
        raise ValueError(f"propagators must have shape {(ns, L, L)}, got {propagators.shape}")
    for s in range(ns) if species is None else species:
        block = layers[:, s]
        new = propagators[s] @ block.reshape(L, -1).astype(np.float64)
        np.maximum(new, 0.0, out=new)
        block[...] = new.reshape(block.shape)
