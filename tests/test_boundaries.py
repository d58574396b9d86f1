"""Time in each team's hands and handoffs, against a hand calculation."""

import pandas as pd
import pytest

from ccreview import columns as c
from ccreview.boundaries import handoff_summary, holding_periods, team_time

TZ = "Europe/London"


def at(text):
    return pd.Timestamp(text, tz=TZ)


def test_by_hand():
    """A: Desk 09:00-10:00 (1 h), Network 10:00-13:00 (3 h), Desk 13:00-14:00 (bounce back,
    resolved 14:00: 1 h). B: Desk 09:00, no team on its next event at 11:00 (still Desk),
    unresolved at the end of the day (18:00): Desk 9 h."""
    events = pd.DataFrame([
        ("A", at("2026-07-01 09:00"), "Desk"), ("A", at("2026-07-01 10:00"), "Network"),
        ("A", at("2026-07-01 13:00"), "Desk"),
        ("B", at("2026-07-01 09:00"), "Desk"), ("B", at("2026-07-01 11:00"), None),
    ], columns=[c.INCIDENT_ID, c.AT, c.TEAM])
    incidents = pd.DataFrame({c.INCIDENT_ID: ["A", "B"],
                              c.RESOLVED_AT: [at("2026-07-01 14:00"), pd.NaT]})
    periods = holding_periods(events, incidents, as_of=at("2026-07-01 18:00"))
    time = team_time(periods).set_index(c.TEAM)
    assert time.loc["Desk", "total_hours"] == pytest.approx(1 + 1 + 9)
    assert time.loc["Network", "total_hours"] == pytest.approx(3)
    assert time.loc["Desk", "incidents"] == 2
    assert time.loc["Desk", "median_hours"] == pytest.approx((2 + 9) / 2)
    summary = handoff_summary(periods, contact_centre_team="Desk").iloc[0]
    assert (summary["handoffs"], summary["bounces_back"]) == (2, 1)
    assert (summary["with_handoff"], summary["with_bounce_back"]) == (1, 1)
    assert summary["handoffs_per_incident"] == pytest.approx(1.0)
