"""Fit specs (TOML): free parameters, targets, the experiment specs that produce them, method and budget.

A fit spec is validated before any run starts, by the schema machinery of configs and experiment
specs (:mod:`mscabm.schema`): unknown keys, wrong types and out-of-range values raise
:class:`~mscabm.schema.ConfigError` naming the key path (``targets[2].where``) and the allowed
range. :func:`check_fit` then goes further, still without running anything: every experiment spec
is loaded, every target's readout and ``where`` columns are checked against it, and every
condition's config is built with the parameters at both ends of their bounds (so a key the config
does not have, or a bound the config refuses, fails here, not after an hour of runs).

Document layout (``docs/calibration.md`` has the full reference and a worked example)::

    [fit]           name, description, method (cmaes | abcsmc | sobol), seed, max_candidates, max_wall_min,
                    replicates, population, sigma0, min_epsilon, intervals, interval_step, include_targets
    [fit.synthetic] parameter name -> hidden value: replace every target's observed value by the
                    model's own output at these values (a synthetic problem with a known answer)
    [[parameters]]  name, keys, bounds, log, scale, integer, start, specs (apply only in these
                    experiment specs: a species' own parameter in a joint fit)
    [[targets]]     name, spec, readout, where, observed + sd, or accepted = [low, high];
                    route (a share removed by a blocker, SCIENCE.md s3b); source
                    (and/or [fit] include_targets = ["s3", "s3b"]: the calibration's own targets)

A target given as an accepted range is read as a 95% interval: observed = its midpoint,
sd = (high - low) / 4.
"""

from __future__ import annotations

import copy
import hashlib
import importlib.resources
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from mscabm.config import read_toml
from mscabm.experiments.checks import KEY, NAME
from mscabm.experiments.parameters import Parameter, sampled_parameter
from mscabm.schema import ConfigError, join_path, option, parse

__all__ = ["FitSpec", "FitParameter", "FitTarget", "load_fit_spec", "parse_fit_spec", "check_fit", "METHODS",
           "fingerprint"]

METHODS = ("cmaes", "abcsmc", "sobol")
#: the shipped fit specs, package data (``src/mscabm/fit/specs/``)
FIT_SPECS = importlib.resources.files("mscabm.fit") / "specs"
#: readout of a route target (SCIENCE.md s3b), computed by :func:`mscabm.calibration.route_shares`
SHARE_REMOVED = "share_removed_pct"
#: the condition columns a route target can select on (those :func:`mscabm.calibration.route_shares` keeps)
ROUTE_COLUMNS = ("species", "msc_per_responder", "route_blocked")


# ---------------------------------------------------------------------------- the document (schema)
@dataclass
class FitDoc:
    name: str = option(**NAME, doc="default output folder runs/fits/<name>/")
    description: str = option("", doc="goes into report.md")
    method: Literal[METHODS] = option("cmaes", doc="cmaes: CMA-ES point fit (pycma); abcsmc: ABC-SMC posterior "
                                                   "(pyabc); sobol: a scrambled Sobol search of the box (the "
                                                   "baseline)")
    seed: int = option(1, min=0, max=2**32 - 2, doc="seed of the method's own draws (not the model's)")
    max_candidates: int = option(40, min=1, max=100_000, doc="budget: parameter sets tried (each runs every "
                                                             "target's experiment spec)")
    max_wall_min: float = option(0.0, min=0.0, max=1e6, unit="min", doc="budget: stop the search after this "
                                                                         "wall time (0: no limit)")
    replicates: int | None = option(None, min=1, max=10_000, doc="overrides the experiment specs' replicates")
    population: int | None = option(None, min=2, max=10_000, doc="cmaes: candidates per generation "
                                                                  "(default 4 + 3 ln d); abcsmc: particles per "
                                                                  "generation (default 10 per parameter, >= 10)")
    sigma0: float = option(0.25, gt=0.0, max=1.0, doc="cmaes: initial step, in units of each parameter's range")
    min_epsilon: float = option(1.0, gt=0.0, max=1e6, doc="abcsmc: stop when the acceptance threshold on the RMS "
                                                          "residual (targets in units of their sd) reaches this")
    intervals: bool = option(True, doc="cmaes, sobol: linearised 95% intervals at the best fit (2 more "
                                       "candidates per parameter); not used by abcsmc, whose posterior always "
                                       "gives its intervals (no more candidates)")
    interval_step: float = option(0.05, gt=0.0, max=0.5, doc="finite-difference step of the intervals, in "
                                                             "units of each parameter's range")
    synthetic: dict[str, float] | None = option(None, doc="parameter name -> hidden value: fit the model's "
                                                          "own output at these values")
    include_targets: list[Literal["s3", "s3b"]] = option(
        default_factory=list, doc="add the calibration targets of SCIENCE.md s3 (mscabm.calibration.TARGETS) and/or "
                                  "the route targets of s3b (ROUTE_TARGETS) as accepted-range targets")
    synthetic_seed: int = option(1_000_003, min=0, max=2**63 - 1,
                                 doc="master seed of the synthetic observations' runs (independent of the fit's)")


