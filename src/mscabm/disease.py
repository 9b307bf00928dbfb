"""Disease scenarios: immune-cell influx, a delayed drug start, and the disease activity index.

Three small pieces the disease presets (``configs/disease_*.toml``, ``docs/scenarios.md``) need
on top of the in-vitro model:

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
  It is a trend proxy for each disease's clinical index (SLEDAI, DAS28, EDSS, PASI, fistula
  closure, GVHD grade; mapping in docs/scenarios.md), not a claim of equivalence.
"""

from __future__ import annotations

import copy
import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from mscabm.config import Config
    from mscabm.model import MSCModel

__all__ = ["influx_rate", "apply_influx", "drug_free", "disease_readouts", "DISEASE_READOUTS", "msc_dose"]

DISEASE_READOUTS = ("disease_activity", "disease_damage_frac", "disease_inflammation")


def influx_rate(base_per_min: float, max_fold: float, level: float, half_max: float, hill_power: float) -> float:
    """Influx rate (cells/min) at a domain-mean field level ``level``."""
    if max_fold == 1.0 or level <= 0.0:
        return base_per_min
    x = (level / half_max) ** hill_power
    return base_per_min * (1.0 + (max_fold - 1.0) * x / (1.0 + x))


def apply_influx(model: MSCModel) -> int:
    """Add this step's influx cells (every ``[influx.<TYPE>]``); returns the number added."""
    cfg = model.config
    added = 0
    for tname, inf in cfg.influx.items():
        if inf.rate_per_min <= 0.0 or tname not in cfg.cells:
            continue
        level = 0.0
        if inf.field:
            i = model.tables.field_names.index(inf.field)
            level = float(model.lattice.data[i].mean(dtype=np.float64))
        rate = influx_rate(inf.rate_per_min, inf.max_fold, level, inf.half_max, inf.hill_power)
        k = int(model.rng.poisson(rate * model.dt_min))
        if k == 0:
            continue
        if model.population.capacity and len(model.population) + k > cfg.model.max_cells:
            k = max(0, cfg.model.max_cells - len(model.population))  # the memory guard caps influx, never fails
            if k == 0:
                continue
        rows = model.add_cells(tname, k, inf.state, "uniform")
        if inf.placement == "edges":
            w, h = model.width_um, model.height_um
            r = cfg.cells[tname].radius_um
            s = model.rng.uniform(0.0, 2.0 * (w + h), k)  # arc length along the boundary
            x = np.where(s < w, s, np.where(s < w + h, w, np.where(s < 2 * w + h, 2 * w + h - s, 0.0)))
            y = np.where(s < w, 0.0, np.where(s < w + h, s - w, np.where(s < 2 * w + h, h, 2 * (w + h) - s)))
            model.population["x_um"][rows] = np.clip(x, r, w - r)
            model.population["y_um"][rows] = np.clip(y, r, h - r)
        added += k
    model.influx_total = getattr(model, "influx_total", 0) + added
    return added


def drug_free(cfg: Config) -> Config:
    """``cfg`` with the immunosuppressant at 0 (the tables used before the drug starts)."""
    off = copy.copy(cfg)
    off.interventions = copy.copy(cfg.interventions)
    off.interventions.immunosuppressant = 0.0
    return off


def disease_readouts(model: MSCModel, r: dict[str, float]) -> dict[str, float]:
    """The disease activity readouts (module docstring) from one step's readouts ``r``."""
    d = model.config.disease
    ref = getattr(model, "tissue_seeded", 0)
    live = max(ref, r.get("n_TISSUE", 0))  # lost cells count as damage; regrown tissue does not hide damaged cells
    damage = min(1.0, max(0.0, 1.0 - r.get("n_TISSUE_healthy", 0) / live)) if ref > 0 else 0.0
    terms = []
    for f, k in d.inflammation.items():
        c = r.get(f"mean_{f}_{model.config.fields[f].unit}", 0.0)
        terms.append(c / (c + k) if c > 0 else 0.0)
    infl = float(np.mean(terms)) if terms else 0.0
    act = 100.0 * (d.damage_weight * damage + (1.0 - d.damage_weight) * infl)
    return {"disease_activity": act, "disease_damage_frac": damage, "disease_inflammation": infl,
            "influx_total": int(getattr(model, "influx_total", 0))}


# ---------------------------------------------------------------------------- MSC dosing (docs, specs)
#: route -> (fraction of the nominal dose that reaches the lesion, MSC death rate 1/min there, source)
ROUTES: dict[str, tuple[float, float, str]] = {
    "iv": (0.08, -math.log(0.14) / (3 * 1440),
           "V Toma 2009 (SCIENCE.md s3): 92+-7% arrested in the lung on first pass -> 8% reach the tissue; "
           "14% left at day 3 -> death rate ln(1/0.14)/3 d"),
    "local": (1.0, 1.0 / (7 * 1440), "M: local injection (perianal fistula, Ko 2021) puts the whole dose in the "
                                       "lesion; persistence ~1 week (M)"),
    "intrathecal": (0.5, 1.0 / (5 * 1440), "M: intrathecal MSC-NP reach the CSF/meninges directly; half taken to "
                                             "reach the lesion, persistence ~5 days (M)"),
}
#: M, fitted: effective MSCs in the simulated patch per 1e6 cells/kg reaching it in full. A literal mass scaling
#: (1e6/kg = 1 cell/mg; the 250 x 250 x 100 um patch is 0.006 mg) gives 0.006 cells; MSCs home to inflamed
#: sites, and in vitro suppression needs MSC:responder >= 1:100 (SCIENCE.md s3), so the lesion dose is a
#: free parameter, fitted to one clinical anchor (docs/scenarios.md): 100 gave 1/8 psoriasis patients at
#: PASI40-like in the pilot cohort, 200 gave 3/8 (anchor 47%, Cheng 2022). The fit predates the presets' macrophage
#: turnover, and enrolment on day 3 caught a plaque still growing; with both fixed (enrolment on day 7) the
#: psoriasis cohort gives 3/10 PASI40-like, and the value was not refitted. 1e6/kg IV (8% reaching)
#: -> 16 cells, local 0.4e6/kg -> 80, intrathecal 1e6/kg -> 100, in a lesion of ~300-900 cells.
CELLS_PER_1E6_PER_KG = 200.0


def msc_dose(dose_per_kg: float, route: str) -> tuple[int, float]:
    """(MSCs placed in the simulated patch, their death rate 1/min) for a dose in cells/kg and a route."""
    frac, death, _src = ROUTES[route]
    return int(round(dose_per_kg / 1e6 * CELLS_PER_1E6_PER_KG * frac)), death
