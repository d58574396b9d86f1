"""Control charts against published worked examples, and run rules on hand-built series.

References
----------
* NIST/SEMATECH e-Handbook of Statistical Methods (2012), section 6.3.2.2 "Individuals
  Control Charts": flow rate of the first 10 batches, Xbar = 50.81, MRbar = 1.8778,
  UCL = 55.8041, LCL = 45.8159; "the process is in control".
* Montgomery & Runger (2003), Applied Statistics and Probability for Engineers, 3rd ed.,
  Example 16-2 and Table 16-3: 20 hourly concentration readings, x-bar = 99.1,
  mr-bar = 2.59, UCL = 105.99, LCL = 92.21, moving-range UCL = 3.267 × 2.59 = 8.46; "no
  indication of an out-of-control condition".
* Montgomery, Introduction to Statistical Quality Control, 6th ed. (2009), Example 7.2:
  purchase orders on 25 days with varying n, Σn = 2450, ΣD = 234, p-bar = 0.096.
* Montgomery (1991), Introduction to Statistical Quality Control, 2nd ed., pp. 181-182
  (personal computers: 20 samples of 5, u-bar = 1.93, UCL = 3.79, LCL = 0.07) and
  pp. 183-184 (dyed cloth: 10 rolls of varying size, u-bar = 153 / 107.5 = 1.42); the
  data as shipped in the R package qcc (datasets ``pcmanufact`` and ``dyedcloth``).
* Run rules: Western Electric (1956), Statistical Quality Control Handbook, rules 1-4;
  Nelson (1984), J. Quality Technology 16:237-239, tests 1-8.
"""

from __future__ import annotations

import math

import matplotlib.colors as mcolors
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from ccreview.exceptions import ParameterError
from ccreview.report.plots import PALETTE
from ccreview.stats import attribute_charts, run_rules
from ccreview.stats import control_charts as spc

# NIST e-Handbook 6.3.2.2, flow rate of batches 1-10
NIST_FLOWRATE = [49.6, 47.6, 49.9, 51.3, 47.8, 51.2, 52.6, 52.4, 53.6, 52.1]
# Montgomery & Runger (2003) Table 16-3, concentration, observations 1-20
MR_CONCENTRATION = [102.0, 94.8, 98.3, 98.4, 102.0, 98.5, 99.0, 97.7, 100.0, 98.1,
                    101.3, 98.7, 101.1, 98.4, 97.0, 96.7, 100.3, 101.4, 97.2, 101.0]
# Montgomery (2009) Example 7.2, purchase orders with errors (D) and orders examined (n), days 1-25
PO_DEFECTIVES = [12, 8, 6, 9, 10, 12, 11, 16, 10, 6, 20, 15, 9, 8, 6, 8, 10, 7, 5, 8, 5, 8, 10, 6, 9]
PO_SIZES = [100, 80, 80, 100, 110, 110, 100, 100, 90, 90, 110, 120, 120, 120, 110, 80, 80, 80, 90,
            100, 100, 100, 100, 90, 90]
# Montgomery (1991) pp. 181-182, nonconformities in 20 samples of 5 computers (qcc: pcmanufact)
PC_COUNTS = [10, 12, 8, 14, 10, 16, 11, 7, 10, 15, 9, 5, 7, 11, 12, 6, 8, 10, 7, 5]
# Montgomery (1991) pp. 183-184, defects and inspection units (50 m²) per roll (qcc: dyedcloth)
CLOTH_COUNTS = [14, 12, 20, 11, 7, 10, 21, 16, 19, 23]
CLOTH_UNITS = [10, 8, 13, 10, 9.5, 10, 12, 10.5, 12, 12.5]


def weeks(n: int) -> pd.DatetimeIndex:
    return pd.date_range("2026-01-05", periods=n, freq="W-MON")


# --------------------------------------------------------------------------- XmR


def test_xmr_matches_nist_handbook_individuals_example():
    chart = spc.xmr_chart(NIST_FLOWRATE)
    t = chart.table
    assert chart.kind == "xmr"
    assert chart.centre == pytest.approx(50.81, abs=5e-3)  # NIST 6.3.2.2: Xbar = 50.81
    mr_bar = np.nanmean(t[spc.MOVING_RANGE])
    assert mr_bar == pytest.approx(1.8778, abs=5e-5)  # NIST 6.3.2.2: MRbar = 1.8778
    assert t[spc.SIGMA].iloc[0] == pytest.approx(1.8778 / 1.128, abs=1e-4)  # sigma = MRbar / d2
    assert t[spc.UCL].iloc[0] == pytest.approx(55.8041, abs=5e-4)  # NIST 6.3.2.2: UCL = 55.8041
    assert t[spc.LCL].iloc[0] == pytest.approx(45.8159, abs=5e-4)  # NIST 6.3.2.2: LCL = 45.8159
    assert t[spc.MR_UCL].iloc[0] == pytest.approx(3.267 * 1.8778, abs=5e-4)  # D4 x MRbar = 6.1348 by hand
    assert t[spc.MOVING_RANGE].iloc[1:].tolist() == pytest.approx(  # NIST table, MR column
        [2.0, 2.3, 1.4, 3.5, 3.4, 1.4, 0.2, 1.2, 1.5])
    assert np.isnan(t[spc.MOVING_RANGE].iloc[0])
    assert chart.signals.empty  # NIST: "on both charts the process is in control"
    assert (t[spc.MOVING_RANGE].to_numpy()[1:] < t[spc.MR_UCL].to_numpy()[1:]).all()
    # 10 points is fewer than MIN_BASELINE_POINTS: the chart computes but says so
    assert chart.warnings == [
        "The baseline has only 10 points; limits are rough until there are at least 12."]


