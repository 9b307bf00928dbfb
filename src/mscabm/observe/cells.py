"""An AgentSet-like view of the struct-of-arrays population.

Mesa users think in agents: ``model.cells`` keeps that mental model (``len``, ``select``
by type and state, ``groupby`` counts, ``to_frame()``, ``cell(id)``) while the data stays in
numpy arrays. Selections are lightweight (a row index array), valid until the next step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd

from mscabm.engine.lattice import Lattice
from mscabm.engine.population import Population


class CellSource(Protocol):
    """What a :class:`CellView` reads: the population, the compiled name tables
    (``mscabm.assembly.Tables``: type and state names, field names) and the lattice.
    ``MSCModel`` is one."""

    population: Population
    tables: Any
    lattice: Lattice

SNAPSHOT_COLUMNS = ("id", "type", "state", "x_um", "y_um", "radius_um", "state_age_min", "cycle_progress",
                    "apoptosis_left_min")


@dataclass(frozen=True)
class Cell:
    """A readable copy of one cell's attributes (and the field levels at its voxel)."""

    id: int
    type: str
    state: str
    x_um: float
    y_um: float
    radius_um: float
    state_age_min: float
    cycle_progress: float
    apoptotic: bool
    local_fields: dict[str, float]
    variables: dict[str, float]

    def __str__(self) -> str:
        fields = ", ".join(f"{k}={v:.3g}" for k, v in self.local_fields.items())
        variables = "".join(f", {k}={v:.3g}" for k, v in self.variables.items())
        return (f"cell {self.id}: {self.type} {self.state}{' (apoptotic)' if self.apoptotic else ''} at "
                f"({self.x_um:.1f}, {self.y_um:.1f}) um, {self.state_age_min:.0f} min in state, "
                f"cycle {self.cycle_progress:.2f}{variables}; fields: {fields}")


