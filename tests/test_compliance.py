"""Response/resolution outcomes and compliance rates, against hand calculations."""

from __future__ import annotations

from dataclasses import replace
from datetime import time

import numpy as np
import pandas as pd
import pytest

from ccreview.config.criteria import Calendar, Criteria
from ccreview.data import columns as c
from ccreview.incidents.grading import expected_priority
from ccreview.incidents.targets import compliance_rates, in_period, target_outcomes
from ccreview.stats.intervals import wilson_interval

TZ = "Europe/London"


def ts(text):
    return pd.Timestamp(text, tz=TZ) if text else pd.NaT


def make_criteria() -> Criteria:
    office = Calendar("office", {d: ((time(8), time(18)),) for d in range(5)})
    targets = pd.DataFrame({
        "priority": [1, 2, 3],
        "name": ["Critical", "High", "Moderate"],
        "response": pd.to_timedelta(["15min", "30min", "2h"]),
        "resolution": pd.to_timedelta(["4h", "8h", "2h"]),
        "calendar": ["24x7", "24x7", "office"],
    })
    return Criteria("t", TZ, {"24x7": Calendar("24x7", always_open=True), "office": office},
                    {(1, 1): 1}, targets, source=None)


@pytest.fixture()
def criteria():
    return make_criteria()


@pytest.fixture()
def incidents():
    rows = [
        # id, priority, opened, first response, resolved
        ("A", 1, "2026-09-01 09:00", "2026-09-01 09:10", "2026-09-01 12:00"),  # both met
        ("B", 1, "2026-09-01 09:00", "2026-09-01 09:20", "2026-09-01 14:00"),  # both breached
        ("C", 2, "2026-09-30 20:00", None, None),  # open at the end: response breached, resolution running
        ("D", 3, "2026-09-25 17:00", "2026-09-25 17:30", "2026-09-28 10:00"),  # Fri 17:00 -> Mon 10:00
        ("E", 9, "2026-09-01 09:00", None, None),  # a priority without targets
    ]
    frame = pd.DataFrame(rows, columns=[c.INCIDENT_ID, c.PRIORITY, c.OPENED_AT,
                                        c.FIRST_RESPONSE_AT, c.RESOLVED_AT])
    for col in (c.OPENED_AT, c.FIRST_RESPONSE_AT, c.RESOLVED_AT):
        frame[col] = pd.to_datetime(frame[col]).dt.tz_localize(TZ)
    return frame


def test_outcomes_by_hand(incidents, criteria):
    end = ts("2026-10-01 00:00")
    out = target_outcomes(incidents, criteria=criteria, as_of=end).set_index(
        [c.INCIDENT_ID, "target"])
    assert out.loc[("A", "response"), "outcome"] == "met"
    assert out.loc[("A", "resolution"), "elapsed_h"] == pytest.approx(3.0)
    assert out.loc[("B", "response"), "outcome"] == "breached"
    assert out.loc[("B", "resolution"), "outcome"] == "breached"
    # a breach is decided when its time ran out: B responded at 09:20 against 15 minutes
    # (due 09:15) and resolved at 14:00 against 4 hours (due 13:00)
    assert out.loc[("B", "response"), "judged_at"] == ts("2026-09-01 09:15")
    assert out.loc[("B", "resolution"), "judged_at"] == ts("2026-09-01 13:00")
    assert out.loc[("A", "resolution"), "judged_at"] == ts("2026-09-01 12:00")  # met: completion
    assert pd.isna(out.loc[("A", "resolution"), "due_at"])
    # C: no response after 4 h against 30 min -> breached, decided at 20:30, still open
    assert out.loc[("C", "response"), "outcome"] == "breached"
    assert out.loc[("C", "response"), "judged_at"] == ts("2026-09-30 20:30")
    assert out.loc[("C", "resolution"), "outcome"] == "running"  # 4 h of 8 h used
    assert pd.isna(out.loc[("C", "resolution"), "judged_at"])
    # D on office hours: Fri 17:00-18:00 (1 h) + Mon 08:00-10:00 (2 h) = 3 h > 2 h target;
    # its response took 30 minutes of office time
    assert out.loc[("D", "resolution"), "elapsed_h"] == pytest.approx(3.0)
    assert out.loc[("D", "resolution"), "outcome"] == "breached"
    # its 2 office hours ran out Monday 09:00 (1 h on Friday, 1 h on Monday from 08:00)
    assert out.loc[("D", "resolution"), "judged_at"] == ts("2026-09-28 09:00")
    assert out.loc[("D", "response"), "elapsed_h"] == pytest.approx(0.5)
    assert out.loc[("E", "response"), "outcome"] == "no_target"


