"""Did a change work? Interrupted time series, difference in differences and verdicts.

Input is a tidy series with one row per period (``period_start``, a week or a month):

* ``kind="share"``: ``count`` events out of ``exposure`` trials (contacts abandoned out of
  contacts offered), modelled on the logit scale;
* ``kind="rate"``: ``count`` events per unit of ``exposure`` (contacts per day), on the log scale;
* ``kind="continuous"``: a ``value`` per period (average handle time in seconds).

The regression, with errors correlated from one period to the next, is
:mod:`ccreview.stats.change_fits`. This module holds what the models share: the period grid,
input checks and the plain-language warnings.

Effects are reported on the metric's own scale (a rate as a share, handle time in seconds), so
they compare directly with the change register's ``expected_effect``; :func:`verdict` turns an
effect and its interval into a sentence a manager can act on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ccreview.data import columns as c
from ccreview.exceptions import ParameterError, SchemaError
from ccreview.stats import kinds
from ccreview.wording import fmt_day, plural

__all__ = ["CONTINUOUS", "COUNT", "EXPOSURE", "MIN_SIDE", "RATE", "SHARE", "VALUE"]

# input columns of a series (besides period_start) and the two kinds of model
COUNT, EXPOSURE, VALUE = "count", "exposure", "value"
RATE, CONTINUOUS, SHARE = kinds.RATE, kinds.CONTINUOUS, kinds.SHARE
#: fewest fitted periods on each side of the change, unless the caller says otherwise
MIN_SIDE = 8

# output columns and model terms
TERM, ESTIMATE, STD_ERROR, CI_LOW, CI_HIGH, P_VALUE = (
    "term", "estimate", "std_error", "ci_low", "ci_high", "p_value")
OBSERVED, FITTED, COUNTERFACTUAL, POST, EXCLUDED, GROUP = (
    "observed", "fitted", "counterfactual", "post", "excluded", "group")
N_BEFORE, N_AFTER = "n_before", "n_after"
TABLE_COLUMNS = [TERM, ESTIMATE, STD_ERROR, CI_LOW, CI_HIGH, P_VALUE]
EFFECT_COLUMNS = [ESTIMATE, CI_LOW, CI_HIGH, STD_ERROR, P_VALUE, FITTED, COUNTERFACTUAL, N_BEFORE, N_AFTER]
INTERCEPT, TIME, LEVEL, SLOPE = "intercept", "time", "level_change", "slope_change"
TREATED, CONTROL, TREATED_X_POST, TREATED_X_TIME = "treated", "control", "treated_x_post", "treated_x_time"
_Y = "_y"  # the modelled outcome (count or value) inside this module


# ------------------------------------------------------------------------------ periods and inputs

@dataclass(frozen=True)
class _Grid:
    """The period grid of a series: monthly, or a fixed step in days (7 for weeks)."""

    first: pd.Timestamp
    monthly: bool = False
    days: int = 7

    @classmethod
    def of(cls, starts: pd.Series) -> _Grid:
        if not len(starts):
            return cls(pd.Timestamp("2000-01-03"))
        gaps = starts.diff().dt.days.dropna()
        step = int(gaps.median()) if len(gaps) else 7
        return cls(starts.iloc[0], monthly=step >= 28, days=max(step, 1))

    @property
    def word(self) -> str:
        return "month" if self.monthly else "week"

    def shift(self, when: pd.Timestamp, k: int) -> pd.Timestamp:
        return when + (pd.DateOffset(months=k) if self.monthly else pd.Timedelta(days=self.days * k))

    def index(self, starts: pd.Series) -> np.ndarray:
        """Periods since the first one (0, 1, 2 ...)."""
        if self.monthly:
            months = (starts.dt.year - self.first.year) * 12 + starts.dt.month - self.first.month
            return months.to_numpy(float)
        return ((starts - self.first) / pd.Timedelta(days=self.days)).to_numpy(float)

    def ends(self, starts: pd.Series) -> pd.Series:
        return starts + pd.DateOffset(months=1) if self.monthly else starts + pd.Timedelta(days=self.days)

    def first_start_on_or_after(self, when: pd.Timestamp) -> pd.Timestamp:
        if self.monthly:
            k = (when.year - self.first.year) * 12 + when.month - self.first.month
        else:
            k = math.floor((when - self.first) / pd.Timedelta(days=self.days))
        start = self.shift(self.first, k)
        return start if start >= when else self.shift(self.first, k + 1)

    def year_fraction(self, starts: pd.Series) -> np.ndarray:
        """Position in the calendar year, 0 to 1: (month - 1)/12, or day of year / 365.25."""
        if self.monthly:
            return ((starts.dt.month - 1) / 12).to_numpy(float)
        return ((starts.dt.day_of_year - 1) / 365.25).to_numpy(float)


def _check_options(kind: str, confidence: float) -> None:
    if kind not in (SHARE, RATE, CONTINUOUS):
        raise ParameterError(f"kind={kind!r} is not known; use kind='share' (count out of exposure "
                             "trials), kind='rate' (count per unit of exposure) or kind='continuous' "
                             "(a value column).")
    if not 0 < confidence < 1:
        raise ParameterError(f"confidence={confidence!r} must lie strictly between 0 and 1, e.g. 0.95.")


def _harmonics(seasonality: int | bool | None) -> int:
    if seasonality is None or seasonality is False:
        return 0
    if seasonality is True:
        return 2
    if not isinstance(seasonality, int | np.integer) or not 1 <= seasonality <= 6:
        raise ParameterError(f"seasonality={seasonality!r}: give the number of sine/cosine pairs for "
                             "the yearly cycle (1 to 6; 2 is usual), or None for no seasonal terms.")
    return int(seasonality)


def _as_day(value: object) -> pd.Timestamp | None:
    """A change's implementation date as a timezone-naive local Timestamp (None when missing)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        when = pd.Timestamp(value)
    except (TypeError, ValueError) as error:
        raise ParameterError(f"implemented_on={value!r} is not a date; give e.g. '2026-05-05'.") from error
    if pd.isna(when):
        return None
    return when.tz_localize(None) if when.tzinfo is not None else when


