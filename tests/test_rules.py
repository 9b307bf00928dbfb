"""Rule evaluator (decide) and lifecycle kernel (act) against closed forms and plain loops."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mscabm.engine.kernels.behaviour import advance_lifecycle, evaluate_behaviours
from mscabm.engine.rules import HillRule, compile_rules


def hill(s, k, n):
    return s**n / (k**n + s**n)


def reference(group, apoptotic, signals, base, rules):
    """Plain-python PhysiCell combination: ups first, then downs, per behaviour; within a direction one Hill per
    pathway, pathways one after another in increasing order."""
    out = base[group].astype(float).copy()
    for i in range(len(group)):
        if apoptotic[i]:
            out[i] = 0
            continue
        for b in range(base.shape[1]):
            for up, pathway in [(u, p) for u in (True, False) for p in sorted({r.pathway for r in rules})]:
                members = [r for r in rules if r.group == group[i] and r.behaviour == b and r.increases == up
                           and r.pathway == pathway]
                if not members:
                    continue
                x = 0.0
                for r in members:
                    v = max(float(signals[i, r.signal]), 0.0)
                    if r.responds_to_low:  # repression curve: full response at v = 0
                        x += float("inf") if v == 0 else (r.half_max / v) ** r.hill_power
                    else:
                        x += (v / r.half_max) ** r.hill_power
                h = 1.0 if x == float("inf") else x / (1 + x)
                out[i, b] += (members[0].saturation - out[i, b]) * h
    return out


def test_single_rule_is_the_hill_function():
    s = np.linspace(0, 100, 201)
    signals = s[:, None].astype(np.float32)
    base = np.array([[0.2]])
    rules = compile_rules([HillRule(0, 0, 0, True, 1.5, 10.0, 2.5)], 1)
    out = np.zeros((len(s), 1), np.float32)
    evaluate_behaviours(np.zeros(len(s), np.int64), np.zeros(len(s), bool), signals, len(s), base, rules, out)
    expected = 0.2 + (1.5 - 0.2) * hill(signals[:, 0].astype(float), 10.0, 2.5)
    np.testing.assert_allclose(out[:, 0], expected, rtol=1e-6)
    # decreasing rule toward 0: base * (1 - H)
    rules = compile_rules([HillRule(0, 0, 0, False, 0.0, 10.0, 1.0)], 1)
    evaluate_behaviours(np.zeros(len(s), np.int64), np.zeros(len(s), bool), signals, len(s), base, rules, out)
    np.testing.assert_allclose(out[:, 0], 0.2 * (1 - hill(signals[:, 0].astype(float), 10.0, 1.0)), rtol=1e-6)
    assert out[20, 0] == pytest.approx(0.2 / 2, rel=1e-6)  # s[20] = 10 = half-max -> halfway


@given(st.integers(1, 40), st.integers(0, 10_000), st.integers(1, 12), st.integers(1, 3))
def test_kernel_matches_plain_reference(n, seed, n_rules, n_pathways):
    rng = np.random.default_rng(seed)
    n_groups, n_sig, n_beh = 3, 4, 5
    rules = []
    sat = {}
    for _ in range(n_rules):
        g, b, up = int(rng.integers(n_groups)), int(rng.integers(n_beh)), bool(rng.random() < 0.5)
        pathway = int(rng.integers(n_pathways))  # separate pathways may have their own saturation
        s = sat.setdefault((g, b, up, pathway), float(rng.uniform(0, 3)))
        rules.append(HillRule(g, int(rng.integers(n_sig)), b, up, s, float(rng.uniform(0.1, 5)),
                              # integer Hill powers take the repeated-squaring path, others pow
                              float(rng.integers(1, 17) if rng.random() < 0.5 else rng.uniform(0.5, 4)),
                              responds_to_low=bool(rng.random() < 0.3), pathway=pathway))
    compiled = compile_rules(rules, n_groups)
    group = rng.integers(n_groups, size=n)
    apoptotic = rng.random(n) < 0.1
    signals = (rng.random((n, n_sig)) * 6).astype(np.float32)
    signals[rng.random((n, n_sig)) < 0.1] = 0.0  # absent signals: no response, or full response if low-sensing
    base = rng.uniform(0, 2, (n_groups, n_beh))
    out = np.zeros((n, n_beh), np.float64)
    evaluate_behaviours(group, apoptotic, signals, n, base, compiled, out)
    np.testing.assert_allclose(out, reference(group, apoptotic, signals, base, rules), rtol=1e-9, atol=1e-12)


def test_low_signal_rule_is_the_repression_curve():
    """A rule responding to a low signal: base + (sat - base) K^n / (K^n + s^n); full at s = 0."""
    s = np.linspace(0, 50, 101)
    signals = s[:, None].astype(np.float32)
    base = np.array([[0.8]])
    rules = compile_rules([HillRule(0, 0, 0, False, 0.0, 2.0, 4.0, responds_to_low=True)], 1)
    out = np.zeros((len(s), 1), np.float64)
    evaluate_behaviours(np.zeros(len(s), np.int64), np.zeros(len(s), bool), signals, len(s), base, rules, out)
    expected = 0.8 * (1 - 2.0**4 / (2.0**4 + s**4))
    np.testing.assert_allclose(out[:, 0], expected, rtol=1e-6, atol=1e-12)
    assert out[0, 0] == 0.0  # no tryptophan at all: fully arrested
    assert out[-1, 0] == pytest.approx(0.8, rel=1e-4)  # plenty: unaffected


def test_mismatched_saturation_rejected():
    with pytest.raises(ValueError, match="share one"):
        compile_rules([HillRule(0, 0, 0, True, 1.0, 1.0, 1.0), HillRule(0, 1, 0, True, 2.0, 1.0, 1.0)], 1)
    # on separate pathways each keeps its own
    assert compile_rules([HillRule(0, 0, 0, True, 1.0, 1.0, 1.0), HillRule(0, 1, 0, True, 2.0, 1.0, 1.0, pathway=1)],
                         1).n_runs == 2
    with pytest.raises(ValueError, match="pathway must be >= 0"):
        compile_rules([HillRule(0, 0, 0, True, 1.0, 1.0, 1.0, pathway=-1)], 1)


@given(st.floats(0.0, 50.0), st.floats(0.0, 50.0), st.floats(0.5, 20.0), st.floats(0.5, 20.0))
def test_pathways_add_within_and_multiply_across(s1, s2, k1, k2):
    """Two arrest signals on one pathway share one Hill (Loewe: base / (1 + x1 + x2)); on two pathways their
    remaining fractions multiply (Bliss: base / ((1 + x1) (1 + x2))), so removing one restores exactly its own
    factor whatever the other does."""
    signals = np.array([[s1, s2]], np.float64)
    base = np.array([[0.6]])
    x1, x2 = s1 / k1, (s2 / k2) ** 2
    out = np.zeros((1, 1))
    for pathway_2, expected in ((0, 0.6 / (1 + x1 + x2)), (1, 0.6 / ((1 + x1) * (1 + x2)))):
        rules = [HillRule(0, 0, 0, False, 0.0, k1, 1.0), HillRule(0, 1, 0, False, 0.0, k2, 2.0, pathway=pathway_2)]
        evaluate_behaviours(np.zeros(1, np.int64), np.zeros(1, bool), signals, 1, base, compile_rules(rules, 1), out)
        assert out[0, 0] == pytest.approx(expected, rel=1e-9)  # v (1 - h) vs v / (1 + x): rounding ~ eps x
    only_second = compile_rules([HillRule(0, 1, 0, False, 0.0, k2, 2.0, pathway=1)], 1)
    evaluate_behaviours(np.zeros(1, np.int64), np.zeros(1, bool), signals, 1, base, only_second, out)
    assert out[0, 0] * (1 + x2) == pytest.approx(0.6, rel=1e-9)


def _lifecycle(n, rates, u, dt=1.0, states=None, apoptosis=516.0):
    """One cell type with 3 states; behaviour columns: 0 cycle, 1 death, 2..4 to_state."""
    cell_type = np.zeros(n, np.int16)
    state = np.zeros(n, np.int16) if states is None else states.astype(np.int16)
    age = np.zeros(n, np.float32)
    prog = np.zeros(n, np.float32)
    apo = np.full(n, -1.0, np.float32)
    beh = np.tile(np.asarray(rates, np.float32), (n, 1))
    divide = np.zeros(n, bool)
    remove = np.zeros(n, bool)
    advance_lifecycle(n, cell_type, state, age, prog, apo, beh, 0, 1, np.array([[2, 3, 4]]),
                      np.array([apoptosis], np.float32), u[0], u[1], u[2], dt, divide, remove)
    return state, age, prog, apo, divide, remove


def test_lifecycle_rates_match_exponential_probabilities():
    n = 200_000
    rng = np.random.default_rng(1)
    u = rng.random((3, n))
    # death 0.1/min, switch to state 1 at 0.2/min and to 2 at 0.6/min, dt = 1 min
    state, age, prog, apo, divide, remove = _lifecycle(n, [0.0, 0.1, 0, 0.2, 0.6], u)
    died = apo >= 0
    assert died.mean() == pytest.approx(1 - np.exp(-0.1), abs=0.004)
    alive = ~died
    switched = alive & (state != 0)
    assert switched.sum() / alive.sum() == pytest.approx(1 - np.exp(-0.8), abs=0.004)
    assert (state[switched] == 2).mean() == pytest.approx(0.75, abs=0.005)
    assert np.all(age[switched] == 0) and np.all(age[alive & ~switched] == 1.0)


def test_division_after_one_cycle_time_and_apoptosis_clock():
    n = 10
    u = np.full((3, n), 0.99)
    prog_steps = 0
    state = np.zeros(n, np.int16)
    prog = np.zeros(n, np.float32)
    apo = np.full(n, -1.0, np.float32)
    beh = np.tile(np.array([1 / 8, 0, 0, 0, 0], np.float32), (n, 1))
    divide = np.zeros(n, bool)
    remove = np.zeros(n, bool)
    while not divide.any():
        advance_lifecycle(n, np.zeros(n, np.int16), state, np.zeros(n, np.float32), prog, apo, beh, 0, 1,
                          np.array([[2, 3, 4]]), np.array([3.0], np.float32), u[0], u[1], u[2], 1.0, divide, remove)
        prog_steps += 1
    assert prog_steps == 8 and divide.all()
    # apoptotic cells count down and are removed when the clock runs out
    apo[:] = 3.0
    for k in range(3):
        advance_lifecycle(n, np.zeros(n, np.int16), state, np.zeros(n, np.float32), prog, apo, beh, 0, 1,
                          np.array([[2, 3, 4]]), np.array([3.0], np.float32), u[0], u[1], u[2], 1.0, divide, remove)
        assert remove.all() == (k == 2)
        assert not divide.any()  # apoptotic cells do not cycle
