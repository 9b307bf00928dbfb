"""The field lattice: a regular grid of voxels holding one concentration field per species.

Storage is one C-contiguous array ``data`` of shape ``(n_species, ny, nx)`` (float32 by default,
float64 on request), so ``data[s]`` is one contiguous 2-D field and kernels stream over it.

Geometry (lengths in um): voxel ``(iy, ix)`` covers ``x in [ix*dx, (ix+1)*dx)`` and
``y in [iy*dx, (iy+1)*dx)``; its centre is ``((ix+0.5)*dx, (iy+0.5)*dx)``.  The domain is
``[0, nx*dx) x [0, ny*dx)``.  A 2-D lattice still has a physical ``thickness_um`` (default: one
voxel) so that amounts (concentration x volume) are well defined: ``voxel_volume_um3 =
dx*dx*thickness``.

Boundaries are described per species by :class:`Boundary` (zero flux by default; Dirichlet
holds a fixed value in a ghost layer one voxel outside the domain; periodic wraps).  The
diffusion solver (``engine.diffusion``) reads them; the lattice itself only stores
fields.  Everything here is written per axis (``axes``, ``shape``) so that a 3-D lattice
``(n_species, nz, ny, nx)`` can follow without changing callers; only 2-D is implemented.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["BOUNDARY_KINDS", "Boundary", "Lattice"]

BOUNDARY_KINDS = ("zero_flux", "dirichlet", "periodic")


@dataclass(frozen=True)
class Boundary:
    """Boundary condition of one field on one side (or all sides) of the domain.

    ``kind``: ``"zero_flux"`` (mirror: no mass crosses the edge), ``"dirichlet"`` (the value
    ``value`` is held in a ghost layer one voxel outside the domain, i.e. at distance ``dx``
    from the centres of the edge voxels), or ``"periodic"`` (opposite edges are neighbours;
    must be used on both sides of an axis).  ``value`` is only used by Dirichlet boundaries.
    """

    kind: str = "zero_flux"
    value: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in BOUNDARY_KINDS:
            raise ValueError(f"unknown boundary kind {self.kind!r}; expected one of {BOUNDARY_KINDS}")
        v = float(self.value)
        if not np.isfinite(v):
            raise ValueError(f"boundary value must be finite, got {self.value!r}")
        if v < 0.0:
            raise ValueError(f"boundary value must be >= 0 (fields are concentrations), got {v}")
        object.__setattr__(self, "value", v)


class Lattice:
    """Field grid: one contiguous 2-D array per species, shape (n_species, ny, nx)."""

    #: names of the spatial axes, in array order (a 3-D lattice would be ("z", "y", "x"))
    axes: tuple[str, ...] = ("y", "x")

    def __init__(
        self,
        shape: tuple[int, int],
        spacing_um: float,
        species: Sequence[str],
        dtype=np.float32,
        thickness_um: float | None = None,
    ) -> None:
        dims = tuple(int(n) for n in shape)
        if len(dims) != 2:
            raise ValueError(f"shape must be (ny, nx); got {dims!r} (only 2-D lattices are implemented)")
        if any(n < 1 for n in dims):
            raise ValueError(f"shape must be positive, got {dims!r}")
        shape = (dims[0], dims[1])
        spacing = float(spacing_um)
        if not (np.isfinite(spacing) and spacing > 0):
            raise ValueError(f"spacing_um must be a positive finite number, got {spacing_um!r}")
        thickness = spacing if thickness_um is None else float(thickness_um)
        if not (np.isfinite(thickness) and thickness > 0):
            raise ValueError(f"thickness_um must be a positive finite number, got {thickness_um!r}")
        if isinstance(species, str):
            raise TypeError("species must be a sequence of names, not a single string")
        names = tuple(str(s) for s in species)
        if len(set(names)) != len(names):
            dup = sorted({s for s in names if names.count(s) > 1})
            raise ValueError(f"duplicate species names: {dup}")
        dt = np.dtype(dtype)
        if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
            raise ValueError(f"dtype must be float32 or float64, got {dt}")

        self.shape: tuple[int, int] = shape
        self.ndim: int = 2
        self.spacing_um: float = spacing
        self.thickness_um: float = thickness
        self.species: tuple[str, ...] = names
        self.dtype: np.dtype = dt
        self.data: np.ndarray = np.zeros((len(names),) + shape, dtype=dt)
        self._index = {name: i for i, name in enumerate(names)}

    # ----------------------------------------------------------------- geometry
    @property
    def n_species(self) -> int:
        return len(self.species)

    @property
    def n_voxels(self) -> int:
        return int(np.prod(self.shape))

    @property
    def voxel_volume_um3(self) -> float:
        return self.spacing_um * self.spacing_um * self.thickness_um

    @property
    def extent_um(self) -> tuple[float, float]:
        """(height_um, width_um) = (ny*dx, nx*dx)."""
        return tuple(n * self.spacing_um for n in self.shape)  # type: ignore[return-value]

    def centres_um(self, axis: str) -> np.ndarray:
        """Voxel-centre coordinates along ``axis`` ("x" or "y"): (i + 0.5) * dx."""
        n = self.shape[self._axis(axis)]
        return (np.arange(n) + 0.5) * self.spacing_um

    def _axis(self, axis: str) -> int:
        try:
            return self.axes.index(axis)
        except ValueError:
            raise KeyError(f"unknown axis {axis!r}; axes are {self.axes}") from None

    # ------------------------------------------------------------------ species
    def index(self, name: str) -> int:
        try:
            return self._index[name]
        except KeyError:
            raise KeyError(f"unknown species {name!r}; known species: {list(self.species)}") from None

    def field(self, name: str) -> np.ndarray:
        """The field of one species: a (ny, nx) view into ``data`` (writes go through)."""
        return self.data[self.index(name)]

    def total(self, name: str) -> float:
        """Amount of one species in the domain: sum of the field x voxel volume (float64)."""
        return float(np.sum(self.field(name), dtype=np.float64)) * self.voxel_volume_um3

    # ----------------------------------------------------------------- voxels
    def voxel_index(self, x_um: np.ndarray, y_um: np.ndarray) -> np.ndarray:
        """Flat voxel index ``iy*nx + ix`` (int64) of points, clipped to the domain.

        Voxel ``(iy, ix)`` covers ``[ix*dx, (ix+1)*dx)`` in x (same in y); points outside the
        domain map to the nearest edge voxel.  NaN positions raise ``ValueError``.
        """
        x = np.asarray(x_um, dtype=np.float64)
        y = np.asarray(y_um, dtype=np.float64)
        if x.shape != y.shape:
            raise ValueError(f"x_um and y_um must have the same shape, got {x.shape} and {y.shape}")
        if np.isnan(x).any() or np.isnan(y).any():
            raise ValueError("voxel_index got NaN positions")
        ny, nx = self.shape
        dx = self.spacing_um
        # divide (correctly rounded, unlike x * (1/dx)), clip in float (also tames +-inf), floor
        ix = np.floor(np.clip(x / dx, 0.0, nx - 1)).astype(np.int64)
        iy = np.floor(np.clip(y / dx, 0.0, ny - 1)).astype(np.int64)
        return iy * nx + ix

    def __repr__(self) -> str:
        return (
            f"Lattice(shape={self.shape}, spacing_um={self.spacing_um}, thickness_um={self.thickness_um}, "
            f"species={list(self.species)}, dtype={self.dtype.name})"
        )
