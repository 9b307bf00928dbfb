"""Where cells and local doses land in the domain (geometry only; random numbers from the caller).

Placements (``cells.<T>.placement``, ``interventions.infusions[].placement``, ``doses[].placement``):

- ``uniform``: anywhere, a cell's radius inside the domain's sides;
- ``centre``: a local injection, normal around the centre with a spread of 10% of the domain's smaller
  side (cells), or a disc of that radius (doses).
"""

from __future__ import annotations

import numpy as np

__all__ = ["CENTRE_SPREAD", "centre_disc", "placement_positions"]

#: spread of a central placement, as a fraction of the domain's smaller side
CENTRE_SPREAD = 0.1


def placement_positions(rng: np.random.Generator, placement: str, count: int, width_um: float, height_um: float,
                        radius_um: float) -> tuple[np.ndarray, np.ndarray]:
    """``count`` cell centres (x, y), float64 arrays in um, drawn from ``rng`` for a placement."""
    w, h, r = width_um, height_um, radius_um
    if placement == "centre":
        spread = CENTRE_SPREAD * min(w, h)
        x = np.clip(rng.normal(w / 2, spread, count), r, w - r)
        y = np.clip(rng.normal(h / 2, spread, count), r, h - r)
    else:
        x = rng.uniform(min(r, w / 2), max(w - r, w / 2), count)
        y = rng.uniform(min(r, h / 2), max(h - r, h / 2), count)
    return x, y


def centre_disc(shape: tuple[int, int], spacing_um: float, width_um: float, height_um: float) -> np.ndarray:
    """Bool (ny, nx) mask of the voxels whose centres lie in the central disc of radius
    ``CENTRE_SPREAD`` x the domain's smaller side (a local dose)."""
    ny, nx = shape
    yy, xx = np.mgrid[0:ny, 0:nx]
    r2 = ((xx + 0.5) * spacing_um - width_um / 2) ** 2 + ((yy + 0.5) * spacing_um - height_um / 2) ** 2
    return r2 <= (CENTRE_SPREAD * min(width_um, height_um)) ** 2
