"""Derived readouts: the quantities researchers report, computed from the model's counts.

The model records counts by type and state, births, deaths, kills and mean field levels at
every recorded step; this module turns them into the readouts of the MSC literature:

- ``frac_<TYPE>_<state>``: fraction of the live cells of a type in each state (NaN when the
  type has no live cell), e.g. ``frac_MAC_M2``, ``frac_DC_mature``, ``frac_T_Treg``;
- ``Th17_Treg_ratio``: live Th17 / live Treg CD4 T cells (NaN without Tregs);
- ``T_proliferation_index``: T-cell (CD4 + CD8) divisions so far per T cell placed, the
  model's analogue of a proliferation assay (suppression vs a matched no-MSC control is a
  derived readout of experiments: ``kind = "suppression"``, see docs/experiments.md);
- ``MSC_survival_frac``: live MSCs / MSCs placed (seeded + infused): persistence;
- ``TISSUE_damage_frac``: damaged or lost tissue cells / tissue cells placed.

Pure functions of a readout dict; no state.
"""

from __future__ import annotations

import math

__all__ = ["derived_readouts"]


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 else math.nan


def derived_readouts(r: dict[str, float], type_names: list[str],
                     state_names: list[tuple[str, ...]]) -> dict[str, float]:
    """Derived readouts from one step's basic readouts ``r`` (see module docstring)."""
    out: dict[str, float] = {}
    for tname, states in zip(type_names, state_names):
        if len(states) > 1:
            for s in states:
                out[f"frac_{tname}_{s}"] = _ratio(r[f"n_{tname}_{s}"], r[f"n_{tname}"])
    if "T" in type_names:
        out["Th17_Treg_ratio"] = _ratio(r["n_T_Th17"], r["n_T_Treg"])
        lymph = [t for t in ("T", "CD8") if t in type_names]
        out["T_proliferation_index"] = _ratio(sum(r[f"births_{t}_total"] for t in lymph),
                                              sum(r[f"placed_{t}_total"] for t in lymph))
    if "MSC" in type_names:
        out["MSC_survival_frac"] = _ratio(r["n_MSC"], r["placed_MSC_total"])
    if "TISSUE" in type_names:
        placed = r["placed_TISSUE_total"]
        out["TISSUE_damage_frac"] = _ratio(placed - r["n_TISSUE_healthy"], placed)
    return out
