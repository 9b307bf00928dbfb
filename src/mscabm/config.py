"""The typed configuration: a complete built-in default, TOML in and out, overrides, checks.

A config file is a set of overrides on the built-in default (``default_config_dict()``,
built from the biology tables), so ``mscabm run`` needs no file and a preset only names
what it changes. Every value is checked before a run starts: unknown keys, wrong types,
non-finite numbers, values out of range and unphysical combinations (cells that cannot
fit in the domain, a voxel larger than the domain, a rule naming an unknown signal)
raise :class:`ConfigError` with the key path and the allowed range.

Units are in the key names: lengths ``_um``, times ``_min``, rates ``_per_min``;
concentrations are in each field's documented unit (``mscabm.biology.fields``).
"""

from __future__ import annotations

import copy
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from mscabm.biology.celltypes import BASE_BEHAVIOURS, CELL_TYPES
from mscabm.biology.fields import FIELDS
from mscabm.biology.interventions import BLOCKERS, MSC_FACTORS, PRELICENSE
from mscabm.biology.rules import DEFAULT_RULES
from mscabm.schema import ConfigError, parse, to_dict

__all__ = ["Config", "ConfigError", "load_config", "default_config_dict", "apply_override", "set_path", "behaviour_names",
           "signal_names", "PRESET_DIR"]

#: presets shipped with the source tree (``configs/`` at the repository root)
PRESET_DIR = Path(__file__).resolve().parents[2] / "configs"

FIELD_BEHAVIOUR_PREFIXES = ("export_{}_molecules_per_min", "uptake_{}_per_min", "secretion_{}_per_min",
                            "saturation_{}")
MOTION_BEHAVIOURS = ("speed_um_per_min", "persistence_min", "chemotaxis_bias")
LIFECYCLE_BEHAVIOURS = ("cycle_rate_per_min", "death_rate_per_min")
CONTACT_BEHAVIOURS = ("kill_resistance", "phagocytosis_per_min")
#: behaviours bounded to [0, 1]
FRACTION_BEHAVIOURS = ("chemotaxis_bias", "kill_resistance")
#: the contact-signal name of an apoptotic body (any type)
APOPTOTIC_SIGNAL = "contact:apoptotic"


def behaviour_names(field_names: list[str] | tuple[str, ...] = tuple(FIELDS),
                    cell_types: dict = CELL_TYPES) -> list[str]:
    """Every behaviour a rule or base table may set, in column order."""
    names = list(LIFECYCLE_BEHAVIOURS) + list(MOTION_BEHAVIOURS) + list(CONTACT_BEHAVIOURS)
    names += [f"kill_{t}_per_min" for t in cell_types]
    for f in field_names:
        names += [p.format(f) for p in FIELD_BEHAVIOUR_PREFIXES]
    states = []
    for t in cell_types.values():
        states += [s for s in t.states if s not in states]
    names += [f"to_{s}_per_min" for s in states]
    return names


def signal_names(field_names=tuple(FIELDS), cell_types=CELL_TYPES) -> list[str]:
    """Every signal a rule may read, in column order of the signals matrix.

    Fields, then contacts with live cells by type, by type and state (types in order, each
    type's states in order), contacts with apoptotic bodies, and the time in state.
    """
    return ([f"field:{f}" for f in field_names] + [f"contact:{t}" for t in cell_types]
            + [f"contact:{t}.{s}" for t, spec in cell_types.items() for s in spec.states]
            + [APOPTOTIC_SIGNAL, "time_in_state"])


# ---------------------------------------------------------------------------- sections
_REQUIRED = object()


def _m(default=_REQUIRED, **meta):
    if default is _REQUIRED:
        return field(metadata=meta)
    return field(default=default, metadata=meta)


