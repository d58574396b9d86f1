"""Two-period tests of durations and scores: bootstrap medians and 90th percentiles, Welch means.

Each is judged on the statistic it reports: the p-value of a median or a 90th percentile is
the bootstrap's own (the share of resampled differences on the other side of zero, Davison &
Hinkley 1997, section 4.4), not a rank test of something else.

When each value's day is given (``groups_before``/``groups_after``), the day is the unit of
evidence: values of one day share its circumstances, so the variance of a mean or quantile is
scaled by its design effect (Kish 1965, *Survey Sampling*, section 8.2: the variance under
sampling of whole days over the variance under sampling of single values), computed from the
statistic's linearisation (the value less the mean; for a quantile ``q - 1{x <= xi}``,
Woodruff 1952, Francisco & Fuller 1991). It is floored at 1, so the correction never narrows
an interval. Means then use Welch's t with at most ``days - 2`` degrees of freedom; bootstrap
resamples of a quantile are spread about the estimate by the square root of the effect.
"""

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
    "design_effect",
    "mean_difference",
    "median_difference",
    "quantile_difference",
]


# --- days as the unit of evidence --------------------------------------------------------------
def design_effect(values: np.ndarray, groups: np.ndarray | None, *, q: float | None = None
                  ) -> tuple[float, int]:
    """The design effect of a mean (``q`` None) or of the ``q`` quantile when ``values`` come
    in ``groups`` (days), and the number of groups: ``(deff >= 1, groups)``; ``(1, 0)``
    without groups."""
    if groups is None:
        return 1.0, 0
    values = np.asarray(values, dtype=float)
    groups = np.asarray(groups)
    keep = np.isfinite(values)
    values, groups = values[keep], groups[keep]
    n = values.size
    labels, codes = np.unique(groups, return_inverse=True)
    count = len(labels)
    if n < 2 or count < 2:
        return 1.0, count
    if q is None:
        z = values - values.mean()
    else:
        z = q - (values <= np.quantile(values, q)).astype(float)
    total = (z ** 2).sum()
    if total == 0:
        return 1.0, count
    clustered = count / (count - 1) * (np.bincount(codes, weights=z) ** 2).sum() / n ** 2
    simple = total / (n * (n - 1))
    return max(float(clustered / simple), 1.0), count


def _bootstrap_p(diff: np.ndarray) -> float:
    """Two-sided bootstrap p-value of "no difference": twice the smaller share of resampled
    differences at or beyond zero, each counted with the observed one ((k + 1) / (B + 1))."""
    b = diff.size
    below, above = (diff <= 0).sum(), (diff >= 0).sum()
    return float(min(1.0, 2 * min(below + 1, above + 1) / (b + 1)))


def _finite(values, groups):
    values = np.asarray(values, dtype=float).ravel()
    keep = np.isfinite(values)
    order = np.argsort(values[keep], kind="stable")
    sorted_values = values[keep][order]
    return sorted_values, (None if groups is None else np.asarray(groups).ravel()[keep][order])


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
    confidence: float = 0.95, n_boot: int = 2000, seed: int | np.random.SeedSequence = 0,
    groups_before: np.ndarray | None = None, groups_after: np.ndarray | None = None,
) -> pd.DataFrame:
    """Difference in medians, ``median(after) - median(before)``, with a percentile bootstrap
    interval and the bootstrap's p-value.

    Parameters
    ----------
    before, after : array-like of float
        The values (e.g. hours to resolve) of each period; NaN and infinite values are left
        out (an unresolved incident has no duration) and ``n_before``/``n_after`` count the rest.
    confidence : float
        Two-sided confidence level of the interval.
    n_boot : int
        Bootstrap replicates.
    seed : int or SeedSequence
        Seed of the bootstrap; the same inputs and seed give the same interval.
    groups_before, groups_after : array-like, optional
        Each value's day: the day becomes the unit of evidence (module notes).

    Returns
    -------
    DataFrame
        One row: ``before`` and ``after`` (medians), ``n_before``, ``n_after``, ``estimate``
        (after - before), ``ci_low``, ``ci_high`` and the two-sided bootstrap ``p_value``.
        All NaN when either period has no values.

    Notes
    -----
    The interval is the percentile bootstrap: the ``(1 - confidence) / 2`` and
    ``(1 + confidence) / 2`` quantiles of ``n_boot`` differences of medians of independent
    resamples of each period. The resampled medians are drawn from the exact distribution
    of a resample's median (order statistics of uniforms, see ``_bootstrap_medians``), so no
    resample is materialised: inputs of 500,000 values a side need two sorts and no
    subsampling, and memory stays O(n + n_boot).
    """
    confidence = _check_confidence(confidence)
    if int(n_boot) != n_boot or n_boot < 1:
        raise ParameterError(f"n_boot must be a whole number >= 1 (e.g. 2000), got {n_boot!r}.")
    (x, gx), (y, gy) = _finite(before, groups_before), _finite(after, groups_after)
    empty = {name: np.nan for name in (ESTIMATE, CI_LOW, CI_HIGH, P_VALUE, BEFORE, AFTER)}
    if not x.size or not y.size:
        return _effect_frame(**{**empty, N_BEFORE: x.size, N_AFTER: y.size})
    median_x, median_y = np.median(x), np.median(y)
    rng = np.random.default_rng(seed)
    spread_x = np.sqrt(design_effect(x, gx, q=0.5)[0])
    spread_y = np.sqrt(design_effect(y, gy, q=0.5)[0])
    draws_y = median_y + spread_y * (_bootstrap_medians(y, int(n_boot), rng) - median_y)
    draws_x = median_x + spread_x * (_bootstrap_medians(x, int(n_boot), rng) - median_x)
    draws = draws_y - draws_x
    low, high = np.quantile(draws, [(1 - confidence) / 2, (1 + confidence) / 2])
    p_value = 1.0 if x[0] == x[-1] == y[0] == y[-1] else _bootstrap_p(draws)
    return _effect_frame(before=median_x, after=median_y, n_before=x.size, n_after=y.size,
                         estimate=median_y - median_x, ci_low=low, ci_high=high, p_value=p_value)


