"""Struct-of-arrays cell population: one numpy array per attribute, rows are cells.

Why: numba kernels stream over contiguous arrays; a Python object per cell (Mesa's Agent)
cannot carry 10^5-10^6 cells. Rows ``0..n-1`` are the live population; capacity grows
geometrically, so appending a daughter costs amortised O(1). Each cell keeps a stable
integer ``id`` for its whole life. Rows are only ever appended at the end and compaction
is order-preserving, so ids stay sorted by row and ``rows_of(ids)`` is a binary search --
until :meth:`permute` reorders the rows (e.g. into spatial order, so that neighbouring cells sit
near each other in memory); ``rows_of`` then sorts the ids first.

The population knows no biology: the columns it holds are declared by the caller.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from mscabm.engine.kernels.sorting import keep_rows_in_place

#: Columns every population has: stable id, type code, state code, position (um),
#: polarity (unit vector), radius (um), age in the current state (min), progress through
#: the division cycle (0..1), and the apoptosis clock (min left; < 0 while alive).
CORE_COLUMNS: dict[str, np.dtype] = {
    "id": np.dtype(np.int64),
    "type": np.dtype(np.int16),
    "state": np.dtype(np.int16),
    "x_um": np.dtype(np.float64),
    "y_um": np.dtype(np.float64),
    "px": np.dtype(np.float64),
    "py": np.dtype(np.float64),
    "radius_um": np.dtype(np.float64),
    "state_age_min": np.dtype(np.float32),
    "cycle_progress": np.dtype(np.float32),
    "apoptosis_left_min": np.dtype(np.float32),
}


class PopulationCapacityError(RuntimeError):
    """Raised when a birth would take the population past its configured capacity."""


class Population:
    """Cells as rows of named numpy arrays.

    Parameters
    ----------
    capacity_max : int
        Hard upper bound on the number of cells (memory guard). Births beyond it raise
        :class:`PopulationCapacityError` with a clear message instead of exhausting memory.
    extra_columns : mapping name -> dtype, optional
        Further per-cell columns (e.g. internal variables), zero-initialised.
    initial_capacity : int
        Rows allocated up front; grows by doubling.
    """

    def __init__(
        self,
        capacity_max: int,
        extra_columns: Mapping[str, np.dtype | type] | None = None,
        initial_capacity: int = 1024,
    ) -> None:
        if capacity_max < 1:
            raise ValueError("capacity_max must be >= 1")
        self.capacity_max = int(capacity_max)
        self.schema: dict[str, np.dtype] = dict(CORE_COLUMNS)
        for name, dtype in (extra_columns or {}).items():
            if name in self.schema:
                raise ValueError(f"column {name!r} already exists")
            self.schema[name] = np.dtype(dtype)
        cap = max(1, min(int(initial_capacity), self.capacity_max))
        self._cols: dict[str, np.ndarray] = {k: np.zeros(cap, dtype=d) for k, d in self.schema.items()}
        self.n = 0
        self.next_id = 0
        self._ids_sorted = True  # rows in id order (appends and compaction keep it; permute may not)

    # ------------------------------------------------------------------ access
    @property
    def capacity(self) -> int:
        """Rows currently allocated (>= n)."""
        return len(self._cols["id"])

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, name: str) -> np.ndarray:
        """The live rows of column ``name`` (a view, length n)."""
        return self._cols[name][: self.n]

    def full(self, name: str) -> np.ndarray:
        """The whole allocated array of column ``name`` (for kernels that write ahead)."""
        return self._cols[name]

    @property
    def columns(self) -> list[str]:
        return list(self.schema)

    def rows_of(self, ids: np.ndarray | int) -> np.ndarray:
        """Row index of each id; raises KeyError for ids not alive."""
        ids_arr = np.atleast_1d(np.asarray(ids, dtype=np.int64))
        live = self["id"]
        by_id = None if self._ids_sorted else np.argsort(live, kind="stable")
        sorted_ids = live if by_id is None else live[by_id]
        pos = np.searchsorted(sorted_ids, ids_arr)
        ok = ((pos < self.n) & (sorted_ids[np.minimum(pos, max(self.n - 1, 0))] == ids_arr) if self.n
              else np.zeros(len(ids_arr), bool))
        if not np.all(ok):
            missing = ids_arr[~ok]
            raise KeyError(f"no live cell with id {missing[:5].tolist()}")
        return pos if by_id is None else by_id[pos]

    def permute(self, order: np.ndarray) -> None:
        """Reorder the live rows: new row k is old row ``order[k]`` (a permutation of 0..n-1)."""
        order = np.asarray(order, dtype=np.int64)
        if order.shape != (self.n,):
            raise ValueError(f"order has shape {order.shape}, expected ({self.n},)")
        for arr in self._cols.values():
            arr[: self.n] = arr[: self.n][order]
        self._ids_sorted = bool(np.all(np.diff(self._cols["id"][: self.n]) > 0))

    # ------------------------------------------------------------------ growth
    def reserve(self, n_total: int) -> None:
        """Make room for ``n_total`` rows now (capacity doubles up to it, as appends would), so that adding them
        copies no column again: at 10^6 cells each doubling held the old and the new columns at once."""
        self._reserve(int(n_total))

    def _reserve(self, n_total: int) -> None:
        if n_total > self.capacity_max:
            raise PopulationCapacityError(
                f"population would reach {n_total} cells, above the configured capacity "
                f"of {self.capacity_max} (raise 'model.max_cells' if the machine has the memory)"
            )
        if n_total <= self.capacity:
            return
        new_cap = self.capacity
        while new_cap < n_total:
            new_cap *= 2
        new_cap = min(new_cap, self.capacity_max)
        for k, arr in self._cols.items():
            grown = np.zeros(new_cap, dtype=arr.dtype)
            grown[: self.n] = arr[: self.n]
            self._cols[k] = grown

    def add(self, count: int, **values: np.ndarray | float | int) -> np.ndarray:
        """Append ``count`` new cells; columns not given are zero (``apoptosis_left_min`` -1).

        Returns the new rows' indices. New cells get fresh, increasing ids.
        """
        count = int(count)
        if count < 0:
            raise ValueError("count must be >= 0")
        unknown = set(values) - set(self.schema) - {"id"}
        if unknown:
            raise KeyError(f"unknown columns {sorted(unknown)}; known: {self.columns}")
        start = self.n
        self._reserve(start + count)
        stop = start + count
        for _k, arr in self._cols.items():
            arr[start:stop] = 0
        self._cols["apoptosis_left_min"][start:stop] = -1.0
        self._cols["id"][start:stop] = np.arange(self.next_id, self.next_id + count, dtype=np.int64)
        for k, v in values.items():
            self._cols[k][start:stop] = v
        self.next_id += count
        self.n = stop
        return np.arange(start, stop)

    def divide(self, parent_rows: np.ndarray, offset_x: np.ndarray, offset_y: np.ndarray) -> np.ndarray:
        """Each parent row gets one daughter, a copy of the parent displaced by the offset.

        The parent is displaced by minus half the offset and the daughter by plus half,
        so the pair stays centred on the parent's old position. Both restart their cycle.
        Daughters are appended in the order of ``parent_rows``. Returns daughter rows.
        """
        parent_rows = np.asarray(parent_rows, dtype=np.int64)
        k = len(parent_rows)
        if k == 0:
            return np.zeros(0, dtype=np.int64)
        start = self.n
        self._reserve(start + k)
        stop = start + k
        for _name, arr in self._cols.items():
            arr[start:stop] = arr[parent_rows]
        self._cols["id"][start:stop] = np.arange(self.next_id, self.next_id + k, dtype=np.int64)
        self.next_id += k
        self.n = stop
        hx, hy = 0.5 * np.asarray(offset_x), 0.5 * np.asarray(offset_y)
        x, y = self._cols["x_um"], self._cols["y_um"]
        x[start:stop] += hx
        y[start:stop] += hy
        x[parent_rows] -= hx
        y[parent_rows] -= hy
        self._cols["cycle_progress"][parent_rows] = 0.0
        self._cols["cycle_progress"][start:stop] = 0.0
        return np.arange(start, stop)

    def compact(self, keep: np.ndarray) -> int:
        """Keep the rows where ``keep`` is True, preserving order; returns rows removed."""
        keep = np.asarray(keep, dtype=bool)
        if keep.shape != (self.n,):
            raise ValueError(f"keep mask has shape {keep.shape}, expected ({self.n},)")
        n_keep = int(keep.sum())
        removed = self.n - n_keep
        if removed == 0:
            return 0
        for arr in self._cols.values():
            keep_rows_in_place(arr, keep)
        self.n = n_keep
        return removed

    # ------------------------------------------------------------------ state I/O
    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of the live rows of every column plus counters (for checkpoints)."""
        out = {k: self[k].copy() for k in self.schema}
        out["__next_id__"] = np.array([self.next_id], dtype=np.int64)
        return out

    def load_state_dict(self, state: Mapping[str, np.ndarray]) -> None:
        n = len(state["id"])
        self.n = 0
        self._reserve(n)
        for k in self.schema:
            self._cols[k][:n] = state[k]
        self.n = n
        self.next_id = int(np.asarray(state["__next_id__"])[0])
        self._ids_sorted = bool(np.all(np.diff(self._cols["id"][:n]) > 0))
