"""Cell <-> voxel exchange vs a plain-Python reference; conservation; saturation; positivity;
determinism and within-voxel row order; field sampling; voxel indices."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mscabm.engine.kernels.exchange import FieldExchange, sample_fields, voxel_indices


def ref_exchange(data, vox, n, beh, sec, sat, upt, exp_, vcell, vvox, dt, active):
    """Cells in ascending row order (cells of different voxels do not interact, so this is the
    same as ascending row order within each voxel).  Returns (new data, amounts)."""
    data = data.copy()
    ns, ny, nx = data.shape
    flat = data.reshape(ns, ny * nx)
    amt = np.zeros((n, ns))
    cast = data.dtype.type
    for i in range(n):
        if not active[i]:
            continue
        v = int(vox[i])
        for s in range(ns):
            def col(c):
                return float(beh[i, c]) if c >= 0 else 0.0
            S, Q, U, E = col(sec[s]), col(sat[s]), col(upt[s]), col(exp_[s])
            S, Q, U = max(S, 0.0), max(Q, 0.0), max(U, 0.0)
            if S == 0 and U == 0 and E == 0:
                continue
            rho = float(flat[s, v])
            r = float(vcell[i]) / vvox
            new = (rho + dt * (r * S * Q + E / vvox)) / (1.0 + dt * r * (S + U))
            new = max(new, 0.0)
            flat[s, v] = cast(new)
            amt[i, s] = (float(flat[s, v]) - rho) * vvox
    return data, amt


def random_case(rng, n, ns, ny, nx, dtype, crowd):
    data = rng.uniform(0, 5, (ns, ny, nx)).astype(dtype)
    hot = rng.integers(0, ny * nx, max(1, crowd))
    vox = np.where(rng.random(n) < 0.5, rng.choice(hot, n), rng.integers(0, ny * nx, n))
    vox = vox.astype(np.int64)
    nbeh = 2 + 4 * ns
    beh = rng.uniform(-0.2, 2.0, (n, nbeh)).astype(np.float32)
    beh[rng.random((n, nbeh)) < 0.3] = 0.0
    cols = rng.permutation(nbeh)[: 4 * ns].reshape(4, ns)
    cols[rng.random((4, ns)) < 0.2] = -1
    sec, sat, upt, exp_ = cols
    beh[:, exp_[exp_ >= 0]] *= 500.0  # exports are amounts (field units * um^3 / min)
    vcell = rng.uniform(500, 4000, n)
    active = rng.random(n) < 0.85
    return data, vox, beh, sec, sat, upt, exp_, vcell, active


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 200), ns=st.integers(1, 3),
       dtype=st.sampled_from([np.float32, np.float64]), dt=st.sampled_from([0.01, 1.0, 30.0]),
       crowd=st.integers(1, 5))
def test_matches_reference_and_conserves(seed, n, ns, dtype, dt, crowd):
    rng = np.random.default_rng(seed)
    ny, nx, vvox = 6, 7, 8000.0
    data, vox, beh, sec, sat, upt, exp_, vcell, active = random_case(rng, n, ns, ny, nx, dtype, crowd)
    want_data, want_amt = ref_exchange(data, vox, n, beh, sec, sat, upt, exp_, vcell, vvox, dt, active)
    before = data.copy()
    ex = FieldExchange(ny * nx)
    amt = ex.apply(data, vox, n, beh, sec, sat, upt, exp_, vcell, vvox, dt, active)
    assert amt.shape == (n, ns) and amt.dtype == np.float64
    np.testing.assert_allclose(data, want_data, rtol=1e-12, atol=0)
    np.testing.assert_allclose(amt, want_amt, rtol=1e-9, atol=1e-9)
    assert np.all(data >= 0)
    assert np.all(amt[~active[:n]] == 0)
    # conservation: what the fields gained is what the cells released
    gained = (data.astype(np.float64) - before.astype(np.float64)).sum(axis=(1, 2)) * vvox
    scale = max(1.0, np.abs(amt).sum())
    np.testing.assert_allclose(gained, amt.sum(axis=0), rtol=0, atol=1e-12 * scale * 1e3)


def test_saturation_converges_without_overshoot():
    ex = FieldExchange(4)
    for dtype in (np.float32, np.float64):
        data = np.array([[[0.0, 0.0], [3.0, 9.0]]], dtype=dtype)
        # voxels 0, 1, 2: 1, 5 and 2 secreting cells; voxel 3 starts above saturation
        vox = np.array([0, 1, 1, 1, 1, 1, 2, 2, 3], dtype=np.int64)
        n = len(vox)
        beh = np.zeros((n, 2), dtype=np.float32)
        beh[:, 0] = 50.0  # secretion rate 1/min (large)
        beh[:, 1] = 4.0  # saturation density
        prev = data.copy()
        for _ in range(200):
            ex.apply(data, vox, n, beh, [0], [1], [-1], [-1], 1000.0, 1000.0, 1.0,
                     np.ones(n, bool))
            d = data.ravel()
            assert np.all(d[:3] <= 4.0) and np.all(d[:3] >= prev.ravel()[:3])
            assert d[3] >= 4.0 and d[3] <= prev.ravel()[3]
            prev = data.copy()
        np.testing.assert_allclose(data.ravel(), 4.0, rtol=1e-6)


def test_uptake_never_negative():
    ex = FieldExchange(3)
    data = np.array([[[1.0, 1e-30, 7.0]]], dtype=np.float32)
    n = 1000
    vox = np.repeat(np.array([0, 1, 2]), [500, 300, 200]).astype(np.int64)
    beh = np.full((n, 2), 1e12, dtype=np.float32)
    beh[:, 1] = -1e12  # a huge negative export too: clipped at zero
    amt = ex.apply(data, vox, n, beh, [-1], [-1], [0], [1], 5000.0, 1000.0, 60.0,
                   np.ones(n, bool))
    assert np.all(data >= 0) and np.all(np.isfinite(data))
    assert np.all(amt <= 0)
    np.testing.assert_allclose(amt.sum(), -(1.0 + 1e-30 + 7.0) * 1000.0, rtol=1e-6)
    # uptake proportional and credited: one cell, moderate rate, analytic backward Euler
    data = np.array([[[2.0]]])
    amt = FieldExchange(1).apply(data, np.zeros(1, np.int64), 1, np.array([[0.1]]), [-1], [-1],
                                 [0], [-1], 500.0, 1000.0, 2.0, np.ones(1, bool))
    want = 2.0 / (1 + 2.0 * 0.5 * 0.1)
    np.testing.assert_allclose(data.ravel(), want, rtol=1e-15)
    np.testing.assert_allclose(amt.ravel(), (want - 2.0) * 1000.0, rtol=1e-13)


def test_export_only_adds_amount():
    data = np.zeros((2, 1, 2))
    beh = np.array([[300.0, 0.0], [100.0, 0.0]])
    amt = FieldExchange(2).apply(data, np.array([1, 1]), 2, beh, [-1, -1], [-1, -1], [-1, -1],
                                 [0, -1], 10.0, 50.0, 0.5, np.ones(2, bool))
    np.testing.assert_allclose(amt[:, 0], [150.0, 50.0])
    np.testing.assert_allclose(data[0, 0, 1], 200.0 / 50.0)
    assert np.all(data[1] == 0) and np.all(amt[:, 1] == 0)


def test_row_order_within_voxel_and_repeatability():
    """Row 0 takes up (rate 1/min), row 1 secretes to saturation: the order matters, and it is
    ascending row order whatever order the voxel's cells come in."""
    beh = np.array([[1.0, 0.0, 0.0], [0.0, 2.0, 10.0]])
    vv, vc, dt = 100.0, 100.0, 1.0

    def run(order_rows):
        d = np.array([[[1.0]]])
        for i in order_rows:
            d, _ = ref_exchange(d, np.zeros(2, np.int64), 2, beh, [1], [2], [0], [-1],
                                np.full(2, vc), vv, dt, np.arange(2) == i)
        return d

    data = np.array([[[1.0]]])
    ex = FieldExchange(1)
    ex.apply(data, np.zeros(2, np.int64), 2, beh, [1], [2], [0], [-1], vc, vv, dt, np.ones(2, bool))
    assert data.ravel()[0] == run([0, 1]).ravel()[0]
    assert data.ravel()[0] != run([1, 0]).ravel()[0]
    # repeated calls on the same input give identical bytes
    rng = np.random.default_rng(4)
    case = random_case(rng, 5000, 2, 20, 20, np.float32, 3)
    outs = []
    for _ in range(3):
        d = case[0].copy()
        a = FieldExchange(400).apply(d, case[1], 5000, case[2], *case[3:7], case[7], 8000.0, 1.0,
                                     case[8]).copy()
        outs.append((d.tobytes(), a.tobytes()))
    assert outs[0] == outs[1] == outs[2]