def test_rates_and_wilson(incidents, criteria):
    out = target_outcomes(incidents, criteria=criteria, as_of=ts("2026-10-01 00:00"))
    rates = compliance_rates(out).set_index("target")
    # response: A met, D met; B and C breached -> 2 of 4
    assert list(rates.index) == ["response", "resolution"]
    assert (rates.loc["response", "met"], rates.loc["response", "n"]) == (2, 4)
    low, high = wilson_interval(2, 4)
    assert rates.loc["response", "ci_low"] == pytest.approx(float(low))
    # resolution: A met; B, D breached; C still running is not judged -> 1 of 3
    assert (rates.loc["resolution", "met"], rates.loc["resolution", "n"]) == (1, 3)
    by_priority = compliance_rates(out, by=c.PRIORITY)
    assert by_priority[c.PRIORITY].tolist() == [1, 2, 3, 1, 3]


def test_expected_priority_lookup():
    matrix = {(1, 1): 1, (1, 2): 2, (2, 1): 2, (2, 2): 3}
    got = expected_priority(pd.Series([1, 2, 2, None, 5]), pd.Series([2, 1, 2, 1, 1]), matrix)
    assert got[:3].tolist() == [2.0, 2.0, 3.0]
    assert np.isnan(got[3]) and np.isnan(got[4])


def test_open_breaches_count_in_the_period_and_cancelled_are_left_out(incidents, criteria):
    start, end = ts("2026-09-01 00:00"), ts("2026-10-01 00:00")
    cancelled = incidents.assign(status=["closed", "closed", "in_progress", "closed", "cancelled"])
    out = in_period(target_outcomes(cancelled, criteria=criteria, as_of=end), start=start, end=end)
    keys = set(zip(out[c.INCIDENT_ID], out["target"], strict=True))
    assert ("C", "response") in keys  # open at the end, already past its target: counted
    assert ("C", "resolution") not in keys  # open, still within its target: not judged yet
    assert not any(i == "E" for i, _ in keys)  # cancelled
    earlier = in_period(target_outcomes(incidents, criteria=criteria, as_of=start),
                        start=ts("2026-08-01 00:00"), end=start)
    assert earlier.empty  # nothing completed in August


def test_each_target_is_counted_once_in_the_period_its_outcome_was_decided(criteria):
    """A P1 opened 30 September 22:00 (4 h to resolve, 24x7) is still open at the end of
    September: its time ran out at 02:00 on 1 October, so it is an October breach. One
    opened at 19:00 ran out at 23:00 on 30 September: a September
    breach, counted in September while still open and not again in October when it
    completes. A met target counts when it completes."""
    rows = [("late", 1, "2026-09-30 22:00", "2026-09-30 22:05", "2026-10-02 09:00"),
            ("early", 1, "2026-09-30 19:00", "2026-09-30 19:05", "2026-10-02 09:00"),
            ("met", 1, "2026-09-30 22:00", "2026-09-30 22:05", "2026-10-01 01:00")]
    frame = pd.DataFrame(rows, columns=[c.INCIDENT_ID, c.PRIORITY, c.OPENED_AT,
                                        c.FIRST_RESPONSE_AT, c.RESOLVED_AT])
    for col in (c.OPENED_AT, c.FIRST_RESPONSE_AT, c.RESOLVED_AT):
        frame[col] = pd.to_datetime(frame[col]).dt.tz_localize(TZ)
    sep, octo, nov = ts("2026-09-01 00:00"), ts("2026-10-01 00:00"), ts("2026-11-01 00:00")

    def resolution(as_of, start, end):
        # what a run at as_of sees of a period; the data of a September run ends there
        known = frame.assign(**{c.RESOLVED_AT: frame[c.RESOLVED_AT].where(frame[c.RESOLVED_AT] < as_of)})
        out = in_period(target_outcomes(known, criteria=criteria, as_of=as_of), start=start, end=end)
        out = out[out["target"] == "resolution"]
        return dict(zip(out[c.INCIDENT_ID], out["outcome"], strict=True))

    assert resolution(octo, sep, octo) == {"early": "breached"}
    assert resolution(nov, octo, nov) == {"late": "breached", "met": "met"}
    # the September figure reads the same a month later: nothing moved between periods
    assert resolution(nov, sep, octo) == {"early": "breached"}


