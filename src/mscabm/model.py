"""MSCModel: the Mesa model that composes the biology (a Config) onto the engine and steps it.

One step (``dt_min`` minutes of ``model.time``) runs, in this order (DESIGN.md section 3):

1. **sense**: sample each field at the cell's voxel, find contacts (cell list), count
   contacts by cell type, read the time in state -> the signals matrix;
2. **decide**: Hill rules turn signals into behaviour values;
3. **act**: apoptosis, state switches and division (uniforms from ``model.rng``);
4. **move**: persistent random walk, chemotaxis, repulsion and adhesion;
5. **exchange**: secretion/uptake between cells and their voxels;
6. **diffuse**: every field advances by ``dt_min``;
7. **observe**: remove finished apoptotic bodies; readouts every ``record_every`` steps.

Cells are rows of a struct-of-arrays :class:`~mscabm.engine.population.Population`
(not Mesa agents): ``model.cells`` gives the AgentSet-like view.
"""

from __future__ import annotations

import warnings
from functools import partial
from typing import Any

import mesa
import numpy as np
from mesa.time import EventGenerator, Priority, Schedule

from mscabm.assembly import Tables, build_tables
from mscabm.biology.interventions import PRELICENSE, TRANSWELL_TYPE
from mscabm.config import Config, ConfigError, build_config, load_config, set_path
from mscabm.engine.kernels.behaviour import advance_lifecycle, evaluate_behaviours
from mscabm.engine.kernels.contact import CompartmentFilter, ContactFinder, count_contacts_by_type
from mscabm.engine.kernels.diffusion import DiffusionSolver
from mscabm.engine.kernels.exchange import FieldExchange, sample_fields, voxel_indices
from mscabm.engine.kernels.motion import Mover
from mscabm.engine.kernels.sorting import counting_sort
from mscabm.engine.lattice import Boundary, Lattice
from mscabm.engine.population import Population
from mscabm.observe.cells import CellView


def build_diffusion(cfg: Config, lattice: Lattice) -> DiffusionSolver:
    """The diffusion solver for a config's fields; a forced scheme that cannot reach its
    accuracy target at ``model.dt_min`` is refused as a ConfigError (with the way out)."""
    names = list(cfg.fields)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        try:
            return DiffusionSolver(
                lattice,
                [cfg.fields[f].diffusion_um2_per_min for f in names],
                [cfg.fields[f].decay_per_min + cfg.interventions.neutralise_per_min.get(f, 0.0) for f in names],
                [Boundary(cfg.fields[f].boundary, cfg.fields[f].boundary_value) for f in names],
                cfg.model.dt_min,
                scheme=cfg.domain.diffusion_scheme,
            )
        except RuntimeWarning as exc:
            raise ConfigError("domain.diffusion_scheme", f"{exc}; allowed: 'auto' or 'kernel' "
                              f"(exact at any step), or a smaller model.dt_min") from None


class NumericalError(RuntimeError):
    """A field went negative or non-finite, or a cell position became non-finite."""


