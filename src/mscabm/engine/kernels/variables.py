"""Per-cell internal variables: exact first-order relaxation, and scaling behaviours by a variable.

A per-cell variable ``v`` (one float64 column of the population) obeys

    dv/dt = p - k v

with ``p`` the cell's production rate this step (a column of the behaviour matrix, held
constant over the step) and ``k >= 0`` a decay rate per cell type. The step uses the exact
solution for constant ``p``,

    v(t + dt) = v e^{-k dt} + p (1 - e^{-k dt}) / k       (k > 0)
    v(t + dt) = v + p dt                                  (k = 0),

so it is unconditionally stable and exact at any step for piecewise-constant production.
The kernels know no biology: types, columns and rates are integers and arrays.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange


@njit(cache=True, inline="always")
def _relaxed(v, p, k, dt_min):
    """``v`` after ``dt_min`` of ``dv/dt = p - k v`` (the exact solution, module docstring)."""
    x = k * dt_min
    if x > 0.0:
        e = math.exp(-x)
        return v * e + p * (-math.expm1(-x)) / k
    return v + p * dt_min


def relax_variable(n: int, cell_type: np.ndarray, values: np.ndarray, production: np.ndarray,
                   declared: np.ndarray, decay_per_min: np.ndarray, dt_min: float) -> None:
    """Advance one per-cell variable by ``dt_min`` in place (module docstring).

    Parameters
    ----------
    n : int
        Rows to advance (``0..n-1``).
    cell_type : int (>= n,)
        Type code of each cell.
    values : float64 (>= n,)
        The variable, updated in place for cells whose type declares it.
    production : float (>= n,)
        Production rate ``p`` of each cell (variable unit / min); may be a strided column view.
    declared : bool (n_types,)
        Types that carry the variable (others are left untouched).
    decay_per_min : float64 (n_types,)
        First-order decay ``k`` per type, 1/min, >= 0.
    dt_min : float
        Step, min, >= 0.
    """
    production = np.asarray(production)
    relax_variables(n, cell_type, (values,), production[:, None], np.zeros(1, np.int64),
                    np.asarray(declared)[:, None], np.asarray(decay_per_min, dtype=np.float64)[:, None], dt_min)


@njit(parallel=True, cache=True, nogil=True)
def _relax_all(n, cell_type, columns, behaviours, produce_col, declared, decay_per_min, dt_min):
    for i in prange(n):
        t = cell_type[i]
        for j in range(len(produce_col)):
            if declared[t, j]:
                values = columns[j]
                values[i] = _relaxed(values[i], np.float64(behaviours[i, produce_col[j]]), decay_per_min[t, j],
                                     dt_min)


def relax_variables(n: int, cell_type: np.ndarray, columns: tuple[np.ndarray, ...], behaviours: np.ndarray,
                    produce_col: np.ndarray, declared: np.ndarray, decay_per_min: np.ndarray, dt_min: float) -> None:
    """Every per-cell variable at once: :func:`relax_variable` of ``columns[j]`` with production
    ``behaviours[:, produce_col[j]]``, ``declared[:, j]`` and ``decay_per_min[:, j]``, in one pass over the cells
    (the same operations per value: the results are those of one call per variable, to the bit).

    Parameters
    ----------
    columns : tuple of float64 (>= n,)
        The k variables, updated in place.
    behaviours : float32/float64 (>= n, n_behaviours)
    produce_col : int64 (k,)
        Behaviour column of each variable's production rate.
    declared : bool (n_types, k)
    decay_per_min : float64 (n_types, k), 1/min, >= 0
    """
    if not (math.isfinite(dt_min) and dt_min >= 0.0):
        raise ValueError("dt_min must be finite and >= 0")
    k = len(columns)
    produce_col = np.asarray(produce_col, dtype=np.int64)
    if produce_col.shape != (k,) or declared.shape[1:] != (k,) or decay_per_min.shape[1:] != (k,):
        raise ValueError(f"produce_col, declared and decay_per_min need one entry per variable ({k})")
    if any(len(c) < n for c in columns) or behaviours.shape[0] < n:
        raise ValueError("every variable column and behaviours need >= n rows")
    if n > 0 and k > 0:
        _relax_all(int(n), cell_type, tuple(columns), behaviours, produce_col, declared, decay_per_min,
                   float(dt_min))


@njit(parallel=True, cache=True, nogil=True)
def _scale(n, cell_type, type_code, values, behaviours, col):
    for i in prange(n):
        if cell_type[i] == type_code:
            behaviours[i, col] = behaviours[i, col] * values[i]


def scale_behaviour(n: int, cell_type: np.ndarray, type_code: int, values: np.ndarray, behaviours: np.ndarray,
                    col: int) -> None:
    """``behaviours[i, col] *= values[i]`` for the cells ``i < n`` of type ``type_code`` (in place).

    behaviours : float32/float64 (>= n, n_behaviours); values : float64 (>= n,).
    """
    if n > 0:
        _scale(int(n), cell_type, int(type_code), values, behaviours, int(col))


def add_taken_up(n: int, cell_type: np.ndarray, values: np.ndarray, amounts: np.ndarray, field_of_type: np.ndarray,
                 molecules_per_amount: np.ndarray) -> None:
    """Add what each cell took up of one field this step to a per-cell variable, in molecules (in place).

    ``values[i] += max(-amounts[i, f], 0) * molecules_per_amount[f]`` with ``f = field_of_type[cell_type[i]]``;
    cells of a type with ``f = -1`` are left alone. Without decay the variable is then a conserved
    amount: what leaves the field is what the cells hold.

    Parameters
    ----------
    n : int
        Rows ``0..n-1``.
    cell_type : int (>= n,)
    values : float64 (>= n,)
        The variable (molecules), updated in place.
    amounts : float64 (n, k)
        The exchange's net release of each cell this step into k recorded fields (field unit x um^3;
        negative = taken up, :meth:`~mscabm.engine.kernels.exchange.FieldExchange.apply`): a cell that
        both releases and takes up the field counts only what it takes up beyond what it releases.
    field_of_type : int64 (n_types,)
        Column of ``amounts`` (the field) whose uptake each type counts, -1 none.
    molecules_per_amount : float64 (k,)
        Molecules per field unit x um^3 of each column's field.
    """
    if n <= 0:
        return
    if amounts.ndim != 2 or amounts.shape[0] < n or len(values) < n or len(cell_type) < n:
        raise ValueError("amounts (2-D), values and cell_type need >= n rows")
    field_of_type = np.asarray(field_of_type, dtype=np.int64)
    if field_of_type.max(initial=-1) >= amounts.shape[1] or len(molecules_per_amount) < amounts.shape[1]:
        raise ValueError("field_of_type must index the columns of amounts (and molecules_per_amount)")
    _add_taken_up(n, cell_type, values, amounts, field_of_type, molecules_per_amount)


@njit(parallel=True, cache=True, nogil=True)
def _add_taken_up(n, cell_type, values, amounts, field_of_type, molecules_per_amount):
    """The loop of :func:`add_taken_up`, with no per-cell temporaries (at 10^6 cells numpy's fancy indexing
    allocated ~40 B per cell); the same float64 operations as ``np.maximum(-a, 0.0) * m`` (NaN and -0.0 pass)."""
    for i in prange(n):
        f = field_of_type[cell_type[i]]
        if f >= 0:
            d = -amounts[i, f]
            taken = d if (d >= 0.0 or d != d) else 0.0
            values[i] += taken * molecules_per_amount[f]


def halve_taken_up(cell_type: np.ndarray, values: np.ndarray, parents: np.ndarray, daughters: np.ndarray,
                   field_of_type: np.ndarray) -> None:
    """At division, an uptake-counting variable (an amount) is shared: parent and daughter keep half each.

    ``parents`` and ``daughters``: int row indices, daughter ``k`` of parent ``k`` (already a copy of it);
    ``field_of_type``: int64 (n_types,), the field each type counts the uptake of, -1 none (those copy).
    """
    if len(parents):
        mine = field_of_type[cell_type[parents]] >= 0
        values[parents[mine]] *= 0.5
        values[daughters[mine]] = values[parents[mine]]
