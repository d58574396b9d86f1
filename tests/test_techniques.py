"""Month-on-month RAG against control charts: false alarms and detection by resampling.

References
----------
* Montgomery, Introduction to Statistical Quality Control, 6th ed. (2009), section 5.3.3:
  with 3-sigma limits a point falls outside with probability 0.0027 when nothing has
  changed, ARL0 = 1/0.0027 = 370; one limit alone is crossed with 0.00135.
* Champ & Woodall (1987), "Exact results for Shewhart control charts with supplementary
  runs rules", Technometrics 29:393-399 (not JASA): the four Western Electric rules together
  have an in-control ARL of 91.75 (zero-state, Markov chain).
* Hand calculations with the standard normal table: P(Z > 0) = 0.5 (a 3-sigma shift puts
  the mean on the limit), Φ(1) = 0.8413 (a 2-sigma shift leaves 1 sigma to the limit).
"""

from __future__ import annotations

import json

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from ccreview.exceptions import ParameterError, SchemaError
from ccreview.stats import attribute_charts
from ccreview.stats import control_charts as spc
from ccreview.stats import technique_signals as ts
from ccreview.stats import techniques as t


@pytest.fixture(scope="module")
def normal_runs() -> np.ndarray:
    """4,000 runs of 1,200 i.i.d. standard normal weeks (4.8 million points)."""
    return np.random.default_rng(20260701).normal(size=(4000, 1200))


def _weekly(values, n=None, numerator=None, start="2025-10-06") -> pd.DataFrame:
    values = np.asarray(values, dtype=float)
    frame = pd.DataFrame({"period_start": pd.date_range(start, periods=len(values), freq="7D"),
                          "value": values, "n": np.full(len(values), 100.0) if n is None else n})
    if numerator is not None:
        frame["numerator"] = numerator
        frame["denominator"] = frame["n"]
    return frame


# --------------------------------------------------------------------------- the chart's false alarms


def test_beyond_limits_false_alarm_rate_per_week_is_0_0027(normal_runs):
    # limits from each run's own 1,200 weeks: close to known limits
    both = t.chart_signals(normal_runs, chart="xmr", baseline_weeks=1200, rules="beyond_limits")
    assert both.mean() == pytest.approx(0.0027, abs=1.5e-4)  # Montgomery (2009) 5.3.3: 0.0027
    worse = t.chart_signals(normal_runs, chart="xmr", baseline_weeks=1200, rules="beyond_limits",
                            better="lower")
    assert worse.mean() == pytest.approx(0.00135, abs=1e-4)  # one limit: 1 - Φ(3) = 0.00135
    assert not (worse & (normal_runs < 0)).any()  # only the worse (upper) side counts


def test_western_electric_in_control_arl_is_91_75(normal_runs):
    fired = t.chart_signals(normal_runs, chart="xmr", baseline_weeks=1200, rules="western_electric")
    assert fired.any(axis=1).all()
    run_length = np.argmax(fired, axis=1) + 1  # week of the first signal, counted from 1
    # Champ & Woodall (1987): ARL0 = 91.75 for rules 1-4 together; the standard error of the
    # mean of 4,000 run lengths is about 1.5, so 5 is over three standard errors
    assert run_length.mean() == pytest.approx(91.75, abs=5)
    # beyond_limits alone would give about 370 (Montgomery 2009): the rules really are combined
    assert run_length.mean() < 150


def test_chart_signals_limits_by_hand():
    # XmR: baseline 10, 12, 10, 12 -> centre 11, mean moving range 2, sigma 2 / 1.128 = 1.773,
    # UCL = 11 + 3 × 1.773 = 16.32 (by hand, d2 = 1.128 from Montgomery 2009 Appendix VI)
    x = np.array([[10, 12, 10, 12, 16.4], [10, 12, 10, 12, 16.3]])
    fired = t.chart_signals(x, chart="xmr", baseline_weeks=4, rules="beyond_limits")
    assert fired[:, -1].tolist() == [True, False]
    # p chart: baseline 10/100 each week -> p-bar 0.1, sigma sqrt(0.1 × 0.9 / 100) = 0.03,
    # UCL 0.19 (strict: 19/100 sits on the limit and does not fire); 20/100 has z = 3.33
    counts = np.array([[10, 10, 10, 10, 20], [10, 10, 10, 10, 19]])
    fired = t.chart_signals(counts, chart="p", baseline_weeks=4, sizes=np.full((2, 5), 100.0),
                            rules="beyond_limits")
    assert fired[:, -1].tolist() == [True, False]