class MSCModel(mesa.Model):
    """Agent-based model of MSC immunomodulation on a 2-D tissue slab.

    Parameters
    ----------
    config : Config, str or path, optional
        A validated :class:`~mscabm.config.Config`, or a TOML path / preset name. Default:
        the built-in default configuration.
    rng : int or numpy Generator, optional
        Seed for Mesa's ``model.rng`` (overrides ``model.seed`` in the config).
    **overrides
        Dotted config keys, e.g. ``MSCModel(**{"cells.MSC.count": 0})``; this is how
        ``mesa.batch_run`` sweeps parameters.

    Attributes
    ----------
    cells : CellView  AgentSet-like view of the population
    lattice : Lattice  the fields, ``lattice.data`` (n_species, ny, nx)
    time : float  minutes since the start (Mesa's clock, advanced by ``dt_min`` per step)
    datacollector : mesa.DataCollector  model reporters for every readout
    """

    def __init__(self, config: Config | str | None = None, *, rng: Any = None, **overrides: Any) -> None:
        cfg = self._resolve_config(config, overrides)
        seed = cfg.model.seed if rng is None else rng
        super().__init__(rng=seed)
        self.config = cfg
        self.dt_min = cfg.model.dt_min
        # Mesa advances time by 1.0 per step; our clock is in minutes: one step = dt_min.
        self._default_schedule.stop()
        self._default_schedule = EventGenerator(
            self, self._do_step, Schedule(interval=self.dt_min, start=self.dt_min), priority=Priority.HIGH
        ).start()

        self.tables: Tables = build_tables(cfg)
        t = self.tables
        ny, nx = cfg.lattice_shape
        d = cfg.domain
        self.width_um, self.height_um = d.width_um, d.height_um
        self.lattice = Lattice((ny, nx), d.voxel_um, t.field_names, dtype=np.dtype(d.dtype),
                               thickness_um=d.thickness_um)
        for i, name in enumerate(t.field_names):
            self.lattice.data[i] = cfg.fields[name].initial + cfg.interventions.supplement.get(name, 0.0)
        self.diffusion = build_diffusion(cfg, self.lattice)
        self.population = Population(cfg.model.max_cells)
        self.contacts = ContactFinder(d.width_um, d.height_um)
        self.exchange = FieldExchange(ny * nx)
        self.mover = Mover()
        self._transwell_code = t.type_code(TRANSWELL_TYPE) if cfg.interventions.transwell else -1
        self._compartments = CompartmentFilter()
        self._cap = 0
        self._sort_start = np.zeros(0, np.int64)
        self._seed_cells()
        for inf in cfg.interventions.infusions:  # infusions at t = 0 are part of the initial state
            if inf.at_min <= 0.0:
                self.add_cells(inf.cell_type, inf.count, inf.state, inf.placement)
        self._schedule_infusions()
        self.cells = CellView(self)

        self.removed_total = 0
        self.births_total = 0
        self.deaths_total = 0
        self.births_by_type = np.zeros(len(self.tables.type_names), dtype=np.int64)
        self.deaths_by_type = np.zeros(len(self.tables.type_names), dtype=np.int64)
        self.readouts: dict[str, float] = {}
        self._update_readouts()
        self.datacollector = self._new_collector()
        self.datacollector.collect(self)

    # ------------------------------------------------------------------ setup
    @staticmethod
    def _resolve_config(config: Config | str | None, overrides: dict[str, Any]) -> Config:
        if isinstance(config, Config):
            if not overrides:
                return config
            data = config.to_dict()
            for dotted, value in overrides.items():
                set_path(data, dotted, value)
            return build_config(data)
        return load_config(config, values=overrides)

    def _seed_cells(self) -> None:
        cfg, t = self.config, self.tables
        iv = cfg.interventions
        for name in t.type_names:
            c = cfg.cells.get(name)
            if c is None or c.count == 0 or name in iv.deplete:
                continue
            state = c.initial_state
            if name == "MSC" and PRELICENSE[iv.prelicense]:
                state = PRELICENSE[iv.prelicense]
            self.add_cells(name, c.count, state=state, placement=c.placement)

    def add_cells(self, cell_type: str, count: int, state: str = "", placement: str = "uniform") -> np.ndarray:
        """Place ``count`` new cells of a type (random positions from ``model.rng``); returns their rows."""
        t, pop = self.tables, self.population
        code = t.type_code(cell_type)
        r = self.config.cells[cell_type].radius_um
        if placement == "centre":
            spread = 0.1 * min(self.width_um, self.height_um)
            x = np.clip(self.rng.normal(self.width_um / 2, spread, count), r, self.width_um - r)
            y = np.clip(self.rng.normal(self.height_um / 2, spread, count), r, self.height_um - r)
        else:
            x = self.rng.uniform(min(r, self.width_um / 2), max(self.width_um - r, self.width_um / 2), count)
            y = self.rng.uniform(min(r, self.height_um / 2), max(self.height_um - r, self.height_um / 2), count)
        angle = self.rng.uniform(0, 2 * np.pi, count)
        rows = pop.add(count, type=code, state=t.state_code(cell_type, state or t.state_names[code][0]),
                       x_um=x, y_um=y, px=np.cos(angle), py=np.sin(angle), radius_um=r)
        self._ensure_buffers()
        return rows

    def _schedule_infusions(self) -> None:
        """Mesa events for the infusions still ahead of ``model.time`` (after the step at that time)."""
        pending = [inf for inf in self.config.interventions.infusions if inf.at_min > self.time]
        # Mesa holds event callbacks weakly: keep them alive here
        self._infusion_callbacks = [partial(self.add_cells, inf.cell_type, inf.count, inf.state, inf.placement)
                                    for inf in pending]
        for inf, callback in zip(pending, self._infusion_callbacks):
            self.schedule_event(callback, at=inf.at_min)

    def _ensure_buffers(self) -> None:
        """Per-cell scratch arrays, sized to the population's capacity; growing keeps their rows."""
        cap = self.population.capacity
        if cap <= self._cap:
            return
        t = self.tables
        self._cap = cap
        wanted = {"_signals": ((cap, len(t.signal_names)), np.float32),
                  "_behaviours": ((cap, len(t.behaviour_names)), np.float32),
                  "_voxel": ((cap,), np.int64), "_x_out": ((cap,), np.float64), "_y_out": ((cap,), np.float64),
                  "_divide": ((cap,), np.bool_), "_remove": ((cap,), np.bool_), "_order": ((cap,), np.int64)}
        for name, (shape, dtype) in wanted.items():
            grown = np.zeros(shape, dtype=dtype)
            old = getattr(self, name, None)
            if old is not None:
                grown[: len(old)] = old
            setattr(self, name, grown)
        self._all = np.ones(cap, dtype=np.bool_)

    def _new_collector(self) -> mesa.DataCollector:
        """A DataCollector with one model reporter per readout."""
        return mesa.DataCollector(model_reporters={name: self._reporter(name) for name in self.readouts})

    @staticmethod
    def _reporter(name: str):
        return lambda m: m.readouts[name]

    # ------------------------------------------------------------------ step
    def _wrapped_step(self) -> None:
        """Advance Mesa's clock by one model step (dt_min minutes), running scheduled events."""
        self._advance_time(self.time + self.dt_min)

    def step(self) -> None:
        """One model step: sense -> decide -> act -> move -> exchange -> diffuse -> observe."""
        pop, t, lat, dt = self.population, self.tables, self.lattice, self.dt_min
        n = len(pop)
        nf = len(t.field_names)
        self._ensure_buffers()
        x, y = pop["x_um"], pop["y_um"]
        ny, nx = lat.shape

        # 1. sense
        voxel_indices(x, y, n, lat.spacing_um, nx, ny, out=self._voxel)
        every = self.config.model.sort_every
        if every and (self.steps - 1) % every == 0 and n > 1:  # spatial order (from step 1): neighbours near in memory
            self._sort_start = self._sort_start if len(self._sort_start) == ny * nx + 1 else np.zeros(ny * nx + 1, np.int64)
            counting_sort(self._voxel, self._all, n, ny * nx, self._sort_start, self._order)
            pop.permute(self._order[:n])
            self._voxel[:n] = self._voxel[self._order[:n]]
        sig = self._signals
        sample_fields(lat.data, self._voxel, n, sig[:, :nf])
        offsets, neighbours = self.contacts.find(x, y, pop["radius_um"], n, self.config.model.contact_scale)
        if self._transwell_code >= 0:  # the membrane: no contact (signal or mechanics) across compartments
            offsets, neighbours = self._compartments.filter(offsets, neighbours, pop["type"] == self._transwell_code, n)
        count_contacts_by_type(offsets, neighbours, pop["type"], len(t.type_names),
                               out=sig[:, t.contact_signal_offset:t.contact_signal_offset + len(t.type_names)])
        sig[:n, t.time_signal] = pop["state_age_min"]

        # 2. decide
        group = pop["type"].astype(np.int64) * t.n_states + pop["state"]
        apoptotic = pop["apoptosis_left_min"] >= 0
        evaluate_behaviours(group, apoptotic, sig, n, t.base, t.rules, self._behaviours)

        # 3. act
        u = self.rng.random((3, n))
        advance_lifecycle(n, pop["type"], pop["state"], pop["state_age_min"], pop["cycle_progress"],
                          pop["apoptosis_left_min"], self._behaviours, t.cycle_col, t.death_col, t.transition_col,
                          t.apoptosis_min, u[0], u[1], u[2], dt, self._divide, self._remove)
        newly_apoptotic = (pop["apoptosis_left_min"] >= 0) & ~apoptotic
        self.deaths_total += int(newly_apoptotic.sum())
        self.deaths_by_type += np.bincount(pop["type"][newly_apoptotic], minlength=len(t.type_names))
        parents = np.flatnonzero(self._divide[:n])
        remove = self._remove[:n].copy()

        # 4. move (rows present at sense time; daughters are placed by division below)
        beh = self._behaviours
        motile = ~t.adherent[pop["type"]] & (pop["apoptosis_left_min"] < 0)
        mech = self.config.model
        self.mover.move(x, y, pop["px"], pop["py"], pop["radius_um"], beh[:n, t.speed_col],
                        beh[:n, t.persistence_col], beh[:n, t.chemotaxis_col], t.chemotaxis_species[pop["type"]],
                        motile, self._voxel, lat.data, offsets, neighbours, mech.repulsion_um_per_min,
                        mech.adhesion_um_per_min, mech.contact_scale, self.rng.random(n), self.rng.random(n), dt,
                        self.width_um, self.height_um, self._x_out, self._y_out, n=n)
        x[:] = self._x_out[:n]
        y[:] = self._y_out[:n]

        if len(parents):
            angle = self.rng.uniform(0, 2 * np.pi, len(parents))
            r = pop["radius_um"][parents]
            daughters = pop.divide(parents, r * np.cos(angle), r * np.sin(angle))
            self.births_total += len(daughters)
            self.births_by_type += np.bincount(pop["type"][parents], minlength=len(t.type_names))
            self._ensure_buffers()
            self._behaviours[daughters] = self._behaviours[parents]
            pop["x_um"][:] = np.clip(pop["x_um"], 0.0, self.width_um)
            pop["y_um"][:] = np.clip(pop["y_um"], 0.0, self.height_um)
            remove = np.concatenate([remove, np.zeros(len(daughters), dtype=bool)])
        n = len(pop)

        # 5. exchange
        voxel_indices(pop["x_um"], pop["y_um"], n, lat.spacing_um, nx, ny, out=self._voxel)
        volume = (4.0 / 3.0) * np.pi * pop["radius_um"] ** 3
        self.exchange.apply(lat.data, self._voxel, n, self._behaviours, t.secretion_col, t.saturation_col,
                            t.uptake_col, t.export_col, volume, lat.voxel_volume_um3, dt,
                            pop["apoptosis_left_min"] < 0)

        # 6. diffuse
        self.diffusion.step()

        # 7. observe
        if remove.any():
            self.removed_total += pop.compact(~remove)
        every = self.config.output.record_every
        if self.steps % every == 0 or self.steps == self.config.model.steps:
            self.check_numerics()
            self._update_readouts()
            self.datacollector.collect(self)
        if self.steps >= self.config.model.steps:
            self.running = False

    def check_numerics(self) -> None:
        """Cheap guard run at every recorded step: fields finite and >= 0, positions finite.

        Raises :class:`NumericalError` naming the step, the field and the voxel.
        """
        data = self.lattice.data
        bad = ~np.isfinite(data) | (data < 0)
        if bad.any():
            s, iy, ix = (int(v) for v in np.argwhere(bad)[0])
            raise NumericalError(f"step {self.steps} (t = {self.time:g} min): field {self.tables.field_names[s]} "
                                 f"is {data[s, iy, ix]!r} at voxel (iy={iy}, ix={ix}); fields must stay finite and >= 0")
        pos_ok = np.isfinite(self.population["x_um"]) & np.isfinite(self.population["y_um"])
        if not pos_ok.all():
            row = int(np.flatnonzero(~pos_ok)[0])
            raise NumericalError(f"step {self.steps}: cell {int(self.population['id'][row])} has a non-finite position")

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict[str, Any]:
        """The complete dynamic state (cells, fields, rng, clock, totals) as arrays and JSON-able values."""
        return {
            "population": self.population.state_dict(),
            "fields": self.lattice.data.copy(),
            "rng_state": self.rng.bit_generator.state,
            "steps": int(self.steps),
            "time": float(self.time),
            "running": bool(self.running),
            "births_total": int(self.births_total), "deaths_total": int(self.deaths_total),
            "removed_total": int(self.removed_total),
            "births_by_type": self.births_by_type.tolist(), "deaths_by_type": self.deaths_by_type.tolist(),
            "readouts": dict(self.readouts),
        }

    def load_state_dict(self, state: dict[str, Any], history: list[dict[str, float]] | None = None) -> None:
        """Restore :meth:`state_dict` output into a model built from the same config.

        ``history``: the readout rows recorded before the checkpoint, replayed into the
        DataCollector so that its table continues as if never interrupted.
        """
        if state["fields"].shape != self.lattice.data.shape or state["fields"].dtype != self.lattice.data.dtype:
            raise ValueError(f"checkpoint fields {state['fields'].shape} {state['fields'].dtype} do not match the "
                             f"model's lattice {self.lattice.data.shape} {self.lattice.data.dtype}")
        self.population.load_state_dict(state["population"])
        self._ensure_buffers()
        self.lattice.data[...] = state["fields"]
        self.rng.bit_generator.state = state["rng_state"]
        self.steps = int(state["steps"])
        self.time = float(state["time"])
        self.running = bool(state["running"])
        self.births_total, self.deaths_total = int(state["births_total"]), int(state["deaths_total"])
        self.removed_total = int(state["removed_total"])
        self.births_by_type[:] = state["births_by_type"]
        self.deaths_by_type[:] = state["deaths_by_type"]
        if history is not None:
            self.datacollector = self._new_collector()
            for row in history:
                self.steps, self.readouts = int(row["step"]), dict(row)
                self.datacollector.collect(self)
            self.steps = int(state["steps"])
        self.readouts = dict(state["readouts"])
        # restart Mesa's events from the restored clock: the step schedule (same float arithmetic as an
        # uninterrupted run) and the infusions still ahead
        self._default_schedule.stop()
        self._event_list.clear()
        self._default_schedule = EventGenerator(
            self, self._do_step, Schedule(interval=self.dt_min, start=self.time + self.dt_min), priority=Priority.HIGH
        ).start()
        self._schedule_infusions()

    # ------------------------------------------------------------------ readouts
    def _update_readouts(self) -> None:
        """Counts by type and state, mean field levels, totals: one dict per recorded step."""
        pop, t = self.population, self.tables
        n_groups = len(t.type_names) * t.n_states
        alive = pop["apoptosis_left_min"] < 0
        group = pop["type"].astype(np.int64) * t.n_states + pop["state"]
        counts = np.bincount(group[alive], minlength=n_groups)
        r: dict[str, float] = {"time_min": float(self.time), "step": int(self.steps), "n_cells": int(alive.sum()),
                               "n_apoptotic": int((~alive).sum())}
        for code, tname in enumerate(t.type_names):
            states = t.state_names[code]
            r[f"n_{tname}"] = int(counts[code * t.n_states:code * t.n_states + len(states)].sum())
            for s, sname in enumerate(states):
                r[f"n_{tname}_{sname}"] = int(counts[code * t.n_states + s])
            r[f"births_{tname}_total"] = int(self.births_by_type[code])
            r[f"deaths_{tname}_total"] = int(self.deaths_by_type[code])
        for i, f in enumerate(t.field_names):
            r[f"mean_{f}_{self.config.fields[f].unit}"] = float(self.lattice.data[i].mean(dtype=np.float64))
        r["births_total"] = int(self.births_total)
        r["deaths_total"] = int(self.deaths_total)
        self.readouts = r
