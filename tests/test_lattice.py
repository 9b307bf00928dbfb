"""Lattice: geometry, species lookup, voxel indexing, storage layout; Boundary validation."""

import dataclasses

import numpy as np
import pytest

from mscabm.engine.lattice import BOUNDARY_KINDS, Boundary, Lattice


def make(shape=(4, 5), dx=10.0, dtype=np.float32, **kw):
    return Lattice(shape, dx, ["il10", "pge2", "tnf"], dtype=dtype, **kw)


def test_storage_layout_and_attributes():
    lat = make()
    assert lat.shape == (4, 5)
    assert lat.ndim == 2
    assert lat.species == ("il10", "pge2", "tnf")
    assert lat.data.shape == (3, 4, 5)
    assert lat.data.dtype == np.float32 and lat.dtype == np.float32
    assert lat.data.flags.c_contiguous
    assert not lat.data.any()
    assert lat.thickness_um == 10.0
    assert lat.voxel_volume_um3 == pytest.approx(1000.0)
    assert lat.extent_um == (40.0, 50.0)
    lat64 = make(dtype=np.float64, thickness_um=3.0)
    assert lat64.data.dtype == np.float64
    assert lat64.voxel_volume_um3 == pytest.approx(300.0)


def test_field_is_contiguous_view():
    lat = make()
    f = lat.field("pge2")
    assert f.shape == (4, 5) and f.flags.c_contiguous
    f[1, 2] = 7.0
    assert lat.data[1, 1, 2] == 7.0
    assert np.shares_memory(f, lat.data)


def test_index_and_keyerror_lists_names():
    lat = make()
    assert [lat.index(s) for s in lat.species] == [0, 1, 2]
    with pytest.raises(KeyError) as ei:
        lat.index("ifng")
    msg = str(ei.value)
    assert "ifng" in msg and "il10" in msg and "pge2" in msg and "tnf" in msg
    with pytest.raises(KeyError):
        lat.field("ifng")


def test_total_accumulates_in_float64():
    lat = Lattice((1000, 1000), 10.0, ["a"], dtype=np.float32)
    lat.data[0] = np.float32(0.1)
    # float32 running sums would drift; the float64 total is exact to float32 rounding of 0.1
    assert lat.total("a") == pytest.approx(1e6 * float(np.float32(0.1)) * 1000.0, rel=1e-12)
    assert isinstance(lat.total("a"), float)


def test_voxel_index_interior_edges_and_clipping():
    lat = make(shape=(4, 5), dx=10.0)  # width 50 um, height 40 um
    x = np.array([0.0, 9.999, 10.0, 25.0, 49.999, 50.0, 1e9, -3.0, -np.inf, np.inf])
    y = np.array([0.0, 0.0, 0.0, 15.0, 39.999, 40.0, 1e9, -3.0, 5.0, 35.0])
    idx = lat.voxel_index(x, y)
    assert idx.dtype == np.int64
    ix = np.array([0, 0, 1, 2, 4, 4, 4, 0, 0, 4])
    iy = np.array([0, 0, 0, 1, 3, 3, 3, 0, 0, 3])
    np.testing.assert_array_equal(idx, iy * 5 + ix)


def test_voxel_index_matches_centres():
    lat = make(shape=(7, 9), dx=2.5)
    cx = lat.centres_um("x")
    cy = lat.centres_um("y")
    X, Y = np.meshgrid(cx, cy)
    np.testing.assert_array_equal(lat.voxel_index(X.ravel(), Y.ravel()), np.arange(63))
    # voxel boundaries belong to the upper voxel: x = ix*dx is in voxel ix
    edges = np.arange(9) * 2.5
    np.testing.assert_array_equal(lat.voxel_index(edges, np.zeros(9)), np.arange(9))


def test_voxel_index_rejects_nan_and_shape_mismatch():
    lat = make()
    with pytest.raises(ValueError):
        lat.voxel_index(np.array([np.nan]), np.array([1.0]))
    with pytest.raises(ValueError):
        lat.voxel_index(np.zeros(3), np.zeros(2))


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(shape=(0, 4)),
        dict(shape=(3,)),
        dict(dx=0.0),
        dict(dx=float("nan")),
        dict(dtype=np.int32),
        dict(dtype=np.float16),
        dict(thickness_um=-1.0),
    ],
)
def test_invalid_lattices(kwargs):
    shape = kwargs.pop("shape", (3, 4))
    dx = kwargs.pop("dx", 10.0)
    with pytest.raises(ValueError):
        Lattice(shape, dx, ["a"], **kwargs)


def test_duplicate_or_string_species():
    with pytest.raises(ValueError):
        Lattice((3, 3), 1.0, ["a", "a"])
    with pytest.raises(TypeError):
        Lattice((3, 3), 1.0, "abc")


def test_boundary_validation():
    assert Boundary().kind == "zero_flux" and Boundary().value == 0.0
    assert set(BOUNDARY_KINDS) == {"zero_flux", "dirichlet", "periodic"}
    b = Boundary("dirichlet", 2)
    assert b.value == 2.0 and isinstance(b.value, float)
    with pytest.raises(ValueError):
        Boundary("absorbing")
    with pytest.raises(ValueError):
        Boundary("dirichlet", float("inf"))
    with pytest.raises(ValueError):
        Boundary("dirichlet", -1.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        b.kind = "periodic"  # frozen
