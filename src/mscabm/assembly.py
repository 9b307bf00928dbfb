"""Compile a validated Config (names, units) into the engine's integer-indexed arrays.

This is the one place where biology names meet engine indices: cell types and states
become group rows, behaviours and signals become matrix columns, rules become
:class:`~mscabm.engine.rules.CompiledRules`, and exports given in molecules/min become
engine amounts (field unit x um^3 per min).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np

from mscabm.biology.fields import molecules_to_amount
from mscabm.biology.interventions import (
    behaviour_scales,
    disabled_signals,
    neutralisation,
    transgene_exports,
    transgene_levels,
)
from mscabm.config import Config, ConfigError
from mscabm.engine.diffusion import DiffusionSolver
from mscabm.engine.diffusion.source_integration import integrates_source_exactly, split_mean_correction
from mscabm.engine.lattice import Boundary, Lattice
from mscabm.engine.rules import CompiledRules, HillRule, compile_rules
from mscabm.vocabulary import (
    CONTACT_LEVEL_SIGNAL,
    ENZYME_BEHAVIOUR,
    STATE_SWITCH_BEHAVIOUR,
    TYPE_SWITCH_BEHAVIOUR,
    VARIABLE_BEHAVIOUR,
    VARIABLE_SIGNAL,
)


@dataclass
class Tables:
    """Everything the model's kernels need, as arrays (built once per model)."""

    type_names: list[str]
    state_names: list[tuple[str, ...]]  # per type
    n_states: int  # max states per type (group = type * n_states + state)
    field_names: list[str]
    behaviour_names: list[str]  # the whole vocabulary's behaviours (config names)
    signal_names: list[str]
    # Per-cell behaviours are stored only where some cell can hold a non-zero value (a base value or an enabled
    # rule sets them): ``behaviour_column[k]`` is the stored column of ``behaviour_names[k]``; every behaviour
    # that nothing sets shares the last stored column, which is always zero. Every *_col below is a stored column.
    behaviour_column: np.ndarray  # (len(behaviour_names),) int64
    # Per-cell signals are stored only where an enabled rule reads them: ``signal_column[k]`` is the stored column
    # of ``signal_names[k]``, -1 for a signal nothing reads (then it is not sensed at all). The *_offset and
    # *_signal fields below are positions in ``signal_names``; the *_signal_column properties map them.
    signal_column: np.ndarray  # (len(signal_names),) int64
    n_stored_signals: int
    base: np.ndarray  # (n_groups, n_stored_behaviours) float64, engine units
    rules: CompiledRules
    transition_col: np.ndarray  # (n_types, n_states) int64, -1 none
    cycle_col: int
    death_col: int
    speed_col: int
    persistence_col: int
    chemotaxis_col: int
    export_col: np.ndarray  # (n_fields,) int64
    uptake_col: np.ndarray
    secretion_col: np.ndarray
    saturation_col: np.ndarray
    radius_um: np.ndarray  # (n_types,)
    apoptosis_min: np.ndarray  # (n_types,) float32
    adherent: np.ndarray  # (n_types,) bool
    chemotaxis_species: np.ndarray  # (n_types,) int64, -1 none
    kill_col: np.ndarray  # (n_types,) int64: column of a killer's rate against each target type
    resistance_col: int
    phagocytosis_col: int
    field_signal_offset: int
    contact_signal_offset: int  # live contacts by type: n_types columns
    state_contact_offset: int  # live contacts by (type, state): one column per real state, types in order
    apoptotic_signal: int
    time_signal: int
    contact_class: np.ndarray  # (n_groups,) int64: column (from state_contact_offset) of each group, -1 unused
    inert_fields: np.ndarray  # (n_fields,) bool: identically zero for the whole run (no source, zero start)
    # per-cell variables (V of them, every type's together; mscabm/vocabulary.py)
    variable_names: list[str]
    variable_signal_offset: int  # signal column of var:<first variable>; V columns
    produce_col: np.ndarray  # (V,) int64 behaviour column of each variable's production rate
    variable_declared: np.ndarray  # (n_types, V) bool: the type carries the variable
    variable_initial: np.ndarray  # (n_types, V) float64: value of a new cell
    variable_decay_per_min: np.ndarray  # (n_types, V) float64
    variable_scales: np.ndarray  # (n_scales, 3) int64 rows (type code, variable, behaviour column)
    # (n_types, V) float64: a transgene's level added to the variable where it acts as output (behaviour scales,
    # contact levels), not where the cell's own rules read it (interventions.overexpress)
    variable_output_offset: np.ndarray
    # the field each type's variable counts the uptake of ([cells.<T>.variables.<V>] takes_up): (n_types, V) int64,
    # -1 none; and molecules per field amount (field unit x um^3) of each field, (n_fields,) float64
    variable_takes_up: np.ndarray
    molecules_per_amount: np.ndarray
    # contact levels read by some enabled rule: (k, 3) int64 rows (neighbour type code, variable, signal column)
    contact_levels: np.ndarray
    # enzymes (E of them): behaviour column of Vmax (engine units: substrate amount / min), species, Km, yield
    enzyme_names: list[str]
    enzyme_vmax_col: np.ndarray  # (E,) int64
    enzyme_substrate: np.ndarray  # (E,) int64 field index
    enzyme_product: np.ndarray  # (E,) int64 field index
    enzyme_km: np.ndarray  # (E,) float64, substrate unit
    enzyme_yield: np.ndarray  # (E,) float64, product amount per substrate amount
    # type switches (engine/transdifferentiation.py): behaviour column of become_<TYPE>_per_min per type, the
    # state code a new cell of each type starts in, and whether any base value or enabled rule can set a switch
    become_col: np.ndarray  # (n_types,) int64
    initial_state: np.ndarray  # (n_types,) int64
    become_any: bool
    # sparse exchange: the fields each type's cells can exchange (secrete, take up or export), CSR by type code:
    # exchange_species[exchange_species_ptr[t]:exchange_species_ptr[t + 1]] (engine/kernels/exchange.py)
    exchange_species_ptr: np.ndarray  # (n_types + 1,) int64
    exchange_species: np.ndarray  # int64 field indices

    @cached_property
    def uptake_variables(self) -> list[int]:
        """Indices of the per-cell variables that some type counts the uptake of a field into (computed once: the
        model reads it twice per step)."""
        return [int(j) for j in np.flatnonzero((self.variable_takes_up >= 0).any(axis=0))]

    @cached_property
    def taken_up_fields(self) -> np.ndarray:
        """Fields whose uptake some type's variable counts (sorted int64): the only exchange amounts recorded."""
        return np.unique(self.variable_takes_up[self.variable_takes_up >= 0]).astype(np.int64)

    @cached_property
    def taken_up_column(self) -> np.ndarray:
        """``variable_takes_up`` as columns of the recorded amounts (:attr:`taken_up_fields`), -1 none: (n_types,
        V) int64."""
        column = np.full(len(self.field_names) + 1, -1, dtype=np.int64)  # the last entry: -1 -> -1
        column[self.taken_up_fields] = np.arange(len(self.taken_up_fields))
        return column[self.variable_takes_up]

    @cached_property
    def stored_signal_names(self) -> list[str]:
        """Name of each stored signal column."""
        names = [""] * self.n_stored_signals
        for name, col in zip(self.signal_names, self.signal_column.tolist(), strict=True):
            if col >= 0:
                names[col] = name
        return names

    def signal_of(self, name: str) -> int:
        """Stored column of a signal (by its vocabulary name); KeyError if no enabled rule reads it."""
        col = int(self.signal_column[self.signal_names.index(name)])
        if col < 0:
            raise KeyError(f"signal {name!r} is not stored: no enabled rule reads it")
        return col

    def _signal_columns(self, first: int, count: int) -> np.ndarray:
        return self.signal_column[first:first + count].copy()

    @cached_property
    def field_signal_column(self) -> np.ndarray:
        """Stored signal column of each field's level at the cell, -1 not stored: (n_fields,) int64."""
        return self._signal_columns(self.field_signal_offset, len(self.field_names))

    @cached_property
    def type_signal_column(self) -> np.ndarray:
        """Stored signal column of the live contacts with each type, -1 not stored: (n_types,) int64."""
        return self._signal_columns(self.contact_signal_offset, len(self.type_names))

    @cached_property
    def class_signal_column(self) -> np.ndarray:
        """Stored signal column of the contacts with each (type, state) class and, last, with apoptotic bodies;
        -1 not stored: (n_contact_classes,) int64."""
        return self._signal_columns(self.state_contact_offset, self.n_contact_classes)

    @cached_property
    def variable_signal_column(self) -> np.ndarray:
        """Stored signal column of each per-cell variable (the cell's own level), -1 not stored: (V,) int64."""
        return self._signal_columns(self.variable_signal_offset, len(self.variable_names))

    @property
    def time_signal_column(self) -> int:
        """Stored signal column of the time in state, -1 not stored."""
        return int(self.signal_column[self.time_signal])

    @property
    def n_stored_behaviours(self) -> int:
        """Columns of the per-cell behaviour matrix (the behaviours some cell can set, plus the zero column)."""
        return int(self.base.shape[1])

    @cached_property
    def stored_behaviour_names(self) -> list[str]:
        """Name of each stored behaviour column; the shared zero column is named ``""``."""
        names = [""] * self.n_stored_behaviours
        for name, col in zip(self.behaviour_names, self.behaviour_column.tolist(), strict=True):
            if col < self.n_stored_behaviours - 1:
                names[col] = name
        return names

    def column_of(self, behaviour: str) -> int:
        """Stored column of a behaviour (by its config name); the zero column if nothing sets it."""
        return int(self.behaviour_column[self.behaviour_names.index(behaviour)])

    @property
    def n_contact_classes(self) -> int:
        """Live (type, state) classes plus one for apoptotic bodies."""
        return int(self.contact_class.max()) + 2

    def group_of(self, type_code: int, state_code: int) -> int:
        return type_code * self.n_states + state_code

    def type_code(self, name: str) -> int:
        return self.type_names.index(name)

    def state_code(self, type_name: str, state: str) -> int:
        return self.state_names[self.type_names.index(type_name)].index(state)


