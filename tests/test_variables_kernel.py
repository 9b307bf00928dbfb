"""Per-cell variable kernels (engine/kernels/variables.py) against plain numpy references."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mscabm.engine.kernels.variables import relax_variable, relax_variables, scale_behaviour


def relax_reference(cell_type, values, production, declared, decay, dt):
    out = values.copy()
    for i in range(len(values)):
        t = cell_type[i]
        if not declared[t]:
            continue
        k, p = decay[t], float(production[i])
        out[i] = values[i] * np.exp(-k * dt) + p * (1 - np.exp(-k * dt)) / k if k > 0 else values[i] + p * dt
    return out


@settings(max_examples=60, deadline=None)
@given(n=st.integers(0, 40), n_types=st.integers(1, 4), seed=st.integers(0, 2**31), dt=st.floats(0.0, 30.0))
def test_relax_variable_matches_the_exact_solution(n, n_types, seed, dt):
    rng = np.random.default_rng(seed)
    cell_type = rng.integers(0, n_types, n).astype(np.int16)
    values = rng.uniform(-5, 5, n)
    behaviours = rng.uniform(0, 2, (n, 3)).astype(np.float32)
    declared = rng.random(n_types) < 0.7
    decay = np.where(rng.random(n_types) < 0.3, 0.0, rng.uniform(0, 1, n_types))
    expected = relax_reference(cell_type, values, behaviours[:, 1], declared, decay, dt)
    relax_variable(n, cell_type, values, behaviours[:, 1], declared, decay, dt)  # a strided column view
    np.testing.assert_allclose(values, expected, rtol=1e-12, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(0, 60), n_types=st.integers(1, 4), k=st.integers(1, 6), seed=st.integers(0, 2**31),
       dt=st.floats(0.0, 30.0), beh_dtype=st.sampled_from([np.float32, np.float64]))
def test_relax_variables_in_one_pass_equal_one_call_per_variable(n, n_types, k, seed, dt, beh_dtype):
    """The model advances every variable in one pass (relax_variables): bit-equal to relax_variable per variable,
    rows beyond n and undeclared types untouched."""
    rng = np.random.default_rng(seed)
    cap = n + 3
    cell_type = rng.integers(0, n_types, cap).astype(np.int16)
    behaviours = rng.uniform(0, 2, (cap, 5)).astype(beh_dtype)
    produce_col = rng.integers(0, 5, k)
    declared = rng.random((n_types, k)) < 0.6
    decay = np.where(rng.random((n_types, k)) < 0.3, 0.0, rng.uniform(0, 1, (n_types, k)))
    columns = [rng.uniform(-5, 5, cap) for _ in range(k)]
    one_by_one = [c.copy() for c in columns]
    for j in range(k):
        relax_variable(n, cell_type, one_by_one[j], behaviours[:, produce_col[j]], declared[:, j], decay[:, j], dt)
    together = [c.copy() for c in columns]
    relax_variables(n, cell_type, tuple(together), behaviours, produce_col, declared, decay, dt)
    for a, b, c in zip(together, one_by_one, columns):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a[n:], c[n:])


def test_relax_variables_refuses_mismatched_tables():
    cols = (np.zeros(4), np.zeros(4))
    beh = np.zeros((4, 3), np.float32)
    types = np.zeros(4, np.int16)
    with pytest.raises(ValueError, match="one entry per variable"):
        relax_variables(4, types, cols, beh, np.array([0]), np.ones((1, 2), bool), np.zeros((1, 2)), 1.0)
    with pytest.raises(ValueError, match="dt_min"):
        relax_variables(4, types, cols, beh, np.array([0, 1]), np.ones((1, 2), bool), np.zeros((1, 2)), -1.0)
    relax_variables(4, types, (), beh, np.zeros(0, np.int64), np.ones((1, 0), bool), np.zeros((1, 0)), 1.0)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(0, 40), seed=st.integers(0, 2**31), col=st.integers(0, 2))
def test_scale_behaviour_multiplies_one_column_of_one_type(n, seed, col):
    rng = np.random.default_rng(seed)
    cell_type = rng.integers(0, 3, n).astype(np.int16)
    values = rng.uniform(0, 2, n)
    behaviours = rng.uniform(0, 1, (n, 3)).astype(np.float32)
    expected = behaviours.copy()
    mine = cell_type == 1
    expected[mine, col] = (expected[mine, col] * values[mine]).astype(np.float32)
    scale_behaviour(n, cell_type, 1, values, behaviours, col)
    np.testing.assert_array_equal(behaviours, expected)
