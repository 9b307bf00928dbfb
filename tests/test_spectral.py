"""The spectral diffusion scheme: the kernel scheme's operator in its DCT-II eigenbasis.

Checked against the plain numpy reference of the kernel scheme (image-folded convolution,
tests/test_diffusion.py), against the analytic decay of a cosine mode, for mass conservation,
positivity, thread-count independence, the auto choice and the refusals."""

from __future__ import annotations

import math

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mscabm.engine.diffusion import DiffusionSolver
from mscabm.engine.diffusion.boundaries import ZERO_FLUX
from mscabm.engine.diffusion.heat_kernel import fold_kernel, heat_kernel_taps
from mscabm.engine.diffusion.spectral import SPECTRAL_CUT, axis_matrix, dct_basis, spectral_axis, spectral_modes
from mscabm.engine.lattice import Boundary, Lattice
from tests.test_diffusion import random_field, ref_kernel

ZF = Boundary()


def test_dct_basis_is_orthonormal_and_diagonalises_the_folded_kernel():
    for n in (1, 2, 7, 30):
        b = dct_basis(n)
        np.testing.assert_allclose(b @ b.T, np.eye(n), atol=1e-13)
        for lam in (0.6, 6.0, 300.0):
            m = axis_matrix(fold_kernel(heat_kernel_taps(lam), n, ZERO_FLUX, ZERO_FLUX, 1.0), n)
            np.testing.assert_allclose(m.sum(axis=0), 1.0, rtol=1e-12)  # mass-conserving columns
            e = b @ m @ b.T
            assert np.abs(e - np.diag(np.diag(e))).max() < 1e-12


@settings(max_examples=40, deadline=None)
@given(ny=st.integers(1, 40), nx=st.integers(1, 40), logD=st.floats(2.0, 5.0), decay=st.sampled_from([0.0, 0.01, 2.0]),
       dt=st.sampled_from([0.5, 1.0, 3.0]), dtype=st.sampled_from([np.float32, np.float64]),
       seed=st.integers(0, 2**31 - 1))
def test_spectral_matches_the_kernel_reference(ny, nx, logD, decay, dt, dtype, seed):
    """Forced spectral == the numpy kernel reference (same taps) to the truncation (1e-10 of the peak)."""
    rng = np.random.default_rng(seed)
    D = 10.0**logD
    u0 = random_field((ny, nx), rng)
    lat = Lattice((ny, nx), 10.0, ["a"], dtype=dtype)
    lat.data[0] = u0
    s = DiffusionSolver(lat, [D], [decay], [ZF], dt, scheme="spectral")
    assert s.plan[0].scheme == "spectral"
    taps = heat_kernel_taps(D * dt / 100.0)
    ref = u0.astype(np.float64)
    for _ in range(2):
        s.step()
        ref = ref_kernel(ref, taps, D, decay, dt, 10.0, ZF)
    tol = (1e-9 if dtype == np.float64 else 2e-6) * max(ref.max(), 1e-300)
    np.testing.assert_allclose(lat.data[0], ref, rtol=0, atol=tol)


@pytest.mark.parametrize("n,lam,k", [(70, 300.0, 1), (70, 300.0, 3), (64, 30.0, 5), (100, 6.0, 20)])
def test_cosine_mode_decays_like_the_continuum(n, lam, k):
    """A zero-flux cosine mode is an eigenfunction of the heat equation: one step multiplies it by
    exp(-D (pi k / L)^2 dt) exp(-decay dt) (continuum, L = n dx); the sampled-Gaussian taps reproduce it."""
    dx, dt, decay = 10.0, 1.0, 0.05
    D = lam * dx * dx / dt
    i = np.arange(n)
    mode = 5.0 + np.cos(np.pi * k * (i + 0.5) / n)  # offset keeps the field positive
    lat = Lattice((n, n), dx, ["a"], dtype=np.float64)
    lat.data[0] = mode[:, None] + 0.0 * mode[None, :]
    s = DiffusionSolver(lat, [D], [decay], [ZF], dt, scheme="spectral")
    s.step()
    g = math.exp(-D * (math.pi * k / (n * dx)) ** 2 * dt)
    want = math.exp(-decay * dt) * (5.0 + g * np.cos(np.pi * k * (i + 0.5) / n))
    np.testing.assert_allclose(lat.data[0][:, 3], want, rtol=1e-9, atol=1e-12)


