"""Enzyme turnover (FieldExchange.convert) and contact levels (sum_contact_levels) against plain
references: a Python loop of the same implicit Michaelis-Menten update, conservation of substrate
+ product, saturation at high substrate, first order at low substrate; a brute-force neighbour sum."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from mscabm.engine.kernels.contact import ContactFinder, brute_force_pairs, sum_contact_levels
from mscabm.engine.kernels.exchange import FieldExchange


def convert_reference(data, voxel, vmax, km, voxel_volume, dt):
    """One enzyme (species 0 -> 1), cells of a voxel in ascending row order (module docstring)."""
    out = data.astype(np.float64).copy()
    flat = out.reshape(out.shape[0], -1)
    used = np.zeros(len(voxel))
    for i in np.argsort(voxel, kind="stable"):
        v = voxel[i]
        s = flat[0, v]
        if vmax[i] <= 0 or s <= 0:
            continue
        new = s / (1.0 + dt * vmax[i] / (voxel_volume * (km + s)))
        flat[0, v] = new
        flat[1, v] += s - new
        used[i] = (s - new) * voxel_volume
    return out, used


def _run(data, voxel, vmax, km, vv, dt):
    n = len(voxel)
    ex = FieldExchange(data.shape[1] * data.shape[2])
    beh = np.zeros((n, 2), dtype=np.float64)
    beh[:, 1] = vmax
    none = np.full(data.shape[0], -1)
    ex.apply(data, voxel, n, beh, none, none, none, none, 1.0, vv, dt, np.ones(n, dtype=bool))
    return ex.convert(data, beh, [1], [0], [1], [km], [1.0], vv, dt)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(0, 30), seed=st.integers(0, 2**31), km=st.floats(0.1, 100.0), dt=st.floats(0.01, 5.0))
def test_convert_matches_the_reference_and_conserves_substrate_plus_product(n, seed, km, dt):
    rng = np.random.default_rng(seed)
    data = np.zeros((3, 4, 5))
    data[0] = rng.uniform(0, 50, (4, 5))
    data[1] = rng.uniform(0, 5, (4, 5))
    voxel = rng.integers(0, 20, n).astype(np.int64)
    vmax = np.where(rng.random(n) < 0.2, 0.0, rng.uniform(0, 5e4, n))
    vv = 1000.0
    expected, used = convert_reference(data, voxel, vmax, km, vv, dt)
    before = data[0] + data[1]
    start = data.copy()
    got = _run(data, voxel, vmax, km, vv, dt)
    np.testing.assert_allclose(data, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got[:, 0], used, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(data[0] + data[1], before, rtol=1e-12)  # one product per substrate, voxel by voxel
    assert (data[0] >= 0).all()
    # without recording what each cell converted (the model's call): the same fields, bit for bit
    ex = FieldExchange(20)
    for record in (True, False):
        d = start.copy()
        beh = np.zeros((n, 2))
        beh[:, 1] = vmax
        none = np.full(3, -1)
        ex.apply(d, voxel, n, beh, none, none, none, none, 1.0, vv, dt, np.ones(n, dtype=bool))
        out = ex.convert(d, beh, [1], [0], [1], [km], [1.0], vv, dt, record=record)
        assert out.shape == ((n, 1) if record else (0, 1))
        np.testing.assert_array_equal(d, data)


def test_flux_is_michaelis_menten_first_order_at_low_and_saturating_at_high_substrate():
    vmax, km, vv, dt = 1000.0, 20.0, 1000.0, 1e-4  # one cell, a short step: the flux is the instantaneous rate
    rates = []
    for s0 in (0.01, 20.0, 1e6):
        data = np.zeros((2, 1, 1))
        data[0] = s0
        used = _run(data, np.zeros(1, np.int64), np.array([vmax]), km, vv, dt)[0, 0]
        rates.append(used / dt)
    np.testing.assert_allclose(rates[0], vmax * 0.01 / (km + 0.01), rtol=1e-3)  # ~ (Vmax / Km) S
    np.testing.assert_allclose(rates[1], vmax / 2, rtol=1e-3)  # half-max at S = Km
    np.testing.assert_allclose(rates[2], vmax, rtol=1e-3)  # saturated


def test_float32_fields_conserve_up_to_rounding():
    rng = np.random.default_rng(3)
    data = np.zeros((2, 6, 6), dtype=np.float32)
    data[0] = 25.0
    voxel = rng.integers(0, 36, 50).astype(np.int64)
    before = float(data.astype(np.float64).sum())
    _run(data, voxel, rng.uniform(0, 1e5, 50), 20.0, 1000.0, 1.0)
    np.testing.assert_allclose(float(data.astype(np.float64).sum()), before, rtol=1e-6)


def test_convert_without_a_prior_apply_does_nothing():
    data = np.ones((2, 2, 2))
    ex = FieldExchange(4)
    got = ex.convert(data, np.ones((3, 2)), [1], [0], [1], [1.0], [1.0], 1.0, 1.0)
    assert got.shape == (0, 1) and (data == 1).all()


@settings(max_examples=60, deadline=None)
@given(n=st.integers(0, 60), seed=st.integers(0, 2**31))
def test_sum_contact_levels_matches_brute_force(n, seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 100, n)
    y = rng.uniform(0, 100, n)
    r = rng.uniform(2, 8, n)
    cell_type = rng.integers(0, 3, n).astype(np.int64)  # 2: "apoptotic", never counted as type 1
    values = rng.uniform(0, 1, n)
    offsets, neighbours = ContactFinder(100.0, 100.0).find(x, y, r, n, 1.0)
    out = np.zeros((n, 3), dtype=np.float32)
    sum_contact_levels(offsets, neighbours, cell_type, 1, values, out[:, 2])
    expected = np.zeros(n)
    for i, j in brute_force_pairs(x, y, r, n, 1.0):
        expected[i] += values[j] if cell_type[j] == 1 else 0.0
        expected[j] += values[i] if cell_type[i] == 1 else 0.0
    np.testing.assert_allclose(out[:, 2], expected, rtol=1e-5, atol=1e-6)
    assert not out[:, :2].any()
