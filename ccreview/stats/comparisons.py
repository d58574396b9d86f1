"""Real change or noise: tests and intervals for comparing two periods.

The building blocks are vectorised and return tidy frames with the columns
``before``, ``after``, ``n_before``, ``n_after``, ``estimate``, ``ci_low``,
``ci_high`` and ``p_value``; every effect is *after relative to before*
(later minus earlier, or later over earlier):

* :func:`newcombe_difference` -- two proportions (Newcombe 1998 hybrid score interval,
  pooled z-test);
* :func:`poisson_rate_comparison` -- two event rates (exact test and interval conditional on
  the total count);
* :func:`median_difference` -- two samples of durations (percentile bootstrap interval of
  the difference in medians and its bootstrap p-value);
* with each day's counts (``before_units``) or each value's day (``before_days``), the day is
  the unit of evidence (:mod:`ccreview.stats.dispersion`, :mod:`ccreview.stats.duration_tests`);
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

from ccreview.data import columns as c
from ccreview.exceptions import ParameterError, SchemaError
from ccreview.presentable import Presentable
from ccreview.stats.dispersion import MIN_UNITS_PER_SIDE, adjust_for_days
from ccreview.stats.duration_tests import (
    mean_difference,
    median_difference,
    quantile_difference,
)
from ccreview.stats.effects import (
    AFTER_COUNT,
    AFTER_DAYS,
    AFTER_TOTAL,
    AFTER_UNITS,
    AFTER_VALUES,
    ALL_SEGMENTS,
    BEFORE_COUNT,
    BEFORE_DAYS,
    BEFORE_TOTAL,
    BEFORE_UNITS,
    BEFORE_VALUES,
    BETTER,
    BETTER_DIRECTIONS,
    CI_HIGH,
    CI_LOW,
    DECREASED,
    DIFFERENCE,
    DIFFERENCE_SCALE,
    DISPERSION,
    DURATION,
    EFFECT_COLUMNS,
    EFFECT_SCALE,
    ESTIMATE,
    HIGHER,
    IMPROVED,
    INCREASED,
    KIND,
    KINDS,
    LOWER,
    MIN_EVENTS_TOTAL,
    MIN_TRIALS_PER_SIDE,
    MIN_VALUES_PER_SIDE,
    N_AFTER,
    N_BEFORE,
    NO_CHANGE,
    NO_MATERIAL_CHANGE,
    NOTE,
    P_VALUE,
    PROPORTION,
    Q_VALUE,
    RATE,
    RATIO_SCALE,
    RESULT_COLUMNS,
    SEGMENT,
    STATISTIC,
    TOO_LITTLE_DATA,
    VERDICT,
    WORSENED,
    _check_confidence,
    _check_counts,
)
from ccreview.stats.proportion_tests import newcombe_difference, poisson_rate_comparison

__all__ = [
    "PeriodComparison",
    "benjamini_hochberg",
    "compare_periods",
]

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
    material: Mapping[str, float] | None = None,
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
    material : mapping, optional
        Metric name -> the smallest change that matters, on the effect's scale (a difference
        in the metric's units, or for rates the relative change, 0.03 for 3%). A change
        clear beyond chance but smaller than this is "no material change".

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
    out[DISPERSION] = np.nan
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
        few_days = np.zeros(len(frame), dtype=bool)
        if BEFORE_UNITS in frame.columns and AFTER_UNITS in frame.columns:
            counted = np.flatnonzero(proportion | rate)
            adjusted = adjust_for_days(
                out.iloc[counted][EFFECT_COLUMNS], kind.iloc[counted].tolist(),
                frame[BEFORE_UNITS].iloc[counted].tolist(),
                frame[AFTER_UNITS].iloc[counted].tolist(), confidence=confidence)
            out.loc[counted, [ESTIMATE, CI_LOW, CI_HIGH, P_VALUE, DISPERSION]] = adjusted[
                [ESTIMATE, CI_LOW, CI_HIGH, P_VALUE, DISPERSION]].to_numpy()
            given = frame[BEFORE_UNITS].iloc[counted].notna().to_numpy()
            few_days[counted] = given & (adjusted["units"].to_numpy() < MIN_UNITS_PER_SIDE)
        with np.errstate(invalid="ignore"):
            enough_p = proportion & (n1 >= MIN_TRIALS_PER_SIDE) & (n2 >= MIN_TRIALS_PER_SIDE)
            enough_r = rate & (n1 + n2 >= MIN_EVENTS_TOTAL) & np.isfinite(out[P_VALUE].to_numpy())
        out.loc[proportion & ~enough_p, NOTE] = (
            f"fewer than {MIN_TRIALS_PER_SIDE} trials in a period")
        out.loc[rate & ~enough_r, NOTE] = (
            f"fewer than {MIN_EVENTS_TOTAL} events in the two periods, or no exposure")
        out.loc[few_days & (enough_p | enough_r), NOTE] = (
            f"fewer than {MIN_UNITS_PER_SIDE} days with data in a period, too few to judge "
            "how much days vary")
        enough |= (enough_p | enough_r) & ~few_days

    durations = np.flatnonzero((kind == DURATION).to_numpy())
    if durations.size:
        before_values = _column(frame, BEFORE_VALUES, repr(DURATION))
        after_values = _column(frame, AFTER_VALUES, repr(DURATION))
        statistic = (frame[STATISTIC].fillna("median") if STATISTIC in frame.columns
                     else pd.Series("median", index=frame.index))
        has_days = BEFORE_DAYS in frame.columns and AFTER_DAYS in frame.columns
        # an independent, reproducible bootstrap stream per row (SeedSequence.spawn)
        streams = np.random.SeedSequence(seed).spawn(len(durations))
        for i, stream in zip(durations, streams, strict=True):  # a handful of rows
            first, second = _values(before_values.iloc[i]), _values(after_values.iloc[i])
            days = ({"groups_before": _days(frame[BEFORE_DAYS].iloc[i], first),
                     "groups_after": _days(frame[AFTER_DAYS].iloc[i], second)}
                    if has_days else {})
            if statistic.iloc[i] == "mean":
                result = mean_difference(first, second, confidence=confidence, **days)
            elif statistic.iloc[i] == "p90":
                result = quantile_difference(first, second, q=0.9, confidence=confidence,
                                             n_boot=n_boot, seed=stream, **days)
            else:
                result = median_difference(first, second, confidence=confidence, n_boot=n_boot,
                                           seed=stream, **days)
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
    null = np.where(ratio, 1.0, 0.0)
    low, high = out[CI_LOW].to_numpy(dtype=float), out[CI_HIGH].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        direction = np.sign(effect - null)
        # a change is called only where its own interval leaves out "no change" too: a
        # verdict never contradicts the interval printed beside it
        clear = ((low > null) & (direction > 0)) | ((high < null) & (direction < 0))
    out.loc[enough, NOTE] = ""
    out.loc[enough & reject & ~clear, NOTE] = (
        "the test flags a change but the interval includes none: not called")
    out[VERDICT] = _verdicts(np.nan_to_num(direction), better.to_numpy(), reject & clear, enough)
    if material:
        smallest = out[c.METRIC].map(dict(material)).to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            small = np.abs(effect - null) < smallest  # NaN (no minimum) compares False
        called = out[VERDICT].isin([IMPROVED, WORSENED, INCREASED, DECREASED]).to_numpy()
        out.loc[called & small, VERDICT] = NO_MATERIAL_CHANGE
        out.loc[called & small, NOTE] = [
            f"clear beyond chance, but smaller than the {m:g} that counts as material"
            for m in smallest[called & small]]
    return out.rename(columns={ESTIMATE: DIFFERENCE})[RESULT_COLUMNS]


def _days(cell: object, values: np.ndarray) -> np.ndarray | None:
    """A duration row's day labels, when given for every value."""
    if cell is None or (np.isscalar(cell) and pd.isna(cell)):
        return None
    days = np.asarray(cell).ravel()
    return days if days.size == values.size else None


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

