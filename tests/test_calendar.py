"""Business-hours clock: hand-computed cases and a property test against a slow reference."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccreview.calendar import elapsed_seconds
from ccreview.config import Calendar

TZ = "Europe/London"
OFFICE = Calendar(
    "office",
    {**{d: ((time(8), time(18)),) for d in range(5)}, 5: ((time(9), time(13)),)},
    frozenset({date(2026, 12, 25), date(2026, 12, 28)}),
)
SPLIT = Calendar("split", {d: ((time(8), time(12)), (time(13), time(17))) for d in range(5)})
ALWAYS = Calendar("24x7", always_open=True)


def hours(start: str, end: str, calendar: Calendar = OFFICE) -> float:
    s = pd.Series([pd.Timestamp(start, tz=TZ)])
    e = pd.Series([pd.Timestamp(end, tz=TZ)])
    return float(elapsed_seconds(s, e, calendar=calendar, timezone=TZ).iloc[0]) / 3600


# Hand calculations (office: Mon-Fri 08-18, Sat 09-13; 25 and 28 Dec 2026 are holidays)
@pytest.mark.parametrize(
    ("start", "end", "expected", "why"),
    [
        ("2026-07-06 09:00", "2026-07-06 11:30", 2.5, "same morning"),
        ("2026-07-06 07:00", "2026-07-06 19:00", 10.0, "whole Monday, before and after hours"),
        ("2026-07-03 17:00", "2026-07-06 09:00", 1 + 4 + 1, "Fri 1 h + Sat 4 h + Mon 1 h"),
        ("2026-12-24 17:00", "2026-12-29 09:00", 1 + 4 + 1,
         "Thu 1 h, Fri holiday, Sat 4 h, Mon holiday, Tue 1 h"),
        ("2026-03-27 17:00", "2026-03-30 09:00", 6.0, "over the spring DST change (wall clock)"),
        ("2026-10-23 17:00", "2026-10-26 09:00", 6.0, "over the autumn DST change (wall clock)"),
        ("2026-07-05 10:00", "2026-07-05 15:00", 0.0, "all on a Sunday"),
        ("2026-07-06 18:00", "2026-07-06 17:00", -1.0, "end before start is negative"),
        ("2026-01-05 08:00", "2026-03-02 08:00", 8 * 54, "eight weeks plus holidays: 8 x (50+4) h"),
    ],
)
def test_hand_computed_cases(start, end, expected, why):
    assert hours(start, end) == pytest.approx(expected), why


def test_split_day_and_24x7_over_dst():
    assert hours("2026-07-06 11:00", "2026-07-06 14:00", SPLIT) == pytest.approx(2.0)
    # 24x7 counts real elapsed time: the spring-forward night is one hour shorter
    assert hours("2026-03-28 12:00", "2026-03-29 12:00", ALWAYS) == pytest.approx(23.0)


def test_missing_values_stay_missing():
    s = pd.Series([pd.Timestamp("2026-07-06 09:00", tz=TZ), pd.NaT]).astype(f"datetime64[us, {TZ}]")
    e = pd.Series([pd.NaT, pd.Timestamp("2026-07-06 10:00", tz=TZ)]).astype(f"datetime64[us, {TZ}]")
    out = elapsed_seconds(s, e, calendar=OFFICE, timezone=TZ)
    assert out.isna().all()


def slow_reference(start: datetime, end: datetime, calendar: Calendar) -> float:
    """Obviously-correct loop: walk day by day in wall-clock time, intersect with spans."""
    sign = 1
    if end < start:
        start, end, sign = end, start, -1
    total = 0.0
    day = start.date()
    while day <= end.date():
        if day not in calendar.holidays:
            for t_open, t_close in calendar.hours.get(day.weekday(), ()):
                lo = max(start, datetime.combine(day, t_open))
                hi = min(end, datetime.combine(day, t_close))
                total += max((hi - lo).total_seconds(), 0)
        day += timedelta(days=1)
    return sign * total


instants = st.datetimes(min_value=datetime(2026, 3, 1), max_value=datetime(2027, 1, 15)).map(
    lambda d: d.replace(microsecond=0))


@settings(max_examples=300, deadline=None)
@given(pairs=st.lists(st.tuples(instants, instants), min_size=1, max_size=20),
       calendar=st.sampled_from([OFFICE, SPLIT]))
def test_matches_slow_reference(pairs, calendar):
    starts = pd.Series([pd.Timestamp(a) for a, _ in pairs]).dt.tz_localize(
        TZ, nonexistent="shift_forward", ambiguous=True)
    ends = pd.Series([pd.Timestamp(b) for _, b in pairs]).dt.tz_localize(
        TZ, nonexistent="shift_forward", ambiguous=True)
    got = elapsed_seconds(starts, ends, calendar=calendar, timezone=TZ).to_numpy()
    walls = zip(starts.dt.tz_localize(None), ends.dt.tz_localize(None), strict=True)
    expected = [slow_reference(a.to_pydatetime(), b.to_pydatetime(), calendar) for a, b in walls]
    assert got == pytest.approx(expected, abs=1e-3)
