"""A finished run folder, read back for replay: its snapshots drawn like the live tissue (no Solara here).

``mscabm run --out DIR`` writes the resolved config, the time series and, every
``output.snapshot_every`` steps, the cells (``cells/step_NNNNNN.parquet``) and fields
(``fields/step_NNNNNN.npz``) (:mod:`mscabm.observe.output`). :class:`RunFolder` lists the
snapshots, draws any of them with the live page's renderer (:mod:`mscabm.dashboard.render`, same
palette, same colour-by choices) and gives the time series up to a snapshot's time, so a replay
shows the same views as a live run.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from mscabm.dashboard import render as R
from mscabm.dashboard.folders import folder_kind
from mscabm.schema import ConfigError

__all__ = ["RunFolder", "Snapshot"]

_STEP = re.compile(r"^step_(\d+)\.(parquet|npz)$")


class Snapshot:
    """The cells (DataFrame, one row per cell, ``type``/``state`` as names) and fields
    ({name: (ny, nx) float array}, field unit) of one recorded step."""

    def __init__(self, step: int, time_min: float, cells: pd.DataFrame, fields: dict[str, np.ndarray],
                 spacing_um: float) -> None:
        self.step, self.time_min, self.cells, self.fields, self.spacing_um = step, time_min, cells, fields, spacing_um


class RunFolder:
    """One ``mscabm run`` output folder.

    Parameters
    ----------
    path : str or pathlib.Path
        The folder (``--out`` of ``mscabm run``).

    Raises
    ------
    mscabm.schema.ConfigError
        The path is not a run folder, or its ``config.toml`` does not load (key path in the message).
    """

    def __init__(self, path: str | Path) -> None:
        from mscabm.assembly import build_tables
        from mscabm.config import load_config

        self.path = Path(path)
        if folder_kind(self.path) != "run":
            raise ConfigError(str(path), "an experiment folder, not a run folder (the results browser opens it)")
        self.config = load_config(self.path / "config.toml")
        self.tables = build_tables(self.config)
        self.colours = R.palette(self.tables.type_names, self.tables.state_names)
        self.legend = R.legend(self.tables.type_names, self.tables.state_names)
        self.units = {f: self.config.fields[f].unit for f in self.tables.field_names}
        cells = {int(m.group(1)) for p in (self.path / "cells").glob("step_*.parquet") if (m := _STEP.match(p.name))}
        fields = {int(m.group(1)) for p in (self.path / "fields").glob("step_*.npz") if (m := _STEP.match(p.name))}
        #: recorded steps with a cell snapshot, ascending (fields are optional per step)
        self.steps: list[int] = sorted(cells)
        self._field_steps = fields
        self._read = lru_cache(maxsize=8)(self._read_snapshot)
        self._field_max: dict[str, float] = {}
        self._value_range: dict[str, tuple[float, float]] = {}

    @property
    def name(self) -> str:
        return self.config.model.name

    @property
    def width_um(self) -> float:
        return float(self.config.domain.width_um)

    @property
    def height_um(self) -> float:
        return float(self.config.domain.height_um)

    # ------------------------------------------------------------------ data
    def timeseries(self) -> pd.DataFrame:
        """Every recorded row (``timeseries.parquet``) with the dashboard's derived percentages."""
        from mscabm.dashboard.session import derived

        p = self.path / "timeseries.parquet"
        if not p.is_file():
            return pd.DataFrame({"step": [], "time_min": []})
        return derived(pd.read_parquet(p))

    def snapshot(self, step: int) -> Snapshot:
        """The cells and fields at a recorded step (cached: scrubbing back and forth re-reads nothing)."""
        if step not in self.steps:
            raise ConfigError("step", f"{step} has no snapshot; recorded steps: {_ranges(self.steps)}")
        return self._read(step)

    def _read_snapshot(self, step: int) -> Snapshot:
        cells = pd.read_parquet(self.path / "cells" / f"step_{step:06d}.parquet")
        fields: dict[str, np.ndarray] = {}
        spacing = float(self.config.domain.voxel_um)
        time_min = float(step * self.config.model.dt_min)
        if step in self._field_steps:
            with np.load(self.path / "fields" / f"step_{step:06d}.npz") as z:
                spacing = float(z["spacing_um"])
                time_min = float(z["time_min"]) if "time_min" in z else time_min
                fields = {f: np.asarray(z[f]) for f in self.tables.field_names if f in z}
        return Snapshot(step, time_min, cells, fields, spacing)

    def codes(self, cells: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """(type code, state code) int64 arrays of a snapshot's cells in this run's tables."""
        t = self.tables
        types = {name: k for k, name in enumerate(t.type_names)}
        states = [{name: k for k, name in enumerate(names)} for names in t.state_names]
        type_code = np.array([types[x] for x in cells["type"].astype(str)], dtype=np.int64)
        state_code = np.array([states[c][s] for c, s in zip(type_code, cells["state"].astype(str))], dtype=np.int64)
        return type_code, state_code

    # ------------------------------------------------------------------ draw
    def view(self, width_px: int = 560, field: str | None = None, zoom: float = 1.0, cx_frac: float = 0.5,
             cy_frac: float = 0.5, **kw) -> R.View:
        """The window to draw (as the live page's :meth:`~mscabm.dashboard.session.Sim.view_of`)."""
        base = R.full_view(self.width_um, self.height_um, width_px, field=field, **kw)
        if zoom > 1.0:
            base = R.zoom_view(base, cx_frac * self.width_um, cy_frac * self.height_um, zoom, self.width_um,
                               self.height_um)
        return base

    def cell_values(self, snap: Snapshot, colour_by: str) -> np.ndarray:
        """(N,) the per-cell number ``colour_by`` names (a :func:`~mscabm.dashboard.render.colour_by_choices` entry)."""
        t = self.tables
        if colour_by.startswith(R.LOCAL_PREFIX) and colour_by[len(R.LOCAL_PREFIX):] not in snap.fields:
            return np.full(len(snap.cells), np.nan)  # the run saved no field at this step (e.g. interrupted)
        type_code, _ = self.codes(snap.cells)
        return R.cell_values(colour_by, snap.cells, type_code, t.variable_names, t.variable_declared, snap.fields,
                             snap.spacing_um)

    def colour_by_choices(self, snap: Snapshot | None = None) -> list[str]:
        """Colour-by entries this folder can draw (variables it saved, fields it saved)."""
        fields = self.tables.field_names if snap is None else list(snap.fields)
        return R.colour_by_choices(self.tables.variable_names, fields)

    def frame(self, step: int, view: R.View, colour_by: str = R.COLOUR_BY_TYPE,
              value_range: tuple[float, float] | None = None) -> R.Frame:
        """The tissue at a recorded step, drawn like the live page (field under the cells if saved)."""
        snap = self.snapshot(step)
        c = snap.cells
        type_code, state_code = self.codes(c)
        data = snap.fields.get(view.field) if view.field is not None else None
        if view.field is not None and data is None:
            view = replace(view, field=None)
        rgb = None
        if colour_by != R.COLOUR_BY_TYPE:
            vals = self.cell_values(snap, colour_by)
            lo, hi = value_range if value_range is not None else R.finite_range(vals)
            rgb = R.value_colours(vals, lo, hi)
        return R.render(view, c["x_um"].to_numpy(), c["y_um"].to_numpy(), type_code, state_code,
                        c["radius_um"].to_numpy(), c["apoptosis_left_min"].to_numpy() >= 0, self.colours, data,
                        snap.spacing_um, ids=c["id"].to_numpy(), cell_rgb=rgb)

    def field_max(self, field: str) -> float:
        """The largest level of a field over every saved snapshot (a replay's fixed colour scale);
        read once per field (cached)."""
        if field not in self._field_max:
            hi = 0.0
            for step in sorted(self._field_steps):
                with np.load(self.path / "fields" / f"step_{step:06d}.npz") as z:
                    if field in z:
                        hi = max(hi, float(np.max(z[field])))
            self._field_max[field] = hi
        return self._field_max[field]

    def value_range(self, colour_by: str) -> tuple[float, float] | None:
        """One range of a per-cell number over every snapshot, so a colour means one value throughout
        (None when the cells are coloured by type; cached)."""
        if colour_by == R.COLOUR_BY_TYPE:
            return None
        if colour_by not in self._value_range:
            self._value_range[colour_by] = R.shared_range(self.cell_values(self.snapshot(step), colour_by)
                                                          for step in self.steps)
        return self._value_range[colour_by]

    def pick(self, step: int, x_um: float, y_um: float) -> int | None:
        """The id of the cell nearest to (x, y) within 3 radii at a recorded step, or None."""
        c = self.snapshot(step).cells
        if len(c) == 0:
            return None
        d2 = (c["x_um"].to_numpy() - x_um) ** 2 + (c["y_um"].to_numpy() - y_um) ** 2
        i = int(np.argmin(d2))
        if d2[i] > (3 * max(float(c["radius_um"].iloc[i]), 5.0)) ** 2:
            return None
        return int(c["id"].iloc[i])

    def inspect(self, step: int, cell_id: int) -> dict | None:
        """A cell's saved attributes at a recorded step (None: not alive then)."""
        from mscabm.dashboard.session import apoptosis_text

        snap = self.snapshot(step)
        rows = snap.cells.index[snap.cells["id"].to_numpy() == cell_id]
        if len(rows) == 0:
            return None
        r = snap.cells.loc[rows[0]]
        out = {"id": int(r["id"]), "type": str(r["type"]), "state": str(r["state"]),
               "x_um": round(float(r["x_um"]), 1), "y_um": round(float(r["y_um"]), 1),
               "radius_um": float(r["radius_um"]), "time_in_state_min": round(float(r["state_age_min"]), 1),
               "cycle_progress": round(float(r["cycle_progress"]), 3),
               "apoptosis": apoptosis_text(float(r["apoptosis_left_min"]))}
        t = self.tables
        tcode = t.type_names.index(str(r["type"]))
        for k, v in enumerate(t.variable_names):
            if v in r.index and t.variable_declared[tcode, k]:
                out[f"variable {v}"] = float(f"{float(r[v]):.4g}")
        for f, data in snap.fields.items():
            ny, nx = data.shape
            ix = min(max(int(float(r["x_um"]) // snap.spacing_um), 0), nx - 1)
            iy = min(max(int(float(r["y_um"]) // snap.spacing_um), 0), ny - 1)
            out[f"local {f} ({self.units[f]})"] = float(f"{float(data[iy, ix]):.4g}")
        return out

    def movie_zip(self, view: R.View, colour_by: str = R.COLOUR_BY_TYPE, progress=None) -> bytes:
        """Every snapshot drawn with ``view`` as a zip of numbered PNG frames (``frame_0000.png`` ...),
        on one colour scale (the field's maximum over the run unless the view fixes it), for a movie
        maker (e.g. ``ffmpeg -i frame_%04d.png movie.mp4``). ``progress(i, n)`` is called per frame."""
        if view.field is not None and view.vmax is None:
            view = replace(view, vmin=view.vmin or 0.0, vmax=self.field_max(view.field) or 1.0)
        vr = self.value_range(colour_by)
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as z:
            for i, step in enumerate(self.steps):
                z.writestr(f"frame_{i:04d}.png", R.encode_png(self.frame(step, view, colour_by, vr).rgb))
                if progress is not None:
                    progress(i + 1, len(self.steps))
        return buf.getvalue()


def _ranges(steps: list[int], most: int = 8) -> str:
    shown = ", ".join(str(s) for s in steps[:most])
    return (shown + f", ... ({len(steps)} in all)") if len(steps) > most else (shown or "none")