def _prepare(series: pd.DataFrame, *, kind: str, name: str) -> tuple[pd.DataFrame, list[str]]:
    """Validated copy of ``series``: ``period_start`` (naive, sorted), ``_y``, exposure, observed."""
    counted = kind in (RATE, SHARE)
    needed = [c.PERIOD_START, *((COUNT, EXPOSURE) if counted else (VALUE,))]
    if not isinstance(series, pd.DataFrame):
        raise SchemaError(f"{name} must be a DataFrame with columns {', '.join(needed)}.")
    missing = [col for col in needed if col not in series.columns]
    if missing:
        raise SchemaError(f"{name} lacks column(s) {', '.join(missing)}; a kind={kind!r} series needs "
                          f"{', '.join(needed)}, one row per period.")
    starts = pd.to_datetime(series[c.PERIOD_START])
    if starts.dt.tz is not None:
        starts = starts.dt.tz_localize(None)
    frame = pd.DataFrame({c.PERIOD_START: starts.to_numpy()})
    frame[_Y] = pd.to_numeric(series[COUNT if counted else VALUE], errors="coerce").to_numpy(float)
    bad = frame[c.PERIOD_START].isna() | ~np.isfinite(frame[_Y])
    if counted:
        frame[EXPOSURE] = pd.to_numeric(series[EXPOSURE], errors="coerce").to_numpy(float)
        bad |= ~(frame[EXPOSURE] > 0) | (frame[_Y] < 0)
        if kind == SHARE:
            bad |= frame[_Y] > frame[EXPOSURE]
    notes = []
    if bad.any():
        what = ("a missing or negative count, a count above its exposure, or no exposure" if kind == SHARE
                else "a missing or negative count, or no exposure" if counted else "no value")
        notes.append(f"{plural(int(bad.sum()), 'period')} in {name} had {what} and were left out.")
        frame = frame[~bad.to_numpy()]
    duplicated = frame[c.PERIOD_START].duplicated()
    if duplicated.any():
        raise SchemaError(f"{name} has more than one row for the period starting "
                          f"{fmt_day(frame.loc[duplicated, c.PERIOD_START].iloc[0])}; give one row per "
                          "period (add the counts up first).")
    frame = frame.sort_values(c.PERIOD_START, kind="stable").reset_index(drop=True)
    frame[OBSERVED] = frame[_Y] / frame[EXPOSURE] if counted else frame[_Y]
    return frame, notes