def test_pause_states_stop_the_clock(incidents, criteria):
    """Hand calculation: A (P1, 24x7) opened 09:00, resolved 12:00 (3 h). Waiting on the
    customer 09:30-10:30 takes 1 h off: 2 h. B (P1) waits from 10:00 with no later event
    before its resolution at 14:00: the pause is clipped at 14:00, so 5 h - 4 h = 1 h.
    D (P3, office hours Mon-Fri 08-18) waits Fri 17:00 -> Mon 09:00: 1 h + 1 h of office
    time, so 3 h - 2 h = 1 h, within its 2 h target."""
    from dataclasses import replace

    events = pd.DataFrame(
        [("A", "2026-09-01 09:00", "new"), ("A", "2026-09-01 09:30", "awaiting_customer"),
         ("A", "2026-09-01 10:30", "in_progress"), ("A", "2026-09-01 12:00", "resolved"),
         ("B", "2026-09-01 10:00", "awaiting_vendor"),
         ("D", "2026-09-25 17:00", "awaiting_customer"), ("D", "2026-09-28 09:00", "in_progress"),
         ("Z", "2026-09-01 09:00", "awaiting_customer")],  # an incident not in the table
        columns=[c.INCIDENT_ID, c.AT, c.STATE])
    events[c.AT] = pd.to_datetime(events[c.AT]).dt.tz_localize(TZ)
    paused = replace(criteria, pause_states=("awaiting_customer", "awaiting_vendor"))
    out = target_outcomes(incidents, criteria=paused, as_of=ts("2026-10-01 00:00"),
                          events=events).set_index([c.INCIDENT_ID, "target"])
    assert out.loc[("A", "resolution"), "paused_h"] == pytest.approx(1.0)
    assert out.loc[("A", "resolution"), "elapsed_h"] == pytest.approx(2.0)
    assert out.loc[("A", "response"), "elapsed_h"] == pytest.approx(10 / 60)  # before the pause
    assert out.loc[("B", "resolution"), "elapsed_h"] == pytest.approx(1.0)
    assert out.loc[("B", "resolution"), "outcome"] == "met"  # 5 h on the clock, 1 h counted
    assert out.loc[("D", "resolution"), "elapsed_h"] == pytest.approx(1.0)
    assert out.loc[("D", "resolution"), "outcome"] == "met"
    assert out.loc[("C", "response"), "paused_h"] == 0
    # without pause states, nothing changes
    plain = target_outcomes(incidents, criteria=criteria, as_of=ts("2026-10-01 00:00"),
                            events=events).set_index([c.INCIDENT_ID, "target"])
    assert plain.loc[("A", "resolution"), "elapsed_h"] == pytest.approx(3.0)


def test_unknown_pause_state_is_a_config_error(tmp_path):
    from ccreview.config.criteria import load_criteria
    from ccreview.exceptions import ConfigError

    from .conftest import ROOT, write

    text = (ROOT / "parameters" / "criteria.yaml").read_text().replace(
        "pause_states: [awaiting_customer, awaiting_vendor]",
        "pause_states: [awaiting_custmer]")
    with pytest.raises(ConfigError, match="'awaiting_custmer' is not an event state. "
                                          "Did you mean 'awaiting_customer'"):
        load_criteria(write(tmp_path / "criteria.yaml", text))


# --- pauses against an obviously-correct slow reference ------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from ccreview.clocks.pauses import paused_seconds  # noqa: E402

_STATES = ["new", "in_progress", "awaiting_customer", "awaiting_vendor", "resolved"]
_PAUSE = ("awaiting_customer", "awaiting_vendor")