def test_modes_kept_and_the_a_priori_count():
    for n, lam in ((70, 300.0), (70, 1000.0), (200, 300.0), (70, 5.55)):
        ax = spectral_axis(fold_kernel(heat_kernel_taps(lam), n, ZERO_FLUX, ZERO_FLUX, 1.0), n)
        assert abs(ax.modes - spectral_modes(lam, n)) <= 1
        assert ax.eigenvalues[0] == pytest.approx(1.0, abs=1e-13)
        assert np.abs(ax.eigenvalues[-1]) >= SPECTRAL_CUT
    assert spectral_axis(fold_kernel(heat_kernel_taps(300.0), 70, ZERO_FLUX, ZERO_FLUX, 1.0), 70).modes == 7


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_mass_conservation_and_positivity(dtype):
    rng = np.random.default_rng(1)
    shape = (60, 70)
    u0 = random_field(shape, rng, spikes=20)
    u0[rng.random(shape) < 0.7] = 0.0  # sparse: zeros next to spikes, where truncation ripples could go negative
    lat = Lattice(shape, 10.0, ["a", "b"], dtype=dtype)
    lat.data[0] = u0
    lat.data[1] = u0[::-1]
    m0 = [lat.total(n) for n in lat.species]
    s = DiffusionSolver(lat, [600.0, 30000.0], [0.0, 0.0], [ZF, ZF], 1.0, scheme="spectral")
    for _ in range(100):
        s.step()
        assert lat.data.min() >= 0.0
    drift = max(abs(lat.total(n) / m - 1.0) for n, m in zip(lat.species, m0))
    assert drift < (1e-9 if dtype == np.float64 else 1e-6), drift


def test_results_do_not_depend_on_thread_count():
    rng = np.random.default_rng(3)
    u0 = random_field((37, 53), rng)
    out = {}
    n0 = numba.get_num_threads()
    try:
        for threads in sorted({1, n0}):
            numba.set_num_threads(threads)
            lat = Lattice((37, 53), 10.0, ["a", "b"], dtype=np.float32)
            lat.data[:] = u0
            s = DiffusionSolver(lat, [30000.0, 600.0], [0.002, 0.01], ZF, 1.0, scheme="spectral")
            for _ in range(3):
                s.step()
            out[threads] = lat.data.copy()
    finally:
        numba.set_num_threads(n0)
    np.testing.assert_array_equal(out[1], out[n0])


def test_auto_takes_spectral_only_where_it_is_cheaper():
    lat = Lattice((70, 70), 10.0, ["cytokine", "pge2", "no"])
    s = DiffusionSolver(lat, [555.0, 30000.0, 100000.0], [0.01, 0.002, 6.0], ZF, 1.0)
    assert [p.scheme for p in s.plan] == ["kernel", "spectral", "spectral"]
    assert s.plan[1].taps == (7, 7)
    assert "modes=7x7" in str(s.plan[1])
    # a periodic or Dirichlet side keeps the kernel scheme
    s = DiffusionSolver(lat, [30000.0] * 3, [0.002] * 3,
                        [Boundary("periodic"), Boundary("dirichlet", 1.0), {"x": Boundary("periodic"), "y": ZF}], 1.0)
    assert [p.scheme for p in s.plan] == ["kernel"] * 3


def test_forced_spectral_is_refused_off_zero_flux():
    lat = Lattice((10, 12), 10.0, ["a"])
    for bnd in (Boundary("periodic"), Boundary("dirichlet", 1.0), {"x": (ZF, Boundary("dirichlet", 0.0))}):
        with pytest.raises(ValueError, match="zero-flux"):
            DiffusionSolver(lat, [600.0], [0.0], [bnd], 1.0, scheme="spectral")
    with pytest.raises(ValueError, match="sub-steps"):
        DiffusionSolver(lat, [600.0], [0.0], [ZF], 1.0, scheme="spectral", substeps=2)