def test_xmr_matches_montgomery_runger_example_16_2():
    chart = spc.xmr_chart(MR_CONCENTRATION, rules="nelson")
    t = chart.table
    assert chart.centre == pytest.approx(99.1, abs=5e-3)  # Montgomery & Runger Ex. 16-2: x-bar = 99.1
    assert np.nanmean(t[spc.MOVING_RANGE]) == pytest.approx(2.59, abs=5e-3)  # mr-bar = 2.59
    assert t[spc.UCL].iloc[0] == pytest.approx(105.99, abs=0.015)  # UCL = 105.99 (from rounded x-bar)
    assert t[spc.LCL].iloc[0] == pytest.approx(92.21, abs=0.015)  # LCL = 92.21
    assert t[spc.MR_UCL].iloc[0] == pytest.approx(8.46, abs=5e-3)  # MR chart UCL = 8.46
    # no moving range above its limit either
    assert (t[spc.MOVING_RANGE].to_numpy()[1:] < t[spc.MR_UCL].to_numpy()[1:]).all()
    assert chart.signals.empty  # "no indication of an out-of-control condition"
    assert chart.warnings == []


def test_xmr_baseline_pair_sets_limits_and_later_shift_signals():
    rng = np.random.default_rng(3)
    values = np.r_[50 + rng.normal(0, 1, 20), 58.0, 50.0]
    labels = weeks(len(values))
    chart = spc.xmr_chart(values, index=labels, baseline=(labels[0], labels[20]))
    base = values[:20]
    assert chart.table[spc.IN_BASELINE].to_numpy().tolist() == [True] * 20 + [False] * 2
    assert chart.centre == pytest.approx(base.mean())  # baseline mean only, by hand
    sigma = np.abs(np.diff(base)).mean() / 1.128
    assert chart.table[spc.UCL].iloc[0] == pytest.approx(base.mean() + 3 * sigma)
    assert chart.table[spc.SIGNAL].iloc[20] and chart.table[spc.RULES_FIRED].iloc[20] == "beyond_limits"
    assert chart.baseline_points == 20


def test_xmr_baseline_as_date_strings_and_mask_agree():
    labels = weeks(16)
    values = pd.Series(np.arange(16.0) % 5, index=labels)
    by_pair = spc.xmr_chart(values, baseline=("2026-01-12", "2026-03-09"))  # start inclusive, end exclusive
    mask = (labels >= "2026-01-12") & (labels < "2026-03-09")
    by_mask = spc.xmr_chart(values, baseline=mask)
    assert by_pair.table[spc.IN_BASELINE].sum() == 8  # 12 Jan .. 2 Mar
    pd.testing.assert_frame_equal(by_pair.table, by_mask.table)
    assert (by_pair.table[spc.PERIOD] == labels).all()  # Series index becomes the period


def test_xmr_short_weekly_baseline_warns_in_plain_words():
    chart = spc.xmr_chart([5.0, 6, 5, 7, 6, 5, 6, 6, 5], index=weeks(9), baseline=np.arange(9) < 6)
    assert "The baseline has only 6 weekly points; limits are rough until there are at least 12." in (
        chart.warnings)
    assert np.isfinite(chart.table[spc.UCL]).all()


def test_xmr_missing_values_are_gaps_with_a_warning():
    values = [5.0, 6, np.nan, 5, 7, 6, 5, 6, 6, 5, 6, 5, 7, 6]
    chart = spc.xmr_chart(values)
    t = chart.table
    assert not t[spc.SIGNAL].iloc[2]
    assert chart.baseline_points == 13
    # moving ranges next to the gap are left out: 14 points, 2 lost to the gap, 1 to the start
    assert t[spc.MOVING_RANGE].notna().sum() == 11
    assert any("No data for 1 period (2)" in w for w in chart.warnings)


def test_xmr_baseline_too_short_for_any_moving_range_never_crashes():
    chart = spc.xmr_chart([5.0, 9.0, 20.0], baseline=np.array([True, False, False]))
    assert chart.signals.empty and np.isnan(chart.table[spc.UCL]).all()
    assert "too few to estimate the limits" in chart.warnings[0]


