"""Row order kernels: the counting sort shared by the cell-list and cell-voxel kernels (stable, O(n + bins)),
and the order-preserving in-place removal of rows."""

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def counting_sort(key, active, n, n_keys, start, order):
    """Stable counting sort of the active rows ``0..n-1`` by integer ``key`` in ``[0, n_keys)``.

    Fills ``start`` (n_keys+1,) with prefix offsets and ``order`` so that
    ``order[start[k]:start[k+1]]`` are the active rows with key k, ascending.
    Returns the number of active rows.
    """
    for v in range(n_keys + 1):
        start[v] = 0
    for i in range(n):
        if active[i]:
            start[key[i] + 1] += 1
    for v in range(n_keys):
        start[v + 1] += start[v]
    for i in range(n):
        if active[i]:
            v = key[i]
            order[start[v]] = i
            start[v] += 1
    for v in range(n_keys, 0, -1):
        start[v] = start[v - 1]
    start[0] = 0
    return start[n_keys]


@njit(cache=True, nogil=True)
def _keep_rows(a, keep, n):
    w = 0
    for i in range(n):
        if keep[i]:
            if w != i:
                for c in range(a.shape[1]):
                    a[w, c] = a[i, c]
            w += 1
    return w


def keep_rows_in_place(a: np.ndarray, keep: np.ndarray) -> int:
    """Move the rows ``i < len(keep)`` of ``a`` where ``keep[i]`` to the front, in order; returns how many.

    ``a[:k] = a[:len(keep)][keep]`` without its temporary copy of every kept row (at 10^6 cells that copy of
    the per-cell behaviour matrix was the step's peak memory, ~270 B per cell). Rows from ``k`` on are left as
    they were. ``a``: 1-D or 2-D (rows first), any dtype; ``keep``: bool (<= len(a),).
    """
    keep = np.asarray(keep, dtype=np.bool_)
    if keep.ndim != 1 or len(keep) > a.shape[0] or a.ndim not in (1, 2):
        raise ValueError("keep must be a 1-D mask over the first rows of a 1-D or 2-D array")
    rows = a[:, None] if a.ndim == 1 else a  # a view: the kernel writes into a
    return int(_keep_rows(rows, keep, len(keep)))
