"""The first screen: the bottom line and the headline tiles read the one implementation of each
number (issue #14), and degraded weeks are explained by what the data knows happened in them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ccreview.data import columns as c
from ccreview.report.bottom_line import bottom_line
from ccreview.report.tiles import sparkline_svg, tiles_html
from ccreview.review.headline import headline_kpis, previous_period_rows
from ccreview.review.review import open_review
from ccreview.review.special_causes import degraded_week_causes
from ccreview.wording import format_value, in_sentence
from tests.conftest import make_params


@pytest.fixture(scope="module")
def review(demo_dir, tmp_path_factory):
    return open_review(make_params(tmp_path_factory.mktemp("first"), demo_dir))


def test_headline_tiles_agree_with_the_scorecard_and_the_comparisons(review):
    headline = headline_kpis(review)
    card = review.scorecard.set_index("metric")
    previous = previous_period_rows(review)
    for row in headline.itertuples(index=False):
        assert row.value == review.kpi(row.metric)
        if row.metric in card.index:
            assert row.target == card.loc[row.metric, "target"] and row.met == card.loc[row.metric, "met"]
        if row.metric in previous.index:
            assert row.previous == previous.loc[row.metric, "before"]
            assert row.verdict == previous.loc[row.metric, "verdict"]
            # the comparison's "this period" is the tile's value: one number
            assert previous.loc[row.metric, "after"] == pytest.approx(row.value, rel=1e-9, abs=1e-12)
    # the demo has feedback, so the customer measures sit beside the operational ones
    customers = set(headline.loc[headline["group"] == "customers", "metric"])
    assert {"csat", "nps", "complaints_per_1000_contacts"} <= customers
    page = tiles_html(headline, against="Previous quarter")
    for row in headline.itertuples(index=False):
        assert format_value(row.value, row.unit) in page


def test_bottom_line_names_the_missed_targets_and_the_degraded_weeks(review):
    headline = headline_kpis(review)
    sentences = bottom_line(review, headline)
    assert 2 <= len(sentences) <= 3
    missed = headline[headline["met"].eq(False)]
    assert f"{len(missed)} of {int(headline['met'].notna().sum())} KPI targets were missed" in sentences[0]
    for label in missed["label"]:
        assert in_sentence(label) in sentences[0]
    worse = previous_period_rows(review)
    assert f"{int((worse['verdict'] == 'worsened').sum())} measures got worse" in sentences[0]
    assert any("Service broke down in the weeks starting" in s for s in sentences)


def test_degraded_weeks_are_explained_by_major_incidents_changes_and_surges():
    weeks = pd.date_range("2026-07-06", periods=8, freq="7D")
    weekly = pd.DataFrame({c.PERIOD_START: weeks, "contacts_offered": [1000] * 5 + [1700, 1000, 1000],
                           "abandonment_rate": [0.05] * 4 + [0.15, 0.14, 0.05, 0.16]})
    major = pd.DataFrame({c.MAJOR_INCIDENT_ID: ["MI-9"],
                          c.DECLARED_AT: pd.to_datetime(["2026-08-04 10:00"]).tz_localize("Europe/London")})
    changes = pd.DataFrame({c.CHANGE_ID: ["C-7"], c.STATUS: ["implemented"],
                            c.IMPLEMENTED_ON: pd.to_datetime(["2026-08-12"])})
    found = degraded_week_causes(weekly, major_incidents=major, changes=changes, timezone="Europe/London")
    causes = dict(zip(found[c.PERIOD_START], found["causes"], strict=True))
    assert causes[weeks[4]] == ["major incident MI-9 declared 04 Aug"]
    assert causes[weeks[5]] == ["change C-7 went live 12 Aug", "contacts 1.7 times a usual week"]
    assert causes[weeks[7]] == []  # nothing known: the reader is asked to find the cause


def test_sparkline_breaks_at_weeks_without_data():
    svg = sparkline_svg([1.0, 2.0, np.nan, 3.0, 4.0], label="x")
    assert svg.count("<polyline") == 2 and 'aria-label="x"' in svg
    assert sparkline_svg([1.0]) == ""


@pytest.mark.parametrize(("label", "expected"), [
    ("Average handle time", "average handle time"), ("Net Promoter Score", "Net Promoter Score"),
    ("CSAT", "CSAT"), ("P90 response", "P90 response")])
def test_labels_inside_sentences(label, expected):
    assert in_sentence(label) == expected


def test_one_queue_reviewed_on_its_own(demo_dir, tmp_path):
    from ccreview.exceptions import ParameterError

    params = make_params(tmp_path, demo_dir)
    whole = open_review(params)
    billing = open_review(params, queue="billing")
    contacts = whole.data["contacts"]
    assert len(billing.data["contacts"]) == int((contacts[c.QUEUE] == "billing").sum())
    assert billing.data.health().equals(whole.data.health())  # still the whole export's health
    assert "queue billing" in billing.params.title
    assert billing.kpi("abandonment_rate") != whole.kpi("abandonment_rate")
    with pytest.raises(ParameterError, match="Did you mean 'billing'"):
        open_review(params, queue="biling")
    earlier = open_review(params, period="2026-Q2")
    assert earlier.params.start.month == 4 and earlier.params.end.month == 7


def test_numbers_that_differ_are_printed_so_that_they_differ_and_zero_has_no_sign():
    from ccreview.report.formatting import fmt_change, fmt_metric_pair

    assert fmt_metric_pair(21.4, 20.9, "average_speed_of_answer") == ("21.4 s", "20.9 s")
    assert fmt_metric_pair(30.0, 21.0, "average_speed_of_answer") == ("30 s", "21 s")
    assert fmt_change(-0.02, "average_handle_time", "difference") == "±0.0 s"
    assert fmt_change(-0.00004, "service_level", "difference") == "±0.0 pts"
    assert fmt_change(-2.5, "average_handle_time", "difference") == "−2.5 s"


def test_sections_without_data_leave_the_page_with_one_line_saying_why():
    import nbformat

    from ccreview.report.sanitize import EMPTY_SECTION_MIMETYPE, drop_empty_sections

    def section(title, marker=None):
        md = nbformat.v4.new_markdown_cell(f"## {title}\n\nWhat it shows.")
        code = nbformat.v4.new_code_cell("sections.X(review)")
        data = {"text/html": "<p>body</p>"}
        if marker:
            data[EMPTY_SECTION_MIMETYPE] = {"reason": marker}
        code.outputs = [nbformat.v4.new_output("display_data", data=data)]
        return [md, code]

    nb = nbformat.v4.new_notebook()
    nb.cells = (section("Executive summary") + section("Compliance with agreed targets", "no incidents file")
                + section("Appendix B. Procedures: every agreed criterion", "no incidents file")
                + section("Appendix D. Handoffs", "no incident events file"))
    removed = drop_empty_sections(nb)
    assert [h for h, _ in removed] == ["Compliance with agreed targets",
                                       "Appendix B. Procedures: every agreed criterion",
                                       "Appendix D. Handoffs"]
    headings = [c.source.splitlines()[0] for c in nb.cells if c.cell_type == "markdown"]
    assert headings[0] == "## Executive summary" and len([h for h in headings if h.startswith("## ")]) == 1
    note = nb.cells[2].source
    assert note.startswith("*Left out for want of data:*")
    assert "no incidents file, so not shown: Compliance with agreed targets, Procedures" in note
    assert "no incident events file, so not shown: Handoffs" in note


def test_sections_with_charts_plot_them_and_axes_say_when_they_do_not_start_at_zero(review):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ccreview.report import sections

    charts = sections.ControlCharts(review)
    grid = charts.plot()
    drawn = [ax for ax in grid.flat if ax.get_visible()]
    assert len(drawn) == len(charts.charts)
    # a weekly share around 60% is not drawn from zero, and its axis says so
    assert any("axis not from 0" in ax.get_ylabel() for ax in drawn)
    one = charts.plot(plt.subplots()[1], metric="service_level")
    assert one.get_title() == "Service level"
    evidence = sections.ChangeEvidence(review, "C-001")
    assert evidence.plot().get_lines() and evidence.plot(comparison_group=True).get_lines()
    assert repr(evidence).startswith("<ChangeEvidence: table of 1 rows")
    plt.close("all")


def test_the_bottom_line_says_where_the_worst_missed_target_sits(review):
    import re

    from ccreview.kpis.compute import kpi_values

    sentences = bottom_line(review, headline_kpis(review))
    found = [s for s in sentences if "was furthest from its target in" in s]
    assert len(found) <= 1 and len(sentences) <= 3
    if not found:  # the comparison named a concentration instead
        assert any("concentrates in" in s for s in sentences)
        return
    pattern = r"(.+) was furthest from its target in (\w+) (\S+): ([\d.]+)% against ([\d.]+)% overall"
    label, column, segment, value, overall = re.match(pattern, found[0]).groups()
    headline = headline_kpis(review)
    metric = dict(zip(headline["label"].str.lower(), headline["metric"], strict=True))[label.lower()]
    values = kpi_values(review.observations(metric), metric=metric, start=review.params.start,
                        end=review.as_of, by=column).set_index(column)
    assert float(value) == pytest.approx(100 * values.loc[segment, "value"], abs=0.05)
    assert float(overall) == pytest.approx(100 * review.kpi(metric), abs=0.05)
