"""Major incidents: debriefs and actions against the demo's planted truths and hand
calculations, the contact surge's size and its honesty when nothing happened, bad input."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from ccreview.config.criteria import load_criteria
from ccreview.config.major_settings import DebriefRule
from ccreview.data import columns as c
from ccreview.data.validate import load_dataset
from ccreview.exceptions import ConfigError, ParameterError
from ccreview.incidents.major import action_status, debrief_status, follow_through, highest_levels
from ccreview.kpis.surge import surge_size
from ccreview.review import open_review
from ccreview.review.jobs import plan_jobs, skipped_notebooks
from tests.conftest import ROOT, make_params, write

TZ = "Europe/London"


@pytest.fixture(scope="module")
def review(tmp_path_factory, demo_dir):
    return open_review(make_params(tmp_path_factory.mktemp("major"), demo_dir))


@pytest.fixture(scope="module")
def truth(demo_dir):
    return json.loads((demo_dir / "truth.json").read_text())


# ------------------------------------------------------------------ the demo's planted truths
def test_late_and_missing_debriefs_come_out_exactly(review, truth):
    status = review.debrief_status
    missing = status[status["status"] == "missing"]
    assert sorted(zip(missing[c.MAJOR_INCIDENT_ID], missing[c.KIND], strict=True)) == sorted(
        (m[c.MAJOR_INCIDENT_ID], m[c.KIND]) for m in truth["debriefs"]["missing"]
    )
    late = status[status["status"] == "late"].set_index(c.DEBRIEF_ID)
    assert sorted(late.index) == sorted(d[c.DEBRIEF_ID] for d in truth["debriefs"]["late"])
    for planted in truth["debriefs"]["late"]:
        expected = pd.Timestamp(planted[c.HELD_AT]) - pd.Timestamp(planted["due_by"])
        assert late.loc[planted[c.DEBRIEF_ID], "late_by"] == expected


def test_late_and_overdue_actions_come_out_exactly(review, truth):
    status = review.action_status.set_index(c.ACTION_ID)
    assert sorted(status.index[status["outcome"] == "done late"]) == sorted(
        truth["actions"]["late_completed"]
    )
    assert sorted(review.overdue_actions[c.ACTION_ID]) == sorted(truth["actions"]["open_overdue"])


def test_every_planted_surge_is_found_and_its_size_estimated(review, truth):
    """The planted surge is a count of extra contacts on top of an ordinary (random) day, so
    its size can only be estimated: each surge must be called beyond the usual level, each
    estimate be near the planted count, and the 95% intervals miss no more than chance allows
    (one of six or more; two misses or more would happen 3% of the time with honest intervals)."""
    judged, missed = 0, []
    for planted in truth["major_incidents"]:
        size = review.major_incident(planted[c.MAJOR_INCIDENT_ID]).surge.size.iloc[0]
        if size["weeks"] < 2:  # the first weeks of the data have no history to compare with
            continue
        judged += 1
        assert size["beyond_usual"], planted
        assert size["extra"] == pytest.approx(planted["surge_contacts"], rel=0.3), planted
        if not size["extra_low"] <= planted["surge_contacts"] <= size["extra_high"]:
            missed.append(planted[c.MAJOR_INCIDENT_ID])
    assert judged >= len(truth["major_incidents"]) - 1
    assert len(missed) <= 1, missed


def test_the_surge_is_counted_on_the_queue_the_demo_planted_it_on(review, truth):
    for planted in truth["major_incidents"][1:]:
        assert review.major_incident(planted[c.MAJOR_INCIDENT_ID]).surge.queues == (planted["surge_queue"],)


# ------------------------------------------------------------------ hand calculations
def _majors(rows):
    frame = pd.DataFrame(
        rows,
        columns=[
            c.MAJOR_INCIDENT_ID,
            c.DECLARED_AT,
            c.STOOD_DOWN_AT,
            c.SILVER_AT,
            c.GOLD_AT,
            c.HIGHEST_LEVEL,
        ],
    )
    for col in (c.DECLARED_AT, c.STOOD_DOWN_AT, c.SILVER_AT, c.GOLD_AT):
        frame[col] = pd.to_datetime(frame[col]).dt.tz_localize(TZ)
    return frame


def test_debrief_status_by_hand():
    majors = _majors(
        [
            ["M1", "2026-08-01 10:00", "2026-08-01 14:00", None, None, "bronze"],
            ["M2", "2026-08-10 10:00", "2026-08-10 12:00", "2026-08-10 10:30", None, "bronze"],
            ["M3", "2026-09-29 10:00", "2026-09-29 12:00", None, None, None],
        ]
    )
    debriefs = pd.DataFrame(
        {
            c.DEBRIEF_ID: ["D1", "D2", "D3"],
            c.MAJOR_INCIDENT_ID: ["M1", "M2", "M2"],
            c.KIND: ["hot", "hot", "structured"],
            c.HELD_AT: pd.to_datetime(
                ["2026-08-02 20:00", "2026-08-10 16:00", "2026-10-05 09:00"]
            ).tz_localize(TZ),
        }
    )
    rules = (
        DebriefRule("hot", "bronze", pd.Timedelta("24h")),
        DebriefRule("structured", "silver", pd.Timedelta("7D")),
    )
    as_of = pd.Timestamp("2026-10-01", tz=TZ)
    out = debrief_status(majors, debriefs, rules, as_of=as_of).set_index([c.MAJOR_INCIDENT_ID, c.KIND])
    # M1: due 2 Aug 14:00, held 20:00 -> 6 h late
    assert out.loc[("M1", "hot"), "status"] == "late"
    assert out.loc[("M1", "hot"), "late_by"] == pd.Timedelta(hours=6)
    # M2 is silver (its silver_at says so, though highest_level says bronze): hot on time; the
    # structured one, due 17 Aug 12:00, was held after the period -> missing; to midnight
    # 1 Oct: 14 days 12 h to the end of August, then 30 days of September = 44 d 12 h
    assert out.loc[("M2", "hot"), "status"] == "on time"
    assert out.loc[("M2", "structured"), "status"] == "missing"
    assert out.loc[("M2", "structured"), "late_by"] == pd.Timedelta(days=44, hours=12)
    # M3 has no level recorded: no rule applies to it
    assert "M3" not in out.index.get_level_values(0)
    levels = highest_levels(majors)
    assert levels.iloc[:2].tolist() == ["bronze", "silver"] and pd.isna(levels.iloc[2])


def test_action_outcomes_by_hand():
    actions = pd.DataFrame(
        {
            c.ACTION_ID: list("ABCDEFG"),
            c.OWNER: ["x", "x", "y", None, "y", "y", "z"],
            c.DUE_ON: pd.to_datetime(
                ["2026-09-10", "2026-09-10", "2026-09-30", "2026-10-15", None, "2026-09-01", "2026-09-20"]
            ),
            c.COMPLETED_ON: pd.to_datetime(
                ["2026-09-08", "2026-09-13", None, None, None, "2026-10-02", None]
            ),
            c.STATUS: ["done", "done", "open", "open", "open", "done", "cancelled"],
        }
    )
    out = action_status(actions, as_of=pd.Timestamp("2026-10-01", tz=TZ)).set_index(c.ACTION_ID)
    assert list(out["outcome"]) == [
        "done on time",
        "done late",
        "open, overdue",
        "open, not yet due",
        "open, no due date",
        "open, overdue",
        "cancelled",
    ]
    # B: done 13 Sep for 10 Sep = 3 days late; C: due 30 Sep, still open at midnight 1 Oct = 1 day;
    # F: done 2 Oct, after the period: at its end it was 30 days past 1 Sep
    assert out.loc[["B", "C", "F"], "days_late"].tolist() == [3, 1, 30]
    assert out.loc["D", "no_owner"] and out.loc["E", "no_due_date"]
    owners = follow_through(out.reset_index(), by=c.OWNER).set_index(c.OWNER)
    # x: 2 fell due, 1 on time -> 50 %; Wilson 95 % for 1/2: 0.0945 to 0.9055 (Newcombe 1998, method 3)
    assert owners.loc["x", ["due", "done_on_time", "done_late"]].tolist() == [2, 1, 1]
    assert owners.loc["x", "rate"] == 0.5
    assert owners.loc["x", "rate_low"] == pytest.approx(0.0945, abs=5e-4)
    assert owners.loc["y", ["due", "open_overdue"]].tolist() == [2, 2]


def test_surge_size_by_hand():
    # history 10, 12, 8, 11, 9, 10, 13, 7: mean 10. On the log scale ln(1 + x): ln 11, 13, 9, 12,
    # 10, 11, 14, 8 = 2.397895, 2.564949, 2.197225, 2.484907, 2.302585, 2.397895, 2.639057,
    # 2.079442; mean 2.382994, sample variance 0.034661. Poisson floor: mu = e^2.382994 - 1 =
    # 9.8373, mu / (1 + mu)^2 = 0.083760, larger, so used. t(7, 0.975) = 2.364624 (any t table);
    # margin = 2.364624 * sqrt(0.083760 * 9/8) = 0.725869. Usual range e^(2.382994 -+ 0.725869) - 1
    # = 4.2442 to 21.3954, so the extra of 30 - 10 = 20 lies in 30 - 21.3954 = 8.6046 to 25.7558.
    out = surge_size(30, np.array([10, 12, 8, 11, 9, 10, 13, 7]))
    assert out["expected"] == 10 and out["extra"] == 20
    assert out["extra_low"] == pytest.approx(8.6046, abs=1e-3)
    assert out["extra_high"] == pytest.approx(25.7558, abs=1e-3)
    assert out["beyond_usual"]
    # a spread-out history: 22 is within what such weeks do
    assert not surge_size(22, np.array([5, 15, 8, 12, 20, 4, 10, 6]))["beyond_usual"]
    assert surge_size(5, np.array([4]))["weeks"] == 1 and not surge_size(5, np.array([4]))["beyond_usual"]


# ------------------------------------------------------------------ honest verdicts
def _weeks(rng, mean, reps, weeks, shape):
    """Weekly counts whose rate itself varies from week to week (gamma), as real weeks do."""
    return rng.poisson(mean * rng.gamma(shape, 1 / shape, (reps, weeks + 1)))


@pytest.mark.parametrize("mean, shape", [(40, 1e6), (40, 15), (40, 5), (5, 1e6), (1, 1e6), (250, 8)])
def test_no_surge_is_called_a_surge_no_more_than_one_sided_alpha(mean, shape):
    rng = np.random.default_rng(20261204)
    reps = 4000
    counts = _weeks(rng, mean, reps, 8, shape)
    alarms = np.mean([surge_size(int(row[0]), row[1:])["beyond_usual"] for row in counts])
    # the interval is two-sided 95 %: "more than usual" errs at most 2.5 % of the time
    assert alarms <= 0.025 + 3 * np.sqrt(0.025 * 0.975 / reps)


def test_the_interval_covers_a_planted_surge():
    rng = np.random.default_rng(7)
    reps = 3000
    counts = _weeks(rng, 60, reps, 8, 20)
    planted = rng.poisson(80, reps)
    inside = [
        (s := surge_size(int(row[0]) + int(p), row[1:]))["extra_low"] <= p <= s["extra_high"]
        for row, p in zip(counts, planted, strict=True)
    ]
    assert np.mean(inside) >= 0.95 - 3 * np.sqrt(0.05 * 0.95 / reps)


# ------------------------------------------------------------------ configuration and bad input
def test_bad_major_incident_settings_are_named(tmp_path):
    text = (ROOT / "parameters" / "criteria.yaml").read_text()
    bad = (
        text.replace("    - kind: structured", "    - kind: structurd")
        .replace("      from_level: gold", "      from_level: platinum")
        .replace("    history_weeks: 8", "    history_weeks: 1")
    )
    with pytest.raises(ConfigError) as err:
        load_criteria(write(tmp_path / "criteria.yaml", bad))
    message = str(err.value)
    assert (
        "major_incidents.debriefs[2].kind: 'structurd' is not a debrief kind. Did you mean 'structured'?"
        in message
    )
    assert "from_level: 'platinum' is not a command tier" in message
    assert "history_weeks: 1 is not a whole number of weeks" in message


def test_level_names_are_configurable_and_synonyms_read(tmp_path):
    text = (
        (ROOT / "parameters" / "criteria.yaml")
        .read_text()
        .replace("gold: Strategic (gold)", "gold: Gold command")
    )
    criteria = load_criteria(write(tmp_path / "criteria.yaml", text))
    assert criteria.major.level_name("gold") == "Gold command"
    mi = write(
        tmp_path / "major_incidents.csv",
        "major_incident_id,declared_at,highest_level\nM1,2026-08-01 10:00,Strategic\n"
        "M2,2026-08-01 11:00,tactical\nM3,2026-08-01 12:00,platinum\n",
    )
    table = load_dataset({"major_incidents": mi}, timezone=TZ).tables["major_incidents"]
    assert table.data[c.HIGHEST_LEVEL].tolist() == ["gold", "silver"]
    assert "highest_level: is not an allowed value" in table.rejected[c.REASONS].iloc[0]


def test_planted_bad_rows_are_quarantined_or_reported_with_their_rows(review, truth):
    tables = review.data.tables
    reasons = tables["major_incidents"].rejected.set_index(c.MAJOR_INCIDENT_ID)[c.REASONS]
    assert "silver_at: is before bronze_at" in reasons["MI-901"]
    assert "stood_down_at: is before declared_at" in reasons["MI-902"]
    assert "highest_level: is not an allowed value" in reasons["MI-903"]
    deb = tables["debriefs"].rejected.set_index(c.DEBRIEF_ID)[c.REASONS]
    assert "does not exist in major_incidents" in deb["DB-901"]
    assert "itself quarantined" in deb["DB-902"]
    status = review.action_status.set_index(c.ACTION_ID)
    assert status.loc[truth["bad_row_ids"]["actions"]["no_owner"], "no_owner"].all()
    assert status.loc[truth["bad_row_ids"]["actions"]["no_due_date"], "no_due_date"].all()
    from ccreview.report.sections import MajorIncidents

    page = MajorIncidents(review)._repr_html_()
    rows = status.loc[["ACT-9001", "ACT-9002"], c.SOURCE_ROW].astype(str)
    assert f"lack an owner or a due date (rows {', '.join(rows)})" in page


def test_an_unknown_major_incident_is_a_parameter_error(review):
    with pytest.raises(ParameterError, match="MI-404"):
        review.major_incident("MI-404")


# ------------------------------------------------------------------ fan-out and the index
def test_one_report_per_major_incident_of_the_period_and_reasons_when_none(review):
    params = review.params.__class__.__new__(review.params.__class__)
    params.__dict__.update({**review.params.__dict__, "notebooks": ["incident_review", "major_incident"]})
    jobs = plan_jobs(params, review.data)
    declared = review.major_incidents[c.MAJOR_INCIDENT_ID].tolist()
    assert [j.parameters["major_incident_id"] for j in jobs if j.notebook == "major_incident"] == declared
    assert declared and all(j.name.startswith("major_incident-") for j in jobs[1:])

    class Without:
        def __contains__(self, name):
            return name != "major_incidents"

    (skipped,) = skipped_notebooks(params, Without())
    assert skipped["reason"] == "Not run: no major_incidents file was supplied."


def test_the_timeline_orders_levels_handoffs_and_communications():
    from ccreview.config.major_settings import MajorSettings
    from ccreview.incidents.major import command_timeline

    ts = lambda text: pd.Timestamp(text, tz=TZ)  # noqa: E731
    majors = pd.DataFrame({c.MAJOR_INCIDENT_ID: ["M1"], c.INCIDENT_ID: ["I1"],
                           c.DECLARED_AT: [ts("2026-08-01 10:00")],
                           c.STOOD_DOWN_AT: [ts("2026-08-01 13:00")], c.BRONZE_AT: [ts("2026-08-01 10:05")],
                           c.SILVER_AT: [ts("2026-08-01 10:30")], c.GOLD_AT: [pd.NaT],
                           c.BRONZE_BY: ["Duty manager"], c.SILVER_BY: [pd.NA], c.GOLD_BY: [pd.NA]})
    events = pd.DataFrame({c.INCIDENT_ID: ["I1", "I1", "I1"], c.STATE: ["new", "assigned", "resolved"],
                           c.AT: [ts("2026-08-01 09:40"), ts("2026-08-01 09:50"), ts("2026-08-01 12:50")],
                           c.TEAM: ["Service Desk", "Network", "Network"]})
    sent = pd.DataFrame({c.MAJOR_INCIDENT_ID: ["M1", "M2"], c.SENT_AT: [ts("2026-08-01 10:10")] * 2,
                         c.AUDIENCE: ["customers", "staff"], c.CHANNEL: ["status page", "e-mail"]})
    settings = MajorSettings(level_names={"bronze": "Operational", "silver": "Tactical", "gold": "Strategic"})
    out = command_timeline(majors, events, settings=settings, communications=sent)
    assert out["what"].tolist() == ["Incident new", "Handed to Network", "Declared a major incident",
                                    "Operational command activated", "To customers by status page",
                                    "Tactical command activated", "Incident resolved", "Stood down"]
    assert out.loc[out["what"] == "Operational command activated", "by"].item() == "Duty manager"
