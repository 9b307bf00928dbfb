"""Parameter uncertainty in an experiment: run a spec over draws from a fit's posterior.

``mscabm experiment SPEC --posterior FIT_DIR --draws N`` reads the fit folder's ``fit.json`` (written
by ``mscabm fit``: per free parameter its best value, dotted keys, scale, bounds, ``log``, the
linearised sd in its search space (log10 where ``log``), whether the targets identify it, and the
correlations) and draws N parameter sets:

- the identified parameters jointly from the fit's Laplace approximation, a normal distribution in
  search space around the best fit with covariance ``D R D`` (sd ``D``, correlations ``R``), a draw
  outside the bounds redrawn (up to 100 times, then clipped to them);
- a parameter the targets do not identify uniformly over its bounds in search space (nothing
  constrains it: the flat prior of the fit's box).

A grid design gains the factor :data:`POSTERIOR_FACTOR` with one level per draw, setting
every parameter's keys as the fit applies them (``value`` or ``multiply`` x the base config's
value; a parameter the fit applied only in some experiment specs, ``[[parameters]] specs``, only in a
spec of one of those names); it comes first, so that a level of the spec's own factors that sets a fitted key keeps its
value, as it does over the fit's ``[base.set]``. Matched controls inherit it, so a draw's control
carries the same parameters. Replicate seeds stay common across draws: the spread between draws is parameter
uncertainty, the spread within a draw replicate noise. A conditions design (a virtual cohort) gains
``[[patients.sets]]`` instead: patient r runs at draw ``r mod N`` in every arm, so the arms stay
paired and the cohort's responders carry the parameter uncertainty. :func:`predictive_table`
(``predictive.csv`` and a report section) summarises each condition over all draws and replicates.

The draws are a local, Gaussian statement like the fit's intervals (docs/calibration.md). A fit
by ABC-SMC (``method = "abcsmc"``) writes its posterior sample instead (``posterior_sample``: the
last generation's particles and weights); its draws are that sample resampled by weight, every
parameter jointly, identified or not.
"""

from __future__ import annotations

import copy
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from mscabm.config import paths_overlap
from mscabm.experiments.parameters import Parameter
from mscabm.experiments.plan import base_data
from mscabm.experiments.spec import Spec, parse_spec
from mscabm.schema import ConfigError

__all__ = ["POSTERIOR_FACTOR", "MAX_DRAWS", "Posterior", "load_posterior", "posterior_spec", "condition_factors",
           "draw_column", "predictive_table"]

#: the grid factor a posterior run adds (one level per draw)
POSTERIOR_FACTOR = "posterior_draw"
#: most draws one run takes (each draw multiplies the spec's runs)
MAX_DRAWS = 1000
_REDRAWS = 100


@dataclass
class PosteriorParameter:
    """One fitted parameter as fit.json gives it."""

    name: str
    keys: list[str]
    bounds: tuple[float, float]
    log: bool
    scale: str
    best: float
    sd_search: float  # inf where not identified
    identified: bool
    specs: tuple[str, ...] = ()  # the fit applied it only in these experiment specs (); () = in every spec

    def applies_to(self, spec_name: str) -> bool:
        """Whether a draw sets it in the experiment spec named ``spec_name`` (as the fit applied it)."""
        return not self.specs or spec_name in self.specs

    @property
    def parameter(self) -> Parameter:
        return Parameter(self.name, list(self.keys), params={"low": self.bounds[0], "high": self.bounds[1]},
                         log=self.log, scale=self.scale)


