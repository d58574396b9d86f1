"""Elapsed time on a clock: calendar (24x7) or business hours with holidays.

Business time is counted on the wall clock of the centre's time zone: a
Monday 08:00-18:00 opening is ten hours whatever the daylight-saving state.
Calendar (24x7) time is true elapsed time. Both are vectorised: a cumulative
count of open seconds per day is built once, and every interval is two
look-ups into it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ccreview.config import Calendar

__all__ = ["elapsed_seconds"]

_DAY = 86400


def elapsed_seconds(
    start: pd.Series, end: pd.Series, *, calendar: Calendar, timezone: str
) -> pd.Series:
    """Seconds between ``start`` and ``end`` counted on ``calendar``.

    Parameters
    ----------
    start, end : Series
        Timezone-aware timestamps (missing values give missing results).
    calendar : Calendar
        ``always_open`` counts every second; otherwise only opening hours on
        non-holiday days count.
    timezone : str
        The centre's time zone, whose wall clock the opening hours follow.

    Returns
    -------
    Series of float
        Negative when ``end`` precedes ``start``.
    """
    start = pd.Series(start)
    end = pd.Series(pd.Series(end).array, index=start.index)  # positional, not by label
    if calendar.always_open:
        return (end - start).dt.total_seconds()
    local_start = _wall_seconds(start, timezone)
    local_end = _wall_seconds(end, timezone)
    valid = ~(np.isnan(local_start) | np.isnan(local_end))
    result = np.full(len(start), np.nan)
    if valid.any():
        first_day = int(np.floor(min(local_start[valid].min(), local_end[valid].min()) / _DAY))
        last_day = int(np.floor(max(local_start[valid].max(), local_end[valid].max()) / _DAY))
        counter = _OpenSeconds(calendar, first_day, last_day)
        result[valid] = counter(local_end[valid]) - counter(local_start[valid])
    return pd.Series(result, index=start.index, dtype=float)


def _wall_seconds(values: pd.Series, timezone: str) -> np.ndarray:
    """Wall-clock seconds since 1970-01-01 00:00 local time (NaN where missing)."""
    local = values.dt.tz_convert(timezone).dt.tz_localize(None).dt.as_unit("us")
    micros = local.to_numpy(dtype="datetime64[us]").astype("int64").astype(float)
    micros[local.isna().to_numpy()] = np.nan
    return micros / 1e6


class _OpenSeconds:
    """Cumulative open seconds from ``first_day`` to any wall-clock instant."""

    def __init__(self, calendar: Calendar, first_day: int, last_day: int) -> None:
        days = np.arange(first_day, last_day + 1)
        weekday = (days + 3) % 7  # 1970-01-01 was a Thursday (weekday 3)
        holiday_days = {
            (np.datetime64(d, "D") - np.datetime64("1970-01-01", "D")).astype(int)
            for d in calendar.holidays
        }
        open_day = ~np.isin(days, list(holiday_days))
        spans = max((len(s) for s in calendar.hours.values()), default=0)
        # per day and span: opening and closing second of the day (0, 0 when closed)
        self.opens = np.zeros((len(days), max(spans, 1)))
        self.closes = np.zeros((len(days), max(spans, 1)))
        for wd, day_spans in calendar.hours.items():
            rows = (weekday == wd) & open_day
            for k, (t_open, t_close) in enumerate(day_spans):
                self.opens[rows, k] = _secs(t_open)
                self.closes[rows, k] = _secs(t_close)
        per_day = (self.closes - self.opens).sum(axis=1)
        self.before = np.concatenate([[0.0], np.cumsum(per_day)[:-1]])
        self.first_day = first_day

    def __call__(self, wall: np.ndarray) -> np.ndarray:
        day = np.floor(wall / _DAY).astype(np.int64) - self.first_day
        tod = wall - (day + self.first_day) * _DAY
        inside = np.clip(tod[:, None] - self.opens[day], 0, self.closes[day] - self.opens[day])
        return self.before[day] + inside.sum(axis=1)


def _secs(t) -> float:
    return t.hour * 3600 + t.minute * 60 + t.second + t.microsecond / 1e6