@dataclass
class ModelSection:
    name: str = _m("default", doc="run name, used in the output folder name")
    seed: int = _m(42, min=0, max=2**63 - 1, doc="master seed of the numpy Generator (Mesa's model.rng)")
    steps: int = _m(1440, min=0, max=10**9, doc="number of model steps to run")
    dt_min: float = _m(1.0, gt=0.0, max=60.0, unit="min", doc="model step")
    max_cells: int = _m(2_000_000, min=1, max=10**9, doc="population capacity (memory guard)")
    sort_every: int = _m(20, min=0, max=10**9,
                         doc="steps between reorderings of the cell rows into spatial (voxel) order, for memory "
                             "locality in the kernels; 0 = never. Changes the order of random draws, not the model")
    contact_scale: float = _m(1.25, min=1.0, max=3.0,
                              doc="cells interact (contact signals, adhesion) within scale*(r_i+r_j); "
                                  "1.25 = PhysiCell's default relative maximum adhesion distance (V PhysiCell)")
    repulsion_um_per_min: float = _m(10.0, min=0.0, max=1e3, unit="um/min",
                                     doc="cell-cell repulsion strength (V PhysiCell default 10 um/min)")
    adhesion_um_per_min: float = _m(0.4, min=0.0, max=1e3, unit="um/min",
                                    doc="cell-cell adhesion strength (V PhysiCell default 0.4 um/min)")


@dataclass
class DomainSection:
    width_um: float = _m(1000.0, gt=0.0, max=1e6, unit="um", doc="domain width (x)")
    height_um: float = _m(1000.0, gt=0.0, max=1e6, unit="um", doc="domain height (y)")
    voxel_um: float = _m(10.0, gt=0.0, max=1e4, unit="um", doc="field voxel side")
    thickness_um: float = _m(100.0, gt=0.0, max=1e4, unit="um",
                             doc="effective depth of the 2-D slab (sets the voxel volume): the layer into which "
                                 "secreted molecules mix; in a culture well they rise into mm of medium within hours, "
                                 "100 um taken (M, docs/calibration.md)")
    dtype: str = _m("float32", choices=("float32", "float64"), doc="field storage precision")
    diffusion_scheme: str = _m("auto", choices=("auto", "kernel", "explicit", "lod"),
                               doc="diffusion solver for all fields (auto: cheapest within tolerance, per field)")


@dataclass
class OutputSection:
    record_every: int = _m(10, min=1, max=10**9, doc="steps between time-series rows")
    snapshot_every: int = _m(240, min=0, max=10**9, doc="steps between cell/field snapshots (0: first and last only)")
    flush_every: int = _m(100, min=1, max=10**9, doc="time-series rows between Parquet flushes")


@dataclass
class CellSection:
    count: int = _m(0, min=0, max=10**9, doc="initial number of cells")
    initial_state: str = _m("", doc="state at start (default: the type's first state)")
    placement: str = _m("uniform", choices=("uniform", "centre"), doc="initial placement")
    radius_um: float = _m(5.0, gt=0.0, max=1000.0, unit="um", doc="cell radius")
    apoptosis_min: float = _m(516.0, min=0.0, max=1e6, unit="min", doc="time an apoptotic body persists")
    adherent: bool = _m(False, doc="adherent cells do not migrate (speed ignored)")
    chemotaxis_field: str = _m("", doc="field whose gradient biases migration ('' = none)")
    state_fractions: dict[str, float] = field(default_factory=dict, metadata={
        "value_meta": {"min": 0.0, "max": 1.0},
        "doc": "fraction of the initial count placed in each named state (the rest: initial_state)"})


@dataclass
class FieldSection:
    diffusion_um2_per_min: float = _m(0.0, min=0.0, max=1e6, unit="um^2/min", doc="diffusion coefficient")
    decay_per_min: float = _m(0.0, min=0.0, max=1e3, unit="1/min", doc="first-order decay")
    supply_per_min: float = _m(0.0, min=0.0, max=1e9, unit="field unit/min",
                               doc="uniform zero-order supply (e.g. from the blood); with decay k the level "
                                   "without cells relaxes to supply/k; zero-flux or periodic boundary only")
    initial: float = _m(0.0, min=0.0, max=1e9, doc="initial uniform level (field unit)")
    boundary: str = _m("zero_flux", choices=("zero_flux", "dirichlet", "periodic"), doc="boundary condition")
    boundary_value: float = _m(0.0, min=0.0, max=1e9, doc="Dirichlet value (field unit)")
    unit: str = _m("pM", choices=("pM", "nM", "uM"), doc="concentration unit")