@dataclass
class Posterior:
    """The posterior of one fit: linearised, or an ABC-SMC sample (see the module docstring)."""

    fit_name: str
    folder: Path
    parameters: list[PosteriorParameter]
    correlation: np.ndarray  # (d, d)
    sample: np.ndarray | None = None  # (n_particles, d) search space: an ABC-SMC fit's posterior sample
    weights: np.ndarray | None = None  # (n_particles,), sum 1

    def draw(self, n: int, rng: np.random.Generator) -> list[dict[str, float]]:
        """``n`` parameter sets (name -> value) from ``rng``."""
        if self.sample is not None and self.weights is not None:  # ABC-SMC: resample the particles by weight
            rows = rng.choice(len(self.weights), size=n, p=self.weights)
            return [{p.name: p.parameter.from_sample(float(self.sample[r, j])) for j, p in enumerate(self.parameters)}
                    for r in rows]
        d = len(self.parameters)
        box = np.array([p.parameter.sample_bounds() for p in self.parameters]).reshape(d, 2)
        ident = [j for j, p in enumerate(self.parameters) if p.identified]
        lo, hi = box[ident, 0], box[ident, 1]
        mean = np.array([self.parameters[j].parameter.to_sample(self.parameters[j].best) for j in ident])
        sd = np.array([self.parameters[j].sd_search for j in ident])
        corr = self.correlation[np.ix_(ident, ident)] if ident else np.zeros((0, 0))
        cov = np.nan_to_num(corr, nan=0.0) * np.outer(sd, sd)
        np.fill_diagonal(cov, sd**2)
        w, v = np.linalg.eigh(cov) if ident else (np.zeros(0), np.zeros((0, 0)))
        root = v * np.sqrt(np.clip(w, 0.0, None))  # cov = root root^T (a semi-definite estimate is clipped)
        out = []
        for _ in range(n):
            s = np.empty(d)
            if ident:
                for _try in range(_REDRAWS):
                    x = mean + root @ rng.standard_normal(len(ident))
                    if np.all((x >= lo) & (x <= hi)):
                        break
                s[ident] = np.clip(x, lo, hi)
            for j, p in enumerate(self.parameters):
                if not p.identified:
                    s[j] = rng.uniform(box[j, 0], box[j, 1])
            out.append({p.name: p.parameter.from_sample(float(s[j])) for j, p in enumerate(self.parameters)})
        return out


def load_posterior(folder: str | Path) -> Posterior:
    """Read ``folder/fit.json``; a folder without a usable fit is refused (ConfigError at ``--posterior``)."""
    folder = Path(folder)
    path = folder / "fit.json"
    if not path.is_file():
        raise ConfigError("--posterior", f"{folder} holds no fit.json; allowed: an output folder of `mscabm fit`")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        params = []
        for p in doc["parameters"]:
            if "identified" not in p:
                why = ("its ABC-SMC search ended before its first generation (raise fit.max_candidates)"
                       if doc.get("method") == "abcsmc" else
                       "[fit] intervals = false or failed runs at the difference points")
                raise ConfigError("--posterior", f"fit {doc.get('name', '?')!r} in {folder} has no intervals ({why}); "
                                                 "allowed: a fit with intervals")
            lo, hi = (float(x) for x in p["bounds"])
            pp = PosteriorParameter(str(p["name"]), [str(k) for k in p["keys"]], (lo, hi), bool(p["log"]),
                                    str(p.get("scale", "value")), float(p["best"]), float(p["sd_search"]),
                                    bool(p["identified"]), tuple(str(n) for n in p.get("specs", ())))
            if not (lo < hi and (lo > 0 or not pp.log) and lo <= pp.best <= hi and pp.scale in ("value", "multiply")
                    and (pp.sd_search > 0 and math.isfinite(pp.sd_search) or not pp.identified)):
                raise ValueError(f"parameter {pp.name!r}: bounds {lo}..{hi} (log {pp.log}), best {pp.best}, "
                                 f"scale {pp.scale!r}, sd {pp.sd_search} (identified {pp.identified}) do not fit "
                                 "together")
            params.append(pp)
        corr = np.array(doc["correlation"], dtype=float).reshape(len(params), len(params))
        sample = weights = None
        if doc.get("posterior_sample") is not None:
            sample = np.array(doc["posterior_sample"]["search"], dtype=float).reshape(-1, len(params))
            weights = np.array(doc["posterior_sample"]["weights"], dtype=float)
            if len(weights) != len(sample) or not len(weights) or (weights < 0).any() or not weights.sum() > 0:
                raise ValueError(f"posterior_sample: {len(sample)} particles, {len(weights)} weights")
            weights = weights / weights.sum()
    except ConfigError:
        raise
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigError("--posterior", f"{path} is not a fit.json of `mscabm fit` ({type(exc).__name__}: "
                                         f"{exc}); allowed: an output folder of `mscabm fit`") from None
    if not params:
        raise ConfigError("--posterior", f"{path} has no parameters; allowed: a fit with free parameters")
    return Posterior(str(doc.get("name", folder.name)), folder, params, corr, sample, weights)


