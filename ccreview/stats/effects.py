"""Shared vocabulary of the two-period comparisons: column names, kinds, verdict words, checks."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ccreview.data import columns as c
from ccreview.exceptions import ParameterError
from ccreview.stats import kinds

__all__ = [
    "AFTER",
    "AFTER_COUNT",
    "AFTER_TOTAL",
    "AFTER_DAYS",
    "AFTER_UNITS",
    "AFTER_VALUES",
    "BEFORE_DAYS",
    "BEFORE_UNITS",
    "ALL_SEGMENTS",
    "BEFORE",
    "BEFORE_COUNT",
    "BEFORE_TOTAL",
    "BEFORE_VALUES",
    "BETTER",
    "BETTER_DIRECTIONS",
    "CI_HIGH",
    "CI_LOW",
    "DECREASED",
    "DIFFERENCE",
    "DISPERSION",
    "DIFFERENCE_SCALE",
    "DURATION",
    "EFFECT_COLUMNS",
    "EFFECT_SCALE",
    "ESTIMATE",
    "HIGHER",
    "IMPROVED",
    "INCREASED",
    "KIND",
    "KINDS",
    "LOWER",
    "MIN_EVENTS_TOTAL",
    "MIN_TRIALS_PER_SIDE",
    "MIN_VALUES_PER_SIDE",
    "NEITHER",
    "NOTE",
    "NO_CHANGE",
    "NO_MATERIAL_CHANGE",
    "N_AFTER",
    "N_BEFORE",
    "PROPORTION",
    "P_VALUE",
    "Q_VALUE",
    "RATE",
    "RATIO_SCALE",
    "RESULT_COLUMNS",
    "SEGMENT",
    "STATISTIC",
    "TOO_LITTLE_DATA",
    "VERDICT",
    "VERDICTS",
    "WORSENED",
]


# --- kinds of metric, directions and verdicts ------------------------------------------------
PROPORTION, RATE, DURATION = kinds.PROPORTION, kinds.RATE, kinds.DURATION


KINDS = (PROPORTION, RATE, DURATION)


HIGHER, LOWER, NEITHER = "higher", "lower", "neither"


BETTER_DIRECTIONS = (HIGHER, LOWER, NEITHER)


IMPROVED, WORSENED, NO_CHANGE, TOO_LITTLE_DATA = (
    "improved", "worsened", "no evidence of change", "too little data")
#: clear beyond chance, but smaller than the metric's minimum material change
NO_MATERIAL_CHANGE = "no material change"


#: verdicts of metrics with no better direction (volumes): which way they moved
INCREASED, DECREASED = "increased", "decreased"


VERDICTS = (IMPROVED, WORSENED, NO_CHANGE, TOO_LITTLE_DATA, INCREASED, DECREASED,
            NO_MATERIAL_CHANGE)


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


#: optional input columns for proportion and rate rows: per day, numerator and denominator
#: (arrays of shape (days, 2)), so the day is the unit of evidence
BEFORE_UNITS, AFTER_UNITS = "before_units", "after_units"


#: optional input columns for duration rows: each value's day (any labels), so the day is
#: the unit of evidence
BEFORE_DAYS, AFTER_DAYS = "before_days", "after_days"


#: output: the day-to-day dispersion (Pearson X^2 / df; NaN where not estimated)
DISPERSION = "dispersion"


#: optional input column for duration rows: "median" (default), "mean" or "p90"
STATISTIC = "statistic"


BEFORE, AFTER, N_BEFORE, N_AFTER = "before", "after", "n_before", "n_after"


ESTIMATE, CI_LOW, CI_HIGH, P_VALUE, Q_VALUE = "estimate", "ci_low", "ci_high", "p_value", "q_value"


EFFECT_SCALE, DIFFERENCE, VERDICT, NOTE = "effect_scale", "difference", "verdict", "note"


#: the columns of every building block's result, in order
EFFECT_COLUMNS = [BEFORE, AFTER, N_BEFORE, N_AFTER, ESTIMATE, CI_LOW, CI_HIGH, P_VALUE]


#: the columns of :func:`compare_periods`' result, in order
RESULT_COLUMNS = [c.METRIC, SEGMENT, KIND, BETTER, BEFORE, AFTER, N_BEFORE, N_AFTER, EFFECT_SCALE,
                  DIFFERENCE, CI_LOW, CI_HIGH, P_VALUE, Q_VALUE, DISPERSION, VERDICT, NOTE]


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
