"""Experiment specs (TOML): base config, design, replicates, readouts, matched controls.

A spec is validated before any run starts, like a config and by the same machinery
(:mod:`mscabm.schema`): the document's shape is the dataclass tree below (``SpecDocument``),
whose field metadata give each value's type, range, choices and doc, so unknown keys, wrong
types and out-of-range values raise :class:`~mscabm.schema.ConfigError` naming the key path
(e.g. ``design.factors[1].values[2]``) and the allowed range; checks across keys (a readout
named by a derived readout, a factor named by the report) follow in :func:`parse_spec`. Every
condition's config is then built and checked when the spec is planned
(:mod:`mscabm.experiments.plan`).

Document layout (see ``docs/experiments.md`` for the full reference)::

    [experiment]  name, description, master_seed, replicates, seeds, steps, record_every
    [base]        config (preset name or path), [base.set] dotted-key overrides
    [design]      kind = grid | conditions | morris | sobol, factors / conditions / parameters
    [control]     set (overrides on top of each condition), inherit (factor names)
    [readouts]    final = [...], [[readouts.derived]] name, kind, of / num / den, on_zero
    [report]      kind, x, hue, y, log_x, sensitivity_of (cohort reports: mscabm/experiments/cohort.py)
    [patients]    [[patients.vary]] per-patient draws, [[patients.sets]] explicit per-patient overrides
                  (mscabm/experiments/patients.py)
"""

from __future__ import annotations

import copy
import importlib.resources
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from mscabm.config import paths_overlap, read_toml
from mscabm.experiments.checks import KEY, NAME, Scalar, not_used, parse_set_table
from mscabm.experiments.parameters import Parameter, SampledParameterDoc, sampled_parameter
from mscabm.experiments.patients import PatientsDoc, patient_parameters, patient_sets
from mscabm.schema import ConfigError, join_path, option, parse

__all__ = ["Spec", "Level", "Factor", "Parameter", "Derived", "SpecDocument", "load_spec", "parse_spec",
           "DESIGN_KINDS", "DERIVED_KINDS", "RUN_DERIVED", "CONTROL_DERIVED", "REPORT_KINDS", "SPEC_DIR", "SPECS",
           "spec_names"]

DESIGN_KINDS = ("grid", "conditions", "morris", "sobol")
#: derived readouts computed inside the run (errors fail the run) ...
RUN_DERIVED = ("ratio", "difference", "sum", "max", "min", "mean")
#: ... and against the matched control when results are combined (NaN where undefined)
CONTROL_DERIVED = ("suppression", "fold_change")
DERIVED_KINDS = RUN_DERIVED + CONTROL_DERIVED
SEED_MODES = ("common", "independent")
REPORT_KINDS = ("auto", "dose_response", "bars", "tornado", "none", "cohort")
COHORT_REPORT_KEYS = ("activity", "baseline_min", "responder_drop_pct", "reference", "responder_vs_reference_pct",
                      "responder_below", "responder_label")
MAX_SEED = 2**63 - 1
#: the shipped specs, package data (``src/mscabm/experiments/specs/``), found in a wheel as in a checkout
SPECS = importlib.resources.files("mscabm.experiments") / "specs"
SPEC_DIR = Path(str(SPECS))


# ---------------------------------------------------------------------------- the document (schema)
@dataclass
class ExperimentDoc:
    name: str = option(**NAME, doc="default output folder runs/experiments/<name>/")
    description: str = option("", doc="goes into report.md")
    master_seed: int = option(0, min=0, max=MAX_SEED, doc="every run's seed derives from it")
    replicates: int = option(1, min=1, max=10_000, doc="runs per condition (virtual patients in a cohort)")
    seeds: Literal[SEED_MODES] = option("common", doc="common: replicate r has one seed in every condition; "
                                                      "independent: the seed is also keyed by the condition")
    steps: int | None = option(None, min=0, max=10**9, doc="overrides model.steps")
    record_every: int | None = option(None, min=1, max=10**9, doc="overrides output.record_every")
    max_runs: int = option(20_000, min=1, max=10**8, doc="refuse a design of more runs than this before any "
                                                          "run starts (raise it for a deliberately huge design)")


