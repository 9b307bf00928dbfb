"""Behaviour kernels: rules -> per-cell rates (decide), then rates -> fate events (act).

``evaluate_behaviours`` applies compiled Hill rules (see ``engine/rules.py``) to the
signals matrix. ``advance_lifecycle`` turns rates into apoptosis, state switches and
division flags using uniforms the caller drew from its numpy Generator, so the outcome
does not depend on the thread count. Both are row-parallel and race-free.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from mscabm.engine.rules import CompiledRules

#: Hill coefficients up to this integer value are raised by repeated squaring (see hill_power)
MAX_INTEGER_POWER = 64


@njit(cache=True, inline="always")
def hill_power(q, p):
    """``q ** p`` for q >= 0, p > 0 (float64): by repeated squaring when p is an integer
    <= :data:`MAX_INTEGER_POWER` (every Hill coefficient of the rule tables), else ``pow``.

    Why: inside the row-parallel rule loop numba's general ``pow`` cost ~8x the whole rest of
    ``_evaluate`` (measured 630 -> 80 us for 1,434 cells; docs/design.md). ``q`` itself for
    p = 1 is exact; squaring errs by at most ~log2(p) ulps of float64 (pow: < 1 ulp), far below
    the float32 the behaviours are stored in.
    """
    k = int(p)
    if k == p and k <= MAX_INTEGER_POWER:
        result = 1.0
        base = q
        while k:
            if k & 1:
                result *= base
            base *= base
            k >>= 1
        return result
    return q ** p


@njit(parallel=True, cache=True, nogil=True)
def _evaluate(group, apoptotic, signals, n, base, run_offsets, run_behaviour, run_saturation,
              term_start, term_end, term_signal, term_half_max, term_power, out):
    n_beh = base.shape[1]
    for i in prange(n):
        g = group[i]
        if apoptotic[i]:
            for b in range(n_beh):
                out[i, b] = 0.0
            continue
        for b in range(n_beh):
            out[i, b] = base[g, b]
        for r in range(run_offsets[g], run_offsets[g + 1]):
            x = 0.0
            for t in range(term_start[r], term_end[r]):
                s = signals[i, term_signal[t]]
                p = term_power[t]
                if p > 0.0:  # responds to a high signal: (s / K)^n
                    if s > 0.0:
                        x += hill_power(s / term_half_max[t], p)
                elif s > 0.0:  # responds to a low signal (power stored negated): (K / s)^n
                    x += hill_power(term_half_max[t] / s, -p)
                else:
                    x = np.inf
            h = 1.0 if x > 1e300 else x / (1.0 + x)
            b = run_behaviour[r]
            v = out[i, b]
            out[i, b] = v + (run_saturation[r] - v) * h


def evaluate_behaviours(group: np.ndarray, apoptotic: np.ndarray, signals: np.ndarray, n: int,
                        base: np.ndarray, rules: CompiledRules, out: np.ndarray) -> None:
    """Fill ``out[:n]`` (n_cells, n_behaviours) with each cell's behaviour values.

    group : int (n,) index into ``base`` rows (cell type x state); apoptotic : bool (n,),
    apoptotic cells get all-zero behaviours; signals : (n, n_signals); base : (n_groups,
    n_behaviours) float64 base values. Units are those of each behaviour.
    """
    _evaluate(group, apoptotic, signals, n, base, rules.run_offsets, rules.run_behaviour,
              rules.run_saturation, rules.term_start, rules.term_end, rules.term_signal,
              rules.term_half_max, rules.term_power, out)


@njit(parallel=True, cache=True, nogil=True)
def advance_lifecycle(n, cell_type, state, state_age_min, cycle_progress, apoptosis_left_min,
                      behaviours, cycle_col, death_col, transition_col, apoptosis_min,
                      u_death, u_switch, u_pick, dt_min, divide, remove):
    """Advance apoptosis clocks, draw deaths and state switches, accumulate cycle progress.

    Parameters (n cells, T types, S max states per type)
    ----------
    cell_type, state : int (n,); state is rewritten on a switch (state_age reset to 0)
    state_age_min, cycle_progress, apoptosis_left_min : float32 (n,), updated in place;
        ``apoptosis_left_min < 0`` means alive, ``>= 0`` apoptotic with that many minutes left
    behaviours : (n, B) rates; ``cycle_col``/``death_col`` their columns (-1: none)
    transition_col : int (T, S) column of the rate of switching to each state (-1: none)
    apoptosis_min : float (T,) apoptosis duration per type (0: removed at once)
    u_death, u_switch, u_pick : float (n,) uniforms in [0, 1) drawn by the caller
    divide, remove : bool (n,) outputs: cycle completed / apoptosis finished this step
    """
    n_states = transition_col.shape[1]
    for i in prange(n):
        divide[i] = False
        remove[i] = False
        if apoptosis_left_min[i] >= 0.0:
            apoptosis_left_min[i] -= dt_min
            if apoptosis_left_min[i] <= 0.0:
                remove[i] = True
            continue
        t = cell_type[i]
        if death_col >= 0:
            rate = behaviours[i, death_col]
            if rate > 0.0 and u_death[i] < 1.0 - np.exp(-rate * dt_min):
                apoptosis_left_min[i] = apoptosis_min[t]
                if apoptosis_min[t] <= 0.0:
                    remove[i] = True
                continue
        total = 0.0
        for s in range(n_states):
            c = transition_col[t, s]
            if c >= 0 and s != state[i]:
                total += max(behaviours[i, c], 0.0)
        switched = False
        if total > 0.0 and u_switch[i] < 1.0 - np.exp(-total * dt_min):
            target = u_pick[i] * total
            acc = 0.0
            last = -1
            for s in range(n_states):
                c = transition_col[t, s]
                if c >= 0 and s != state[i]:
                    r = max(behaviours[i, c], 0.0)
                    if r > 0.0:
                        last = s
                        acc += r
                        if target < acc:
                            break
            state[i] = last
            state_age_min[i] = 0.0
            switched = True
        if not switched:
            state_age_min[i] += dt_min
        if cycle_col >= 0:
            cycle_progress[i] += behaviours[i, cycle_col] * dt_min
            if cycle_progress[i] >= 1.0:
                divide[i] = True