def export_decay_correction(decay_per_min: float, dt_min: float) -> float:
    """Factor on a constant export so that the step's split (release at the start of the step, then
    decay over the whole step) keeps the exact level of a continuous release ``q`` into a decaying
    field, ``c(t + dt) = c(t) e^{-k dt} + q (1 - e^{-k dt}) / k``:

        phi = (1 - e^{-k dt}) / (k dt e^{-k dt})      (phi -> 1 as k dt -> 0)

    Without it a fast-decaying species (nitric oxide, k dt = 6) would sit ~70x below its true
    steady state; for cytokines (k dt = 0.01) the correction is 0.5 %. It corrects the mean only
    (the release still spreads for a whole step); species whose release the diffusion solver
    integrates exactly (``engine/diffusion/source_integration.py``: NO, and fields under a
    neutralising antibody) get factor 1 instead.
    """
    return split_mean_correction(decay_per_min * dt_min)


def build_tables(cfg: Config, behaviour_layout: tuple[np.ndarray, int] | None = None,
                 all_signals: bool = False) -> Tables:
    """The engine's tables for a validated config. ``behaviour_layout``: keep this stored layout, ``(behaviour_column,
    n_stored_behaviours)`` (a rebuild mid-run, whose per-cell behaviours were stored with it; it must give every
    behaviour the new config can set a column of its own). ``all_signals``: store every signal of the vocabulary,
    read or not (the dense layout tests compare against)."""
    type_names = list(cfg.cells)
    state_names = [cfg.states_of(t) for t in type_names]
    n_states = max(len(s) for s in state_names)
    field_names = list(cfg.fields)
    beh = cfg.behaviour_names()
    sig = cfg.signal_names()
    bcol = {b: i for i, b in enumerate(beh)}
    scol = {s: i for i, s in enumerate(sig)}
    n_groups = len(type_names) * n_states

    # engine-unit scale per behaviour column (exports: molecules/min -> amount/min), with the
    # release-then-decay correction of each field (see export_decay_correction)
    iv = cfg.interventions
    removal = neutralisation(iv.block)
    scale = np.ones(len(beh))
    for f in field_names:
        fs = cfg.fields[f]
        k = fs.decay_per_min + iv.neutralise_per_min.get(f, 0.0) + removal.get(f, 0.0)
        exact = integrates_source_exactly(k * cfg.model.dt_min, fs.boundary == "zero_flux", fs.supply_per_min)
        # a species the solver integrates exactly (NO) needs no mean-level correction of its exports
        correction = 1.0 if exact else export_decay_correction(k, cfg.model.dt_min)
        scale[bcol[f"export_{f}_molecules_per_min"]] = molecules_to_amount(fs.unit) * correction
    enzyme_names = list(cfg.enzymes)
    for e, enz in cfg.enzymes.items():  # Vmax: molecules/min -> substrate amount/min
        scale[bcol[ENZYME_BEHAVIOUR.format(e)]] = molecules_to_amount(cfg.fields[enz.substrate].unit)

    # interventions (knock-outs, blockers, immunosuppressant) scale a behaviour of a cell type:
    # base and every rule saturation alike, so the rule-combined value scales exactly (it is linear in them)
    type_scale = np.ones((len(type_names), len(beh)))
    scales = behaviour_scales(iv.knockout, iv.block, iv.immunosuppressant, tuple(type_names))
    for (tname, bname), factor in scales.items():
        type_scale[type_names.index(tname), bcol[bname]] *= factor

    base = np.zeros((n_groups, len(beh)))
    for t, tname in enumerate(type_names):
        for s, sname in enumerate(state_names[t]):
            for bname, value in cfg.behaviours.get(tname, {}).get(sname, {}).items():
                base[t * n_states + s, bcol[bname]] = value * scale[bcol[bname]] * type_scale[t, bcol[bname]]
    for (tname, bname), extra in transgene_exports(iv.overexpress).items():  # gene-modified cells, every state
        t = type_names.index(tname)
        for s in range(len(state_names[t])):
            base[t * n_states + s, bcol[bname]] += extra * scale[bcol[bname]] * type_scale[t, bcol[bname]]

    rules = []
    off = disabled_signals(iv.knockout, iv.block)  # contact mechanisms removed with their MSC factor
    # pathways by name -> run order: the shared pathway '' first (0), named ones sorted
    pathway_index = {name: i + 1 for i, name in enumerate(sorted({r.pathway for r in cfg.rules.values()} - {""}))}
    pathway_index[""] = 0
    for r in cfg.rules.values():
        if not r.enabled or r.signal in off:
            continue
        t = type_names.index(r.cell_type)
        states = state_names[t] if r.state == "*" else (r.state,)
        b = bcol[r.behaviour]
        for sname in states:
            rules.append(HillRule(group=t * n_states + state_names[t].index(sname), signal=scol[r.signal], behaviour=b,
                                  increases=r.direction == "increases",
                                  saturation=r.saturation * scale[b] * type_scale[t, b],
                                  half_max=r.half_max, hill_power=r.hill_power,
                                  responds_to_low=r.responds_to == "low", pathway=pathway_index[r.pathway]))

    transition_col = np.full((len(type_names), n_states), -1, dtype=np.int64)
    for t, states in enumerate(state_names):
        for s, sname in enumerate(states):
            transition_col[t, s] = bcol[STATE_SWITCH_BEHAVIOUR.format(sname)]

    def cols(prefix: str) -> np.ndarray:
        return np.array([bcol[prefix.format(f)] for f in field_names], dtype=np.int64)

    cells = [cfg.cells[t] for t in type_names]
    contact_class = np.full(n_groups, -1, dtype=np.int64)
    k = 0
    for t, states in enumerate(state_names):
        for s in range(len(states)):
            contact_class[t * n_states + s] = k
            k += 1
    var_names = cfg.variable_names()
    n_vars = len(var_names)
    declared = np.zeros((len(type_names), n_vars), dtype=bool)
    initial = np.zeros((len(type_names), n_vars))
    decay = np.zeros((len(type_names), n_vars))
    var_scales = []
    takes_up = np.full((len(type_names), n_vars), -1, dtype=np.int64)
    for t, c in enumerate(cells):
        for vname, var in c.variables.items():
            j = var_names.index(vname)
            declared[t, j], initial[t, j], decay[t, j] = True, var.initial, var.decay_per_min
            takes_up[t, j] = field_names.index(var.takes_up) if var.takes_up else -1
            var_scales += [(t, j, bcol[b]) for b in var.scales]
    output_offset = np.zeros((len(type_names), n_vars))
    for (tname, vname), level in transgene_levels(iv.overexpress).items():
        output_offset[type_names.index(tname), var_names.index(vname)] += level
    level_prefix = CONTACT_LEVEL_SIGNAL.split("{")[0]  # contact_level:<TYPE>.<V>
    levels = sorted({(type_names.index(r.signal[len(level_prefix):].split(".")[0]),
                      var_names.index(r.signal.split(".")[-1]), scol[r.signal])
                     for r in cfg.rules.values()
                     if r.enabled and r.signal not in off and r.signal.startswith(level_prefix)})
    enz = [cfg.enzymes[e] for e in enzyme_names]
    become_col = np.array([bcol[TYPE_SWITCH_BEHAVIOUR.format(t)] for t in type_names], dtype=np.int64)
    switch_cols = set(become_col.tolist())
    # a rule of either direction moves its behaviour toward its saturation, so any positive saturation can set a rate
    become_any = bool((base[:, become_col] > 0).any()
                      or any(r.saturation > 0 and r.behaviour in switch_cols for r in rules))
    ptr, listed = _exchange_species_by_type(base, rules, len(type_names), n_states,
                                            [cols(p) for p in ("secretion_{}_per_min", "uptake_{}_per_min",
                                                               "export_{}_molecules_per_min")])
    inert = _inert_fields(cfg, field_names, base, rules, bcol)
    # from here on behaviour columns are stored columns (the live ones, then the shared zero column)
    column, n_stored = _stored_behaviour_columns(base, rules, behaviour_layout)
    stored_base = np.zeros((n_groups, n_stored))
    stored_base[:, column] = base  # the behaviours sharing the zero column are zero in every group
    # and signal columns are stored columns: the signals an enabled rule reads (all of them if asked), in order
    read = np.ones(len(sig), dtype=bool) if all_signals else np.isin(np.arange(len(sig)), [r.signal for r in rules])
    signal_column = np.full(len(sig), -1, dtype=np.int64)
    signal_column[read] = np.arange(int(read.sum()))
    rules = [replace(r, behaviour=int(column[r.behaviour]), signal=int(signal_column[r.signal])) for r in rules]
    levels = [(code, j, int(signal_column[col])) for code, j, col in levels]  # read by a rule: stored
    transition_col = np.where(transition_col >= 0, column[transition_col], -1)  # -1: no such state, kept
    zero_col = stored_base.shape[1] - 1
    var_scales = [(t, j, int(column[b])) for t, j, b in var_scales if column[b] != zero_col]  # 0 * level = 0

    def stored(name: str) -> int:
        return int(column[bcol[name]])

    def stored_cols(prefix: str) -> np.ndarray:
        return column[cols(prefix)]

    return Tables(
        exchange_species_ptr=ptr, exchange_species=listed,
        type_names=type_names, state_names=state_names, n_states=n_states, field_names=field_names,
        behaviour_names=beh, signal_names=sig, behaviour_column=column, base=stored_base,
        signal_column=signal_column, n_stored_signals=int(read.sum()),
        rules=compile_rules(rules, n_groups),
        transition_col=transition_col, cycle_col=stored("cycle_rate_per_min"), death_col=stored("death_rate_per_min"),
        speed_col=stored("speed_um_per_min"), persistence_col=stored("persistence_min"),
        chemotaxis_col=stored("chemotaxis_bias"),
        export_col=stored_cols("export_{}_molecules_per_min"), uptake_col=stored_cols("uptake_{}_per_min"),
        secretion_col=stored_cols("secretion_{}_per_min"), saturation_col=stored_cols("saturation_{}"),
        radius_um=np.array([c.radius_um for c in cells]),
        apoptosis_min=np.array([c.apoptosis_min for c in cells], dtype=np.float32),
        adherent=np.array([c.adherent for c in cells]),
        chemotaxis_species=np.array([field_names.index(c.chemotaxis_field) if c.chemotaxis_field else -1
                                     for c in cells], dtype=np.int64),
        kill_col=np.array([stored(f"kill_{t}_per_min") for t in type_names], dtype=np.int64),
        resistance_col=stored("kill_resistance"), phagocytosis_col=stored("phagocytosis_per_min"),
        field_signal_offset=0, contact_signal_offset=len(field_names),
        state_contact_offset=scol[f"contact:{type_names[0]}.{state_names[0][0]}"],
        apoptotic_signal=scol["contact:apoptotic"], time_signal=scol["time_in_state"],
        contact_class=contact_class, inert_fields=inert,
        variable_names=var_names,
        variable_signal_offset=scol[VARIABLE_SIGNAL.format(var_names[0])] if var_names else len(sig),
        produce_col=np.array([stored(VARIABLE_BEHAVIOUR.format(v)) for v in var_names], dtype=np.int64),
        variable_declared=declared, variable_initial=initial, variable_decay_per_min=decay,
        variable_scales=np.array(var_scales, dtype=np.int64).reshape(-1, 3),
        variable_output_offset=output_offset, variable_takes_up=takes_up,
        molecules_per_amount=np.array([1.0 / molecules_to_amount(cfg.fields[f].unit) for f in field_names]),
        contact_levels=np.array(levels, dtype=np.int64).reshape(-1, 3),
        enzyme_names=enzyme_names,
        enzyme_vmax_col=np.array([stored(ENZYME_BEHAVIOUR.format(e)) for e in enzyme_names], dtype=np.int64),
        enzyme_substrate=np.array([field_names.index(e.substrate) for e in enz], dtype=np.int64),
        enzyme_product=np.array([field_names.index(e.product) for e in enz], dtype=np.int64),
        enzyme_km=np.array([e.km for e in enz], dtype=np.float64),
        enzyme_yield=np.array([molecules_to_amount(cfg.fields[e.product].unit)
                               / molecules_to_amount(cfg.fields[e.substrate].unit) for e in enz], dtype=np.float64),
        become_col=column[become_col],
        initial_state=np.array([states.index(c.initial_state) if c.initial_state else 0
                                for c, states in zip(cells, state_names, strict=True)], dtype=np.int64),
        become_any=become_any,
    )