def test_shared_start_buffer():
    """The model hands the exchange the bin-start array of its own voxel sort: the same result as an exchange with
    its own, whatever the array held before; a wrong buffer is refused."""
    rng = np.random.default_rng(3)
    ny, nx, n = 6, 7, 150
    data0, vox, beh, sec, sat, upt, exp_, vcell, active = random_case(rng, n, 2, ny, nx, np.float64, 3)
    shared = np.full(ny * nx + 1, 12345, dtype=np.int64)  # garbage from another sort
    results = []
    for ex in (FieldExchange(ny * nx), FieldExchange(ny * nx, start=shared)):
        data = data0.copy()
        amt = ex.apply(data, vox, n, beh, sec, sat, upt, exp_, vcell, 8000.0, 1.0, active)
        results.append((data, amt.copy()))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])
    strided = np.zeros((ny * nx + 1) * 2, np.int64)[::2]
    for bad in (np.zeros(ny * nx, np.int64), np.zeros(ny * nx + 1, np.int32), strided):
        with pytest.raises(ValueError, match="start"):
            FieldExchange(ny * nx, start=bad)


def test_validation():
    ex = FieldExchange(4)
    data = np.zeros((1, 2, 2))
    beh = np.zeros((1, 2))
    with pytest.raises(ValueError):
        ex.apply(data, np.array([4]), 1, beh, [0], [1], [-1], [-1], 1.0, 1.0, 1.0, np.ones(1, bool))
    with pytest.raises(ValueError):
        ex.apply(data, np.array([0]), 1, beh, [2], [1], [-1], [-1], 1.0, 1.0, 1.0, np.ones(1, bool))
    with pytest.raises(ValueError):
        ex.apply(np.zeros((1, 3, 3)), np.array([0]), 1, beh, [0], [1], [-1], [-1], 1.0, 1.0, 1.0,
                 np.ones(1, bool))
    assert ex.apply(data, np.array([0]), 0, beh, [0], [1], [-1], [-1], 1.0, 1.0, 1.0,
                    np.ones(1, bool)).shape == (0, 1)