@dataclass
class RuleSection:
    cell_type: str = _m(doc="cell type the rule acts in")
    signal: str = _m(doc="field:<F>, contact:<TYPE> or time_in_state")
    direction: str = _m(choices=("increases", "decreases"))
    behaviour: str = _m(doc="behaviour name (see biology/celltypes.py)")
    saturation: float = _m(min=0.0, max=1e12, doc="behaviour value at full response")
    half_max: float = _m(gt=0.0, max=1e12, doc="signal level of half response (signal unit)")
    hill_power: float = _m(1.0, gt=0.0, max=100.0)
    state: str = _m("*", doc="state the rule acts in ('*' = every state of the type)")
    responds_to: str = _m("high", choices=("high", "low"),
                          doc="high: (s/K)^n response to a high signal; low: (K/s)^n, full when the signal is absent")
    enabled: bool = _m(True, doc="switch the rule off without deleting it")
    source: str = _m("", doc="citation")


@dataclass
class InfusionSection:
    at_min: float = _m(min=0.0, max=1e9, unit="min", doc="time of the infusion")
    count: int = _m(min=1, max=10**9, doc="cells added")
    cell_type: str = _m("MSC", choices=tuple(CELL_TYPES), doc="cell type infused")
    state: str = _m("", doc="state of the infused cells (default: the type's first state)")
    placement: str = _m("uniform", choices=("uniform", "centre"), doc="where they land")


@dataclass
class DoseSection:
    at_min: float = _m(min=0.0, max=1e9, unit="min", doc="time of the dose")
    field: str = _m(choices=tuple(FIELDS), doc="field dosed (e.g. EV for an MSC-EV infusion)")
    level: float = _m(gt=0.0, max=1e9, doc="level added (field unit), over the whole domain or its centre")
    placement: str = _m("uniform", choices=("uniform", "centre"),
                        doc="uniform: everywhere; centre: a disc of radius 10% of the domain (local injection)")


@dataclass
class InterventionSection:
    knockout: list[str] = field(default_factory=list, metadata={
        "value_meta": {"choices": tuple(MSC_FACTORS)}, "doc": "MSC factors knocked out (biology/interventions.py)"})
    block: list[str] = field(default_factory=list, metadata={
        "value_meta": {"choices": tuple(BLOCKERS)}, "doc": "drugs/antibodies blocking an MSC factor"})
    neutralise_per_min: dict[str, float] = field(default_factory=dict, metadata={
        "keys": tuple(FIELDS), "value_meta": {"min": 0.0, "max": 1e3},
        "doc": "neutralising antibody: extra first-order removal of a field (1/min)"})
    supplement: dict[str, float] = field(default_factory=dict, metadata={
        "keys": tuple(FIELDS), "value_meta": {"min": 0.0, "max": 1e9},
        "doc": "added to a field's initial level (field unit)"})
    prelicense: str = _m("none", choices=tuple(PRELICENSE), doc="MSC pre-treatment before seeding")
    transwell: bool = _m(False, doc="MSCs share the fields but touch no other cell")
    deplete: list[str] = field(default_factory=list, metadata={
        "value_meta": {"choices": tuple(CELL_TYPES)}, "doc": "cell types removed before the start"})
    immunosuppressant: float = _m(0.0, min=0.0, max=1.0, doc="steroid-like damping of activation and cytokines")
    immunosuppressant_start_min: float = _m(0.0, min=0.0, max=1e9, unit="min",
                                            doc="time the immunosuppressant starts acting (0: from the start; "
                                                "mscabm/disease.py)")
    infusions: list[InfusionSection] = field(default_factory=list, metadata={"doc": "cells added during the run"})
    delivery_scale: float = _m(1.0, min=0.0, max=100.0,
                               doc="multiplies every infusion's count (rounded) and every dose's level: the "
                                   "patient-level share of a nominal dose that reaches the lesion (homing, lung "
                                   "trapping; varied per patient in the disease cohorts, docs/scenarios.md)")
    doses: list[DoseSection] = field(default_factory=list, metadata={
        "doc": "field doses during the run: MSC-EV infusions, cytokine boluses"})


