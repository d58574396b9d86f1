"""KPI targets judged with their interval, and projected to their due date (#17), against hand
calculations and statsmodels' OLS prediction intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from ccreview.exceptions import ParameterError
from ccreview.kpis.strategy import AT_RISK, MET, NOT_MET, project_to_target, target_status


def test_targets_are_judged_with_their_interval():
    frame = pd.DataFrame({
        "value": [0.82, 0.79, 0.72, 0.071, 0.075, 0.05, 0.6],
        "ci_low": [0.80, 0.77, 0.70, 0.066, 0.072, 0.04, np.nan],
        "ci_high": [0.84, 0.81, 0.75, 0.076, 0.079, 0.06, np.nan],
        "target": [0.80, 0.80, 0.80, 0.07, 0.07, np.nan, 0.5],
        "direction": ["higher"] * 3 + ["lower"] * 4})
    out = target_status(frame)
    # service level .82 (.80-.84) against .80: the whole interval reaches it -> met; .79 (.77-.81)
    # straddles -> at risk; .72 (.70-.75) is all below -> not met. Abandonment 7.1% (6.6-7.6%)
    # against 7.0% straddles -> at risk (not simply "missed"); 7.5% (7.2-7.9%) -> not met
    assert out["status"].tolist() == [MET, AT_RISK, NOT_MET, AT_RISK, NOT_MET, "no target", "no data"]
    # the gap is positive when better than the target: 0.82 - 0.80; 0.07 - 0.071
    assert out["gap"].iloc[0] == pytest.approx(0.02) and out["gap"].iloc[3] == pytest.approx(-0.001)
    with pytest.raises(ParameterError, match="direction"):
        target_status(frame.assign(direction="up"))


def _months(values, start="2026-01-01"):
    return pd.DataFrame({"period_start": pd.date_range(start, periods=len(values), freq="MS"),
                         "value": values})


def test_a_straight_line_projects_exactly():
    # 0.70, 0.72, 0.74, 0.76 from January: +0.02 a month, no scatter; December (8 months after
    # April) is 0.76 + 8 * 0.02 = 0.92, with a zero-width interval; 0.80 is reached 2 months on
    out = project_to_target(_months([0.70, 0.72, 0.74, 0.76]), target=0.80,
                            due=pd.Timestamp("2026-12-31"), direction="higher")
    assert out["projected"] == pytest.approx(0.92) and out["high"] - out["low"] == pytest.approx(0, abs=1e-9)
    assert out["verdict"] == "on course" and out["months_to_target"] == pytest.approx(2.0)
    assert out["months_ahead"] == 8


def test_the_prediction_interval_matches_statsmodels():
    rng = np.random.default_rng(11)
    values = 0.08 - 0.002 * np.arange(12) + rng.normal(0, 0.004, 12)
    out = project_to_target(_months(values, "2025-10-01"), target=0.05, due=pd.Timestamp("2027-03-31"),
                            direction="lower")
    x = np.arange(12.0)
    fit = sm.OLS(values, sm.add_constant(x)).fit()
    frame = fit.get_prediction(np.array([[1.0, 17.0]])).summary_frame(alpha=0.05)  # Mar 2027 = month 17
    assert out["projected"] == pytest.approx(frame["mean"].iloc[0], rel=1e-10)
    assert out["low"] == pytest.approx(frame["obs_ci_lower"].iloc[0], rel=1e-10)
    assert out["high"] == pytest.approx(frame["obs_ci_upper"].iloc[0], rel=1e-10)
    assert out["slope"] == pytest.approx(fit.params[1], rel=1e-10)


def test_moving_away_from_the_target_never_reaches_it():
    out = project_to_target(_months([0.08, 0.085, 0.09, 0.095]), target=0.07, due=pd.Timestamp("2026-09-30"),
                            direction="lower")
    assert out["verdict"] == "off course" and np.isnan(out["months_to_target"])
    with pytest.raises(ParameterError, match="at least 3 months"):
        project_to_target(_months([0.1, 0.2]), target=0.1, due=pd.Timestamp("2026-12-31"), direction="lower")


def test_on_target_is_called_off_course_or_not_met_no_more_than_one_sided_alpha():
    """Seeded no-change simulation: a KPI whose true line reaches its target exactly on the due
    date is called off course (or on course) in at most 2.5% of 12-month histories; one whose
    true value is the target is called not met (or met) in at most 2.5% of periods."""
    rng = np.random.default_rng(20261204)
    reps, months = 2000, 12
    verdicts = []
    for _ in range(reps):  # whole simulated histories
        values = 0.10 - 0.002 * np.arange(months) + rng.normal(0, 0.004, months)
        # due in month 17 from the first: 0.10 - 0.002 * 17 = 0.066 on the true line
        verdicts.append(project_to_target(_months(values, "2025-10-01"), target=0.066,
                                          due=pd.Timestamp("2027-03-31"), direction="lower")["verdict"])
    verdicts = pd.Series(verdicts)
    limit = 0.025 + 3 * np.sqrt(0.025 * 0.975 / reps)
    assert (verdicts == "off course").mean() <= limit and (verdicts == "on course").mean() <= limit
    value = 0.80 + rng.normal(0, 0.01, reps)  # estimates of a true 0.80, standard error 0.01
    half = 1.959964 * 0.01
    frame = pd.DataFrame({"value": value, "ci_low": value - half, "ci_high": value + half,
                          "target": 0.80, "direction": "higher"})
    status = target_status(frame)["status"]
    assert (status == NOT_MET).mean() <= limit and (status == MET).mean() <= limit
