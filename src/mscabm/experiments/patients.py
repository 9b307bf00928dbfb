"""Virtual patients (``[patients]`` in a spec): per-replicate draws, paired across arms.

Each replicate is one virtual patient. Its values are drawn from the distributions in
``[[patients.vary]]`` (each a :class:`~mscabm.experiments.parameters.Parameter`) with a
generator seeded by ``SeedSequence(master_seed, spawn_key=(PATIENT_KEY, replicate))``, so patient
r has the same values in every arm (control, drug, MSC, drug + MSC): arms are paired, like a
crossover trial of identical twins, and with ``seeds = "common"`` (default) the run-in before
treatment is bit-identical across arms. Keys apply on top of the base config and under each
condition's ``set``. One entry::

    [[patients.vary]]
    name = "treg_fraction"                 # column patient_treg_fraction in results.parquet
    keys = ["cells.T.state_fractions.Treg"]
    dist = "normal"                        # normal (mean, sd) | lognormal (median, sigma of ln) | uniform (low, high)
    mean = 0.06
    sd = 0.02
    clip = [0.01, 0.2]                     # optional bounds
    scale = "value"                        # value | multiply (x the base config's value)
    integer = false

``[[patients.sets]]`` (optional, with or without ``vary``): explicit overrides, patient r taking
``sets[r mod len(sets)]`` (dotted key -> value, on top of its draws; column ``patient_set`` = the
index): e.g. a fit's posterior draws, one per patient (``mscabm experiment SPEC --posterior``).
A condition that sets the same key keeps its own value (as a grid level does over the base); a key
that ``vary`` draws is refused (its ``patient_<name>`` column would report a draw that no run used).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from mscabm.experiments.checks import parse_set_table
from mscabm.experiments.parameters import DISTS, DrawnParameterDoc, Parameter, drawn_parameter
from mscabm.schema import ConfigError, join_path, option, parse

__all__ = ["PATIENT_KEY", "DISTS", "PatientsDoc", "parse_patients", "patient_parameters", "patient_sets",
           "draw_patient"]

PATIENT_KEY = 2**31 - 2  # spawn key of the patient draws (the sampled designs use 2**31 - 1)


@dataclass
class PatientsDoc:
    """``[patients]``: the per-patient draws."""

    vary: list[DrawnParameterDoc] = option(default_factory=list, doc="[[patients.vary]] tables, one per drawn value")
    sets: list[dict[str, Any]] = option(default_factory=list, parser=lambda v, p: _parse_sets(v, p),
                                        doc="[[patients.sets]] explicit overrides (dotted key -> value), patient r "
                                            "takes sets[r mod len]")


def parse_patients(doc: Any, path: str = "patients") -> list[Parameter]:
    """Validate the ``[patients]`` table (key paths in errors): its draws (the sets are checked too)."""
    d = parse(PatientsDoc, doc, path)
    patient_sets(d, path)
    return patient_parameters(d, path)


def patient_parameters(d: PatientsDoc, path: str = "patients") -> list[Parameter]:
    """A parsed ``[patients]`` table (checked here across its entries) as a list of parameters."""
    out: list[Parameter] = []
    for i, v in enumerate(d.vary):
        vp = join_path(join_path(path, "vary"), i)
        prm = drawn_parameter(v, vp)
        if any(p.name == prm.name for p in out):
            raise ConfigError(join_path(vp, "name"), f"duplicate patient variable {prm.name!r}")
        out.append(prm)
    return out


def patient_sets(d: PatientsDoc, path: str = "patients") -> list[dict[str, Any]]:
    """The ``[[patients.sets]]`` tables, checked: each a non-empty table of dotted keys (the values are
    checked when the runs' configs are built); at least one of ``vary`` and ``sets`` is given."""
    if not d.vary and not d.sets:
        raise ConfigError(join_path(path, "vary"), "no draws: needs [[patients.vary]] or [[patients.sets]] tables")
    for i, s in enumerate(d.sets):
        if not s:
            raise ConfigError(join_path(join_path(path, "sets"), i), "an empty set; allowed: dotted config keys -> "
                                                                       "values")
    return [dict(s) for s in d.sets]


def _parse_sets(value: Any, path: str) -> list[dict[str, Any]]:
    """``[[patients.sets]]``: a list of set tables (dotted config key -> value)."""
    if not isinstance(value, list):
        raise ConfigError(path, f"expected a list of tables ([[patients.sets]]), got {value!r}")
    return [parse_set_table(v, join_path(path, i)) for i, v in enumerate(value)]


def draw_patient(variables: list[Parameter], master_seed: int, replicate: int,
                 base: dict, sets: list[dict[str, Any]] | None = None) -> tuple[dict[str, Any], dict[str, float]]:
    """(dotted key -> value overrides, name -> drawn value) of patient ``replicate``.

    ``base``: the base config as plain data (for ``scale = "multiply"``); ``sets``: the explicit
    ``[[patients.sets]]``, patient r taking ``sets[r mod len]`` after its draws (drawn value ``set``).
    """
    rng = np.random.default_rng(np.random.SeedSequence(master_seed, spawn_key=(PATIENT_KEY, replicate)))
    overrides: dict[str, Any] = {}
    drawn: dict[str, float] = {}
    for i, v in enumerate(variables):
        x = v.draw(rng)
        drawn[v.name] = x
        overrides.update(v.apply(x, base, f"patients.vary[{i}]"))
    if sets:
        k = replicate % len(sets)
        overrides.update(sets[k])
        drawn["set"] = float(k)
    return overrides, drawn
