"""Linearised (Gauss-Newton) intervals and correlations at the best fit.

Near the best fit ``s*`` (each parameter in its search space: log10 of the value where the
parameter is ``log``, the value otherwise) the residuals are taken as linear,
``z(s) ~ z(s*) + J (s - s*)``, with ``J`` the Jacobian from central differences (one-sided at a
bound) of candidates run with common random numbers. With residuals in units of each target's
sd, the covariance of ``s`` is ``(J^T J)^-1`` (the Laplace approximation of the posterior under a
flat prior and Gaussian errors: what lmfit and scipy's ``curve_fit`` report), its 95% interval
``s* +- 1.96 sd``, and the pairwise correlations show which parameters the targets cannot tell
apart (|r| near 1). A parameter is reported as not identified, with the whole box as its interval,
where ``J^T J`` is singular along it (no target sees it) or where its 95% interval would be wider
than its search range (the targets do not constrain it within the bounds).

This is a local, linear statement: it does not see a second minimum or a banana-shaped valley.
An ABC-SMC fit's posterior sample does (:func:`posterior_intervals`: weighted quantiles of the
particles, the same fields).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["Intervals", "difference_points", "linearised_intervals", "posterior_intervals", "weighted_quantile"]

#: an ABC posterior's parameter counts as identified when its 95% interval spans less than this share of the box
ABC_IDENTIFIED_SPAN = 0.5

#: two-sided 95% quantile of the normal distribution
Z95 = 1.959963984540054


@dataclass
class Intervals:
    """Per parameter: sd in search space, 95% interval (values, clipped to the bounds), whether
    identified; the correlation matrix; the condition number of J^T J."""

    sd_search: list[float]
    low: list[float]
    high: list[float]
    clipped: list[bool]
    identified: list[bool]
    correlation: list[list[float]]
    condition_number: float


def difference_points(best: list[float], step: float) -> list[tuple[int, float, float]]:
    """Per parameter ``j``: (j, unit coordinate below, unit coordinate above) of the difference pair
    around ``best``, ``step`` each side, one-sided where a side would leave [0, 1]."""
    out = []
    for j, u in enumerate(best):
        lo, hi = u - step, u + step
        if lo < 0.0:
            lo, hi = u, min(1.0, u + step)
        elif hi > 1.0:
            lo, hi = max(0.0, u - step), u
        out.append((j, lo, hi))
    return out


def linearised_intervals(best_search: np.ndarray, jacobian: np.ndarray, search_bounds: np.ndarray,
                         to_value) -> Intervals:
    """Intervals from the Jacobian.

    Parameters
    ----------
    best_search : float64, shape (d,)
        Best fit in search space (log10 or linear per parameter).
    jacobian : float64, shape (n_targets, d)
        d z_i / d s_j (residuals in units of their sd per search-space unit).
    search_bounds : float64, shape (d, 2)
        Each parameter's bounds in search space.
    to_value : callable (j, s) -> float
        Search-space coordinate -> parameter value.
    """
    d = len(best_search)
    jtj = jacobian.T @ jacobian
    eig = np.linalg.eigvalsh(jtj) if d else np.array([1.0])
    cond = float(eig.max() / eig.min()) if eig.min() > 0 else math.inf
    cov = np.linalg.pinv(jtj)
    sd = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    # a parameter is identified when its column of J is not (numerically) in the span of the others:
    # its share of a near-null eigenvector of J^T J is small
    w, v = np.linalg.eigh(jtj)
    scale = max(float(w.max()), 1e-300)
    null = v[:, w <= 1e-10 * scale]
    identified = [bool(np.all(np.abs(null[j]) < 1e-3)) if null.size else True for j in range(d)]
    # ... and when its 95% interval is narrower than its search range (else the targets do not constrain it
    # within the bounds: noise-level derivatives, or a near-collinear partner)
    for j in range(d):
        lo_b, hi_b = search_bounds[j]
        if not 2.0 * Z95 * sd[j] < hi_b - lo_b:
            identified[j] = False
    low, high, clipped = [], [], []
    for j in range(d):
        lo_b, hi_b = search_bounds[j]
        if not identified[j] or not np.isfinite(sd[j]):
            s_lo, s_hi, clip = lo_b, hi_b, True
            sd[j] = math.inf
        else:
            s_lo, s_hi = best_search[j] - Z95 * sd[j], best_search[j] + Z95 * sd[j]
            clip = s_lo < lo_b or s_hi > hi_b
            s_lo, s_hi = max(s_lo, lo_b), min(s_hi, hi_b)
        low.append(to_value(j, s_lo))
        high.append(to_value(j, s_hi))
        clipped.append(bool(clip))
    with np.errstate(invalid="ignore", divide="ignore"):
        denom = np.sqrt(np.outer(np.diag(cov), np.diag(cov)))
        corr = np.clip(np.where(denom > 0, cov / denom, np.nan), -1.0, 1.0)
    return Intervals([float(x) for x in sd], low, high, clipped, identified,
                     [[float(x) for x in row] for row in corr], cond)


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The ``q`` quantile of a weighted sample: the smallest value whose cumulative weight reaches ``q`` of the
    total (the inverse of the sample's distribution function; no interpolation)."""
    order = np.argsort(values, kind="stable")
    cum = np.cumsum(weights[order])
    k = int(np.searchsorted(cum, q * cum[-1], side="left"))
    return float(values[order][min(k, len(values) - 1)])


