"""The tally: running counts of what happened to the cells, by cell type.

One object holds every counter the model keeps (cells placed, born, died, killed, engulfed,
removed, entered by influx), so the step updates them in one place, the readouts read them
in one place, and a checkpoint saves and restores them as one unit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Tally"]


@dataclass
class Tally:
    """Counters over a run; arrays are indexed by cell-type code (``Tables.type_names``).

    Attributes
    ----------
    placed_by_type : int64 (n_types,)  cells placed: seeded, infused, entered by influx
    seeded_by_type : int64 (n_types,)  cells placed by the initial seeding alone
    births_by_type : int64 (n_types,)  daughters born, by the parent's type
    deaths_by_type : int64 (n_types,)  cells entering apoptosis (lifecycle death or killing)
    kills : int64 (n_types, n_types)   contact kills, ``[killer type, victim type]``
    engulfed_total, removed_total, influx_total, transdifferentiated_total : int
        apoptotic bodies engulfed; rows removed from the population; cells entered by influx; cells that
        turned into another type (``engine/transdifferentiation.py``)
    """

    n_types: int
    placed_by_type: np.ndarray = field(init=False)
    seeded_by_type: np.ndarray = field(init=False)
    births_by_type: np.ndarray = field(init=False)
    deaths_by_type: np.ndarray = field(init=False)
    kills: np.ndarray = field(init=False)
    engulfed_total: int = 0
    removed_total: int = 0
    influx_total: int = 0
    transdifferentiated_total: int = 0

    def __post_init__(self) -> None:
        for name in ("placed_by_type", "seeded_by_type", "births_by_type", "deaths_by_type"):
            setattr(self, name, np.zeros(self.n_types, dtype=np.int64))
        self.kills = np.zeros((self.n_types, self.n_types), dtype=np.int64)

    @property
    def births_total(self) -> int:
        return int(self.births_by_type.sum())

    @property
    def deaths_total(self) -> int:
        return int(self.deaths_by_type.sum())

    def count_deaths(self, types: np.ndarray) -> None:
        """Cells of these type codes entered apoptosis."""
        self.deaths_by_type += np.bincount(types, minlength=self.n_types)

    def count_births(self, parent_types: np.ndarray) -> None:
        """One daughter was born to each parent of these type codes."""
        self.births_by_type += np.bincount(parent_types, minlength=self.n_types)

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict[str, Any]:
        """JSON-able copy (the checkpoint's keys of format 1)."""
        return {"births_total": self.births_total, "deaths_total": self.deaths_total,
                "removed_total": int(self.removed_total), "births_by_type": self.births_by_type.tolist(),
                "deaths_by_type": self.deaths_by_type.tolist(), "kills": self.kills.tolist(),
                "engulfed_total": int(self.engulfed_total), "placed_by_type": self.placed_by_type.tolist(),
                "seeded_by_type": self.seeded_by_type.tolist(), "influx_total": int(self.influx_total),
                "transdifferentiated_total": int(self.transdifferentiated_total)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict` output (checkpoints written before ``seeded_by_type`` and
        ``influx_total`` were saved keep the values this tally was built with)."""
        self.removed_total = int(state["removed_total"])
        self.births_by_type[:] = state["births_by_type"]
        self.deaths_by_type[:] = state["deaths_by_type"]
        self.kills[...] = state["kills"]
        self.engulfed_total = int(state["engulfed_total"])
        self.placed_by_type[:] = state["placed_by_type"]
        if "seeded_by_type" in state:
            self.seeded_by_type[:] = state["seeded_by_type"]
        self.influx_total = int(state.get("influx_total", self.influx_total))
        self.transdifferentiated_total = int(state.get("transdifferentiated_total", 0))
