"""Type switches (transdifferentiation): a live cell of one type becomes a cell of another.

The behaviour ``become_<TYPE>_per_min`` (``mscabm/vocabulary.py``) is the rate at which a live cell
turns into a cell of TYPE: a Poisson event per step, like a state switch, with the target picked in
proportion to the rates where several are set. The cell keeps its place, polarity and row; it takes
TYPE's initial state, radius and per-cell variables (their initial values), and restarts its division
cycle and its time in state. Its behaviour row is reset to the new type's base values, so the rest of the
step (motion, exchange) and any held phenotype interval see the new type.

Type switches are rare by nature (e.g. the source article's claim that MSCs become epithelium, an
optional transition that is off by default), so this is numpy over the candidate rows, not a kernel; the
uniforms are drawn from the model's generator only when some table can set a rate
(``Tables.become_any``), so a run without type switches keeps its random stream.
"""

from __future__ import annotations

import numpy as np

__all__ = ["draw_type_switches", "switch_types", "apply_type_switches"]


def draw_type_switches(rates_per_min: np.ndarray, own_type: np.ndarray, alive: np.ndarray, dt_min: float,
                       u_switch: np.ndarray, u_pick: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which rows switch type this step, and to which type.

    Parameters
    ----------
    rates_per_min : float (n, T)  ``become_<TYPE>_per_min`` of each row, types in table order (1/min)
    own_type : int (n,)  each row's type code (a rate to its own type is ignored)
    alive : bool (n,)  rows that may switch (live, not dividing this step)
    dt_min : float  step length (min)
    u_switch, u_pick : float (n,)  uniforms in [0, 1)

    Returns
    -------
    rows : int64 (k,)  the rows that switch; targets : int64 (k,)  their new type codes
    """
    n, n_types = rates_per_min.shape
    rates = np.maximum(rates_per_min.astype(np.float64), 0.0)
    rates[np.arange(n), own_type[:n]] = 0.0
    total = rates.sum(axis=1)
    rows = np.flatnonzero(alive[:n] & (total > 0.0) & (u_switch[:n] < 1.0 - np.exp(-total * dt_min)))
    if len(rows) == 0:
        return rows, rows.copy()
    mine = rates[rows]
    cum = np.cumsum(mine, axis=1)
    pick = u_pick[rows] * total[rows]
    first_above = (cum <= pick[:, None]).sum(axis=1)
    # rounding (cumsum vs sum) can leave pick at or above the last cumulative value: then the last type with a
    # positive rate, never a zero-rate column or the cell's own type
    last_positive = n_types - 1 - np.argmax(mine[:, ::-1] > 0.0, axis=1)
    targets = np.where(first_above < n_types, first_above, last_positive)
    return rows, targets.astype(np.int64)


def switch_types(pop, tables, behaviours: np.ndarray, rows: np.ndarray, targets: np.ndarray,
                 initial_state: np.ndarray) -> None:
    """Turn ``rows`` of ``pop`` into cells of type codes ``targets`` (in place).

    ``tables``: the model's :class:`mscabm.assembly.Tables`; ``behaviours``: the (n, B) behaviour rows,
    reset to the new type's base values; ``initial_state``: int (T,) state code a new cell of each type
    starts in.
    """
    states = initial_state[targets]
    pop["type"][rows] = targets
    pop["state"][rows] = states
    pop["state_age_min"][rows] = 0.0
    pop["cycle_progress"][rows] = 0.0
    pop["radius_um"][rows] = tables.radius_um[targets]
    for j, v in enumerate(tables.variable_names):
        pop[v][rows] = np.where(tables.variable_declared[targets, j], tables.variable_initial[targets, j], 0.0)
    behaviours[rows] = tables.base[targets.astype(np.int64) * tables.n_states + states]


def apply_type_switches(pop, tables, behaviours: np.ndarray, divide: np.ndarray, n: int, rng: np.random.Generator,
                        dt_min: float) -> int:
    """One step of type switches over the first ``n`` rows (live, not dividing this step); returns how many
    cells switched. Draws 2 x n uniforms from ``rng``: call it only when ``tables.become_any``."""
    u = rng.random((2, n))
    alive = (pop["apoptosis_left_min"][:n] < 0) & ~divide[:n]
    rows, targets = draw_type_switches(behaviours[:n, tables.become_col], pop["type"][:n], alive, dt_min, u[0], u[1])
    switch_types(pop, tables, behaviours, rows, targets, tables.initial_state)
    return len(rows)