def test_xmr_constant_baseline_flags_any_other_value():
    chart = spc.xmr_chart([4.0] * 12 + [4.5], baseline=np.arange(13) < 12)
    assert chart.table[spc.SIGNAL].tolist() == [False] * 12 + [True]
    assert any("sigma is zero" in w for w in chart.warnings)


# --------------------------------------------------------------------------- p chart


def test_p_chart_matches_montgomery_example_7_2_varying_sample_sizes():
    assert sum(PO_SIZES) == 2450 and sum(PO_DEFECTIVES) == 234  # Montgomery Ex. 7.2 totals
    chart = attribute_charts.p_chart(PO_DEFECTIVES, PO_SIZES, revise=False)  # the example's trial limits
    t = chart.table
    assert chart.kind == "p"
    assert chart.centre == pytest.approx(234 / 2450)
    assert round(chart.centre, 3) == 0.096  # Montgomery Ex. 7.2: p-bar = 0.096
    # Montgomery: for n = 100, sigma = sqrt(0.096 x 0.904 / 100) = 0.029
    assert t.loc[t[spc.N] == 100, spc.SIGMA].iloc[0] == pytest.approx(0.029, abs=5e-4)
    # independent calculation, one day at a time
    p_bar = 234 / 2450
    for i, (d, n) in enumerate(zip(PO_DEFECTIVES, PO_SIZES, strict=True)):
        half = 3 * math.sqrt(p_bar * (1 - p_bar) / n)
        assert t[spc.VALUE].iloc[i] == pytest.approx(d / n)
        assert t[spc.UCL].iloc[i] == pytest.approx(p_bar + half)
        assert t[spc.LCL].iloc[i] == pytest.approx(max(p_bar - half, 0.0))
        assert t[spc.Z].iloc[i] == pytest.approx((d / n - p_bar) / (half / 3))
    # day 11: 20 / 110 = 0.1818 > UCL 0.0955 + 3 sqrt(0.0955 x 0.9045 / 110) = 0.1796 (by hand)
    assert chart.signals[spc.PERIOD].tolist() == [10]
    assert chart.signals[spc.RULES_FIRED].tolist() == ["beyond_limits"]


def test_p_chart_varying_limits_use_each_points_own_sigma():
    # p-bar = 0.1 (baseline 100 / 1000). A point of 0.14 is 1.33 sigma at n = 100, 4.2 sigma at n = 1000
    d = np.r_[np.full(10, 10), 14, 140]
    n = np.r_[np.full(10, 100), 100, 1000]
    chart = attribute_charts.p_chart(d, n, baseline=np.arange(12) < 10)
    t = chart.table
    assert t[spc.Z].iloc[10] == pytest.approx(0.04 / math.sqrt(0.1 * 0.9 / 100))
    assert t[spc.Z].iloc[11] == pytest.approx(0.04 / math.sqrt(0.1 * 0.9 / 1000))
    assert t[spc.SIGNAL].tolist() == [False] * 11 + [True]


def test_p_chart_zero_sample_size_is_a_gap_with_a_warning_and_limits_clip():
    chart = attribute_charts.p_chart([5, 0, 1, 6], [10, 0, 1, 10])
    t = chart.table
    assert np.isnan(t[spc.VALUE].iloc[1]) and not t[spc.SIGNAL].iloc[1]
    assert chart.centre == pytest.approx(12 / 21)
    assert t[spc.UCL].iloc[2] == 1.0 and t[spc.LCL].iloc[2] == 0.0  # n = 1: p-bar ± 1.48, clipped
    assert ("No data for 1 period (1): shown as a gap, left out of the limits, never a signal."
            in chart.warnings)


def test_p_chart_rejects_impossible_counts_naming_the_period():
    with pytest.raises(ParameterError, match=r"periods 2026-01-12"):
        attribute_charts.p_chart([1, 12], [10, 10], index=weeks(2))
    with pytest.raises(ParameterError, match="sample_sizes: has 1 values"):
        attribute_charts.p_chart([1, 2], [10])


def test_p_chart_baseline_without_cases_still_returns_a_chart():
    chart = attribute_charts.p_chart([0, 2, 3], [0, 10, 10], baseline=np.array([True, False, False]))
    assert np.isnan(chart.centre) and chart.signals.empty
    assert any("baseline has no cases" in w for w in chart.warnings)


# --------------------------------------------------------------------------- u chart


def test_u_chart_matches_montgomery_personal_computers():
    chart = attribute_charts.u_chart(PC_COUNTS, [5] * 20)
    t = chart.table
    assert chart.kind == "u"
    assert sum(PC_COUNTS) == 193  # 193 nonconformities in 100 computers
    assert chart.centre == pytest.approx(1.93)  # Montgomery (1991) p. 182: u-bar = 1.93
    assert t[spc.UCL].iloc[0] == pytest.approx(3.79, abs=5e-3)  # UCL = 3.79
    assert t[spc.LCL].iloc[0] == pytest.approx(0.07, abs=5e-3)  # LCL = 0.07
    assert chart.signals.empty  # all 20 samples inside the limits


