"""What a cell senses: its stored signals (``Tables.signal_column``), block by block of rows.

A cell's signals are read by one thing only, its rules, in the same step. So the model senses and decides a
block of at most :data:`SENSE_BLOCK_ROWS` rows at a time, and the per-cell signal matrix holds one block, not the
whole population: at 10^6 cells that is the difference between ~180 B per cell (44 float32 signals of the default
biology) and ~6 (issue 19, memory). A block is sensed exactly as the whole population would be: the contact
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

from dataclasses import dataclass
from typing import Any

import numpy as np

from mscabm.engine.kernels.contact import count_contacts_by_type, sum_contact_levels
from mscabm.engine.kernels.exchange import sample_fields

__all__ = ["SENSE_BLOCK_ROWS", "SenseInputs", "blocks_of", "contact_codes", "sense_block"]

#: rows sensed and decided together; the signal matrix holds this many rows at most (a power of two: 32 Ki rows
#: of 44 float32 signals are 5.8 MB, in a server's last-level cache)
SENSE_BLOCK_ROWS = 1 << 15


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


@dataclass(frozen=True)
class SenseInputs:
    """What sensing reads, for every row of the step (the model builds it once per phenotype step)."""

    tables: Any  # mscabm.assembly.Tables
    population: Any  # mscabm.engine.population.Population
    fields: np.ndarray  # (n_fields, ny, nx) the well's lattice
    voxel: np.ndarray  # int64 (>= n,) each cell's flat voxel
    contact_class: np.ndarray  # int (>= n,) from contact_codes
    live_type: np.ndarray  # int (>= n,) from contact_codes
    offsets: np.ndarray  # the step's contact list (CSR over every row)
    neighbours: np.ndarray
    level_values: list[np.ndarray]  # float64 (>= n,) the value each cell contributes, per row of contact_levels
    insert: np.ndarray | None = None  # bool (>= n,): the transwell's insert cells (None without a transwell)
    transwell: Any = None  # mscabm.transwell.Transwell, to sample the insert layer


def sense_block(inputs: SenseInputs, a: int, b: int, out: np.ndarray) -> None:
    """The stored signals of rows ``a..b-1`` into ``out[:b - a]`` (float32, ``Tables.n_stored_signals``
    columns)."""
    t, pop, rows = inputs.tables, inputs.population, b - a
    offsets, neighbours, voxel = inputs.offsets[a:b + 1], inputs.neighbours, inputs.voxel[a:b]  # the block's rows
    sample_fields(inputs.fields, voxel, rows, out, t.field_signal_column)
    if inputs.insert is not None:
        inputs.transwell.sample_insert(voxel, np.flatnonzero(inputs.insert[a:b]), out, t.field_signal_column)
    count_contacts_by_type(offsets, neighbours, inputs.contact_class, t.n_contact_classes, out=out,
                           columns=t.class_signal_column)
    count_contacts_by_type(offsets, neighbours, inputs.live_type, len(t.type_names), out=out,
                           columns=t.type_signal_column)
    for (code, _, col), values in zip(t.contact_levels, inputs.level_values, strict=True):  # e.g. MSCs' PD-L1
        sum_contact_levels(offsets, neighbours, inputs.live_type, code, values, out[:, col])
    for col, values in [(t.time_signal_column, pop["state_age_min"])] + [
            (t.variable_signal_column[j], pop[v]) for j, v in enumerate(t.variable_names)]:
        if col >= 0:
            out[:rows, col] = values[a:b]
