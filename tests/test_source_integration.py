"""Exact integration of the cells' step release for fast-decaying species (NO).

The independent truth is brute force: the same release spread over many small sub-steps of the
heat-kernel scheme (split at each sub-step), which converges to the exact solution as the
sub-steps shrink; and the exact mean ``m e^{-k dt} + delta (1 - e^{-k dt}) / (k dt)``."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mscabm.engine.diffusion import DiffusionSolver
from mscabm.engine.diffusion.source_integration import SOURCE_SPLIT_TOL, split_error
from mscabm.engine.lattice import Boundary, Lattice

ZF = Boundary()


def test_split_error():
    assert split_error(0.0) == 0.0
    assert split_error(1e-3) == pytest.approx(5e-4, rel=1e-3)
    assert split_error(6.0) == pytest.approx(1.0 - 6.0 * math.exp(-6.0) / (1.0 - math.exp(-6.0)))
    assert split_error(6.0) > 0.98  # NO at 1 min: the split keeps 1.5 % of the exact mean


def release(shape, rng):
    delta = np.zeros(shape)
    for _ in range(4):
        delta[rng.integers(shape[0]), rng.integers(shape[1])] += rng.uniform(1.0, 10.0)
    return delta


def fine_reference(u0, delta, D, k, dt, n_sub):
    """The release spread over ``n_sub`` sub-steps of the exact-in-time kernel scheme."""
    lat = Lattice(u0.shape, 10.0, ["a"], dtype=np.float64)
    lat.data[0] = u0
    s = DiffusionSolver(lat, [D], [k], [ZF], dt / n_sub, scheme="kernel")
    for _ in range(n_sub):
        lat.data[0] += delta / n_sub
        s.step()
    return lat.data[0].copy()


@pytest.mark.parametrize("D,k,floor", [(1e5, 6.0, 3e-3), (3e4, 1.0, 3e-4), (2000.0, 3.0, 1e-3)])
def test_matches_the_release_spread_over_fine_sub_steps(D, k, floor):
    """L1 error against the fine reference falls like 1/n_sub; the old split is >= 10x off.
    (The source voxel itself converges slowly: the 2-D resolvent has a log peak there.)"""
    rng = np.random.default_rng(7)
    shape, dt = (24, 30), 1.0
    u0 = rng.random(shape) * 2.0
    delta = release(shape, rng)
    lat = Lattice(shape, 10.0, ["a"], dtype=np.float64)
    lat.data[0] = u0 + delta
    s = DiffusionSolver(lat, [D], [k], [ZF], dt)
    assert s.source_species == (0,) and s.plan[0].source == "exact"
    s.step(increments={0: delta})

    def l1(a, ref):
        return np.abs(a - ref).sum() / np.abs(ref).sum()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the fine kernel at lambda < 0.3 warns of its floor
        refs = [fine_reference(u0, delta, D, k, dt, n_sub) for n_sub in (400, 1600)]
    errors = [l1(lat.data[0], ref) for ref in refs]
    assert errors[1] < floor, errors
    assert errors[1] < 0.5 * errors[0]  # the reference converges towards the exact step
    split = Lattice(shape, 10.0, ["a"], dtype=np.float64)  # the old split is far off
    split.data[0] = u0 + delta
    DiffusionSolver(split, [D], [k], [ZF], dt).step()
    assert l1(split.data[0], refs[1]) > 10 * errors[1]


@settings(max_examples=25, deadline=None)
@given(k=st.floats(0.2, 20.0), logD=st.floats(2.0, 5.0), level=st.floats(0.0, 50.0), dtype=st.sampled_from(
    [np.float32, np.float64]), seed=st.integers(0, 2**31 - 1))
def test_mean_is_exact(k, logD, level, dtype, seed):
    """Zero flux: the mean obeys dm/dt = -k m + mean(delta)/dt exactly, whatever the release's shape."""
    rng = np.random.default_rng(seed)
    shape, dt = (15, 17), 1.0
    u0 = rng.random(shape) * level
    delta = release(shape, rng)
    lat = Lattice(shape, 10.0, ["a"], dtype=dtype)
    lat.data[0] = u0 + delta
    s = DiffusionSolver(lat, [10.0**logD], [k], [ZF], dt)
    if split_error(k * dt) <= SOURCE_SPLIT_TOL:
        assert s.source_species == ()
        return
    s.step(increments={0: lat.data[0].astype(np.float64) - u0})
    want = u0.mean() * math.exp(-k * dt) + delta.mean() * -math.expm1(-k * dt) / (k * dt)
    rtol = 1e-10 if dtype == np.float64 else 1e-5
    assert lat.data[0].astype(np.float64).mean() == pytest.approx(want, rel=rtol)
    assert lat.data.min() >= 0.0


