"""Boundary conditions of the diffusion solver: the kind codes the numba kernels use, and the
normalisation of the user's :class:`~mscabm.engine.lattice.Boundary` specs into arrays.

A species' boundary is given per axis and side; :func:`normalise_boundary` turns it into
``kinds`` (``(ndim, 2)`` int64: :data:`ZERO_FLUX`, :data:`DIRICHLET` or :data:`PERIODIC`; axis
order = array order, side 0 = low, 1 = high) and ``values`` (``(ndim, 2)`` float64: the
Dirichlet value in the field's unit, 0 elsewhere).  Periodic must be used on both sides of an axis.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from mscabm.engine.lattice import Boundary

__all__ = ["DIRICHLET", "PERIODIC", "ZERO_FLUX", "describe_boundary", "normalise_boundary"]

ZERO_FLUX, DIRICHLET, PERIODIC = 0, 1, 2
_KIND_CODE = {"zero_flux": ZERO_FLUX, "dirichlet": DIRICHLET, "periodic": PERIODIC}
_KIND_NAME = {v: k for k, v in _KIND_CODE.items()}


def normalise_boundary(b, axes: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """One species' boundary spec -> ``kinds`` ``(ndim, 2)`` int64, ``values`` ``(ndim, 2)``
    float64 (Dirichlet value, field unit), axis order = array order.

    ``b`` is a :class:`Boundary` (all sides) or a mapping ``{axis: Boundary | (low, high)}``;
    axes left out are zero flux.
    """
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


def describe_boundary(kinds, values, axes) -> str:
    """Short text of normalised boundaries, e.g. ``"y:zero_flux,x:dirichlet=1/zero_flux"``."""
    parts = []
    for a, ax in enumerate(axes):
        sides = []
        for side in range(2):
            k = _KIND_NAME[int(kinds[a, side])]
            sides.append(f"{k}={values[a, side]:g}" if k == "dirichlet" else k)
        parts.append(f"{ax}:{sides[0]}" if sides[0] == sides[1] else f"{ax}:{sides[0]}/{sides[1]}")
    return ",".join(parts)