@dataclass
class BaseDoc:
    config: str | None = option(None, nonempty=True, doc="preset name or TOML path (relative to the spec)")
    set: dict[str, Any] = option(default_factory=dict, parser=parse_set_table, doc="dotted config key -> value")


@dataclass
class LevelDoc:
    label: str = option(nonempty=True)
    set: dict[str, Any] = option(parser=parse_set_table, doc="dotted config key -> value")
    numeric: float | None = option(None, doc="x value of the level")


@dataclass
class FactorDoc:
    """A grid factor: ``key`` + ``values`` (short form) or ``levels`` (long form)."""

    name: str = option(**NAME)
    key: str | None = option(None, nonempty=True, doc="short form: the dotted config key")
    values: list[Scalar] | None = option(None, min_items=1, doc="short form: its values")
    labels: list[str] | None = option(None, value_meta={"nonempty": True}, doc="short form: one label per value")
    numeric: list[float] | None = option(None, doc="short form: one x value per value")
    levels: list[LevelDoc] | None = option(None, min_items=1, doc="long form: a set of overrides per level")


@dataclass
class ConditionDoc:
    id: str = option(nonempty=True)
    set: dict[str, Any] = option(default_factory=dict, parser=parse_set_table, doc="dotted config key -> value")
    control: bool = option(True, doc="give this condition a matched control")


_SAMPLED = ("parameters", "samples", "seed_offset")


@dataclass
class DesignDoc:
    kind: Literal[DESIGN_KINDS] = option()
    factors: list[FactorDoc] | None = option(None, min_items=1, doc="grid: full factorial over factors")
    conditions: list[ConditionDoc] | None = option(None, min_items=1, doc="conditions: one set per condition")
    parameters: list[SampledParameterDoc] | None = option(None, min_items=2, doc="morris / sobol")
    samples: int | None = option(None, min=1, max=100_000, doc="morris: trajectories; sobol: a power of 2")
    levels: int | None = option(None, min=2, max=100, doc="morris: grid levels (default 4)")
    second_order: bool | None = option(None, doc="sobol: second-order indices")
    seed_offset: int | None = option(None, min=0, max=MAX_SEED, doc="morris / sobol: unused (older specs)")


@dataclass
class ControlDoc:
    set: dict[str, Any] = option(parser=parse_set_table, doc="overrides on top of each condition")
    inherit: list[str] | None = option(None, doc="factors whose overrides the control keeps (default: all)")


@dataclass
class DerivedDoc:
    name: str = option(**NAME)
    kind: Literal[DERIVED_KINDS] = option()
    of: str | None = option(None, nonempty=True)
    num: str | None = option(None, nonempty=True)
    den: str | None = option(None, nonempty=True)
    terms: list[str] | None = option(None, **KEY)
    on_zero: Literal["error", "nan"] | None = option(None, doc="ratio with a zero denominator: fail the run or NaN")


@dataclass
class ReadoutsDoc:
    final: list[str] = option(default_factory=list, value_meta={"nonempty": True},
                              doc="model readouts, value at the last step")
    derived: list[DerivedDoc] = option(default_factory=list)


