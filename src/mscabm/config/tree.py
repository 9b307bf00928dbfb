"""The root of the configuration tree: :class:`Config`, its declared vocabulary and its checks.

:meth:`Config.check` runs the cross-field checks that single-value ranges cannot express
(names declared before use, states of the right type, cells that fit in the domain, a step
short enough for the fastest cell) and raises :class:`~mscabm.schema.ConfigError` with the
key path and the allowed range.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from mscabm.biology.interventions import GENE_MODIFICATIONS, GENE_MODIFIED_TYPE, PRETREATMENTS, delivered_count
from mscabm.config.sections import (
    CellSection,
    DiseaseSection,
    DomainSection,
    EnzymeSection,
    FieldSection,
    InfluxSection,
    InterventionSection,
    ModelSection,
    OutputSection,
    RuleSection,
    TranswellSection,
)
from mscabm.engine.population import CORE_COLUMNS
from mscabm.schema import ConfigError, to_dict
from mscabm.vocabulary import (
    CONTACT_LEVEL_SIGNAL,
    FRACTION_BEHAVIOURS,
    RESERVED_TYPE_NAMES,
    STATE_SWITCH_BEHAVIOUR,
    TYPE_SWITCH_BEHAVIOUR,
    VARIABLE_BEHAVIOUR,
    VARIABLE_NAME_RE,
    VARIABLE_SIGNAL,
    behaviour_names,
    check_name,
    name_in,
    signal_names,
)

__all__ = ["Config"]

_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
#: most states one cell type may declare (the contact and transition tables grow with it)
_MAX_STATES = 32
#: names a per-cell variable may not take: they are population columns already
_CELL_COLUMNS = (*CORE_COLUMNS, "apoptotic")


def _short(value: object, limit: int = 60) -> str:
    """A user's value cut to ``limit`` characters for an error message."""
    text = str(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


@dataclass
class Config:
    model: ModelSection = field(default_factory=ModelSection)
    domain: DomainSection = field(default_factory=DomainSection)
    output: OutputSection = field(default_factory=OutputSection)
    cells: dict[str, CellSection] = field(default_factory=dict, metadata={
        "doc": "cell types: the built-in ones (biology/celltypes.py) and any declared with their states"})
    fields: dict[str, FieldSection] = field(default_factory=dict, metadata={
        "doc": "fields: the built-in ones (biology/fields.py) and any declared with unit, diffusion and decay"})
    behaviours: dict[str, dict[str, dict[str, float]]] = field(
        default_factory=dict,
        metadata={"value_meta": {"value_meta": {"value_meta": {"min": 0.0, "max": 1e12}}}})
    enzymes: dict[str, EnzymeSection] = field(default_factory=dict, metadata={
        "doc": "Michaelis-Menten enzymes: substrate field -> product field (biology/enzymes.py)"})
    rules: dict[str, RuleSection] = field(default_factory=dict)
    interventions: InterventionSection = field(default_factory=InterventionSection)
    influx: dict[str, InfluxSection] = field(default_factory=dict, metadata={
        "doc": "immune-cell influx by type (disease scenarios)"})
    disease: DiseaseSection = field(default_factory=DiseaseSection)
    transwell: TranswellSection = field(default_factory=TranswellSection)

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

    # ------------------------------------------------------------------ vocabulary
    def states_of(self, cell_type: str) -> tuple[str, ...]:
        """The declared states of a cell type (its ``[cells.<TYPE>] states``)."""
        return tuple(self.cells[cell_type].states)

    def states_by_type(self) -> dict[str, tuple[str, ...]]:
        """Cell type -> its states, in declaration order (built-in types first)."""
        return {name: tuple(c.states) for name, c in self.cells.items()}

    def variable_names(self) -> list[str]:
        """Every per-cell variable declared by any cell type, each once, in declaration order."""
        names: list[str] = []
        for c in self.cells.values():
            names += [v for v in c.variables if v not in names]
        return names

    def behaviour_names(self) -> list[str]:
        """Every behaviour name of this config's vocabulary, in column order (mscabm/vocabulary.py)."""
        return behaviour_names(tuple(self.fields), self.states_by_type(), self.variable_names(), tuple(self.enzymes))

    def signal_names(self) -> list[str]:
        """Every signal name of this config's vocabulary, in column order (mscabm/vocabulary.py)."""
        return signal_names(tuple(self.fields), self.states_by_type(), self.variable_names(),
                            {name: tuple(c.variables) for name, c in self.cells.items()})

    # ------------------------------------------------------------------ checks
    def check(self) -> Config:
        """Cross-field checks that single-value ranges cannot express. Returns self."""
        if not _NAME_RE.fullmatch(self.model.name):
            raise ConfigError("model.name", f"{_short(self.model.name)!r} cannot name an output folder; allowed: 1-64 "
                              "characters from letters, digits, '.', '_' and '-', starting with a letter or digit")
        self._check_vocabulary()
        d = self.domain
        if d.voxel_um > min(d.width_um, d.height_um):
            raise ConfigError("domain.voxel_um", f"{d.voxel_um} is larger than the domain "
                              f"({d.width_um} x {d.height_um} um); allowed: <= {min(d.width_um, d.height_um)}")
        ny, nx = self.lattice_shape
        if ny * nx > 64_000_000:
            raise ConfigError("domain.voxel_um",
                              f"lattice of {nx} x {ny} voxels is too large; allowed: <= 6.4e7 voxels")
        area = d.width_um * d.height_um
        occupied = 0.0
        total = 0
        for name, c in self.cells.items():
            states = c.states
            if c.initial_state and c.initial_state not in states:
                raise ConfigError(f"cells.{name}.initial_state",
                                  f"{c.initial_state!r} is not a state of {name}; allowed: {', '.join(states)}")
            if c.chemotaxis_field and c.chemotaxis_field not in self.fields:
                raise ConfigError(f"cells.{name}.chemotaxis_field",
                                  f"unknown field {c.chemotaxis_field!r}; allowed: '', {', '.join(self.fields)}")
            for st, _frac in c.state_fractions.items():
                if st not in states:
                    raise ConfigError(f"cells.{name}.state_fractions.{st}",
                                      f"{st!r} is not a state of {name}; allowed: {', '.join(states)}")
            if sum(c.state_fractions.values()) > 1.0 + 1e-9:
                raise ConfigError(f"cells.{name}.state_fractions",
                                  f"fractions sum to {sum(c.state_fractions.values()):.4g}; allowed: <= 1")
            occupied += c.count * math.pi * c.radius_um**2
            total += c.count
        if occupied > 0.9069 * area:  # hexagonal close packing
            raise ConfigError("cells", f"the initial cells cover {occupied:.4g} um^2 but the domain holds at most "
                              f"{0.9069 * area:.4g} um^2 of packed discs; allowed: fewer or smaller cells, "
                              "or a larger domain")
        if total > self.model.max_cells:
            raise ConfigError("model.max_cells", f"{self.model.max_cells} is below the {total} initial cells; "
                              f"allowed: >= {total}")
        beh = set(self.behaviour_names())
        for tname, by_state in self.behaviours.items():
            if tname not in self.cells:
                raise ConfigError(f"behaviours.{tname}", f"unknown cell type; allowed: {', '.join(self.cells)}")
            for sname, values in by_state.items():
                if sname not in self.cells[tname].states:
                    raise ConfigError(f"behaviours.{tname}.{sname}",
                                      f"unknown state; allowed: {', '.join(self.cells[tname].states)}")
                for bname in values:
                    if bname not in beh:
                        raise ConfigError(f"behaviours.{tname}.{sname}.{bname}",
                                          f"unknown behaviour {_short(bname)!r}; allowed: {', '.join(sorted(beh))}")
                    self._check_behaviour_of(tname, bname, f"behaviours.{tname}.{sname}.{bname}")
                    if bname in FRACTION_BEHAVIOURS and values[bname] > 1.0:
                        raise ConfigError(f"behaviours.{tname}.{sname}.{bname}", "allowed: 0..1")
        for name, c in self.cells.items():
            counted: dict[str, str] = {}  # field -> the variable of this type that counts its uptake
            for v, var in c.variables.items():
                if var.takes_up:
                    if var.takes_up not in self.fields:
                        raise ConfigError(f"cells.{name}.variables.{v}.takes_up",
                                          f"unknown field {_short(var.takes_up)!r}; allowed: '' or a declared field "
                                          f"({', '.join(self.fields)})")
                    if var.takes_up in counted:
                        raise ConfigError(f"cells.{name}.variables.{v}.takes_up",
                                          f"{counted[var.takes_up]!r} already counts the uptake of {var.takes_up!r} "
                                          "(each amount taken up is counted once); allowed: '' or another field")
                    counted[var.takes_up] = v
                for k, bname in enumerate(var.scales):
                    if bname not in beh:
                        raise ConfigError(f"cells.{name}.variables.{v}.scales[{k}]",
                                          f"unknown behaviour {_short(bname)!r}; allowed: {', '.join(sorted(beh))}")
        self._check_step_vs_motion()
        self._check_interventions()
        for tname, inf in self.influx.items():
            if tname not in self.cells:
                raise ConfigError(f"influx.{tname}", f"no [cells.{tname}] section; allowed: {', '.join(self.cells)}")
            if inf.state and inf.state not in self.cells[tname].states:
                raise ConfigError(f"influx.{tname}.state", f"{inf.state!r} is not a state of {tname}; allowed: "
                                  f"{', '.join(self.cells[tname].states)}")
            if inf.field and inf.field not in self.fields:
                raise ConfigError(f"influx.{tname}.field", f"unknown field {inf.field!r}; allowed: '', "
                                  f"{', '.join(self.fields)}")
        for f, fc in self.fields.items():
            if fc.supply_per_min > 0 and fc.boundary == "dirichlet":
                raise ConfigError(f"fields.{f}.supply_per_min", "a uniform supply needs boundary 'zero_flux' or "
                                  "'periodic'; with 'dirichlet', supply the field through boundary_value")
        if self.disease.enabled:
            tissue = self.disease.tissue_type
            if tissue not in self.cells:
                raise ConfigError("disease.tissue_type", f"no [cells.{_short(tissue)}] section; allowed: "
                                  f"{', '.join(self.cells)}")
            if self.disease.healthy_state not in self.cells[tissue].states:
                raise ConfigError("disease.healthy_state", f"{_short(self.disease.healthy_state)!r} is not a state "
                                  f"of {tissue}; allowed: {', '.join(self.cells[tissue].states)}")
        for f in self.disease.inflammation:
            if f not in self.fields:
                raise ConfigError(f"disease.inflammation.{f}",
                                  f"no [fields.{f}] section; allowed: {', '.join(self.fields)}")
        self._check_rules(beh)
        return self

    def _check_behaviour_of(self, tname: str, bname: str, path: str) -> None:
        """A state switch or a variable's production must belong to the cell type it is set for: a switch to
        a state the type lacks, or the production of another type's variable, would silently do nothing."""
        cell = self.cells[tname]
        state = name_in(STATE_SWITCH_BEHAVIOUR, bname)
        if state is not None and state not in cell.states:
            raise ConfigError(path, f"{tname} has no state {state!r}; allowed switches: "
                              f"{', '.join(STATE_SWITCH_BEHAVIOUR.format(s) for s in cell.states)}")
        if name_in(TYPE_SWITCH_BEHAVIOUR, bname) == tname:
            raise ConfigError(path, f"a {tname} cell cannot become a {tname} cell; allowed: become_<TYPE>_per_min for "
                              f"another type ({', '.join(t for t in self.cells if t != tname)})")
        var = name_in(VARIABLE_BEHAVIOUR, bname)
        if var is not None and var not in cell.variables:
            own = ", ".join(VARIABLE_BEHAVIOUR.format(v) for v in cell.variables)
            raise ConfigError(path, f"{tname} declares no variable {var!r}; allowed: {own or 'none declared'}")

    def _check_vocabulary(self) -> None:
        """Declared names: well formed, no clash with the signal words, every type with its states."""
        for name, c in self.cells.items():
            why = check_name(name, "cell type")
            if why or name in RESERVED_TYPE_NAMES:
                raise ConfigError(f"cells.{_short(name)}", why or f"{name!r} is a signal word "
                                  f"(contact:{name}); allowed: any other name")
            if not c.states:
                raise ConfigError(f"cells.{name}.states", f"a new cell type needs its states, e.g. states = "
                                  f"[\"resting\", \"activated\"]; allowed: a list of 1-{_MAX_STATES} names")
            if len(c.states) > _MAX_STATES:
                raise ConfigError(f"cells.{name}.states", f"{len(c.states)} states; allowed: 1-{_MAX_STATES}")
            for k, st in enumerate(c.states):
                why = check_name(st, "state")
                if why:
                    raise ConfigError(f"cells.{name}.states[{k}]", why)
            if len(set(c.states)) != len(c.states):
                raise ConfigError(f"cells.{name}.states", "a state is listed twice; allowed: distinct names")
            for v in c.variables:
                why = check_name(v, "per-cell variable", VARIABLE_NAME_RE)
                if why:
                    raise ConfigError(f"cells.{name}.variables.{_short(v)}", why)
                if v in self.fields or v in _CELL_COLUMNS:
                    raise ConfigError(f"cells.{name}.variables.{v}", f"{v!r} is already a "
                                      f"{'field' if v in self.fields else 'cell column'}; allowed: another name")
        for name in self.fields:
            why = check_name(name, "field")
            if why:
                raise ConfigError(f"fields.{_short(name)}", why)
        for name, e in self.enzymes.items():
            why = check_name(name, "enzyme")
            if why:
                raise ConfigError(f"enzymes.{_short(name)}", why)
            for key in ("substrate", "product"):
                if getattr(e, key) not in self.fields:
                    raise ConfigError(f"enzymes.{name}.{key}", f"unknown field {_short(getattr(e, key))!r}; "
                                      f"allowed: {', '.join(self.fields)}")
            if e.substrate == e.product:
                raise ConfigError(f"enzymes.{name}.product", f"{e.product!r} is also the substrate; allowed: "
                                  "another field")

    def _check_interventions(self) -> None:
        iv = self.interventions
        missing = [f for f in PRETREATMENTS[iv.prelicense]["signals"] if f not in self.fields]
        if missing:
            raise ConfigError("interventions.prelicense", f"protocol {iv.prelicense!r} needs the field(s) "
                              f"{', '.join(missing)}; allowed: a protocol whose fields are declared, or declare them")
        for k, inf in enumerate(iv.infusions):
            if inf.cell_type not in self.cells:
                raise ConfigError(f"interventions.infusions[{k}].cell_type",
                                  f"no [cells.{_short(inf.cell_type)}] section; allowed: {', '.join(self.cells)}")
            states = self.cells[inf.cell_type].states
            if inf.state and inf.state not in states:
                raise ConfigError(f"interventions.infusions[{k}].state",
                                  f"{inf.state!r} is not a state of {inf.cell_type}; allowed: {', '.join(states)}")
        for k, dose in enumerate(iv.doses):
            if dose.field not in self.fields:
                raise ConfigError(f"interventions.doses[{k}].field", f"no [fields.{_short(dose.field)}] section; "
                                  f"allowed: {', '.join(self.fields)}")
        tw = self.transwell
        for k, name in enumerate(tw.insert_types):
            if name not in self.cells:
                raise ConfigError(f"transwell.insert_types[{k}]", f"{_short(name)!r} is not a cell type; allowed: "
                                  f"{', '.join(self.cells)}")
        if iv.transwell and tw.membrane_height_um <= self.domain.thickness_um:
            raise ConfigError("transwell.membrane_height_um", f"{tw.membrane_height_um} um is not above the well's "
                              f"cell layer (domain.thickness_um = {self.domain.thickness_um}); allowed: > "
                              f"{self.domain.thickness_um}")
        for k, name in enumerate(iv.deplete):
            if name not in self.cells:
                raise ConfigError(f"interventions.deplete[{k}]", f"{_short(name)!r} is not allowed; allowed: one of "
                                  f"{', '.join(self.cells)}")
        for factor, level in iv.overexpress.items():  # names and ranges: the schema (InterventionSection)
            self._check_transgene(factor, level)
        for key in ("neutralise_per_min", "supplement"):
            for f in getattr(iv, key):
                if f not in self.fields:
                    raise ConfigError(f"interventions.{key}.{_short(f)}",
                                      f"unknown name; allowed: {', '.join(self.fields)}")

    def _check_transgene(self, factor: str, level: float) -> None:
        """A transgene needs its cell type, its expression level and an output that level acts on (else it would
        silently do nothing: iNOS in human MSCs, whose NO export is 0), and a homing factor must keep the
        infusions within ``model.max_cells``."""
        p = f"interventions.overexpress.{factor}"
        gm, t = GENE_MODIFICATIONS[factor], GENE_MODIFIED_TYPE
        if t not in self.cells:
            raise ConfigError(p, f"no [cells.{t}] to modify; allowed: a config with {t} cells")
        if "variable" in gm:
            var = gm["variable"]
            decl = self.cells[t].variables.get(var)
            if decl is None:
                raise ConfigError(p, f"{t} cells carry no {var} expression level; allowed: a config declaring "
                                  f"[cells.{t}.variables.{var}]")
            beh = self.behaviours.get(t, {})
            acts = any(beh.get(state, {}).get(b, 0.0) > 0 for state in beh for b in decl.scales) or any(
                r.enabled and r.cell_type == t and r.behaviour in decl.scales and r.saturation > 0
                for r in self.rules.values()) or any(
                r.enabled and r.signal == CONTACT_LEVEL_SIGNAL.format(t, var) for r in self.rules.values())
            if level > 0 and not acts:
                raise ConfigError(p, f"the {var} level acts on no output of {t} cells in this config (the outputs "
                                  f"it scales, {', '.join(decl.scales) or 'none'}, are 0 and no enabled rule reads "
                                  f"it on contact), so the transgene would do nothing; allowed: 0, or a config "
                                  "where the factor has an output (e.g. iNOS: the mouse preset)")
        if "export" in gm and gm["export"][0] not in self.behaviour_names():
            raise ConfigError(p, f"no field for {gm['export'][0]}; allowed: declare its [fields] section")
        if gm.get("homing"):
            k = self.interventions.delivery_scale
            for j, inf in enumerate(self.interventions.infusions):
                n = delivered_count(inf.count, inf.cell_type, k, self.interventions.overexpress)
                if n > self.model.max_cells:
                    raise ConfigError(p, f"interventions.infusions[{j}] would deliver {n} cells, above "
                                      f"model.max_cells = {self.model.max_cells}; allowed: a smaller level or dose")

    def _check_rules(self, beh: set[str]) -> None:
        sigs = set(self.signal_names())
        sat_by_run: dict[tuple, tuple[str, float]] = {}
        for rname, r in self.rules.items():
            p = f"rules.{rname}"
            if r.cell_type not in self.cells:
                raise ConfigError(f"{p}.cell_type", f"unknown cell type; allowed: {', '.join(self.cells)}")
            states = self.cells[r.cell_type].states
            if r.state != "*" and r.state not in states:
                raise ConfigError(f"{p}.state",
                                  f"{r.state!r} is not a state of {r.cell_type}; allowed: *, {', '.join(states)}")
            if r.signal not in sigs:
                raise ConfigError(f"{p}.signal", f"unknown signal; allowed: {', '.join(sorted(sigs))}")
            if (r.signal.startswith(VARIABLE_SIGNAL.format(""))
                    and r.signal[4:] not in self.cells[r.cell_type].variables):
                raise ConfigError(f"{p}.signal", f"{r.cell_type} declares no variable {r.signal[4:]!r}; allowed: "
                                  f"{', '.join(self.cells[r.cell_type].variables) or 'none declared'}")
            if r.behaviour not in beh:
                raise ConfigError(f"{p}.behaviour",
                                  f"unknown behaviour {_short(r.behaviour)!r}; allowed: {', '.join(sorted(beh))}")
            self._check_behaviour_of(r.cell_type, r.behaviour, f"{p}.behaviour")
            if not r.enabled:
                continue
            for s in (states if r.state == "*" else (r.state,)):
                key = (r.cell_type, s, r.behaviour, r.direction, r.pathway)
                if key in sat_by_run and sat_by_run[key][1] != r.saturation:
                    other = sat_by_run[key][0]
                    on = f" on pathway {r.pathway!r}" if r.pathway else ""
                    raise ConfigError(f"{p}.saturation", f"{r.saturation} differs from rule {other!r} "
                                      f"({sat_by_run[key][1]}), which {r.direction} the same behaviour of "
                                      f"{r.cell_type} {s}{on}; allowed: {sat_by_run[key][1]} (or another pathway)")
                sat_by_run[key] = (rname, r.saturation)

    def _can_be_present(self, tname: str) -> bool:
        """Whether cells of this type can exist in a run of this config."""
        if self.cells[tname].count > 0 or any(inf.cell_type == tname for inf in self.interventions.infusions):
            return True
        inf = self.influx.get(tname)
        if inf is not None and inf.rate_per_min > 0:
            return True
        switch = TYPE_SWITCH_BEHAVIOUR.format(tname)
        return any(r.enabled and r.behaviour == switch for r in self.rules.values()) or any(
            switch in states for b in self.behaviours.values() for states in b.values())

    def _check_step_vs_motion(self) -> None:
        """A migrating cell may move at most one diameter per step, or contacts are jumped over (only types that
        can be present: seeded, entering by influx or infusion, or the target of a type switch)."""
        worst = None
        for tname, states in self.behaviours.items():
            cell = self.cells.get(tname)
            if cell is None or cell.adherent or not self._can_be_present(tname):
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
            raise ConfigError("model.dt_min",
                              f"{self.model.dt_min} min lets {tname} cells ({vmax} um/min, radius {r} um) "
                              f"move more than one diameter per step; allowed: <= {limit:.4g} min")
