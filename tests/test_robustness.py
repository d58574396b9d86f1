"""The whole review on mutilated demo data: tables and optional columns removed, periods
of a day, a week, or with no incident at all. Every section must compute (issue #12):
real exports lack things, and a section that cannot show something says so instead of
raising."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ccreview.data.schema import TABLES as SCHEMA
from ccreview.report import sections
from ccreview.review import open_review

from .conftest import ROOT, TABLES

OPTIONAL_TABLES = [t for t in TABLES if t != "incidents"]
OPTIONAL_COLUMNS = [(name, col.name) for name in TABLES for col in SCHEMA[name].columns
                    if not col.required]
PERIODS = {
    "quarter": "2026-Q3",
    "one day": "{start: 2026-08-12, end: 2026-08-12}",
    "one week": "{start: 2026-08-10, end: 2026-08-16}",
    "no incidents (before the data)": "{start: 2024-01-01, end: 2024-03-31}",
    "a month": "{start: 2026-09-01, end: 2026-09-30}",
}
REVIEW_SECTIONS = ["ExecutiveSummary", "DataHealth", "Volumes", "Compliance", "Procedures",
                   "ResolutionTimes", "Performance", "ControlCharts", "TechniqueEfficiency",
                   "CaseForChange", "Handoffs", "Definitions",
                   # the feedback review and the recommendations page
                   "FeedbackThemes", "DissatisfactionDrivers", "FeedbackTrends", "EnhancementCandidates",
                   "RecommendationsRegister", "MajorIncidents",
                   # the monitoring-methods page
                   "MonitoringMethods", "EvaluatorAgreement", "QaSampleSize"]
#: the sections of a major incident's report (run for each declared in the period)
MAJOR_SECTIONS = ["MajorIncidentRecord", "MajorIncidentTimeline", "ContactSurge", "StaffingWhatIf",
                  "IncidentDebriefs"]


def mutilated_review(demo_dir, folder, *, drop_tables, drop_columns, period, keep_incidents):
    data = folder / "data"
    data.mkdir()
    present = [t for t in TABLES if t not in drop_tables and (t != "incidents" or keep_incidents)]
    for table in present:
        frame = pd.read_csv(demo_dir / f"{table}.csv", dtype=str, keep_default_na=False)
        frame = frame.drop(columns=[col for t, col in drop_columns if t == table and col in frame])
        frame.to_csv(data / f"{table}.csv", index=False)
    params = folder / "parameters"
    params.mkdir()
    for name in ("criteria.yaml", "objectives.yaml", "services.yaml"):
        shutil.copy(ROOT / "parameters" / name, params / name)
    lines = "\n".join(f"  {t}: {data / (t + '.csv')}" for t in present)
    (params / "run.yaml").write_text(
        f"run: robust\ntitle: Robustness\norganisation: Test\nperiod: {period}\n"
        f"data:\n{lines}\ncriteria: criteria.yaml\nobjectives: objectives.yaml\n"
        f"services: services.yaml\nnotebooks: [incident_review]\n"
        f"reports_dir: {folder / 'reports'}\n")
    return open_review(params / "run.yaml")


def render_everything(review) -> list[str]:
    """Every section of every notebook; the names of those that could not be computed."""
    failed = []
    shown = [getattr(sections, name)(review) for name in REVIEW_SECTIONS]
    if "changes" in review.data:
        for change_id in review.data["changes"]["change_id"]:
            shown += [sections.ChangeRecord(review, change_id),
                      sections.ChangeEvidence(review, change_id),
                      sections.Definitions(review, change_id=change_id)]
    majors = review.major_incidents
    for major_id in majors["major_incident_id"] if majors is not None else []:
        shown += [getattr(sections, name)(review, major_id) for name in MAJOR_SECTIONS]
    for section in shown:
        html = section._repr_mimebundle_()["text/html"]
        if section.failed:
            failed.append(f"{type(section).__name__}: {section._failure!r}")
        assert isinstance(html, str)
    return failed


@pytest.mark.slow
@settings(max_examples=16, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(drop_tables=st.sets(st.sampled_from(OPTIONAL_TABLES)),
       drop_columns=st.sets(st.sampled_from(OPTIONAL_COLUMNS), max_size=10),
       period=st.sampled_from(sorted(PERIODS)))
def test_the_whole_review_computes_on_whatever_the_data_lacks(
        demo_dir, tmp_path_factory, drop_tables, drop_columns, period):
    # incidents stay: a parameter file must name them (a contacts-only run comes from an
    # importer, tested on the real bank call log)
    folder = tmp_path_factory.mktemp("robust")
    review = mutilated_review(demo_dir, folder, drop_tables=drop_tables,
                              drop_columns=drop_columns, period=PERIODS[period],
                              keep_incidents=True)
    assert render_everything(review) == []


@pytest.mark.slow
@pytest.mark.parametrize("period", sorted(PERIODS))
def test_every_period_shape_computes_on_the_full_demo_data(demo_dir, tmp_path, period):
    review = mutilated_review(demo_dir, tmp_path, drop_tables=set(), drop_columns=set(),
                              period=PERIODS[period], keep_incidents=True)
    assert render_everything(review) == []
