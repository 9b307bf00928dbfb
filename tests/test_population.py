"""Struct-of-arrays population: stable ids, growth, division, order-preserving compaction."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mscabm.engine.kernels.sorting import keep_rows_in_place
from mscabm.engine.population import Population, PopulationCapacityError


def test_add_assigns_increasing_ids_and_defaults():
    pop = Population(100, initial_capacity=2)
    rows = pop.add(5, type=1, x_um=np.arange(5.0))
    assert rows.tolist() == [0, 1, 2, 3, 4]
    assert pop["id"].tolist() == [0, 1, 2, 3, 4]
    assert pop["type"].tolist() == [1] * 5
    assert np.all(pop["apoptosis_left_min"] == -1)
    assert pop.capacity >= 5


def test_growth_is_geometric_and_preserves_data():
    pop = Population(10_000, initial_capacity=1)
    caps = set()
    for k in range(1000):
        pop.add(1, x_um=float(k))
        caps.add(pop.capacity)
    assert len(caps) <= 11  # doublings, not one allocation per birth
    assert np.array_equal(pop["x_um"], np.arange(1000.0))


def test_divide_copies_parent_and_splits_position():
    pop = Population(10)
    pop.add(2, type=3, state=1, x_um=[10.0, 50.0], y_um=[10.0, 50.0], radius_um=4.0)
    pop["cycle_progress"][:] = 1.2
    d = pop.divide(np.array([1]), np.array([4.0]), np.array([0.0]))
    assert d.tolist() == [2]
    assert pop["id"].tolist() == [0, 1, 2]
    assert pop["type"][2] == 3 and pop["state"][2] == 1
    assert pop["x_um"][1] == 48.0 and pop["x_um"][2] == 52.0
    assert pop["cycle_progress"][1] == 0 and pop["cycle_progress"][2] == 0
    assert pop["cycle_progress"][0] == pytest.approx(1.2)


def test_capacity_error_is_clear():
    pop = Population(3)
    pop.add(3)
    with pytest.raises(PopulationCapacityError, match="capacity of 3"):
        pop.add(1)


@given(st.lists(st.booleans(), min_size=0, max_size=200), st.integers(0, 50))
def test_compaction_keeps_order_and_ids_lookup(keep_list, extra):
    pop = Population(1000, initial_capacity=4)
    n = len(keep_list)
    pop.add(n, x_um=np.arange(n, dtype=float))
    keep = np.array(keep_list, dtype=bool)
    removed = pop.compact(keep)
    assert removed == n - keep.sum()
    assert np.array_equal(pop["x_um"], np.arange(n)[keep].astype(float))
    pop.add(extra)
    ids = pop["id"]
    assert np.all(np.diff(ids) > 0)  # sorted: rows_of is a binary search
    if len(ids):
        sample = ids[:: max(1, len(ids) // 7)]
        assert np.array_equal(pop["id"][pop.rows_of(sample)], sample)
    dead = np.flatnonzero(~keep)
    if len(dead):
        with pytest.raises(KeyError):
            pop.rows_of(dead[0])


def test_state_dict_roundtrip():
    pop = Population(100)
    pop.add(7, x_um=np.arange(7.0))
    pop.compact(np.array([1, 0, 1, 1, 0, 1, 1], bool))
    other = Population(100)
    other.load_state_dict(pop.state_dict())
    assert len(other) == 5 and other.next_id == 7
    for c in pop.columns:
        assert np.array_equal(other[c], pop[c])


@given(st.integers(0, 300), st.integers(0, 10**6))
def test_permute_keeps_each_cell_and_id_lookup(n, seed):
    rng = np.random.default_rng(seed)
    pop = Population(10_000)
    pop.add(n, x_um=rng.random(n))
    x_by_id = dict(zip(pop["id"].tolist(), pop["x_um"].tolist()))
    pop.permute(rng.permutation(n))
    pop.add(3, x_um=7.0)
    pop.compact(np.arange(len(pop)) % 5 != 1)
    for cid, x in zip(pop["id"].tolist(), pop["x_um"].tolist()):
        assert x == x_by_id.get(cid, 7.0)
    ids = pop["id"]
    if len(ids):
        sample = rng.choice(ids, size=min(10, len(ids)), replace=False)
        assert np.array_equal(pop["id"][pop.rows_of(sample)], sample)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 60), cols=st.integers(1, 5),
       dtype=st.sampled_from([np.float32, np.float64, np.int16, np.int64, np.bool_]), extra=st.integers(0, 4),
       one_d=st.booleans())
def test_keep_rows_in_place_equals_boolean_indexing(seed, n, cols, dtype, extra, one_d):
    """The in-place removal moves the kept rows to the front exactly as ``a[:n][keep]`` does, leaves the rows
    behind them untouched, and returns the count (plain reference: numpy's boolean indexing)."""
    rng = np.random.default_rng(seed)
    shape = (n + extra,) if one_d else (n + extra, cols)
    a = (rng.random(shape) * 100).astype(dtype)
    keep = rng.random(n) < rng.random()
    want = a[:n][keep].copy()
    before = a.copy()
    k = keep_rows_in_place(a, keep)
    assert k == int(keep.sum())
    np.testing.assert_array_equal(a[:k], want)
    if keep.all():
        np.testing.assert_array_equal(a, before)
    np.testing.assert_array_equal(a[n:], before[n:])  # rows past the mask never move


def test_keep_rows_in_place_refuses_bad_masks():
    a = np.zeros((3, 2))
    with pytest.raises(ValueError, match="1-D mask"):
        keep_rows_in_place(a, np.ones(4, dtype=bool))
    with pytest.raises(ValueError, match="1-D mask"):
        keep_rows_in_place(a, np.ones((3, 1), dtype=bool))