@dataclass
class ReportDoc:
    kind: Literal[REPORT_KINDS] = option("auto")
    x: str | None = option(None, doc="dose_response: the factor on the x axis")
    hue: str | None = option(None, doc="dose_response: the factor of the curves")
    y: list[str] | None = option(None, min_items=1, doc="readouts plotted")
    log_x: bool | None = option(None)
    sensitivity_of: str | None = option(None, doc="morris / sobol: the readout analysed")
    title: str | None = option(None)
    # cohort reports (mscabm/experiments/cohort.py)
    activity: str | None = option(None, nonempty=True, doc="the readout judged (default disease_activity)")
    baseline_min: float | None = option(None, min=0.0, max=1e9, unit="min", doc="treatment start")
    responder_drop_pct: float | None = option(None, min=0.0, max=100.0, doc="responder: drop >= pct from baseline")
    reference: str | None = option(None, nonempty=True, doc="arm of the paired differences")
    responder_vs_reference_pct: float | None = option(None, min=0.0, max=100.0,
                                                      doc="paired responder: end >= pct below the reference twin")
    responder_below: float | None = option(None, min=0.0, max=1e9, doc="responder: end <= value")
    responder_label: str | None = option(None, nonempty=True, doc="names the criterion")


@dataclass
class SpecDocument:
    """A whole spec document."""

    experiment: ExperimentDoc = option()
    design: DesignDoc = option()
    readouts: ReadoutsDoc = option()
    base: BaseDoc = option(default_factory=BaseDoc)
    control: ControlDoc | None = option(None)
    report: ReportDoc = option(default_factory=ReportDoc)
    patients: PatientsDoc | None = option(None, doc="virtual cohorts (mscabm/experiments/patients.py)")


# ---------------------------------------------------------------------------- the parsed spec
@dataclass
class Level:
    label: str
    set: dict[str, Any]
    numeric: float | None = None


@dataclass
class Factor:
    name: str
    levels: list[Level]


@dataclass
class Derived:
    name: str
    kind: str
    of: str = ""
    num: str = ""
    den: str = ""
    terms: list[str] = field(default_factory=list)
    on_zero: str = "error"


@dataclass
class Spec:
    name: str
    description: str = ""
    master_seed: int = 0
    replicates: int = 1
    seeds: str = "common"
    steps: int | None = None
    record_every: int | None = None
    base_config: str | None = None
    base_set: dict[str, Any] = field(default_factory=dict)
    design_kind: str = "grid"
    factors: list[Factor] = field(default_factory=list)
    conditions: list[dict[str, Any]] = field(default_factory=list)  # {"id", "set", "control"}
    parameters: list[Parameter] = field(default_factory=list)
    samples: int = 4
    levels: int = 4
    second_order: bool = False
    control_set: dict[str, Any] | None = None
    control_inherit: list[str] | None = None  # None: inherit every factor / the whole condition
    final: list[str] = field(default_factory=list)
    derived: list[Derived] = field(default_factory=list)
    report: dict[str, Any] = field(default_factory=dict)
    patients: list[Parameter] = field(default_factory=list)  # per-replicate draws ([patients])
    patient_sets: list[dict[str, Any]] = field(default_factory=list)  # [[patients.sets]]: patient r's overrides
    source: str = ""  # path of the spec file
    document: dict[str, Any] = field(default_factory=dict)

    @property
    def readout_columns(self) -> list[str]:
        return list(self.final) + [d.name for d in self.derived]


# ---------------------------------------------------------------------------- parsing
def load_spec(path: str | Path) -> Spec:
    """Read and validate a spec file, or a shipped spec by name (``dose_response``: package data in
    ``mscabm/experiments/specs/``); ``ConfigError`` with the key path if invalid."""
    p = Path(path)
    if not p.is_file():
        cand = SPEC_DIR / f"{path}.toml"
        if cand.is_file():
            p = cand
        else:
            raise ConfigError(str(path)[:200], "experiment spec not found; allowed: a spec file, or the name of a "
                                               f"shipped spec ({', '.join(spec_names())})")
    return parse_spec(read_toml(p), source=str(p))


def spec_names() -> list[str]:
    """The shipped experiment specs (``mscabm/experiments/specs/*.toml``), sorted."""
    return sorted(p.name[:-5] for p in SPECS.iterdir() if p.name.endswith(".toml"))


