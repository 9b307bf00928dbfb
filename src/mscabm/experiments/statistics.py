"""Interval estimates of experiment results, from scipy.stats.

- :func:`t_quantile`: the two-sided Student t quantile (``scipy.stats.t.ppf``) for a mean over
  replicates (the hand table this replaces used 1.96 above 30 degrees of freedom);
- :func:`mean_interval` and :func:`t_half_width`: mean, sd and the Student t interval of the mean;
- :func:`wilson`: the Wilson score interval of a proportion (``scipy.stats.binomtest``);
- :func:`paired_bootstrap`: a seeded percentile bootstrap over paired samples
  (``scipy.stats.bootstrap(..., paired=True)``);
- :func:`period_mean`: the time average of a recorded series (trapezoid rule).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import numpy as np
from scipy import stats

__all__ = ["t_quantile", "t_half_width", "mean_interval", "wilson", "paired_bootstrap", "period_mean"]


def t_quantile(df: int | np.ndarray, level: float = 0.95) -> float | np.ndarray:
    """Two-sided Student t quantile ``t_{(1 + level) / 2, df}``; NaN where ``df < 1``.

    ``df``: degrees of freedom (int, or an int array of any shape); returns a float or a float64
    array of the same shape.
    """
    d = np.asarray(df, dtype=float)
    q = np.where(d >= 1, stats.t.ppf(0.5 + level / 2.0, np.maximum(d, 1.0)), np.nan)
    return float(q) if q.ndim == 0 else q


def t_half_width(n: int | np.ndarray, sd: float | np.ndarray, level: float = 0.95) -> float | np.ndarray:
    """Half width ``t_{n-1} sd / sqrt(n)`` of the Student t interval of a mean of ``n`` values; NaN for n < 2.

    ``n``: number of values (int or int array); ``sd``: their sample sd (ddof = 1), same shape.
    """
    n_ = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        h = np.where(n_ > 1, t_quantile(n_ - 1, level) * np.asarray(sd, dtype=float) / np.sqrt(n_), np.nan)
    return float(h) if h.ndim == 0 else h


def mean_interval(values: np.ndarray, level: float = 0.95) -> tuple[int, float, float, float, float]:
    """(n, mean, sd, low, high) of the finite entries of ``values`` (1-D float array).

    sd with ddof = 1; (low, high) the Student t interval of the mean; NaN where undefined
    (mean for n = 0, sd and interval for n < 2).
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    n = len(v)
    mean = float(v.mean()) if n else math.nan
    sd = float(v.std(ddof=1)) if n > 1 else math.nan
    half = t_half_width(n, sd, level) if n > 1 else math.nan
    return n, mean, sd, mean - half, mean + half


def wilson(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of the proportion ``k / n`` (``scipy.stats.binomtest``); NaN for n = 0.

    The bounds are clipped to [0, 1] and to hold ``k / n`` (at k = 0 or n the score interval's
    bound equals the fraction up to a rounding error).
    """
    if n == 0:
        return math.nan, math.nan
    ci = stats.binomtest(int(k), int(n)).proportion_ci(confidence_level=level, method="wilson")
    p = k / n
    return max(0.0, min(p, float(ci.low))), min(1.0, max(p, float(ci.high)))


def paired_bootstrap(samples: tuple[np.ndarray, ...], statistic: Callable[..., np.ndarray], seed: int,
                     n_resamples: int = 4000, level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval of ``statistic`` over paired samples (rows resampled together).

    ``samples``: 1-D arrays of one length (one entry per pair, e.g. per patient);
    ``statistic(*samples, axis=-1)``: vectorised over the last axis. Seeded: the same interval
    every time. Resamples where the statistic is not finite are left out, as the statistic is
    undefined there (e.g. a ratio over a resample with a zero denominator).
    """
    rng = np.random.default_rng(seed)

    def quiet(*xs: np.ndarray, axis: int = -1) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return statistic(*xs, axis=axis)

    with warnings.catch_warnings():  # undefined resamples are left out below, not a degenerate sample
        warnings.simplefilter("ignore", stats.DegenerateDataWarning)
        res = stats.bootstrap(samples, quiet, paired=True, vectorized=True, n_resamples=n_resamples,
                              confidence_level=level, method="percentile", random_state=rng)
    dist = res.bootstrap_distribution
    if np.all(np.isfinite(dist)):
        return float(res.confidence_interval.low), float(res.confidence_interval.high)
    dist = dist[np.isfinite(dist)]
    alpha = (1.0 - level) / 2.0
    lo, hi = np.percentile(dist, [100 * alpha, 100 * (1 - alpha)])
    return float(lo), float(hi)


def period_mean(time_min: np.ndarray, values: np.ndarray) -> float:
    """Time average of ``values`` over ``time_min`` (trapezoid rule; NaN for fewer than 2 points).

    ``time_min``: (n,) increasing recorded times (min); ``values``: (n,) the readout at them.
    """
    if len(time_min) < 2 or time_min[-1] <= time_min[0]:
        return math.nan
    return float(np.trapezoid(values, time_min) / (time_min[-1] - time_min[0]))
