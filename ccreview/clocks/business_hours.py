"""Elapsed time on a clock: calendar (24x7) or business hours with holidays.

Business time is counted on the wall clock of the centre's time zone: a
Monday 08:00-18:00 opening is ten hours whatever the daylight-saving state.
Calendar (24x7) time is true elapsed time. Both are vectorised: a cumulative
count of open seconds per day is built once, and every interval is two
look-ups into it. :func:`add_seconds` runs the clock forwards (the instant a
target falls due), skipping closed hours, holidays and pauses.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ccreview.config.criteria import Calendar

__all__ = ["NAT", "add_seconds", "elapsed_seconds", "from_micros", "to_micros"]

_DAY = 86400
#: a missing instant in int64 microseconds (the value numpy uses for NaT)
NAT = np.iinfo(np.int64).min


def to_micros(values: pd.Series) -> np.ndarray:
    """Timezone-aware timestamps as int64 microseconds since the Unix epoch (missing ->
    :data:`NAT`), without copying where the data is already in microseconds."""
    values = pd.Series(values)
    if not isinstance(values.dtype, pd.DatetimeTZDtype):
        values = pd.to_datetime(values, utc=True)
    return np.asarray(values.dt.as_unit("us").array.asi8)


def from_micros(micros: np.ndarray, timezone: str) -> pd.Series:
    """Int64 microseconds since the epoch (:data:`NAT` = missing) as timestamps in ``timezone``."""
    values = np.asarray(micros, dtype=np.int64).view("datetime64[us]")
    return pd.Series(values).dt.tz_localize("UTC").dt.tz_convert(timezone)


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


def add_seconds(
    start: pd.Series,
    seconds: np.ndarray | pd.Series | float,
    *,
    calendar: Calendar,
    timezone: str,
    pauses: pd.DataFrame | None = None,
) -> pd.Series:
    """The instant at which ``seconds`` have run on ``calendar`` since ``start``.

    The inverse of :func:`elapsed_seconds`, skipping closed hours, holidays and each
    row's ``pauses``: the earliest instant ``t >= start`` at which the clock, less the
    paused time, has counted ``seconds``.

    Parameters
    ----------
    start : Series
        Timezone-aware timestamps.
    seconds : array-like of float
        Clock seconds to run, one per row or one for all (missing gives missing).
    calendar : Calendar
        The clock; ``always_open`` counts every second.
    timezone : str
        The centre's time zone, whose wall clock the opening hours follow.
    pauses : DataFrame, optional
        Stretches during which a row's clock stops: ``row`` (position in ``start``),
        ``start`` and ``end`` (timezone-aware; a missing ``end`` never resumes). They may
        overlap; parts before the row's ``start`` are ignored.

    Returns
    -------
    Series of timestamps
        In ``timezone``, on ``start``'s index. Missing where a pause that never ends
        starts before the time has run, or where the calendar is never open. On business
        calendars a result whose wall-clock time does not exist (the hour skipped when the
        clocks go forward) moves to the end of that hour, and one in the repeated autumn
        hour is its first occurrence.
    """
    start = pd.Series(start)
    n = len(start)
    target = np.array(np.broadcast_to(np.asarray(seconds, dtype=float), (n,)))
    has_pauses = pauses is not None and len(pauses) > 0
    clock = _Clock(calendar, timezone,
                   [start] + ([pauses["start"], pauses["end"]] if has_pauses else []))
    s = clock.to_clock(start)
    used = _paused_before(clock, s, target, pauses) if has_pauses else np.zeros(n)
    value = s + target + used  # NaN without a start or a target, inf if never reached
    due, ok = clock.from_clock(value)
    start_us = _epoch_micros(start)
    due = np.where(ok & (due < start_us), start_us, due)  # a zero target, or closed at the start
    out = due.astype("datetime64[us]")
    out[~ok] = np.datetime64("NaT")
    local = pd.Series(out, index=start.index).dt.tz_localize("UTC").dt.tz_convert(timezone)
    return local


def _paused_before(clock: _Clock, s: np.ndarray, target: np.ndarray,
                   pauses: pd.DataFrame) -> np.ndarray:
    """Clock seconds of each row's pauses that fall before its time has run."""
    n = len(s)
    row = pauses["row"].to_numpy(dtype=np.int64)
    begin = np.maximum(clock.to_clock(pauses["start"]), s[row])
    end = clock.to_clock(pauses["end"])
    end = np.where(np.isnan(end) & ~np.isnan(begin), np.inf, end)
    real = end > begin  # NaN compares False: missing starts drop out
    row, begin, end = row[real], begin[real], end[real]
    order = np.lexsort((begin, row))
    row, begin, end = row[order], begin[order], end[order]
    # merge overlapping pauses of a row: a new block starts past the reach of the earlier ones
    reach = pd.Series(end).groupby(row, sort=False).cummax().to_numpy()
    prior = np.concatenate([[-np.inf], reach[:-1]])
    new_block = (begin > prior) | np.concatenate([[True], row[1:] != row[:-1]])
    b_row = row[new_block]
    b_begin = begin[new_block]
    b_end = np.maximum.reduceat(end, np.flatnonzero(new_block)) if len(end) else end
    length = b_end - b_begin
    done = pd.Series(length).groupby(b_row, sort=False).cumsum().to_numpy()
    first = np.concatenate([[True], b_row[1:] != b_row[:-1]])
    before = np.where(first, 0.0, np.concatenate([[0.0], done[:-1]]))  # earlier blocks' length
    # the time runs out before a block if the clock reaches it with the target already used
    short = (b_begin - s[b_row] - before) < target[b_row]
    return np.bincount(b_row[short], weights=length[short], minlength=n)