def test_u_chart_matches_montgomery_dyed_cloth_with_varying_units():
    chart = attribute_charts.u_chart(CLOTH_COUNTS, CLOTH_UNITS)
    t = chart.table
    assert sum(CLOTH_COUNTS) == 153 and sum(CLOTH_UNITS) == 107.5
    assert round(chart.centre, 2) == 1.42  # Montgomery (1991) p. 184: u-bar = 153 / 107.5 = 1.42
    u_bar = 153 / 107.5
    for i, (c, n) in enumerate(zip(CLOTH_COUNTS, CLOTH_UNITS, strict=True)):  # by hand, roll by roll
        assert t[spc.VALUE].iloc[i] == pytest.approx(c / n)
        assert t[spc.UCL].iloc[i] == pytest.approx(u_bar + 3 * math.sqrt(u_bar / n))
        assert t[spc.LCL].iloc[i] == pytest.approx(max(u_bar - 3 * math.sqrt(u_bar / n), 0.0))
    assert t[spc.UCL].nunique() == 7  # one limit per distinct roll size
    assert chart.signals.empty  # every roll inside its own limits


def test_u_chart_lower_limit_clips_at_zero_and_zero_units_is_a_gap():
    chart = attribute_charts.u_chart([1, 0, 2], [1, 0, 1])
    t = chart.table
    assert t[spc.LCL].iloc[0] == 0.0  # 1.5 - 3 sqrt(1.5) < 0
    assert np.isnan(t[spc.VALUE].iloc[1])
    assert chart.warnings and "No data for 1 period (1)" in chart.warnings[0]


# --------------------------------------------------------------------------- run rules


def fires(z, rule):
    return np.flatnonzero(run_rules.detect(np.asarray(z, dtype=float), rules=[rule])[rule]).tolist()


def test_beyond_limits_is_strict():
    assert fires([0, 3.0, 3.01, -3.5, -3.0], "beyond_limits") == [2, 3]


def test_two_of_three_same_side():
    assert fires([2.5, 0, 2.5], "two_of_three") == [2]
    assert fires([2.5, 2.5], "two_of_three") == [1]  # two of the first three already
    assert fires([2.1, 2.1, 0.5], "two_of_three") == [1]  # fires on a point beyond 2 sigma only
    assert fires([2.5, -2.5, 0], "two_of_three") == []  # opposite sides
    assert fires([2.5, 0, 0, 2.5], "two_of_three") == []  # not within three
    assert fires([0, 2.0, 2.0], "two_of_three") == []  # exactly 2 sigma is not beyond


def test_four_of_five_same_side():
    assert fires([1.5, 1.5, 0, 1.5, 1.5], "four_of_five") == [4]
    assert fires([1.5, 1.5, 1.5, 0, 0, 1.5], "four_of_five") == []
    assert fires([-1.5, -1.5, -1.5, -1.5], "four_of_five") == [3]
    assert fires([1.5, 1.5, 1.5, -1.5, 1.5], "four_of_five") == [4]  # any four of the five
    assert fires([1.5, 1.5, -1.5, -1.5, 1.5], "four_of_five") == []


def test_eight_same_side_boundaries():
    assert fires([0.1] * 7, "eight_same_side") == []  # 7 in a row must not fire
    assert fires([0.1] * 8, "eight_same_side") == [7]
    assert fires([-0.1] * 9, "eight_same_side") == [7, 8]
    assert fires([0.1] * 4 + [0.0] + [0.1] * 4, "eight_same_side") == []  # on the line breaks the run
    assert fires([0.1] * 4 + [np.nan] + [0.1] * 4, "eight_same_side") == []  # a gap breaks the run


def test_nine_same_side_boundaries():
    assert fires([0.5] * 8, "nine_same_side") == []
    assert fires([0.5] * 9, "nine_same_side") == [8]


def test_six_trend_boundaries():
    assert fires([0, 0.1, 0.2, 0.3, 0.4], "six_trend") == []  # five increasing
    assert fires([0, 0.1, 0.2, 0.3, 0.4, 0.5], "six_trend") == [5]
    assert fires([2, 1.5, 1, 0.5, 0, -0.5, -1], "six_trend") == [5, 6]
    assert fires([0, 0.1, 0.2, 0.2, 0.3, 0.4, 0.5], "six_trend") == []  # a tie breaks the trend


def test_fourteen_alternating_boundaries():
    zigzag = [0.5 * (-1) ** i for i in range(14)]
    assert fires(zigzag[:13], "fourteen_alternating") == []
    assert fires(zigzag, "fourteen_alternating") == [13]
    assert fires(zigzag[:7] + [zigzag[6]] + zigzag[7:], "fourteen_alternating") == []  # a repeat breaks it


