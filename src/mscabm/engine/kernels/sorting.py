"""Counting sort shared by the cell-list and cell-voxel kernels (stable, O(n + bins))."""

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