@dataclass
class InfluxSection:
    """Cells of one type entering the domain (mscabm/disease.py): rate x (1 + (max_fold - 1) H(field))."""

    rate_per_min: float = _m(0.0, min=0.0, max=1e6, unit="cells/min", doc="influx without inflammation")
    max_fold: float = _m(1.0, min=1.0, max=1e4, doc="rate multiplier at full inflammation")
    field: str = _m("", doc="field whose domain-mean level raises the rate ('' = constant rate)")
    half_max: float = _m(1.0, gt=0.0, max=1e12, doc="domain-mean level of half the extra rate (field unit)")
    hill_power: float = _m(1.0, gt=0.0, max=100.0)
    state: str = _m("", doc="state of the new cells (default: the type's first state)")
    placement: str = _m("edges", choices=("edges", "uniform"), doc="edges: enter at the domain boundary")


@dataclass
class DiseaseSection:
    """Disease activity index readouts (mscabm/disease.py, docs/scenarios.md)."""

    enabled: bool = _m(False, doc="record disease_activity, disease_damage_frac, disease_inflammation")
    damage_weight: float = _m(0.5, min=0.0, max=1.0, doc="weight of tissue damage (the rest: inflammation)")
    inflammation: dict[str, float] = field(default_factory=dict, metadata={
        "keys": tuple(FIELDS), "value_meta": {"gt": 0.0, "max": 1e12},
        "doc": "field -> reference level K: inflammation = mean of c / (c + K) over these fields"})
    clinical_index: str = _m("", doc="the clinical index this is a trend proxy of (documentation only)")


