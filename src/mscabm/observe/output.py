"""The run folder: resolved config, time series, cell and field snapshots, summary.

Layout (DESIGN.md section 7)::

    <out>/config.toml               the resolved configuration (rerun with `mscabm run <out>/config.toml`)
    <out>/timeseries.parquet        one row per recorded step (time_min, counts, mean field levels)
    <out>/cells/step_NNNNNN.parquet cell snapshots (id, type, state, x_um, y_um, ...)
    <out>/fields/step_NNNNNN.npz    field snapshots, one array per species plus spacing_um
    <out>/summary.json              final readouts, wall time, speed

Every file is written atomically; the time series is rewritten every ``flush_every`` rows, so
a run killed at any moment leaves a valid ``timeseries.parquet`` up to the last flush.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mscabm.observe.io import atomic_write_npz, atomic_write_parquet, atomic_write_text

if TYPE_CHECKING:  # pragma: no cover
    from mscabm.model import MSCModel


class RunWriter:
    """Writes one model's outputs into ``out_dir`` as the run proceeds.

    The time series is the model's readout log (``model.log``): :meth:`sync` writes what the
    log gained since the last flush, every ``output.flush_every`` rows.
    """

    def __init__(self, out_dir: str | Path, model: MSCModel) -> None:
        self.out = Path(out_dir)
        self.out.mkdir(parents=True, exist_ok=True)
        self.model = model
        self._flushed = 0
        model.config.save(self.out / "config.toml")

    @property
    def rows(self) -> list[dict[str, float]]:
        """Every time-series row so far (the model's log, including rows from before a resume)."""
        return self.model.log.rows

    def sync(self) -> None:
        """Flush once ``output.flush_every`` rows have been logged since the last flush."""
        if len(self.rows) - self._flushed >= self.model.config.output.flush_every:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            atomic_write_parquet(self.out / "timeseries.parquet", pd.DataFrame(self.rows))
        self._flushed = len(self.rows)

    def snapshot(self) -> None:
        """Cell table and fields at the current step."""
        m = self.model
        name = f"step_{m.steps:06d}"
        atomic_write_parquet(self.out / "cells" / f"{name}.parquet", m.cells.to_frame())
        arrays = {f: m.lattice.data[i] for i, f in enumerate(m.tables.field_names)}
        atomic_write_npz(self.out / "fields" / f"{name}.npz", spacing_um=np.array(m.lattice.spacing_um),
                         time_min=np.array(m.time), **arrays)

    def summary(self, extra: dict[str, Any]) -> dict[str, Any]:
        self.flush()
        data = {"name": self.model.config.model.name, "steps": int(self.model.steps),
                "time_min": float(self.model.time), "final": dict(self.model.readouts), **extra}
        atomic_write_text(self.out / "summary.json", json.dumps(data, indent=2, default=float) + "\n")
        return data
