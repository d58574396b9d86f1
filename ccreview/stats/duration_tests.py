"""Two-period tests of durations and scores: bootstrap medians and 90th percentiles, Welch means."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from ccreview.exceptions import ParameterError
from ccreview.stats.effects import (
    AFTER,
    BEFORE,
    CI_HIGH,
    CI_LOW,
    ESTIMATE,
    N_AFTER,
    N_BEFORE,
    P_VALUE,
    _check_confidence,
    _effect_frame,
)

__all__ = [
    "mean_difference",
    "median_difference",
    "quantile_difference",
]


# --- two samples of durations -----------------------------------------------------------------
def _bootstrap_medians(ordered: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Medians of ``n_boot`` bootstrap resamples of a sorted sample, drawn without resampling.

    A resample of size n from the sample is ``F_n^-1(U_i)`` for n uniform draws, and
    ``F_n^-1(u) = ordered[ceil(n u) - 1]`` is non-decreasing, so the resample's r-th smallest
    value is ``F_n^-1`` of the r-th smallest uniform, which is Beta(r, n - r + 1). For even n
    the next order statistic is ``U_(r) + (1 - U_(r)) * Beta(1, n - r)`` (the smallest of the
    n - r uniforms above ``U_(r)``). So the medians come out exactly distributed as those of
    ordinary resampling, in O(n_boot) time and memory whatever the sample size.
    """
    n = ordered.size
    r = (n + 1) // 2
    first = rng.beta(r, n - r + 1, size=n_boot)

    def value(u: np.ndarray) -> np.ndarray:
        return ordered[np.clip(np.ceil(n * u).astype(np.int64) - 1, 0, n - 1)]

    if n % 2:
        return value(first)
    second = first + (1 - first) * rng.beta(1, n - r, size=n_boot)
    return (value(first) + value(second)) / 2


def median_difference(
    before: Sequence[float] | np.ndarray, after: Sequence[float] | np.ndarray, *,
    confidence: float = 0.95, n_boot: int = 2000, seed: int = 0,
) -> pd.DataFrame:
    """Difference in medians, ``median(after) - median(before)``, with a Mann-Whitney U test
    and a percentile bootstrap interval.

    Parameters
    ----------
    before, after : array-like of float
        The values (e.g. hours to resolve) of each period; NaN and infinite values are left
        out (an unresolved incident has no duration) and ``n_before``/``n_after`` count the rest.
    confidence : float
        Two-sided confidence level of the interval.
    n_boot : int
        Bootstrap replicates.
    seed : int
        Seed of the bootstrap; the same inputs and seed give the same interval.

    Returns
    -------
    DataFrame
        One row: ``before`` and ``after`` (medians), ``n_before``, ``n_after``, ``estimate``
        (after - before), ``ci_low``, ``ci_high`` and the two-sided Mann-Whitney ``p_value``.
        All NaN when either period has no values.

    Notes
    -----
    The p-value is :func:`scipy.stats.mannwhitneyu`, two-sided, with its default method
    (exact for small samples without ties, otherwise the normal approximation with tie and
    continuity corrections). It tests whether one period's values tend to be larger, not the
    medians as such. The interval is the percentile bootstrap: the ``(1 - confidence) / 2``
    and ``(1 + confidence) / 2`` quantiles of ``n_boot`` differences of medians of
    independent resamples of each period. The resampled medians are drawn from the exact
    distribution of a resample's median (order statistics of uniforms, see
    ``_bootstrap_medians``), so no resample is materialised: inputs of 500,000 values a side
    need two sorts and no subsampling, and memory stays O(n + n_boot).
    """
    confidence = _check_confidence(confidence)
    if int(n_boot) != n_boot or n_boot < 1:
        raise ParameterError(f"n_boot must be a whole number >= 1 (e.g. 2000), got {n_boot!r}.")
    x = np.asarray(before, dtype=float).ravel()
    y = np.asarray(after, dtype=float).ravel()
    x, y = np.sort(x[np.isfinite(x)]), np.sort(y[np.isfinite(y)])
    empty = {name: np.nan for name in (ESTIMATE, CI_LOW, CI_HIGH, P_VALUE, BEFORE, AFTER)}
    if not x.size or not y.size:
        return _effect_frame(**{**empty, N_BEFORE: x.size, N_AFTER: y.size})
    median_x, median_y = np.median(x), np.median(y)
    if x[0] == x[-1] == y[0] == y[-1]:
        p_value = 1.0  # every value the same: no ranking to test
    else:
        p_value = stats.mannwhitneyu(y, x, alternative="two-sided").pvalue
    rng = np.random.default_rng(seed)
    draws = _bootstrap_medians(y, int(n_boot), rng) - _bootstrap_medians(x, int(n_boot), rng)
    low, high = np.quantile(draws, [(1 - confidence) / 2, (1 + confidence) / 2])
    return _effect_frame(before=median_x, after=median_y, n_before=x.size, n_after=y.size,
                         estimate=median_y - median_x, ci_low=low, ci_high=high, p_value=p_value)