def test_sample_fields_and_voxel_indices():
    rng = np.random.default_rng(9)
    ns, ny, nx, dx = 3, 5, 8, 12.5
    W, H = nx * dx, ny * dx
    data = rng.normal(size=(ns, ny, nx)).astype(np.float32)
    n = 500
    x = rng.uniform(0, W, n)
    y = rng.uniform(0, H, n)
    x[:4] = [0.0, W, dx, W - 1e-9]
    y[:4] = [H, 0.0, 2 * dx, H]
    vox = voxel_indices(x, y, n, dx, nx, ny)
    ix = np.minimum(np.floor(x / dx).astype(np.int64), nx - 1)
    iy = np.minimum(np.floor(y / dx).astype(np.int64), ny - 1)
    np.testing.assert_array_equal(vox, iy * nx + ix)
    assert vox[2] == 2 * nx + 1  # x == dx lies in voxel 1 ([dx, 2dx))
    out = np.empty((n, ns), np.float32)
    sample_fields(data, vox, n, out)
    np.testing.assert_array_equal(out, data[:, iy, ix].T)
    # into chosen columns (the model's stored signals): species 1 is not sampled, its column keeps its value
    wide = np.full((n, 5), -3.0, np.float32)
    sample_fields(data, vox, n, wide, np.array([4, -1, 0]))
    np.testing.assert_array_equal(wide[:, 4], data[0, iy, ix])
    np.testing.assert_array_equal(wide[:, 0], data[2, iy, ix])
    assert (wide[:, 1:4] == -3.0).all()
    for bad in (np.array([0, 1]), np.array([0, -2, 1])):
        with pytest.raises(ValueError, match="per species"):
            sample_fields(data, vox, n, wide, bad)
    with pytest.raises(ValueError, match="mapped species"):
        sample_fields(data, vox, n, wide, np.array([5, -1, 0]))