@settings(max_examples=15, deadline=None)
@given(dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 2**31 - 1),
       increment_dtype=st.sampled_from([np.float64, np.float32]))
def test_consumed_increments_give_the_same_bits(dtype, seed, increment_dtype):
    """``consume_increments=True`` (the model: the solver works in the increment's memory, no buffer of its own)
    equals the default, which leaves the caller's increment as it was; a float32 increment is copied either way."""
    rng = np.random.default_rng(seed)
    shape = (13, 19)
    u0, delta = rng.random(shape) * 5.0, release(shape, rng).astype(increment_dtype)
    results = []
    for consume in (False, True):
        lat = Lattice(shape, 10.0, ["a"], dtype=dtype)
        lat.data[0] = u0 + delta
        inc = delta.copy()
        DiffusionSolver(lat, [3e4], [6.0], [ZF], 1.0).step(increments={0: inc}, consume_increments=consume)
        results.append(lat.data[0].copy())
        if not consume or increment_dtype == np.float32:
            np.testing.assert_array_equal(inc, delta)  # left as it was
    np.testing.assert_array_equal(results[0], results[1])


def test_slow_species_and_other_boundaries_keep_the_split():
    lat = Lattice((20, 20), 10.0, ["cytokine", "no_dirichlet", "no_supplied", "no"])
    s = DiffusionSolver(lat, [555.0, 1e5, 1e5, 1e5], [0.01, 6.0, 6.0, 6.0],
                        [ZF, Boundary("dirichlet", 0.0), ZF, ZF], 1.0, supply_per_min=[0.0, 0.0, 1.0, 0.0])
    assert s.source_species == (3,)
    assert [p.source for p in s.plan] == ["split", "split", "split", "exact"]
    assert "exact" in s.describe()
    rng = np.random.default_rng(1)
    delta = release((20, 20), rng)
    a = Lattice((20, 20), 10.0, ["a"], dtype=np.float64)
    b = Lattice((20, 20), 10.0, ["a"], dtype=np.float64)
    a.data[0] = b.data[0] = delta
    sa = DiffusionSolver(a, [555.0], [0.01], [ZF], 1.0)
    sb = DiffusionSolver(b, [555.0], [0.01], [ZF], 1.0)
    sa.step(increments={0: delta})  # ignored: not a source species
    sb.step()
    np.testing.assert_array_equal(a.data, b.data)


def test_model_integrates_the_mscs_nitric_oxide():
    """The mouse preset's NO: integrated exactly by the solver, so its exports carry no mean-level
    correction (assembly.export_decay_correction, which the split needs: 67x at k dt = 6), while
    slow species keep theirs; the level is peaked near the MSCs."""
    from mscabm.assembly import export_decay_correction
    from mscabm.biology.fields import molecules_to_amount
    from mscabm.config.loading import load_config
    from mscabm.model import MSCModel

    cfg = load_config("mouse", ["model.steps=60"])
    m = MSCModel(cfg)
    no = m.tables.field_names.index("NO")
    ros = m.tables.field_names.index("ROS")  # neutrophil oxidants: NO's diffusion and decay, integrated alike
    assert m.diffusion.source_species == tuple(sorted((no, ros)))
    t = m.tables
    msc = t.type_names.index("MSC") * t.n_states + t.state_names[t.type_names.index("MSC")].index("licensed")
    given = cfg.behaviours["MSC"]["licensed"]
    col = t.column_of("export_NO_molecules_per_min")
    assert t.base[msc, col] == pytest.approx(given["export_NO_molecules_per_min"] * molecules_to_amount("nM"))
    col = t.column_of("export_PGE2_molecules_per_min")  # slow in medium: the split keeps its correction
    assert t.base[msc, col] == pytest.approx(given["export_PGE2_molecules_per_min"] * molecules_to_amount("nM")
                                             * export_decay_correction(cfg.fields["PGE2"].decay_per_min, 1.0))
    assert export_decay_correction(6.0, 1.0) > 60.0
    for _ in range(60):
        m.step()
    level = m.lattice.data[no]
    assert level.max() > 2.0 * level.min() > 0.0  # short-range: peaked near the MSCs, not a full-step Gaussian