@dataclass
class FitParameterDoc:
    name: str = option(**NAME, doc="column of the value in candidates.csv")
    keys: list[str] = option(**KEY, doc="dotted config keys the value is applied to")
    bounds: list[float] = option(min_items=2, max_items=2, form="[low, high]", doc="search range")
    log: bool = option(False, doc="search log10 space (bounds > 0)")
    scale: Literal["value", "multiply"] = option("value", doc="value: set the keys to the value; multiply: x the "
                                                              "experiment spec's base config value")
    integer: bool = option(False, doc="round the applied values")
    start: float | None = option(None, doc="cmaes: first mean (default: the middle of the bounds)")
    specs: list[str] = option(default_factory=list, doc="apply the value only in these experiment specs (names as "
                                                        "the targets give them; default: in every spec), e.g. a "
                                                        "mouse-only parameter of a joint human and mouse fit")


@dataclass
class FitTargetDoc:
    name: str = option(nonempty=True, doc="as printed in the report")
    spec: str = option(nonempty=True, doc="experiment spec: a shipped name or a path (relative to the fit spec)")
    readout: str = option(SHARE_REMOVED, nonempty=True, doc=f"a readout of the spec ({SHARE_REMOVED!r} with route)")
    where: dict[str, str | int | float] = option(default_factory=dict, doc="condition column -> value (selects "
                                                                          "the runs averaged)")
    route: str | None = option(None, nonempty=True, doc="route target: the route_blocked level whose share of "
                                                       "the suppression is fitted (SCIENCE.md s3b)")
    observed: float | None = option(None, doc="observed value (with sd; replaced in a [fit.synthetic] fit)")
    sd: float | None = option(None, gt=0.0, doc="its standard deviation")
    accepted: list[float] | None = option(None, min_items=2, max_items=2, form="[low, high]",
                                          doc="an accepted range, read as a 95% interval")
    source: str = option("", doc="where the observation comes from")


@dataclass
class FitDocument:
    fit: FitDoc = option()
    parameters: list[FitParameterDoc] = option(min_items=1, max_items=50)
    targets: list[FitTargetDoc] = option(default_factory=list, max_items=500)


# ---------------------------------------------------------------------------- the parsed spec
@dataclass
class FitParameter:
    """A free parameter: its :class:`~mscabm.experiments.parameters.Parameter` (keys, bounds, log, scale)
    and where the search starts, in the unit cube (0 = low bound, 1 = high bound, log10-spaced if ``log``)."""

    parameter: Parameter
    start_unit: float
    start_value: float | None = None  # the ``start`` as written (the point start_unit maps back to exactly)
    specs: tuple[str, ...] = ()  # the experiment specs it applies in (the targets' ``spec`` names); () = all

    def applies_to(self, spec_name: str) -> bool:
        """Whether the value is applied in the experiment spec named ``spec_name`` (as a target gives it)."""
        return not self.specs or spec_name in self.specs

    @property
    def name(self) -> str:
        return self.parameter.name

    def value(self, u: float) -> float:
        """The parameter's value at the unit-cube coordinate ``u`` (0..1); exactly ``start`` at its point.
        Not rounded: ``integer`` rounds the values applied to the keys (after ``scale``)."""
        if self.start_value is not None and float(u) == self.start_unit:
            return self.start_value
        lo, hi = self.parameter.sample_bounds()
        return self.parameter.from_sample(lo + float(u) * (hi - lo))

    def unit(self, value: float) -> float:
        """The unit-cube coordinate of ``value`` (inverse of :meth:`value`)."""
        lo, hi = self.parameter.sample_bounds()
        return (self.parameter.to_sample(value) - lo) / (hi - lo)


