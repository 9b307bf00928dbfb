"""Experiment specs (TOML): base config, design, replicates, readouts, matched controls.

A spec is validated before any run starts, like a config: unknown keys, wrong types and
out-of-range values raise :class:`~mscabm.schema.ConfigError` naming the key path (e.g.
``design.factors[1].values[2]``), and every condition's config is built and checked
(errors name the condition's key path and the config key).

The plan (:func:`plan`) turns a spec into conditions, matched controls and runs; each run
has a stable id (safe as a file name), a seed derived from the master seed, and a
fingerprint of everything that determines its result (resume uses it).

Document layout (see ``docs/experiments.md`` for the full reference)::

    [experiment]  name, description, master_seed, replicates, seeds, steps, record_every
    [base]        config (preset name or path), [base.set] dotted-key overrides
    [design]      kind = grid | conditions | morris | sobol, factors / conditions / parameters
    [control]     set (overrides on top of each condition), inherit (factor names)
    [readouts]    final = [...], [[readouts.derived]] name, kind, of / num / den, on_zero
    [report]      kind, x, hue, y, log_x, sensitivity_of
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mscabm.config import PRESET_DIR, build_config, default_config_dict, merge, read_toml
from mscabm.schema import ConfigError

__all__ = ["Spec", "Factor", "Condition", "Derived", "Run", "Plan", "load_spec", "parse_spec", "plan",
           "DESIGN_KINDS", "DERIVED_KINDS", "slug"]

DESIGN_KINDS = ("grid", "conditions", "morris", "sobol")
#: derived readouts computed inside the run (errors fail the run) ...
RUN_DERIVED = ("ratio", "difference", "sum", "max", "min", "mean")
#: ... and against the matched control when results are combined (NaN where undefined)
CONTROL_DERIVED = ("suppression", "fold_change")
DERIVED_KINDS = RUN_DERIVED + CONTROL_DERIVED
SEED_MODES = ("common", "independent")
REPORT_KINDS = ("auto", "dose_response", "bars", "tornado", "none", "cohort")
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_MAX_SEED = 2**63 - 1


# ---------------------------------------------------------------------------- small checkers
def _table(doc: Any, path: str) -> dict:
    if not isinstance(doc, dict):
        raise ConfigError(path, f"expected a table, got {doc!r}")
    return doc


def _keys(doc: dict, path: str, allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> None:
    for k in doc:
        if k not in allowed:
            raise ConfigError(_p(path, k), f"unknown key; allowed keys: {', '.join(allowed)}")
    for k in required:
        if k not in doc:
            raise ConfigError(_p(path, k), "required key is missing")


def _p(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _int(v: Any, path: str, lo: int, hi: int) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise ConfigError(path, f"expected an integer, got {v!r}; allowed: {lo}..{hi}")
    if not lo <= v <= hi:
        raise ConfigError(path, f"{v!r} is out of range; allowed: {lo}..{hi}")
    return v


def _float(v: Any, path: str, lo: float = -math.inf, hi: float = math.inf) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise ConfigError(path, f"expected a finite number, got {v!r}")
    if not lo <= v <= hi:
        raise ConfigError(path, f"{v!r} is out of range; allowed: {lo}..{hi}")
    return float(v)


def _str(v: Any, path: str, choices: tuple[str, ...] | None = None, nonempty: bool = False) -> str:
    if not isinstance(v, str):
        raise ConfigError(path, f"expected a string, got {v!r}")
    if choices is not None and v not in choices:
        raise ConfigError(path, f"{v!r} is not allowed; allowed: one of {', '.join(choices)}")
    if nonempty and not v.strip():
        raise ConfigError(path, "must not be empty")
    return v


def _bool(v: Any, path: str) -> bool:
    if not isinstance(v, bool):
        raise ConfigError(path, f"expected true or false, got {v!r}")
    return v


def _name(v: Any, path: str) -> str:
    _str(v, path)
    if not _NAME_RE.match(v):
        raise ConfigError(path, f"{v!r} is not a valid name; allowed: letters, digits and _ (not starting with a digit)")
    return v


def _list(v: Any, path: str, min_len: int = 0) -> list:
    if not isinstance(v, list):
        raise ConfigError(path, f"expected a list, got {v!r}")
    if len(v) < min_len:
        raise ConfigError(path, f"expected at least {min_len} item(s), got {len(v)}")
    return v


def _scalar(v: Any, path: str) -> Any:
    if isinstance(v, bool | int | str):
        return v
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ConfigError(path, f"expected a finite number, got {v!r}")
        return v
    raise ConfigError(path, f"expected a number, string or true/false, got {v!r}")


def _set_value(v: Any, path: str) -> Any:
    """A value in a ``set`` table: a scalar, or a list of scalars / small tables (knock-out lists,
    infusions); the config itself then checks what the key allows."""
    if isinstance(v, list):
        return [({k: _scalar(y, f"{path}[{i}].{k}") for k, y in x.items()} if isinstance(x, dict)
                 else _scalar(x, f"{path}[{i}]")) for i, x in enumerate(v)]
    return _scalar(v, path)


def _set_table(v: Any, path: str) -> dict[str, Any]:
    """A ``set`` table: dotted config key -> value. Nested TOML tables are flattened to dotted keys."""
    _table(v, path)
    out: dict[str, Any] = {}

    def walk(node: dict, prefix: str) -> None:
        for k, val in node.items():
            key = f"{prefix}.{k}" if prefix else k
            if any(not part for part in key.split(".")):
                raise ConfigError(_p(path, key), "bad key path")
            if isinstance(val, dict):
                walk(val, key)
            else:
                out[key] = _set_value(val, _p(path, key))

    walk(v, "")
    return out


def slug(text: str, max_len: int = 48) -> str:
    """A file-name-safe version of ``text``: letters, digits, '.', '_', '-' only, no leading dot."""
    s = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._-")
    s = re.sub(r"\.{2,}", ".", s)
    return s[:max_len] or "c"


def _hash(obj: Any, n: int = 8) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:n]


# ---------------------------------------------------------------------------- spec objects
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
class Parameter:
    """A sensitivity-analysis parameter: sampled in ``bounds`` (log10 space if ``log``)."""

    name: str
    keys: list[str]
    bounds: tuple[float, float]
    scale: str = "value"  # value | multiply (multiplies the base config's value)
    log: bool = False
    integer: bool = False


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
    patients: list = field(default_factory=list)  # cohort.PatientVar: per-replicate draws ([patients])
    source: str = ""  # path of the spec file
    document: dict[str, Any] = field(default_factory=dict)

    @property
    def readout_columns(self) -> list[str]:
        return list(self.final) + [d.name for d in self.derived]


# ---------------------------------------------------------------------------- parsing
def load_spec(path: str | Path) -> Spec:
    """Read and validate a spec file (``ConfigError`` with the key path if invalid)."""
    p = Path(path)
    if not p.is_file():
        cand = Path(__file__).resolve().parents[3] / "experiments" / f"{path}.toml"
        if cand.is_file():
            p = cand
        else:
            raise ConfigError(str(path), "experiment spec not found")
    try:
        doc = tomllib.loads(p.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), f"not valid TOML: {exc}") from None
    return parse_spec(doc, source=str(p))


def parse_spec(doc: dict, source: str = "") -> Spec:
    """Validate a spec document (plain data from TOML) into a :class:`Spec`."""
    _table(doc, "")
    _keys(doc, "", ("experiment", "base", "design", "control", "readouts", "report", "patients"),
          ("experiment", "design", "readouts"))
    e = _table(doc["experiment"], "experiment")
    _keys(e, "experiment", ("name", "description", "master_seed", "replicates", "seeds", "steps", "record_every"),
          ("name",))
    spec = Spec(name=_name(e["name"], "experiment.name"), source=source, document=copy.deepcopy(doc))
    spec.description = _str(e.get("description", ""), "experiment.description")
    spec.master_seed = _int(e.get("master_seed", 0), "experiment.master_seed", 0, _MAX_SEED)
    spec.replicates = _int(e.get("replicates", 1), "experiment.replicates", 1, 10_000)
    spec.seeds = _str(e.get("seeds", "common"), "experiment.seeds", SEED_MODES)
    if "steps" in e:
        spec.steps = _int(e["steps"], "experiment.steps", 0, 10**9)
    if "record_every" in e:
        spec.record_every = _int(e["record_every"], "experiment.record_every", 1, 10**9)

    b = _table(doc.get("base", {}), "base")
    _keys(b, "base", ("config", "set"))
    if "config" in b:
        spec.base_config = _str(b["config"], "base.config", nonempty=True)
    spec.base_set = _set_table(b.get("set", {}), "base.set")

    _parse_design(spec, _table(doc["design"], "design"))
    if "patients" in doc:  # virtual cohorts: per-replicate patient draws (experiments/cohort.py)
        from mscabm.experiments.cohort import parse_patients

        spec.patients = parse_patients(doc["patients"])

    if "control" in doc:
        c = _table(doc["control"], "control")
        _keys(c, "control", ("set", "inherit"), ("set",))
        spec.control_set = _set_table(c["set"], "control.set")
        if not spec.control_set:
            raise ConfigError("control.set", "must change at least one key (the control would equal the condition)")
        if "inherit" in c:
            names = {f.name for f in spec.factors} | {p.name for p in spec.parameters}
            inh = _list(c["inherit"], "control.inherit")
            for i, n in enumerate(inh):
                _str(n, _p("control.inherit", i))
                if spec.design_kind == "conditions":
                    raise ConfigError(_p("control.inherit", i), "inherit applies to grid and sampled designs; "
                                      "conditions inherit their whole set (or set control = false)")
                if n not in names:
                    raise ConfigError(_p("control.inherit", i), f"unknown factor {n!r}; allowed: {', '.join(sorted(names))}")
            spec.control_inherit = list(inh)

    r = _table(doc["readouts"], "readouts")
    _keys(r, "readouts", ("final", "derived"))
    spec.final = [_str(v, _p("readouts.final", i), nonempty=True) for i, v in enumerate(_list(r.get("final", []), "readouts.final"))]
    if len(set(spec.final)) != len(spec.final):
        raise ConfigError("readouts.final", "duplicate readout names")
    known = set(spec.final)
    for i, d in enumerate(_list(r.get("derived", []), "readouts.derived")):
        path = _p("readouts.derived", i)
        d = _table(d, path)
        _keys(d, path, ("name", "kind", "of", "num", "den", "terms", "on_zero"), ("name", "kind"))
        der = Derived(name=_name(d["name"], _p(path, "name")), kind=_str(d["kind"], _p(path, "kind"), DERIVED_KINDS))
        if der.name in known:
            raise ConfigError(_p(path, "name"), f"{der.name!r} is already a readout")
        needs = ("num", "den") if der.kind in ("ratio", "difference") else ("terms",) if der.kind == "sum" else ("of",)
        for k in ("of", "num", "den", "terms"):
            if k in d and k not in needs:
                raise ConfigError(_p(path, k), f"not used by kind {der.kind!r}; it needs: {', '.join(needs)}")
        for k in needs:
            if k not in d:
                raise ConfigError(_p(path, k), f"required by kind {der.kind!r}")
            if k == "terms":
                terms = _list(d[k], _p(path, k), 1)
                for j, t in enumerate(terms):
                    if _str(t, _p(_p(path, k), j), nonempty=True) not in known:
                        raise ConfigError(_p(_p(path, k), j), f"unknown readout {t!r}; allowed: {', '.join(sorted(known))}")
                der.terms = list(terms)
                continue
            name = _str(d[k], _p(path, k), nonempty=True)
            if der.kind in ("max", "min", "mean"):
                if name not in spec.final:
                    raise ConfigError(_p(path, k), f"{name!r} must be listed in readouts.final (time series of "
                                      "a model readout)")
            elif name not in known:
                raise ConfigError(_p(path, k), f"unknown readout {name!r}; allowed: readouts.final or an earlier "
                                  f"derived name: {', '.join(sorted(known))}")
            if der.kind in CONTROL_DERIVED and spec.control_set is None:
                raise ConfigError(_p(path, "kind"), f"{der.kind!r} needs a [control] section")
            setattr(der, k, name)
        der.on_zero = _str(d.get("on_zero", "error"), _p(path, "on_zero"), ("error", "nan"))
        if der.kind in CONTROL_DERIVED and "on_zero" in d:
            raise ConfigError(_p(path, "on_zero"), "control-based readouts are NaN where the control is 0")
        known.add(der.name)
        spec.derived.append(der)
    if not spec.readout_columns:
        raise ConfigError("readouts.final", "list at least one readout")

    rep = _table(doc.get("report", {}), "report")
    _keys(rep, "report", ("kind", "x", "hue", "y", "log_x", "sensitivity_of", "title", "activity", "baseline_min",
                          "responder_drop_pct", "reference", "responder_vs_reference_pct", "responder_below",
                          "responder_label"))
    out: dict[str, Any] = {"kind": _str(rep.get("kind", "auto"), "report.kind", REPORT_KINDS)}
    for k in ("activity", "baseline_min", "responder_drop_pct", "reference",  # cohort reports (cohort.py)
              "responder_vs_reference_pct", "responder_below", "responder_label"):
        if k in rep:
            if out["kind"] != "cohort":
                raise ConfigError(f"report.{k}", "only used by kind = 'cohort'")
            out[k] = (_str(rep[k], f"report.{k}", nonempty=True) if k in ("activity", "reference", "responder_label")
                      else _float(rep[k], f"report.{k}", 0.0, 1e9 if k in ("baseline_min", "responder_below")
                                  else 100.0))
    if "responder_below" in out and "responder_drop_pct" in out:
        raise ConfigError("report.responder_below", "give responder_below or responder_drop_pct, not both")
    factor_names = [f.name for f in spec.factors]
    for k in ("x", "hue"):
        if k in rep:
            out[k] = _str(rep[k], f"report.{k}")
            if out[k] not in factor_names:
                raise ConfigError(f"report.{k}", f"unknown factor {out[k]!r}; allowed: {', '.join(factor_names) or '(none)'}")
    if "y" in rep:
        ys = _list(rep["y"], "report.y", 1)
        out["y"] = [_str(v, _p("report.y", i)) for i, v in enumerate(ys)]
        for i, v in enumerate(out["y"]):
            if v not in spec.readout_columns:
                raise ConfigError(_p("report.y", i), f"unknown readout {v!r}; allowed: {', '.join(spec.readout_columns)}")
    if "log_x" in rep:
        out["log_x"] = _bool(rep["log_x"], "report.log_x")
    if "title" in rep:
        out["title"] = _str(rep["title"], "report.title")
    if "sensitivity_of" in rep:
        out["sensitivity_of"] = _str(rep["sensitivity_of"], "report.sensitivity_of")
        if out["sensitivity_of"] not in spec.readout_columns:
            raise ConfigError("report.sensitivity_of", f"unknown readout; allowed: {', '.join(spec.readout_columns)}")
    if out["kind"] == "tornado" and spec.design_kind not in ("morris", "sobol"):
        raise ConfigError("report.kind", "tornado plots need a morris or sobol design")
    spec.report = out
    return spec


def _parse_design(spec: Spec, d: dict) -> None:
    kind = _str(d.get("kind", ""), "design.kind", DESIGN_KINDS)
    spec.design_kind = kind
    if kind == "grid":
        _keys(d, "design", ("kind", "factors"), ("factors",))
        names: set[str] = set()
        for i, f in enumerate(_list(d["factors"], "design.factors", 1)):
            path = _p("design.factors", i)
            fac = _parse_factor(_table(f, path), path)
            if fac.name in names:
                raise ConfigError(_p(path, "name"), f"duplicate factor {fac.name!r}")
            names.add(fac.name)
            spec.factors.append(fac)
    elif kind == "conditions":
        _keys(d, "design", ("kind", "conditions"), ("conditions",))
        ids: set[str] = set()
        for i, c in enumerate(_list(d["conditions"], "design.conditions", 1)):
            path = _p("design.conditions", i)
            c = _table(c, path)
            _keys(c, path, ("id", "set", "control"), ("id",))
            cid = _str(c["id"], _p(path, "id"), nonempty=True)
            if cid in ids:
                raise ConfigError(_p(path, "id"), f"duplicate condition id {cid!r}")
            ids.add(cid)
            spec.conditions.append({"id": cid, "set": _set_table(c.get("set", {}), _p(path, "set")),
                                    "control": _bool(c.get("control", True), _p(path, "control"))})
    else:
        allowed = ("kind", "parameters", "samples", "seed_offset")
        allowed += ("levels",) if kind == "morris" else ("second_order",)
        _keys(d, "design", allowed, ("parameters", "samples"))
        spec.samples = _int(d["samples"], "design.samples", 1, 100_000)
        if kind == "morris":
            spec.levels = _int(d.get("levels", 4), "design.levels", 2, 100)
        else:
            spec.second_order = _bool(d.get("second_order", False), "design.second_order")
            if spec.samples & (spec.samples - 1):
                raise ConfigError("design.samples", f"{spec.samples} is not a power of 2 (Sobol' sequences need one)")
        names = set()
        for i, prm in enumerate(_list(d["parameters"], "design.parameters", 2)):
            path = _p("design.parameters", i)
            prm = _table(prm, path)
            _keys(prm, path, ("name", "keys", "bounds", "scale", "log", "integer"), ("name", "keys", "bounds"))
            name = _name(prm["name"], _p(path, "name"))
            if name in names:
                raise ConfigError(_p(path, "name"), f"duplicate parameter {name!r}")
            names.add(name)
            keys = [_str(k, _p(_p(path, "keys"), j), nonempty=True) for j, k in enumerate(_list(prm["keys"], _p(path, "keys"), 1))]
            bounds = _list(prm["bounds"], _p(path, "bounds"), 2)
            if len(bounds) != 2:
                raise ConfigError(_p(path, "bounds"), "expected [low, high]")
            lo, hi = (_float(v, _p(_p(path, "bounds"), j)) for j, v in enumerate(bounds))
            if not lo < hi:
                raise ConfigError(_p(path, "bounds"), f"low {lo} must be below high {hi}")
            log = _bool(prm.get("log", False), _p(path, "log"))
            if log and lo <= 0:
                raise ConfigError(_p(path, "bounds"), "log-scaled bounds must be > 0")
            spec.parameters.append(Parameter(name, keys, (lo, hi), _str(prm.get("scale", "value"), _p(path, "scale"),
                                                                           ("value", "multiply")),
                                             log, _bool(prm.get("integer", False), _p(path, "integer"))))


def _parse_factor(f: dict, path: str) -> Factor:
    _keys(f, path, ("name", "key", "values", "labels", "numeric", "levels"), ("name",))
    name = _name(f["name"], _p(path, "name"))
    levels: list[Level] = []
    if "levels" in f:
        for k in ("key", "values", "labels", "numeric"):
            if k in f:
                raise ConfigError(_p(path, k), "give either levels = [...] or key + values, not both")
        for j, lv in enumerate(_list(f["levels"], _p(path, "levels"), 1)):
            lp = _p(_p(path, "levels"), j)
            lv = _table(lv, lp)
            _keys(lv, lp, ("label", "set", "numeric"), ("label", "set"))
            num = _float(lv["numeric"], _p(lp, "numeric")) if "numeric" in lv else None
            levels.append(Level(_str(lv["label"], _p(lp, "label"), nonempty=True), _set_table(lv["set"], _p(lp, "set")), num))
    else:
        if "key" not in f or "values" not in f:
            raise ConfigError(_p(path, "key" if "key" not in f else "values"),
                              "required key is missing (a factor needs key + values, or levels)")
        key = _str(f["key"], _p(path, "key"), nonempty=True)
        values = [_scalar(v, _p(_p(path, "values"), j)) for j, v in enumerate(_list(f["values"], _p(path, "values"), 1))]
        labels = f.get("labels")
        if labels is not None:
            labels = [_str(v, _p(_p(path, "labels"), j), nonempty=True) for j, v in enumerate(_list(labels, _p(path, "labels")))]
            if len(labels) != len(values):
                raise ConfigError(_p(path, "labels"), f"expected {len(values)} labels (one per value), got {len(labels)}")
        numeric = f.get("numeric")
        if numeric is not None:
            numeric = [_float(v, _p(_p(path, "numeric"), j)) for j, v in enumerate(_list(numeric, _p(path, "numeric")))]
            if len(numeric) != len(values):
                raise ConfigError(_p(path, "numeric"), f"expected {len(values)} numbers (one per value), got {len(numeric)}")
        for j, v in enumerate(values):
            num = numeric[j] if numeric is not None else (float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None)
            levels.append(Level(labels[j] if labels else str(v), {key: v}, num))
    seen: set[str] = set()
    for j, lv in enumerate(levels):
        if lv.label in seen:
            raise ConfigError(_p(_p(path, "levels" if "levels" in f else "labels"), j), f"duplicate level label {lv.label!r}")
        seen.add(lv.label)
    return Factor(name, levels)


# ---------------------------------------------------------------------------- plan
@dataclass
class Condition:
    id: str
    role: str  # "condition" or "control"
    set: dict[str, Any]  # dotted key -> value on top of the base
    columns: dict[str, Any]  # descriptive columns (factor labels and numeric values, sample values)
    control: str | None = None  # id of the matched control condition
    index: int = 0

    @property
    def key(self) -> str:
        return f"{slug(self.id)}-{_hash(self.id)}"


@dataclass
class Run:
    run_id: str
    condition: str
    replicate: int
    seed: int
    fingerprint: str
    config: dict[str, Any]  # the resolved, validated config as plain data
    index: int
    patient: dict[str, float] = field(default_factory=dict)  # drawn patient values ([patients])

    def meta(self) -> dict[str, Any]:
        m = {"run_id": self.run_id, "condition": self.condition, "replicate": self.replicate, "seed": self.seed,
             "fingerprint": self.fingerprint, "index": self.index}
        if self.patient:
            m["patient"] = dict(self.patient)
        return m


@dataclass
class Plan:
    spec: Spec
    conditions: list[Condition]
    runs: list[Run]
    samples: np.ndarray | None = None  # (n_samples, n_params) for morris / sobol, parameter space

    def condition(self, cid: str) -> Condition:
        return self._by_id[cid]

    def __post_init__(self) -> None:
        self._by_id = {c.id: c for c in self.conditions}

    def to_json(self) -> dict[str, Any]:
        return {"spec": self.spec.name,
                "conditions": [{"id": c.id, "role": c.role, "set": c.set, "columns": c.columns, "control": c.control,
                                "index": c.index} for c in self.conditions],
                "runs": [r.meta() for r in self.runs],
                "samples": None if self.samples is None else self.samples.tolist()}


def _canonical_set(s: dict[str, Any]) -> str:
    return json.dumps(dict(sorted(s.items())), sort_keys=True)


def _nested(flat: dict[str, Any]) -> dict:
    out: dict = {}
    for key, v in flat.items():
        node = out
        parts = key.split(".")
        for k in parts[:-1]:
            node = node.setdefault(k, {})
            if not isinstance(node, dict):
                raise ConfigError(key, "is a value, not a table")
        node[parts[-1]] = v
    return out


def _get(data: dict, key: str) -> Any:
    node: Any = data
    for k in key.split("."):
        if not isinstance(node, dict) or k not in node:
            raise ConfigError(key, "unknown config key")
        node = node[k]
    return node


def base_data(spec: Spec) -> dict:
    """The base config as plain data: default <- base.config file/preset <- base.set."""
    data = default_config_dict()
    if spec.base_config:
        p = Path(spec.base_config)
        cands = [p] if p.is_absolute() else ([Path(spec.source).parent / p] if spec.source else []) + [p, PRESET_DIR / f"{p}.toml"]
        for c in cands:
            if c.is_file():
                data = merge(data, read_toml(c))
                break
        else:
            raise ConfigError("base.config", f"{spec.base_config!r} is neither a config file (relative to the spec or "
                              f"the working folder) nor a preset in {PRESET_DIR}")
    try:
        data = merge(data, _nested(spec.base_set))
    except ConfigError as exc:
        raise ConfigError(f"base.set.{exc.path}", exc.message) from None
    if spec.steps is not None:
        data["model"]["steps"] = spec.steps
    if spec.record_every is not None:
        data["output"]["record_every"] = spec.record_every
    return data


def _seed(spec: Spec, cond: Condition, replicate: int) -> int:
    if spec.seeds == "common":  # common random numbers: replicate r of every condition shares a seed
        key: tuple[int, ...] = (replicate,)
    else:
        h = hashlib.sha256(_canonical_set(cond.set).encode()).digest()
        key = (replicate, *np.frombuffer(h[:16], dtype=np.uint32).tolist())
    state = np.random.SeedSequence(spec.master_seed, spawn_key=key).generate_state(2, dtype=np.uint64)
    return int(state[0] & np.uint64(_MAX_SEED))


def _conditions(spec: Spec, base: dict) -> tuple[list[Condition], np.ndarray | None, list[dict]]:
    """Design conditions (role 'condition') and, per condition, the set its control inherits."""
    conds: list[Condition] = []
    inherits: list[dict] = []
    samples = None
    if spec.design_kind == "grid":
        import itertools

        for combo in itertools.product(*[range(len(f.levels)) for f in spec.factors]):
            s: dict[str, Any] = {}
            cols: dict[str, Any] = {}
            inh: dict[str, Any] = {}
            for f, j in zip(spec.factors, combo):
                lv = f.levels[j]
                s.update(lv.set)
                cols[f.name] = lv.label
                if lv.numeric is not None or any(fl.numeric is not None for fl in f.levels):
                    cols[f"{f.name}_value"] = lv.numeric
                if spec.control_inherit is None or f.name in spec.control_inherit:
                    inh.update(lv.set)
            cid = ",".join(f"{f.name}={f.levels[j].label}" for f, j in zip(spec.factors, combo))
            conds.append(Condition(cid, "condition", s, cols))
            inherits.append(inh)
    elif spec.design_kind == "conditions":
        for c in spec.conditions:
            conds.append(Condition(c["id"], "condition", dict(c["set"]), {}))
            inherits.append(dict(c["set"]) if c["control"] else None)
    else:
        problem = salib_problem(spec)
        samples = salib_sample(spec, problem)
        for i, row in enumerate(samples):
            s, cols, inh = {}, {}, {}
            for prm, x in zip(spec.parameters, row):
                value = 10.0 ** x if prm.log else float(x)
                cols[prm.name] = value
                for key in prm.keys:
                    v = value
                    if prm.scale == "multiply":
                        try:
                            b = _get(base, key)
                        except ConfigError as exc:
                            raise ConfigError(f"design.parameters.{prm.name}.keys", f"{exc.path}: {exc.message}") from None
                        v = value * b
                    s[key] = int(round(v)) if prm.integer else float(v)
                    if spec.control_inherit is None or prm.name in spec.control_inherit:
                        inh[key] = s[key]
            conds.append(Condition(f"s{i:05d}", "condition", s, cols))
            inherits.append(inh)
    return conds, samples, inherits


def salib_problem(spec: Spec) -> dict[str, Any]:
    return {"num_vars": len(spec.parameters), "names": [p.name for p in spec.parameters],
            "bounds": [[math.log10(p.bounds[0]), math.log10(p.bounds[1])] if p.log else list(p.bounds)
                       for p in spec.parameters]}


def salib_sample(spec: Spec, problem: dict) -> np.ndarray:
    seed = int(np.random.SeedSequence(spec.master_seed, spawn_key=(2**31 - 1,)).generate_state(1)[0])
    if spec.design_kind == "morris":
        from SALib.sample import morris

        return morris.sample(problem, spec.samples, num_levels=spec.levels, seed=seed)
    from SALib.sample import sobol

    return sobol.sample(problem, spec.samples, calc_second_order=spec.second_order, seed=seed)


def _run_name(spec: Spec, c: Condition, r: int) -> str:
    """``model.name`` of a run: short (<= 64 characters) and file-name safe."""
    return f"{slug(spec.name, 24)}-{c.key[-8:]}-r{r}"


def plan(spec: Spec, validate: bool = True) -> Plan:
    """Every condition (with matched controls, de-duplicated) and every run, with seeds and configs."""
    base = base_data(spec)
    try:
        build_config(copy.deepcopy(base))
    except ConfigError as exc:
        raise ConfigError(f"base: {exc.path}", exc.message) from None
    conds, samples, inherits = _conditions(spec, base)
    by_set = {}
    for c in conds:
        by_set.setdefault(_canonical_set(c.set), c.id)
    controls: list[Condition] = []
    if spec.control_set is not None:
        for c, inh in zip(conds, inherits):
            if inh is None:
                continue
            cset = {**inh, **spec.control_set}
            canon = _canonical_set(cset)
            if canon in by_set:
                c.control = by_set[canon]
                continue
            desc = ",".join(f"{k}={v}" for k, v in sorted(cset.items()))
            ctrl = Condition(f"control[{desc}]", "control", cset, {})
            controls.append(ctrl)
            by_set[canon] = ctrl.id
            c.control = ctrl.id
    all_conds = conds + controls
    ids = set()
    for i, c in enumerate(all_conds):
        c.index = i
        if c.key in ids:  # pragma: no cover - sha collision
            raise ConfigError("design", f"two conditions share the file name {c.key!r}")
        ids.add(c.key)
    runs: list[Run] = []
    for c in all_conds:
        where = (f"design.conditions.{c.id}" if spec.design_kind == "conditions" else f"condition {c.id!r}")
        try:
            data = merge(base, _nested(c.set))
        except ConfigError as exc:
            raise ConfigError(f"{where}: set.{exc.path}", exc.message) from None
        cfg_data = None
        data["model"] = dict(data["model"], name=_run_name(spec, c, 0))
        if validate:
            try:
                cfg_data = build_config(copy.deepcopy(data)).to_dict()
            except ConfigError as exc:
                raise ConfigError(f"{where}: {exc.path}", exc.message) from None
        else:
            cfg_data = data
        for r in range(spec.replicates):
            seed = _seed(spec, c, r)
            drawn: dict[str, float] = {}
            if spec.patients:  # virtual patient r: the same draws in every condition (paired arms)
                from mscabm.experiments.cohort import draw_patient

                psets, drawn = draw_patient(spec.patients, spec.master_seed, r, base)
                pdata = merge(merge(base, _nested(psets)), _nested(c.set))
                pdata["model"] = dict(pdata["model"], name=_run_name(spec, c, r))
                try:
                    cfg = build_config(pdata).to_dict() if validate else pdata
                except ConfigError as exc:
                    raise ConfigError(f"{where}: patient {r}: {exc.path}", exc.message) from None
            else:
                cfg = copy.deepcopy(cfg_data)
            cfg["model"]["seed"] = seed
            cfg["model"]["name"] = _run_name(spec, c, r)
            fp = _hash({"config": cfg, "final": spec.final,
                        "derived": [d.__dict__ for d in spec.derived if d.kind in RUN_DERIVED]}, 16)
            runs.append(Run(f"{c.key}-r{r:03d}", c.id, r, seed, fp, cfg, len(runs), drawn))
    return Plan(spec, all_conds, runs, samples)