def slow_paused(opened, stop, events):
    """Walk each incident's events in time order; sum the overlap of every pause with
    [opened, stop] in real (24x7) seconds."""
    total = 0.0
    ordered = sorted(events, key=lambda e: e[0])
    for i, (at, state) in enumerate(ordered):
        if state not in _PAUSE:
            continue
        end = ordered[i + 1][0] if i + 1 < len(ordered) else stop
        lo, hi = max(at, opened), min(end, stop)
        total += max((hi - lo).total_seconds(), 0.0)
    return total


minutes = st.integers(min_value=0, max_value=7 * 24 * 60)


@settings(max_examples=150, deadline=None)
@given(cases=st.lists(st.tuples(minutes, minutes,
                                st.lists(st.tuples(minutes, st.sampled_from(_STATES)), max_size=8)),
                      min_size=1, max_size=6))
def test_paused_seconds_matches_slow_reference(cases):
    criteria = make_criteria()
    from dataclasses import replace

    base = pd.Timestamp("2026-09-01 00:00", tz="UTC")
    ids = [f"I{i}" for i in range(len(cases))]
    opened = [base + pd.Timedelta(minutes=o) for o, _, _ in cases]
    stop = [o + pd.Timedelta(minutes=s) for o, (_, s, _) in zip(opened, cases, strict=True)]
    rows = [(i, o + pd.Timedelta(minutes=m), state) for i, o, (_, _, evs)
            in zip(ids, opened, cases, strict=True) for m, state in evs]
    events = pd.DataFrame(rows, columns=[c.INCIDENT_ID, c.AT, c.STATE])
    events[c.AT] = pd.to_datetime(events[c.AT], utc=True)
    incidents = pd.DataFrame({c.INCIDENT_ID: ids, c.OPENED_AT: opened})
    got = paused_seconds(incidents, pd.Series(stop), np.array(["24x7"] * len(ids)), events,
                         criteria=replace(criteria, pause_states=_PAUSE, timezone="UTC"))
    expected = [slow_paused(o.to_pydatetime(), s.to_pydatetime(),
                            [(at.to_pydatetime(), state) for i2, at, state in rows if i2 == i])
                for i, o, s in zip(ids, opened, stop, strict=True)]
    assert got == pytest.approx(expected, abs=1e-6)


def test_segments_ranked_by_excess_breaches_not_by_rate():
    """Hand calculation: overall 70 breaches of 403 (rate 0.1737). Team 'big' 60 of 200
    (expected 34.7, excess 25.3); 'tiny' 2 of 3 (expected 0.52, excess 1.48); 'ok' 8 of 200."""
    rows = ([("big", "breached")] * 60 + [("big", "met")] * 140 + [("tiny", "breached")] * 2
            + [("tiny", "met")] + [("ok", "breached")] * 8 + [("ok", "met")] * 192)
    ids = [f"I{i}" for i in range(len(rows))]
    outcomes = pd.DataFrame({c.INCIDENT_ID: ids, "target": "resolution",
                             "outcome": [o for _, o in rows]})
    incidents = pd.DataFrame({c.INCIDENT_ID: ids, c.ASSIGNED_TEAM: [t for t, _ in rows]})
    from ccreview.incidents.targets import least_compliant_segments

    table = least_compliant_segments(outcomes, incidents, by=[c.ASSIGNED_TEAM])
    assert table["value"].tolist() == ["big", "tiny"]  # 'ok' breaches less than expected
    big = table.iloc[0]
    assert big["expected_breaches"] == pytest.approx(200 * 70 / 403)
    assert big["excess_breaches"] == pytest.approx(60 - 200 * 70 / 403)
    assert table.iloc[1]["rate"] == pytest.approx(1 / 3)  # worse rate, ranked lower
    # big: 70% met, Wilson 95% CI 63.3%-75.9%, all below the overall 82.6%; tiny: 1 of 3,
    # CI 6.1%-79.2%, which also lies below 82.6%, but only just
    assert table["beyond_chance"].tolist() == [True, True]


# --- every incident against every criterion ----------------------------------------------

from ccreview.incidents.criteria_table import (  # noqa: E402
    compare_criteria,
    criterion_rates,
    criterion_table,
    criterion_trend,
    data_health,
    what_if,
)


