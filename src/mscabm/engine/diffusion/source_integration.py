"""Exact integration of a step-constant source for fast-decaying species (exponential integrator).

The model adds what the cells secrete, export or take up during a step to the fields (the
*increment* ``delta``, field units) and then advances the fields by one step of
``du/dt = D laplacian(u) - k u``.  That split, ``u_new = P (u + delta)`` with ``P = exp(dt L)``,
treats the whole step's secretion as released at the start of the step: it decays and spreads for
the full ``dt``.  For a species with ``k dt << 1`` this is harmless (the mean source is
under-counted by ~``k dt / 2``), but for nitric oxide (k = 6 /min, half-life ~7 s, at dt = 1 min)
it keeps only ``exp(-6) = 0.25 %`` of the step's release instead of the ``(1 - exp(-6)) / 6 = 16.6 %``
that survives a release spread over the step.  The exports' scaling
(``assembly.export_decay_correction``, 67x for NO) restores the *mean* level, but not the shape:
the release still spreads as the wide Gaussian of a full step (sigma ~450 um, nearly uniform over
a 700 um well) instead of NO's short-range profile of reach ``sqrt(D / k)`` ~ 130 um, and
secretion towards a saturation level or uptake get no correction at all.

For such species the solver advances instead ``u_new = P u_before + Phi delta`` with
``Phi = (exp(dt L) - I) (dt L)^-1``, the exact solution for a source constant over the step.
On a zero-flux lattice both are diagonal in the DCT-II basis; mode ``(m_y, m_x)`` of ``Phi`` is
``(1 - exp(-mu)) / mu`` with ``mu = k dt + lambda (4 sin^2(theta_y / 2) + 4 sin^2(theta_x /
2))``, ``theta = pi m / n``, ``lambda = D dt / dx^2``: the eigenvalues of the 5-point Laplacian,
i.e. ``Phi = int_0^1 exp(s dt L_h) ds`` of the semi-discrete operator ``L_h``. That makes
``Phi`` entrywise non-negative (``exp(s dt L_h)`` is, for the M-matrix ``-L_h``), so a release
never produces a negative level, and exact for the mean (mode 0: ``mu = k dt``). (The continuum
``theta^2`` of the heat-kernel taps would ring next to a point release; at the low modes that
carry a fast-decaying species both agree.) ``Phi`` decays only algebraically in ``theta`` (its
steady state is the resolvent ``(k - D L_h)^-1``, a ``K0``-shaped peak), so all modes are kept;
the transforms are scipy's FFT-based DCT (``norm="ortho"``, one worker: deterministic). Cost
~0.11 ms per species and step on a 70 x 70 well (0.15 on 100 x 100), paid only by the species that need it: those
whose mean-source split error ``1 - k dt exp(-k dt) / (1 - exp(-k dt))`` exceeds
:data:`SOURCE_SPLIT_TOL` (NO; every default protein has ``k dt <= 0.05``, error <= 2.5 %), with
zero-flux sides and no uniform supply (:func:`integrates_source_exactly`); their exports then
carry no mean-level correction.
"""

from __future__ import annotations

import numpy as np
import scipy.fft

__all__ = ["SOURCE_SPLIT_TOL", "SourceIntegrator", "integrates_source_exactly", "split_error",
           "split_mean_correction"]

#: species whose split error of the mean source exceeds this get the exact source integration
SOURCE_SPLIT_TOL = 0.05


def integrates_source_exactly(k_dt: float, zero_flux: bool, supply_per_min: float) -> bool:
    """Whether a species' step release is integrated exactly by the solver (zero-flux sides on
    both axes, no uniform supply, mean-source split error above :data:`SOURCE_SPLIT_TOL`).
    The one predicate both the solver and the export scaling (``assembly.build_tables``, whose
    mean-level correction such a species must not get) use."""
    return bool(zero_flux) and supply_per_min == 0.0 and split_error(k_dt) > SOURCE_SPLIT_TOL


def split_mean_correction(k_dt: float) -> float:
    """``(1 - e^{-k dt}) / (k dt e^{-k dt})``: the factor on a constant release that makes the split
    ``P (u + delta)`` keep the exact mean level (1 for ``k dt < 1e-8``)."""
    if k_dt < 1e-8:
        return 1.0
    return float(-np.expm1(-k_dt) / (k_dt * np.exp(-k_dt)))


def split_error(k_dt: float) -> float:
    """Relative error of the mean source under the split ``P (u + delta)``: ``1 - e k dt / (1 - e)``
    with ``e = exp(-k dt)`` (0 at k = 0; ~k dt / 2 for small k dt): ``1 - 1 / split_mean_correction``."""
    return 1.0 - 1.0 / split_mean_correction(k_dt)


class SourceIntegrator:
    """``Phi`` of one species on a zero-flux lattice (module docstring).

    Parameters
    ----------
    shape : (ny, nx)
    lam : float
        ``D dt / dx^2`` of the model step (dimensionless).
    k_dt : float
        ``decay * dt`` (dimensionless).
    """

    def __init__(self, shape: tuple[int, int], lam: float, k_dt: float) -> None:
        ny, nx = shape
        theta2_y = 4.0 * np.sin(0.5 * np.pi * np.arange(ny) / ny) ** 2  # 5-point eigenvalues
        theta2_x = 4.0 * np.sin(0.5 * np.pi * np.arange(nx) / nx) ** 2
        mu = k_dt + lam * (theta2_y[:, None] + theta2_x[None, :])
        with np.errstate(divide="ignore", invalid="ignore"):
            phi = np.where(mu > 1e-12, -np.expm1(-mu) / mu, 1.0 - 0.5 * mu)
        #: (ny, nx) float64: the factor of each DCT-II mode
        self.phi = phi
        self.lam, self.k_dt = float(lam), float(k_dt)

    def add_to(self, delta: np.ndarray, out: np.ndarray) -> None:
        """``out += Phi delta`` (both ``(ny, nx)`` float64)."""
        self.add_modes(self.modes_of(delta), out)

    def modes_of(self, delta: np.ndarray) -> np.ndarray:
        """``Phi delta`` in the DCT-II basis (``(ny, nx)`` float64, a new array): once it is taken, ``delta``'s
        memory may be reused (the solver computes the field before the release in it)."""
        c = scipy.fft.dctn(delta, type=2, norm="ortho", workers=1)
        c *= self.phi
        return c

    def add_modes(self, modes: np.ndarray, out: np.ndarray) -> None:
        """``out +=`` the field of ``modes`` (from :meth:`modes_of`)."""
        out += scipy.fft.idctn(modes, type=2, norm="ortho", workers=1)