# --- many comparisons -------------------------------------------------------------------------
def mean_difference(
    before: Sequence[float] | np.ndarray, after: Sequence[float] | np.ndarray, *,
    confidence: float = 0.95, groups_before: np.ndarray | None = None,
    groups_after: np.ndarray | None = None,
) -> pd.DataFrame:
    """Difference in means, ``mean(after) - mean(before)``, with Welch's t-test and interval
    (each side's variance scaled by its design effect when the values' days are given).

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
    (x, gx), (y, gy) = _finite(before, groups_before), _finite(after, groups_after)
    n1, n2 = x.size, y.size
    if n1 < 2 or n2 < 2:
        nan = np.nan
        return _effect_frame(before=x.mean() if n1 else nan, after=y.mean() if n2 else nan,
                             n_before=n1, n_after=n2, estimate=nan, ci_low=nan, ci_high=nan,
                             p_value=nan)
    (deff1, days1), (deff2, days2) = design_effect(x, gx), design_effect(y, gy)
    v1, v2 = deff1 * x.var(ddof=1) / n1, deff2 * y.var(ddof=1) / n2
    d = y.mean() - x.mean()
    se = np.sqrt(v1 + v2)
    if se == 0:
        return _effect_frame(before=x.mean(), after=y.mean(), n_before=n1, n_after=n2, estimate=d,
                             ci_low=d, ci_high=d, p_value=1.0 if d == 0 else 0.0)
    df = (v1 + v2) ** 2 / (v1 ** 2 / (n1 - 1) + v2 ** 2 / (n2 - 1))
    if days1 and days2:  # the days, not the values, are the units
        df = min(df, max(days1 + days2 - 2, 1))
    t = stats.t.ppf(0.5 + confidence / 2, df)
    p_value = 2 * stats.t.sf(abs(d) / se, df)
    return _effect_frame(before=x.mean(), after=y.mean(), n_before=n1, n_after=n2, estimate=d,
                         ci_low=d - t * se, ci_high=d + t * se, p_value=p_value)


def quantile_difference(
    before: Sequence[float] | np.ndarray, after: Sequence[float] | np.ndarray, *,
    q: float = 0.9, confidence: float = 0.95, n_boot: int = 2000,
    seed: int | np.random.SeedSequence = 0, groups_before: np.ndarray | None = None,
    groups_after: np.ndarray | None = None,
) -> pd.DataFrame:
    """Difference in the ``q`` quantile (e.g. the 90th percentile), after - before, with a
    percentile bootstrap interval and the bootstrap's p-value.

    Notes
    -----
    As in :func:`median_difference`, the resamples' quantiles are drawn exactly without
    materialising resamples: the resample's r-th smallest value (``r = ceil(q n)``) is
    ``F_n^-1`` of a Beta(r, n - r + 1) draw. The point estimate is :func:`numpy.quantile`.
    """
    confidence = _check_confidence(confidence)
    (x, gx), (y, gy) = _finite(before, groups_before), _finite(after, groups_after)
    if not x.size or not y.size:
        nan = np.nan
        return _effect_frame(before=nan, after=nan, n_before=x.size, n_after=y.size, estimate=nan,
                             ci_low=nan, ci_high=nan, p_value=nan)
    rng = np.random.default_rng(seed)
    qx, qy = np.quantile(x, q), np.quantile(y, q)

    def draws(ordered: np.ndarray, groups, estimate: float) -> np.ndarray:
        n = ordered.size
        r = min(max(int(np.ceil(q * n)), 1), n)
        u = rng.beta(r, n - r + 1, size=int(n_boot))
        drawn = ordered[np.clip(np.ceil(n * u).astype(np.int64) - 1, 0, n - 1)]
        return estimate + np.sqrt(design_effect(ordered, groups, q=q)[0]) * (drawn - estimate)

    diff = draws(y, gy, qy) - draws(x, gx, qx)
    low, high = np.quantile(diff, [(1 - confidence) / 2, (1 + confidence) / 2])
    same = x[0] == x[-1] == y[0] == y[-1]
    p_value = 1.0 if same else _bootstrap_p(diff)
    return _effect_frame(before=qx, after=qy, n_before=x.size, n_after=y.size, estimate=qy - qx,
                         ci_low=low, ci_high=high, p_value=p_value)
