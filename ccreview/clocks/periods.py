"""Period grids: Monday weeks, whole weeks inside a period, and the periods a review is compared with."""

from __future__ import annotations

import pandas as pd

from ccreview.data import columns as c

__all__ = [
    "full_weeks",
    "week_start",
]


def week_start(timestamps: pd.Series) -> pd.Series:
    """The Monday (local date, timezone-naive) of the week each timestamp falls in."""
    local = timestamps.dt.tz_localize(None)
    return local.dt.normalize() - pd.to_timedelta(local.dt.day_of_week, unit="D")


def full_weeks(table: pd.DataFrame, *, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Rows of a weekly table (``period_start``) whose whole week lies in ``[start, end)``.

    Partial weeks at the ends of a period would show as false dips in a trend.
    """
    first, stop = start.tz_localize(None), end.tz_localize(None)
    weeks = pd.to_datetime(table[c.PERIOD_START])
    keep = (weeks >= first) & (weeks + pd.Timedelta(days=7) <= stop)
    return table.loc[keep.to_numpy()].reset_index(drop=True)


def comparison_windows(
    start: pd.Timestamp, end: pd.Timestamp
) -> list[tuple[str, pd.Timestamp, pd.Timestamp]]:
    """The periods a review period is compared with: the one before it and the same one a year
    earlier, as ``(label, start, end)``.

    A period of whole months (a quarter, say) moves back by whole months, so Q3 is compared
    with Q2 and with Q3 a year earlier; any other period moves back by its length in days.
    """
    first, stop = start.tz_localize(None), end.tz_localize(None)
    months = (stop.year - first.year) * 12 + stop.month - first.month
    whole_months = first.day == 1 and stop.day == 1 and first.time() == stop.time()
    if whole_months:
        shift = pd.DateOffset(months=months)
        word = {3: "quarter", 1: "month", 12: "year"}.get(months, f"{months} months")
    else:
        shift = pd.Timedelta(days=(stop - first).days)
        word = "period"
    windows = [(f"previous {word}", first - shift, first)]
    windows.append((f"same {word} a year earlier", first - pd.DateOffset(years=1),
                    stop - pd.DateOffset(years=1)))
    tz = start.tz
    return [(label, a.tz_localize(tz), b.tz_localize(tz)) for label, a, b in windows]