def parse_spec(doc: dict, source: str = "") -> Spec:
    """Validate a spec document (plain data from TOML) into a :class:`Spec`."""
    d = parse(SpecDocument, doc)
    e = d.experiment
    spec = Spec(name=e.name, description=e.description, master_seed=e.master_seed, replicates=e.replicates,
                seeds=e.seeds, steps=e.steps, record_every=e.record_every, base_config=d.base.config,
                base_set=d.base.set, source=source, document=copy.deepcopy(doc))
    _design(spec, d.design)
    _check_run_count(spec, e.max_runs)
    if d.patients is not None:
        spec.patients = patient_parameters(d.patients)
        spec.patient_sets = patient_sets(d.patients)
        _check_patient_keys(spec)
    if d.control is not None:
        _control(spec, d.control)
    _readouts(spec, d.readouts)
    spec.report = _report(spec, d.report)
    return spec


def _check_patient_keys(spec: Spec) -> None:
    """A patient's draw applies under each condition's ``set``: a key that a condition or level also sets would
    silently lose the draw in that arm (a per-patient drug sensitivity under an arm that sets the drug's level),
    so it is refused. Put the shared value in ``[base.set]`` instead."""
    sets = [(f"design.conditions[{i}] ({c['id']})", c["set"]) for i, c in enumerate(spec.conditions)]
    sets += [(f"design.factors ({f.name} = {lv.label})", lv.set) for f in spec.factors for lv in f.levels]
    for i, pset in enumerate(spec.patient_sets):  # a set would replace a draw its patient column still reports
        for key in pset:
            for j, par in enumerate(spec.patients):
                hit = next((k for k in par.keys if paths_overlap(k, key)), None)
                if hit is not None:
                    raise ConfigError(f"patients.sets[{i}].{key}", f"also drawn by patients.vary[{j}] "
                                      f"({par.name!r}, key {hit!r}): the set would replace the draw that the "
                                      f"patient_{par.name} column reports; allowed: keys the draws do not vary")
    if spec.patient_sets:
        for j, par in enumerate(spec.patients):
            if par.name == "set":
                raise ConfigError(f"patients.vary[{j}].name", "'set' names the patient_set column of "
                                  "[[patients.sets]]; allowed: another name")
    for j, par in enumerate(spec.patients):
        for key in par.keys:
            for where, cset in sets:
                hit = next((k for k in cset if k == key or key.startswith(k + ".")), None)
                if hit is not None:
                    raise ConfigError(f"patients.vary[{j}].keys", f"{key!r} is also set by {where} ({hit!r}): the "
                                      "condition's value would replace the patient's draw in that arm; allowed: "
                                      "keys no condition sets (put a value every arm shares in [base.set])")


def _design(spec: Spec, d: DesignDoc) -> None:
    spec.design_kind = kind = d.kind
    uses = {"grid": ("factors",), "conditions": ("conditions",), "morris": _SAMPLED + ("levels",),
            "sobol": _SAMPLED + ("second_order",)}[kind]
    keys = ("factors", "conditions", "parameters", "samples", "levels", "second_order", "seed_offset")
    not_used(d, "design", tuple(k for k in keys if k not in uses), f"kind = {kind!r}", ("kind",) + uses)
    for k in uses[:2]:
        if getattr(d, k) is None:
            raise ConfigError(f"design.{k}", f"required key is missing (kind = {kind!r})")
    if kind == "grid":
        for i, f in enumerate(d.factors):
            path = join_path("design.factors", i)
            fac = _factor(f, path)
            if any(g.name == fac.name for g in spec.factors):
                raise ConfigError(join_path(path, "name"), f"duplicate factor {fac.name!r}")
            spec.factors.append(fac)
    elif kind == "conditions":
        for i, c in enumerate(d.conditions):
            if any(x["id"] == c.id for x in spec.conditions):
                raise ConfigError(join_path(join_path("design.conditions", i), "id"),
                                  f"duplicate condition id {c.id!r}")
            spec.conditions.append({"id": c.id, "set": c.set, "control": c.control})
    else:
        spec.samples = d.samples
        if kind == "morris":
            spec.levels = 4 if d.levels is None else d.levels
        else:
            spec.second_order = bool(d.second_order)
            if spec.samples & (spec.samples - 1):
                raise ConfigError("design.samples", f"{spec.samples} is not a power of 2 (Sobol' sequences need one)")
        for i, p in enumerate(d.parameters):
            path = join_path("design.parameters", i)
            prm = sampled_parameter(p, path)
            if any(q.name == prm.name for q in spec.parameters):
                raise ConfigError(join_path(path, "name"), f"duplicate parameter {prm.name!r}")
            spec.parameters.append(prm)


