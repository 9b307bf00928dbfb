"""Cells <-> voxels: secretion, saturation, uptake and net export (BioFVM's implicit formula),
and sampling of the fields at the cells.  Race-free and deterministic.

For a cell on voxel ``v`` and species ``s`` (BioFVM / PhysiCell, one backward-Euler step)::

    r = V_cell / V_voxel
    rho_new = (rho + dt * (r * S * rho_sat + E / V_voxel)) / (1 + dt * r * (S + U))

with ``S`` secretion rate (1/min), ``rho_sat`` saturation density (field units), ``U`` uptake
rate (1/min), ``E`` net export (field units * um^3 / min).  ``S``, ``U`` and ``rho_sat`` are
clipped at 0, and ``rho_new`` at 0 (only a negative ``E`` could otherwise go below zero), so a
voxel never becomes negative, and with ``E = 0`` secretion never overshoots ``rho_sat``: for
``U = 0``, ``rho_new`` is a convex combination of ``rho`` and ``rho_sat``; uptake only lowers it.

Determinism: the active cells are counting-sorted by voxel (stable, so ascending row inside a
voxel); voxels are processed in parallel, and the cells of one voxel one after another in
ascending row order.  Each thread writes only its own voxels and its own cells' rows.

The amount returned per cell is computed from the values actually stored in the field (after
rounding to the field's dtype), so ``sum_v (rho_after - rho_before) * V_voxel`` equals the sum of
the returned amounts up to float64 rounding, even for float32 fields.

Enzymes (:meth:`FieldExchange.convert`, after the exchange, on the same voxel order): a cell with
maximal rate ``Vmax`` (amount / min) turns substrate ``S`` into product at the Michaelis-Menten
rate ``Vmax S / (Km + S)``, one product per substrate. Over a step the rate constant is taken at the
step's start and the substrate updated implicitly,

    S_new = S / (1 + dt Vmax / (V_voxel (Km + S))),

so ``S_new`` is never negative, the flux is first order (``Vmax / Km``) at low ``S`` and tends to
``Vmax`` at high ``S``; the product gains exactly what the substrate lost (computed from the stored,
rounded substrate value), so substrate + product is conserved up to the product's rounding.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from mscabm.engine.kernels.sorting import counting_sort

__all__ = ["FieldExchange", "sample_fields", "voxel_indices"]


@njit(cache=True, inline="always")
def _exchange_cell(flat, s, v, i, behaviours, cs, cq, cu, ce, cell_volume, voxel_volume, dt, out, oc):
    """Cell ``i``'s implicit exchange of species ``s`` with its voxel ``v`` (module docstring), in place on
    ``flat[s, v]`` and, where ``oc >= 0``, ``out[i, oc]``; a cell with no secretion, uptake or export leaves both
    alone."""
    S = np.float64(behaviours[i, cs]) if cs >= 0 else 0.0
    Q = np.float64(behaviours[i, cq]) if cq >= 0 else 0.0
    U = np.float64(behaviours[i, cu]) if cu >= 0 else 0.0
    E = np.float64(behaviours[i, ce]) if ce >= 0 else 0.0
    if not (S > 0.0):
        S = 0.0
    if not (Q > 0.0):
        Q = 0.0
    if not (U > 0.0):
        U = 0.0
    if S == 0.0 and U == 0.0 and E == 0.0:
        return
    rho = np.float64(flat[s, v])
    r = np.float64(cell_volume[i]) / voxel_volume
    new = (rho + dt * (r * S * Q + E / voxel_volume)) / (1.0 + dt * r * (S + U))
    if not (new > 0.0):
        new = 0.0
    flat[s, v] = new
    if oc >= 0:
        out[i, oc] = (np.float64(flat[s, v]) - rho) * voxel_volume  # from the stored value, rounded to its dtype


@njit(cache=True, parallel=True, nogil=True)
def _exchange_kernel(flat, n, n_voxels, start, order, behaviours, sec_col, sat_col, upt_col,
                     exp_col, cell_volume, voxel_volume, dt, out_col, out):
    n_species = flat.shape[0]
    # zero the rows of all cells (inactive cells exchange nothing)
    for i in prange(n):
        for c in range(out.shape[1]):
            out[i, c] = 0.0
    for v in prange(n_voxels):
        for s in range(n_species):
            for k in range(start[v], start[v + 1]):  # the voxel's cells in ascending row order
                _exchange_cell(flat, s, v, order[k], behaviours, sec_col[s], sat_col[s], upt_col[s], exp_col[s],
                               cell_volume, voxel_volume, dt, out, out_col[s])


@njit(cache=True, parallel=True, nogil=True)
def _exchange_listed_kernel(flat, n, n_voxels, start, order, behaviours, sec_col, sat_col, upt_col, exp_col,
                            cell_kind, species_ptr, species, cell_volume, voxel_volume, dt, out_col, out):
    """As :func:`_exchange_kernel`, visiting for each cell only the species listed for its kind
    (``species[species_ptr[c]:species_ptr[c + 1]]``). Each species still sees the cells of a voxel in
    ascending row order, so the result is the dense kernel's to the bit when the lists hold every species a
    cell of that kind can exchange."""
    for i in prange(n):
        for c in range(out.shape[1]):
            out[i, c] = 0.0
    for v in prange(n_voxels):
        for k in range(start[v], start[v + 1]):
            i = order[k]
            c = cell_kind[i]
            for j in range(species_ptr[c], species_ptr[c + 1]):
                s = species[j]
                _exchange_cell(flat, s, v, i, behaviours, sec_col[s], sat_col[s], upt_col[s], exp_col[s],
                               cell_volume, voxel_volume, dt, out, out_col[s])


@njit(cache=True, parallel=True, nogil=True)
def _convert_kernel(flat, n_voxels, start, order, behaviours, vmax_col, substrate, product, km, yield_, voxel_volume,
                    dt, out, record):
    n_enzymes = vmax_col.shape[0]
    for k in range(start[n_voxels] if record else 0):
        for e in range(n_enzymes):
            out[order[k], e] = 0.0
    for v in prange(n_voxels):
        a = start[v]
        b = start[v + 1]
        if a == b:
            continue
        for e in range(n_enzymes):
            sub = substrate[e]
            prod = product[e]
            col = vmax_col[e]
            s = np.float64(flat[sub, v])
            for k in range(a, b):
                i = order[k]
                vmax = np.float64(behaviours[i, col])
                if not (vmax > 0.0) or not (s > 0.0):
                    continue
                new = s / (1.0 + dt * vmax / (voxel_volume * (km[e] + s)))
                flat[sub, v] = new
                stored = np.float64(flat[sub, v])
                used = s - stored
                flat[prod, v] = np.float64(flat[prod, v]) + used * yield_[e]
                if record:
                    out[i, e] = used * voxel_volume
                s = stored


@njit(cache=True, parallel=True, nogil=True)
def _sample_columns_kernel(flat, voxel_of_cell, n, columns, out):
    n_species = flat.shape[0]
    for i in prange(n):
        v = voxel_of_cell[i]
        for s in range(n_species):
            c = columns[s]
            if c >= 0:
                out[i, c] = flat[s, v]


@njit(cache=True, parallel=True, nogil=True)
def _voxel_kernel(x, y, n, dx, nx, ny, out):
    for i in prange(n):
        fx = x[i] / dx
        fy = y[i] / dx
        ix = 0
        iy = 0
        if fx >= nx:
            ix = nx - 1
        elif fx > 0.0:
            ix = min(int(fx), nx - 1)
        if fy >= ny:
            iy = ny - 1
        elif fy > 0.0:
            iy = min(int(fy), ny - 1)
        out[i] = iy * nx + ix


def _flat(data: np.ndarray) -> np.ndarray:
    if data.ndim != 3:
        raise ValueError("data must have shape (n_species, ny, nx)")
    if not data.flags.c_contiguous:
        raise ValueError("data must be C-contiguous (it is updated in place)")
    return data.reshape(data.shape[0], data.shape[1] * data.shape[2])


def _cols(c, n_species: int) -> np.ndarray:
    a = np.asarray(c, dtype=np.int64).reshape(-1)
    if a.shape[0] != n_species:
        raise ValueError(f"column index arrays need one entry per species ({n_species})")
    return a


class FieldExchange:
    """Secretion/uptake of all cells into/from their voxels (BioFVM implicit formula).

    Keeps its sort buffers and its output buffer between calls (grown geometrically).

    Parameters
    ----------
    n_voxels : int
        ``ny * nx`` of the fields this instance will update.
    start : int64 (n_voxels + 1,), optional
        Buffer for the voxel sort's bin starts, e.g. the one the caller uses for its own counting sorts by voxel
        (the model's spatial order: one lattice-sized array instead of two). The sort is needed only from
        :meth:`apply` to the :meth:`convert` that reuses it; the caller must not write it in between.
    """

    def __init__(self, n_voxels: int, start: np.ndarray | None = None):
        n_voxels = int(n_voxels)
        if n_voxels <= 0:
            raise ValueError("n_voxels must be > 0")
        self.n_voxels = n_voxels
        if start is None:
            start = np.empty(n_voxels + 1, dtype=np.int64)
        elif start.dtype != np.int64 or start.shape != (n_voxels + 1,) or not start.flags.c_contiguous:
            raise ValueError(f"start must be a contiguous int64 array of {n_voxels + 1} entries")
        self._start = start
        self._order = np.empty(0, dtype=np.int64)
        self._out = np.empty((0, 0), dtype=np.float64)
        self._sorted_n = 0  # cells sorted by the last apply (convert reuses the sort)

    def apply(self, data, voxel_of_cell, n, behaviours, secretion_col, saturation_col, uptake_col,
              export_col, cell_volume_um3, voxel_volume_um3, dt_min, active, species_by_kind=None,
              recorded=None) -> np.ndarray:
        """Exchange one step between the cells ``0..n-1`` and the fields, in place on ``data``.

        Parameters
        ----------
        data : float32/float64 C-contiguous (n_species, ny, nx), field units
            Updated in place.
        voxel_of_cell : int64 (>= n,)
            Flat voxel ``iy * nx + ix`` of each cell, in ``[0, n_voxels)``.
        n : int
            Number of live rows.
        behaviours : float32/float64 (>= n, n_behaviours)
            Per-cell rates; the columns below index into it.
        secretion_col, saturation_col, uptake_col, export_col : int (n_species,)
            Column of ``behaviours`` holding, for each species, the secretion rate (1/min), the
            saturation density (field units), the uptake rate (1/min) and the net export
            (field units * um^3 / min); -1 means none (0).
        cell_volume_um3 : float (>= n,) or scalar, um^3
        voxel_volume_um3 : float, um^3
        dt_min : float, min
        active : bool (>= n,)
            Cells that exchange (dead/apoptotic cells: False).
        species_by_kind : optional ``(cell_kind, species_ptr, species)``
            Sparse exchange: ``cell_kind`` int (>= n,) in ``[0, K)``, and for each kind the species its
            cells can exchange, ``species[species_ptr[c]:species_ptr[c + 1]]`` (int64 CSR, ``species_ptr``
            (K + 1,)). Only those (cell, species) pairs are visited; the result equals the dense
            exchange's bit for bit when every species a cell could exchange is listed. None: every species.
        recorded : optional int sequence
            The species whose amounts are returned (column ``k`` for ``recorded[k]``); None: every species.
            The fields change the same either way; recording only what a caller reads keeps the (n, k) float64
            result small (at 10^6 cells, all 26 species of the default biology would take 208 B per cell).

        Returns
        -------
        float64 (n, n_recorded): net amount released into each recorded species' field by each cell
        (field units * um^3; negative = taken up).  A view into an internal buffer valid until
        the next call.
        """
        n = int(n)
        self._sorted_n = 0
        flat = _flat(data)
        n_species = flat.shape[0]
        if flat.shape[1] != self.n_voxels:
            raise ValueError(f"data has {flat.shape[1]} voxels, this exchanger {self.n_voxels}")
        sec = _cols(secretion_col, n_species)
        sat = _cols(saturation_col, n_species)
        upt = _cols(uptake_col, n_species)
        exp_ = _cols(export_col, n_species)
        if behaviours.ndim != 2:
            raise ValueError("behaviours must be 2-D (n_cells, n_behaviours)")
        if len(voxel_of_cell) < n or len(active) < n or behaviours.shape[0] < n:
            raise ValueError("voxel_of_cell, active and behaviours need >= n rows")
        nb = behaviours.shape[1]
        for c in (sec, sat, upt, exp_):
            if c.size and (c.max() >= nb or c.min() < -1):
                raise ValueError(f"behaviour column index out of range [-1, {nb})")
        vv = float(voxel_volume_um3)
        if not (math.isfinite(vv) and vv > 0.0):
            raise ValueError("voxel_volume_um3 must be finite and > 0")
        dt = float(dt_min)
        if not (math.isfinite(dt) and dt >= 0.0):
            raise ValueError("dt_min must be finite and >= 0")
        if np.ndim(cell_volume_um3) == 0:
            cell_volume = np.full(max(n, 1), float(cell_volume_um3))
        else:
            cell_volume = cell_volume_um3
            if len(cell_volume) < n:
                raise ValueError("cell_volume_um3 needs >= n rows")
        rec = np.arange(n_species, dtype=np.int64) if recorded is None else np.asarray(recorded, np.int64).reshape(-1)
        if len(rec) and (rec.min() < 0 or rec.max() >= n_species or len(np.unique(rec)) != len(rec)):
            raise ValueError(f"recorded species must be distinct and in [0, {n_species})")
        out_col = np.full(n_species, -1, dtype=np.int64)
        out_col[rec] = np.arange(len(rec))
        if self._out.shape[0] < n or self._out.shape[1] != len(rec):
            cap = max(n, int(self._out.shape[0] * 1.5) + 16)
            self._out = np.empty((cap, len(rec)), dtype=np.float64)
        out = self._out
        if n == 0 or n_species == 0:
            return out[:n]
        vox = voxel_of_cell[:n]
        if vox.min() < 0 or vox.max() >= self.n_voxels:
            raise ValueError("voxel_of_cell out of range")
        if self._order.shape[0] < n:
            self._order = np.empty(max(n, int(self._order.shape[0] * 1.5) + 16), dtype=np.int64)
        counting_sort(voxel_of_cell, active, n, self.n_voxels, self._start, self._order)
        self._sorted_n = n
        if species_by_kind is None:
            _exchange_kernel(flat, n, self.n_voxels, self._start, self._order, behaviours, sec, sat,
                             upt, exp_, cell_volume, vv, dt, out_col, out)
            return out[:n]
        kind, ptr, listed = (np.asarray(a) for a in species_by_kind)
        if len(kind) < n or ptr.ndim != 1 or len(ptr) < 1 or ptr[0] != 0 or ptr[-1] != len(listed) \
                or (np.diff(ptr) < 0).any():
            raise ValueError("species_by_kind: cell_kind needs >= n rows and species_ptr must be a CSR offset array")
        if n and (kind[:n].min() < 0 or kind[:n].max() >= len(ptr) - 1):
            raise ValueError("species_by_kind: cell_kind out of range")
        if len(listed) and (listed.min() < 0 or listed.max() >= n_species):
            raise ValueError("species_by_kind: species out of range")
        _exchange_listed_kernel(flat, n, self.n_voxels, self._start, self._order, behaviours, sec, sat, upt, exp_,
                                kind, ptr.astype(np.int64), listed.astype(np.int64), cell_volume, vv, dt, out_col,
                                out)
        return out[:n]

    def convert(self, data, behaviours, vmax_col, substrate, product, km, yield_, voxel_volume_um3,
                dt_min, record: bool = True) -> np.ndarray:
        """Enzyme turnover (module docstring) in the cells of the last :meth:`apply`, in place on ``data``.

        Parameters
        ----------
        data : float32/float64 C-contiguous (n_species, ny, nx), field units
        behaviours : (>= n, n_behaviours); ``vmax_col[e]`` holds enzyme ``e``'s maximal rate
            (substrate units * um^3 / min).
        vmax_col, substrate, product : int (n_enzymes,)
            Behaviour column, substrate species and product species of each enzyme.
        km : float64 (n_enzymes,)
            Michaelis constant, substrate units.
        yield_ : float64 (n_enzymes,)
            Product amount per substrate amount (1 when both use one unit).
        voxel_volume_um3, dt_min : float
        record : bool
            Return what each cell converted; False: the fields change the same, and nothing per cell is kept
            (an (n, n_enzymes) float64 array less at each step).

        Returns
        -------
        float64 (n, n_enzymes): substrate amount each cell converted (units * um^3); a view valid
        until the next call. (0, n_enzymes) when not recorded.
        """
        flat = _flat(data)
        cols = np.asarray(vmax_col, dtype=np.int64)
        sub = np.asarray(substrate, dtype=np.int64)
        prod = np.asarray(product, dtype=np.int64)
        km_ = np.asarray(km, dtype=np.float64)
        yl = np.asarray(yield_, dtype=np.float64)
        ne = len(cols)
        if not (len(sub) == len(prod) == len(km_) == len(yl) == ne):
            raise ValueError("vmax_col, substrate, product, km and yield_ need one entry per enzyme")
        if ne and (min(sub.min(), prod.min()) < 0 or max(sub.max(), prod.max()) >= flat.shape[0]):
            raise ValueError("substrate/product species out of range")
        if ne and (cols.min() < 0 or cols.max() >= behaviours.shape[1]):
            raise ValueError("vmax column out of range")
        if ne and not (km_ > 0).all():
            raise ValueError("km must be > 0")
        n = self._sorted_n
        conv = np.zeros((max(n, 1) if record else 1, max(ne, 1)), dtype=np.float64)
        if n == 0 or ne == 0:
            return conv[:n if record else 0, :ne]
        _convert_kernel(flat, self.n_voxels, self._start, self._order, behaviours, cols, sub, prod, km_, yl,
                        float(voxel_volume_um3), float(dt_min), conv, record)
        return conv[:n if record else 0, :ne]


def sample_fields(data, voxel_of_cell, n, out, columns=None) -> None:
    """``out[i, s] = data[s, iy, ix]`` of each cell's voxel (``voxel_of_cell[i] = iy*nx + ix``).

    data : (n_species, ny, nx) float32/float64, C-contiguous; out : (>= n, n_species) float32 (or
    float64). ``columns``: optional int (n_species,), write species ``s`` to ``out[i, columns[s]]`` instead,
    skipping the species with -1 (``out`` then needs ``max(columns) + 1`` columns at least).
    """
    n = int(n)
    if n == 0:
        return
    flat = _flat(data)
    if columns is None:  # species s into column s
        if out.shape[0] < n or out.shape[1] != flat.shape[0]:
            raise ValueError("out must have shape (>= n, n_species)")
        columns = np.arange(flat.shape[0], dtype=np.int64)
    columns = np.asarray(columns, dtype=np.int64)
    if columns.shape != (flat.shape[0],) or columns.min(initial=-1) < -1:
        raise ValueError("columns needs one entry >= -1 per species")
    if out.shape[0] < n or out.shape[1] <= columns.max(initial=-1):
        raise ValueError("out needs >= n rows and a column for every mapped species")
    if columns.max(initial=-1) >= 0:
        _sample_columns_kernel(flat, voxel_of_cell, n, columns, out)


def voxel_indices(x, y, n, dx_um: float, nx: int, ny: int, out=None) -> np.ndarray:
    """Flat voxel index ``iy * nx + ix`` (int64) of each cell, ``ix = floor(x / dx)`` clamped into
    ``[0, nx-1]`` (so ``x == width`` falls in the last voxel), likewise ``iy``."""
    n = int(n)
    if out is None:
        out = np.empty(n, dtype=np.int64)
    if n > 0:
        _voxel_kernel(x, y, n, float(dx_um), int(nx), int(ny), out)
    return out[:n]
