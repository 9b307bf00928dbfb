"""Interval estimates of experiment results (experiments/statistics.py) against independent truth: printed
Student t tables, hand-computed intervals, and bootstrap cases whose interval is known exactly."""

import math

import numpy as np
import pytest

from mscabm.experiments.statistics import mean_interval, paired_bootstrap, t_half_width, t_quantile

# two-sided 95% Student t quantiles from a printed table (e.g. Fisher & Yates; any statistics textbook)
T_TABLE = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 10: 2.228, 20: 2.086, 30: 2.042, 40: 2.021,
           60: 2.000, 120: 1.980}


@pytest.mark.parametrize("df, t", sorted(T_TABLE.items()))
def test_t_quantiles_match_the_printed_table(df, t):
    assert t_quantile(df) == pytest.approx(t, abs=5e-4)


def test_t_quantiles_beyond_30_degrees_of_freedom_are_wider_than_normal():
    """The hand table this replaces used 1.96 above 30 degrees of freedom: 3-4% too narrow at 31-60."""
    q = t_quantile(np.array([31, 45, 60, 10_000]))
    assert np.all(q > 1.959963984540054) and q[-1] == pytest.approx(1.96, abs=5e-4)
    assert np.isnan(t_quantile(0)) and np.isnan(t_quantile(np.array([0, 1]))[0])
    assert t_quantile(9, level=0.99) == pytest.approx(3.250, abs=5e-4)  # 99% two-sided, df 9


def test_mean_interval_by_hand():
    # 70, 80, 75: mean 75, sd 5, t_2 = 4.303 -> half width 4.303 * 5 / sqrt(3)
    n, mean, sd, lo, hi = mean_interval(np.array([70.0, 80.0, np.nan, 75.0]))
    half = 4.303 * 5.0 / math.sqrt(3)
    assert (n, mean, sd) == (3, 75.0, 5.0)
    assert lo == pytest.approx(75.0 - half, rel=1e-4) and hi == pytest.approx(75.0 + half, rel=1e-4)
    n, mean, sd, lo, hi = mean_interval(np.array([4.0]))
    assert (n, mean) == (1, 4.0) and all(math.isnan(x) for x in (sd, lo, hi))
    assert mean_interval(np.array([]))[0] == 0 and math.isnan(mean_interval(np.array([]))[1])
    h = t_half_width(np.array([1, 2, 11]), np.array([1.0, 2.0, 3.0]))
    assert math.isnan(h[0]) and h[1] == pytest.approx(12.706 * 2 / math.sqrt(2), rel=1e-4)
    assert h[2] == pytest.approx(2.228 * 3 / math.sqrt(11), rel=1e-4)


def test_paired_bootstrap_resamples_pairs_together():
    """y = x + 3: every paired resample has mean(y) - mean(x) = 3 exactly (an unpaired one would scatter)."""
    rng = np.random.default_rng(1)
    x = rng.normal(10.0, 4.0, 25)
    lo, hi = paired_bootstrap((x, x + 3.0), lambda a, b, axis=-1: b.mean(axis) - a.mean(axis), seed=0)
    assert lo == pytest.approx(3.0) and hi == pytest.approx(3.0)


def test_paired_bootstrap_is_seeded_and_covers_the_mean():
    rng = np.random.default_rng(2)
    a, b = rng.normal(0.0, 1.0, 400), rng.normal(0.5, 1.0, 400)
    stat = lambda p, q, axis=-1: q.mean(axis) - p.mean(axis)  # noqa: E731
    first = paired_bootstrap((a, b), stat, seed=7)
    assert first == paired_bootstrap((a, b), stat, seed=7) != paired_bootstrap((a, b), stat, seed=8)
    # large sample: the percentile interval approaches mean +- 1.96 sd(d) / sqrt(n) of the paired differences d
    d = b - a
    half = 1.96 * d.std(ddof=1) / math.sqrt(len(d))
    assert first[0] == pytest.approx(d.mean() - half, abs=0.15 * half)
    assert first[1] == pytest.approx(d.mean() + half, abs=0.15 * half)


def test_paired_bootstrap_leaves_out_undefined_resamples():
    """A ratio over resamples whose denominator is 0 is undefined there; the other resamples give the interval."""
    den = np.array([1.0, 0.0, 0.0, 0.0])  # (3/4)^4 = 32% of the resamples hold no 1: 0 / 0 there
    num = np.array([1.0, 0.0, 0.0, 0.0])
    lo, hi = paired_bootstrap((den, num), lambda p, m, axis=-1: m.mean(axis) / p.mean(axis), seed=0, n_resamples=500)
    assert lo == hi == 1.0  # wherever defined, num/den = 1 (the 1 is always drawn with itself)
