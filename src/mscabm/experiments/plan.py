"""The plan of a spec: conditions, matched controls and runs, each run's seed and config.

:func:`plan` turns a :class:`~mscabm.experiments.spec.Spec` into conditions (de-duplicated
matched controls included) and runs; each run has a stable id (safe as a file name), a seed
derived from the master seed, its resolved and validated config, and a fingerprint of
everything that determines its result (resume uses it). Errors name the condition and the
config key.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mscabm.config import PRESET_DIR, build_config, default_config_dict, merge, read_config_file, resolve_path, set_path
from mscabm.experiments.manifest import slug
from mscabm.experiments.patients import draw_patient
from mscabm.experiments.spec import MAX_SEED, RUN_DERIVED, Spec
from mscabm.schema import ConfigError

__all__ = ["Condition", "Run", "Plan", "plan", "base_data", "salib_problem", "salib_sample", "SAMPLE_KEY"]

SAMPLE_KEY = 2**31 - 1  # spawn key of the sampled designs' SALib seed (patients.PATIENT_KEY: 2**31 - 2)


def _hash(obj: Any, n: int = 8) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:n]


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
    """Dotted key -> value as nested tables (``mscabm.config.set_path``)."""
    out: dict = {}
    for key, v in flat.items():
        set_path(out, key, v)
    return out


def _overlay(base: dict, flat: dict[str, Any], where: str) -> dict:
    try:
        return merge(base, _nested(flat))
    except ConfigError as exc:
        raise ConfigError(f"{where}{exc.path}", exc.message) from None


def base_data(spec: Spec) -> dict:
    """The base config as plain data: default <- base.config file/preset (with its ``extends`` chain) <- base.set."""
    data = default_config_dict()
    if spec.base_config:
        p = resolve_path(spec.base_config, relative_to=Path(spec.source).parent if spec.source else None)
        if not p.is_file():
            raise ConfigError("base.config", f"{spec.base_config!r} is neither a config file (relative to the spec or "
                              f"the working folder) nor a preset in {PRESET_DIR}")
        data = merge(data, read_config_file(p))
    data = _overlay(data, spec.base_set, "base.set.")
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
    return int(state[0] & np.uint64(MAX_SEED))


def _conditions(spec: Spec, base: dict) -> tuple[list[Condition], np.ndarray | None, list[dict | None]]:
    """Design conditions (role 'condition') and, per condition, the set its control inherits."""
    conds: list[Condition] = []
    inherits: list[dict | None] = []
    samples = None
    if spec.design_kind == "grid":
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
        samples = salib_sample(spec, salib_problem(spec))
        for i, row in enumerate(samples):
            s, cols, inh = {}, {}, {}
            for k, (prm, x) in enumerate(zip(spec.parameters, row)):
                value = prm.from_sample(x)
                cols[prm.name] = value
                applied = prm.apply(value, base, f"design.parameters[{k}]")
                s.update(applied)
                if spec.control_inherit is None or prm.name in spec.control_inherit:
                    inh.update(applied)
            conds.append(Condition(f"s{i:05d}", "condition", s, cols))
            inherits.append(inh)
    return conds, samples, inherits


def salib_problem(spec: Spec) -> dict[str, Any]:
    """SALib's problem dict of a morris or sobol spec (bounds in the sample space)."""
    return {"num_vars": len(spec.parameters), "names": [p.name for p in spec.parameters],
            "bounds": [p.sample_bounds() for p in spec.parameters]}


def salib_sample(spec: Spec, problem: dict) -> np.ndarray:
    """(n_samples, n_params) sample-space points of a morris or sobol design (seeded by the master seed)."""
    seed = int(np.random.SeedSequence(spec.master_seed, spawn_key=(SAMPLE_KEY,)).generate_state(1)[0])
    if spec.design_kind == "morris":
        from SALib.sample import morris

        return morris.sample(problem, spec.samples, num_levels=spec.levels, seed=seed)
    from SALib.sample import sobol

    return sobol.sample(problem, spec.samples, calc_second_order=spec.second_order, seed=seed)


def _run_name(spec: Spec, c: Condition, r: int) -> str:
    """``model.name`` of a run: short (<= 64 characters) and file-name safe."""
    return f"{slug(spec.name, 24)}-{c.key[-8:]}-r{r}"


def _controls(spec: Spec, conds: list[Condition], inherits: list[dict | None]) -> list[Condition]:
    """Matched controls: a design condition where one has the control's overrides, else a new one (once)."""
    by_set: dict[str, str] = {}
    for c in conds:
        by_set.setdefault(_canonical_set(c.set), c.id)
    controls: list[Condition] = []
    if spec.control_set is None:
        return controls
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
    return controls


def _build(data: dict, validate: bool, where: str) -> dict:
    if not validate:
        return data
    try:
        return build_config(data).to_dict()
    except ConfigError as exc:
        raise ConfigError(f"{where}{exc.path}", exc.message) from None


#: config keys that only document (a variable's ``doc``, a rule's or enzyme's ``source`` citation)
TEXT_KEYS = ("doc", "source")


def _without_text(data: Any) -> Any:
    """Config data without its documentation strings (:data:`TEXT_KEYS`): what a run's fingerprint
    hashes, so that mending a citation or a doc string does not make ``--resume`` rerun finished runs."""
    if isinstance(data, dict):
        return {k: _without_text(v) for k, v in data.items() if not (k in TEXT_KEYS and isinstance(v, str))}
    return data


def plan(spec: Spec, validate: bool = True) -> Plan:
    """Every condition (with matched controls, de-duplicated) and every run, with seeds and configs."""
    base = base_data(spec)
    try:
        build_config(copy.deepcopy(base))
    except ConfigError as exc:
        raise ConfigError(f"base: {exc.path}", exc.message) from None
    conds, samples, inherits = _conditions(spec, base)
    all_conds = conds + _controls(spec, conds, inherits)
    ids = set()
    for i, c in enumerate(all_conds):
        c.index = i
        if c.key in ids:  # pragma: no cover - sha collision
            raise ConfigError("design", f"two conditions share the file name {c.key!r}")
        ids.add(c.key)
    run_derived = [d.__dict__ for d in spec.derived if d.kind in RUN_DERIVED]
    runs: list[Run] = []
    for c in all_conds:
        where = (f"design.conditions.{c.id}" if spec.design_kind == "conditions" else f"condition {c.id!r}")
        data = _overlay(base, c.set, f"{where}: set.")
        data["model"] = dict(data["model"], name=_run_name(spec, c, 0))
        cfg_data = _build(copy.deepcopy(data), validate, f"{where}: ")
        for r in range(spec.replicates):
            seed = _seed(spec, c, r)
            drawn: dict[str, float] = {}
            if spec.patients or spec.patient_sets:  # virtual patient r: the same draws in every arm (paired)
                psets, drawn = draw_patient(spec.patients, spec.master_seed, r, base, spec.patient_sets)
                pdata = merge(_overlay(base, psets, f"{where}: patient {r}: "), _nested(c.set))
                pdata["model"] = dict(pdata["model"], name=_run_name(spec, c, r))
                cfg = _build(pdata, validate, f"{where}: patient {r}: ")
            else:
                cfg = copy.deepcopy(cfg_data)
            cfg["model"]["seed"] = seed
            cfg["model"]["name"] = _run_name(spec, c, r)
            fp = _hash({"config": _without_text(cfg), "final": spec.final, "derived": run_derived}, 16)
            runs.append(Run(f"{c.key}-r{r:03d}", c.id, r, seed, fp, cfg, len(runs), drawn))
    return Plan(spec, all_conds, runs, samples)