def test_criterion_table_by_hand(incidents, criteria):
    """The hand cases of test_outcomes_by_hand, as rows of the criterion table; E (priority
    9) has no target, and no impact/urgency for the grading check."""
    end = ts("2026-10-01 00:00")
    table = criterion_table(incidents.assign(status="closed"), criteria=criteria, as_of=end)
    assert len(table) == 5 * 3  # five incidents x (response, resolution, grading)
    got = table.set_index([c.INCIDENT_ID, "criterion"])
    assert got.loc[("A", "response"), "outcome"] == "passed"
    assert got.loc[("B", "resolution"), ["outcome", "detail"]].tolist() == [
        "failed", "completed after its target"]
    assert got.loc[("C", "response"), ["outcome", "detail"]].tolist() == [
        "failed", "open and past its target"]
    assert got.loc[("C", "resolution"), ["outcome", "detail"]].tolist() == [
        "not_applicable", "open, within its target so far"]
    assert got.loc[("D", "resolution"), "measured"] == pytest.approx(3.0)  # office hours
    assert got.loc[("E", "response"), "detail"] == "no target for its priority"
    assert got.loc[("A", "priority_grading"), "detail"] == "not checked: the incidents data " \
                                                           "has no impact and urgency"
    # the rates agree with compliance_rates on target_outcomes (2 of 4 and 1 of 3)
    rates = criterion_rates(table).set_index("criterion")
    assert rates.loc["response", ["passed", "n"]].tolist() == [2, 4]
    assert rates.loc["resolution", ["passed", "n", "not_applicable"]].tolist() == [1, 3, 2]
    # cancelled: not applicable to anything
    cancelled = criterion_table(incidents.assign(status="cancelled"), criteria=criteria, as_of=end)
    assert set(cancelled["detail"]) == {"cancelled"}
    # in a period: judged in September, plus C's open breach; C's running resolution is not
    sept = criterion_table(incidents, criteria=criteria, as_of=end, start=ts("2026-09-01 00:00"))
    assert ("C", "resolution") not in set(zip(sept[c.INCIDENT_ID], sept["criterion"],
                                              strict=True))


def test_criterion_rates_against_newcombe_and_by_segment():
    """15 passed of 148 and 0 of 20 (not applicable rows left out): Wilson 95% intervals
    0.0624-0.1605 and 0-0.1611, Newcombe (1998) Table I examples (b) and (c)."""
    outcome = (["passed"] * 15 + ["failed"] * 133 + ["not_applicable"] * 7
               + ["failed"] * 20)
    table = pd.DataFrame({c.INCIDENT_ID: [f"I{i}" for i in range(len(outcome))],
                          "criterion": ["x"] * 155 + ["y"] * 20, "outcome": outcome})
    rates = criterion_rates(table).set_index("criterion")
    assert rates.loc["x", ["n", "passed", "not_applicable"]].tolist() == [148, 15, 7]
    assert rates.loc["x", "ci_low"] == pytest.approx(0.0624, abs=5e-5)  # Newcombe Table I (b)
    assert rates.loc["x", "ci_high"] == pytest.approx(0.1605, abs=5e-5)
    assert rates.loc["y", "ci_high"] == pytest.approx(0.1611, abs=5e-5)  # Newcombe Table I (c)
    incidents = pd.DataFrame({c.INCIDENT_ID: table[c.INCIDENT_ID],
                              c.CHANNEL: ["phone", None] * 87 + ["phone"]})
    by = criterion_rates(table, incidents, by=c.CHANNEL).set_index(["criterion", c.CHANNEL])
    # x: rows 0..154 alternate phone / blank, so phone has rows 0, 2, .. 154 (78 rows)
    assert by.loc[("x", "phone"), ["passed", "failed", "not_applicable"]].sum() == 78
    assert ("x", "(blank)") in by.index


