"""The readout log: one row of readouts per recorded step, read by every consumer.

The model computes its readouts once per recorded step (``output.record_every``) and appends
them here; Mesa's DataCollector (:class:`ReadoutCollector`), the run writer
(:class:`~mscabm.observe.output.RunWriter`), the experiment runner and the dashboard all read
this one log instead of keeping recordings of their own (py-pde's tracker pattern: observing
is kept outside stepping).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import mesa
import pandas as pd

__all__ = ["ReadoutLog", "ReadoutCollector"]


class ReadoutLog:
    """Rows of readouts (``dict[str, float]``, one per recorded step), in step order.

    Every row carries ``step`` and ``time_min``. Rows are never changed after they are
    appended; :attr:`rows` is the list itself (read it, do not mutate it).
    """

    def __init__(self, rows: Iterable[Mapping[str, Any]] = ()) -> None:
        self.rows: list[dict[str, Any]] = [dict(r) for r in rows]

    def __len__(self) -> int:
        return len(self.rows)

    def append(self, row: Mapping[str, Any]) -> None:
        """Add the readouts of one recorded step."""
        self.rows.append(dict(row))

    @property
    def latest(self) -> dict[str, Any]:
        """The newest row (KeyError-free: an empty dict before the first record)."""
        return self.rows[-1] if self.rows else {}

    def to_frame(self) -> pd.DataFrame:
        """The log as a DataFrame, one row per recorded step."""
        return pd.DataFrame(self.rows)


class ReadoutCollector(mesa.DataCollector):
    """Mesa's DataCollector, fed from a :class:`ReadoutLog` instead of calling reporters.

    ``model_vars`` and ``get_model_vars_dataframe()`` behave as Mesa's (``mesa.batch_run``
    reads them); each :meth:`collect` appends the log's newest row.

    Parameters
    ----------
    names : iterable of str
        The readout names (the model reporters).
    """

    def __init__(self, names: Iterable[str]) -> None:
        # string reporters are attribute names in Mesa; they are never called here
        super().__init__(model_reporters={name: name for name in names})

    def collect(self, model: Any) -> None:
        """Append the newest row of ``model.log`` (recorded at ``model.time``)."""
        self.append(model.log.latest, model.time)

    def append(self, row: Mapping[str, Any], time: float) -> None:
        self._collection_steps.append(time)
        for name, values in self.model_vars.items():
            values.append(row[name])