def test_fifteen_within_one_sigma_boundaries():
    assert fires([0.5] * 14, "fifteen_within_one_sigma") == []
    assert fires([0.5, -0.5] * 7 + [0.9], "fifteen_within_one_sigma") == [14]
    assert fires([0.5] * 7 + [1.0] + [0.5] * 7, "fifteen_within_one_sigma") == []  # 1 sigma is not within


def test_eight_outside_one_sigma_boundaries():
    assert fires([1.5, -1.5] * 3 + [1.5], "eight_outside_one_sigma") == []  # seven
    assert fires([1.5, -1.5] * 4, "eight_outside_one_sigma") == [7]
    assert fires([1.5, -1.5, 0.5] * 3, "eight_outside_one_sigma") == []


def test_rule_sets_and_registry():
    assert spc.DEFAULT_RULES == ("beyond_limits", "two_of_three", "four_of_five", "eight_same_side")
    assert spc.resolve_rules("western_electric") == spc.DEFAULT_RULES
    assert len(spc.resolve_rules("nelson")) == 8
    assert set(spc.resolve_rules(["nelson", "western_electric"])) == set(run_rules.RULES)
    assert all(run_rules.RULES[name].endswith(".") for name in run_rules.RULES)


def test_unknown_rule_suggests_the_closest_name():
    with pytest.raises(ParameterError, match="Did you mean 'four_of_five'"):
        run_rules.detect(np.zeros(5), rules=["beyond_limits", "for_of_five"])
    with pytest.raises(ParameterError, match="unknown control-chart rule"):
        spc.xmr_chart([1.0, 2.0], rules=["zzz"])


def test_detect_on_many_series_matches_one_at_a_time():
    z = np.random.default_rng(11).normal(0, 1.3, size=(40, 52))
    many = spc.detect_array(z, rules="nelson")
    for row in range(0, 40, 13):
        one = run_rules.detect(z[row], rules="nelson")
        for name in one:
            assert (many[name][row] == one[name].to_numpy()).all()
    table = run_rules.detect(z, rules="nelson")
    assert table.shape == (40 * 52, 8) and table.index.names == ["series", "point"]


def test_false_alarm_rate_of_beyond_limits_matches_the_normal_tail():
    # by hand: P(|Z| > 3) = 0.0027 per point, so 1 - (1 - 0.0027)^52 = 0.131 of 52-point series alarm
    z = np.random.default_rng(5).standard_normal((20000, 52))
    rate = spc.detect_array(z, rules=["beyond_limits"])["beyond_limits"].any(axis=1).mean()
    expected = 1 - (1 - 2 * stats.norm.sf(3)) ** 52
    assert rate == pytest.approx(expected, abs=4 * math.sqrt(expected * (1 - expected) / 20000))


def test_z_scores_with_zero_sigma():
    z = spc.z_scores(np.array([1.0, 2.0, 0.0, np.nan]), centre=1.0, sigma=0.0)
    assert z[0] == 0 and z[1] == np.inf and z[2] == -np.inf and np.isnan(z[3])


# --------------------------------------------------------------------------- result object


def shifted_chart() -> spc.ControlChart:
    values = np.r_[[10.0, 11, 9, 10, 11, 9, 10, 10, 11, 9, 10, 10], [13.0] * 8, 10, 20]
    return spc.xmr_chart(values, index=weeks(len(values)), baseline=np.arange(len(values)) < 12)


def test_table_columns_and_comma_joined_rules():
    chart = shifted_chart()
    t = chart.table
    assert list(t.columns) == [spc.PERIOD, spc.VALUE, spc.CENTRE, spc.LCL, spc.UCL, spc.SIGMA, spc.Z,
                               spc.MOVING_RANGE, spc.MR_UCL, spc.IN_BASELINE, spc.SET_ASIDE,
                               spc.SIGNAL, spc.RULES_FIRED]
    # baseline mean 10, mean moving range 12/11, sigma 0.967: 13 is 3.1 sigma, beyond the limit
    assert t[spc.RULES_FIRED].iloc[12] == "beyond_limits"
    assert t[spc.RULES_FIRED].iloc[13] == "beyond_limits, two_of_three"
    assert t[spc.RULES_FIRED].iloc[15] == "beyond_limits, two_of_three, four_of_five"
    assert t[spc.RULES_FIRED].iloc[19] == "beyond_limits, two_of_three, four_of_five, eight_same_side"
    assert (t[spc.SIGNAL] == (t[spc.RULES_FIRED] != "")).all()
    assert chart.signals.index.tolist() == [*range(12, 20), 21]
    assert "n" not in t.columns and spc.N in attribute_charts.p_chart([1], [2]).table.columns


def test_signals_summary_lists_runs_with_dates():
    chart = shifted_chart()
    summary = spc.signals_summary(chart, metric="abandonment_rate")
    assert list(summary.columns) == ["metric", "first_period", "last_period", "points", "rules", "direction",
                                    "meaning"]
    labels = chart.table[spc.PERIOD]
    first = summary.iloc[0]
    assert (first["first_period"], first["last_period"], first["points"]) == (labels[12], labels[19], 8)
    assert first["rules"] == "beyond_limits, two_of_three, four_of_five, eight_same_side"
    assert first["direction"] == "above" and summary.iloc[1]["first_period"] == labels[21]
    assert (summary["metric"] == "abandonment_rate").all() and len(summary) == 2
    quiet = spc.signals_summary(spc.xmr_chart(NIST_FLOWRATE), metric="x")
    assert quiet.empty and "first_period" in quiet.columns


