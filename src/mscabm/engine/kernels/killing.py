"""Contact-mediated killing and engulfment of apoptotic bodies (act step, row-parallel).

Both kernels walk the CSR neighbour list of :meth:`ContactFinder.find` from the *receiving*
side: row ``i`` (a target, or an apoptotic body) sums the rates of its alive neighbours into one
hazard (1/min), draws its own event with a caller-supplied uniform, and writes only its own
output entries.  Every write therefore goes to a location owned by one row, killers and eaters
are judged on their state at the start of the step (a killer killed in the same step still
counts), and the result is identical for any ``NUMBA_NUM_THREADS`` and any row order of the
loop.  No biology here: cell types are integer codes, rates are behaviour columns.

Contact killing of target ``i`` (alive, type ``t = cell_type[i]``, ``c = kill_col[t] >= 0``)::

    rate_j = max(behaviours[j, c], 0)               for alive neighbours j (NaN counts as 0)
    total  = sum_j rate_j                           (float64, CSR order)
    h_i    = (1 - clip(behaviours[i, resistance_col], 0, 1)) * total
    killed[i] = h_i > 0  and  u_event[i] < 1 - exp(-h_i * dt_min)

The credited killer is the first neighbour ``j`` (CSR order, ``rate_j > 0``) whose cumulative
rate exceeds ``u_pick[i] * total``: it is picked with probability ``rate_j / total``.

Engulfment of a non-alive row ``i``::

    h_i = sum over alive neighbours j of max(behaviours[j, phagocytosis_col], 0)
    engulfed[i] = h_i > 0  and  u_event[i] < 1 - exp(-h_i * dt_min)
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

__all__ = ["contact_kill", "engulf_apoptotic"]


# ----------------------------------------------------------------------------------------------
# kernels
# ----------------------------------------------------------------------------------------------
@njit(parallel=True, cache=True, nogil=True)
def _contact_kill(offsets, neighbours, n, cell_type, alive, behaviours, kill_col, resistance_col,
                  u_event, u_pick, dt_min, killed, killer_row):
    """Row-parallel killing pass; returns the number of killed rows (integer reduction)."""
    n_types = kill_col.shape[0]
    count = 0
    for i in prange(n):
        killed[i] = False
        killer_row[i] = -1
        if not alive[i]:
            continue
        t = cell_type[i]
        if t < 0 or t >= n_types:
            continue
        c = kill_col[t]
        if c < 0:
            continue
        start = offsets[i]
        end = offsets[i + 1]
        total = 0.0
        for p in range(start, end):
            j = neighbours[p]
            if alive[j]:
                r = np.float64(behaviours[j, c])
                if r > 0.0:  # False for NaN
                    total += r
        if not (total > 0.0):
            continue
        res = 0.0
        if resistance_col >= 0:
            res = np.float64(behaviours[i, resistance_col])
            if res > 1.0:
                res = 1.0
            elif not (res > 0.0):  # negatives and NaN -> 0
                res = 0.0
        h = (1.0 - res) * total
        if h > 0.0 and u_event[i] < 1.0 - np.exp(-h * dt_min):
            target = u_pick[i] * total
            acc = 0.0
            last = -1
            for p in range(start, end):
                j = neighbours[p]
                if alive[j]:
                    r = np.float64(behaviours[j, c])
                    if r > 0.0:
                        last = j
                        acc += r
                        if acc > target:
                            break
            killed[i] = True
            killer_row[i] = last
            count += 1
    return count


@njit(parallel=True, cache=True, nogil=True)
def _engulf(offsets, neighbours, n, alive, behaviours, phagocytosis_col, u_event, dt_min, engulfed):
    """Row-parallel engulfment pass; returns the number of engulfed rows."""
    count = 0
    for i in prange(n):
        engulfed[i] = False
        if alive[i] or phagocytosis_col < 0:
            continue
        h = 0.0
        for p in range(offsets[i], offsets[i + 1]):
            j = neighbours[p]
            if alive[j]:
                r = np.float64(behaviours[j, phagocytosis_col])
                if r > 0.0:
                    h += r
        if h > 0.0 and u_event[i] < 1.0 - np.exp(-h * dt_min):
            engulfed[i] = True
            count += 1
    return count


# ----------------------------------------------------------------------------------------------
# validation helpers
# ----------------------------------------------------------------------------------------------
def _check_common(offsets, neighbours, n, alive, behaviours, u_event, dt_min):
    n = int(n)
    if n < 0:
        raise ValueError("n must be >= 0")
    dt_min = float(dt_min)
    if not (math.isfinite(dt_min) and dt_min >= 0.0):
        raise ValueError(f"dt_min must be finite and >= 0, got {dt_min}")
    if np.ndim(offsets) != 1 or len(offsets) < n + 1:
        raise ValueError("offsets must be 1-D with at least n + 1 entries")
    if np.ndim(neighbours) != 1:
        raise ValueError("neighbours must be 1-D")
    if n > 0 and len(neighbours) < int(offsets[n]):
        raise ValueError("neighbours must hold at least offsets[n] entries")
    if np.ndim(behaviours) != 2 or behaviours.shape[0] < n:
        raise ValueError("behaviours must be 2-D with at least n rows")
    if len(alive) < n:
        raise ValueError("alive must hold at least n rows")
    if len(u_event) < n:
        raise ValueError("u_event must hold at least n rows")
    return n, dt_min


def _check_col(name, col, n_cols):
    col = int(col)
    if not -1 <= col < n_cols:
        raise ValueError(f"{name} must be -1 or a behaviour column in 0..{n_cols - 1}, got {col}")
    return col


def _check_out(name, arr, dtype, n):
    dtypes = dtype if isinstance(dtype, tuple) else (dtype,)
    if not isinstance(arr, np.ndarray) or arr.dtype not in dtypes or arr.ndim != 1 or arr.shape[0] < n:
        kinds = " or ".join(np.dtype(d).name for d in dtypes)
        raise ValueError(f"{name} must be a 1-D {kinds} array with at least n rows")
    if not arr.flags.writeable:
        raise ValueError(f"{name} must be writeable")


# ----------------------------------------------------------------------------------------------
# public API
# ----------------------------------------------------------------------------------------------
def contact_kill(offsets, neighbours, n, cell_type, alive, behaviours, kill_col, resistance_col,
                 u_event, u_pick, dt_min, killed, killer_row) -> int:
    """Draw contact killings of targets by their alive neighbours (see module docstring).

    Parameters (n rows, T types, B behaviour columns)
    ----------
    offsets, neighbours : int64 CSR from :meth:`ContactFinder.find`; neighbours of ``i`` are
        ``neighbours[offsets[i]:offsets[i+1]]`` (symmetric, indices in ``0..n-1``: not checked)
    n : int, number of rows (arrays may be longer: capacity)
    cell_type : int (>= n,) type code per row; codes outside ``0..T-1`` are never targets
    alive : bool (>= n,); non-alive rows (apoptotic bodies) neither kill nor get killed
    behaviours : float32/float64 (>= n, B) per-row behaviour values
    kill_col : int (T,); ``kill_col[t]`` is the column holding a killer's rate (1/min) of killing
        one contacted target of type ``t``; -1: nothing kills type ``t``
    resistance_col : int, column of a target's resistance (dimensionless, clipped to [0, 1];
        1 = never killed); -1: no resistance
    u_event, u_pick : float (>= n,) uniforms in [0, 1) drawn by the caller: the kill event and
        the choice of the credited killer
    dt_min : float >= 0, time step (min)
    killed : bool (>= n,) output, written for every ``i < n``
    killer_row : int32 or int64 (>= n,) output: the row credited with killing ``i``, -1 if not killed

    Returns
    -------
    int, the number of rows killed this step.
    """
    n, dt_min = _check_common(offsets, neighbours, n, alive, behaviours, u_event, dt_min)
    n_cols = behaviours.shape[1]
    kill_col = np.asarray(kill_col)
    if kill_col.ndim != 1 or (kill_col.size and kill_col.dtype.kind not in "iu"):
        raise ValueError("kill_col must be a 1-D integer array (one entry per cell type)")
    kill_col = kill_col.astype(np.int64, copy=False)
    if kill_col.size and (kill_col.min() < -1 or kill_col.max() >= n_cols):
        raise ValueError(f"kill_col entries must be -1 or behaviour columns in 0..{n_cols - 1}, "
                         f"got {kill_col.tolist()}")
    resistance_col = _check_col("resistance_col", resistance_col, n_cols)
    if len(cell_type) < n:
        raise ValueError("cell_type must hold at least n rows")
    if len(u_pick) < n:
        raise ValueError("u_pick must hold at least n rows")
    _check_out("killed", killed, np.bool_, n)
    _check_out("killer_row", killer_row, (np.int32, np.int64), n)
    if n >= np.iinfo(killer_row.dtype).max:
        raise ValueError(f"killer_row's dtype {killer_row.dtype} cannot index {n} rows")
    if n == 0:
        return 0
    return int(_contact_kill(offsets, neighbours, n, cell_type, np.asarray(alive, dtype=np.bool_),
                             behaviours, kill_col, resistance_col, u_event, u_pick, dt_min,
                             killed, killer_row))


def engulf_apoptotic(offsets, neighbours, n, alive, behaviours, phagocytosis_col, u_event, dt_min,
                     engulfed) -> int:
    """Draw engulfment of apoptotic bodies (non-alive rows) by their alive neighbours.

    Parameters (n rows, B behaviour columns)
    ----------
    offsets, neighbours : int64 CSR from :meth:`ContactFinder.find`
    n : int, number of rows
    alive : bool (>= n,); only non-alive rows can be engulfed, only alive rows engulf
    behaviours : float32/float64 (>= n, B)
    phagocytosis_col : int, column of an eater's engulfment rate (1/min per contacted body);
        -1: nothing is engulfed
    u_event : float (>= n,) uniforms in [0, 1) drawn by the caller
    dt_min : float >= 0, time step (min)
    engulfed : bool (>= n,) output, written for every ``i < n`` (False for alive rows)

    Returns
    -------
    int, the number of rows engulfed this step.
    """
    n, dt_min = _check_common(offsets, neighbours, n, alive, behaviours, u_event, dt_min)
    phagocytosis_col = _check_col("phagocytosis_col", phagocytosis_col, behaviours.shape[1])
    _check_out("engulfed", engulfed, np.bool_, n)
    if n == 0:
        return 0
    return int(_engulf(offsets, neighbours, n, np.asarray(alive, dtype=np.bool_), behaviours,
                       phagocytosis_col, u_event, dt_min, engulfed))
