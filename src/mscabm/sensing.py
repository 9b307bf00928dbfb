"""What a cell senses: its stored signals (``Tables.signal_column``), block by block of rows.

A cell's signals are read by one thing only, its rules, in the same step. So the model senses and decides a
block of at most :data:`SENSE_BLOCK_ROWS` rows at a time, and the per-cell signal matrix holds one block, not the
whole population: at 10^6 cells that is the difference between ~180 B per cell (44 float32 signals of the default
biology) and ~12 (issue 19, memory). A block is sensed exactly as the whole population would be: the contact
list's rows are sliced (their neighbours keep whole-population row numbers), so each row's signals, and the
behaviours the rules make of them, are the same to the bit for any block size.

Signals of a row (the stored ones only; each writer skips a signal no rule reads):

- ``field:<F>``: the field's level in the cell's voxel (the insert layer's for a transwell's insert cells);
- ``contact:<TYPE>.<state>`` and ``contact:apoptotic``: contacts by (type, state) class, apoptotic bodies apart;
- ``contact:<TYPE>``: live contacts by type;
- ``contact_level:<TYPE>.<V>``: the sum of a variable over the touching cells of a type (e.g. PD-L1 of MSCs);
- ``time_in_state`` and ``var:<V>``: the cell's own clock and variables.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mscabm.engine.kernels.contact import count_contacts_by_type, sum_contact_levels
from mscabm.engine.kernels.exchange import sample_fields

__all__ = ["SENSE_BLOCK_ROWS", "blocks_of", "contact_codes", "sense_block"]

#: rows sensed and decided together; the signal matrix holds this many rows at most (a power of two: 64 Ki rows
#: of 44 float32 signals are 11.5 MB, in a server's last-level cache)
SENSE_BLOCK_ROWS = 1 << 16


def blocks_of(n: int, rows: int = SENSE_BLOCK_ROWS) -> list[tuple[int, int]]:
    """``[(a, b), ...]`` covering ``0..n-1`` in order, ``b - a <= rows``."""
    return [(a, min(a + rows, n)) for a in range(0, n, rows)]


def contact_codes(tables: Any, cell_type: np.ndarray, group: np.ndarray, apoptotic: np.ndarray,
                  contact_class: np.ndarray, live_type: np.ndarray) -> None:
    """Each row's code as a neighbour (whole population, before any block is sensed), in place on
    ``contact_class[:n]`` (its (type, state) class; apoptotic bodies the last class) and ``live_type[:n]`` (its
    type; apoptotic bodies ``n_types``, which no type count includes). int16 (>= n,) each: codes are small."""
    n = len(group)
    cls = contact_class[:n]
    np.copyto(cls, tables.contact_class[group])
    cls[apoptotic] = tables.n_contact_classes - 1
    live = live_type[:n]
    np.copyto(live, cell_type[:n])
    live[apoptotic] = len(tables.type_names)


def sense_block(model: Any, offsets: np.ndarray, neighbours: np.ndarray, insert: np.ndarray | None, a: int, b: int,
                out: np.ndarray) -> None:
    """The stored signals of rows ``a..b-1`` into ``out[:b - a]`` (float32, ``Tables.n_stored_signals`` columns).

    ``model``: an :class:`~mscabm.model.MSCModel` after its sense phase (``_voxel``, ``_class``, ``_live_type``
    filled for the whole population); ``offsets, neighbours``: the step's contact list (CSR over every row);
    ``insert``: bool per row, the transwell's insert cells (None without a transwell).
    """
    t, pop = model.tables, model.population
    rows = b - a
    block_offsets = offsets[a:b + 1]  # the block's rows; neighbour numbers stay the population's
    sample_fields(model.lattice.data, model._voxel[a:b], rows, out, t.field_signal_column)
    if insert is not None:
        model.transwell.sample_insert(model._voxel[a:b], np.flatnonzero(insert[a:b]), out, t.field_signal_column)
    count_contacts_by_type(block_offsets, neighbours, model._class, t.n_contact_classes, out=out,
                           columns=t.class_signal_column)
    count_contacts_by_type(block_offsets, neighbours, model._live_type, len(t.type_names), out=out,
                           columns=t.type_signal_column)
    for code, j, col in t.contact_levels:  # e.g. the PD-L1 levels of the touching MSCs
        sum_contact_levels(block_offsets, neighbours, model._live_type, code, model._output_level(code, j, len(pop)),
                           out[:, col])
    for col, values in [(t.time_signal_column, pop["state_age_min"])] + [
            (t.variable_signal_column[j], pop[v]) for j, v in enumerate(t.variable_names)]:
        if col >= 0:
            out[:rows, col] = values[a:b]