def design_runs(spec: Spec) -> int:
    """Runs the design asks for before matched controls are added: conditions x replicates."""
    k = len(spec.parameters)
    if spec.design_kind == "grid":
        n = math.prod(len(f.levels) for f in spec.factors)
    elif spec.design_kind == "conditions":
        n = len(spec.conditions)
    elif spec.design_kind == "morris":
        n = spec.samples * (k + 1)
    else:
        n = spec.samples * (2 * k + 2 if spec.second_order else k + 2)
    return n * spec.replicates


def _check_run_count(spec: Spec, max_runs: int) -> None:
    n = design_runs(spec)
    if n > max_runs:
        raise ConfigError("design", f"asks for {n:,} runs (conditions x replicates, before matched controls); "
                                    f"allowed: at most experiment.max_runs = {max_runs:,} (raise it in the spec "
                                    "for a deliberately large design)")


def _factor(f: FactorDoc, path: str) -> Factor:
    levels: list[Level] = []
    if f.levels is not None:
        not_used(f, path, ("key", "values", "labels", "numeric"), "a factor with levels = [...] (give either "
                 "levels or key + values)", ("name", "levels"))
        levels = [Level(lv.label, lv.set, lv.numeric) for lv in f.levels]
    else:
        for k in ("key", "values"):
            if getattr(f, k) is None:
                raise ConfigError(join_path(path, k),
                                  "required key is missing (a factor needs key + values, or levels)")
        values, labels, numeric = f.values, f.labels, f.numeric
        if labels is not None and len(labels) != len(values):
            raise ConfigError(join_path(path, "labels"),
                              f"expected {len(values)} labels (one per value), got {len(labels)}")
        if numeric is not None and len(numeric) != len(values):
            raise ConfigError(join_path(path, "numeric"), f"expected {len(values)} numbers (one per value), "
                              f"got {len(numeric)}")
        for j, v in enumerate(values):
            num = numeric[j] if numeric is not None else (float(v) if isinstance(v, int | float)
                                                          and not isinstance(v, bool) else None)
            levels.append(Level(labels[j] if labels else str(v), {f.key: v}, num))
    seen: set[str] = set()
    for j, lv in enumerate(levels):
        if lv.label in seen:
            where = "levels" if f.levels is not None else "labels"
            raise ConfigError(join_path(join_path(path, where), j), f"duplicate level label {lv.label!r}")
        seen.add(lv.label)
    return Factor(f.name, levels)


def _control(spec: Spec, c: ControlDoc) -> None:
    spec.control_set = c.set
    if not spec.control_set:
        raise ConfigError("control.set", "must change at least one key (the control would equal the condition)")
    if c.inherit is None:
        return
    names = {f.name for f in spec.factors} | {p.name for p in spec.parameters}
    for i, n in enumerate(c.inherit):
        if spec.design_kind == "conditions":
            raise ConfigError(join_path("control.inherit", i), "inherit applies to grid and sampled designs; "
                              "conditions inherit their whole set (or set control = false)")
        if n not in names:
            raise ConfigError(join_path("control.inherit", i),
                              f"unknown factor {n!r}; allowed: {', '.join(sorted(names))}")
    spec.control_inherit = list(c.inherit)


