"""Per-cell variable kernels (engine/kernels/variables.py) against plain numpy references."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from mscabm.engine.kernels.variables import relax_variable, scale_behaviour


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