def rebuild_tables_keeping_exchange(cfg: Config, before: Tables) -> Tables:
    """Tables for a config whose behaviours only shrink from ``before``'s (a delayed immunosuppressant starts:
    every damped value is multiplied by a factor in [0, 1]). The stored behaviour columns stay as they were, and
    the exchange keeps ``before``'s field lists, a superset of the new ones, since rows held from before
    (``model.phenotype_every`` > 1) were computed with them."""
    t = build_tables(cfg, behaviour_layout=(before.behaviour_column, before.n_stored_behaviours),
                     all_signals=bool((before.signal_column >= 0).all()))
    if not np.array_equal(t.signal_column, before.signal_column):  # the per-cell signal matrix keeps its columns
        raise ValueError("a rebuild mid-run must keep the signals the rules read")
    t.exchange_species_ptr, t.exchange_species = before.exchange_species_ptr, before.exchange_species
    return t


def _stored_behaviour_columns(base: np.ndarray, rules: list[HillRule],
                              keep: tuple[np.ndarray, int] | None = None) -> tuple[np.ndarray, int]:
    """Stored column of each behaviour: the behaviours that a base value or an enabled rule (of either direction,
    any saturation) sets somewhere get their own columns, in vocabulary order; every other behaviour is zero in
    every cell for the whole run (new cells, influx and type switches write base rows; variables and knock-outs
    only scale) and maps to one shared zero column, the last. Storing only these keeps the per-cell matrix to
    what is live (issue 19: 168 -> 70 columns for the default biology). Returns (column of each behaviour, number
    of stored columns); ``keep``: return that layout instead, after checking it stores everything live."""
    live = base.any(axis=0)
    for r in rules:
        live[r.behaviour] = True
    if keep is not None:
        column, n_stored = keep
        if len(column) != len(live) or (column[live] == n_stored - 1).any():
            raise ValueError("the kept behaviour layout has no column for a behaviour this config sets")
        return column, n_stored
    kept = np.flatnonzero(live)
    column = np.full(base.shape[1], len(kept), dtype=np.int64)
    column[kept] = np.arange(len(kept))
    return column, len(kept) + 1


