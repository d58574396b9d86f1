"""Two-period tests of proportions and rates: Newcombe's score interval, exact Poisson ratios."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ccreview.stats.effects import (
    _as_arrays,
    _check_confidence,
    _check_counts,
    _effect_frame,
)
from ccreview.stats.intervals import wilson_interval

__all__ = [
    "newcombe_difference",
    "poisson_rate_comparison",
]


# --- two proportions --------------------------------------------------------------------------
def newcombe_difference(
    x1: np.ndarray | int, n1: np.ndarray | int, x2: np.ndarray | int, n2: np.ndarray | int, *,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Difference of two independent proportions, ``x2/n2 - x1/n1`` (after minus before).

    Parameters
    ----------
    x1, n1 : array-like of int
        Successes and trials in the earlier period.
    x2, n2 : array-like of int
        Successes and trials in the later period. All four broadcast together.
    confidence : float
        Two-sided confidence level of the interval.

    Returns
    -------
    DataFrame
        One row per comparison: ``before`` (x1/n1), ``after`` (x2/n2), ``n_before``,
        ``n_after`` (trials), ``estimate`` (after - before, in 0-1 units), ``ci_low``,
        ``ci_high`` and the two-sided ``p_value``. Rows with no trials on a side are NaN.

    Notes
    -----
    The interval is Newcombe's hybrid score interval, method 10 of Newcombe (1998),
    *Statistics in Medicine* 17:873-890, built from the Wilson interval of each proportion:
    ``d - sqrt((p2-l2)^2 + (u1-p1)^2)`` to ``d + sqrt((u2-p2)^2 + (p1-l1)^2)``.
    The p-value is the usual pooled two-proportion z-test, identical to Pearson's chi-square
    test on the 2x2 table *without* continuity correction. When both periods are all
    successes or all failures the observed difference is exactly 0 and the p-value is 1.
    """
    confidence = _check_confidence(confidence)
    x1, n1, x2, n2 = _as_arrays(x1, n1, x2, n2)
    _check_counts(x1, n1, names=("x1", "n1"), at_most_total=True)
    _check_counts(x2, n2, names=("x2", "n2"), at_most_total=True)
    ok = (n1 > 0) & (n2 > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        p1, p2 = np.where(n1 > 0, x1 / n1, np.nan), np.where(n2 > 0, x2 / n2, np.nan)
        l1, u1 = wilson_interval(x1, n1, confidence=confidence)
        l2, u2 = wilson_interval(x2, n2, confidence=confidence)
        d = p2 - p1
        low = d - np.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2)
        high = d + np.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2)
        pooled = (x1 + x2) / (n1 + n2)
        se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
        p_value = np.where(se > 0, 2 * stats.norm.sf(np.abs(d) / se), 1.0)
    return _effect_frame(
        before=p1, after=p2, n_before=n1, n_after=n2, estimate=d,
        ci_low=np.where(ok, low, np.nan), ci_high=np.where(ok, high, np.nan),
        p_value=np.where(ok, p_value, np.nan))


