"""One dashboard session's simulations, independent of the browser (tested without one).

A :class:`Sim` holds the main run and, in compare mode, a second run that differs by a set of
overrides (e.g. no MSCs); both advance in lockstep. Every model access goes through the
session lock, so the play thread and button handlers never see a half-stepped model.
"""

from __future__ import annotations

import dataclasses
import io
import threading
import time
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from mscabm.biology.interventions import BLOCKERS, MSC_FACTORS, PRETREATMENTS, delivered_count
from mscabm.config import Config, ConfigError
from mscabm.dashboard import render as R
from mscabm.dashboard.controls import EV_FIELD, Settings, _float, _int, resolve
from mscabm.dashboard.recording import FrameRecorder


@dataclass(frozen=True)
class CompareVariant:
    """A comparison run: the main settings plus ``overrides`` (dotted key -> value, or a function of
    the main run's config giving the value). ``control``: the variant is an untreated control, so the
    page shows the % suppression of T-cell proliferation against it."""

    overrides: dict[str, Any]
    control: bool = False
    doc: str = ""

    def resolve(self, main: Config) -> dict[str, Any]:
        return {k: v(main) if callable(v) else v for k, v in self.overrides.items()}


def _with_knockout(factor: str):
    return lambda cfg: sorted(set(cfg.interventions.knockout) | {factor})


def _with_block(drug: str):
    return lambda cfg: sorted(set(cfg.interventions.block) | {drug})


#: the keys an untreated control clears: no MSCs, no MSC infusions, no MSC-EV doses
_NO_MSC = {"cells.MSC.count": 0, "interventions.infusions": [],
           "interventions.doses": lambda cfg: [dataclasses.asdict(d) for d in cfg.interventions.doses
                                               if d.field != EV_FIELD]}


def compare_variants() -> dict[str, CompareVariant]:
    """The compare menu, built from the intervention tables (``biology/interventions.py``)."""
    out = {"no MSCs (control)": CompareVariant(dict(_NO_MSC), control=True,
                                               doc="no MSCs, no MSC infusions and no MSC-EV doses")}
    out["transwell"] = CompareVariant({"interventions.transwell": True},
                                      doc="MSCs on a transwell insert above the well: no contact")
    for factor in MSC_FACTORS:
        out[f"{factor} knock-out"] = CompareVariant({"interventions.knockout": _with_knockout(factor)},
                                                    doc=f"MSC {factor} knocked out, added to the main run's")
    for drug in BLOCKERS:
        out[drug] = CompareVariant({"interventions.block": _with_block(drug)},
                                   doc=f"{drug} added to the main run's blockers")
    for pre, proto in PRETREATMENTS.items():
        if proto["signals"]:
            out[f"pre-treated {pre}"] = CompareVariant({"interventions.prelicense": pre},
                                                       doc=f"MSCs pre-treated: {proto['source']}")
    return out


#: compare variants: label -> CompareVariant (overrides applied to a copy of the main settings)
COMPARE_VARIANTS: dict[str, CompareVariant] = compare_variants()


class Run:
    """One model built from settings, with a palette and the overrides that made it."""

    def __init__(self, settings: Settings, label: str = "") -> None:
        from mscabm.model import MSCModel

        self.settings = settings
        self.config, self.overrides = resolve(settings)
        # the dashboard steps until the user stops it: never stop at model.steps
        self.model = MSCModel(self.config)
        self.model.config.model.steps = 10**9
        self.label = label or settings.preset
        t = self.model.tables
        self.colours = R.palette(t.type_names, t.state_names)
        self.legend = R.legend(t.type_names, t.state_names)
        self.initial_msc = max(1, int(self.model.readouts.get("n_MSC", 0)))

    def step(self, n: int = 1) -> None:
        for _ in range(n):
            self.model.step()

    def timeseries(self) -> pd.DataFrame:
        return derived(self.model.datacollector.get_model_vars_dataframe(), self.initial_msc)


