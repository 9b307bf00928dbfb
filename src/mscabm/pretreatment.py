"""Pre-treatment of cells in medium before seeding: the model's own expression ODEs, integrated.

A pre-treatment protocol (``biology/interventions.py`` PRETREATMENTS: field levels held for some
hours, e.g. IFN-gamma + TNF-alpha for 48 h) acts on one cell type. Its cells are integrated alone
in medium: every field at its configured initial level plus the protocol's levels, no contacts,
their per-cell variables advanced step by step with the same rules (``evaluate_behaviours``) and
the same exact relaxation (``relax_variables``) as in a run, at the run's ``dt_min``. Their label
(state) follows the same transition rules, taken deterministically: at the end of each step a
cell switches to the state whose switching rate is highest if that rate is at least 0.5/min (the
label rules switch at ~1/min once their threshold is crossed; a stochastic rate below that is
not a label change). The end point (levels and label) is where every pre-treated cell starts.

A 0-hour protocol returns None: the cells start exactly as untreated ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mscabm.assembly import Tables
from mscabm.biology.interventions import PRETREAT_TYPE, PRETREATMENTS
from mscabm.config import Config
from mscabm.engine.kernels.behaviour import evaluate_behaviours
from mscabm.engine.kernels.variables import relax_variables

__all__ = ["Pretreated", "pretreat_in_medium", "pretreatment_of"]

#: a label switches during pre-treatment when its rate is at least this (1/min)
LABEL_SWITCH_RATE_PER_MIN = 0.5


@dataclass(frozen=True)
class Pretreated:
    """Where the pre-treated cells of one type start."""

    cell_type: str
    state: str
    levels: dict[str, float]  # variable -> value
    trajectory: np.ndarray  # (steps + 1, V) float64: the variables over the protocol (row 0: untreated)
    states: list[str]  # label at each row of ``trajectory``


def pretreat_in_medium(tables: Tables, cfg: Config, cell_type: str, field_levels: dict[str, float], minutes: float,
                       state: str = "") -> Pretreated:
    """Integrate one cell of ``cell_type`` in medium for ``minutes`` with ``field_levels`` added.

    ``field_levels``: field -> level added to its configured initial level (field unit), held
    constant. ``state``: the starting label (default: the type's configured initial state).
    """
    t = tables
    code = t.type_code(cell_type)
    states = t.state_names[code]
    s = t.state_code(cell_type, state or cfg.cells[cell_type].initial_state or states[0])
    dt = cfg.model.dt_min
    steps = int(round(max(minutes, 0.0) / dt))
    sig = np.zeros((1, t.n_stored_signals), dtype=np.float32)  # the signals a rule reads (Tables.signal_column)
    for i, f in enumerate(t.field_names):
        if t.field_signal_column[i] >= 0:
            sig[0, t.field_signal_column[i]] = cfg.fields[f].initial + float(field_levels.get(f, 0.0))
    beh = np.zeros((1, t.n_stored_behaviours), dtype=np.float32)
    types = np.array([code], dtype=np.int64)
    group = np.zeros(1, dtype=np.int64)
    apoptotic = np.zeros(1, dtype=np.bool_)
    nv = len(t.variable_names)
    values = [np.array([t.variable_initial[code, j]], dtype=np.float64) for j in range(nv)]
    traj = np.empty((steps + 1, nv), dtype=np.float64)
    traj[0] = [v[0] for v in values]
    labels = [states[s]]
    for k in range(steps):
        for j in range(nv):
            if t.variable_signal_column[j] >= 0:
                sig[0, t.variable_signal_column[j]] = values[j][0]
        group[0] = t.group_of(code, s)
        evaluate_behaviours(group, apoptotic, sig, 1, t.base, t.rules, beh)
        relax_variables(1, types, tuple(values), beh, t.produce_col, t.variable_declared, t.variable_decay_per_min,
                        dt)
        rates = [(float(beh[0, t.transition_col[code, q]]), q) for q in range(len(states))
                 if q != s and t.transition_col[code, q] >= 0]
        best = max(rates, default=(0.0, s))
        if best[0] >= LABEL_SWITCH_RATE_PER_MIN:
            s = best[1]
        traj[k + 1] = [v[0] for v in values]
        labels.append(states[s])
    levels = {name: float(traj[-1, j]) for j, name in enumerate(t.variable_names) if t.variable_declared[code, j]}
    return Pretreated(cell_type=cell_type, state=states[s], levels=levels, trajectory=traj, states=labels)


def pretreatment_of(tables: Tables, cfg: Config) -> Pretreated | None:
    """The configured pre-treatment (``interventions.prelicense``), or None when there is none
    (protocol "none", a 0-hour duration, or no cell type to treat)."""
    iv = cfg.interventions
    proto = PRETREATMENTS[iv.prelicense]
    hours = proto["hours"] if iv.prelicense_hours < 0 else iv.prelicense_hours
    if hours <= 0 or not proto["signals"] or PRETREAT_TYPE not in tables.type_names:
        return None
    levels = {f: v * iv.prelicense_scale for f, v in proto["signals"].items()}  # fields checked by Config
    return pretreat_in_medium(tables, cfg, PRETREAT_TYPE, levels, hours * 60.0)