@pytest.mark.parametrize("chart", ["xmr", "p", "u"])
def test_chart_signals_agree_with_spc_charts(chart):
    rng = np.random.default_rng(3)
    n = rng.integers(200, 400, size=40).astype(float)
    events = rng.binomial(n.astype(int), 0.1).astype(float)
    events[30:] += 25  # a shift for the rules to find
    baseline = np.arange(40) < 12
    if chart == "xmr":
        expected = spc.xmr_chart(events, baseline=baseline, rules="nelson").table["signal"]
        got = t.chart_signals(events[None], chart="xmr", baseline_weeks=12, rules="nelson")
    else:
        maker = attribute_charts.p_chart if chart == "p" else attribute_charts.u_chart
        expected = maker(events, n, baseline=baseline, rules="nelson").table["signal"]
        got = t.chart_signals(events[None], chart=chart, baseline_weeks=12, sizes=n[None], rules="nelson")
    assert expected.any()
    assert got[0].tolist() == expected.tolist()


def test_one_sided_chart_ignores_improvement():
    x = np.r_[np.tile([10.0, 12.0], 6), [2.0, 2.0, 2.0]][None]  # a big fall in the last weeks
    assert t.chart_signals(x, chart="xmr", baseline_weeks=12, better="neither")[0, 12:].all()
    assert not t.chart_signals(x, chart="xmr", baseline_weeks=12, better="lower").any()
    assert t.chart_signals(x, chart="xmr", baseline_weeks=12, better="higher")[0, 12:].all()


# --------------------------------------------------------------------------- the RAG comparison


def test_rag_status_by_hand():
    # months of 4 equal weeks: 100, 110 (10% worse), 113.3 (3% worse), 114.4 (1% worse), 100 (better)
    months = np.array([100.0, 110.0, 113.3, 114.433, 100.0])
    weekly = np.repeat(months, 4)[None]
    status = t.rag_status(weekly, better="lower", threshold=0.05)
    assert status.tolist() == [[t.RED, t.AMBER, ts.GREEN, ts.GREEN]]
    # when higher is better, only the fall of 12.6% is worse than 5%
    assert t.rag_status(weekly, better="higher").tolist() == [[ts.GREEN, ts.GREEN, ts.GREEN, t.RED]]
    # either way counts when neither direction is better
    assert t.rag_status(weekly, better="neither").tolist() == [[t.RED, t.AMBER, ts.GREEN, t.RED]]


def test_rag_threshold_is_strict_and_months_pool_cases():
    # exactly 1/16 worse (exact in binary) is not *more than* a threshold of 1/16: AMBER
    weekly = np.repeat([1.0, 1.0625], 4)[None]
    assert t.rag_status(weekly, better="lower", threshold=0.0625).tolist() == [[t.AMBER]]
    # a share month is Σ events / Σ cases (by hand): 40/400 = 0.100, then 43/400 = 0.1075, 7.5% worse:
    # RED; the plain mean of the weekly shares, (0.1 × 3 + 37/340) / 4 = 0.1022, is only 2.2% worse
    events = np.array([[10, 10, 10, 10, 2, 2, 2, 37]], dtype=float)
    cases = np.array([[100, 100, 100, 100, 20, 20, 20, 340]], dtype=float)
    assert t.rag_status(events, sizes=cases, better="lower").tolist() == [[t.RED]]
    assert t.rag_status(events / cases, better="lower").tolist() == [[ts.GREEN]]
    with pytest.raises(ParameterError, match="4-week months"):
        t.rag_status(np.ones((1, 10)), better="lower")


# --------------------------------------------------------------------------- stable weeks