# --- many comparisons -------------------------------------------------------------------------
def mean_difference(
    before: Sequence[float] | np.ndarray, after: Sequence[float] | np.ndarray, *,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Difference in means, ``mean(after) - mean(before)``, with Welch's t-test and interval.

    For metrics defined as a mean (average speed of answer, average handle time, NPS,
    quality score): the comparison must be of the statistic the report shows. NaN and
    infinite values are left out.

    Returns
    -------
    DataFrame
        One row with the columns of :data:`EFFECT_COLUMNS` (``before``/``after`` are means).

    Notes
    -----
    Welch (1947): standard error ``sqrt(s1^2/n1 + s2^2/n2)`` with the Welch-Satterthwaite
    degrees of freedom, as R's ``t.test`` (default ``var.equal = FALSE``).
    """
    confidence = _check_confidence(confidence)
    x = np.asarray(before, dtype=float).ravel()
    y = np.asarray(after, dtype=float).ravel()
    x, y = x[np.isfinite(x)], y[np.isfinite(y)]
    n1, n2 = x.size, y.size
    if n1 < 2 or n2 < 2:
        nan = np.nan
        return _effect_frame(before=x.mean() if n1 else nan, after=y.mean() if n2 else nan,
                             n_before=n1, n_after=n2, estimate=nan, ci_low=nan, ci_high=nan,
                             p_value=nan)
    v1, v2 = x.var(ddof=1) / n1, y.var(ddof=1) / n2
    d = y.mean() - x.mean()
    se = np.sqrt(v1 + v2)
    if se == 0:
        return _effect_frame(before=x.mean(), after=y.mean(), n_before=n1, n_after=n2, estimate=d,
                             ci_low=d, ci_high=d, p_value=1.0 if d == 0 else 0.0)
    df = (v1 + v2) ** 2 / (v1 ** 2 / (n1 - 1) + v2 ** 2 / (n2 - 1))
    t = stats.t.ppf(0.5 + confidence / 2, df)
    p_value = 2 * stats.t.sf(abs(d) / se, df)
    return _effect_frame(before=x.mean(), after=y.mean(), n_before=n1, n_after=n2, estimate=d,
                         ci_low=d - t * se, ci_high=d + t * se, p_value=p_value)


def quantile_difference(
    before: Sequence[float] | np.ndarray, after: Sequence[float] | np.ndarray, *,
    q: float = 0.9, confidence: float = 0.95, n_boot: int = 2000, seed: int = 0,
) -> pd.DataFrame:
    """Difference in the ``q`` quantile (e.g. the 90th percentile), after - before, with the
    Mann-Whitney p-value and a percentile bootstrap interval.

    Notes
    -----
    As in :func:`median_difference`, the resamples' quantiles are drawn exactly without
    materialising resamples: the resample's r-th smallest value (``r = ceil(q n)``) is
    ``F_n^-1`` of a Beta(r, n - r + 1) draw. The point estimate is :func:`numpy.quantile`.
    """
    confidence = _check_confidence(confidence)
    x = np.asarray(before, dtype=float).ravel()
    y = np.asarray(after, dtype=float).ravel()
    x, y = np.sort(x[np.isfinite(x)]), np.sort(y[np.isfinite(y)])
    if not x.size or not y.size:
        nan = np.nan
        return _effect_frame(before=nan, after=nan, n_before=x.size, n_after=y.size, estimate=nan,
                             ci_low=nan, ci_high=nan, p_value=nan)
    rng = np.random.default_rng(seed)

    def draws(ordered: np.ndarray) -> np.ndarray:
        n = ordered.size
        r = min(max(int(np.ceil(q * n)), 1), n)
        u = rng.beta(r, n - r + 1, size=int(n_boot))
        return ordered[np.clip(np.ceil(n * u).astype(np.int64) - 1, 0, n - 1)]

    diff = draws(y) - draws(x)
    low, high = np.quantile(diff, [(1 - confidence) / 2, (1 + confidence) / 2])
    same = x[0] == x[-1] == y[0] == y[-1]
    p_value = 1.0 if same else stats.mannwhitneyu(y, x, alternative="two-sided").pvalue
    qx, qy = np.quantile(x, q), np.quantile(y, q)
    return _effect_frame(before=qx, after=qy, n_before=x.size, n_after=y.size, estimate=qy - qx,
                         ci_low=low, ci_high=high, p_value=p_value)