def test_plot_draws_limits_baseline_and_signals_and_returns_the_axes():
    chart = attribute_charts.p_chart(PO_DEFECTIVES, PO_SIZES, index=weeks(25))
    fig, ax = plt.subplots()
    out = chart.plot(ax=ax, title="Orders with errors", ylabel="Share")
    assert out is ax and ax.get_title() == "Orders with errors" and ax.get_ylabel().startswith("Share")
    signal_marks = [col for col in ax.collections
                    if len(col.get_offsets()) and len(col.get_facecolor())
                    and mcolors.same_color(col.get_facecolor()[0], PALETTE[3])]
    assert len(signal_marks) == 1 and len(signal_marks[0].get_offsets()) == 1
    labels = [line.get_label() for line in ax.get_lines()]
    assert {"Control limits", "Centre line", "Value"} <= set(labels)
    ucl_line = next(line for line in ax.get_lines() if line.get_label() == "Control limits")
    assert len(set(np.round(ucl_line.get_ydata(), 9))) > 1  # varying limits drawn as steps
    plt.close(fig)
    fig = spc.xmr_chart([1.0, 2.0, 1.5], index=["Q1", "Q2", "Q3"]).plot().figure
    plt.close(fig)


def test_repr_html_summarises_and_escapes_warnings():
    chart = spc.xmr_chart([1.0, 2.0, 1.5, 9.0], index=["<b>w1</b>", "w2", "w3", "w4"])
    text = chart._repr_html_()
    assert "Individuals (XmR) chart" in text and "4 points" in text
    assert "limits are rough" in text and "<b>w1</b>" not in text
    assert "signal" in shifted_chart()._repr_html_() and "rules fired" in shifted_chart()._repr_html_()


def test_bad_baseline_and_index_arguments_say_how_to_fix():
    with pytest.raises(ParameterError, match="a mask must be 3 True/False values"):
        spc.xmr_chart([1.0, 2.0, 3.0], baseline=[True, False])
    with pytest.raises(ParameterError, match=r"\(start, end\)"):
        spc.xmr_chart([1.0, 2.0, 3.0], baseline=(0, 1, 2))
    with pytest.raises(ParameterError, match="one label per point"):
        spc.xmr_chart([1.0, 2.0, 3.0], index=["a", "b"])
    with pytest.raises(ParameterError, match="cannot compare"):
        spc.xmr_chart([1.0, 2.0, 3.0], index=weeks(3), baseline=(5, 7))


def test_laney_p_prime_chart_by_hand():
    """Laney (2002), Quality Engineering 14:531-537: sigma_z = mean |z_i - z_(i-1)| / 1.128 of
    the baseline z-scores z_i = (p_i - p_bar) / sqrt(p_bar (1 - p_bar) / n_i); the p' limits are
    p_bar +/- 3 sigma_z sqrt(p_bar (1 - p_bar) / n_i). Hand calculation on four periods."""
    import math

    from ccreview.stats.attribute_charts import laney_sigma_z, p_chart

    d, n = [100, 150, 80, 135], [1000, 1000, 1000, 1000]
    p_bar = 465 / 4000  # 0.11625
    sd = math.sqrt(p_bar * (1 - p_bar) / 1000)  # 0.010136...; classic UCL 0.1467 < 0.150
    z = [(0.100 - p_bar) / sd, (0.150 - p_bar) / sd, (0.080 - p_bar) / sd, (0.135 - p_bar) / sd]
    sigma_z = (abs(z[1] - z[0]) + abs(z[2] - z[1]) + abs(z[3] - z[2])) / 3 / 1.128
    # = (0.05 + 0.07 + 0.055) / 3 / sd / 1.128 = 5.10...: these periods move far more than
    # binomial sampling of 1,000 cases explains
    assert sigma_z == pytest.approx(0.175 / 3 / sd / 1.128)
    chart = p_chart(d, n, laney=True)
    assert laney_sigma_z(chart.table["value"].to_numpy(), p_bar, np.full(4, sd),
                         np.ones(4, bool)) == pytest.approx(sigma_z)
    assert chart.table["ucl"].iloc[0] == pytest.approx(p_bar + 3 * sigma_z * sd)
    assert chart.table["lcl"].iloc[0] == pytest.approx(max(p_bar - 3 * sigma_z * sd, 0))  # clipped at 0
    classic = p_chart(d, n)
    assert classic.table["signal"].any() and not chart.table["signal"].any()
    # "auto" never narrows: under-dispersed periods keep the classic limits
    even = p_chart([116, 117, 116, 116], n, laney="auto")
    p_even = 465 / 4000
    assert even.table["ucl"].iloc[0] == pytest.approx(p_even + 3 * math.sqrt(p_even * (1 - p_even) / 1000))