def posterior_spec(spec: Spec, posterior: Posterior, draws: int) -> Spec:
    """``spec`` run at ``draws`` parameter sets from ``posterior``, named ``<name>_posterior``.

    A grid design gains the factor :data:`POSTERIOR_FACTOR` (every condition at every draw). A
    conditions design (a virtual cohort) gains ``[[patients.sets]]``: patient r runs at draw
    ``r mod draws`` in every arm, so the arms stay paired and the cohort's spread carries the
    parameter uncertainty (``draws`` at most the spec's replicates, so every draw is used; a fitted
    key that the patients' own draws vary is refused). The draws come from a generator seeded by the
    spec's master seed: the same spec and fit give the same draws.
    """
    if not 2 <= draws <= MAX_DRAWS:
        raise ConfigError("--draws", f"{draws} is out of range; allowed: 2 to {MAX_DRAWS}")
    if spec.design_kind not in ("grid", "conditions"):
        raise ConfigError("--posterior", f"spec {spec.name!r} has a {spec.design_kind!r} design; allowed: a spec with "
                                         "[design] kind = 'grid' or 'conditions'")
    if any(f.name == POSTERIOR_FACTOR for f in spec.factors) or spec.patient_sets:
        raise ConfigError("--posterior", f"spec {spec.name!r} already has a factor {POSTERIOR_FACTOR!r} or "
                                         "[[patients.sets]]")
    if spec.design_kind == "conditions" and spec.replicates < 2:
        raise ConfigError("--posterior", f"spec {spec.name!r} has {spec.replicates} patient (replicates): a cohort "
                                         "takes one draw per patient; allowed: a cohort of at least 2 patients")
    if spec.design_kind == "conditions" and draws > spec.replicates:
        raise ConfigError("--draws", f"{draws} draws for {spec.replicates} patients (replicates) of spec "
                                     f"{spec.name!r}: patient r takes draw r mod draws; allowed: 2 to "
                                     f"{spec.replicates}")
    rng = np.random.default_rng([int(spec.master_seed), 0x706F7374])
    base = base_data(spec)
    width = len(str(draws - 1))
    # the parameters the fit did not keep to other specs (e.g. another species'), checked once for every draw
    applied = [p for p in posterior.parameters if p.applies_to(spec.name)]
    if not applied:
        kept = sorted({n for p in posterior.parameters for n in p.specs})
        raise ConfigError("--posterior", f"no parameter of fit {posterior.fit_name!r} applies in spec "
                                         f"{spec.name!r} (each is kept to other specs: {', '.join(kept)})")
    varied = {k for p in spec.patients for k in p.keys}
    clash = sorted(k for p in applied for k in p.keys if any(paths_overlap(k, v) for v in varied))
    if clash:
        raise ConfigError("--posterior", f"fitted key {clash[0]!r} is also drawn per patient by spec "
                                         f"{spec.name!r} ([[patients.vary]]); allowed: a fit whose keys the "
                                         "patients do not vary")
    levels = []
    for k, values in enumerate(posterior.draw(draws, rng)):
        sets: dict[str, float | int] = {}
        for p in applied:
            sets.update(p.parameter.apply(values[p.name], base, f"--posterior: parameter {p.name}"))
        levels.append({"label": f"draw {k:0{width}d}", "set": sets})
    doc = copy.deepcopy(spec.document)
    doc["experiment"]["name"] = f"{spec.name}_posterior"
    where = (f"factor `{POSTERIOR_FACTOR}`, each draw's control with the same parameters"
             if spec.design_kind == "grid" else
             "`[[patients.sets]]`, patient r at draw r mod N in every arm (column `patient_set`)")
    doc["experiment"]["description"] = (
        (doc["experiment"].get("description") or "").rstrip()
        + f"\n\nRun over {draws} draws of the posterior of fit `{posterior.fit_name}` ({posterior.folder}): "
          f"{where} (`predictive.csv`).\n")
    if spec.design_kind == "conditions":
        doc.setdefault("patients", {})["sets"] = [lv["set"] for lv in levels]
        return parse_spec(doc, source=spec.source)
    # first, so that a level of the spec's own factors that sets a fitted key keeps it, as the fit's [base.set]
    # values are kept (e.g. route_decomposition's mouse IDO capacity under a human IDO fit)
    doc["design"]["factors"].insert(0, {"name": POSTERIOR_FACTOR, "levels": levels})
    if doc.get("control", {}).get("inherit") is not None:  # None: every factor, the draws included
        doc["control"]["inherit"] = [*doc["control"]["inherit"], POSTERIOR_FACTOR]
    return parse_spec(doc, source=spec.source)