def derived(df: pd.DataFrame, initial_msc: int | None = None) -> pd.DataFrame:
    """Add ratios the dashboard plots (fractions in %, NaN where the denominator is 0)."""
    df = df.copy()
    if len(df) == 0:
        return df

    def pct(num, den):
        den = np.asarray(df[den], dtype=float) if isinstance(den, str) else np.asarray(den, dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(den > 0, 100.0 * np.asarray(df[num], dtype=float) / den, np.nan)

    # every state of every type as % of the type's live cells (pct_MAC_M2, pct_T_Treg, pct_CD8_CTL, ...)
    for col in list(df.columns):
        if col.startswith("n_") and col.count("_") >= 2:
            tname = col.split("_")[1]
            if f"n_{tname}" in df and col != f"n_{tname}":
                df["pct_" + col[2:]] = pct(col, f"n_{tname}")
    if "MSC_survival_frac" in df:  # live MSCs / MSCs placed (seeded and infused)
        df["pct_MSC_surviving"] = 100.0 * np.asarray(df["MSC_survival_frac"], dtype=float)
    elif "n_MSC" in df:
        n0 = initial_msc if initial_msc else (df["n_MSC"].iloc[0] or 0)
        df["pct_MSC_surviving"] = pct("n_MSC", np.full(len(df), float(n0))) if n0 else np.nan
    return df


#: T-cell divisions counted by the suppression readout: CD4 and, where the model has them, CD8
T_BIRTHS = ("births_T_total", "births_CD8_total")


def suppression(treated: pd.DataFrame, control: pd.DataFrame) -> pd.Series:
    """% suppression of T-cell proliferation vs the control run:
    100 * (1 - T births treated / T births control), by step (rows matched on ``step``); T births
    are CD4 + CD8 divisions (the columns of :data:`T_BIRTHS` both runs have)."""
    cols = [c for c in T_BIRTHS if c in treated and c in control]
    if "births_T_total" not in cols:
        return pd.Series(dtype=float)
    a = treated.set_index("step")[cols].astype(float).sum(axis=1)
    b = control.set_index("step")[cols].astype(float).sum(axis=1).reindex(a.index)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(b > 0, 100.0 * (1.0 - a / b), np.nan)
    return pd.Series(out, index=a.index, name="pct_suppression")


def format_time(time_min: float) -> str:
    """Simulated time for people: ``2 d 3.5 h`` (or ``3.5 h`` under a day)."""
    days, rest = divmod(float(time_min), 1440.0)
    return f"{int(days)} d {rest / 60:.1f} h" if days else f"{rest / 60:.1f} h"


def apoptosis_text(left_min: float) -> str:
    """The population's apoptosis timer in words (it holds -1 for a cell that is not dying)."""
    return "not apoptotic" if left_min < 0 else f"apoptotic, removed in {left_min:.0f} min"


@dataclass
class ViewSettings:
    """What the tissue views show. ``vmin``/``vmax`` None: automatic (0 to the largest level in
    view, shared by side-by-side views); numbers: a fixed colour range in the field's unit.
    ``colour_by``: a :func:`~mscabm.dashboard.render.colour_by_choices` entry."""

    field: str | None = "IFNG"
    zoom: float = 1.0
    cx_frac: float = 0.5
    cy_frac: float = 0.5
    width_px: int = 560
    compare_width_px: int = 400
    cmap: str = "viridis"
    vmin: float | None = None
    vmax: float | None = None
    colour_by: str = R.COLOUR_BY_TYPE


class Sim:
    """The session: main run, optional comparison run, a lock, and an error/notice line."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.lock = threading.RLock()
        #: held while a frame is drawn and sent while playing (app.py): the play thread's final
        #: re-render waits for it, so no older frame lands after it
        self.frame_lock = threading.Lock()
        self.settings = settings or Settings()
        self.main: Run | None = None
        self.compare: Run | None = None
        self.compare_variant: str | None = None
        self.error: str = ""
        self.notice: str = ""
        self.selected: int | None = None
        self.view = ViewSettings()
        #: the page's image widgets ("main", "compare"), for frames sent without a page re-render
        self.widgets: dict[str, Any] = {}
        #: the measured frames/s (frame thread) and simulated hours per second (play thread); the colour scale of the
        #: last frame sent (vmin, vmax, flat)
        self.fps = 0.0
        self.sim_rate_h_per_s = 0.0
        self.last_scale: tuple[float, float, bool] = (0.0, 1.0, False)
        #: frames kept for a movie while recording is on (recording.py)
        self.recorder = FrameRecorder()
        self.reset(self.settings)

    # ------------------------------------------------------------------ build
    def reset(self, settings: Settings | None = None, compare_variant: str | None = "keep") -> bool:
        """Rebuild the runs from settings. On a bad value keep the old runs and set ``error``."""
        settings = self.settings if settings is None else settings
        variant = self.compare_variant if compare_variant == "keep" else compare_variant
        try:
            main = Run(settings, label=("treated" if COMPARE_VARIANTS[variant].control else "main")
                       if variant else settings.preset)
            comp = None
            if variant:
                extra = COMPARE_VARIANTS[variant].resolve(main.config)
                comp_settings = replace(settings, overrides_extra={**settings.overrides_extra, **extra})
                comp = Run(comp_settings, label=variant)
        except ConfigError as exc:
            self.error = f"Invalid input: {exc} (the running model was kept; the boxes show the values in force)"
            return False
        with self.lock:
            self.main, self.compare, self.settings, self.compare_variant = main, comp, settings, variant
            self.error = ""
            changed = ", ".join(f"{k}={v}" for k, v in main.overrides.items()) or "no overrides"
            self.notice = f"Model reset at t = 0 ({settings.preset}; {changed})" + (
                f"; side by side with: {variant}" if variant else "")
            if self.view.field is not None and self.view.field not in main.model.tables.field_names:
                self.view.field = None
            if self.selected is not None and not self._alive(self.selected):
                self.selected = None
        return True

    def infuse(self, count: Any, cell_type: str = "MSC") -> bool:
        """Add ``count`` cells to the running model(s) now, without a reset, and record the infusion in
        the settings (``interventions.infusions``, at the current time) so that the exported config and
        every later reset reproduce it. Infused MSCs get the pre-treatment's levels and label (mscabm/pretreatment.py).

        At t = 0 (nothing run yet) the infusion is the initial dose: the dose is raised and the model
        rebuilt (the model only schedules infusions strictly after t = 0). The comparison run gets the
        same cells unless its variant sets ``interventions.infusions`` itself (the no-MSC control).
        On a bad count nothing changes and ``error`` says why."""
        with self.lock:
            m = self.main.model
            cfg = self.main.config
            try:
                n = _int("infusion count", count)
                if n < 1:
                    raise ConfigError("interventions.infusions[].count", f"{n} is out of range; allowed: >= 1")
            except ConfigError as exc:
                self.error = f"Invalid input: {exc} (nothing was infused)"
                return False
            if m.steps == 0:
                if cell_type in cfg.interventions.deplete:
                    self.error = (f"Invalid input: {cell_type} is depleted at t = 0; step once, then infuse "
                                  "(nothing was infused)")
                    return False
                key = {"MSC": "msc_count", "T": "t_count", "CD8": "cd8_count"}.get(cell_type)
                if key is None:
                    self.error = f"Invalid input: cannot infuse {cell_type} at t = 0; step once first"
                    return False
                ok = self.reset(replace(self.settings, **{key: cfg.cells[cell_type].count + n}))
                if ok:
                    self.notice = (f"Infused {n} {cell_type} at t = 0: added to the initial dose "
                                   f"(now {cfg.cells[cell_type].count + n}). " + self.notice)
                return ok
            state = ""  # the model gives infused cells the pre-treatment's label and levels
            inf = {"at_min": float(m.time), "count": n, "cell_type": cell_type, "state": state,
                   "placement": "uniform"}
            current = [dataclasses.asdict(x) for x in cfg.interventions.infusions]
            new_settings = replace(self.settings, infusions=tuple(current) + (inf,))
            runs = [self.main]
            if self.compare is not None and "interventions.infusions" not in COMPARE_VARIANTS[
                    self.compare_variant].overrides:
                runs.append(self.compare)
            # the cells each run receives: as a rerun of the recorded config would deliver them (the patient's
            # delivery_scale, a gene-modified type's homing)
            delivered = {id(run): delivered_count(n, cell_type, run.model.config.interventions.delivery_scale,
                                                  run.model.config.interventions.overexpress) for run in runs}
            try:
                main_cfg, main_overrides = resolve(new_settings)  # checks the infusion like a config would
                for run in runs:
                    k = delivered[id(run)]
                    if len(run.model.population) + k > run.model.config.model.max_cells:
                        raise ConfigError("model.max_cells", f"{len(run.model.population)} + {k} cells is above "
                                          f"{run.model.config.model.max_cells}")
            except ConfigError as exc:
                self.error = f"Invalid input: {exc} (nothing was infused)"
                return False
            section = main_cfg.interventions.infusions[-1]
            for run in runs:
                run.model.add_cells(cell_type, delivered[id(run)], state=section.state, placement=section.placement)
                # the live config records it too (exports read it); the model itself only reads
                # interventions.infusions when it is built
                run.model.config.interventions.infusions.append(dataclasses.replace(section))
            self.main.overrides = main_overrides
            self.main.settings = self.settings = new_settings
            self.error = ""
            where = " (main and comparison runs)" if len(runs) > 1 else ""
            arrived = delivered[id(self.main)]
            reached = f" ({arrived} reach the tissue: delivery and homing)" if arrived != n else ""
            self.notice = (f"Infused {n} {cell_type}{' ' + state if state else ''}{reached} at t = {m.time:g} min"
                           f"{where}; "
                           f"recorded as interventions.infusions (kept by Reset and in the exported config)")
            return True

    def clear_infusions(self) -> bool:
        """Drop the recorded infusions (rebuilds the model at t = 0)."""
        return self.reset(replace(self.settings, infusions=()))

    def dose(self, level: Any, field: str = EV_FIELD, placement: str = "uniform") -> bool:
        """Add ``level`` (field unit) to a field of the running model(s) now, without a reset (an
        MSC-EV infusion by default), and record it as ``interventions.doses`` at the current time so
        that the exported config and every later reset reproduce it. At t = 0 the dose is part of
        the initial state (the model applies doses at t <= 0 when it is built): the model is rebuilt.
        The comparison run gets the same dose unless its variant sets ``interventions.doses`` itself
        (the no-MSC control gets no MSC-EVs). On a bad level nothing changes and ``error`` says why."""
        with self.lock:
            m = self.main.model
            cfg = self.main.config
            try:
                lv = _float(f"interventions.doses[].level ({field} dose)", level)
                if not (lv > 0 and np.isfinite(lv)):
                    raise ConfigError("interventions.doses[].level", f"{level} is out of range; allowed: > 0")
            except ConfigError as exc:
                self.error = f"Invalid input: {exc} (nothing was dosed)"
                return False
            unit = cfg.fields[field].unit if field in cfg.fields else ""
            dose = {"at_min": float(m.time), "field": field, "level": lv, "placement": placement}
            current = [dataclasses.asdict(x) for x in cfg.interventions.doses]
            new_settings = replace(self.settings, doses=tuple(current) + (dose,))
            if m.steps == 0:
                ok = self.reset(new_settings)
                if ok:
                    self.notice = f"Dosed {field} +{lv:g} {unit} at t = 0 (initial state). " + self.notice
                return ok
            try:
                main_cfg, main_overrides = resolve(new_settings)  # checks the dose like a config would
            except ConfigError as exc:
                self.error = f"Invalid input: {exc} (nothing was dosed)"
                return False
            runs = [self.main]
            if self.compare is not None and "interventions.doses" not in COMPARE_VARIANTS[
                    self.compare_variant].overrides:
                runs.append(self.compare)
            section = main_cfg.interventions.doses[-1]
            for run in runs:
                run.model.add_to_field(section.field, section.level, section.placement)
                run.model.config.interventions.doses.append(dataclasses.replace(section))
            self.main.overrides = main_overrides
            self.main.settings = self.settings = new_settings
            self.error = ""
            where = " (main and comparison runs)" if len(runs) > 1 else ""
            self.notice = (f"Dosed {field} +{lv:g} {unit} at t = {m.time:g} min{where}; recorded as "
                           "interventions.doses (kept by Reset and in the exported config)")
            return True

    def clear_doses(self) -> bool:
        """Drop the recorded doses (rebuilds the model at t = 0)."""
        return self.reset(replace(self.settings, doses=()))

    def count(self, cell_type: str, run: Run | None = None) -> int:
        """Live cells of a type now (apoptotic included), straight from the population."""
        run = self.main if run is None else run
        with self.lock:
            t = run.model.tables
            if cell_type not in t.type_names:
                return 0
            pop = run.model.population
            return int(np.count_nonzero(pop["type"] == t.type_code(cell_type)))

    def field_means(self, run: Run | None = None) -> dict[str, float]:
        """Mean of every field over the lattice now."""
        run = self.main if run is None else run
        with self.lock:
            m = run.model
            return {f: float(m.lattice.data[i].mean(dtype=np.float64)) for i, f in enumerate(m.tables.field_names)}

    def _alive(self, cell_id: int) -> bool:
        ids = self.main.model.population["id"]
        return bool(np.any(ids == cell_id))

    # ------------------------------------------------------------------ step
    def step(self, n: int | None = None) -> float:
        """Advance every run by n steps (default: steps per frame). Returns wall seconds."""
        n = self.settings.steps_per_frame if n is None else n
        t0 = time.perf_counter()
        with self.lock:
            for run in self.runs():
                run.step(max(1, int(n)))
        return time.perf_counter() - t0

    def in_force(self) -> str:
        """What the running model is built from, always current (the notice names the last action)."""
        with self.lock:
            changed = ", ".join(f"{k}={v}" for k, v in self.main.overrides.items()) or "no overrides"
            text = f"In force: preset {self.settings.preset}; {changed}"
            if self.compare_variant:
                text += f"; side by side with: {self.compare_variant} ({COMPARE_VARIANTS[self.compare_variant].doc})"
            return text

    @property
    def compare_is_control(self) -> bool:
        return self.compare is not None and COMPARE_VARIANTS[self.compare_variant].control

    def runs(self) -> list[Run]:
        return [r for r in (self.main, self.compare) if r is not None]

    # ------------------------------------------------------------------ render
    def view_width_px(self) -> int:
        """Image width of each tissue view: narrower side by side, so both fit next to each other."""
        return self.view.width_px if self.compare is None else min(self.view.width_px, self.view.compare_width_px)

    def view_of(self, run: Run) -> R.View:
        m = run.model
        v = self.view
        base = R.full_view(m.width_um, m.height_um, self.view_width_px(), field=v.field, cmap=v.cmap, vmin=v.vmin,
                           vmax=v.vmax, highlight=self.selected if run is self.main else None)
        if v.zoom > 1.0:
            base = R.zoom_view(base, v.cx_frac * m.width_um, v.cy_frac * m.height_um, v.zoom, m.width_um, m.height_um)
        return base

    def shared_scale(self) -> tuple[float | None, float | None]:
        """The colour range every view uses: the fixed one, else 0 to the largest field level in view
        over all runs (one colour = one level side by side), else (None, None) without a field."""
        v = replace(self.view)  # one consistent copy (a control may change the view meanwhile)
        if v.field is None:
            return None, None
        lo = v.vmin if v.vmin is not None else 0.0
        if v.vmax is not None:
            return lo, v.vmax
        hi = lo
        for run in self.runs():
            m = run.model
            data = m.lattice.data[m.tables.field_names.index(v.field)]
            hi = max(hi, R.field_range(data, m.lattice.spacing_um, self.view_of(run))[1])
        return lo, hi

    def value_range(self) -> tuple[float, float] | None:
        """The range of the per-cell number the cells are coloured by, over all runs (None: by type)."""
        if self.view.colour_by == R.COLOUR_BY_TYPE:
            return None
        with self.lock:
            return R.shared_range(self.cell_values(run) for run in self.runs())

    def cell_values(self, run: Run | None = None) -> np.ndarray:
        """(N,) the number the cells are coloured by, for every live cell of the run (population order)."""
        with self.lock:  # one population between the reads (the play thread steps under the lock)
            return R.model_cell_values((self.main if run is None else run).model, self.view.colour_by)

    def frame(self, run: Run | None = None) -> tuple[R.Frame, R.View]:
        """The tissue of one run, on the colour scales shared by every run of the session."""
        return self.frames([self.main if run is None else run])[0]

    def frames(self, runs: list[Run] | None = None) -> list[tuple[R.Frame, R.View]]:
        """Every run's tissue (default: main, then comparison) on one shared field colour range and one
        shared per-cell value range, so the same colour means the same level in each view.

        The lock is held only while the runs are copied (:func:`~mscabm.dashboard.render.picture_of`);
        drawing happens outside it, so the play thread steps on meanwhile."""
        with self.lock:
            runs = self.runs() if runs is None else runs
            lo, hi = self.shared_scale()
            values: dict[int, np.ndarray] = {}  # per run, computed once: for the shared range and the colours
            vr = None
            if self.view.colour_by != R.COLOUR_BY_TYPE:
                values = {id(run): self.cell_values(run) for run in self.runs()}
                vr = R.shared_range(values.values())  # over every run, as value_range()
                values.update({id(run): self.cell_values(run) for run in runs if id(run) not in values})
            jobs = []
            for run in runs:
                view = replace(self.view_of(run), vmin=lo, vmax=hi)
                jobs.append((R.picture_of(run.model, view, values.get(id(run)), vr), view, run.colours))
        return [(R.render_picture(picture, view, colours), view) for picture, view, colours in jobs]

    def png(self, run: Run | None = None) -> bytes:
        fr, _ = self.frame(run)
        return R.encode_png(fr.rgb)

    def field_label(self, run: Run | None = None) -> str | None:
        run = self.main if run is None else run
        f = self.view.field
        if f is None:
            return None
        return f"{f} ({run.model.config.fields[f].unit})"

    def figure_png(self) -> bytes:
        """The view as a figure with axes, colour bar and legend; in compare mode both runs side by
        side on their shared colour scale."""
        with self.lock:
            frames = self.frames()
            m = self.main.model
            panels = [(fr, view, run.label) for (fr, view), run in zip(frames, self.runs())]
            return R.figure_png(panels, self.main.legend, self.field_label(),
                                title=f"step {m.steps}, t = {format_time(m.time)}",
                                value_label=None if self.view.colour_by == R.COLOUR_BY_TYPE else self.view.colour_by,
                                value_range=self.value_range())

    # ------------------------------------------------------------------ inspect
    def pick(self, x_um: float, y_um: float) -> int | None:
        """The id of the live cell nearest to (x, y) within 3 radii, or None."""
        with self.lock:
            pop = self.main.model.population
            if len(pop) == 0:
                return None
            d2 = (pop["x_um"] - x_um) ** 2 + (pop["y_um"] - y_um) ** 2
            i = int(np.argmin(d2))
            if d2[i] > (3 * max(float(pop["radius_um"][i]), 5.0)) ** 2:
                return None
            self.selected = int(pop["id"][i])
            return self.selected

    def inspect(self, cell_id: int | None = None) -> dict[str, Any] | None:
        """State, timers, local signals and behaviour values of one cell (None if it is gone)."""
        cell_id = self.selected if cell_id is None else cell_id
        if cell_id is None:
            return None
        with self.lock:
            m = self.main.model
            ids = m.population["id"]
            rows = np.flatnonzero(ids == cell_id)
            if len(rows) == 0:
                return None
            row = int(rows[0])
            c = m.cells.cell(int(cell_id))
            pop = m.population
            t = m.tables
            out: dict[str, Any] = {
                "id": c.id, "type": c.type, "state": c.state + (" (apoptotic)" if c.apoptotic else ""),
                "x_um": round(c.x_um, 1), "y_um": round(c.y_um, 1), "radius_um": c.radius_um,
                "time_in_state_min": round(c.state_age_min, 1), "cycle_progress": round(c.cycle_progress, 3),
                "apoptosis": apoptosis_text(float(pop["apoptosis_left_min"][row])),
            }
            for k, v in enumerate(t.variable_names):
                if t.variable_declared[int(pop["type"][row]), k]:
                    out[f"variable {v}"] = float(f"{float(pop[v][row]):.4g}")
            for f, v in c.local_fields.items():
                out[f"local {f} ({m.config.fields[f].unit})"] = float(f"{v:.4g}")
            insert = m.transwell.in_insert(pop["type"]) if m.transwell is not None else None
            for tn, count in m.cells.contacts_by_type(int(cell_id), m.config.model.contact_scale, insert).items():
                out[f"contacts with {tn}"] = count
            beh = getattr(m, "_behaviours", None)
            if beh is not None and row < len(beh):
                for k, b in enumerate(t.stored_behaviour_names):
                    val = float(beh[row, k])
                    if b and val != 0.0:
                        out[f"behaviour {b}"] = float(f"{val:.4g}")
            return out

    # ------------------------------------------------------------------ export
    def timeseries(self) -> pd.DataFrame:
        """The main run's time series, plus the comparison run's columns prefixed ``control:`` (an
        untreated control, with the % suppression column) or ``compare:`` (any other variant)."""
        with self.lock:
            df = self.main.timeseries()
            if self.compare is not None:
                c = self.compare.timeseries()
                pre = "control:" if self.compare_is_control else "compare:"
                df = df.merge(c.add_prefix(pre).rename(columns={f"{pre}step": "step"}), on="step", how="left")
                if self.compare_is_control:
                    df["pct_suppression_T_proliferation"] = suppression(self.main.timeseries(), c).to_numpy()
            return df

    def csv_bytes(self) -> bytes:
        return self.timeseries().to_csv(index=False).encode()

    def parquet_bytes(self) -> bytes:
        buf = io.BytesIO()
        self.timeseries().to_parquet(buf, index=False)
        return buf.getvalue()

    def config_toml(self) -> str:
        import tomli_w

        with self.lock:
            cfg: Config = self.main.model.config
            data = cfg.to_dict()
            # the dashboard ran open-ended; export the steps actually run so `mscabm run` repeats it
            data["model"]["steps"] = max(1, int(self.main.model.steps))
        return ("# exported from the mscabm dashboard; repeat with: mscabm run this.toml\n" + tomli_w.dumps(data))