def test_false_signal_rate_matches_the_normal_tail_by_hand():
    """One rule, "a point beyond 3 sigma": per point 2 x (1 - Phi(3)) = 0.0027 (normal
    table), so over 13 independent weeks 1 - (1 - 0.0027)^13 = 0.0345."""
    from scipy.stats import norm

    from ccreview.stats.run_rules import false_signal_rate

    per_point = 2 * norm.sf(3)
    assert per_point == pytest.approx(0.0027, abs=1e-4)
    quarter = false_signal_rate("beyond_limits", points=13, replicates=200_000, seed=3)
    assert quarter == pytest.approx(1 - (1 - per_point) ** 13, abs=0.002)
    assert false_signal_rate("western_electric", points=13) > quarter  # more rules, more alarms
    assert false_signal_rate("beyond_limits", points=0) == 0.0


def test_a_time_has_no_negative_lower_limit():
    from ccreview.stats.control_charts import xmr_chart

    values = [1.0, 9.0, 1.0, 9.0, 1.0, 9.0, 1.0, 9.0, 1.0, 9.0, 1.0, 9.0]
    free, floored = xmr_chart(values), xmr_chart(values, floor=0.0)
    # centre 5, MR-bar 8, sigma 8 / 1.128 = 7.09: 5 - 3 x 7.09 < 0
    assert free.table["lcl"].iloc[0] == pytest.approx(5 - 3 * 8 / 1.128)
    assert (floored.table["lcl"] == 0).all()
    assert (floored.table["ucl"] == free.table["ucl"]).all()


def test_a_signal_run_that_crosses_the_centre_is_two_runs_each_with_its_meaning():
    """Three weeks far below then three far above, back to back: before, one run "both
    sides"; now a run below (worse, for a share where higher is better) and one above."""
    from ccreview.stats.control_charts import signals_summary, xmr_chart

    base = [10.0, 10.2, 9.8, 10.1, 9.9, 10.0, 10.2, 9.8, 10.1, 9.9, 10.0, 10.1]
    chart = xmr_chart(base + [5.0, 5.0, 5.0, 15.0, 15.0, 15.0], baseline=[True] * 12 + [False] * 6)
    runs = signals_summary(chart, metric="m", better="higher")
    assert runs["direction"].tolist() == ["below", "above"]
    assert runs["meaning"].tolist() == ["worse", "better"]
    assert runs["points"].tolist() == [3, 3]
    assert signals_summary(chart, metric="m")["meaning"].tolist() == ["", ""]


# ------------------------------------------------------------------ phase I, weekday groups, gaps

def test_phase_one_limits_are_revised_without_the_baseline_points_beyond_them():
    # 15 ordinary weeks and one outage week (40): trial limits from all 16, then revised from 15
    values = np.array([10, 11, 9, 10, 12, 10, 9, 11, 10, 10, 40, 11, 9, 10, 11, 10], dtype=float)
    trial = spc.xmr_chart(values, revise=False)
    revised = spc.xmr_chart(values)
    assert revised.table[spc.SET_ASIDE].tolist() == [i == 10 for i in range(16)]
    # by hand, without week 11: mean of the other 15; moving ranges only between neighbours that
    # both set the limits (the two next to the outage are lost)
    rest = np.delete(values, 10)
    pairs = [abs(values[i] - values[i - 1]) for i in range(1, 16) if 10 not in (i, i - 1)]
    assert revised.centre == pytest.approx(rest.mean())
    assert revised.table[spc.UCL].iloc[0] == pytest.approx(rest.mean() + 3 * np.mean(pairs) / 1.128)
    assert revised.table[spc.UCL].iloc[0] < trial.table[spc.UCL].iloc[0]
    assert revised.table[spc.SIGNAL].iloc[10]
    assert any("re-estimated without 1 baseline point" in w or "re-estimated without 1 baseline" in w
               for w in revised.warnings)


def test_revision_never_sets_aside_more_than_a_quarter_of_the_baseline():
    values = np.r_[np.full(8, 10.0) + np.tile([0, 1], 4), np.full(8, 30.0) + np.tile([0, 1], 4)]
    chart = spc.xmr_chart(values)
    assert chart.table[spc.SET_ASIDE].sum() <= 4


