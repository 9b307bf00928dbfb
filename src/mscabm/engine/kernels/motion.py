"""Cell motion: persistent random walk, chemotaxis and contact mechanics (one Jacobi step).

Rules for one step of length ``dt`` (min), cell ``i`` (all arithmetic in float64):

**Polarity (persistent random walk).**  Only motile cells.  ``q = 1 - exp(-dt / P_i)`` with
``P_i = persistence_min[i]`` (``P_i <= 0`` means ``q = 1``; ``P_i = inf`` means ``q = 0``).  If
``u_turn[i] < q``, or the stored polarity is the zero vector, the polarity becomes
``(cos 2 pi u_angle[i], sin 2 pi u_angle[i])``.  The new polarity is written back into
``px, py`` (each cell touches only its own entries: race-free).

**Migration direction.**  ``e = p``.  If ``chemotaxis_species[i] >= 0`` and the gradient ``g`` of
that field at the cell's voxel is non-zero, ``e = normalize((1 - b) p + b g_hat)`` with
``b = clip(chemotaxis_bias[i], 0, 1)`` and ``g_hat = g / |g|``; if that combination is the zero
vector, ``e = p``.  The gradient is taken by central differences
(``(f[ix+1] - f[ix-1]) / 2``), one-sided at the edges (``f[ix+1] - f[ix]`` or
``f[ix] - f[ix-1]``), zero along an axis with a single voxel.  Voxels are square, so the voxel
spacing cancels out of ``g_hat`` and is not needed.
Active displacement: ``speed[i] * dt * e`` (motile cells only).

**Contact mechanics** (PhysiCell's potentials, gather form, all cells whether motile or not:
``motile`` only switches off active migration; adherent cells are still pushed).
For every listed neighbour ``j`` at distance ``d``, with ``R = r_i + r_j``,
``R_a = s_i r_i + s_j r_j`` (``s = adhesion_scale``), ``c_r = sqrt(rep_i rep_j)``,
``c_a = sqrt(adh_i adh_j)``::

    v_rep = c_r (1 - d/R)^2     if d < R      (um/min, away from j)
    v_adh = c_a (1 - d/R_a)^2   if d < R_a    (um/min, towards j)

The pair's displacement of ``i`` along the unit vector from ``j`` to ``i`` is
``s_ij = (v_rep - v_adh) * dt``, bounded so that a large step can never make cells jump across
each other or overshoot wildly: ``s_ij <= (R - d) / 2`` when pushing (the pair cannot be pushed
past contact by that pair alone) and ``s_ij >= -d / 4`` when pulling (two cells pulled together
close at most half their distance).  The sum of all pair displacements of a cell is then capped
in length at ``r_i / 2``.  For an exactly coincident pair (``d == 0``) the unit vector is
derived from the index pair (``theta = 2 pi frac(0.6180339887498949 * lo + 0.7548776662466927 *
hi)``, ``+`` for the lower index, ``-`` for the higher), so they separate deterministically and
nothing becomes NaN.  Pairs farther apart than both ranges contribute nothing, so a neighbour
list built with a larger ``contact_scale`` than needed is harmless; it must contain every pair
within ``max(R, R_a)`` for the mechanics to be complete.

**Update** (Jacobi): ``x_out = x + active + mechanics`` computed from the old positions only, so
the result does not depend on cell order or thread count.  Positions leaving the domain are
reflected at the wall (and the polarity component normal to that wall flipped), then clamped
into ``[0, width_um] x [0, height_um]``.

Randomness comes only through ``u_turn`` and ``u_angle`` (uniforms in [0, 1) drawn by the
caller from a numpy Generator); the kernel uses no random number generator.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

__all__ = ["Mover", "move_cells", "field_gradient"]

_TWO_PI = 2.0 * math.pi
_PHI1 = 0.6180339887498949  # golden-ratio based low-discrepancy constants for d == 0 pairs
_PHI2 = 0.7548776662466927


@njit(cache=True, nogil=True)
def _gradient(fields, s, v, nx, ny):
    """Gradient (per voxel, unnormalised) of fields[s] at flat voxel v = iy*nx + ix."""
    iy = v // nx
    ix = v - iy * nx
    if nx > 1:
        if ix == 0:
            gx = np.float64(fields[s, iy, 1]) - np.float64(fields[s, iy, 0])
        elif ix == nx - 1:
            gx = np.float64(fields[s, iy, ix]) - np.float64(fields[s, iy, ix - 1])
        else:
            gx = 0.5 * (np.float64(fields[s, iy, ix + 1]) - np.float64(fields[s, iy, ix - 1]))
    else:
        gx = 0.0
    if ny > 1:
        if iy == 0:
            gy = np.float64(fields[s, 1, ix]) - np.float64(fields[s, 0, ix])
        elif iy == ny - 1:
            gy = np.float64(fields[s, iy, ix]) - np.float64(fields[s, iy - 1, ix])
        else:
            gy = 0.5 * (np.float64(fields[s, iy + 1, ix]) - np.float64(fields[s, iy - 1, ix]))
    else:
        gy = 0.0
    return gx, gy


@njit(cache=True, parallel=True, nogil=True)
def _move_kernel(n, x, y, px, py, radius, speed, persistence_min, chemotaxis_bias,
                 chemotaxis_species, motile, voxel_of_cell, fields,
                 offsets, neighbours, rec, u_turn, u_angle, dt, width, height, x_out, y_out):
    """rec: (n, 8) float64 packed per-cell record [x, y, r, repulsion, adhesion, adhesion_scale,
    -, -] so that a neighbour costs one cache line instead of six scattered reads."""
    n_species = fields.shape[0]
    ny = fields.shape[1]
    nx = fields.shape[2]
    for i in prange(n):
        xi = x[i]
        yi = y[i]
        ri = np.float64(radius[i])
        pxi = px[i]
        pyi = py[i]
        ax = 0.0
        ay = 0.0
        # ---------------- active migration ----------------
        if motile[i]:
            P = np.float64(persistence_min[i])
            if P > 0.0:
                q = 1.0 - math.exp(-dt / P)
            else:
                q = 1.0
            if u_turn[i] < q or (pxi == 0.0 and pyi == 0.0):
                th = _TWO_PI * u_angle[i]
                pxi = math.cos(th)
                pyi = math.sin(th)
                px[i] = pxi
                py[i] = pyi
            ex = pxi
            ey = pyi
            sp = chemotaxis_species[i]
            if sp >= 0 and sp < n_species:
                gx, gy = _gradient(fields, sp, voxel_of_cell[i], nx, ny)
                gn = math.sqrt(gx * gx + gy * gy)
                if gn > 0.0 and math.isfinite(gn):
                    b = np.float64(chemotaxis_bias[i])
                    if b < 0.0:
                        b = 0.0
                    elif b > 1.0:
                        b = 1.0
                    cx = (1.0 - b) * pxi + b * (gx / gn)
                    cy = (1.0 - b) * pyi + b * (gy / gn)
                    cn = math.sqrt(cx * cx + cy * cy)
                    if cn > 0.0:
                        ex = cx / cn
                        ey = cy / cn
            step = np.float64(speed[i]) * dt
            ax = step * ex
            ay = step * ey
        # ---------------- contact mechanics (gather) ----------------
        mx = 0.0
        my = 0.0
        rep_i = rec[i, 3]
        adh_i = rec[i, 4]
        sc_i = rec[i, 5]
        for p in range(offsets[i], offsets[i + 1]):
            j = neighbours[p]
            if j == i:
                continue
            rj = rec[j, 2]
            ddx = xi - rec[j, 0]
            ddy = yi - rec[j, 1]
            d = math.sqrt(ddx * ddx + ddy * ddy)
            R = ri + rj
            Ra = sc_i * ri + rec[j, 5] * rj
            v = 0.0
            if d < R:
                t = 1.0 - d / R
                v += math.sqrt(rep_i * rec[j, 3]) * t * t
            if d < Ra:
                t = 1.0 - d / Ra
                v -= math.sqrt(adh_i * rec[j, 4]) * t * t
            if v == 0.0:
                continue
            s = v * dt
            if s > 0.0:
                lim = 0.5 * (R - d)
                if s > lim:
                    s = lim
                if s <= 0.0:
                    continue
            else:
                lim = -0.25 * d
                if s < lim:
                    s = lim
                if s >= 0.0:
                    continue
            if d > 0.0:
                ux = ddx / d
                uy = ddy / d
            else:
                lo = min(i, j)
                hi = max(i, j)
                f = _PHI1 * lo + _PHI2 * hi
                th = _TWO_PI * (f - math.floor(f))
                ux = math.cos(th)
                uy = math.sin(th)
                if i > j:
                    ux = -ux
                    uy = -uy
            mx += s * ux
            my += s * uy
        mn = math.sqrt(mx * mx + my * my)
        cap = 0.5 * ri
        if mn > cap:
            mx *= cap / mn
            my *= cap / mn
        nxp = xi + ax + mx
        nyp = yi + ay + my
        # ---------------- boundaries: reflect, then clamp ----------------
        if nxp < 0.0:
            nxp = -nxp
            if motile[i]:
                px[i] = -px[i]
        elif nxp > width:
            nxp = 2.0 * width - nxp
            if motile[i]:
                px[i] = -px[i]
        if nyp < 0.0:
            nyp = -nyp
            if motile[i]:
                py[i] = -py[i]
        elif nyp > height:
            nyp = 2.0 * height - nyp
            if motile[i]:
                py[i] = -py[i]
        if not (nxp >= 0.0):  # also catches NaN
            nxp = 0.0
        elif nxp > width:
            nxp = width
        if not (nyp >= 0.0):
            nyp = 0.0
        elif nyp > height:
            nyp = height
        x_out[i] = nxp
        y_out[i] = nyp


@njit(cache=True, parallel=True, nogil=True)
def _pack(n, x, y, radius, rep, rep_scalar, adh, adh_scalar, sca, sca_scalar, rec):
    """Fill the packed record; a per-cell array of length 0 means "use the scalar"."""
    for i in prange(n):
        rec[i, 0] = x[i]
        rec[i, 1] = y[i]
        rec[i, 2] = np.float64(radius[i])
        rec[i, 3] = np.float64(rep[i]) if rep.shape[0] > 0 else rep_scalar
        rec[i, 4] = np.float64(adh[i]) if adh.shape[0] > 0 else adh_scalar
        rec[i, 5] = np.float64(sca[i]) if sca.shape[0] > 0 else sca_scalar


_EMPTY = np.empty(0, dtype=np.float64)


def _arr_or_scalar(v, n, name):
    if np.ndim(v) == 0:
        return _EMPTY, float(v)
    a = np.asarray(v)
    if a.ndim != 1 or a.shape[0] < n:
        raise ValueError(f"{name}: per-cell array needs >= {n} rows")
    return a, 0.0


def _same_rows(out: np.ndarray, a: np.ndarray) -> bool:
    """Whether ``out`` is ``a`` itself (same first element and stride): an in-place update, which the
    Jacobi rule allows since the kernel reads a cell's own old position once, first, and every neighbour's from
    the packed record filled before it runs."""
    return (out.ndim == a.ndim == 1 and out.dtype == a.dtype and out.strides == a.strides
            and out.__array_interface__["data"][0] == a.__array_interface__["data"][0])


def _aligned_rows(rows: int) -> np.ndarray:
    """An (rows, 8) float64 array whose rows start on 64-byte boundaries (one cache line)."""
    raw = np.empty(rows * 8 + 8, dtype=np.float64)
    off = (-raw.ctypes.data % 64) // 8
    return raw[off : off + rows * 8].reshape(rows, 8)


class Mover:
    """Keeps the packed per-cell buffer of :func:`move_cells` between steps (grown
    geometrically), so a simulation loop allocates nothing.  ``Mover().move(...)`` takes exactly
    the arguments of :func:`move_cells`."""

    def __init__(self):
        self._rec = _aligned_rows(0)

    def move(self, x, y, px, py, radius, speed, persistence_min, chemotaxis_bias,
             chemotaxis_species, motile, voxel_of_cell, fields, offsets, neighbours,
             repulsion_um_per_min, adhesion_um_per_min, adhesion_scale, u_turn, u_angle, dt_min,
             width_um, height_um, x_out, y_out, n: int | None = None) -> None:
        if n is None:
            n = len(x)
        n = int(n)
        if n == 0:
            return
        for name, a in (("x", x), ("y", y), ("px", px), ("py", py), ("radius", radius),
                        ("speed", speed), ("persistence_min", persistence_min),
                        ("chemotaxis_bias", chemotaxis_bias),
                        ("chemotaxis_species", chemotaxis_species), ("motile", motile),
                        ("voxel_of_cell", voxel_of_cell), ("u_turn", u_turn),
                        ("u_angle", u_angle), ("x_out", x_out), ("y_out", y_out)):
            if len(a) < n:
                raise ValueError(f"{name} has {len(a)} rows, need >= {n}")
        in_place = _same_rows(x_out, x) and _same_rows(y_out, y)
        if (in_place and np.shares_memory(x, y)) or (not in_place and (
                np.shares_memory(x_out, x) or np.shares_memory(y_out, y) or
                np.shares_memory(x_out, y) or np.shares_memory(y_out, x))):
            raise ValueError("x_out/y_out must be x/y themselves (in place, x and y apart) or not overlap them")
        fields = np.asarray(fields)
        if fields.ndim != 3:
            raise ValueError("fields must have shape (n_species, ny, nx)")
        if fields.shape[0] == 0:
            fields = np.zeros((1, 1, 1), dtype=np.float64)
        if len(offsets) < n + 1:
            raise ValueError("offsets must have n+1 entries")
        vox = voxel_of_cell[:n]
        if vox.min() < 0 or vox.max() >= fields.shape[1] * fields.shape[2]:
            raise ValueError("voxel_of_cell out of range for fields")
        rep, rep_s = _arr_or_scalar(repulsion_um_per_min, n, "repulsion_um_per_min")
        adh, adh_s = _arr_or_scalar(adhesion_um_per_min, n, "adhesion_um_per_min")
        sca, sca_s = _arr_or_scalar(adhesion_scale, n, "adhesion_scale")
        if self._rec.shape[0] < n:
            self._rec = _aligned_rows(max(n, int(self._rec.shape[0] * 1.5) + 16))
        rec = self._rec
        _pack(n, x, y, radius, rep, rep_s, adh, adh_s, sca, sca_s, rec)
        _move_kernel(n, x, y, px, py, radius, speed, persistence_min, chemotaxis_bias,
                     chemotaxis_species, motile, voxel_of_cell, fields, offsets, neighbours,
                     rec, u_turn, u_angle, float(dt_min), float(width_um), float(height_um),
                     x_out, y_out)


def move_cells(x, y, px, py, radius, speed, persistence_min, chemotaxis_bias, chemotaxis_species,
               motile, voxel_of_cell, fields, offsets, neighbours, repulsion_um_per_min,
               adhesion_um_per_min, adhesion_scale, u_turn, u_angle, dt_min, width_um, height_um,
               x_out, y_out, n: int | None = None) -> None:
    """Advance cell positions by one step (see the module docstring for the exact rules).

    Convenience form that allocates its work buffer; in a loop use :class:`Mover` (same
    arguments).  Per-cell arrays have at least ``n`` rows (the live rows ``0..n-1``; extra
    capacity is ignored).

    Parameters
    ----------
    x, y : float64 (n,), um
        Old positions (read only).
    px, py : float64 (n,)
        Unit polarity of the random walk, updated **in place** (turns and wall reflections).
        A zero vector is replaced by a random direction on the cell's next motile step.
    radius : float32/float64 (n,), um
    speed : float (n,), um/min
        Active migration speed.
    persistence_min : float (n,), min
        Mean time between random turns (<= 0: turn every step; inf: never).
    chemotaxis_bias : float (n,), dimensionless in [0, 1] (clipped)
        Weight of the unit gradient against the polarity.
    chemotaxis_species : int (n,)
        Field species followed by the cell, -1 for none (out-of-range also means none).
    motile : bool (n,)
        Active migration on/off.  Non-motile cells are still moved by contact mechanics.
    voxel_of_cell : int64 (n,)
        Flat voxel index ``iy * nx + ix`` of each cell (for the chemotactic gradient).
    fields : float32/float64 (n_species, ny, nx)
        Field values (units irrelevant: only the gradient direction is used).
    offsets, neighbours : int64 CSR contact list (from ContactFinder.find), symmetric, containing
        every pair within the repulsion and adhesion ranges.
    repulsion_um_per_min : float (n,) or scalar, um/min
        PhysiCell cell-cell repulsion strength; pair strength ``sqrt(c_i c_j)``.
    adhesion_um_per_min : float (n,) or scalar, um/min
        PhysiCell cell-cell adhesion strength; pair strength ``sqrt(c_i c_j)``.
    adhesion_scale : float (n,) or scalar, dimensionless (>= 0)
        Relative maximum adhesion distance; pair range ``s_i r_i + s_j r_j``.
    u_turn, u_angle : float64 (n,), uniforms in [0, 1)
        Per-cell random numbers for this step (drawn by the caller).
    dt_min : float, min
    width_um, height_um : float, um
        Domain size.
    x_out, y_out : float64 (n,), um
        New positions: ``x`` and ``y`` themselves (an in-place update, same result: neighbours are read from a
        packed copy made before the update), or arrays not overlapping them.
    n : int, optional
        Number of live rows (default ``len(x)``).
    """
    Mover().move(x, y, px, py, radius, speed, persistence_min, chemotaxis_bias,
                 chemotaxis_species, motile, voxel_of_cell, fields, offsets, neighbours,
                 repulsion_um_per_min, adhesion_um_per_min, adhesion_scale, u_turn, u_angle,
                 dt_min, width_um, height_um, x_out, y_out, n)


@njit(cache=True, parallel=True, nogil=True)
def _gradient_kernel(fields, species, voxel_of_cell, n, gx_out, gy_out):
    ny = fields.shape[1]
    nx = fields.shape[2]
    for i in prange(n):
        gx, gy = _gradient(fields, species, voxel_of_cell[i], nx, ny)
        gx_out[i] = gx
        gy_out[i] = gy


def field_gradient(fields, species: int, voxel_of_cell, n: int, dx_um: float = 1.0):
    """Gradient of ``fields[species]`` at each cell's voxel (central differences, one-sided at
    the edges), in field units per um.  Returns (gx, gy) float64 (n,) arrays."""
    gx = np.empty(n, dtype=np.float64)
    gy = np.empty(n, dtype=np.float64)
    if n > 0:
        _gradient_kernel(fields, int(species), voxel_of_cell, int(n), gx, gy)
        gx /= dx_um
        gy /= dx_um
    return gx, gy