class CellView:
    """Rows of the model's population, optionally restricted to a selection."""

    def __init__(self, model: CellSource, rows: np.ndarray | None = None) -> None:
        self._model = model
        self._rows = rows

    @property
    def rows(self) -> np.ndarray:
        n = len(self._model.population)
        return np.arange(n) if self._rows is None else self._rows

    def __len__(self) -> int:
        return len(self._model.population) if self._rows is None else len(self._rows)

    def column(self, name: str) -> np.ndarray:
        """Values of one population column for the selected cells."""
        col = self._model.population[name]
        return col if self._rows is None else col[self._rows]

    def select(self, mask: np.ndarray | None = None, *, type: str | None = None, state: str | None = None,
               alive: bool | None = None) -> CellView:
        """Cells of a type and/or state (names), and/or where a boolean mask (over this view) holds."""
        t = self._model.tables
        keep = np.ones(len(self), dtype=bool)
        types = self.column("type")
        if type is not None:
            if type not in t.type_names:
                raise KeyError(f"unknown cell type {type!r}; known: {', '.join(t.type_names)}")
            code = t.type_code(type)
            keep &= types == code
            if state is not None:
                keep &= self.column("state") == t.state_code(type, state)
        elif state is not None:
            match = np.zeros(len(self), dtype=bool)
            for code, names in enumerate(t.state_names):
                if state in names:
                    match |= (types == code) & (self.column("state") == names.index(state))
            keep &= match
        if alive is not None:
            keep &= (self.column("apoptosis_left_min") < 0) == alive
        if mask is not None:
            keep &= np.asarray(mask, dtype=bool)
        return CellView(self._model, self.rows[keep])

    def type_names(self) -> np.ndarray:
        return np.asarray(self._model.tables.type_names, dtype=object)[self.column("type")]

    def state_names(self) -> np.ndarray:
        t = self._model.tables
        lookup = np.array([[names[s] if s < len(names) else "" for s in range(t.n_states)] for names in t.state_names],
                          dtype=object)
        return lookup[self.column("type"), self.column("state")]

    def to_frame(self, columns: tuple[str, ...] | None = None) -> pd.DataFrame:
        """A pandas DataFrame, one row per cell, with type and state as names.

        Default columns: :data:`SNAPSHOT_COLUMNS` and every per-cell variable (0 in cells whose
        type does not declare it).
        """
        if columns is None:
            columns = SNAPSHOT_COLUMNS + tuple(self._model.tables.variable_names)
        data = {c: self.column(c) for c in columns if c not in ("type", "state")}
        frame = pd.DataFrame(data)
        if "type" in columns:
            frame.insert(1, "type", pd.Categorical(self.type_names(), categories=self._model.tables.type_names))
        if "state" in columns:
            frame.insert(2, "state", self.state_names().astype(str))
        return frame

    def groupby(self, by: str = "type") -> dict:
        """Counts per type name (``by='type'``) or per (type, state) (``by='state'``)."""
        if by == "type":
            names, counts = np.unique(self.type_names().astype(str), return_counts=True)
            return dict(zip(names.tolist(), counts.tolist()))
        if by == "state":
            pairs = pd.Series(list(zip(self.type_names(), self.state_names())))
            return {k: int(v) for k, v in pairs.value_counts(sort=False).items()}
        raise ValueError("by must be 'type' or 'state'")

    def cell(self, cell_id: int) -> Cell:
        """A readable view of the live cell with this stable id."""
        m = self._model
        row = int(m.population.rows_of(cell_id)[0])
        p = m.population
        t = m.tables
        code = int(p["type"][row])
        ny, nx = m.lattice.shape
        ix = min(max(int(p["x_um"][row] // m.lattice.spacing_um), 0), nx - 1)
        iy = min(max(int(p["y_um"][row] // m.lattice.spacing_um), 0), ny - 1)
        return Cell(
            id=int(cell_id), type=t.type_names[code], state=t.state_names[code][int(p["state"][row])],
            x_um=float(p["x_um"][row]), y_um=float(p["y_um"][row]), radius_um=float(p["radius_um"][row]),
            state_age_min=float(p["state_age_min"][row]), cycle_progress=float(p["cycle_progress"][row]),
            apoptotic=bool(p["apoptosis_left_min"][row] >= 0),
            local_fields={f: float(m.lattice.data[i, iy, ix]) for i, f in enumerate(t.field_names)},
            variables={v: float(p[v][row]) for j, v in enumerate(t.variable_names) if t.variable_declared[code, j]},
        )

    def contacts_by_type(self, cell_id: int, contact_scale: float,
                         compartment: np.ndarray | None = None) -> dict[str, int]:
        """The live cells touching this cell now, counted by type name (every type, 0 included).

        Contact as in the contact list (engine/kernels/contact.py): ``dx*dx + dy*dy <= c*c`` with
        ``c = contact_scale * (r_i + r_j)`` in float64, the cell itself and apoptotic cells excluded, at the
        current positions (the model senses at the start of a step, before its cells move).
        ``compartment``: optional bool per row (e.g. the transwell's insert cells); only cells on the same
        side count.
        """
        m = self._model
        p = m.population
        n = len(p)
        row = int(p.rows_of(cell_id)[0])
        x, y, r = p["x_um"][:n], p["y_um"][:n], p["radius_um"][:n].astype(np.float64)
        dx, dy = x - x[row], y - y[row]
        c = float(contact_scale) * (r[row] + r)
        touching = (dx * dx + dy * dy <= c * c) & (p["apoptosis_left_min"][:n] < 0)
        touching[row] = False
        if compartment is not None:
            touching &= np.asarray(compartment[:n], dtype=bool) == bool(compartment[row])
        counts = np.bincount(p["type"][:n][touching].astype(np.int64), minlength=len(m.tables.type_names))
        return {name: int(counts[k]) for k, name in enumerate(m.tables.type_names)}

    def __repr__(self) -> str:
        return f"CellView({len(self)} cells: {self.groupby('type')})"
