"""Cell-cell contact detection: a uniform-grid cell list and a CSR neighbour list.

Cells ``i != j`` are *in contact* when::

    dx = x[j] - x[i];  dy = y[j] - y[i];  c = contact_scale * (r_i + r_j)
    dx*dx + dy*dy <= c*c            (all in float64)

The exact expression matters: the brute-force reference (:func:`brute_force_pairs`) evaluates the
same float64 operations, so the two pair sets are identical bit for bit, not just "within
rounding".  The expression is symmetric in ``i`` and ``j`` (IEEE addition is commutative and
``(-a)*(-a) == a*a``), so the neighbour list is symmetric.

Algorithm (:class:`ContactFinder`):

1. choose square-ish bins of side ``>= cutoff = contact_scale * 2 * max(r)`` (plus a small
   safety margin against rounding) covering the domain ``[0, width] x [0, height]``; the number
   of bins is capped at a few per cell so that sparse configurations do not allocate huge grids;
   positions outside the domain are clamped into the edge bins (still exact);
2. counting sort of the cells into the bins (stable: ascending row within a bin) and gather the
   positions and radii into bin order (contiguous memory for the pair loop);
3. pass 1 (``prange`` over cells, in bin order): count the neighbours of each cell over its 3x3
   bins (row-major bin numbering makes each stencil row one contiguous range of sorted cells),
   and keep a 64-bit mask of which of its first 64 candidates touch it;
4. exclusive prefix sum -> CSR offsets (the counts are written where the offsets go, summed in place);
5. pass 2 (``prange`` over cells): write each cell's neighbours into its own CSR segment (the
   masked candidates, no distance computed again; a cell with more than 64 candidates is
   rescanned) and sort the segment ascending (insertion sort; segments are short).

Every write in the parallel passes goes to a location owned by one cell, so the output is
identical for any ``NUMBA_NUM_THREADS``.  No biology here: cells are rows, radii are numbers.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from mscabm.engine.kernels.sorting import counting_sort

__all__ = [
    "ContactFinder",
    "count_contacts_by_type",
    "sum_contact_levels",
    "brute_force_pairs",
    "csr_to_pairs",
]

# Relative safety margin on the bin side: rounding in the bin index computation and in the
# coordinate differences can never move a contacting pair two bins apart.
_BIN_MARGIN = 1e-6
# At most this many bins per cell (plus a constant): bounds memory for sparse configurations.
_MAX_BINS_PER_CELL = 2
_MIN_MAX_BINS = 64


def _grow(buf: np.ndarray, needed: int) -> np.ndarray:
    """Return ``buf`` if it holds ``needed`` items, else a larger (geometric) empty buffer."""
    if buf.shape[0] >= needed:
        return buf
    cap = max(needed, int(buf.shape[0] * 1.5) + 16)
    return np.empty(cap, dtype=buf.dtype)


# ----------------------------------------------------------------------------------------------
# kernels
# ----------------------------------------------------------------------------------------------
@njit(cache=True, nogil=True)
def _max_radius(radius, n):
    """Largest radius, or NaN if any radius is negative or not finite."""
    m = 0.0
    for i in range(n):
        r = np.float64(radius[i])
        if not (r >= 0.0 and math.isfinite(r)):
            return np.nan
        if r > m:
            m = r
    return m


@njit(cache=True, nogil=True)
def _all_finite(x, y, n):
    for i in range(n):
        if not (math.isfinite(x[i]) and math.isfinite(y[i])):
            return False
    return True


@njit(cache=True, parallel=True, nogil=True)
def _bin_cells(x, y, n, inv_side_x, inv_side_y, nbx, nby, bin_of_cell):
    """bin_of_cell[i] = by*nbx + bx, with bx, by clamped into the grid (NaN -> bin 0)."""
    for i in prange(n):
        fx = x[i] * inv_side_x
        fy = y[i] * inv_side_y
        bx = 0
        by = 0
        if fx >= nbx:
            bx = nbx - 1
        elif fx > 0.0:  # False for NaN and negatives
            bx = int(fx)
            if bx >= nbx:
                bx = nbx - 1
        if fy >= nby:
            by = nby - 1
        elif fy > 0.0:
            by = int(fy)
            if by >= nby:
                by = nby - 1
        bin_of_cell[i] = by * nbx + bx


@njit(cache=True, parallel=True, nogil=True)
def _gather_sorted(x, y, radius, order, n, xs, ys, rs):
    for k in prange(n):
        i = order[k]
        xs[k] = x[i]
        ys[k] = y[i]
        rs[k] = np.float64(radius[i])


#: candidates (cells of a stencil, in the pair loop's order) a hit mask can hold; a cell with more is rescanned
MASK_CANDIDATES = 64
#: hit mask of a cell with more than MASK_CANDIDATES candidates (never a real mask: the cell itself is always one
#: of its first 64 candidates then, and its own bit is never set)
_RESCAN = np.uint64(0xFFFFFFFFFFFFFFFF)


@njit(cache=True, inline="always")
def _stencil(b, nbx, nby):
    """Bin rows ``y0..y1-1`` and columns ``bx0..bx1`` around bin ``b`` (clipped to the grid)."""
    by = b // nbx
    bx = b - by * nbx
    return max(by - 1, 0), min(by + 2, nby), max(bx - 1, 0), min(bx + 1, nbx - 1)


@njit(cache=True, inline="always")
def _touching(xs, ys, rs, kk, xi, yi, ri, scale):
    """Whether sorted cell ``kk`` touches the cell at ``(xi, yi)`` of radius ``ri`` (module docstring)."""
    ddx = xs[kk] - xi
    ddy = ys[kk] - yi
    cut = scale * (ri + rs[kk])
    return ddx * ddx + ddy * ddy <= cut * cut


@njit(cache=True, parallel=True, nogil=True)
def _count_pass(xs, ys, rs, order, bin_of_cell, n, nbx, nby, bin_start, scale, counts, hits):
    """counts[i] = number of contacts of row i (pass 1), and hits[k] = which of the cell's first 64 candidates
    touch it (bit c: the c-th candidate of the pair loop, the cell itself excluded), or _RESCAN. Iterates in bin
    order for locality.

    Bins are numbered row-major, so the three bins (by', bx-1..bx+1) of one stencil row hold a
    contiguous range of the sorted cells: three ranges per cell instead of nine bins.
    """
    for k in prange(n):
        i = order[k]
        xi = xs[k]
        yi = ys[k]
        ri = rs[k]
        y0, y1, bx0, bx1 = _stencil(bin_of_cell[i], nbx, nby)
        c = 0
        idx = 0
        mask = np.uint64(0)
        for row in range(y0, y1):
            base = row * nbx
            for kk in range(bin_start[base + bx0], bin_start[base + bx1 + 1]):
                # _touching written out: calling it here made this hot loop ~40 % slower (measured at 10^6 cells)
                ddx = xs[kk] - xi
                ddy = ys[kk] - yi
                cut = scale * (ri + rs[kk])
                if ddx * ddx + ddy * ddy <= cut * cut:
                    c += 1
                    if idx < MASK_CANDIDATES and kk != k:
                        mask |= np.uint64(1) << np.uint64(idx)
                idx += 1
        counts[i] = c - 1  # the cell itself (distance 0 <= cut, positions finite) counted once
        hits[k] = mask if idx <= MASK_CANDIDATES else _RESCAN


@njit(cache=True, nogil=True)
def _prefix_in_place(offsets, n):
    """``offsets[1:n+1]`` holds each row's count; turn it into the CSR offsets (exclusive prefix sum)."""
    offsets[0] = 0
    s = 0
    for i in range(n):
        s += offsets[i + 1]
        offsets[i + 1] = s
    return s


@njit(cache=True, parallel=True, nogil=True)
def _fill_pass(xs, ys, rs, order, bin_of_cell, n, nbx, nby, bin_start, scale, offsets, hits, neighbours):
    """Pass 2: write each row's neighbours into its CSR segment, sorted ascending. The candidates pass 1 marked
    in the cell's hit mask are taken as they are (no distance is computed twice); a cell with more than
    MASK_CANDIDATES candidates is rescanned."""
    for k in prange(n):
        i = order[k]
        y0, y1, bx0, bx1 = _stencil(bin_of_cell[i], nbx, nby)
        start = offsets[i]
        end = offsets[i + 1]
        p = start
        mask = hits[k]
        if mask != _RESCAN:
            for row in range(y0, y1):
                if mask == 0:  # every hit taken
                    break
                base = row * nbx
                lo = bin_start[base + bx0]
                hi = bin_start[base + bx1 + 1]
                for kk in range(lo, hi):
                    if mask & np.uint64(1):
                        neighbours[p] = order[kk]
                        p += 1
                    mask >>= np.uint64(1)
                    if mask == 0:
                        break
        else:
            xi = xs[k]
            yi = ys[k]
            ri = rs[k]
            # Branch-free append: every candidate is written at p (inside this cell's own segment,
            # never past its end) and p advances only on a hit, so a miss is overwritten later.
            for row in range(y0, y1):
                base = row * nbx
                for kk in range(bin_start[base + bx0], bin_start[base + bx1 + 1]):
                    hit = _touching(xs, ys, rs, kk, xi, yi, ri, scale) & (kk != k)
                    if p < end:
                        neighbours[p] = order[kk]
                    p += hit
            p = min(p, end)
        # insertion sort of the (short) segment
        for a in range(start + 1, p):
            v = neighbours[a]
            q = a - 1
            while q >= start and neighbours[q] > v:
                neighbours[q + 1] = neighbours[q]
                q -= 1
            neighbours[q + 1] = v


@njit(cache=True, parallel=True, nogil=True)
def _count_by_type_columns(offsets, neighbours, cell_type, n, columns, out):
    n_types = columns.shape[0]
    for i in prange(n):
        for t in range(n_types):
            if columns[t] >= 0:
                out[i, columns[t]] = 0.0
        for p in range(offsets[i], offsets[i + 1]):
            t = cell_type[neighbours[p]]
            if 0 <= t < n_types and columns[t] >= 0:
                out[i, columns[t]] += 1.0


@njit(cache=True, parallel=True, nogil=True)
def _sum_levels(offsets, neighbours, cell_type, n, type_code, values, out):
    for i in prange(n):
        acc = 0.0
        for p in range(offsets[i], offsets[i + 1]):
            j = neighbours[p]
            if cell_type[j] == type_code:
                acc += values[j]
        out[i] = acc


# ----------------------------------------------------------------------------------------------
# public API
# ----------------------------------------------------------------------------------------------
class ContactFinder:
    """Uniform-grid cell list (counting sort into square bins of side >= the largest contact
    distance) and a pair loop over the 3x3 neighbouring bins, giving a CSR neighbour list.

    Parameters
    ----------
    width_um, height_um : float
        Domain ``[0, width_um] x [0, height_um]`` (um).  Cells outside it are still handled
        correctly (clamped into the edge bins), only less efficiently.

    The finder keeps its work buffers between calls and grows them geometrically, so repeated
    calls at a steady population allocate nothing.
    """

    def __init__(self, width_um: float, height_um: float):
        width_um = float(width_um)
        height_um = float(height_um)
        if not (math.isfinite(width_um) and width_um > 0.0):
            raise ValueError(f"width_um must be finite and > 0, got {width_um}")
        if not (math.isfinite(height_um) and height_um > 0.0):
            raise ValueError(f"height_um must be finite and > 0, got {height_um}")
        self.width_um = width_um
        self.height_um = height_um
        self._bin_of_cell = np.empty(0, dtype=np.int64)
        self._order = np.empty(0, dtype=np.int64)
        self._xs = np.empty(0, dtype=np.float64)
        self._ys = np.empty(0, dtype=np.float64)
        self._rs = np.empty(0, dtype=np.float64)
        self._hits = np.empty(0, dtype=np.uint64)
        self._offsets = np.zeros(1, dtype=np.int64)
        self._bin_start = np.empty(0, dtype=np.int64)
        self._neighbours = np.empty(0, dtype=np.int64)
        self._last_n = 0
        self._all = np.ones(0, dtype=np.bool_)  # all-active mask for the shared counting sort
        #: grid used by the last call: (nbx, nby, side_x_um, side_y_um)
        self.last_grid: tuple[int, int, float, float] = (1, 1, width_um, height_um)

    def _grid(self, cutoff: float, n: int) -> tuple[int, int]:
        side = cutoff * (1.0 + _BIN_MARGIN) + 1e-12 * max(self.width_um, self.height_um)
        nbx = max(1, min(int(self.width_um / side), 1 << 30))
        nby = max(1, min(int(self.height_um / side), 1 << 30))
        max_bins = _MAX_BINS_PER_CELL * n + _MIN_MAX_BINS
        if nbx * nby > max_bins:
            f = math.sqrt(max_bins / (nbx * nby))
            nbx = max(1, int(nbx * f))
            nby = max(1, int(nby * f))
        return nbx, nby

    def find(self, x, y, radius, n: int, contact_scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        """Find all contacting pairs among rows ``0..n-1``.

        Parameters
        ----------
        x, y : float64 arrays (>= n,), um
            Cell centres.
        radius : float32/float64 array (>= n,), um
            Cell radii (>= 0).
        n : int
            Number of live rows (arrays may be longer: capacity).
        contact_scale : float >= 0
            Cells ``i != j`` are in contact when ``dist(i, j) <= contact_scale * (r_i + r_j)``.

        Returns
        -------
        offsets : int64 (n+1,), neighbours : int64 (m,)
            CSR lists: the neighbours of ``i`` are ``neighbours[offsets[i]:offsets[i+1]]``, sorted
            ascending, symmetric.  Both are views into internal buffers, valid until the next call.
        """
        n = int(n)
        contact_scale = float(contact_scale)
        self._last_n = 0
        if n < 0:
            raise ValueError("n must be >= 0")
        if not (math.isfinite(contact_scale) and contact_scale >= 0.0):
            raise ValueError(f"contact_scale must be finite and >= 0, got {contact_scale}")
        if len(x) < n or len(y) < n or len(radius) < n:
            raise ValueError("x, y and radius must hold at least n rows")
        self._offsets = _grow(self._offsets, n + 1)
        offsets = self._offsets
        if n == 0:
            offsets[0] = 0
            return offsets[:1], self._neighbours[:0]

        if not _all_finite(x, y, n):
            raise ValueError("x and y must be finite")
        rmax = _max_radius(radius, n)
        if not math.isfinite(rmax):
            raise ValueError("radius must be finite and >= 0")
        cutoff = contact_scale * (rmax + rmax)
        nbx, nby = self._grid(cutoff, n)
        n_bins = nbx * nby
        self.last_grid = (nbx, nby, self.width_um / nbx, self.height_um / nby)

        self._bin_of_cell = _grow(self._bin_of_cell, n)
        self._order = _grow(self._order, n)
        self._xs = _grow(self._xs, n)
        self._ys = _grow(self._ys, n)
        self._rs = _grow(self._rs, n)
        self._hits = _grow(self._hits, n)
        self._bin_start = _grow(self._bin_start, n_bins + 1)

        _bin_cells(x, y, n, nbx / self.width_um, nby / self.height_um, nbx, nby, self._bin_of_cell)
        if len(self._all) < n:
            self._all = np.ones(max(n, 2 * len(self._all)), dtype=np.bool_)
        counting_sort(self._bin_of_cell, self._all, n, n_bins, self._bin_start, self._order)
        self._last_n = n
        _gather_sorted(x, y, radius, self._order, n, self._xs, self._ys, self._rs)
        _count_pass(self._xs, self._ys, self._rs, self._order, self._bin_of_cell, n, nbx, nby,
                    self._bin_start, contact_scale, offsets[1:], self._hits)  # counts -> offsets in place
        m = int(_prefix_in_place(offsets, n))
        self._neighbours = _grow(self._neighbours, m)
        _fill_pass(self._xs, self._ys, self._rs, self._order, self._bin_of_cell, n, nbx, nby,
                   self._bin_start, contact_scale, offsets, self._hits, self._neighbours)
        return offsets[: n + 1], self._neighbours[:m]


    def spatial_order(self) -> np.ndarray:
        """Rows of the last :meth:`find` call in bin order (row-major bins, ascending row within a
        bin): a permutation of ``0..n-1`` (view, valid until the next call).  Reordering the cell
        arrays by it now and then (``a[:n] = a[order]`` for every attribute) keeps neighbours
        close in memory, which makes ``find`` and the motion kernel several times faster at
        10^6 cells."""
        return self._order[: self._last_n]


def count_contacts_by_type(offsets, neighbours, cell_type, n_types: int, out=None, columns=None) -> np.ndarray:
    """Count each cell's contacts by the neighbour's type.

    Parameters
    ----------
    offsets, neighbours : CSR from :meth:`ContactFinder.find` (n = len(offsets) - 1).
    cell_type : int array (>= n,)
        Type index of each row; neighbours whose type is outside ``0..n_types-1`` are not counted.
    n_types : int
    out : optional float32 (>= n, n_types) array to write into.
    columns : optional int (n_types,)
        Write type ``t``'s count to ``out[i, columns[t]]`` instead (``out`` given, with ``max(columns) + 1``
        columns at least); types with -1 are neither counted nor written.

    Returns
    -------
    float32 (n, n_types): ``out[i, t]`` = number of neighbours of ``i`` with type ``t`` (with ``columns``:
    ``out[:n]``).
    """
    n = len(offsets) - 1
    n_types = int(n_types)
    if columns is None:  # type t into column t
        if out is None:
            out = np.empty((n, n_types), dtype=np.float32)
        elif out.shape[0] < n or out.shape[1] != n_types:
            raise ValueError("out must have shape (>= n, n_types)")
        columns = np.arange(n_types, dtype=np.int64)
    columns = np.asarray(columns, dtype=np.int64)
    if columns.shape != (n_types,) or columns.min(initial=-1) < -1:
        raise ValueError("columns needs one entry >= -1 per type")
    if out is None or out.shape[0] < n or out.shape[1] <= columns.max(initial=-1):
        raise ValueError("out needs >= n rows and a column for every mapped type")
    if n > 0 and columns.max(initial=-1) >= 0:
        _count_by_type_columns(offsets, neighbours, cell_type, n, columns, out)
    return out[:n]


def sum_contact_levels(offsets, neighbours, cell_type, type_code: int, values, out) -> np.ndarray:
    """Sum of a per-cell value over each cell's contacts of one type.

    Parameters
    ----------
    offsets, neighbours : CSR from :meth:`ContactFinder.find` (n = len(offsets) - 1).
    cell_type : int array (>= n,)
        Type of each row (a row marked with a code no type has, e.g. apoptotic, is never summed).
    type_code : int
        The neighbours' type that counts.
    values : float64 (>= n,)
        The value each cell contributes (e.g. its PD-L1 expression level).
    out : float32/float64 (>= n,), may be a strided column view
        ``out[i] = sum of values[j]`` over the neighbours ``j`` of ``i`` with ``cell_type[j] == type_code``.

    Returns
    -------
    ``out[:n]``.
    """
    n = len(offsets) - 1
    if len(out) < n or len(values) < n or len(cell_type) < n:
        raise ValueError("cell_type, values and out need >= n rows")
    if n > 0:
        _sum_levels(offsets, neighbours, cell_type, n, int(type_code), values, out)
    return out[:n]


def csr_to_pairs(offsets, neighbours) -> np.ndarray:
    """Unique pairs ``(i, j)``, ``i < j``, as an int64 (m, 2) array sorted lexicographically."""
    n = len(offsets) - 1
    counts = np.diff(np.asarray(offsets[: n + 1]))
    rows = np.repeat(np.arange(n, dtype=np.int64), counts)
    cols = np.asarray(neighbours[: int(offsets[n])], dtype=np.int64)
    keep = rows < cols
    return np.stack([rows[keep], cols[keep]], axis=1)


def brute_force_pairs(x, y, radius, n: int, contact_scale: float = 1.0, block: int = 2048) -> np.ndarray:
    """Plain O(n^2) numpy reference: all pairs ``(i, j)``, ``i < j``, in contact, as an int64
    (m, 2) array sorted lexicographically.  Same float64 expression as the kernel."""
    n = int(n)
    x = np.asarray(x[:n], dtype=np.float64)
    y = np.asarray(y[:n], dtype=np.float64)
    r = np.asarray(radius[:n]).astype(np.float64)
    s = float(contact_scale)
    out = []
    for a in range(0, n, block):
        xi = x[a : a + block, None]
        yi = y[a : a + block, None]
        ri = r[a : a + block, None]
        ddx = x[None, :] - xi
        ddy = y[None, :] - yi
        cut = s * (ri + r[None, :])
        hit = ddx * ddx + ddy * ddy <= cut * cut
        ii, jj = np.nonzero(hit)
        ii = ii + a
        keep = ii < jj
        out.append(np.stack([ii[keep], jj[keep]], axis=1).astype(np.int64))
    if not out:
        return np.empty((0, 2), dtype=np.int64)
    pairs = np.concatenate(out)
    return pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]


@njit(cache=True, nogil=True)
def _filter_compartments(offsets, neighbours, in_b, n, out_offsets, out_neighbours):
    """Keep pairs whose two cells are on the same side (both in_b or both not)."""
    m = 0
    out_offsets[0] = 0
    for i in range(n):
        for p in range(offsets[i], offsets[i + 1]):
            j = neighbours[p]
            if in_b[i] == in_b[j]:
                out_neighbours[m] = j
                m += 1
        out_offsets[i + 1] = m
    return m


class CompartmentFilter:
    """Drops contacts between two compartments (e.g. cells on a transwell insert vs the well).

    ``filter(offsets, neighbours, in_b, n)`` returns a CSR list (same layout as
    :meth:`ContactFinder.find`) without the pairs that have exactly one cell with ``in_b``;
    the order of the remaining neighbours is kept. Buffers are reused between calls.
    """

    def __init__(self) -> None:
        self._offsets = np.zeros(1, dtype=np.int64)
        self._neighbours = np.zeros(0, dtype=np.int64)

    def filter(self, offsets, neighbours, in_b, n: int):
        n = int(n)
        self._offsets = _grow(self._offsets, n + 1)
        self._neighbours = _grow(self._neighbours, len(neighbours))
        m = _filter_compartments(offsets, neighbours, np.asarray(in_b, dtype=np.bool_), n, self._offsets,
                                 self._neighbours)
        return self._offsets[: n + 1], self._neighbours[:m]