def _readouts(spec: Spec, r: ReadoutsDoc) -> None:
    spec.final = list(r.final)
    if len(set(spec.final)) != len(spec.final):
        raise ConfigError("readouts.final", "duplicate readout names")
    known = set(spec.final)
    for i, d in enumerate(r.derived):
        path = join_path("readouts.derived", i)
        der = Derived(name=d.name, kind=d.kind)
        if der.name in known:
            raise ConfigError(join_path(path, "name"), f"{der.name!r} is already a readout")
        needs = ("num", "den") if der.kind in ("ratio", "difference") else ("terms",) if der.kind == "sum" else ("of",)
        for k in ("of", "num", "den", "terms"):
            if getattr(d, k) is not None and k not in needs:
                raise ConfigError(join_path(path, k), f"not used by kind {der.kind!r}; it needs: {', '.join(needs)}")
        for k in needs:
            value = getattr(d, k)
            if value is None:
                raise ConfigError(join_path(path, k), f"required by kind {der.kind!r}")
            if k == "terms":
                for j, t in enumerate(value):
                    if t not in known:
                        raise ConfigError(join_path(join_path(path, k), j),
                                          f"unknown readout {t!r}; allowed: {', '.join(sorted(known))}")
                der.terms = list(value)
                continue
            if der.kind in ("max", "min", "mean"):
                if value not in spec.final:
                    raise ConfigError(join_path(path, k), f"{value!r} must be listed in readouts.final (time series "
                                      "of a model readout)")
            elif value not in known:
                raise ConfigError(join_path(path, k), f"unknown readout {value!r}; allowed: readouts.final or an "
                                  f"earlier derived name: {', '.join(sorted(known))}")
            if der.kind in CONTROL_DERIVED and spec.control_set is None:
                raise ConfigError(join_path(path, "kind"), f"{der.kind!r} needs a [control] section")
            setattr(der, k, value)
        if d.on_zero is not None:
            if der.kind in CONTROL_DERIVED:
                raise ConfigError(join_path(path, "on_zero"), "control-based readouts are NaN where the control is 0")
            der.on_zero = d.on_zero
        known.add(der.name)
        spec.derived.append(der)
    if not spec.readout_columns:
        raise ConfigError("readouts.final", "list at least one readout")


def _report(spec: Spec, rep: ReportDoc) -> dict[str, Any]:
    """The ``[report]`` table as a dict of the keys given (and ``kind``), checked against the design."""
    out: dict[str, Any] = {"kind": rep.kind}
    for k in COHORT_REPORT_KEYS:
        if getattr(rep, k) is not None:
            if rep.kind != "cohort":
                raise ConfigError(f"report.{k}", "only used by kind = 'cohort'")
            out[k] = getattr(rep, k)
    if "responder_below" in out and "responder_drop_pct" in out:
        raise ConfigError("report.responder_below", "give responder_below or responder_drop_pct, not both")
    factor_names = [f.name for f in spec.factors]
    for k in ("x", "hue"):
        v = getattr(rep, k)
        if v is not None:
            if v not in factor_names:
                raise ConfigError(f"report.{k}",
                                  f"unknown factor {v!r}; allowed: {', '.join(factor_names) or '(none)'}")
            out[k] = v
    if rep.y is not None:
        for i, v in enumerate(rep.y):
            if v not in spec.readout_columns:
                raise ConfigError(join_path("report.y", i), f"unknown readout {v!r}; allowed: "
                                  f"{', '.join(spec.readout_columns)}")
        out["y"] = list(rep.y)
    for k in ("log_x", "title"):
        if getattr(rep, k) is not None:
            out[k] = getattr(rep, k)
    if rep.sensitivity_of is not None:
        if rep.sensitivity_of not in spec.readout_columns:
            raise ConfigError("report.sensitivity_of", f"unknown readout; allowed: {', '.join(spec.readout_columns)}")
        out["sensitivity_of"] = rep.sensitivity_of
    if rep.kind == "tornado" and spec.design_kind not in ("morris", "sobol"):
        raise ConfigError("report.kind", "tornado plots need a morris or sobol design")
    return out