@dataclass
class FitTarget:
    name: str
    spec: str  # the experiment spec as given (name or path)
    readout: str
    where: dict[str, Any]
    observed: float
    sd: float
    route: str | None = None
    source: str = ""
    accepted: tuple[float, float] | None = None


@dataclass
class FitSpec:
    name: str
    description: str
    method: str
    seed: int
    max_candidates: int
    max_wall_min: float
    replicates: int | None
    population: int | None
    sigma0: float
    min_epsilon: float
    intervals: bool
    interval_step: float
    synthetic: dict[str, float] | None
    synthetic_seed: int
    parameters: list[FitParameter]
    targets: list[FitTarget]
    source: str = ""
    document: dict[str, Any] = field(default_factory=dict)

    @property
    def difference_intervals(self) -> bool:
        """Whether the fit ends with the linearised intervals' difference candidates (an ABC-SMC fit's intervals
        come from its posterior)."""
        return self.intervals and self.method != "abcsmc"

    @property
    def spec_names(self) -> list[str]:
        """The experiment specs the targets need, in order of first use."""
        return list(dict.fromkeys(t.spec for t in self.targets))

    def spec_path(self, name: str) -> str:
        """An experiment spec as :func:`mscabm.experiments.load_spec` takes it: a path relative to the fit
        spec's folder if that file exists, else the name as given (a shipped spec)."""
        if self.source:
            cand = Path(self.source).parent / name
            if cand.is_file():
                return str(cand)
        return name


#: keys a resumed fit may change: free text, and the budget (a larger budget continues the same search)
NOT_FINGERPRINTED = {"fit": ("name", "description", "max_candidates", "max_wall_min", "min_epsilon"),
                     "targets": ("name", "source")}


def fingerprint(document: dict) -> str:
    """A hash of the fit spec's document without its free text (``fit.name``, ``fit.description``,
    each target's name and source), its budget and ABC-SMC's stopping threshold (``min_epsilon``, which only
    decides where the same sequence of generations stops): a resumed fit must have the same parameters,
    targets and method; it may have a larger budget (the search replays the candidates already run,
    then goes on). The experiment spec files are not part of it: a changed experiment spec changes
    its runs' fingerprints, and the runner reruns those runs."""
    doc = copy.deepcopy(document)
    for k in NOT_FINGERPRINTED["fit"]:
        doc.get("fit", {}).pop(k, None)
    for t in doc.get("targets", []):
        if isinstance(t, dict):
            for k in NOT_FINGERPRINTED["targets"]:
                t.pop(k, None)
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()[:16]


def load_fit_spec(path: str | Path) -> FitSpec:
    """Read and validate a fit spec file, or a shipped one by name (``human_s3``: package data in
    ``mscabm/fit/specs/``); schema only (:func:`check_fit` checks it against the model)."""
    p = Path(path)
    if not p.is_file():
        shipped = Path(str(FIT_SPECS)) / f"{path}.toml"
        if not shipped.is_file():
            raise ConfigError(str(path)[:200], "fit spec not found; allowed: a fit spec TOML file, or the name of a "
                                               f"shipped one ({', '.join(fit_spec_names())})")
        p = shipped
    return parse_fit_spec(read_toml(p), source=str(p))


def fit_spec_names() -> list[str]:
    """The shipped fit specs (``mscabm/fit/specs/*.toml``), sorted."""
    return sorted(p.name[:-5] for p in FIT_SPECS.iterdir() if p.name.endswith(".toml"))