def test_stable_weeks_leaves_out_windows_and_empty_weeks():
    weekly = _weekly(np.arange(10.0), start="2026-07-27")  # Mondays 27 Jul ... 28 Sep
    weekly.loc[9, "n"] = 0
    mask = ts.stable_weeks(weekly, exclude=[("2026-08-10", "2026-08-30"), ("2026-09-16", "2026-09-16")])
    # 10, 17, 24 Aug are in the degraded period; 16 Sep is in the week of 14 Sep; 28 Sep has no cases
    assert weekly.loc[~mask, "period_start"].dt.strftime("%d %b").tolist() == [
        "10 Aug", "17 Aug", "24 Aug", "14 Sep", "28 Sep"]
    # the window 9-10 Aug touches the weeks of 3 Aug (a Sunday) and 10 Aug (a Monday); only weeks
    # over by 7 Sep (exclusive) are kept: the week of 31 Aug is the last
    mask = ts.stable_weeks(weekly, exclude=[("2026-08-09", "2026-08-10")], end="2026-09-07")
    assert mask.tolist() == [True, False, False, True, True, True, False, False, False, False]
    with pytest.raises(ParameterError, match="ends before it starts"):
        ts.stable_weeks(weekly, exclude=[("2026-08-30", "2026-08-10")])
    with pytest.raises(SchemaError):
        ts.stable_weeks(weekly.drop(columns="value"))


# --------------------------------------------------------------------------- the comparison


@pytest.fixture(scope="module")
def normal_weekly() -> pd.DataFrame:
    """5,000 i.i.d. standard normal weeks, all stable."""
    return _weekly(np.random.default_rng(11).normal(size=5000))


def test_three_sigma_shift_is_found_in_its_first_week_half_the_time(normal_weekly):
    result = t.technique_comparison(normal_weekly, kind="score", better="lower",
                                    stable=np.ones(5000, dtype=bool), rules="beyond_limits",
                                    shift_sigmas=(2.0, 3.0), baseline_weeks=2000, n_sim=2000, seed=1)
    delays = result.delays
    chart = delays[delays["technique"] == t.CHART]
    first_week = (chart.loc[chart["shift_sigmas"] == 3.0, "delay_weeks"] == 1).mean()
    assert first_week == pytest.approx(0.5, abs=0.04)  # P(Z > 3 - 3) = 0.5
    # a 2-sigma shift: each week signals with 1 - Φ(1) = 0.1587; within 12 weeks 1 - 0.8413^12 = 0.874
    # (limits from 2,000 baseline weeks are close to known ones; with 200 weeks their own error
    # lowers the rate to about 0.86; the simulation's standard error is 0.007)
    row = result.table.set_index("technique").loc[t.CHART]
    assert row["detection_rate_2sd"] == pytest.approx(0.874, abs=0.03)
    assert row["detection_rate_3sd"] > row["detection_rate_2sd"]
    # RAG alarms come at month ends: never before 1 week, never found in a month it had not reached
    rag = delays[delays["technique"] == t.RAG]["delay_weeks"].dropna()
    assert rag.min() >= 1 and rag.max() <= 4 * 6


def test_planted_shift_on_a_share_moves_cases_in_the_worse_direction():
    rng = np.random.default_rng(5)
    n = rng.integers(6000, 7500, size=60).astype(float)
    events = rng.binomial(n.astype(int), 0.6).astype(float)
    weekly = _weekly(events / n, n=n, numerator=events)
    higher = t.technique_comparison(weekly, kind="proportion", better="higher", stable=np.ones(60, bool),
                                    n_sim=500, shift_sigmas=(3.0,))
    assert higher.settings["chart"] == "p"
    assert higher.table.set_index("technique").loc[t.CHART, "detection_rate_3sd"] > 0.9
    assert higher.settings["weekly_sd"] == pytest.approx(np.std(events / n, ddof=1))


def test_same_seed_same_result_and_seed_matters(normal_weekly):
    stable = np.ones(len(normal_weekly), dtype=bool)
    one, two = (t.technique_comparison(normal_weekly, kind="duration", better="lower", stable=stable,
                                       n_sim=300, seed=4) for _ in range(2))
    pd.testing.assert_frame_equal(one.table, two.table)
    pd.testing.assert_frame_equal(one.delays, two.delays)
    other = t.technique_comparison(normal_weekly, kind="duration", better="lower", stable=stable,
                                   n_sim=300, seed=5)
    assert not one.delays.equals(other.delays)