def test_export_decay_correction_matches_continuous_release():
    """Release q at the start of each step, then decay over the step (the model's split), with the
    export scaled by phi: the level after each step equals the exact solution of dc/dt = q - k c."""
    import math

    from mscabm.assembly import export_decay_correction

    for k, dt in ((6.0, 1.0), (0.1, 1.0), (0.01, 0.5), (0.0, 1.0)):
        phi = export_decay_correction(k, dt)
        q, c_split, c_exact = 3.0, 0.0, 0.0
        for _ in range(50):
            c_split = (c_split + q * phi * dt) * math.exp(-k * dt)
            c_exact = c_exact * math.exp(-k * dt) + (q * (1 - math.exp(-k * dt)) / k if k > 0 else q * dt)
            assert c_split == pytest.approx(c_exact, rel=1e-12)
    assert export_decay_correction(1e-12, 1.0) == 1.0
    assert export_decay_correction(6.0, 1.0) == pytest.approx(67.1, rel=1e-3)  # NO: ~70x below without it


# ------------------------------------------------------------------------------------ sparse exchange
def listed_species(beh, kind, n, n_kinds, cols):
    """CSR of the species each kind's cells exchange: those with a non-zero secretion, uptake or export in some
    row of that kind (what Tables.exchange_species lists from base values and rules)."""
    touches = np.zeros((n_kinds, cols.shape[1]), dtype=bool)
    for i in range(n):
        for s in range(cols.shape[1]):
            touches[kind[i], s] |= any(c >= 0 and beh[i, c] != 0 for c in cols[[0, 2, 3], s])
    ptr = np.concatenate([[0], np.cumsum(touches.sum(axis=1))]).astype(np.int64)
    return ptr, (np.flatnonzero(touches.ravel()) % cols.shape[1]).astype(np.int64)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 200), ns=st.integers(1, 4),
       dtype=st.sampled_from([np.float32, np.float64]), dt=st.sampled_from([0.01, 1.0, 30.0]),
       crowd=st.integers(1, 5), n_kinds=st.integers(1, 4))
