"""Disease scenarios: immune-cell influx, a delayed drug start, and the disease activity index.

Pure functions of the configuration, field means, counts and a random generator; the model
(``mscabm.model``) places the cells and reads the readouts. Three pieces the disease presets
(``src/mscabm/presets/disease_*.toml``, ``docs/scenarios.md``) need on top of the in-vitro model:

- **influx** (``[influx.<TYPE>]``): new cells of a type enter the domain from the draining
  vasculature/lymph at ``rate_per_min``, raised up to ``max_fold`` x by inflammation: the rate
  is ``rate_per_min * (1 + (max_fold - 1) * H)``, ``H = m^n / (m^n + K^n)``, with ``m`` the
  domain-mean level of ``field`` (e.g. CXCL9/10: CXCR3 ligands recruit effector T cells,
  SCIENCE.md s2). The number entering in one step is Poisson(rate * dt), drawn from
  ``model.rng`` (deterministic for a seed, whatever the thread count); they land uniformly or
  on a random point of the domain's edges (``placement = "edges"``, the default: cells come in
  from outside the simulated patch).
- **drug start** (``interventions.immunosuppressant_start_min``): the steroid-like
  immunosuppressant acts from this time on (0 = from the start). Before it the model runs
  with the drug at 0; at it the compiled tables are rebuilt with the drug (a Mesa event), so a
  disease can establish itself before treatment starts and every arm shares that run-in.
- **disease activity index** (``[disease] enabled = true``): readouts
  ``disease_damage_frac`` = 1 - healthy tissue cells / max(tissue cells seeded, live tissue
  cells) (damaged and lost cells; clipped to 0..1), ``disease_inflammation`` = mean over the fields named in
  ``disease.inflammation`` of c / (c + K) (c the domain-mean level, K the value given),
  and ``disease_activity`` = 100 (w damage + (1 - w) inflammation), w = ``damage_weight``.
  The tissue cells are ``disease.tissue_type`` in its ``disease.healthy_state``.
  It is a trend proxy for each disease's clinical index (SLEDAI, DAS28, EDSS, PASI, fistula
  closure, GVHD grade; mapping in docs/scenarios.md), not a claim of equivalence.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from mscabm.config import Config, DiseaseSection, InfluxSection

__all__ = ["influx_rate", "influx_count", "edge_positions", "drug_free", "disease_readouts", "DISEASE_READOUTS"]

DISEASE_READOUTS = ("disease_activity", "disease_damage_frac", "disease_inflammation")


def influx_rate(base_per_min: float, max_fold: float, level: float, half_max: float, hill_power: float) -> float:
    """Influx rate (cells/min) at a domain-mean field level ``level``."""
    if max_fold == 1.0 or level <= 0.0:
        return base_per_min
    x = (level / half_max) ** hill_power
    return base_per_min * (1.0 + (max_fold - 1.0) * x / (1.0 + x))


def influx_count(inf: InfluxSection, level: float, rng: np.random.Generator, dt_min: float) -> int:
    """Cells of one ``[influx.<TYPE>]`` entering in one step of ``dt_min`` at the domain-mean level
    ``level`` of its field: Poisson(rate * dt), one draw from ``rng``."""
    rate = influx_rate(inf.rate_per_min, inf.max_fold, level, inf.half_max, inf.hill_power)
    return int(rng.poisson(rate * dt_min))


def edge_positions(rng: np.random.Generator, count: int, width_um: float, height_um: float,
                   radius_um: float) -> tuple[np.ndarray, np.ndarray]:
    """``count`` points uniform along the boundary of a ``width_um`` x ``height_um`` domain,
    moved ``radius_um`` inside it (float64 arrays, um): where cells arriving from outside land."""
    w, h, r = width_um, height_um, radius_um
    s = rng.uniform(0.0, 2.0 * (w + h), count)  # arc length along the boundary
    x = np.where(s < w, s, np.where(s < w + h, w, np.where(s < 2 * w + h, 2 * w + h - s, 0.0)))
    y = np.where(s < w, 0.0, np.where(s < w + h, s - w, np.where(s < 2 * w + h, h, 2 * (w + h) - s)))
    return np.clip(x, r, w - r), np.clip(y, r, h - r)


def drug_free(cfg: Config) -> Config:
    """``cfg`` with the immunosuppressant at 0 (the tables used before the drug starts)."""
    off = copy.copy(cfg)
    off.interventions = copy.copy(cfg.interventions)
    off.interventions.immunosuppressant = 0.0
    return off


def disease_readouts(d: DiseaseSection, field_units: Mapping[str, str], r: Mapping[str, float],
                     tissue_seeded: int, influx_total: int) -> dict[str, float]:
    """The disease activity readouts (module docstring) from one step's readouts ``r``.

    ``field_units``: field -> unit (the readout ``mean_<F>_<unit>`` names); ``tissue_seeded``:
    tissue cells placed at the start; ``influx_total``: cells entered by influx so far.
    """
    tissue = d.tissue_type
    # lost cells count as damage; regrown tissue does not hide damaged cells
    live = max(tissue_seeded, r.get(f"n_{tissue}", 0))
    healthy = r.get(f"n_{tissue}_{d.healthy_state}", 0)
    damage = min(1.0, max(0.0, 1.0 - healthy / live)) if tissue_seeded > 0 else 0.0
    terms = []
    for f, k in d.inflammation.items():
        c = r.get(f"mean_{f}_{field_units[f]}", 0.0)
        terms.append(c / (c + k) if c > 0 else 0.0)
    infl = float(np.mean(terms)) if terms else 0.0
    act = 100.0 * (d.damage_weight * damage + (1.0 - d.damage_weight) * infl)
    return {"disease_activity": act, "disease_damage_frac": damage, "disease_inflammation": infl,
            "influx_total": int(influx_total)}