def test_weekly_and_monthly_trend():
    """Hand count: week of Mon 7 Sep 2026: 2 passed, 1 failed (Sun 13 Sep 23:30 local is
    still that week); week of 14 Sep: 1 failed; a not-judged row is left out."""
    judged = [ts("2026-09-07 09:00"), ts("2026-09-09 09:00"), ts("2026-09-13 23:30"),
              ts("2026-09-14 00:30"), pd.NaT]
    table = pd.DataFrame({"criterion": "x", "outcome": ["passed", "passed", "failed", "failed",
                                                        "not_applicable"],
                          "judged_at": pd.Series(judged, dtype=f"datetime64[us, {TZ}]")})
    weekly = criterion_trend(table, freq="W", timezone=TZ)
    assert weekly[c.PERIOD_START].dt.strftime("%Y-%m-%d").tolist() == ["2026-09-07", "2026-09-14"]
    assert weekly[["passed", "failed"]].to_numpy().tolist() == [[2, 1], [0, 1]]
    assert weekly["rate"].tolist() == pytest.approx([2 / 3, 0.0])
    monthly = criterion_trend(table, freq="M", timezone=TZ)
    assert monthly[["period_start", "n"]].astype(str).to_numpy().tolist() == [["2026-09-01", "4"]]
    from ccreview.exceptions import ParameterError

    with pytest.raises(ParameterError, match="freq must be 'W'"):
        criterion_trend(table, freq="Q", timezone=TZ)


def test_what_if_a_looser_resolution_target(incidents, criteria):
    """B (P1) took 5 h to resolve against 4 h: with a 6 h P1 target it passes, so resolution
    goes from 1 of 3 to 2 of 3 (+1/3); response is unchanged."""
    targets = criteria.targets.copy()
    targets.loc[targets["priority"] == 1, "resolution"] = pd.Timedelta(hours=6)
    looser = replace(criteria, targets=targets)
    out = what_if(incidents, criteria=criteria, alternative=looser,
                  as_of=ts("2026-10-01 00:00")).set_index("criterion")
    assert out.loc["resolution", ["rate_now", "rate_alternative"]].tolist() == pytest.approx(
        [1 / 3, 2 / 3])
    assert out.loc["resolution", "difference"] == pytest.approx(1 / 3)
    assert out.loc["resolution", "changed"] == 1
    assert out.loc["response", "difference"] == 0
    # a criterion present on one side only is flagged
    other = compare_criteria(pd.DataFrame({c.INCIDENT_ID: ["A"], "criterion": ["x"],
                                           "outcome": ["passed"]}),
                             pd.DataFrame({c.INCIDENT_ID: ["A"], "criterion": ["y"],
                                           "outcome": ["failed"]})).set_index("criterion")
    assert bool(other.loc["x", "in_current_only"]) and bool(other.loc["y", "in_alternative_only"])


def test_data_health_counts():
    incidents = pd.DataFrame({c.INCIDENT_ID: ["A", "B", "C"],
                              c.OPENED_AT: [ts("2026-09-01 09:00")] * 3})
    events = pd.DataFrame({c.INCIDENT_ID: ["A", "A", "B", "Z"],
                           c.AT: [ts("2026-09-01 08:00"), ts("2026-09-01 10:00"),
                                  ts("2026-09-01 09:00"), ts("2026-09-01 09:00")]})
    issues = pd.DataFrame({"problem": ["does not exist in Europe/London (the clocks went forward "
                                       "over it); check ...", "is not a date-time"]})
    health = data_health(incidents, events, issues=issues).set_index("check")["n"]
    assert health.to_dict() == {"incidents without events": 1,
                                "events before the incident was opened": 1,
                                "events of unknown incidents": 1,
                                "timestamps inside the spring-forward gap": 1}


# --- the demo data: the planted mis-grading, and agreement with the review ------------------

@pytest.fixture(scope="module")
def demo(demo_dir, tmp_path_factory):
    from ccreview.review.review import open_review

    from .conftest import make_params

    return open_review(make_params(tmp_path_factory.mktemp("demo-compliance"), demo_dir))


def test_criterion_table_agrees_with_the_review(demo):
    data, params = demo.data, demo.params
    table = criterion_table(data["incidents"], criteria=params.criteria, as_of=params.end,
                            events=data["incident_events"],
                            major_incidents=data["major_incidents"], start=params.start)
    ours = criterion_rates(table).set_index("criterion")
    theirs = demo.compliance.set_index("target")
    for target in ("response", "resolution"):
        assert ours.loc[target, "n"] == theirs.loc[target, "n"]
        assert ours.loc[target, "passed"] == theirs.loc[target, "met"]
    assert list(ours.index[:3]) == ["response", "resolution", "priority_grading"]
    assert set(params.criteria.rules[i].id for i in range(len(params.criteria.rules))) <= set(
        ours.index)