def posterior_intervals(search: np.ndarray, weights: np.ndarray, search_bounds: np.ndarray, to_value) -> Intervals:
    """Intervals of a weighted posterior sample (an ABC-SMC population).

    Parameters
    ----------
    search : float64, shape (n_particles, d)
        The particles in search space (log10 or linear per parameter).
    weights : float64, shape (n_particles,)
        Importance weights (any positive scale).
    search_bounds : float64, shape (d, 2)
        Each parameter's bounds in search space (the prior's box).
    to_value : callable (j, s) -> float
        Search-space coordinate -> parameter value.

    The 95% interval is the 2.5% and 97.5% weighted quantiles; ``sd_search`` and the correlations
    are the weighted moments; a parameter is identified when its interval spans less than
    :data:`ABC_IDENTIFIED_SPAN` of its range (a posterior as wide as the prior says the targets do
    not constrain it); ``clipped`` marks an interval that reaches within 1% of the range of a bound;
    ``condition_number`` is that of the weighted covariance (the inverse's, as for ``J^T J``).
    """
    w = np.asarray(weights, dtype=np.float64)
    w = w / w.sum()
    d = search.shape[1]
    mean = w @ search
    centred = search - mean
    cov = (centred * w[:, None]).T @ centred / max(1.0 - float(w @ w), 1e-12)  # unbiased weighted covariance
    sd = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    low, high, clipped, identified = [], [], [], []
    for j in range(d):
        lo_b, hi_b = search_bounds[j]
        s_lo = weighted_quantile(search[:, j], w, 0.025)
        s_hi = weighted_quantile(search[:, j], w, 0.975)
        span = hi_b - lo_b
        identified.append(bool(s_hi - s_lo < ABC_IDENTIFIED_SPAN * span))
        clipped.append(bool(s_lo - lo_b < 0.01 * span or hi_b - s_hi < 0.01 * span))
        low.append(to_value(j, s_lo))
        high.append(to_value(j, s_hi))
    with np.errstate(invalid="ignore", divide="ignore"):
        denom = np.outer(sd, sd)
        corr = np.clip(np.where(denom > 0, cov / denom, np.nan), -1.0, 1.0)
    eig = np.linalg.eigvalsh(cov) if d else np.array([1.0])
    cond = float(eig.max() / eig.min()) if eig.min() > 0 else math.inf
    return Intervals([float(x) for x in sd], low, high, clipped, identified,
                     [[float(x) for x in row] for row in corr], cond)