@dataclass
class Config:
    model: ModelSection = field(default_factory=ModelSection)
    domain: DomainSection = field(default_factory=DomainSection)
    output: OutputSection = field(default_factory=OutputSection)
    cells: dict[str, CellSection] = field(default_factory=dict, metadata={"keys": tuple(CELL_TYPES)})
    fields: dict[str, FieldSection] = field(default_factory=dict, metadata={"keys": tuple(FIELDS)})
    behaviours: dict[str, dict[str, dict[str, float]]] = field(
        default_factory=dict,
        metadata={"keys": tuple(CELL_TYPES), "value_meta": {"value_meta": {"value_meta": {"min": 0.0, "max": 1e12}}}})
    rules: dict[str, RuleSection] = field(default_factory=dict)
    interventions: InterventionSection = field(default_factory=InterventionSection)
    influx: dict[str, InfluxSection] = field(default_factory=dict, metadata={
        "keys": tuple(CELL_TYPES), "doc": "immune-cell influx by type (disease scenarios)"})
    disease: DiseaseSection = field(default_factory=DiseaseSection)

    # ------------------------------------------------------------------ derived
    @property
    def lattice_shape(self) -> tuple[int, int]:
        """(ny, nx): number of voxels covering the domain."""
        d = self.domain
        return (max(1, math.ceil(d.height_um / d.voxel_um - 1e-9)), max(1, math.ceil(d.width_um / d.voxel_um - 1e-9)))

    def to_dict(self) -> dict[str, Any]:
        return to_dict(self)

    def to_toml(self) -> str:
        return tomli_w.dumps(self.to_dict())

    def save(self, path: str | Path) -> None:
        from mscabm.observe.io import atomic_write_text

        atomic_write_text(Path(path), self.to_toml())

    # ------------------------------------------------------------------ checks
    def check(self) -> Config:
        """Cross-field checks that single-value ranges cannot express. Returns self."""
        if not _NAME_RE.fullmatch(self.model.name):
            raise ConfigError("model.name", f"{self.model.name!r} cannot name an output folder; allowed: 1-64 "
                              "characters from letters, digits, '.', '_' and '-', starting with a letter or digit")
        d = self.domain
        if d.voxel_um > min(d.width_um, d.height_um):
            raise ConfigError("domain.voxel_um", f"{d.voxel_um} is larger than the domain "
                              f"({d.width_um} x {d.height_um} um); allowed: <= {min(d.width_um, d.height_um)}")
        ny, nx = self.lattice_shape
        if ny * nx > 64_000_000:
            raise ConfigError("domain.voxel_um", f"lattice of {nx} x {ny} voxels is too large; allowed: <= 6.4e7 voxels")
        area = d.width_um * d.height_um
        occupied = 0.0
        total = 0
        for name, c in self.cells.items():
            spec = CELL_TYPES[name]
            if c.initial_state and c.initial_state not in spec.states:
                raise ConfigError(f"cells.{name}.initial_state",
                                  f"{c.initial_state!r} is not a state of {name}; allowed: {', '.join(spec.states)}")
            if c.chemotaxis_field and c.chemotaxis_field not in self.fields:
                raise ConfigError(f"cells.{name}.chemotaxis_field",
                                  f"unknown field {c.chemotaxis_field!r}; allowed: '', {', '.join(self.fields)}")
            for st, frac in c.state_fractions.items():
                if st not in spec.states:
                    raise ConfigError(f"cells.{name}.state_fractions.{st}",
                                      f"{st!r} is not a state of {name}; allowed: {', '.join(spec.states)}")
            if sum(c.state_fractions.values()) > 1.0 + 1e-9:
                raise ConfigError(f"cells.{name}.state_fractions",
                                  f"fractions sum to {sum(c.state_fractions.values()):.4g}; allowed: <= 1")
            occupied += c.count * math.pi * c.radius_um**2
            total += c.count
        if occupied > 0.9069 * area:  # hexagonal close packing
            raise ConfigError("cells", f"the initial cells cover {occupied:.4g} um^2 but the domain holds at most "
                              f"{0.9069 * area:.4g} um^2 of packed discs; allowed: fewer or smaller cells, or a larger domain")
        if total > self.model.max_cells:
            raise ConfigError("model.max_cells", f"{self.model.max_cells} is below the {total} initial cells; "
                              f"allowed: >= {total}")
        beh = set(behaviour_names(tuple(self.fields)))
        for tname, states in self.behaviours.items():
            for sname, values in states.items():
                if sname not in CELL_TYPES[tname].states:
                    raise ConfigError(f"behaviours.{tname}.{sname}",
                                      f"unknown state; allowed: {', '.join(CELL_TYPES[tname].states)}")
                for bname in values:
                    if bname not in beh:
                        raise ConfigError(f"behaviours.{tname}.{sname}.{bname}",
                                          f"unknown behaviour; allowed: {', '.join(sorted(beh))}")
                    if bname in FRACTION_BEHAVIOURS and values[bname] > 1.0:
                        raise ConfigError(f"behaviours.{tname}.{sname}.{bname}", "allowed: 0..1")
        self._check_step_vs_motion()
        for k, inf in enumerate(self.interventions.infusions):
            states = CELL_TYPES[inf.cell_type].states
            if inf.state and inf.state not in states:
                raise ConfigError(f"interventions.infusions[{k}].state",
                                  f"{inf.state!r} is not a state of {inf.cell_type}; allowed: {', '.join(states)}")
            if inf.cell_type not in self.cells:
                raise ConfigError(f"interventions.infusions[{k}].cell_type", f"no [cells.{inf.cell_type}] section")
        for k, dose in enumerate(self.interventions.doses):
            if dose.field not in self.fields:
                raise ConfigError(f"interventions.doses[{k}].field", f"no [fields.{dose.field}] section")
        for tname, inf in self.influx.items():
            if tname not in self.cells:
                raise ConfigError(f"influx.{tname}", f"no [cells.{tname}] section")
            if inf.state and inf.state not in CELL_TYPES[tname].states:
                raise ConfigError(f"influx.{tname}.state", f"{inf.state!r} is not a state of {tname}; allowed: "
                                  f"{', '.join(CELL_TYPES[tname].states)}")
            if inf.field and inf.field not in self.fields:
                raise ConfigError(f"influx.{tname}.field", f"unknown field {inf.field!r}; allowed: '', "
                                  f"{', '.join(self.fields)}")
        for f, fc in self.fields.items():
            if fc.supply_per_min > 0 and fc.boundary == "dirichlet":
                raise ConfigError(f"fields.{f}.supply_per_min", "a uniform supply needs boundary 'zero_flux' or "
                                  "'periodic'; with 'dirichlet', supply the field through boundary_value")
        for f in self.disease.inflammation:
            if f not in self.fields:
                raise ConfigError(f"disease.inflammation.{f}", f"no [fields.{f}] section")
        sigs = set(signal_names(tuple(self.fields)))
        sat_by_run: dict[tuple, tuple[str, float]] = {}
        for rname, r in self.rules.items():
            p = f"rules.{rname}"
            if r.cell_type not in CELL_TYPES:
                raise ConfigError(f"{p}.cell_type", f"unknown cell type; allowed: {', '.join(CELL_TYPES)}")
            states = CELL_TYPES[r.cell_type].states
            if r.state != "*" and r.state not in states:
                raise ConfigError(f"{p}.state", f"{r.state!r} is not a state of {r.cell_type}; allowed: *, {', '.join(states)}")
            if r.signal not in sigs:
                raise ConfigError(f"{p}.signal", f"unknown signal; allowed: {', '.join(sorted(sigs))}")
            if r.behaviour not in beh:
                raise ConfigError(f"{p}.behaviour", f"unknown behaviour; allowed: {', '.join(sorted(beh))}")
            if not r.enabled:
                continue
            for s in (states if r.state == "*" else (r.state,)):
                key = (r.cell_type, s, r.behaviour, r.direction)
                if key in sat_by_run and sat_by_run[key][1] != r.saturation:
                    other = sat_by_run[key][0]
                    raise ConfigError(f"{p}.saturation", f"{r.saturation} differs from rule {other!r} "
                                      f"({sat_by_run[key][1]}), which {r.direction} the same behaviour of "
                                      f"{r.cell_type} {s}; allowed: {sat_by_run[key][1]}")
                sat_by_run[key] = (rname, r.saturation)
        return self


    def _check_step_vs_motion(self) -> None:
        """A migrating cell may move at most one diameter per step, or contacts are jumped over."""
        worst = None
        for tname, states in self.behaviours.items():
            cell = self.cells.get(tname)
            if cell is None or cell.adherent:
                continue
            speeds = [v.get("speed_um_per_min", 0.0) for v in states.values()]
            speeds += [r.saturation for r in self.rules.values()
                       if r.enabled and r.cell_type == tname and r.behaviour == "speed_um_per_min"]
            vmax = max(speeds, default=0.0)
            if vmax > 0:
                limit = 2.0 * cell.radius_um / vmax
                if worst is None or limit < worst[0]:
                    worst = (limit, tname, vmax, cell.radius_um)
        if worst and self.model.dt_min > worst[0] * (1 + 1e-12):
            limit, tname, vmax, r = worst
            raise ConfigError("model.dt_min", f"{self.model.dt_min} min lets {tname} cells ({vmax} um/min, radius {r} um) "
                              f"move more than one diameter per step; allowed: <= {limit:.4g} min")


