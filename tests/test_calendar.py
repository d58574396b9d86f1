"""Business-hours clock: hand-computed cases and a property test against a slow reference."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ccreview.clocks.business_hours import elapsed_seconds
from ccreview.config.criteria import Calendar

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


# --- running the clock forwards: the instant a target falls due -----------------------------

from ccreview.clocks.business_hours import add_seconds  # noqa: E402


def due(start: str, hours_: float, calendar: Calendar = OFFICE, pauses=()) -> pd.Timestamp:
    frame = pd.DataFrame({"row": [0] * len(pauses),
                          "start": pd.Series([pd.Timestamp(a, tz=TZ) for a, _ in pauses],
                                             dtype=f"datetime64[us, {TZ}]"),
                          "end": pd.Series([pd.Timestamp(b, tz=TZ) if b else pd.NaT
                                            for _, b in pauses], dtype=f"datetime64[us, {TZ}]")})
    out = add_seconds(pd.Series([pd.Timestamp(start, tz=TZ)]), hours_ * 3600, calendar=calendar,
                      timezone=TZ, pauses=frame)
    return out.iloc[0]


# Hand calculations (office: Mon-Fri 08-18, Sat 09-13; 25 and 28 Dec 2026 are holidays)
@pytest.mark.parametrize(
    ("start", "hours_", "pauses", "expected", "why"),
    [
        ("2026-07-06 09:00", 2.5, (), "2026-07-06 11:30", "same morning"),
        ("2026-07-03 17:00", 6, (), "2026-07-06 09:00", "Fri 1 h + Sat 4 h + Mon 1 h"),
        ("2026-07-03 17:00", 5, (), "2026-07-04 13:00", "ends exactly at Saturday's closing"),
        ("2026-12-24 17:00", 6, (), "2026-12-29 09:00", "over Christmas: Fri and Mon are holidays"),
        ("2026-03-27 17:00", 6, (), "2026-03-30 09:00", "over the spring DST change (wall clock)"),
        ("2026-07-05 10:00", 1, (), "2026-07-06 09:00", "from a closed Sunday"),
        ("2026-07-05 10:00", 0, (), "2026-07-05 10:00", "nothing to run: the start itself"),
        ("2026-07-06 09:00", 3, [("2026-07-06 10:00", "2026-07-06 11:30")], "2026-07-06 13:30",
         "1 h, paused 1.5 h, 2 h more"),
        ("2026-07-06 09:00", 3, [("2026-07-06 08:00", "2026-07-06 10:00")], "2026-07-06 13:00",
         "a pause that began before the start counts only from the start"),
        ("2026-07-06 09:00", 3, [("2026-07-06 10:00", "2026-07-06 11:00"),
                                 ("2026-07-06 10:30", "2026-07-06 12:00")], "2026-07-06 14:00",
         "overlapping pauses count once (10:00-12:00)"),
        ("2026-07-06 09:00", 1, [("2026-07-06 10:00", None)], "2026-07-06 10:00",
         "due exactly when an endless pause begins"),
    ],
)
def test_add_seconds_hand_computed(start, hours_, pauses, expected, why):
    assert due(start, hours_, pauses=pauses) == pd.Timestamp(expected, tz=TZ), why


def test_add_seconds_missing_and_never():
    assert pd.isna(due("2026-07-06 09:00", 3, pauses=[("2026-07-06 10:00", None)]))
    # 24x7 counts real time: the spring-forward night is an hour shorter on the wall clock
    assert due("2026-03-28 12:00", 24, ALWAYS) == pd.Timestamp("2026-03-29 13:00", tz=TZ)
    never = Calendar("never", {})
    assert pd.isna(due("2026-07-06 09:00", 1, never))
    assert due("2026-07-06 09:00", 0, never) == pd.Timestamp("2026-07-06 09:00", tz=TZ)
    out = add_seconds(pd.Series([pd.NaT, pd.Timestamp("2026-07-06 09:00", tz=TZ)]),
                      np.array([3600.0, np.nan]), calendar=OFFICE, timezone=TZ)
    assert out.isna().all()
    # far beyond the dates seen: the calendar is extended as needed (52 weeks of 54 h)
    assert due("2026-01-05 08:00", 54 * 52, OFFICE) < pd.Timestamp("2027-01-09", tz=TZ)


def slow_add(start: datetime, seconds: float, calendar: Calendar, pauses) -> datetime | None:
    """Obviously-correct loop: walk the open spans day by day in wall-clock time, cut out
    the pauses, and stop where the seconds run out."""
    if seconds == 0:
        return start
    remaining = seconds
    day = start.date()
    for _ in range(4000):
        if calendar.always_open:
            spans = [(datetime.combine(day, time(0)), datetime.combine(day + timedelta(days=1),
                                                                        time(0)))]
        elif day in calendar.holidays:
            spans = []
        else:
            spans = [(datetime.combine(day, a), datetime.combine(day, b))
                     for a, b in calendar.hours.get(day.weekday(), ())]
        for lo, hi in spans:
            lo = max(lo, start)
            pieces = [(lo, hi)] if hi > lo else []
            for p_lo, p_hi in pauses:  # cut each pause out of the pieces
                p_hi = p_hi or datetime.max
                pieces = [part for a, b in pieces
                          for part in ((a, min(b, p_lo)), (max(a, p_hi), b)) if part[1] > part[0]]
            for a, b in sorted(pieces):
                length = (b - a).total_seconds()
                if length >= remaining:
                    return a + timedelta(seconds=remaining)
                remaining -= length
        day += timedelta(days=1)
    return None


@settings(max_examples=150, deadline=None)
@given(cases=st.lists(st.tuples(instants, st.integers(0, 120 * 60),
                                st.lists(st.tuples(instants, st.integers(1, 3000),
                                                   st.booleans()), max_size=3)),
                      min_size=1, max_size=8),
       calendar=st.sampled_from([OFFICE, SPLIT, ALWAYS]))
def test_add_seconds_matches_slow_reference(cases, calendar):
    # 24x7 counts real seconds, so it is compared in UTC; business calendars in wall time
    zone = "UTC" if calendar.always_open else TZ

    def aware(values):
        return pd.Series(pd.to_datetime(list(values))).dt.tz_localize(
            zone, nonexistent="shift_forward", ambiguous=True).dt.as_unit("us")

    starts = aware(a for a, _, _ in cases)
    rows = [(i, b, b + timedelta(minutes=m) if ends else None)
            for i, (_, _, ps) in enumerate(cases) for b, m, ends in ps]
    pauses = pd.DataFrame({"row": [r for r, _, _ in rows],
                           "start": aware(b for _, b, _ in rows),
                           "end": aware(e if e else pd.NaT for _, _, e in rows)})
    got = add_seconds(starts, np.array([m * 60.0 for _, m, _ in cases]), calendar=calendar,
                      timezone=zone, pauses=pauses)
    wall = [(s.tz_localize(None).to_pydatetime(), m) for s, (_, m, _) in zip(starts, cases,
                                                                             strict=True)]
    local_pauses = pauses.assign(start=pauses["start"].dt.tz_localize(None),
                                 end=pauses["end"].dt.tz_localize(None))
    for i, (s, m) in enumerate(wall):
        mine = local_pauses[local_pauses["row"] == i]
        spans = [(a.to_pydatetime(), None if pd.isna(b) else b.to_pydatetime())
                 for a, b in zip(mine["start"], mine["end"], strict=True)]
        expected = slow_add(s, m * 60.0, calendar, spans)
        if expected is None:
            assert pd.isna(got.iloc[i])
        else:  # a wall time inside the spring-forward gap moves to the end of the gap
            instant = pd.Timestamp(expected).tz_localize(zone, nonexistent="shift_forward",
                                                         ambiguous=True)
            assert got.iloc[i] == instant, (i, expected)
