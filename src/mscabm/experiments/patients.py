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
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from mscabm.experiments.parameters import DISTS, DrawnParameterDoc, Parameter, drawn_parameter
from mscabm.schema import ConfigError, join_path, option, parse

__all__ = ["PATIENT_KEY", "DISTS", "PatientsDoc", "parse_patients", "patient_parameters", "draw_patient"]

PATIENT_KEY = 2**31 - 2  # spawn key of the patient draws (the sampled designs use 2**31 - 1)


@dataclass
class PatientsDoc:
    """``[patients]``: the per-patient draws."""

    vary: list[DrawnParameterDoc] = option(min_items=1, doc="[[patients.vary]] tables, one per drawn value")


def parse_patients(doc: Any, path: str = "patients") -> list[Parameter]:
    """Validate the ``[patients]`` table (key paths in errors)."""
    return patient_parameters(parse(PatientsDoc, doc, path), path)


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


def draw_patient(variables: list[Parameter], master_seed: int, replicate: int,
                 base: dict) -> tuple[dict[str, Any], dict[str, float]]:
    """(dotted key -> value overrides, name -> drawn value) of patient ``replicate``.

    ``base``: the base config as plain data (for ``scale = "multiply"``).
    """
    rng = np.random.default_rng(np.random.SeedSequence(master_seed, spawn_key=(PATIENT_KEY, replicate)))
    sets: dict[str, Any] = {}
    drawn: dict[str, float] = {}
    for i, v in enumerate(variables):
        x = v.draw(rng)
        drawn[v.name] = x
        sets.update(v.apply(x, base, f"patients.vary[{i}]"))
    return sets, drawn