def parse_fit_spec(doc: dict, source: str = "") -> FitSpec:
    """Validate a fit spec document (plain data from TOML) into a :class:`FitSpec`."""
    d = parse(FitDocument, doc)
    params = [_parameter(p, join_path("parameters", i)) for i, p in enumerate(d.parameters)]
    names = [p.name for p in params]
    for i, n in enumerate(names):
        if n in names[:i]:
            raise ConfigError(join_path(join_path("parameters", i), "name"), f"{n!r} is used twice")
    keys_seen: dict[str, int] = {}
    for i, p in enumerate(params):
        for j, k in enumerate(p.parameter.keys):
            if k in keys_seen:
                raise ConfigError(join_path(join_path(join_path("parameters", i), "keys"), j),
                                  f"{k!r} is already fitted by parameters[{keys_seen[k]}]")
            keys_seen[k] = i
    f = d.fit
    if f.intervals and f.method != "abcsmc":  # the posterior's intervals need no derivative
        for i, p in enumerate(params):
            if p.parameter.integer:
                raise ConfigError(join_path(join_path("parameters", i), "integer"),
                                  "an integer parameter has no derivative for the intervals; set fit.intervals = "
                                  "false, or fit it as a continuous value")
    if f.method == "abcsmc":
        from mscabm.fit.search import abc_min_candidates, abc_particles

        need = abc_min_candidates(len(params), f.population)
        if f.max_candidates < need:
            raise ConfigError("fit.max_candidates", f"{f.max_candidates} leaves ABC-SMC no first generation: it needs "
                                                    f"the start, a calibration sample of "
                                                    f"{abc_particles(len(params), f.population)} prior draws and about "
                                                    "twice as many proposals; allowed: >= "
                                                    f"{need} (or a smaller fit.population)")
    targets = [_target(t, join_path("targets", i), f.synthetic is not None) for i, t in enumerate(d.targets)]
    targets += included_targets(f.include_targets)
    if not targets:
        raise ConfigError("targets", "no targets: give [[targets]] tables or fit.include_targets = ['s3', 's3b']")
    used = list(dict.fromkeys(t.spec for t in targets))
    for i, p in enumerate(params):
        for j, n in enumerate(p.specs):
            if n not in used:
                raise ConfigError(join_path(join_path(join_path("parameters", i), "specs"), j),
                                  f"{n!r} is not an experiment spec of this fit's targets; allowed: {', '.join(used)}")
    if f.synthetic is not None:
        for n, v in f.synthetic.items():
            path = join_path("fit.synthetic", n)
            if n not in names:
                raise ConfigError(path, f"not a fitted parameter; allowed: {', '.join(names)}")
            lo, hi = params[names.index(n)].parameter.bounds
            if not lo <= v <= hi:
                raise ConfigError(path, f"{v} is outside the parameter's bounds [{lo}, {hi}]")
        missing = [n for n in names if n not in f.synthetic]
        if missing:
            raise ConfigError("fit.synthetic",
                              f"needs a hidden value for every parameter; missing: {', '.join(missing)}")
    return FitSpec(f.name, f.description, f.method, f.seed, f.max_candidates, f.max_wall_min, f.replicates,
                   f.population, f.sigma0, f.min_epsilon, f.intervals, f.interval_step, f.synthetic, f.synthetic_seed,
                   params, targets, source, copy.deepcopy(doc))


def _parameter(d: FitParameterDoc, path: str) -> FitParameter:
    """A parsed ``[[parameters]]`` table: bounds, log and scale as a sampled design's parameter
    (:func:`mscabm.experiments.parameters.sampled_parameter`), plus where the search starts."""
    fp = FitParameter(sampled_parameter(d, path), 0.5, specs=tuple(d.specs))  # type: ignore[arg-type]
    lo, hi = fp.parameter.bounds
    if d.start is not None:
        if not lo <= d.start <= hi:
            raise ConfigError(join_path(path, "start"), f"{d.start} is outside the bounds [{lo}, {hi}]")
        fp.start_unit, fp.start_value = fp.unit(d.start), float(d.start)
    return fp


