"""MSCModel: the Mesa model that composes the biology (a Config) onto the engine and steps it.

One step (``dt_min`` minutes of ``model.time``) runs its phases in this order, each a method
(DESIGN.md section 3); arrays flow down the list once and no phase reaches back:

1. **sense** (:meth:`_sense`): fields at each cell's voxel, contacts (cell list) counted by
   type, by type and state and with apoptotic bodies, time in state -> the signals matrix;
2. **decide** (:meth:`_decide`): Hill rules turn signals into behaviour values;
3. **act** (:meth:`_act`): apoptosis, state (and type) switches, cycle progress (``model.rng``),
   contact killing (NK, CTL), engulfment; divisions and removals are only *flagged*;
4. **move** (:meth:`_move`): persistent random walk, chemotaxis, repulsion and adhesion;
5. **update the population** (:meth:`_update_population`): every birth and removal in one place:
   daughters, removal of finished, engulfed and killed cells (order-preserving compaction),
   then influx (:meth:`_add_influx`, its rate from the fields at the start of the step);
6. **exchange** (:meth:`_exchange`): secretion/uptake between cells and their voxels;
7. **diffuse** (:meth:`_diffuse`): every field advances by ``dt_min``;
8. **observe** (:meth:`_observe`): readouts every ``record_every`` steps, into the one
   :class:`~mscabm.observe.log.ReadoutLog` that every consumer reads.

Infusions and doses are Mesa events between steps. Cells are rows of a struct-of-arrays
:class:`~mscabm.engine.population.Population` (not Mesa agents; ``model.cells`` is the AgentSet-like
view); running counters live in one :class:`~mscabm.observe.tally.Tally`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

import mesa
import numpy as np
from mesa.time import EventGenerator, Priority, Schedule

from mscabm.assembly import Tables, build_diffusion, build_tables, rebuild_tables_keeping_exchange
from mscabm.biology.interventions import delivered_count
from mscabm.config import Config, build_config, load_config, set_path
from mscabm.disease import drug_free, edge_positions, influx_count
from mscabm.engine.concurrency import parallel_section
from mscabm.engine.kernels.behaviour import advance_lifecycle, evaluate_behaviours
from mscabm.engine.kernels.contact import CompartmentFilter, ContactFinder
from mscabm.engine.kernels.exchange import FieldExchange, voxel_indices
from mscabm.engine.kernels.killing import contact_kill, engulf_apoptotic
from mscabm.engine.kernels.motion import Mover
from mscabm.engine.kernels.sorting import counting_sort, keep_rows_in_place
from mscabm.engine.kernels.variables import add_taken_up, halve_taken_up, relax_variables, scale_behaviour
from mscabm.engine.lattice import Lattice
from mscabm.engine.population import Population
from mscabm.engine.transdifferentiation import apply_type_switches
from mscabm.observe.cells import CellView
from mscabm.observe.log import ReadoutCollector, ReadoutLog
from mscabm.observe.numerics import NumericalError as NumericalError  # re-exported (mscabm.model.NumericalError)
from mscabm.observe.numerics import check_numerics
from mscabm.observe.readouts import compute_readouts
from mscabm.observe.tally import Tally
from mscabm.placement import centre_disc, placement_positions
from mscabm.pretreatment import pretreatment_of
from mscabm.sensing import SENSE_BLOCK_ROWS, SenseInputs, blocks_of, contact_codes, sense_block
from mscabm.transwell import Transwell


@dataclass
class _StepArrays:
    """What one step's phases hand down to the next ones (views valid for this step only)."""

    n: int  # rows sensed (the population before this step's births)
    offsets: np.ndarray  # contact list (CSR) of the sensed rows
    neighbours: np.ndarray
    group: np.ndarray  # (n,) type * n_states + state at sense time
    apoptotic: np.ndarray  # (n,) bool at sense time
    insert: np.ndarray | None = None  # (n,) bool: the transwell's insert cells (None without a transwell)
    parents: np.ndarray | None = None  # rows that divide (set by act)
    remove: np.ndarray | None = None  # (n,) bool rows to remove (set by act)
    n_exchange: int = 0  # rows that exchange this step (set by update_population: newborn and influx included)


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
    cells : CellView
        AgentSet-like view of the population.
    lattice : Lattice
        The fields, ``lattice.data`` of shape (n_species, ny, nx).
    time : float
        Minutes since the start (Mesa's clock, advanced by ``dt_min`` per step).
    log : ReadoutLog
        One row of readouts per recorded step (every consumer reads it).
    readouts : dict
        The newest row of ``log``.
    tally : Tally
        Running counts (placed, births, deaths, kills, engulfed, removed, influx, type switches).
    datacollector : mesa.DataCollector
        Fed from ``log``, one model reporter per readout.
    """

    def __init__(self, config: Config | str | None = None, *, rng: Any = None, **overrides: Any) -> None:
        cfg = self._resolve_config(config, overrides)
        seed = cfg.model.seed if rng is None else rng
        super().__init__(rng=seed)
        self.config = cfg
        self.dt_min = cfg.model.dt_min
        self._start_clock()

        # a drug that starts later: tables without it until then (mscabm/disease.py)
        self._drug_delayed = (cfg.interventions.immunosuppressant > 0
                              and cfg.interventions.immunosuppressant_start_min > 0)
        self.tables: Tables = build_tables(drug_free(cfg) if self._drug_delayed else cfg)
        t = self.tables
        ny, nx = cfg.lattice_shape
        d = cfg.domain
        self.width_um, self.height_um = d.width_um, d.height_um
        self.lattice = Lattice((ny, nx), d.voxel_um, t.field_names, dtype=np.dtype(d.dtype),
                               thickness_um=d.thickness_um)
        for i, name in enumerate(t.field_names):
            self.lattice.data[i] = cfg.fields[name].initial + cfg.interventions.supplement.get(name, 0.0)
        # a transwell stacks the medium in layers, the well's cell layer being self.lattice (mscabm/transwell.py)
        self.transwell = (Transwell(cfg, t.field_names, t.type_names, self.lattice) if cfg.interventions.transwell
                          else None)
        self.diffusion = build_diffusion(cfg, self.lattice)
        # fields that stay zero all run (no source) are skipped by exchange and diffusion
        self._set_active_fields(np.flatnonzero(~t.inert_fields))
        # per-cell variables: one float64 column each, named as declared
        self.population = Population(cfg.model.max_cells, extra_columns={v: np.float64 for v in t.variable_names})
        self.contacts = ContactFinder(d.width_um, d.height_um)
        self._voxel_start = np.zeros(ny * nx + 1, np.int64)  # bin starts of every counting sort by voxel
        self.exchange = FieldExchange(ny * nx, start=self._voxel_start)  # (the spatial order's, the exchange's)
        self.mover = Mover()
        self._compartments = CompartmentFilter()
        self._cap = 0
        self.tally = Tally(len(t.type_names))
        self.pretreated = pretreatment_of(t, cfg)  # where pre-treated cells start (mscabm/pretreatment.py)
        self._seed_cells()
        self.tally.seeded_by_type[:] = self.tally.placed_by_type
        for inf in cfg.interventions.infusions:  # infusions and doses at t = 0 are part of the initial state
            if inf.at_min <= 0.0:
                self.add_cells(inf.cell_type, inf.count, inf.state, inf.placement)
        for dose in cfg.interventions.doses:
            if dose.at_min <= 0.0:
                self.add_to_field(dose.field, dose.level, dose.placement)
        self._schedule_infusions()
        self.cells = CellView(self)

        self.log = ReadoutLog()
        self.log.append(self.current_readouts())
        self.datacollector = ReadoutCollector(self.readouts)
        self.datacollector.collect(self)

    # ------------------------------------------------------------------ setup
    @staticmethod
    def _resolve_config(config: Config | str | None, overrides: dict[str, Any]) -> Config:
        if isinstance(config, Config):
            if not overrides:  # a built config as it is
                return config
            data = config.to_dict()
            for dotted, value in overrides.items():
                set_path(data, dotted, value)
            return build_config(data)
        return load_config(config, values=overrides)

    def _start_clock(self, start_min: float = 0.0) -> None:
        """Replace Mesa's one-per-step schedule by one of interval ``dt_min`` from ``start_min``, so
        ``model.time`` is in minutes and Mesa events (infusions, doses) are scheduled in minutes."""
        self._default_schedule.stop()
        self._default_schedule = EventGenerator(
            self, self._do_step, Schedule(interval=self.dt_min, start=start_min + self.dt_min), priority=Priority.HIGH
        ).start()

    def _seed_cells(self) -> None:
        cfg, t = self.config, self.tables
        iv = cfg.interventions
        self.population.reserve(sum(c.count for name, c in cfg.cells.items() if name not in iv.deplete))
        self._ensure_buffers()  # sized once: growing while seeding would hold two copies
        for name in t.type_names:
            c = cfg.cells.get(name)
            if c is None or c.count == 0 or name in iv.deplete:
                continue
            state = c.initial_state
            if self.pretreated is not None and name == self.pretreated.cell_type:
                state = self.pretreated.state
            placed = 0
            for other, frac in c.state_fractions.items():  # e.g. the Treg share of CD4 T cells
                k = int(round(frac * c.count))
                if k and other != state:
                    self.add_cells(name, k, state=other, placement=c.placement)
                    placed += k
            self.add_cells(name, max(c.count - placed, 0), state=state, placement=c.placement)

    def add_cells(self, cell_type: str, count: int, state: str = "", placement: str = "uniform") -> np.ndarray:
        """Place ``count`` new cells of a type (random positions from ``model.rng``); returns their rows."""
        t, pop = self.tables, self.population
        code = t.type_code(cell_type)
        r = self.config.cells[cell_type].radius_um
        x, y = placement_positions(self.rng, placement, count, self.width_um, self.height_um, r)
        angle = self.rng.uniform(0, 2 * np.pi, count)
        self.tally.placed_by_type[code] += count
        if not state and self.pretreated is not None and cell_type == self.pretreated.cell_type:
            state = self.pretreated.state
        rows = pop.add(count, type=code, state=t.state_code(cell_type, state or t.state_names[code][0]),
                       x_um=x, y_um=y, px=np.cos(angle), py=np.sin(angle), radius_um=r)
        for j in np.flatnonzero(t.variable_declared[code]):  # per-cell variables start at their initial value
            pop[t.variable_names[j]][rows] = t.variable_initial[code, j]
        if self.pretreated is not None and cell_type == self.pretreated.cell_type:  # seeded and infused alike
            for name, value in self.pretreated.levels.items():
                pop[name][rows] = value
        self._ensure_buffers()
        groups = code * t.n_states + pop["state"][rows].astype(np.int64)
        for g in np.unique(groups):  # base rows until they decide, one group at a time (no (count, B) float64 copy)
            self._behaviours[rows[groups == g]] = t.base[g]
        return rows

    def _set_active_fields(self, indices) -> None:
        """The fields that exchange and diffusion advance (sorted indices); the others are skipped."""
        t = self.tables
        self._active_fields = sorted(int(i) for i in indices)
        inert = np.ones(len(t.field_names), dtype=bool)
        inert[self._active_fields] = False
        self._exchange_cols = [np.where(inert, -1, c) for c in
                               (t.secretion_col, t.saturation_col, t.uptake_col, t.export_col)]

    def add_to_field(self, field: str, level: float, placement: str = "uniform") -> None:
        """Dose a field: add ``level`` (field unit) everywhere, or in a central disc of radius 10%
        of the domain's smaller side (a local injection)."""
        i = self.tables.field_names.index(field)
        if i not in self._active_fields:  # a field that was inert becomes live (cells now take it up)
            self._set_active_fields(self._active_fields + [i])
        if placement == "centre":
            self.lattice.data[i][centre_disc(self.lattice.shape, self.lattice.spacing_um, self.width_um,
                                             self.height_um)] += level
        else:
            self.lattice.data[i] += level
            if self.transwell is not None:
                self.transwell.add_uniform(i, level)

    def _schedule_infusions(self) -> None:
        """Mesa events for the infusions and doses still ahead of ``model.time`` (after the step at that time)."""
        iv = self.config.interventions
        k = iv.delivery_scale  # the share of each nominal infusion/dose that reaches the lesion
        ahead = [(inf, delivered_count(inf.count, inf.cell_type, k, iv.overexpress))
                 for inf in iv.infusions if inf.at_min > self.time]
        pending = [(inf.at_min, partial(self.add_cells, inf.cell_type, n, inf.state, inf.placement))
                   for inf, n in ahead if n > 0]
        pending += [(d.at_min, partial(self.add_to_field, d.field, d.level * k, d.placement))
                    for d in iv.doses if d.at_min > self.time and k > 0]
        if self._drug_delayed:  # the immunosuppressant starts: rebuild the tables with it
            start = iv.immunosuppressant_start_min
            if start > self.time:
                pending.append((start, self._start_drug))
            else:
                self._start_drug()
        # Mesa holds event callbacks weakly: keep them alive here
        self._infusion_callbacks = [callback for _, callback in pending]
        for at, callback in pending:
            self.schedule_event(callback, at=at)

    def _start_drug(self) -> None:
        """The delayed immunosuppressant starts acting (interventions.immunosuppressant_start_min)."""
        self.tables = rebuild_tables_keeping_exchange(self.config, self.tables)

    def _ensure_buffers(self) -> None:
        """Per-cell scratch arrays, sized to the population's capacity; growing keeps their rows."""
        cap = self.population.capacity
        if cap <= self._cap:
            return
        t = self.tables
        self._cap = cap
        wanted = {"_signals": ((min(cap, SENSE_BLOCK_ROWS), t.n_stored_signals), np.float32),
                  "_behaviours": ((cap, t.n_stored_behaviours), np.float32),
                  "_voxel": ((cap,), np.int64),
                  "_divide": ((cap,), np.bool_), "_remove": ((cap,), np.bool_), "_order": ((cap,), np.int64),
                  "_class": ((cap,), np.int16), "_live_type": ((cap,), np.int16), "_killed": ((cap,), np.bool_),
                  "_killer": ((cap,), np.int32), "_engulfed": ((cap,), np.bool_)}
        for name, (shape, dtype) in wanted.items():
            grown = np.zeros(shape, dtype=dtype)
            old = getattr(self, name, None)
            if old is not None:
                grown[: len(old)] = old
            setattr(self, name, grown)
        self._all = np.ones(cap, dtype=np.bool_)

    # ------------------------------------------------------------------ step
    def _wrapped_step(self) -> None:
        """Advance Mesa's clock one step (dt_min), running scheduled events (engine/concurrency.py)."""
        with parallel_section():
            self._advance_time(self.time + self.dt_min)

    def _phenotype_step(self) -> bool:
        """Whether this step evaluates the rules (every ``model.phenotype_every`` steps, from step 1)."""
        return (self.steps - 1) % self.config.model.phenotype_every == 0

    def step(self) -> None:
        """One model step: sense -> decide -> act -> move -> update population -> exchange -> diffuse -> observe.

        With ``model.phenotype_every`` > 1 the signals are sensed and the rules evaluated only on phenotype
        steps; in between the behaviours are held (row-aligned; cells added in between start from their base values)."""
        self._ensure_buffers()
        phenotype = self._phenotype_step()
        s = self._sense()
        if phenotype:
            self._decide(s)
        self._act(s)
        self._move(s)
        self._update_population(s)
        self._exchange(s)
        self._diffuse()
        self._observe()

    def _sense(self) -> _StepArrays:
        """Voxel of each cell (rows into voxel order every ``sort_every`` steps) and the contact list, which fates,
        killing and motion need every step; the signals are sensed block by block with the decisions."""
        pop, t, lat = self.population, self.tables, self.lattice
        n, (ny, nx) = len(pop), lat.shape
        x, y = pop["x_um"], pop["y_um"]
        voxel_indices(x, y, n, lat.spacing_um, nx, ny, out=self._voxel)
        every = self.config.model.sort_every
        if every and (self.steps - 1) % every == 0 and n > 1:  # spatial order (from step 1): neighbours near in memory
            counting_sort(self._voxel, self._all, n, ny * nx, self._voxel_start, self._order)
            pop.permute(self._order[:n])
            self._voxel[:n] = self._voxel[self._order[:n]]
            if self.config.model.phenotype_every > 1:  # held behaviours follow their rows
                self._behaviours[:n] = self._behaviours[self._order[:n]]
        offsets, neighbours = self.contacts.find(x, y, pop["radius_um"], n, self.config.model.contact_scale)
        insert = None
        if self.transwell is not None:  # insert cells sense the insert layer and touch nothing in the well
            insert = self.transwell.in_insert(pop["type"])
            offsets, neighbours = self._compartments.filter(offsets, neighbours, insert, n)
        group = pop["type"].astype(np.int64) * t.n_states + pop["state"]
        apoptotic = pop["apoptosis_left_min"] >= 0
        return _StepArrays(n=n, offsets=offsets, neighbours=neighbours, group=group, apoptotic=apoptotic,
                           insert=insert)

    def _decide(self, s: _StepArrays) -> None:
        """Signals -> behaviour values (Hill rules on the base table), sensed and decided block by block of rows
        (mscabm/sensing.py: the signal matrix holds one block)."""
        t, pop, sig, beh = self.tables, self.population, self._signals, self._behaviours
        contact_codes(t, pop["type"], s.group, s.apoptotic, self._class, self._live_type)
        inputs = SenseInputs(t, pop, self.lattice.data, self._voxel, self._class, self._live_type, s.offsets,
                             s.neighbours, [self._output_level(code, j, s.n) for code, j, _ in t.contact_levels],
                             s.insert, self.transwell)
        for a, b in blocks_of(s.n, SENSE_BLOCK_ROWS):
            sense_block(inputs, a, b, sig)
            evaluate_behaviours(s.group[a:b], s.apoptotic[a:b], sig, b - a, t.base, t.rules, beh[a:b])
        for code, j, col in t.variable_scales:  # behaviours multiplied by a per-cell variable
            scale_behaviour(s.n, pop["type"], code, self._output_level(code, j, s.n), beh, col)

    def _output_level(self, code: int, j: int, n: int) -> np.ndarray:
        """Variable ``j`` of rows ``< n`` as it acts on type ``code``'s outputs: plus its transgene level, if any."""
        values = self.population[self.tables.variable_names[j]]
        offset = self.tables.variable_output_offset[code, j]
        return values if offset == 0.0 else values[:n] + offset

    def _act(self, s: _StepArrays) -> None:
        """Apoptosis, state and type switches, cycle progress; contact killing and engulfment. Cells enter
        apoptosis here; divisions and removals are flagged for :meth:`_update_population`."""
        pop, t, dt, n, tally = self.population, self.tables, self.dt_min, s.n, self.tally
        u = self.rng.random((3, n))
        advance_lifecycle(n, pop["type"], pop["state"], pop["state_age_min"], pop["cycle_progress"],
                          pop["apoptosis_left_min"], self._behaviours, t.cycle_col, t.death_col, t.transition_col,
                          t.apoptosis_min, u[0], u[1], u[2], dt, self._divide, self._remove)
        del u  # freed before the next draw: one (3, n) block of uniforms alive at a time
        if t.become_any:  # type switches (engine/transdifferentiation.py): drawn only where a table sets one
            tally.transdifferentiated_total += apply_type_switches(pop, t, self._behaviours, self._divide, n,
                                                                   self.rng, dt)
        # every per-cell variable: dv/dt = production - decay * v, exact over the step (one pass over the cells)
        relax_variables(n, pop["type"], tuple(pop[v] for v in t.variable_names), self._behaviours, t.produce_col,
                        t.variable_declared, t.variable_decay_per_min, dt)
        newly_apoptotic = (pop["apoptosis_left_min"] >= 0) & ~s.apoptotic
        tally.count_deaths(pop["type"][newly_apoptotic])
        # contact killing and engulfment (on the contacts sensed this step)
        alive = pop["apoptosis_left_min"] < 0
        u_kill = self.rng.random((3, n))
        engulfed = engulf_apoptotic(s.offsets, s.neighbours, n, alive, self._behaviours, t.phagocytosis_col,
                                    u_kill[2], dt, self._engulfed)
        if engulfed:
            self._remove[:n] |= self._engulfed[:n]
            self._divide[:n] &= ~self._engulfed[:n]
            tally.engulfed_total += engulfed
        killed = contact_kill(s.offsets, s.neighbours, n, pop["type"], alive, self._behaviours, t.kill_col,
                              t.resistance_col, u_kill[0], u_kill[1], dt, self._killed, self._killer)
        if killed:
            victims = np.flatnonzero(self._killed[:n])
            vtype = pop["type"][victims]
            np.add.at(tally.kills, (pop["type"][self._killer[victims]], vtype), 1)
            pop["apoptosis_left_min"][victims] = t.apoptosis_min[vtype]
            self._divide[victims] = False
            self._remove[victims] |= t.apoptosis_min[vtype] <= 0
            tally.count_deaths(vtype)
        s.parents = np.flatnonzero(self._divide[:n])
        s.remove = self._remove[:n].copy()

    def _move(self, s: _StepArrays) -> None:
        """Persistent random walk, chemotaxis, repulsion and adhesion of the rows sensed this step."""
        pop, t, n, beh = self.population, self.tables, s.n, self._behaviours
        motile = ~t.adherent[pop["type"]] & (pop["apoptosis_left_min"] < 0)
        mech = self.config.model
        self.mover.move(pop["x_um"], pop["y_um"], pop["px"], pop["py"], pop["radius_um"], beh[:n, t.speed_col],
                        beh[:n, t.persistence_col], beh[:n, t.chemotaxis_col], t.chemotaxis_species[pop["type"]],
                        motile, self._voxel, self.lattice.data, s.offsets, s.neighbours, mech.repulsion_um_per_min,
                        mech.adhesion_um_per_min, mech.contact_scale, self.rng.random(n), self.rng.random(n),
                        self.dt_min, self.width_um, self.height_um, pop["x_um"], pop["y_um"], n=n)  # in place

    def _update_population(self, s: _StepArrays) -> None:
        """Births and removals of the step, in one place: daughters of the flagged divisions (one radius apart,
        behaviours copied, taken-up amounts halved), removal of the flagged rows (order-preserving compaction;
        removed rows are apoptotic or dead), then influx (:meth:`_add_influx`). Every cell present after this
        phase exchanges in this step."""
        pop, t = self.population, self.tables
        parents, remove = s.parents, s.remove
        if len(parents):
            angle, r = self.rng.uniform(0, 2 * np.pi, len(parents)), pop["radius_um"][parents]
            daughters = pop.divide(parents, r * np.cos(angle), r * np.sin(angle))
            for j in t.uptake_variables:  # an amount taken up is shared between the daughters
                halve_taken_up(pop["type"], pop[t.variable_names[j]], parents, daughters, t.variable_takes_up[:, j])
            self.tally.count_births(pop["type"][parents])
            self._ensure_buffers()
            self._behaviours[daughters] = self._behaviours[parents]
            pop["x_um"][:] = np.clip(pop["x_um"], 0.0, self.width_um)
            pop["y_um"][:] = np.clip(pop["y_um"], 0.0, self.height_um)
            remove = np.concatenate([remove, np.zeros(len(daughters), dtype=bool)])
        if remove.any():
            keep = ~remove
            keep_rows_in_place(self._behaviours, keep)
            self.tally.removed_total += pop.compact(keep)
        if self.config.influx:
            self._add_influx()
        s.n_exchange = len(pop)

    def _add_influx(self) -> int:
        """Add this step's influx cells (every ``[influx.<TYPE>]``); returns the number added.

        The rate reads the field's domain-mean level at the start of the step; newcomers start from their base
        behaviours. Types are drawn in declaration order (not the order a preset lists its sections)."""
        cfg, pop, added = self.config, self.population, 0
        for tname, inf in sorted(cfg.influx.items(), key=lambda kv: list(cfg.cells).index(kv[0])):
            if inf.rate_per_min <= 0.0:
                continue
            level = 0.0
            if inf.field:
                i = self.tables.field_names.index(inf.field)
                level = float(self.lattice.data[i].mean(dtype=np.float64))
            k = influx_count(inf, level, self.rng, self.dt_min)
            if k == 0:
                continue
            if pop.capacity and len(pop) + k > cfg.model.max_cells:
                k = max(0, cfg.model.max_cells - len(pop))  # the memory guard caps influx, never fails
                if k == 0:
                    continue
            rows = self.add_cells(tname, k, inf.state, "uniform")  # with their base behaviours: they exchange now
            if inf.placement == "edges":
                x, y = edge_positions(self.rng, k, self.width_um, self.height_um, cfg.cells[tname].radius_um)
                pop["x_um"][rows] = x
                pop["y_um"][rows] = y
            added += k
        self.tally.influx_total += added
        return added

    def _exchange(self, s: _StepArrays) -> None:
        """Secretion, uptake and export between the cells and their voxels, then enzyme turnover."""
        pop, lat = self.population, self.lattice
        n = s.n_exchange
        ny, nx = lat.shape
        voxel_indices(pop["x_um"], pop["y_um"], n, lat.spacing_um, nx, ny, out=self._voxel)
        volume = pop["radius_um"][:n] ** 3
        volume *= (4.0 / 3.0) * np.pi  # in place: the same bits as (4/3) pi r^3, one temporary
        t, alive = self.tables, pop["apoptosis_left_min"][:n] < 0
        listed = (pop["type"], t.exchange_species_ptr, t.exchange_species)  # only the fields each type exchanges
        blocks = [(lat.data, alive)] if self.transwell is None else self.transwell.blocks(alive, pop["type"][:n])
        integrated = [f for f in self.diffusion.source_species if f in self._active_fields]
        self._increments = []
        for data, active in blocks:  # the well (and the insert) layer with the cells that live there
            before = [data[f].astype(np.float64) for f in integrated]  # one field at a time: no float32 stack
            amounts = self.exchange.apply(data, self._voxel, n, self._behaviours, *self._exchange_cols, volume,
                                          lat.voxel_volume_um3, self.dt_min, active, listed, t.taken_up_fields)
            for j in t.uptake_variables:  # per-cell variables that count what their cell took up (EV cargo)
                add_taken_up(n, pop["type"], pop[t.variable_names[j]], amounts, t.taken_up_column[:, j],
                             t.molecules_per_amount[t.taken_up_fields])
            if t.enzyme_names:  # Michaelis-Menten enzymes (IDO: tryptophan -> kynurenine), same voxel order
                self.exchange.convert(data, self._behaviours, t.enzyme_vmax_col, t.enzyme_substrate, t.enzyme_product,
                                      t.enzyme_km, t.enzyme_yield, lat.voxel_volume_um3, self.dt_min, record=False)
            # the step's release of fast-decaying species (NO), integrated exactly by the solver (in place: no copy)
            self._increments.append({f: np.subtract(data[f], b, out=b) for b, f in zip(before, integrated)})

    def _diffuse(self) -> None:
        """Every live field advances by ``dt_min`` (diffusion, decay, supply)."""
        increments = getattr(self, "_increments", None) or [{}, {}]
        self._increments = None
        if self.transwell is None:  # the increments are this step's temporaries: the solver works in them
            self.diffusion.step(species=self._active_fields, increments=increments[0], consume_increments=True)
        else:
            self.transwell.diffuse(self.diffusion, self._active_fields, well_increments=increments[0],
                                   insert_increments=increments[-1], consume_increments=True)

    def _observe(self) -> None:
        """Readouts into the log every ``record_every`` steps and at the last step."""
        if self.steps % self.config.output.record_every == 0 or self.steps == self.config.model.steps:
            self.check_numerics()
            self.record()
        if self.steps >= self.config.model.steps:
            self.running = False

    @property
    def _field_store(self) -> np.ndarray:
        """Every field value the model holds: the lattice, or a transwell's layer stack."""
        return self.lattice.data if self.transwell is None else self.transwell.layers

    def check_numerics(self) -> None:
        """Cheap guard run at every recorded step (:func:`mscabm.observe.numerics.check_numerics`)."""
        check_numerics(self)

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict[str, Any]:
        """The complete dynamic state (cells, fields, rng, clock, tally) as arrays and JSON-able values."""
        return {
            "population": self.population.state_dict(),
            "fields": self._field_store.copy(),
            "rng_state": self.rng.bit_generator.state,
            "steps": int(self.steps),
            "time": float(self.time),
            "running": bool(self.running),
            **self.tally.state_dict(),
            "active_fields": list(self._active_fields),
            "readouts": dict(self.readouts),
            # held between phenotype steps (model.phenotype_every > 1): part of the state then
            "behaviours": (self._behaviours[:len(self.population)].copy()
                           if self.config.model.phenotype_every > 1 else None),
        }

    def load_state_dict(self, state: dict[str, Any], history: list[dict[str, float]] | None = None) -> None:
        """Restore :meth:`state_dict` output into a model built from the same config.

        ``history``: the readout rows recorded before the checkpoint; they become the log (and
        the DataCollector's table), which then continues as if never interrupted."""
        store = self._field_store
        if state["fields"].shape != store.shape or state["fields"].dtype != store.dtype:
            raise ValueError(f"checkpoint fields {state['fields'].shape} {state['fields'].dtype} do not match the "
                             f"model's lattice {store.shape} {store.dtype}")
        self.population.load_state_dict(state["population"])
        self._ensure_buffers()
        store[...] = state["fields"]
        self.rng.bit_generator.state = state["rng_state"]
        self.steps = int(state["steps"])
        self.time = float(state["time"])
        self.running = bool(state["running"])
        self.tally.load_state_dict(state)
        self._set_active_fields(state["active_fields"])  # incl. fields made live by a dose before the checkpoint
        if state.get("behaviours") is not None:
            self._behaviours[:len(state["behaviours"])] = state["behaviours"]
        rows = history if history is not None else [state["readouts"]]
        self.log = ReadoutLog(rows)
        self.datacollector = ReadoutCollector(self.log.rows[0])
        for row in self.log.rows:
            self.datacollector.append(row, float(row["time_min"]))
        # restart Mesa's events from the restored clock: the step schedule (same float arithmetic as an
        # uninterrupted run) and the infusions still ahead
        self._event_list.clear()
        self._start_clock(self.time)
        self._schedule_infusions()

    # ------------------------------------------------------------------ readouts
    @property
    def readouts(self) -> dict[str, float]:
        """The newest recorded readouts (the last row of :attr:`log`)."""
        return self.log.latest

    def record(self) -> dict[str, float]:
        """Compute the readouts now, append them to the log and the DataCollector; returns the row."""
        row = self.current_readouts()
        self.log.append(row)
        self.datacollector.collect(self)
        return row

    def current_readouts(self) -> dict[str, float]:
        """Counts by type and state, mean field levels, totals, derived and disease readouts, now
        (not logged: :meth:`record` logs them; :func:`mscabm.observe.readouts.compute_readouts`)."""
        return compute_readouts(self)