_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


# ---------------------------------------------------------------------------- defaults
#: M: a PBMC-like well-bottom mix (~45% CD4, ~18% CD8, ~9% B, ~7% NK, ~7% monocyte/macrophage of
#: mononuclear cells, textbook proportions), mature allogeneic DCs as the MLR stimulus, MSC:responder ~1:30
_DEFAULT_COUNTS = {"MSC": 100, "T": 2000, "CD8": 800, "B": 400, "NK": 300, "DC": 60, "MAC": 300, "TISSUE": 0}
#: M: ~5-10% of blood CD4 T cells are FoxP3+ Tregs (textbook)
_DEFAULT_STATE_FRACTIONS = {"T": {"Treg": 0.07}}
_DEFAULT_INITIAL_STATE = {"DC": "mature"}  # antigen-presenting DCs drive the response (MLR-like stimulus, M)


def default_config_dict() -> dict[str, Any]:
    """The complete built-in default as plain data (biology tables -> config)."""
    cells = {}
    for name, spec in CELL_TYPES.items():
        cells[name] = dict(count=_DEFAULT_COUNTS.get(name, 0), initial_state=_DEFAULT_INITIAL_STATE.get(name, spec.states[0]),
                           placement="uniform", radius_um=spec.radius_um, apoptosis_min=spec.apoptosis_min,
                           adherent=spec.adherent, chemotaxis_field=spec.chemotaxis_field,
                           state_fractions=dict(_DEFAULT_STATE_FRACTIONS.get(name, {})))
    fields = {name: dict(diffusion_um2_per_min=f.diffusion_um2_per_min, decay_per_min=f.decay_per_min,
                         initial=f.initial, supply_per_min=0.0, boundary="zero_flux", boundary_value=0.0,
                         unit=f.unit)
              for name, f in FIELDS.items()}
    behaviours = {t: {s: {b: v for b, (v, _src) in vals.items()} for s, vals in states.items()}
                  for t, states in BASE_BEHAVIOURS.items()}
    rules = {k: dict(v) for k, v in DEFAULT_RULES.items()}
    return {"model": to_dict(ModelSection()), "domain": to_dict(DomainSection()), "output": to_dict(OutputSection()),
            "cells": cells, "fields": fields, "behaviours": behaviours, "rules": rules,
            "interventions": to_dict(InterventionSection())}