def _target(d: FitTargetDoc, path: str, synthetic: bool) -> FitTarget:
    """A parsed target; with ``synthetic`` (a ``[fit.synthetic]`` fit) ``observed`` may be left out: the
    model's output at the hidden values replaces it."""
    given_point = d.observed is not None or d.sd is not None
    if d.accepted is not None and given_point:
        raise ConfigError(join_path(path, "accepted"), "give either observed and sd, or accepted = [low, high]")
    if d.accepted is not None:
        lo, hi = d.accepted
        if not lo < hi:
            raise ConfigError(join_path(path, "accepted"), f"low {lo} must be below high {hi}")
        observed, sd, accepted = (lo + hi) / 2.0, (hi - lo) / 4.0, (lo, hi)
    else:
        for k in ("sd",) if synthetic else ("observed", "sd"):
            if getattr(d, k) is None:
                raise ConfigError(join_path(path, k), "required: observed and sd, or accepted = [low, high]")
        observed = math.nan if d.observed is None else float(d.observed)
        sd, accepted = float(d.sd), None  # type: ignore[arg-type]
    if d.route is not None and d.readout != SHARE_REMOVED:
        raise ConfigError(join_path(path, "readout"), f"a route target's readout is {SHARE_REMOVED!r}")
    if d.route is None and d.readout == SHARE_REMOVED:
        raise ConfigError(join_path(path, "readout"), "required: the readout fitted (or route = a route_blocked "
                                                      "level for a route target)")
    return FitTarget(d.name, d.spec, d.readout, dict(d.where), observed, sd, d.route, d.source, accepted)


def included_targets(sets: list[str]) -> list[FitTarget]:
    """The calibration's own targets (:mod:`mscabm.calibration`) as fit targets: ``"s3"`` the seven
    in-vitro targets of SCIENCE.md s3, ``"s3b"`` the route targets (each an accepted range)."""
    from mscabm.calibration import ROUTE_SPEC, ROUTE_TARGETS, TARGETS

    out: list[FitTarget] = []
    if "s3" in sets:
        out += [FitTarget(t.name, t.spec, t.readout, dict(t.where), (t.low + t.high) / 2, (t.high - t.low) / 4,
                          None, f"{t.observed} ({t.source})", (t.low, t.high)) for t in TARGETS]
    if "s3b" in sets:
        out += [FitTarget(t.name, ROUTE_SPEC, SHARE_REMOVED, dict(t.where), (t.low + t.high) / 2,
                          (t.high - t.low) / 4, t.route, f"{t.observed} ({t.source})", (t.low, t.high))
                for t in ROUTE_TARGETS]
    return out