def condition_factors(spec: Spec) -> list[str]:
    """The columns a predictive row is grouped by: a grid's factors other than the posterior draw; a
    conditions design's ``condition`` (its arms)."""
    if spec.design_kind == "conditions":
        return ["condition"]
    return [f.name for f in spec.factors if f.name != POSTERIOR_FACTOR]


def draw_column(spec: Spec) -> str | None:
    """The results column that names a run's parameter set: the posterior factor of a grid, ``patient_set``
    of a spec with ``[[patients.sets]]``; None if the spec has neither."""
    if any(f.name == POSTERIOR_FACTOR for f in spec.factors):
        return POSTERIOR_FACTOR
    return "patient_set" if spec.patient_sets else None


def predictive_table(df: pd.DataFrame, spec: Spec) -> pd.DataFrame | None:
    """Per condition (the spec's other factors; a cohort's arm) and readout, over every draw and replicate: n,
    mean, sd, 2.5th and 97.5th percentiles (the predictive interval), the sd between the draws' means (parameter
    uncertainty) and the root-mean within-draw variance (replicate noise; in a cohort, patients sharing a draw).
    None if the spec has no posterior factor or patient sets."""
    col = draw_column(spec)
    if col is None:
        return None
    by = condition_factors(spec)
    runs = df[(df["role"] == "condition") & (df["status"] == "done")] if "role" in df.columns else df
    rows = []
    for key, g in (runs.groupby(by, sort=False, dropna=False) if by else [((), runs)]):
        key = key if isinstance(key, tuple) else (key,)
        for readout in spec.readout_columns:
            if readout not in g.columns:
                continue
            v = pd.to_numeric(g[readout], errors="coerce")
            ok = np.isfinite(v.to_numpy(dtype=float))
            v, draws = v[ok], g.loc[ok, col]
            if not len(v):
                continue
            per_draw = v.groupby(draws)
            within = per_draw.var(ddof=1).dropna()
            rows.append({**dict(zip(by, key)), "readout": readout, "n": int(len(v)), "draws": int(per_draw.ngroups),
                         "mean": float(v.mean()), "sd": float(v.std(ddof=1)) if len(v) > 1 else math.nan,
                         "p2_5": float(np.percentile(v, 2.5)), "p97_5": float(np.percentile(v, 97.5)),
                         "between_draw_sd": float(per_draw.mean().std(ddof=1)) if per_draw.ngroups > 1 else math.nan,
                         "replicate_sd": float(math.sqrt(within.mean())) if len(within) else math.nan})
    return pd.DataFrame(rows)
