"""A priori accuracy of the diffusion schemes: the *probe error* of one model step.

:func:`probe_error` is the max-norm error, relative to the analytic peak, of ONE model step from
a 2-D Gaussian of sigma0 = :data:`PROBE_SIGMA0` voxels on an infinite lattice, against the
continuum solution (a Gaussian of variance ``sigma0^2 + 2*D*dt`` in voxel^2; the 2-D amplitude
falls by ``sigma0^2/sigma^2``).  It counts spatial and time error together and is computed by
Fourier analysis of the scheme's symbol (milliseconds, no lattice), so ``scheme="auto"`` can
compare candidates before building any (:mod:`mscabm.engine.diffusion.scheme_choice`).  Tables
of probe errors per scheme and lambda are in docs/design.md.
"""

from __future__ import annotations

import math

import numpy as np

from mscabm.engine.diffusion.heat_kernel import heat_kernel_taps

__all__ = ["PROBE_SIGMA0", "probe_error"]

#: sigma of the probe Gaussian, voxels
PROBE_SIGMA0 = 2.0


def _probe_grid(lam: float):
    sf = math.sqrt(PROBE_SIGMA0**2 + 2.0 * lam)
    N = 1 << max(6, int(math.ceil(math.log2(16.0 * sf))))
    x = np.fft.fftfreq(N, 1.0 / N)            # integer offsets in FFT order
    theta = 2.0 * np.pi * np.fft.fftfreq(N)
    return sf, x, theta


def _probe_separable(lam: float, symbol) -> float:
    sf, x, theta = _probe_grid(lam)
    g0 = np.exp(-x * x / (2.0 * PROBE_SIGMA0**2))
    u = np.fft.ifft(np.fft.fft(g0) * symbol(theta, x)).real
    a = (PROBE_SIGMA0 / sf) * np.exp(-x * x / (2.0 * sf * sf))
    e1 = np.abs(u - a).max()
    # |u_i u_j - a_i a_j| <= e1 * (max|u| + max|a|): a bound on the 2-D max error
    return float(e1 * (np.abs(u).max() + a.max()) / a.max() ** 2)


def probe_error(scheme: str, lam: float, substeps: int = 1, taps: np.ndarray | None = None) -> float:
    """Max error, relative to the analytic peak, of one model step of ``scheme`` from a 2-D
    Gaussian of sigma 2 voxels (infinite domain), vs the continuum solution.

    ``lam = D*dt/dx^2`` for the whole model step; ``substeps`` for explicit/lod; ``taps`` for the
    kernel scheme (default: :func:`heat_kernel_taps`).
    """
    if lam <= 0.0:
        return 0.0
    if scheme == "kernel":
        w = heat_kernel_taps(lam) if taps is None else taps
        h = (len(w) - 1) // 2

        def sym(theta, x):
            g = np.zeros(len(theta))
            np.add.at(g, np.arange(-h, h + 1) % len(theta), w)
            return np.fft.fft(g).real

        return _probe_separable(lam, sym)
    if scheme == "lod":
        ls = lam / substeps
        return _probe_separable(lam, lambda th, x: (1.0 + ls * (2.0 - 2.0 * np.cos(th))) ** (-float(substeps)))
    if scheme == "semidiscrete":  # the 5-point system solved exactly in time: the spatial floor
        return _probe_separable(lam, lambda th, x: np.exp(-lam * (2.0 - 2.0 * np.cos(th))))
    if scheme == "explicit":
        ls = lam / substeps
        # the error falls with lambda for lambda >~ 5 (the probe is then relatively smooth);
        # beyond 200 probe at 200 with the same lambda_sub: an upper bound that stays cheap
        n = substeps if lam <= 200.0 else max(1, int(round(200.0 / ls)))
        lam_p = n * ls
        sf, x, theta = _probe_grid(lam_p)
        g0 = np.exp(-x * x / (2.0 * PROBE_SIGMA0**2))
        u0 = np.outer(g0, g0)
        s = 2.0 - 2.0 * np.cos(theta)
        sym = (1.0 - ls * (s[:, None] + s[None, :])) ** n
        u = np.fft.ifft2(np.fft.fft2(u0) * sym).real
        a1 = (PROBE_SIGMA0 / sf) * np.exp(-x * x / (2.0 * sf * sf))
        a = np.outer(a1, a1)
        return float(np.abs(u - a).max() / a.max())
    raise ValueError(f"unknown scheme {scheme!r}")