# ---------------------------------------------------------------------------- checks against the model
def check_fit(fit: FitSpec) -> dict[str, Any]:
    """Check a fit spec against its experiment specs and the config, running nothing.

    Loads every experiment spec; checks each target's readout and ``where`` columns against the
    spec's readouts and conditions; refuses a fitted key that the spec's design also sets; builds
    every condition's config with every parameter at its low and at its high bound. Returns
    experiment spec name -> its parsed :class:`~mscabm.experiments.spec.Spec`.
    """
    from mscabm.experiments import load_spec
    from mscabm.experiments.plan import plan

    specs: dict[str, Any] = {}
    for i, t in enumerate(fit.targets):
        path = join_path("targets", i)
        if t.spec not in specs:
            try:
                specs[t.spec] = load_spec(fit.spec_path(t.spec))
            except ConfigError as exc:
                raise ConfigError(join_path(path, "spec"), f"{exc}") from None
        spec = specs[t.spec]
        if t.route is None and t.readout not in spec.readout_columns:
            raise ConfigError(join_path(path, "readout"), f"{t.readout!r} is not a readout of spec {spec.name}; "
                                                          f"allowed: {', '.join(spec.readout_columns)}")
        if t.route is not None and "suppression_T_proliferation_pct" not in spec.readout_columns:
            raise ConfigError(join_path(path, "route"), f"spec {spec.name} has no suppression_T_proliferation_pct "
                                                        "readout (a route target needs the route_decomposition "
                                                        "layout)")
        columns = _condition_columns(plan(spec, validate=False))
        if t.route is not None:  # route_shares keeps these columns only (mscabm.calibration)
            columns = {k: v for k, v in columns.items() if k in ROUTE_COLUMNS}
        wanted = {**t.where, **({"route_blocked": t.route} if t.route is not None else {})}
        for col, val in wanted.items():
            if col not in columns:
                raise ConfigError(join_path(join_path(path, "where"), col),
                                  f"not a condition column of spec {spec.name}; allowed: {', '.join(sorted(columns))}")
            if str(val) not in columns[col]:
                raise ConfigError(join_path(join_path(path, "where"), col),
                                  f"{val!r} is not a level of {col!r} in spec {spec.name}; allowed: "
                                  f"{', '.join(sorted(columns[col]))}")
    first_of: dict[str, str] = {}
    for given, spec in specs.items():  # in order of first use
        if first_of.setdefault(spec.name, given) != given:
            i = next(i for i, t in enumerate(fit.targets) if t.spec == given)
            raise ConfigError(join_path(join_path("targets", i), "spec"),
                              f"{given!r} and {first_of[spec.name]!r} are both named {spec.name!r}; their runs "
                              "would share a folder")
    for given, spec in specs.items():
        set_by_design = _keys_set_by_design(spec)
        for i, fp in enumerate(fit.parameters):
            if not fp.applies_to(given):
                continue
            for j, k in enumerate(fp.parameter.keys):
                if k in set_by_design:
                    raise ConfigError(join_path(join_path(join_path("parameters", i), "keys"), j),
                                      f"{k!r} is set by the design of spec {spec.name}; a fitted key must not be a "
                                      "factor or condition key there")
        for corner in (0.0, 1.0):
            try:
                plan(candidate_spec(fit, spec, [corner] * len(fit.parameters), given=given), validate=True)
            except ConfigError as exc:
                end = "low" if corner == 0.0 else "high"
                raise ConfigError("parameters", f"with every parameter at its {end} bound, spec {spec.name} is "
                                                f"refused: {exc}") from None
    return specs


def _condition_columns(p: Any) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {"condition": set()}
    for c in p.conditions:
        if c.role != "condition":  # targets average the design's conditions, never the matched controls
            continue
        out["condition"].add(str(c.id))  # results.parquet's condition column: the condition's id
        for k, v in c.columns.items():
            out.setdefault(k, set()).add(str(v))
    return out


def _keys_set_by_design(spec: Any) -> set[str]:
    keys: set[str] = set()
    for f in spec.factors:
        for lv in f.levels:
            keys.update(lv.set)
    for c in spec.conditions:
        keys.update(c.get("set", {}))
    for p in spec.parameters:
        keys.update(p.keys)
    return keys


def candidate_spec(fit: FitSpec, spec: Any, unit: list[float], master_seed: int | None = None,
                   given: str | None = None) -> Any:
    """The experiment spec ``spec`` with the parameters at unit-cube point ``unit`` in its ``[base.set]``
    (and the fit's replicate override); ``master_seed`` replaces the spec's (synthetic observations).
    ``given``: the spec's name as the targets give it (default ``spec.name``): a parameter with
    ``specs`` is applied only where it is listed."""
    from mscabm.experiments.plan import base_data
    from mscabm.experiments.spec import parse_spec

    doc = copy.deepcopy(spec.document)
    base = base_data(spec)
    sets = doc.setdefault("base", {}).setdefault("set", {})
    for fp, u in zip(fit.parameters, unit):
        if fp.applies_to(spec.name if given is None else given):
            sets.update(fp.parameter.apply(fp.value(u), base, f"parameters.{fp.name}"))
    if fit.replicates is not None:
        doc["experiment"]["replicates"] = fit.replicates
    if master_seed is not None:
        doc["experiment"]["master_seed"] = master_seed
    return parse_spec(doc, source=spec.source)