def merge(base: dict, override: dict) -> dict:
    """Deep-merge ``override`` into a copy of ``base`` (tables merge, other values replace)."""
    out = copy.deepcopy(base)
    for k, v in override.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def parse_value(text: str) -> Any:
    """A --set value: TOML syntax (numbers, true/false, "strings", [lists]); bare words are strings."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def set_path(data: dict, dotted: str, value: Any) -> dict:
    """Set ``data[a][b][c] = value`` for ``dotted = "a.b.c"`` (plain config data, in place)."""
    keys = dotted.strip().split(".")
    if not keys or any(not k for k in keys):
        raise ConfigError("--set", f"bad key path {dotted!r}")
    node = data
    for i, k in enumerate(keys[:-1]):
        nxt = node.get(k)
        if nxt is None:
            nxt = node[k] = {}
        if not isinstance(nxt, dict):
            raise ConfigError(".".join(keys[: i + 1]), "is a value, not a table")
        node = nxt
    node[keys[-1]] = copy.deepcopy(value)
    return data


def apply_override(data: dict, assignment: str) -> dict:
    """Apply one ``section.key=value`` assignment (value in TOML syntax) to plain config data."""
    if "=" not in assignment:
        raise ConfigError("--set", f"expected section.key=value, got {assignment!r}")
    path, _, raw = assignment.partition("=")
    return set_path(data, path, parse_value(raw.strip()))


def build_config(data: dict) -> Config:
    """Validate plain data (already merged onto the default) into a checked :class:`Config`."""
    return parse(Config, data).check()


def read_toml(path: str | Path) -> dict:
    p = Path(path)
    if not p.is_file():
        raise ConfigError(str(path), "config file not found")
    try:
        return tomllib.loads(p.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), f"not valid TOML: {exc}") from None


def resolve_path(name_or_path: str | Path) -> Path:
    """A config path, or the name of a built-in preset (e.g. 'coculture')."""
    p = Path(name_or_path)
    if p.is_file():
        return p
    preset = PRESET_DIR / f"{name_or_path}.toml"
    if preset.is_file():
        return preset
    return p


def load_config(path: str | Path | None = None, overrides: list[str] | tuple[str, ...] = (),
                values: dict[str, Any] | None = None) -> Config:
    """Built-in default <- file (or preset name) <- ``--set`` strings <- ``values`` (dotted key -> value)."""
    data = default_config_dict()
    if path is not None:
        data = merge(data, read_toml(resolve_path(path)))
    for assignment in overrides:
        apply_override(data, assignment)
    for dotted, value in (values or {}).items():
        set_path(data, dotted, value)
    return build_config(data)