# --- two Poisson rates ------------------------------------------------------------------------
def _binom_two_sided(k: np.ndarray, n: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Exact two-sided binomial p-values, vectorised.

    The two-sided rule of R's ``binom.test`` and scipy's ``binomtest``: add the probabilities of
    every outcome no more likely than the one observed (with a relative tolerance of 1e-7).
    On each side of the mean the pmf is monotone, so the outcomes on the far side that count
    form a tail, found by a vectorised bisection.
    """
    dist = stats.binom(n, p)
    threshold = dist.pmf(k) * (1 + 1e-7)
    mean = n * p
    steps = int(np.ceil(np.log2(np.nanmax(n, initial=0) + 2))) + 1
    # k below the mean: the far tail is {j >= first}, the first j in [ceil(mean), n] whose pmf is
    # <= threshold (pmf is non-increasing there); first = n + 1 when there is none.
    lo, hi = np.ceil(mean), n + 1
    for _ in range(steps):
        mid = np.floor((lo + hi) / 2)
        small = (mid <= n) & (stats.binom.pmf(mid, n, p) <= threshold)
        active = lo < hi
        hi = np.where(active & small, mid, hi)
        lo = np.where(active & ~small, mid + 1, lo)
    below = dist.cdf(k) + dist.sf(lo - 1)
    # k above the mean: the far tail is {j < first}, the first j in [0, floor(mean) + 1] whose pmf
    # is > threshold (pmf is non-decreasing there).
    lo, hi = np.zeros_like(mean), np.floor(mean) + 1
    for _ in range(steps):
        mid = np.floor((lo + hi) / 2)
        large = stats.binom.pmf(mid, n, p) > threshold
        active = lo < hi
        hi = np.where(active & large, mid, hi)
        lo = np.where(active & ~large, mid + 1, lo)
    above = dist.cdf(lo - 1) + dist.sf(k - 1)
    p_value = np.where(k == mean, 1.0, np.where(k < mean, below, above))
    return np.minimum(p_value, 1.0)


def poisson_rate_comparison(
    count1: np.ndarray | int, exposure1: np.ndarray | float, count2: np.ndarray | int,
    exposure2: np.ndarray | float, *, confidence: float = 0.95,
) -> pd.DataFrame:
    """Ratio of two Poisson event rates, ``(count2/exposure2) / (count1/exposure1)`` (after over
    before), with an exact conditional test and interval.

    Parameters
    ----------
    count1, exposure1 : array-like
        Events and exposure (weeks, contacts, agent-hours ...) in the earlier period.
    count2, exposure2 : array-like
        The same for the later period. All four broadcast together.
    confidence : float
        Two-sided confidence level of the interval.

    Returns
    -------
    DataFrame
        One row per comparison: ``before`` and ``after`` (events per unit of exposure),
        ``n_before``, ``n_after`` (events), ``estimate`` (the rate ratio after / before),
        ``ci_low``, ``ci_high`` and the two-sided ``p_value``. NaN where there are no events at
        all or an exposure is not positive; the ratio and its upper bound are ``inf`` when the
        earlier period had no events.

    Notes
    -----
    Conditional on the total ``N = count1 + count2``, ``count2`` is binomial with probability
    ``pi = e2 r2 / (e1 r1 + e2 r2)``. The p-value is the exact two-sided binomial test of
    ``pi = e2 / (e1 + e2)`` (equal rates), and the interval is the Clopper-Pearson interval of
    ``pi`` mapped to the ratio by ``pi / (1 - pi) * e1 / e2``: the method of R's
    ``poisson.test`` for two samples (with the samples in the other order).
    """
    confidence = _check_confidence(confidence)
    x1, e1, x2, e2 = _as_arrays(count1, exposure1, count2, exposure2)
    _check_counts(x1, e1, names=("count1", "exposure1"), at_most_total=False)
    _check_counts(x2, e2, names=("count2", "exposure2"), at_most_total=False)
    total = x1 + x2
    ok = (e1 > 0) & (e2 > 0) & (total > 0)
    alpha = 1 - confidence
    # placeholders keep the scipy calls on valid arguments; the rows are masked afterwards
    n = np.where(ok, total, 1.0)
    k = np.where(ok, x2, 0.0)
    p0 = np.where(ok, e2 / np.where(ok, e1 + e2, 1.0), 0.5)
    pi_low = np.where(k > 0, stats.beta.ppf(alpha / 2, np.maximum(k, 1), n - k + 1), 0.0)
    pi_high = np.where(k < n, stats.beta.ppf(1 - alpha / 2, k + 1, np.maximum(n - k, 1)), 1.0)
    p_value = _binom_two_sided(k, n, p0)
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = e1 / e2
        rate1, rate2 = x1 / e1, x2 / e2
        ratio = np.where(x1 > 0, x2 / x1 * scale, np.inf)
        ci_low = pi_low / (1 - pi_low) * scale
        ci_high = np.where(pi_high < 1, pi_high / (1 - pi_high) * scale, np.inf)
    return _effect_frame(
        before=np.where(e1 > 0, rate1, np.nan), after=np.where(e2 > 0, rate2, np.nan),
        n_before=x1, n_after=x2, estimate=np.where(ok, ratio, np.nan),
        ci_low=np.where(ok, ci_low, np.nan), ci_high=np.where(ok, ci_high, np.nan),
        p_value=np.where(ok, p_value, np.nan))
