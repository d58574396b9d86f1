"""Review results added with the compliance engine and the KPI catalogue, checked on the demo
data and on the real bank call log (a run with contacts only)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ccreview.report import sections
from ccreview.review.review import open_review
from tests.conftest import make_params

ROOT = Path(__file__).resolve().parents[1]
BANK = ROOT.parent / "shared" / "data" / "anonymous-bank" / "calls-1999-02.txt.gz"


@pytest.fixture(scope="module")
def what_if_review(demo_dir, tmp_path_factory):
    folder = tmp_path_factory.mktemp("whatif")
    params = make_params(folder, demo_dir, extra="what_if_criteria: criteria-relaxed.yaml\n")
    text = (params.parent / "criteria.yaml").read_text()
    # the alternative doubles every response target: 15min -> 30min ... 24h -> 48h
    relaxed = (text.replace("response: 15min", "response: 30min")
               .replace("response: 30min, resolution: 8h", "response: 60min, resolution: 8h")
               .replace("response: 2h", "response: 4h").replace("response: 4h, resolution: 120h",
                                                                "response: 8h, resolution: 120h")
               .replace("response: 24h", "response: 48h"))
    assert relaxed != text
    (params.parent / "criteria-relaxed.yaml").write_text(relaxed)
    return open_review(params)


def test_what_if_recomputes_compliance_under_other_criteria(what_if_review):
    table = what_if_review.what_if.set_index("criterion")
    rate_cols = [col for col in table.columns if "rate" in col]
    assert len(rate_cols) >= 2, table.columns
    now, alternative = table.loc["response", rate_cols[0]], table.loc["response", rate_cols[1]]
    assert alternative > now  # longer response targets: more met
    # resolution targets are unchanged, so resolution compliance is the same
    assert table.loc["resolution", rate_cols[0]] == pytest.approx(table.loc["resolution", rate_cols[1]])
    html = sections.Procedures(what_if_review)._repr_html_()
    assert "What if the criteria were different" in html


def test_procedures_section_names_each_criterion_and_breach_owner(what_if_review):
    html = sections.Procedures(what_if_review)._repr_html_()
    for criterion in what_if_review.criteria_scorecard["criterion"]:
        assert criterion in html
    assert "Who held the clock at breach" in html and "Service Desk" in html
    assert "on the targets of the priority they should have had" in html


@pytest.mark.slow
@pytest.mark.skipif(not BANK.exists(), reason=f"real bank call log not found at {BANK}")
def test_the_review_runs_on_the_bank_call_log(tmp_path):
    from ccreview.runner import run

    params = tmp_path / "parameters"
    shutil.copytree(ROOT / "parameters" / "bank", params / "bank")
    text = (ROOT / "parameters" / "bank-1999-02.yaml").read_text().replace(
        "../../shared/data/anonymous-bank/calls-1999-02.txt.gz", str(BANK))
    (params / "bank-1999-02.yaml").write_text(text + f"\nreports_dir: {tmp_path / 'reports'}\n")
    result = run(params / "bank-1999-02.yaml", progress=lambda _: None)
    assert result.ok, result.failures
    page = (tmp_path / "reports" / "bank-1999-02" / "incident_review.html").read_text()
    assert "No incidents file was given" in page
    assert "Control charts" in page and "Abandonment rate" in page
    # contacts-only: the volumes section still charts the contacts (issue #12)
    assert "Line chart of contacts per week by channel" in page
    assert "Too few whole weeks of incidents" not in page


@pytest.fixture(scope="module")
def demo_review(demo_dir, tmp_path_factory):
    return open_review(make_params(tmp_path_factory.mktemp("charts"), demo_dir))


def test_control_charts_flag_the_planted_degraded_weeks_and_nothing_else(demo_review, demo_dir):
    import json

    import pandas as pd

    truth = json.loads((demo_dir / "truth.json").read_text())["degraded_period"]
    first, last = pd.Timestamp(truth["start"]), pd.Timestamp(truth["end"])  # 10 to 30 Aug 2026
    charts = demo_review.control_charts
    for name in ("csat", "service_level"):
        table = charts[name].table
        degraded = table["period"].between(first, last)
        assert table.loc[degraded, "signal"].all(), name  # every degraded week is flagged
    # the weeks of the period before the degraded stretch are stable: nothing is flagged
    table = charts["csat"].table
    stable = table["period"].between(pd.Timestamp("2026-07-06"), first - pd.Timedelta(days=1))
    assert stable.sum() == 5 and not table.loc[stable, "signal"].any()


def test_period_comparison_finds_the_planted_worsening_and_leaves_stable_metrics(demo_review):
    table = demo_review.comparisons
    overall = table[(table["against"] == "previous quarter") & (table["segment_by"] == "")]
    verdicts = overall.set_index("metric")["verdict"]
    # the degraded August (waits x3, abandons x2, CSAT -0.6) makes Q3 worse than Q2
    for name in ("service_level", "average_speed_of_answer", "csat"):
        assert verdicts[name] == "worsened", name
    # nothing was planted in quality scores
    assert verdicts["qa_score"] == "no evidence of change"
    assert table.attrs["skipped"] == ["same quarter a year earlier"]  # the data starts Oct 2025


def test_case_for_change_puts_the_planted_degradation_first(demo_review):
    from ccreview.report.case_for_change import cases_for_change

    cases = cases_for_change(demo_review)
    top = cases.iloc[0]
    # service level: signalled in the degraded weeks, worse than Q2, and below its 60% target
    assert top["metric"] == "service_level" and top["sources"] == 3
    assert "10 Aug 2026" in top["evidence"] and "target missed" in top["evidence"]
    assert top["uncertainty"]  # an interval, not just a point
    assert "closed_after_confirmation" in set(cases["metric"])  # a weak procedure rule
    assert not {"response", "resolution"} & set(cases["metric"])  # already there as KPIs


def test_control_charts_fall_back_to_the_period_when_there_is_no_history(demo_dir, tmp_path):
    # the demo data starts on 1 Oct 2025: a 2025-Q4 review has no weeks before it
    params = make_params(tmp_path, demo_dir)
    params.write_text(params.read_text().replace("period: 2026-Q3", "period: 2025-Q4"))
    review = open_review(params)
    chart = review.control_charts["service_level"]
    # (the week of 29 Sep 2025 starts before the period, with three days of data)
    assert chart.warnings[0].startswith("Only 1 week before the period has enough data")
    assert chart.table["in_baseline"].all() and chart.baseline_points >= 12
    html = sections.ControlCharts(review)._repr_html_()
    assert "the period&#x27;s own weeks" in html or "the period's own weeks" in html


SECTION_NAMES = ["ExecutiveSummary", "DataHealth", "Volumes", "Compliance", "Procedures",
                 "ResolutionTimes", "Performance", "ControlCharts", "TechniqueEfficiency",
                 "CaseForChange", "Handoffs", "Definitions"]


@pytest.mark.slow
@pytest.mark.parametrize("table, column", [("incidents", "channel"), ("incidents", "category"),
                                           ("incidents", "assigned_team")])
def test_every_section_renders_without_an_optional_column(demo_dir, tmp_path, table, column):
    """Three of five real exports had no incident channel, and the performance section
    raised IndexError from the empty categorical of the missing column (issue #12)."""
    import pandas as pd

    from ccreview.report import sections
    from ccreview.review import open_review

    from .conftest import make_params

    data = tmp_path / "data"
    data.mkdir()
    for path in demo_dir.glob("*.csv"):
        shutil.copy(path, data / path.name)
    frame = pd.read_csv(data / f"{table}.csv", dtype=str, keep_default_na=False)
    frame.drop(columns=[column]).to_csv(data / f"{table}.csv", index=False)
    review = open_review(make_params(tmp_path, data))
    for name in SECTION_NAMES:
        html = getattr(sections, name)(review)._repr_html_()
        assert html, name


def test_first_time_fix_is_not_measurable_where_the_export_never_records_a_reopening(
        demo_dir, tmp_path):
    """An export with no 'reopened' state showed first-time fix 100% met (issue #12): a
    reopening it cannot see is not a reopening that did not happen."""
    import pandas as pd

    data = tmp_path / "data"
    shutil.copytree(demo_dir, data)
    events = pd.read_csv(data / "incident_events.csv", dtype=str, keep_default_na=False)
    assert (events["state"] == "reopened").any()
    events.loc[events["state"] == "reopened", "state"] = "in_progress"
    events.to_csv(data / "incident_events.csv", index=False)
    review = open_review(make_params(tmp_path, data))
    row = review.criteria_scorecard.set_index("criterion").loc["first_time_fix"]
    assert row["n"] == 0 and pd.isna(row["rate"])
    html = sections.Procedures(review)._repr_html_()
    assert "not measurable" in html
    assert "no event in the data is in state reopened" in html


def test_teams_services_yaml_does_not_know_are_named_not_counted_as_no_ones(demo_dir, tmp_path):
    """A services.yaml that calls the first line "Front Office" while the data says
    "Service Desk", and leaves Network out: the data health says which teams it does not
    know, and the handoff section says it cannot show the contact centre's share instead
    of "Front Office held 0.0% of their open time" (issue #12)."""
    import pandas as pd

    from ccreview.data import columns as c

    params = make_params(tmp_path, demo_dir)
    services = params.parent / "services.yaml"
    text = services.read_text().replace("Service Desk", "Front Office")
    text = "\n".join(line for line in text.splitlines() if "name: Network," not in line)
    services.write_text(text + "\n")
    review = open_review(params)
    unknown = review.unknown_teams
    incidents = review.incidents
    events = review.data["incident_events"]
    held = events[events[c.INCIDENT_ID].isin(incidents[c.INCIDENT_ID])]
    named = pd.concat([incidents[[c.INCIDENT_ID, c.ASSIGNED_TEAM]].set_axis([c.INCIDENT_ID, "t"], axis=1),
                       held[[c.INCIDENT_ID, c.TEAM]].set_axis([c.INCIDENT_ID, "t"], axis=1)])
    for team in ("Service Desk", "Network"):  # counted here independently of the kit
        expected = named.loc[named["t"] == team, c.INCIDENT_ID].nunique()
        assert unknown.set_index(c.TEAM).loc[team, "incidents"] == expected
    assert set(unknown[c.TEAM]) == {"Service Desk", "Network"}
    health = sections.DataHealth(review)._repr_html_()
    assert "2 teams in the data are not listed in services.yaml" in health
    handoffs = sections.Handoffs(review)._repr_html_()
    assert "no incident was held by a team of that name" in handoffs
    assert "Front Office held" not in handoffs