def _exchange_species_by_type(base: np.ndarray, rules: list[HillRule], n_types: int, n_states: int,
                              columns: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """For each cell type, the fields its cells can exchange: a field whose secretion, uptake or export is
    non-zero in the base value of some state of the type, or the target of an enabled rule there with a non-zero
    saturation (a rule moves its behaviour toward its saturation, either direction). Every other writer of these
    columns scales them (variables, knock-outs), which keeps a zero zero, or writes a base row of the cell's type
    (new cells, influx, type switches). A cell keeps its previous state's row until it decides again, hence the
    union over the type's states. Returns CSR (ptr, fields)."""
    n_fields = len(columns[0])
    can = np.zeros((n_types * n_states, base.shape[1]), dtype=bool)
    can |= base != 0.0
    for r in rules:
        if r.saturation != 0.0:
            can[r.group, r.behaviour] = True
    by_type = can.reshape(n_types, n_states, -1).any(axis=1)  # (n_types, n_behaviours)
    touches = np.zeros((n_types, n_fields), dtype=bool)
    for col in columns:
        touches |= by_type[:, col]
    ptr = np.zeros(n_types + 1, dtype=np.int64)
    ptr[1:] = np.cumsum(touches.sum(axis=1))
    return ptr, np.flatnonzero(touches.ravel()) % n_fields


def _inert_fields(cfg: Config, field_names: list[str], base: np.ndarray, rules: list[HillRule],
                  bcol: dict[str, int]) -> np.ndarray:
    """Fields that stay identically zero: zero start, no supply, no supplement, no dose, zero boundary
    values, and no cell that can ever release them (base value or any rule saturation of their export or
    secretion). Diffusion and exchange skip them; every scheme maps a zero field to zero."""
    iv = cfg.interventions
    dosed = {d.field for d in iv.doses}
    inert = np.zeros(len(field_names), dtype=bool)
    for i, f in enumerate(field_names):
        fc = cfg.fields[f]
        cols = {bcol[f"export_{f}_molecules_per_min"], bcol[f"secretion_{f}_per_min"]}
        cols |= {bcol[ENZYME_BEHAVIOUR.format(e)] for e, enz in cfg.enzymes.items() if enz.product == f}
        released = any(base[:, c].any() for c in cols) or any(r.behaviour in cols and r.saturation > 0 for r in rules)
        inert[i] = (fc.initial == 0.0 and fc.supply_per_min == 0.0 and iv.supplement.get(f, 0.0) == 0.0
                    and f not in dosed and not released and (fc.boundary != "dirichlet" or fc.boundary_value == 0.0))
    return inert


def build_diffusion(cfg: Config, lattice: Lattice) -> DiffusionSolver:
    """The diffusion solver for a config's fields; a forced scheme that cannot reach its
    accuracy target at ``model.dt_min`` is refused as a ConfigError (with the way out)."""
    names = list(cfg.fields)
    extra = dict(cfg.interventions.neutralise_per_min)
    for f, rate in neutralisation(cfg.interventions.block).items():
        extra[f] = extra.get(f, 0.0) + rate
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        try:
            return DiffusionSolver(
                lattice,
                [cfg.fields[f].diffusion_um2_per_min for f in names],
                [cfg.fields[f].decay_per_min + extra.get(f, 0.0) for f in names],
                [Boundary(cfg.fields[f].boundary, cfg.fields[f].boundary_value) for f in names],
                cfg.model.dt_min,
                scheme=cfg.domain.diffusion_scheme,
                supply_per_min=[cfg.fields[f].supply_per_min for f in names],
            )
        except RuntimeWarning as exc:
            raise ConfigError("domain.diffusion_scheme", f"{exc}; allowed: 'auto' or 'kernel' "
                              f"(exact at any step), or a smaller model.dt_min") from None
        except ValueError as exc:  # e.g. 'spectral' forced on a field with a Dirichlet or periodic side
            raise ConfigError("domain.diffusion_scheme", f"{exc}; allowed: 'auto' (per field) or 'kernel' "
                              f"(any boundary)") from None