class _Clock:
    """Clock seconds (monotone) to and from timestamps, for one calendar."""

    def __init__(self, calendar: Calendar, timezone: str, values: list[pd.Series]) -> None:
        self.calendar, self.timezone = calendar, timezone
        self.counter: _OpenSeconds | None = None
        if not calendar.always_open:
            walls = np.concatenate([_wall_seconds(v, timezone) for v in values])
            walls = walls[~np.isnan(walls)]
            low = int(np.floor(walls.min() / _DAY)) if len(walls) else 0
            high = int(np.floor(walls.max() / _DAY)) if len(walls) else 0
            self.counter = _OpenSeconds(calendar, low, high + 7)

    def to_clock(self, values: pd.Series) -> np.ndarray:
        if self.counter is None:
            return _epoch_seconds(values)
        wall = _wall_seconds(values, self.timezone)
        out = np.full(len(wall), np.nan)
        ok = ~np.isnan(wall)
        out[ok] = self.counter(wall[ok])
        return out

    def from_clock(self, value: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Microseconds since the Unix epoch at which the clock shows ``value``, and
        where that instant exists (False for missing or infinite values)."""
        ok = np.isfinite(value)
        if self.counter is None:
            return np.where(ok, np.rint(value * 1e6), 0).astype(np.int64), ok
        wall = np.zeros(len(value))
        if self.counter.per_week <= 0:  # never open: only a zero run can be placed
            ok &= value <= self.counter.total
        if ok.any():
            while np.max(value[ok]) > self.counter.total:
                self.counter = self.counter.extended()
            wall[ok] = self.counter.inverse(value[ok])
        naive = pd.Series(np.rint(wall * 1e6).astype(np.int64).astype("datetime64[us]"))
        local = naive.dt.tz_localize(self.timezone, ambiguous=np.ones(len(naive), dtype=bool),
                                     nonexistent="shift_forward")
        return _epoch_micros(local), ok


def _epoch_micros(values: pd.Series) -> np.ndarray:
    """Microseconds since the Unix epoch (int64; meaningless where missing)."""
    utc = pd.Series(values).dt.tz_convert("UTC").dt.tz_localize(None).dt.as_unit("us")
    return utc.to_numpy(dtype="datetime64[us]").astype(np.int64)


def _epoch_seconds(values: pd.Series) -> np.ndarray:
    """Seconds since the Unix epoch (NaN where missing)."""
    values = pd.Series(values)
    seconds = _epoch_micros(values).astype(float) / 1e6
    seconds[values.isna().to_numpy()] = np.nan
    return seconds


def _wall_seconds(values: pd.Series, timezone: str) -> np.ndarray:
    """Wall-clock seconds since 1970-01-01 00:00 local time (NaN where missing)."""
    local = pd.Series(values).dt.tz_convert(timezone).dt.tz_localize(None).dt.as_unit("us")
    micros = local.to_numpy(dtype="datetime64[us]").astype("int64").astype(float)
    micros[local.isna().to_numpy()] = np.nan
    return micros / 1e6


class _OpenSeconds:
    """Cumulative open seconds from ``first_day`` to any wall-clock instant, and back."""

    def __init__(self, calendar: Calendar, first_day: int, last_day: int) -> None:
        self.calendar, self.first_day, self.last_day = calendar, first_day, last_day
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
        self.upto = self.before + per_day  # open seconds up to the end of each day
        self.total = float(self.upto[-1])
        self.per_week = sum(_secs(b) - _secs(a) for spans in calendar.hours.values()
                            for a, b in spans)

    def extended(self) -> _OpenSeconds:
        """The same counter over twice as many days (cumulative values do not change)."""
        return _OpenSeconds(self.calendar, self.first_day,
                            self.last_day + max(self.last_day - self.first_day, 28))

    def __call__(self, wall: np.ndarray) -> np.ndarray:
        day = np.floor(wall / _DAY).astype(np.int64) - self.first_day
        tod = wall - (day + self.first_day) * _DAY
        inside = np.clip(tod[:, None] - self.opens[day], 0, self.closes[day] - self.opens[day])
        return self.before[day] + inside.sum(axis=1)

    def inverse(self, value: np.ndarray) -> np.ndarray:
        """The earliest wall-clock instant at which the count reaches ``value``."""
        day = np.searchsorted(self.upto, value, side="left")
        left = value - self.before[day]
        length = self.closes[day] - self.opens[day]
        done = np.cumsum(length, axis=1)
        span = np.minimum((done < left[:, None]).sum(axis=1), length.shape[1] - 1)
        rows = np.arange(len(day))
        into = left - (done[rows, span] - length[rows, span])
        wall = (day + self.first_day) * _DAY + self.opens[day, span] + into
        return np.where(value <= 0, self.first_day * _DAY, wall)  # nothing counted yet


def _secs(t) -> float:
    return t.hour * 3600 + t.minute * 60 + t.second + t.microsecond / 1e6