def test_daily_chart_gives_each_weekday_its_own_centre_line():
    # 12 weeks of days: Mondays twice a Sunday's volume, Poisson noise
    rng = np.random.default_rng(3)
    days = pd.date_range("2026-01-05", periods=84, freq="D")
    factor = np.array([2.0, 1.5, 1.4, 1.4, 1.3, 0.8, 1.0])[days.weekday]
    counts = rng.poisson(100 * factor)
    plain = attribute_charts.u_chart(counts, np.ones(84), index=days, revise=False)
    grouped = attribute_charts.u_chart(counts, np.ones(84), index=days, groups=days.weekday, revise=False)
    # the weekday cycle alone makes the plain chart signal on most Mondays and Saturdays
    assert plain.table[spc.SIGNAL].sum() > 20
    assert grouped.table[spc.SIGNAL].sum() <= 6  # the rules' own false signals over 84 days
    # each weekday's centre is its own pooled rate, by hand
    for weekday in range(7):
        mask = days.weekday == weekday
        assert grouped.table.loc[mask, spc.CENTRE].iloc[0] == pytest.approx(counts[mask].mean())
    assert any("Each weekday has its own centre line" in w for w in grouped.warnings)


def test_points_not_shown_are_gaps_and_dropped():
    values = np.r_[np.full(12, 10.0) + np.tile([0, 1], 6), np.full(4, np.nan), np.full(6, 12.0)]
    shown = np.r_[np.ones(12, bool), np.zeros(4, bool), np.ones(6, bool)]
    chart = spc.xmr_chart(values, baseline=np.r_[np.ones(12, bool), np.zeros(10, bool)], shown=shown)
    assert len(chart.table) == 18
    assert not any("No data" in w for w in chart.warnings)  # the weeks left off are not "missing"


def test_a_quiet_week_is_a_low_count_but_a_week_the_export_lost_is_a_gap():
    from ccreview.review.comparisons import metric_chart

    tz = "Europe/London"
    days = pd.date_range("2026-07-06", periods=28, freq="D")
    # 5 incidents a day, except five quiet days in week 1 (other tables had rows on them)
    # and week 4, which the export lost entirely
    counts = [0 if (i < 7 and i > 1) or i >= 21 else 5 for i in range(28)]
    at = pd.DatetimeIndex([d + pd.Timedelta(hours=10) for d, k in zip(days, counts, strict=True)
                           for _ in range(k)]).tz_localize(tz)
    obs = pd.DataFrame({"at": at, "numerator": 1.0, "denominator": 1.0})
    start, end = pd.Timestamp("2026-07-06", tz=tz), pd.Timestamp("2026-08-03", tz=tz)
    covered = days[:21]  # the days any table of the run has a row on
    chart = metric_chart(obs, metric="incidents_opened", start=start, end=end, baseline=(start, end),
                         data_days=covered)
    t = chart.table.set_index("period")
    assert t.loc["2026-07-06", "value"] == pytest.approx(10 / 7)  # per day, quiet days counted
    assert t.loc["2026-07-13", "value"] == pytest.approx(5.0)
    assert np.isnan(t.loc["2026-07-27", "value"]) and not t.loc["2026-07-27", "signal"]
    assert any("No data for 1 week (27 Jul 2026)" in w for w in chart.warnings)


@pytest.mark.slow
def test_the_reports_chance_statement_matches_what_the_charts_do_on_stable_data():
    """Honest verdicts for the control charts: on seeded stable series, as the review charts
    them (limits estimated from the baseline, Laney widening, phase-I revision, a centre per
    weekday on daily charts), the share of charts with a signal in the period is what the
    report's chance sentence states (false_signal_rate with estimated limits), within
    Monte-Carlo error; with known limits the sentence would understate it by half."""
    from ccreview.stats.run_rules import DEFAULT_RULES, false_signal_rate

    rng = np.random.default_rng(11)
    replicates = 300
    weekly = 0
    for _ in range(replicates):  # 26 baseline weeks, 13 judged: a quarter against half a year
        p = np.clip(0.08 * np.exp(rng.normal(0, 0.08, 39)), 0, 1)
        n = rng.integers(900, 1100, 39)
        chart = attribute_charts.p_chart(rng.binomial(n, p), n, baseline=np.arange(39) < 26, laney="auto")
        weekly += bool(chart.table[spc.SIGNAL].to_numpy()[26:].any())
    stated = false_signal_rate(DEFAULT_RULES, points=13, baseline_points=26)
    assert abs(weekly / replicates - stated) <= 0.06, (weekly / replicates, stated)
    assert weekly / replicates > false_signal_rate(DEFAULT_RULES, points=13) + 0.05
    days = pd.date_range("2026-01-05", periods=182, freq="D")
    factor = np.array([1.3, 1.1, 1.0, 1.0, 0.9, 0.5, 0.4])[days.day_of_week]
    daily = 0
    for _ in range(replicates // 2):
        counts = rng.poisson(200 * factor * np.exp(rng.normal(0, 0.05, 182)))
        chart = attribute_charts.u_chart(counts, np.ones(182), index=days, baseline=np.arange(182) < 91,
                                         groups=days.day_of_week, laney="auto")
        daily += bool(chart.table[spc.SIGNAL].to_numpy()[91:].any())
    stated = false_signal_rate(DEFAULT_RULES, points=91, baseline_points=91, groups=7)
    assert abs(daily / (replicates // 2) - stated) <= 0.08, (daily / (replicates // 2), stated)