def test_grading_audit_finds_the_planted_under_grading(demo, demo_dir):
    """truth.json: Field Services records priority + 1 in 35% of its incidents (so they get
    looser targets). Under-graded incidents must look compliant as recorded and much less so
    on the targets of the priority the matrix gives them."""
    from ccreview.incidents.grading import grading_audit, grading_classes

    data, params = demo.data, demo.params
    audit = grading_audit(data["incidents"], criteria=params.criteria, as_of=params.end,
                          events=data["incident_events"], start=params.start)
    effect = audit.effect.set_index(["target", "grading"])
    for target in ("response", "resolution"):
        under = effect.loc[(target, "under_graded")]
        assert under["ci_high_at_expected"] < under["ci_low"]  # clearly worse at expected
    wide = audit.wide
    assert wide.to_numpy().sum() == audit.confusion["n"].sum()
    # under-grading (recorded > expected) is above the diagonal, mostly Field Services'
    grades = grading_classes(data["incidents"], criteria=params.criteria)
    team = data["incidents"][c.ASSIGNED_TEAM].to_numpy()
    under = grades["grading"].eq("under_graded").to_numpy()
    assert (team[under] == "Field Services").mean() > 0.5
    import matplotlib

    matplotlib.use("Agg")
    assert audit.plot() is not None and "<table" in audit._repr_html_()


def test_grading_audit_by_hand():
    """Two incidents, P1 by the matrix: X recorded P2 (under-graded) and answered in 20 min,
    within P2's 30 min but not P1's 15 min; Y recorded P1, answered in 10 min."""
    criteria = make_criteria()
    criteria = replace(criteria, priority_matrix={(1, 1): 1, (1, 2): 2})
    frame = pd.DataFrame({c.INCIDENT_ID: ["X", "Y"], c.PRIORITY: [2, 1],
                          c.IMPACT: [1, 1], c.URGENCY: [1, 1],
                          c.OPENED_AT: [ts("2026-09-01 09:00")] * 2,
                          c.FIRST_RESPONSE_AT: [ts("2026-09-01 09:20"), ts("2026-09-01 09:10")],
                          c.RESOLVED_AT: [ts("2026-09-01 10:00")] * 2})
    from ccreview.incidents.grading import grading_audit

    audit = grading_audit(frame, criteria=criteria, as_of=ts("2026-10-01 00:00"))
    conf = audit.confusion.set_index(["expected_priority", "recorded_priority"])["n"]
    assert (conf.loc[(1, 2)], conf.loc[(1, 1)], conf.loc[(2, 2)]) == (1, 1, 0)
    effect = audit.effect.set_index(["target", "grading"])
    assert effect.loc[("response", "under_graded"), ["rate", "rate_at_expected"]].tolist() == [1, 0]
    assert effect.loc[("response", "correctly_graded"), "rate_at_expected"] == 1


def test_segments_flagged_beyond_chance_control_for_how_many_were_looked_at():
    """Forty teams with the same true breach rate: judged one by one, a 95% interval below
    the overall rate turns up in about one team per quarter by chance alone (one-sided
    2.5% x 40); with every team tested at once (Benjamini-Hochberg) almost never (at most
    the 5% family-wise rate under this global null)."""
    from ccreview.incidents.targets import least_compliant_segments

    rng = np.random.default_rng(12)
    flagged_any, flagged_alone = 0, 0
    replicates = 60
    for _ in range(replicates):
        team = np.repeat([f"T{i:02d}" for i in range(40)], 150)
        ids = [f"I{i}" for i in range(team.size)]
        breached = rng.random(team.size) < 0.2
        outcomes = pd.DataFrame({c.INCIDENT_ID: ids, "target": "resolution",
                                 "outcome": np.where(breached, "breached", "met")})
        incidents = pd.DataFrame({c.INCIDENT_ID: ids, c.ASSIGNED_TEAM: team})
        table = least_compliant_segments(outcomes, incidents, by=[c.ASSIGNED_TEAM], top=40)
        flagged_any += bool(table["beyond_chance"].any())
        flagged_alone += bool((table["ci_high"] < 0.8 - 0.0).any())
    assert flagged_any / replicates <= 0.10
    assert flagged_alone / replicates > 0.3  # what judging each alone would have said
