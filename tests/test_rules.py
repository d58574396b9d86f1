"""Procedure rules: reading them from criteria.yaml (every mistake named) and judging
incidents against them, by hand."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from ccreview.config.criteria import load_criteria
from ccreview.data import columns as c
from ccreview.exceptions import ConfigError
from ccreview.incidents.grading import expected_priority, grading_check
from ccreview.incidents.rule_evaluation import Context, evaluate_rule

from .conftest import ROOT, write

TZ = "Europe/London"
AS_OF = pd.Timestamp("2026-10-01 00:00", tz=TZ)
BASE = (ROOT / "parameters" / "criteria.yaml").read_text().split("\nrules:")[0]


def criteria_with(rules_yaml: str, tmp_path):
    return load_criteria(write(tmp_path / "criteria.yaml", BASE + "\nrules:\n" + rules_yaml))


def problems(rules_yaml: str, tmp_path) -> str:
    with pytest.raises(ConfigError) as err:
        criteria_with(rules_yaml, tmp_path)
    return str(err.value)


def test_shipped_rules_load():
    demo = load_criteria(ROOT / "parameters" / "criteria.yaml")
    assert [r.id for r in demo.rules][:2] == ["major_declared_promptly", "no_ping_pong"]
    assert demo.rules[0].applies_to == {c.PRIORITY: (1,)}
    assert demo.rules[0].params["within"] == pd.Timedelta(minutes=30)
    servicenow = load_criteria(ROOT / "parameters" / "servicenow" / "criteria.yaml")
    assert {r.kind for r in servicenow.rules} == {"at_most", "recorded", "within",
                                                  "no_reopen_within"}


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("  - {id: a, statement: s, severity: high, kind: withn}",
         "rules[1] (a).kind: unknown kind 'withn'. Did you mean 'within'?"),
        ("  - {id: a, statement: s, severity: high, kind: at_most, column: reassignment_count, "
         "max: 2, maximum: 3}", "rules[1] (a): unknown key 'maximum'."),
        ("  - {id: a, statement: s, severity: high, kind: no_reopen_within, within: 7d, "
         "reopen_states: [reopend]}",
         "rules[1] (a).reopen_states: 'reopend' is not an event state. Did you mean 'reopened'?"),
        ("  - {id: a, statement: s, severity: high, kind: before, first: 'first:asigned', "
         "then: closed_at}", "'asigned' is not an event state. Did you mean 'assigned'?"),
        ("  - {id: a, statement: s, severity: high, kind: within, from: opened_at, "
         "to: declard_at, within: 30min}",
         "rules[1] (a).to: 'declard_at' is not a time. Did you mean 'declared_at'?"),
        ("  - {id: a, statement: s, severity: high, kind: within, from: opened_at, "
         "to: closed_at, within: soon}", "rules[1] (a).within: 'soon' is not a duration"),
        ("  - {id: a, statement: s, severity: high, kind: within, from: opened_at, "
         "to: closed_at, within: 1h, clock: ofice_hours}",
         "unknown calendar 'ofice_hours'. Did you mean 'office_hours'?"),
        ("  - {id: a, statement: s, severity: urgent, kind: at_most, column: reopen_count, max: 0}",
         "rules[1] (a).severity: 'urgent' is not one of high, medium, low."),
        ("  - {id: a, statement: s, severity: low, kind: at_most, column: reasignment_count, "
         "max: 1}", "Did you mean 'reassignment_count'?"),
        ("  - {id: a, statement: s, severity: low, kind: at_most, column: reopen_count}",
         "kind 'at_most' needs 'max:'"),
        ("  - {id: response, statement: s, severity: low, kind: at_most, column: reopen_count, "
         "max: 1}", "'response' is already used by a built-in check"),
        ("  - {id: a, statement: s, severity: low, kind: at_most, column: reopen_count, max: 1, "
         "applies_to: {priority: [7], chanel: [phone]}}",
         "applies_to.priority: 7 is not a priority with targets"),
        ("  - {id: a, statement: s, severity: low, kind: at_most, column: reopen_count, max: 1, "
         "applies_to: {chanel: [phone]}}", "unknown key 'chanel'. Did you mean 'channel'?"),
        ("  - {id: a, statement: s, severity: low, kind: recorded, column: resolution_code}\n"
         "  - {id: a, statement: t, severity: low, kind: recorded, column: category}",
         "rules[2] (a).id: 'a' is already used."),
        ("  - {id: a, severity: low, kind: recorded, column: category}",
         "rules[1] (a): 'statement:' is missing."),
    ],
)
def test_rule_mistakes_are_named_with_file_and_key(rule, message, tmp_path):
    text = problems(rule, tmp_path)
    assert message in text
    assert str(tmp_path / "criteria.yaml") + ": rules[" in text  # the file and the key


def test_all_rule_problems_at_once(tmp_path):
    text = problems("  - {id: a, statement: s, severity: high, kind: withn}\n"
                    "  - {id: b, statement: s, severity: high, kind: at_most, column: x, max: -1}",
                    tmp_path)
    assert "unknown kind 'withn'" in text and "rules[2] (b).max: -1" in text


# --- judging incidents -------------------------------------------------------------------

def at(text):
    return pd.Timestamp(text, tz=TZ) if text else pd.NaT


@pytest.fixture()
def incidents():
    rows = [  # id, priority, opened, resolved, closed, reassignments, category, code
        ("A", 1, "2026-09-01 09:00", "2026-09-01 12:00", "2026-09-02 12:00", 0, "network", "fixed"),
        ("B", 1, "2026-09-01 09:00", "2026-09-01 14:00", "2026-09-06 09:00", 3, "network", " "),
        ("C", 2, "2026-09-30 20:00", None, None, 1, None, None),
        ("D", 3, "2026-09-29 09:00", "2026-09-29 10:00", None, 2, "billing", None),
    ]
    frame = pd.DataFrame(rows, columns=[c.INCIDENT_ID, c.PRIORITY, c.OPENED_AT, c.RESOLVED_AT,
                                        c.CLOSED_AT, c.REASSIGNMENT_COUNT, c.CATEGORY,
                                        c.RESOLUTION_CODE])
    for col in (c.OPENED_AT, c.RESOLVED_AT, c.CLOSED_AT):
        frame[col] = pd.to_datetime(frame[col]).dt.tz_localize(TZ).dt.as_unit("us")
    frame[c.FIRST_RESPONSE_AT] = frame[c.OPENED_AT] + pd.Timedelta(minutes=10)
    frame[c.CATEGORY] = frame[c.CATEGORY].astype("string")
    frame[c.RESOLUTION_CODE] = frame[c.RESOLUTION_CODE].astype("string")
    return frame


@pytest.fixture()
def events():
    rows = [("A", "2026-09-01 09:00", "new"), ("A", "2026-09-01 12:00", "resolved"),
            ("A", "2026-09-03 12:00", "reopened"),  # 2 days after its first resolution
            ("B", "2026-09-01 14:00", "resolved"), ("B", "2026-09-20 14:00", "reopened"),  # 19 d
            ("D", "2026-09-29 10:00", "resolved"),  # resolved 2 days before the end: window open
            ("Z", "2026-09-01 09:00", "reopened")]  # an incident not in the table
    frame = pd.DataFrame(rows, columns=[c.INCIDENT_ID, c.AT, c.STATE])
    frame[c.AT] = pd.to_datetime(frame[c.AT]).dt.tz_localize(TZ).dt.as_unit("us")
    return frame


def judge(rule_yaml, incidents, tmp_path, *, events=None, major=None, absent=None):
    from ccreview.clocks.pauses import order_events

    criteria = criteria_with(rule_yaml, tmp_path)
    ctx = Context(incidents, criteria=criteria, as_of=AS_OF, events=events,
                  major_incidents=major, absent=absent,
                  event_order=lambda: order_events(events, incidents))
    result = evaluate_rule(criteria.rules[0], ctx)
    words = {0: "passed", 1: "failed", 2: "not_applicable"}
    return pd.DataFrame({"outcome": [words[s] for s in result.status],
                         "detail": [result.phrases[d] for d in result.detail],
                         "measured": result.measured, "target": result.target},
                        index=incidents[c.INCIDENT_ID])


def test_within_with_major_incidents(incidents, tmp_path):
    """Declared 20 min after opening (A: in time), 45 min (B: too late; the earlier of its
    two declarations counts); C and D never declared: not applicable (if_missing)."""
    major = pd.DataFrame({c.INCIDENT_ID: ["A", "B", "B"],
                          c.DECLARED_AT: [at("2026-09-01 09:20"), at("2026-09-01 09:45"),
                                          at("2026-09-01 11:00")]})
    rule = ("  - {id: r, statement: s, severity: high, kind: within, from: opened_at, "
            "to: declared_at, within: 30min, if_missing: not_applicable}")
    out = judge(rule, incidents, tmp_path, major=major)
    assert out["outcome"].tolist() == ["passed", "failed", "not_applicable", "not_applicable"]
    assert out.loc["B", "measured"] == pytest.approx(0.75) and out.loc["B", "target"] == 0.5
    assert out.loc["C", "detail"] == "no declared_at"
    # without the table the rule is not checked, and says why
    out = judge(rule, incidents, tmp_path, major=None)
    assert set(out["detail"]) == {"not checked: no major_incidents table was given"}
    assert set(out["outcome"]) == {"not_applicable"}


def test_within_failing_when_missing_and_time_not_up(incidents, tmp_path):
    """Closed within 3 days of resolution. A: 1 day (passed); B: 4 days 19 h (failed);
    C: never resolved (not applicable); D: resolved 29 Sep 10:00, not closed, 1 day 14 h
    before the end of the period: time not up yet (not applicable)."""
    rule = ("  - {id: r, statement: s, severity: low, kind: within, from: resolved_at, "
            "to: closed_at, within: 3d}")
    out = judge(rule, incidents, tmp_path)
    assert out["outcome"].tolist() == ["passed", "failed", "not_applicable", "not_applicable"]
    assert out.loc["A", "measured"] == pytest.approx(24.0)
    assert out.loc["D", "detail"] == "no closed_at yet; time not up"
    # with a 1-hour limit D's time is up: it fails
    out = judge(rule.replace("3d", "1h"), incidents, tmp_path)
    assert out.loc["D", ["outcome", "detail"]].tolist() == ["failed",
                                                           "no closed_at and the time is up"]


def test_within_on_office_hours(incidents, tmp_path):
    """Resolved within 2 office hours (Mon-Fri 08-18): A 3 h (failed); D 1 h (passed)."""
    rule = ("  - {id: r, statement: s, severity: low, kind: within, from: opened_at, "
            "to: resolved_at, within: 2h, clock: office_hours}")
    out = judge(rule, incidents, tmp_path)
    assert out.loc["A", "measured"] == pytest.approx(3.0)
    assert out.loc[["A", "D"], "outcome"].tolist() == ["failed", "passed"]


def test_at_most_recorded_and_before(incidents, tmp_path):
    out = judge("  - {id: r, statement: s, severity: medium, kind: at_most, "
                "column: reassignment_count, max: 2}", incidents, tmp_path)
    assert out["outcome"].tolist() == ["passed", "failed", "passed", "passed"]  # 0, 3, 1, 2
    out = judge("  - {id: r, statement: s, severity: low, kind: recorded, "
                "column: resolution_code, once: resolved_at}", incidents, tmp_path)
    # B's code is blank (a space), D's missing; C is not resolved yet
    assert out["outcome"].tolist() == ["passed", "failed", "not_applicable", "failed"]
    out = judge("  - {id: r, statement: s, severity: low, kind: before, "
                "first: first_response_at, then: closed_at}", incidents, tmp_path)
    assert out["outcome"].tolist() == ["passed", "passed", "not_applicable", "not_applicable"]
    assert out.loc["A", "measured"] == pytest.approx(27 - 10 / 60)  # 09:10 -> next day 12:00
    out = judge("  - {id: r, statement: s, severity: low, kind: at_most, "
                "column: reassignment_count, max: 2}", incidents, tmp_path,
                absent={"incidents": [c.REASSIGNMENT_COUNT]})
    assert set(out["detail"]) == {"not checked: the incidents data has no reassignment_count "
                                  "column"}


def test_no_reopen_within_and_scope(incidents, events, tmp_path):
    """First-time fix within 7 days. A reopened 2 days after its first resolution (failed);
    B 19 days after (passed); C never resolved; D resolved 1 day 14 h before the end, the
    window is still open (both not applicable)."""
    rule = ("  - {id: r, statement: s, severity: medium, kind: no_reopen_within, within: 7d}")
    out = judge(rule, incidents, tmp_path, events=events)
    assert out["outcome"].tolist() == ["failed", "passed", "not_applicable", "not_applicable"]
    assert out.loc["A", "measured"] == pytest.approx(48.0)
    assert out.loc["D", "detail"] == "window still open"
    scoped = judge(rule.replace("within: 7d", "within: 7d, applies_to: {priority: [2, 3]}"),
                   incidents, tmp_path, events=events)
    assert scoped.loc["A", ["outcome", "detail"]].tolist() == ["not_applicable",
                                                              "outside the rule's scope"]
    none = judge(rule, incidents, tmp_path, events=None)
    assert set(none["detail"]) == {"not checked: no incident_events table was given"}


def test_first_event_time_source(incidents, events, tmp_path):
    """'first:reopened' before closed_at: A reopened 3 Sep after closing 2 Sep (failed);
    B reopened 20 Sep after closing 6 Sep (failed); C, D not closed."""
    out = judge("  - {id: r, statement: s, severity: low, kind: before, first: 'first:reopened', "
                "then: closed_at}", incidents, tmp_path, events=events)
    assert out["outcome"].tolist() == ["failed", "failed", "not_applicable", "not_applicable"]
    assert out.loc["A", "detail"] == "first:reopened after closed_at"


def test_expected_priority_and_grading_check(tmp_path):
    matrix = {(1, 1): 1, (1, 2): 2, (2, 1): 2, (2, 2): 3}
    got = expected_priority(pd.Series([1, 2, 2, None, 5]), pd.Series([2, 1, 2, 1, 1]), matrix)
    assert got[:3].tolist() == [2.0, 2.0, 3.0]
    assert np.isnan(got[3]) and np.isnan(got[4])
    criteria = replace(load_criteria(ROOT / "parameters" / "criteria.yaml"), priority_matrix=matrix)
    frame = pd.DataFrame({c.IMPACT: pd.array([1, 1, 2, None, 5], dtype="Int64"),
                          c.URGENCY: pd.array([1, 2, 2, 1, 1], dtype="Int64"),
                          c.PRIORITY: pd.array([1, 3, 2, 1, 1], dtype="Int64")})
    result = grading_check(frame, criteria=criteria)
    words = [result.phrases[d] for d in result.detail]
    assert words == ["as the matrix", "under-graded", "over-graded", "impact or urgency missing",
                     "impact x urgency not in the matrix"]
    assert result.status.tolist() == [0, 1, 1, 2, 2]