def test_recommendation_quotes_the_table():
    rng = np.random.default_rng(8)
    n = rng.integers(6000, 7500, size=52).astype(float)
    events = rng.binomial(n.astype(int), 0.07).astype(float)
    result = t.technique_comparison(_weekly(events / n, n=n, numerator=events), kind="proportion",
                                    better="lower", stable=np.ones(52, bool), n_sim=1000)
    rows = result.table.set_index("technique")
    for technique in (t.CHART, t.RAG):
        assert t._pct(rows.loc[technique, "false_alarms_per_month"]) in result.recommendation
        assert t._pct(rows.loc[technique, "detection_rate_2sd"]) in result.recommendation
    assert result.recommendation.startswith("Trust the control chart")
    assert result.trusted == t.CHART  # the verdict is a field, not only a sentence


def test_few_stable_weeks_and_short_stretches_warn():
    weekly = _weekly(np.random.default_rng(2).normal(size=20))
    stable = np.zeros(20, dtype=bool)
    stable[[0, 2, 4, 6, 8, 10, 12, 14]] = True  # eight stable weeks, none next to another
    result = t.technique_comparison(weekly, kind="score", better="higher", stable=stable, n_sim=100)
    assert any("Only 8 stable weeks" in w for w in result.warnings)
    assert any("resampled one by one" in w for w in result.warnings)
    assert result.settings["block_weeks"] == 1


def test_bad_inputs_raise_with_the_fix():
    weekly = _weekly(np.arange(30.0))
    with pytest.raises(ParameterError, match="one per week"):
        t.technique_comparison(weekly, kind="score", better="lower", stable=np.ones(5, bool))
    with pytest.raises(SchemaError, match="numerator"):
        t.technique_comparison(weekly, kind="proportion", better="lower", stable=np.ones(30, bool))
    with pytest.raises(ParameterError, match="better"):
        t.technique_comparison(weekly, kind="score", better="up", stable=np.ones(30, bool))
    with pytest.raises(ParameterError, match="detect_within"):
        t.technique_comparison(weekly, kind="score", better="lower", stable=np.ones(30, bool), months=2)
    with pytest.raises(ParameterError, match="unknown control-chart rule"):
        t.technique_comparison(weekly, kind="score", better="lower", stable=np.ones(30, bool),
                               rules="western")


def test_plot_and_html(normal_weekly):
    result = t.technique_comparison(normal_weekly, kind="score", better="lower",
                                    stable=np.ones(len(normal_weekly), bool), n_sim=200)
    fig, ax = plt.subplots()
    assert result.plot(ax=ax) is ax
    assert len(ax.patches) == 2 * 4  # two techniques × (2 false-alarm measures + 2 shifts)
    plt.close(fig)
    page = result._repr_html_()
    assert "Trust" in page and "XmR chart (Western Electric rules)" in page
    assert "<table" in page


# --------------------------------------------------------------------------- the centre's own data


@pytest.fixture(scope="module")
def demo_review(demo_dir, tmp_path_factory):
    from ccreview.review.review import open_review
    from tests.conftest import make_params

    return open_review(make_params(tmp_path_factory.mktemp("techniques"), demo_dir))


def test_demo_chart_raises_fewer_false_alarms_than_rag(demo_review, demo_dir):
    from ccreview.kpis.catalogue import METRICS
    from ccreview.kpis.compute import kpi_series

    truth = json.loads((demo_dir / "truth.json").read_text())
    zone = truth["timezone"]
    weekly = kpi_series(demo_review.observations("abandonment_rate"), metric="abandonment_rate",
                        start=pd.Timestamp(truth["start"], tz=zone), end=pd.Timestamp(truth["end"], tz=zone))
    # stable: no major-incident surge, nothing after the billing change C-001 (a real fall in
    # abandonment), which also leaves the degraded period of August out
    surges = [(m["declared_at"][:10],) * 2 for m in truth["major_incidents"]]
    change = truth["changes"]["C-001"]["implemented_on"]
    stable = ts.stable_weeks(weekly, exclude=[*surges, (change, truth["end"])])
    assert stable.sum() >= ts.MIN_STABLE_WEEKS
    metric = METRICS["abandonment_rate"]
    result = t.technique_comparison(weekly, kind=metric.kind, better=metric.better, stable=stable)
    rows = result.table.set_index("technique")
    assert rows.loc[t.CHART, "false_alarms_per_month"] < rows.loc[t.RAG, "false_alarms_per_month"]
    assert rows.loc[t.CHART, "runs_with_false_alarm"] < rows.loc[t.RAG, "runs_with_false_alarm"]
    assert not result.warnings
