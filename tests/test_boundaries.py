"""Time in each team's hands and handoffs, against a hand calculation."""

import pandas as pd
import pytest

from ccreview.data import columns as c
from ccreview.incidents.handoffs import handoff_summary, holding_periods, team_time

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


def test_breach_owner_by_hand():
    """A (P1, 24x7: response 15 min, resolution 4 h) opened 09:00: Desk from 09:00,
    Network from 09:10, waiting on the customer 10:00-11:00 (Network), Field from 12:00;
    first response 09:40, resolved 15:00. The response fell due at 09:15 (Network held it);
    the resolution at 09:00 + 4 h + 1 h paused = 14:00 (Field held it)."""
    from ccreview.config.criteria import load_criteria
    from ccreview.incidents.handoffs import breach_owners, breach_summary
    from ccreview.incidents.targets import target_outcomes

    from .conftest import ROOT

    criteria = load_criteria(ROOT / "parameters" / "criteria.yaml")
    events = pd.DataFrame([
        ("A", at("2026-07-01 09:00"), "new", "Desk"),
        ("A", at("2026-07-01 09:10"), "assigned", "Network"),
        ("A", at("2026-07-01 10:00"), "awaiting_customer", "Network"),
        ("A", at("2026-07-01 11:00"), "in_progress", "Network"),
        ("A", at("2026-07-01 12:00"), "assigned", "Field"),
        ("B", at("2026-07-01 09:00"), "new", "Desk"),
    ], columns=[c.INCIDENT_ID, c.AT, c.STATE, c.TEAM])
    incidents = pd.DataFrame({
        c.INCIDENT_ID: ["A", "B", "C"], c.PRIORITY: [1, 1, 1],
        c.OPENED_AT: [at("2026-07-01 09:00")] * 3,
        c.FIRST_RESPONSE_AT: [at("2026-07-01 09:40"), at("2026-07-01 09:05"),
                              at("2026-07-01 09:30")],
        c.RESOLVED_AT: [at("2026-07-01 15:00"), at("2026-07-01 10:00"), at("2026-07-01 10:00")],
    })
    end = at("2026-07-02 00:00")
    outcomes = target_outcomes(incidents, criteria=criteria, as_of=end, events=events)
    owners = breach_owners(outcomes, incidents, events, as_of=end)
    got = owners.set_index([c.INCIDENT_ID, "target"])
    assert got.loc[("A", "response"), "due_at"] == at("2026-07-01 09:15")
    assert got.loc[("A", "response"), c.TEAM] == "Network"
    assert got.loc[("A", "resolution"), "due_at"] == at("2026-07-01 14:00")
    assert got.loc[("A", "resolution"), c.TEAM] == "Field"
    # C breached its response (30 min) but has no events: no team recorded
    assert got.loc[("C", "response"), c.TEAM] == "(no team recorded)"
    assert len(owners) == 3  # B met both targets
    summary = breach_summary(owners).set_index(["target", c.TEAM])["breaches"]
    assert summary.to_dict() == {("resolution", "Field"): 1, ("response", "Network"): 1,
                                 ("response", "(no team recorded)"): 1}


def test_due_times_are_consistent_with_the_outcomes(demo_dir, tmp_path):
    """On the demo quarter: at each breached target's due time, the clock less the paused
    time shows exactly the target (checked with the forward clock and the pause sums)."""
    import numpy as np

    from ccreview.clocks.business_hours import elapsed_seconds
    from ccreview.clocks.pauses import paused_seconds
    from ccreview.incidents.handoffs import breach_owners
    from ccreview.incidents.targets import in_period, target_outcomes
    from ccreview.review.review import open_review

    from .conftest import make_params

    review = open_review(make_params(tmp_path, demo_dir))
    data, params = review.data, review.params
    criteria = params.criteria
    outcomes = in_period(target_outcomes(data["incidents"], criteria=criteria, as_of=params.end,
                                         events=data["incident_events"]),
                         start=params.start, end=params.end)
    owners = breach_owners(outcomes, data["incidents"], data["incident_events"],
                           as_of=params.end)
    assert len(owners) == outcomes["outcome"].eq("breached").sum()
    assert owners["due_at"].notna().all()
    hours = criteria.target_hours.set_index("priority")
    for target in ("response", "resolution"):  # an incident's id once per target
        mine = owners[owners["target"].eq(target)].reset_index(drop=True)
        inc = data["incidents"].set_index(c.INCIDENT_ID).loc[mine[c.INCIDENT_ID]].reset_index()
        clock = elapsed_seconds(inc[c.OPENED_AT], mine["due_at"],
                                calendar=criteria.calendars["24x7"], timezone=criteria.timezone)
        paused = paused_seconds(inc, mine["due_at"], np.array(["24x7"] * len(inc)),
                                data["incident_events"], criteria=criteria)
        expected = mine[c.PRIORITY].map(hours[target]).to_numpy(dtype=float)
        assert (clock.to_numpy() - paused) / 3600 == pytest.approx(expected, abs=1e-5)
        assert target == "response" or (paused > 0).any()  # pauses moved some due times on
    # the planted Field Services team appears among the owners of resolution breaches
    assert "Field Services" in set(owners.loc[owners["target"].eq("resolution"), c.TEAM])