def test_sparse_exchange_equals_dense_to_the_bit(seed, n, ns, dtype, dt, crowd, n_kinds):
    """Visiting only the species each kind lists gives the dense result bit for bit (fields and amounts), and
    the plain reference's; a list that leaves out a species some cell exchanges does not (negative control)."""
    rng = np.random.default_rng(seed)
    ny, nx, vvox = 6, 7, 8000.0
    data, vox, beh, sec, sat, upt, exp_, vcell, active = random_case(rng, n, ns, ny, nx, dtype, crowd)
    kind = rng.integers(0, n_kinds, n).astype(np.int8)
    for k in range(n_kinds):  # each kind exchanges only some species: zero the others' columns in its rows
        off = rng.random(ns) < 0.5
        for s in np.flatnonzero(off):
            for c in (sec[s], upt[s], exp_[s]):
                if c >= 0:
                    beh[kind == k, c] = 0.0
    cols = np.stack([sec, sat, upt, exp_])
    ptr, listed = listed_species(beh, kind, n, n_kinds, cols)
    dense_data = data.copy()
    dense_amt = FieldExchange(ny * nx).apply(dense_data, vox, n, beh, sec, sat, upt, exp_, vcell, vvox, dt,
                                             active).copy()
    sparse_data = data.copy()
    sparse_amt = FieldExchange(ny * nx).apply(sparse_data, vox, n, beh, sec, sat, upt, exp_, vcell, vvox, dt,
                                              active, (kind, ptr, listed))
    np.testing.assert_array_equal(sparse_data, dense_data)
    np.testing.assert_array_equal(sparse_amt, dense_amt)
    want_data, _ = ref_exchange(data, vox, n, beh, sec, sat, upt, exp_, vcell, vvox, dt, active)
    np.testing.assert_allclose(sparse_data, want_data, rtol=1e-12, atol=0)
    if len(listed) and np.abs(dense_amt).max() > 0:  # drop the listed species that moved the most
        i_big, s_big = (int(a) for a in np.unravel_index(np.abs(dense_amt).argmax(), dense_amt.shape))
        k_big = int(kind[i_big])
        keep = np.ones(len(listed), dtype=bool)
        keep[ptr[k_big]:ptr[k_big + 1]] &= listed[ptr[k_big]:ptr[k_big + 1]] != s_big
        short_ptr = np.concatenate([[0], np.cumsum([keep[ptr[k]:ptr[k + 1]].sum() for k in range(n_kinds)])])
        short_amt = FieldExchange(ny * nx).apply(data.copy(), vox, n, beh, sec, sat, upt, exp_, vcell, vvox, dt,
                                                 active, (kind, short_ptr.astype(np.int64), listed[keep]))
        assert short_amt[i_big, s_big] == 0.0 != dense_amt[i_big, s_big]
    # recording only some species' amounts: the same fields, and the recorded columns of the full amounts
    recorded = np.flatnonzero(rng.random(ns) < 0.5)[::-1].copy()  # any subset, any order
    for species_by_kind in (None, (kind, ptr, listed)):
        some_data = data.copy()
        some_amt = FieldExchange(ny * nx).apply(some_data, vox, n, beh, sec, sat, upt, exp_, vcell, vvox, dt,
                                                active, species_by_kind, recorded)
        np.testing.assert_array_equal(some_data, dense_data)
        assert some_amt.shape == (n, len(recorded))
        np.testing.assert_array_equal(some_amt, dense_amt[:, recorded])


def test_sparse_exchange_validation():
    ex = FieldExchange(4)
    data = np.zeros((2, 2, 2))
    beh = np.ones((1, 4), dtype=np.float32)
    args = (data, np.zeros(1, dtype=np.int64), 1, beh, [0, 1], [-1, -1], [2, 3], [-1, -1], 1000.0, 8000.0, 1.0,
            np.ones(1, dtype=bool))
    with pytest.raises(ValueError, match="CSR"):
        ex.apply(*args, (np.zeros(1, dtype=np.int64), np.array([1, 2]), np.array([0, 1])))
    with pytest.raises(ValueError, match="cell_kind out of range"):
        ex.apply(*args, (np.array([3]), np.array([0, 1]), np.array([0])))
    with pytest.raises(ValueError, match="species out of range"):
        ex.apply(*args, (np.array([0]), np.array([0, 1]), np.array([5])))
    for recorded in ([2], [-1], [0, 0]):
        with pytest.raises(ValueError, match="recorded species"):
            ex.apply(*args, None, recorded)
