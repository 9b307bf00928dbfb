"""Parameters: a value drawn from a distribution and applied to dotted config keys.

One concept serves two places of a spec:

- ``[[design.parameters]]`` (morris / sobol designs): uniform in ``bounds`` (in log10 space with
  ``log = true``); SALib draws the values (:mod:`mscabm.experiments.plan`);
- ``[[patients.vary]]`` (virtual cohorts): normal (mean, sd), lognormal (median, sigma of ln) or
  uniform (low, high), optionally clipped; drawn per patient (:mod:`mscabm.experiments.patients`).

Either way the value ``x`` is applied the same way (:meth:`Parameter.apply`): each key is set to
``x`` (``scale = "value"``) or to ``x`` times the base config's value (``"multiply"``), rounded to
an integer if ``integer = true``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Literal

import numpy as np

from mscabm.config import get_path
from mscabm.experiments.checks import KEY, NAME, not_used
from mscabm.schema import ConfigError, join_path, option

__all__ = ["Parameter", "DISTS", "SampledParameterDoc", "DrawnParameterDoc", "sampled_parameter", "drawn_parameter"]

#: distribution -> its parameters, in the order of the spec keys
DISTS: dict[str, tuple[str, ...]] = {"normal": ("mean", "sd"), "lognormal": ("median", "sigma"),
                                     "uniform": ("low", "high")}


@dataclass
class Parameter:
    """A drawn value applied to dotted config keys.

    ``dist`` and ``params`` give its distribution (``DISTS``); ``log``: uniform in log10 space
    (sampled designs); ``clip``: (low, high) bounds of a drawn value; ``scale``: "value" or
    "multiply" (x the base config's value); ``integer``: round the applied values.
    """

    name: str
    keys: list[str]
    dist: str = "uniform"
    params: dict[str, float] = field(default_factory=dict)
    clip: tuple[float, float] | None = None
    log: bool = False
    scale: str = "value"
    integer: bool = False

    @property
    def bounds(self) -> tuple[float, float]:
        """(low, high) of a uniform parameter, in the parameter's own units."""
        return self.params["low"], self.params["high"]

    def sample_bounds(self) -> list[float]:
        """[low, high] of the space a sampler draws in: log10 of the bounds if ``log``."""
        lo, hi = self.bounds
        return [math.log10(lo), math.log10(hi)] if self.log else [lo, hi]

    def from_sample(self, x: float) -> float:
        """The parameter's value for a point ``x`` of the sample space (:meth:`sample_bounds`)."""
        return 10.0 ** x if self.log else float(x)

    def to_sample(self, value: float) -> float:
        """The point of the sample space for the parameter's ``value`` (inverse of :meth:`from_sample`)."""
        return math.log10(value) if self.log else float(value)

    def draw(self, rng: np.random.Generator) -> float:
        """One value from the distribution (one call of ``rng``), clipped to ``clip``."""
        p = self.params
        if self.dist == "normal":
            x = rng.normal(p["mean"], p["sd"])
        elif self.dist == "lognormal":
            x = p["median"] * math.exp(rng.normal(0.0, p["sigma"]))
        elif self.log:
            x = 10.0 ** rng.uniform(*self.sample_bounds())
        else:
            x = rng.uniform(p["low"], p["high"])
        if self.clip:
            x = min(max(x, self.clip[0]), self.clip[1])
        return float(x)

    def apply(self, x: float, base: dict, path: str) -> dict[str, int | float]:
        """Dotted key -> value of every key for the value ``x``.

        ``base``: the base config as plain data (read by ``scale = "multiply"``); ``path``: the
        parameter's key path in the spec, for errors.
        """
        out: dict[str, int | float] = {}
        for j, key in enumerate(self.keys):
            v = x
            if self.scale == "multiply":
                b = get_path(base, key)
                if not isinstance(b, int | float) or isinstance(b, bool):
                    raise ConfigError(join_path(join_path(path, "keys"), j),
                                      f"scale = 'multiply' needs a number at {key!r} in the base config, found "
                                      + ("a table" if isinstance(b, dict) else repr(b)[:60]))
                v = x * b
            out[key] = int(round(v)) if self.integer else float(v)
        return out


# ---------------------------------------------------------------------------- spec sections
_SCALE = {"doc": "value: set the keys to the value; multiply: x the base config's value"}


@dataclass
class SampledParameterDoc:
    """``[[design.parameters]]`` of a morris or sobol design."""

    name: str = option(**NAME, doc="column of the sampled value in results.parquet")
    keys: list[str] = option(**KEY, doc="dotted config keys the value is applied to")
    bounds: list[float] = option(min_items=2, max_items=2, form="[low, high]", doc="sampled range")
    scale: Literal["value", "multiply"] = option("value", **_SCALE)
    log: bool = option(False, doc="sample log10 space (bounds > 0)")
    integer: bool = option(False, doc="round the applied values")


@dataclass
class DrawnParameterDoc:
    """``[[patients.vary]]``: one value per virtual patient."""

    name: str = option(**NAME, doc="column patient_<name> in results.parquet")
    keys: list[str] = option(**KEY, doc="dotted config keys the value is applied to")
    dist: Literal["normal", "lognormal", "uniform"] = option(doc="distribution (its parameters: DISTS)")
    mean: float | None = option(None, doc="normal: mean")
    sd: float | None = option(None, min=0.0, doc="normal: standard deviation")
    median: float | None = option(None, gt=0.0, doc="lognormal: median")
    sigma: float | None = option(None, min=0.0, max=20.0, doc="lognormal: sd of the natural log")
    low: float | None = option(None, doc="uniform: lower bound")
    high: float | None = option(None, doc="uniform: upper bound")
    clip: list[float] | None = option(None, min_items=2, max_items=2, form="[low, high]",
                                      doc="bounds of the drawn value")
    scale: Literal["value", "multiply"] = option("value", **_SCALE)
    integer: bool = option(False, doc="round the applied values")


def sampled_parameter(d: SampledParameterDoc, path: str) -> Parameter:
    """A parsed ``[[design.parameters]]`` table (checked here across its keys) as a uniform :class:`Parameter`."""
    lo, hi = d.bounds
    if not lo < hi:
        raise ConfigError(join_path(path, "bounds"), f"low {lo} must be below high {hi}")
    if d.log and lo <= 0:
        raise ConfigError(join_path(path, "bounds"), "log-scaled bounds must be > 0")
    return Parameter(d.name, list(d.keys), "uniform", {"low": lo, "high": hi}, None, d.log, d.scale, d.integer)


def drawn_parameter(d: DrawnParameterDoc, path: str) -> Parameter:
    """A parsed ``[[patients.vary]]`` table (checked here across its keys) as a :class:`Parameter`."""
    need = DISTS[d.dist]
    others = tuple(k for ks in DISTS.values() for k in ks if k not in need)
    allowed = tuple(f.name for f in fields(DrawnParameterDoc) if f.name not in others)
    not_used(d, path, others, f"dist = {d.dist!r}", allowed)
    for k in need:
        if getattr(d, k) is None:
            raise ConfigError(join_path(path, k), f"required key is missing (dist = {d.dist!r} needs "
                              f"{', '.join(need)})")
    params = {k: float(getattr(d, k)) for k in need}
    if d.dist == "uniform" and not params["low"] < params["high"]:
        raise ConfigError(join_path(path, "high"), f"{params['high']} must be above low ({params['low']})")
    clip = None
    if d.clip is not None:
        clip = (d.clip[0], d.clip[1])
        if not clip[0] <= clip[1]:
            raise ConfigError(join_path(path, "clip"), "low must not exceed high")
    return Parameter(d.name, list(d.keys), d.dist, params, clip, False, d.scale, d.integer)