def _split(frame: pd.DataFrame, grid: _Grid, when: pd.Timestamp | None) -> tuple[np.ndarray, np.ndarray]:
    """Post flag (the period starts on or after the change) and excluded flag (the change fell inside it)."""
    if when is None:
        return np.zeros(len(frame), bool), np.zeros(len(frame), bool)
    starts = frame[c.PERIOD_START]
    return (starts >= when).to_numpy(), ((starts < when) & (grid.ends(starts) > when)).to_numpy()


def _special_causes(frame: pd.DataFrame, grid: _Grid, special_causes) -> np.ndarray:
    """Which periods contain one of the ``special_causes`` dates (a major incident, a degraded week)."""
    stamps = []
    for value in special_causes if special_causes is not None else []:
        try:
            stamp = pd.Timestamp(value)
        except (TypeError, ValueError):
            continue
        if not pd.isna(stamp):  # each on its own: naive and zoned dates may be mixed
            stamps.append(stamp.tz_localize(None) if stamp.tzinfo is not None else stamp)
    days = pd.Series(stamps, dtype="datetime64[ns]")
    starts = frame[c.PERIOD_START]
    if not len(days) or not len(starts):
        return np.zeros(len(frame), bool)
    ends = grid.ends(starts).to_numpy()
    values = days.to_numpy()
    return ((values[None, :] >= starts.to_numpy()[:, None]) & (values[None, :] < ends[:, None])).any(axis=1)


def _check_min_periods(min_before: int, min_after: int) -> tuple[int, int]:
    for name, value in (("min_before", min_before), ("min_after", min_after)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 3:
            raise ParameterError(f"{name}={value!r}: give the fewest periods needed on that side of a "
                                 "change, a whole number of at least 3 (8 is usual).")
    return int(min_before), int(min_after)


def _date_warning(when: pd.Timestamp | None, starts: pd.Series, grid: _Grid) -> str | None:
    """Why there is no 'before' or 'after' at all, in plain words (None when the date is inside the data)."""
    if when is None:
        return "The change has no implementation date yet, so there is nothing to evaluate."
    if not len(starts):
        return "There are no periods with data to evaluate."
    if when <= starts.min():
        return (f"The change was implemented on {fmt_day(when)}, before the first period in the data "
                f"({fmt_day(starts.min())}), so there is no 'before' to compare with.")
    if when >= grid.shift(starts.max(), 1):
        return (f"The change was implemented on {fmt_day(when)}, after the last period in the data, so "
                "there is nothing after it to evaluate yet.")
    return None


def _count_warnings(n_before: int, n_after: int, word: str, where: str = "", *,
                    min_before: int = MIN_SIDE, min_after: int = MIN_SIDE) -> list[str]:
    notes = []
    if n_before < min_before:
        notes.append(f"Only {plural(n_before, word)} of data before the change{where}; at least "
                     f"{min_before} are needed to estimate the level and trend it interrupted.")
    if n_after < min_after:
        notes.append(f"Only {plural(n_after, word)} of data after the change{where}; at least {min_after} "
                     "are needed to estimate its effect.")
    return notes


# ------------------------------------------------------------------------------ results

def _effect_row(values: dict[str, float] | None, n_before: int, n_after: int) -> pd.DataFrame:
    row = {col: np.nan for col in EFFECT_COLUMNS} | (values or {}) | {N_BEFORE: n_before, N_AFTER: n_after}
    return pd.DataFrame([row], columns=EFFECT_COLUMNS)


def _empty_table() -> pd.DataFrame:
    return pd.DataFrame({col: pd.Series(dtype=object if col == TERM else float) for col in TABLE_COLUMNS})
