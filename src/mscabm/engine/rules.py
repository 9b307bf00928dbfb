"""Hill-function rules compiled from data to flat arrays for the behaviour kernel.

A rule says: in cells of group ``g`` (a cell type and state), signal ``s`` increases (or
decreases) behaviour ``b`` toward ``saturation`` with half-max ``K`` and Hill power ``n``.
Rules for the same group, behaviour, direction and *pathway* combine as PhysiCell does
(Johnson et al. 2023, "a grammar for signal-behaviour rules"): with
``x = sum_i (s_i / K_i)^n_i`` the combined response is ``H = x / (1 + x)``, and

    b = base + (max - base) * H_up          (the up-regulating rules, pathway by pathway)
    b = b + (min - b) * H_down              (then the down-regulating rules, pathway by pathway)

so a single rule is the classic Hill function ``base + (max - base) s^n / (K^n + s^n)``.
Down-regulation takes precedence: at full ``H_down`` the behaviour is ``min``.

Pathways: signals that act through one mechanism add before the saturation (one Hill, as
drugs on one receptor add their doses: Loewe additivity), so any one of them can carry the
full response. Rules on *different* pathways (integer ``pathway``; 0 is the default, shared
one) are separate runs applied one after another in pathway order; for a behaviour driven to
0 that multiplies the remaining fractions, ``b = base * prod_p (1 - H_p)``: independent
mechanisms combine by Bliss independence, and removing one pathway restores its factor
whatever the others do. With every rule on pathway 0 the combination is PhysiCell's.

A rule may respond to a *low* signal instead (``responds_to_low``): its term is ``(K / s)^n``
(full response at ``s = 0``), i.e. the repression curve ``K^n / (K^n + s^n)``. This is how a
nutrient that must be present (tryptophan) acts: its absence moves the behaviour. The compiled
term stores such a power negated.

This module is generic: groups, signals and behaviours are integers; names live in biology.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class HillRule:
    """One signal -> behaviour rule, by integer indices (see module docstring)."""

    group: int
    signal: int
    behaviour: int
    increases: bool
    saturation: float
    half_max: float
    hill_power: float
    responds_to_low: bool = False
    pathway: int = 0

    def __post_init__(self) -> None:
        if not self.half_max > 0:
            raise ValueError(f"half_max must be > 0, got {self.half_max}")
        if not self.hill_power > 0:
            raise ValueError(f"hill_power must be > 0, got {self.hill_power}")


@dataclass(frozen=True)
class CompiledRules:
    """Rules as runs: one run per (group, behaviour, direction, pathway), ups before downs.

    ``run_offsets[g]:run_offsets[g+1]`` are the runs of group g; run r combines the terms
    ``term_start[r]:term_end[r]`` (signal index, half-max, Hill power).
    """

    run_offsets: np.ndarray  # int64 (n_groups + 1,)
    run_behaviour: np.ndarray  # int64 (n_runs,)
    run_saturation: np.ndarray  # float64 (n_runs,)
    term_start: np.ndarray  # int64 (n_runs,)
    term_end: np.ndarray  # int64 (n_runs,)
    term_signal: np.ndarray  # int64 (n_terms,)
    term_half_max: np.ndarray  # float64 (n_terms,)
    term_power: np.ndarray  # float64 (n_terms,); negative = responds to a low signal

    @property
    def n_runs(self) -> int:
        return len(self.run_behaviour)


def compile_rules(rules: list[HillRule], n_groups: int) -> CompiledRules:
    """Group rules into runs, one per (group, behaviour, direction, pathway), in that order; rules of one run
    must share their saturation value."""
    runs: dict[tuple[int, int, int, int], list[HillRule]] = {}
    for rule in rules:
        if not 0 <= rule.group < n_groups:
            raise ValueError(f"rule group {rule.group} outside 0..{n_groups - 1}")
        if rule.pathway < 0:
            raise ValueError(f"rule pathway must be >= 0, got {rule.pathway}")
        key = (rule.group, rule.behaviour, 0 if rule.increases else 1, rule.pathway)
        runs.setdefault(key, []).append(rule)
    keys = sorted(runs)
    run_offsets = np.zeros(n_groups + 1, dtype=np.int64)
    run_behaviour: list[int] = []
    run_saturation: list[float] = []
    term_start: list[int] = []
    term_end: list[int] = []
    term_signal: list[int] = []
    term_half: list[float] = []
    term_power: list[float] = []
    for key in keys:
        members = runs[key]
        sats = {r.saturation for r in members}
        if len(sats) > 1:
            raise ValueError(
                f"rules of group {key[0]} on behaviour {key[1]} ({'up' if key[2] == 0 else 'down'}, pathway {key[3]}) "
                f"have different saturation values {sorted(sats)}; they must share one"
            )
        run_offsets[key[0] + 1] += 1
        run_behaviour.append(key[1])
        run_saturation.append(members[0].saturation)
        term_start.append(len(term_signal))
        for r in members:
            term_signal.append(r.signal)
            term_half.append(r.half_max)
            term_power.append(-r.hill_power if r.responds_to_low else r.hill_power)
        term_end.append(len(term_signal))
    np.cumsum(run_offsets, out=run_offsets)
    return CompiledRules(
        run_offsets=run_offsets,
        run_behaviour=np.asarray(run_behaviour, dtype=np.int64),
        run_saturation=np.asarray(run_saturation, dtype=np.float64),
        term_start=np.asarray(term_start, dtype=np.int64),
        term_end=np.asarray(term_end, dtype=np.int64),
        term_signal=np.asarray(term_signal, dtype=np.int64),
        term_half_max=np.asarray(term_half, dtype=np.float64),
        term_power=np.asarray(term_power, dtype=np.float64),
    )
