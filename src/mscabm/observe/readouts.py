"""The model's readouts at one moment: counts by type and state, mean field levels, the tally's
totals, per-cell variable means, derived and disease readouts (one flat dict; the row the
:class:`~mscabm.observe.log.ReadoutLog` keeps per recorded step).

Column names follow the declared vocabulary: ``n_<TYPE>``, ``n_<TYPE>_<state>``,
``mean_<F>_<unit>``, ``births_<TYPE>_total``, ``deaths_<TYPE>_total``, ``placed_<TYPE>_total``,
``kills_by_<TYPE>_total`` / ``killed_<TYPE>_total`` (types that can kill or be killed),
``mean_<TYPE>_<V>`` (per-cell variables), then ``biology.readouts.derived_readouts`` and, with
``[disease] enabled``, ``mscabm.disease.disease_readouts``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from mscabm.biology.readouts import derived_readouts
from mscabm.disease import disease_readouts

__all__ = ["compute_readouts"]


def compute_readouts(model: Any) -> dict[str, float]:
    """The readouts of ``model`` now.

    ``model`` needs ``population``, ``tables`` (``mscabm.assembly.Tables``), ``lattice``,
    ``config``, ``tally`` (:class:`~mscabm.observe.tally.Tally`), ``time`` (min) and ``steps``.
    """
    pop, t, tally = model.population, model.tables, model.tally
    n_groups = len(t.type_names) * t.n_states
    alive = pop["apoptosis_left_min"] < 0
    group = pop["type"].astype(np.int64) * t.n_states + pop["state"]
    counts = np.bincount(group[alive], minlength=n_groups)
    r: dict[str, float] = {"time_min": float(model.time), "step": int(model.steps), "n_cells": int(alive.sum()),
                           "n_apoptotic": int((~alive).sum())}
    for code, tname in enumerate(t.type_names):
        states = t.state_names[code]
        r[f"n_{tname}"] = int(counts[code * t.n_states:code * t.n_states + len(states)].sum())
        for s, sname in enumerate(states):
            r[f"n_{tname}_{sname}"] = int(counts[code * t.n_states + s])
        r[f"births_{tname}_total"] = int(tally.births_by_type[code])
        r[f"deaths_{tname}_total"] = int(tally.deaths_by_type[code])
    for i, f in enumerate(t.field_names):
        r[f"mean_{f}_{model.config.fields[f].unit}"] = float(model.lattice.data[i].mean(dtype=np.float64))
    r["births_total"] = tally.births_total
    r["deaths_total"] = tally.deaths_total
    killer = t.base[:, t.kill_col].reshape(len(t.type_names), t.n_states, -1).any(axis=1)  # [killer, target]
    for code, tname in enumerate(t.type_names):  # fixed by the config: the columns do not change in a run
        if killer[code].any():
            r[f"kills_by_{tname}_total"] = int(tally.kills[code].sum())
        if killer[:, code].any():
            r[f"killed_{tname}_total"] = int(tally.kills[:, code].sum())
    r["engulfed_total"] = int(tally.engulfed_total)
    if t.become_any:  # fixed by the config, as the kill columns
        r["transdifferentiated_total"] = int(tally.transdifferentiated_total)
    for code, tname in enumerate(t.type_names):
        r[f"placed_{tname}_total"] = int(tally.placed_by_type[code])
    for code, tname in enumerate(t.type_names):  # per-cell variables: mean over the type's live cells
        mine = alive & (pop["type"] == code)
        for j in np.flatnonzero(t.variable_declared[code]):
            v = t.variable_names[j]
            r[f"mean_{tname}_{v}"] = float(pop[v][mine].mean()) if mine.any() else math.nan  # one NaN object, as frac_
    r.update(derived_readouts(r, t.type_names, t.state_names))
    d = model.config.disease
    if d.enabled:
        tissue = t.type_code(d.tissue_type)
        r.update(disease_readouts(d, {f: fc.unit for f, fc in model.config.fields.items()}, r,
                                  int(tally.seeded_by_type[tissue]), tally.influx_total))
    return r
