"""Real change or noise: tests and intervals for comparing two periods.

The building blocks are vectorised and return tidy frames with the columns
``before``, ``after``, ``n_before``, ``n_after``, ``estimate``, ``ci_low``,
``ci_high`` and ``p_value``; every effect is *after relative to before*
(later minus earlier, or later over earlier):

* :func:`newcombe_difference` -- two proportions (Newcombe 1998 hybrid score interval,
  pooled z-test);
* :func:`poisson_rate_comparison` -- two event rates (exact test and interval conditional on
  the total count);
* :func:`median_difference` -- two samples of durations (Mann-Whitney U test, percentile
  bootstrap interval of the difference in medians);
* :func:`benjamini_hochberg` -- false-discovery-rate adjusted p-values (q-values).

:func:`compare_periods` is the front door the reports use: one row in per (metric, segment),
one row out with a verdict a manager can read ("improved", "worsened", "no evidence of change",
"too little data"); :class:`PeriodComparison` shows that table in a notebook.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ccreview.data import columns as c
from ccreview.exceptions import ParameterError, SchemaError
from ccreview.presentable import Presentable
from ccreview.stats.intervals import wilson_interval

__all__ = [
    "BETTER_DIRECTIONS",
    "EFFECT_COLUMNS",
    "KINDS",
    "MIN_EVENTS_TOTAL",
    "MIN_TRIALS_PER_SIDE",
    "MIN_VALUES_PER_SIDE",
    "RESULT_COLUMNS",
    "VERDICTS",
    "PeriodComparison",
    "benjamini_hochberg",
    "compare_periods",
    "mean_difference",
    "median_difference",
    "newcombe_difference",
    "poisson_rate_comparison",
    "quantile_difference",
]

# --- kinds of metric, directions and verdicts ------------------------------------------------
PROPORTION, RATE, DURATION = "proportion", "rate", "duration"
KINDS = (PROPORTION, RATE, DURATION)
HIGHER, LOWER, NEITHER = "higher", "lower", "neither"
BETTER_DIRECTIONS = (HIGHER, LOWER, NEITHER)
IMPROVED, WORSENED, NO_CHANGE, TOO_LITTLE_DATA = (
    "improved", "worsened", "no evidence of change", "too little data")
#: verdicts of metrics with no better direction (volumes): which way they moved
INCREASED, DECREASED = "increased", "decreased"
VERDICTS = (IMPROVED, WORSENED, NO_CHANGE, TOO_LITTLE_DATA, INCREASED, DECREASED)
DIFFERENCE_SCALE, RATIO_SCALE = "difference", "ratio"

#: fewer trials than this in either period: too little data for a proportion
MIN_TRIALS_PER_SIDE = 30
#: fewer events than this in both periods together: too little data for a rate
MIN_EVENTS_TOTAL = 10
#: fewer values than this in either period: too little data for a duration
MIN_VALUES_PER_SIDE = 20

# --- column names (input of compare_periods, then output) -----------------------------------
SEGMENT = "segment"
KIND = "kind"
BETTER = "better"
BEFORE_COUNT, BEFORE_TOTAL, AFTER_COUNT, AFTER_TOTAL = (
    "before_count", "before_total", "after_count", "after_total")
BEFORE_VALUES, AFTER_VALUES = "before_values", "after_values"
#: optional input column for duration rows: "median" (default), "mean" or "p90"
STATISTIC = "statistic"
BEFORE, AFTER, N_BEFORE, N_AFTER = "before", "after", "n_before", "n_after"
ESTIMATE, CI_LOW, CI_HIGH, P_VALUE, Q_VALUE = "estimate", "ci_low", "ci_high", "p_value", "q_value"
EFFECT_SCALE, DIFFERENCE, VERDICT, NOTE = "effect_scale", "difference", "verdict", "note"
#: the columns of every building block's result, in order
EFFECT_COLUMNS = [BEFORE, AFTER, N_BEFORE, N_AFTER, ESTIMATE, CI_LOW, CI_HIGH, P_VALUE]
#: the columns of :func:`compare_periods`' result, in order
RESULT_COLUMNS = [c.METRIC, SEGMENT, KIND, BETTER, BEFORE, AFTER, N_BEFORE, N_AFTER, EFFECT_SCALE,
                  DIFFERENCE, CI_LOW, CI_HIGH, P_VALUE, Q_VALUE, VERDICT, NOTE]
#: segment given to rows of an input without a ``segment`` column
ALL_SEGMENTS = "all"


def _check_confidence(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise ParameterError(f"confidence must be between 0 and 1 (e.g. 0.95), got {confidence!r}.")
    return float(confidence)


def _as_arrays(*values) -> list[np.ndarray]:
    """Broadcast scalars and arrays to float arrays of one shape (at least one element)."""
    try:
        arrays = np.broadcast_arrays(*(np.atleast_1d(np.asarray(v, dtype=float)) for v in values))
    except ValueError as exc:
        raise ParameterError(f"the count and size arguments must have matching lengths: {exc}.") from None
    return [a.ravel().copy() for a in arrays]


def _check_counts(count: np.ndarray, total: np.ndarray, *, names: tuple[str, str],
                  at_most_total: bool, labels: Sequence[str] | None = None) -> None:
    """Raise for impossible counts; NaN passes (it becomes a NaN result)."""
    with np.errstate(invalid="ignore"):
        bad = (count < 0) | (total < 0) | (np.isfinite(count) & (count != np.round(count)))
        if at_most_total:
            bad |= (count > total) | (np.isfinite(total) & (total != np.round(total)))
    if bad.any():
        rows = np.flatnonzero(bad)[:5]
        where = ", ".join(labels[i] for i in rows) if labels is not None else (
            f"position(s) {rows.tolist()}")
        rule = (f"whole numbers with 0 <= {names[0]} <= {names[1]}" if at_most_total else
                f"a whole number >= 0 ({names[0]}) and a number >= 0 ({names[1]})")
        raise ParameterError(f"impossible counts at {where}: {names[0]} and {names[1]} must be {rule}. "
                             "Check how the counts were aggregated.")


def _effect_frame(**columns: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({name: np.atleast_1d(np.asarray(columns[name], dtype=float))
                         for name in EFFECT_COLUMNS})


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


def benjamini_hochberg(
    p_values: Sequence[float] | np.ndarray, *, alpha: float = 0.05
) -> tuple[np.ndarray, np.ndarray]:
    """Benjamini-Hochberg (1995) false-discovery-rate adjustment.

    Parameters
    ----------
    p_values : array-like of float
        p-values in [0, 1]; NaN marks a comparison that was not tested.
    alpha : float
        The false discovery rate to control.

    Returns
    -------
    q_values : ndarray
        Adjusted p-values ``min(1, min_{j >= i} m p_(j) / j)``; NaN stays NaN.
    reject : ndarray of bool
        ``q_value <= alpha``, the hypotheses the step-up procedure rejects; False for NaN.

    Notes
    -----
    ``m`` counts only the non-NaN p-values.
    """
    if not 0 < alpha < 1:
        raise ParameterError(f"alpha must be between 0 and 1 (e.g. 0.05), got {alpha!r}.")
    p = np.asarray(p_values, dtype=float)
    flat = p.ravel()
    tested = ~np.isnan(flat)
    if ((flat[tested] < 0) | (flat[tested] > 1)).any():
        raise ParameterError("p-values must lie between 0 and 1 (NaN for untested comparisons).")
    q = np.full(flat.shape, np.nan)
    values = flat[tested]
    m = values.size
    if m:
        order = np.argsort(values, kind="stable")
        scaled = values[order] * m / np.arange(1, m + 1)
        adjusted = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
        q_tested = np.empty(m)
        q_tested[order] = adjusted
        q[tested] = q_tested
    q = q.reshape(p.shape)
    with np.errstate(invalid="ignore"):
        reject = q <= alpha
    return q, reject


def _column(frame: pd.DataFrame, name: str, kinds: str) -> pd.Series:
    if name not in frame.columns:
        raise SchemaError(f"compare_periods: rows of kind {kinds} need a {name!r} column; the table "
                          f"has {', '.join(map(str, frame.columns))}.")
    return frame[name]


def _better(frame: pd.DataFrame, directions: Mapping[str, str] | None) -> pd.Series:
    """The better direction of each row: the ``better`` column, else ``directions[metric]``."""
    catalogue = frame[c.METRIC].map(dict(directions or {}))
    better = frame[BETTER].fillna(catalogue) if BETTER in frame.columns else catalogue
    bad = ~better.isin(BETTER_DIRECTIONS)
    if bad.any():
        metrics = ", ".join(sorted(map(str, frame.loc[bad, c.METRIC].unique())))
        raise ParameterError(f"compare_periods: no better direction for metric(s) {metrics}: add a "
                             f"'better' column with one of {', '.join(BETTER_DIRECTIONS)}.")
    return better


def _verdicts(direction: np.ndarray, better: np.ndarray, reject: np.ndarray,
              enough: np.ndarray) -> np.ndarray:
    """Words for each row from the sign of the effect (+1, 0, -1) and the better direction."""
    good = ((direction > 0) & (better == HIGHER)) | ((direction < 0) & (better == LOWER))
    bad = ((direction < 0) & (better == HIGHER)) | ((direction > 0) & (better == LOWER))
    moved = np.where(direction > 0, INCREASED, DECREASED)
    changed = np.where(good, IMPROVED, np.where(bad, WORSENED, moved))
    verdict = np.where(reject & (direction != 0), changed, NO_CHANGE)
    return np.where(enough, verdict, TOO_LITTLE_DATA)


def compare_periods(
    comparisons: pd.DataFrame, *, directions: Mapping[str, str] | None = None, alpha: float = 0.05,
    confidence: float = 0.95, n_boot: int = 2000, seed: int = 0,
) -> pd.DataFrame:
    """Compare each metric and segment between two periods: effect, interval, q-value, verdict.

    Parameters
    ----------
    comparisons : DataFrame
        One row per (metric, segment) comparison, with the columns

        ``metric``
            The metric's name (a :data:`ccreview.kpis.catalogue.METRICS` key or any label).
        ``segment`` (optional)
            Which slice of the data, e.g. a queue; ``"all"`` when absent.
        ``kind``
            ``"proportion"`` (successes out of trials, e.g. SLA met / judged),
            ``"rate"`` (events per unit of exposure, e.g. complaints per week) or
            ``"duration"`` (a sample of values, e.g. hours to resolve).
        ``better`` (optional)
            ``"higher"``, ``"lower"`` or ``"neither"``; where absent or empty,
            ``directions[metric]``.
        ``before_count``, ``before_total``, ``after_count``, ``after_total``
            Proportion rows: successes and trials of each period. Rate rows: events and
            exposure of each period. Not read for duration rows (leave NaN).
        ``before_values``, ``after_values``
            Duration rows: a list or array of the values of each period (not read for the
            other kinds); only needed when there are duration rows.
        ``statistic`` (optional)
            Duration rows: the statistic compared, ``"median"`` (default;
            :func:`median_difference`), ``"mean"`` (:func:`mean_difference`) or ``"p90"``
            (:func:`quantile_difference`).

    directions : mapping, optional
        Metric name -> better direction, for rows without a ``better`` value (the review
        passes :data:`ccreview.kpis.catalogue.METRIC_BETTER`).
    alpha : float
        False discovery rate for the verdicts: a change is reported when its
        Benjamini-Hochberg q-value is at most ``alpha``.
    confidence : float
        Two-sided confidence level of the intervals.
    n_boot, seed : int
        Bootstrap replicates and seed for duration rows (see :func:`median_difference`).

    Returns
    -------
    DataFrame
        One row per input row, in input order: ``metric``, ``segment``, ``kind``, ``better``,
        ``before``, ``after`` (proportion, rate or median of each period), ``n_before``,
        ``n_after`` (trials, events or values), ``effect_scale`` (``"difference"`` or, for rates,
        ``"ratio"``), ``difference`` (after - before, or after / before), ``ci_low``, ``ci_high``,
        ``p_value``, ``q_value``, ``verdict`` and ``note`` (why there is too little data).

    Notes
    -----
    Proportions use :func:`newcombe_difference`, rates :func:`poisson_rate_comparison` and
    durations :func:`median_difference`. A row has too little data with fewer than
    :data:`MIN_TRIALS_PER_SIDE` trials in a period (proportions), fewer than
    :data:`MIN_EVENTS_TOTAL` events in both periods together (rates), or fewer than
    :data:`MIN_VALUES_PER_SIDE` values in a period (durations); its estimate and interval are
    still shown where they can be computed, but it is left out of the Benjamini-Hochberg family
    (``q_value`` NaN), since no verdict can come from it. The q-values adjust across all other
    rows together. ``verdict`` is "improved" or "worsened" when ``q_value <= alpha`` and the
    estimate moved in the better or worse direction, "increased"/"decreased" for metrics with
    no better direction, "no evidence of change" otherwise (including an estimate of exactly no
    change), and "too little data" as above.
    """
    _check_confidence(confidence)
    for name in (c.METRIC, KIND):
        if name not in comparisons.columns:
            raise SchemaError(f"compare_periods needs a {name!r} column; the table has "
                              f"{', '.join(map(str, comparisons.columns)) or 'no columns'}.")
    frame = comparisons.reset_index(drop=True)
    kind = frame[KIND]
    unknown = ~kind.isin(KINDS)
    if unknown.any():
        raise ParameterError(f"compare_periods: unknown kind(s) {sorted(map(str, kind[unknown].unique()))} "
                             f"in column 'kind'; use one of {', '.join(KINDS)}.")
    better = _better(frame, directions)
    out = pd.DataFrame({
        c.METRIC: frame[c.METRIC],
        SEGMENT: frame[SEGMENT] if SEGMENT in frame.columns else ALL_SEGMENTS,
        KIND: kind, BETTER: better})
    for name in EFFECT_COLUMNS:
        out[name] = np.nan
    out[NOTE] = ""
    enough = np.zeros(len(frame), dtype=bool)

    if kind.isin([PROPORTION, RATE]).any():
        kinds = f"{PROPORTION!r} or {RATE!r}"
        counts = [pd.to_numeric(_column(frame, name, kinds), errors="coerce").to_numpy(dtype=float)
                  for name in (BEFORE_COUNT, BEFORE_TOTAL, AFTER_COUNT, AFTER_TOTAL)]
        for which, function in ((PROPORTION, newcombe_difference), (RATE, poisson_rate_comparison)):
            rows = (kind == which).to_numpy()
            if not rows.any():
                continue
            labels = [f"metric {m!r}, segment {g!r}"
                      for m, g in out.loc[rows, [c.METRIC, SEGMENT]].to_numpy()]
            before_count, before_total, after_count, after_total = (part[rows] for part in counts)
            proportion = which == PROPORTION
            _check_counts(before_count, before_total, names=(BEFORE_COUNT, BEFORE_TOTAL),
                          at_most_total=proportion, labels=labels)
            _check_counts(after_count, after_total, names=(AFTER_COUNT, AFTER_TOTAL),
                          at_most_total=proportion, labels=labels)
            result = function(before_count, before_total, after_count, after_total, confidence=confidence)
            out.loc[rows, EFFECT_COLUMNS] = result.to_numpy()
        n1, n2 = out[N_BEFORE].to_numpy(), out[N_AFTER].to_numpy()
        proportion, rate = (kind == PROPORTION).to_numpy(), (kind == RATE).to_numpy()
        with np.errstate(invalid="ignore"):
            enough_p = proportion & (n1 >= MIN_TRIALS_PER_SIDE) & (n2 >= MIN_TRIALS_PER_SIDE)
            enough_r = rate & (n1 + n2 >= MIN_EVENTS_TOTAL) & np.isfinite(out[P_VALUE].to_numpy())
        enough |= enough_p | enough_r
        out.loc[proportion & ~enough_p, NOTE] = (
            f"fewer than {MIN_TRIALS_PER_SIDE} trials in a period")
        out.loc[rate & ~enough_r, NOTE] = (
            f"fewer than {MIN_EVENTS_TOTAL} events in the two periods, or no exposure")

    durations = np.flatnonzero((kind == DURATION).to_numpy())
    if durations.size:
        before_values = _column(frame, BEFORE_VALUES, repr(DURATION))
        after_values = _column(frame, AFTER_VALUES, repr(DURATION))
        statistic = (frame[STATISTIC].fillna("median") if STATISTIC in frame.columns
                     else pd.Series("median", index=frame.index))
        for i in durations:  # one per (metric, segment): a handful
            first, second = _values(before_values.iloc[i]), _values(after_values.iloc[i])
            if statistic.iloc[i] == "mean":
                result = mean_difference(first, second, confidence=confidence)
            elif statistic.iloc[i] == "p90":
                result = quantile_difference(first, second, q=0.9, confidence=confidence,
                                             n_boot=n_boot, seed=seed)
            else:
                result = median_difference(first, second, confidence=confidence, n_boot=n_boot,
                                           seed=seed)
            out.loc[i, EFFECT_COLUMNS] = result.to_numpy()[0]
        n1, n2 = out[N_BEFORE].to_numpy(), out[N_AFTER].to_numpy()
        duration = (kind == DURATION).to_numpy()
        enough_d = duration & (n1 >= MIN_VALUES_PER_SIDE) & (n2 >= MIN_VALUES_PER_SIDE)
        enough |= enough_d
        out.loc[duration & ~enough_d, NOTE] = f"fewer than {MIN_VALUES_PER_SIDE} values in a period"

    enough &= np.isfinite(out[P_VALUE].to_numpy())
    q, reject = benjamini_hochberg(np.where(enough, out[P_VALUE], np.nan), alpha=alpha)
    out[Q_VALUE] = q
    ratio = (kind == RATE).to_numpy()
    out[EFFECT_SCALE] = np.where(ratio, RATIO_SCALE, DIFFERENCE_SCALE)
    effect = out[ESTIMATE].to_numpy()
    with np.errstate(invalid="ignore"):
        direction = np.sign(np.where(ratio, effect - 1, effect))
    out[VERDICT] = _verdicts(np.nan_to_num(direction), better.to_numpy(), reject, enough)
    out.loc[enough, NOTE] = ""
    return out.rename(columns={ESTIMATE: DIFFERENCE})[RESULT_COLUMNS]


def _values(cell: object) -> np.ndarray:
    """A duration cell as a float array (a list, array or Series; NaN or None is empty)."""
    if cell is None or (np.isscalar(cell) and pd.isna(cell)):
        return np.empty(0)
    return np.asarray(cell, dtype=float)


@dataclass(frozen=True)
class PeriodComparison(Presentable):
    """The result of :func:`compare_periods`, shown as a readable table in a notebook.

    Build it with ``PeriodComparison(compare_periods(comparisons, alpha=alpha), alpha=alpha)``.
    """

    table: pd.DataFrame
    alpha: float = 0.05
    confidence: float = 0.95

