"""Impact of changes: interrupted time series, difference in differences, MDE and verdicts.

References (data in tests/data, each file naming its source and licence):

* Lopez Bernal J, Cummins S, Gasparrini A (2017), "Interrupted time series regression for the
  evaluation of public health interventions: a tutorial", Int J Epidemiol 46(1):348-355 - the
  Sicily smoking-ban data (sicily.csv) and the authors' supplementary code (Rcode.R, models
  model1/model2/model3 of https://github.com/gasparrini/2017_lopezbernal_IJE_codedata).
* Wooldridge JM, Introductory Econometrics: A Modern Approach, Example 13.3 (KIELMC,
  equations 13.9, 13.10 and 13.12) - house prices near an incinerator (kielmc.csv).
* Bloom HS (1995), "Minimum detectable effects", Evaluation Review 19(5):547-556, Table 1.
* Newey & West (1987) covariance and the Newey & West (1994) lag rule, by hand below.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccreview.data import columns as c
from ccreview.exceptions import ParameterError, SchemaError
from ccreview.stats.change_models import COUNT, EXPOSURE, VALUE, newey_west_lags
from ccreview.stats.change_verdicts import additional_periods_needed, minimum_detectable_effect, verdict
from ccreview.stats.did import did_regression, difference_in_differences
from ccreview.stats.its import interrupted_time_series

DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def sicily() -> pd.DataFrame:
    raw = pd.read_csv(DATA / "sicily.csv", comment="#")
    starts = pd.to_datetime(raw[["year", "month"]].assign(day=1))
    return pd.DataFrame({c.PERIOD_START: starts, COUNT: raw["aces"], EXPOSURE: raw["stdpop"]})


def term(result, name: str) -> pd.Series:
    return result.table.set_index("term").loc[name]


def weekly(n: int, start: str = "2026-01-05") -> pd.DatetimeIndex:
    return pd.date_range(start, periods=n, freq="7D")


def poisson_series(rates: np.ndarray, seed: int, start: str = "2026-01-05") -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    exposure = rng.integers(900, 1100, len(rates))
    return pd.DataFrame({c.PERIOD_START: weekly(len(rates), start), COUNT: rng.poisson(exposure * rates),
                         EXPOSURE: exposure})


# ------------------------------------------------------------------ interrupted time series: published

def test_its_step_change_matches_lopez_bernal_2017():
    # The ban took effect on 10 Jan 2005; the tutorial codes January 2005 as the first month after
    # it (smokban = 1 from time 37), i.e. a change on the first day of that month: nothing excluded.
    result = interrupted_time_series(sicily(), implemented_on="2005-01-01", kind="rate", slope_change=False)
    level = term(result, "level_change")
    assert level["estimate"] == pytest.approx(0.894, abs=5e-4)  # Lopez Bernal 2017, step 4: RR 0.894
    # quasi-Poisson interval (Lopez Bernal 2017 step 5a; Rcode.R model2, ci.exp): 0.839 to 0.953
    assert level["ci_low"] == pytest.approx(0.839, abs=5e-4)
    assert level["ci_high"] == pytest.approx(0.953, abs=5e-4)
    assert result.excluded == [] and (result.n_before, result.n_after) == (36, 23)


def test_its_seasonally_adjusted_matches_lopez_bernal_2017():
    # two sine/cosine pairs of a 12-month cycle, as harmonic(month, 2, 12) in the tutorial
    result = interrupted_time_series(sicily(), implemented_on="2005-01-01", kind="rate",
                                     slope_change=False, seasonality=2)
    level = term(result, "level_change")
    assert level["estimate"] == pytest.approx(0.885, abs=5e-4)  # Lopez Bernal 2017 step 5c: RR 0.885
    assert level["ci_low"] == pytest.approx(0.839, abs=5e-4)  # 95% CI 0.839
    assert level["ci_high"] == pytest.approx(0.933, abs=5e-4)  # to 0.933 (Rcode.R model3)
    assert {"sin_1", "cos_1", "sin_2", "cos_2"} <= set(result.table["term"])
    # the tutorial's long-term trend: exp(12 x time coefficient) = 1.067 a year (Rcode.R, model3)
    assert term(result, "time")["estimate"] ** 12 == pytest.approx(1.067, abs=5e-4)


def test_its_leaves_out_the_month_in_which_the_ban_started():
    result = interrupted_time_series(sicily(), implemented_on="2005-01-10", kind="rate", seasonality=2)
    assert result.excluded == [pd.Timestamp("2005-01-01")]
    assert (result.n_before, result.n_after) == (36, 22)
    assert result.first_post_period == pd.Timestamp("2005-02-01") and result.period == "month"
    january = result.fitted.set_index(c.PERIOD_START).loc["2005-01-01"]
    assert bool(january["excluded"]) and np.isnan(january["fitted"])


# ------------------------------------------------------------------ interrupted time series: by hand

def test_rate_effect_is_the_exposure_weighted_post_rate_difference():
    result = interrupted_time_series(sicily(), implemented_on="2005-01-01", kind="rate", seed=1)
    post = result.fitted[result.fitted["post"]]
    exposure = sicily()[EXPOSURE].to_numpy()[result.fitted["post"].to_numpy()]
    by_hand = np.average(post["fitted"] - post["counterfactual"], weights=exposure)
    effect = result.effect.iloc[0]
    assert effect["estimate"] == pytest.approx(by_hand, rel=1e-12)
    assert effect["ci_low"] < effect["estimate"] < effect["ci_high"] < 0
    # simulation is seeded: the same call gives the same interval
    again = interrupted_time_series(sicily(), implemented_on="2005-01-01", kind="rate", seed=1)
    assert again.effect.iloc[0]["ci_low"] == effect["ci_low"]


def newey_west_by_hand(X: np.ndarray, u: np.ndarray, lags: int) -> np.ndarray:
    """(X'X)^-1 S (X'X)^-1 with Bartlett weights 1 - l/(L+1), no small-sample factor (Newey & West 1987)."""
    scores = X * u[:, None]
    S = scores.T @ scores
    for lag in range(1, lags + 1):
        gamma = scores[lag:].T @ scores[:-lag]
        S += (1 - lag / (lags + 1)) * (gamma + gamma.T)
    bread = np.linalg.inv(X.T @ X)
    return bread @ S @ bread


@pytest.mark.parametrize("data", ["sicily", "random walk"])
def test_continuous_its_uses_newey_west_errors_floored_at_classical_ones(data):
    raw = pd.read_csv(DATA / "sicily.csv", comment="#")
    y = (raw["aces"] / raw["stdpop"] * 1e5).to_numpy() if data == "sicily" else (
        np.random.default_rng(1).normal(size=59).cumsum())
    series = sicily().assign(**{VALUE: y})
    result = interrupted_time_series(series, implemented_on="2005-01-01", kind="continuous")
    t = np.arange(59.0)
    post = (t >= 36).astype(float)
    X = np.column_stack([np.ones(59), t, post, post * (t - 36)])
    beta = np.linalg.lstsq(X, y, rcond=None)[0]
    u = y - X @ beta
    lags = newey_west_lags(59)
    assert lags == 3  # floor(4 x 0.59^(2/9)) = floor(3.56)
    hac = np.sqrt(np.diag(newey_west_by_hand(X, u, lags)))
    classical = np.sqrt(np.diag(np.linalg.inv(X.T @ X)) * (u @ u) / (59 - 4))
    assert result.table["estimate"].to_numpy() == pytest.approx(beta, rel=1e-9)
    assert result.model.bse.to_numpy() == pytest.approx(hac, rel=1e-9)
    assert result.table["std_error"].to_numpy() == pytest.approx(np.maximum(hac, classical), rel=1e-9)
    # Sicily's seasonal residuals make HAC smaller than classical (the floor binds); a random walk larger
    assert (hac > classical).all() if data == "random walk" else (hac < classical).all()
    # with no slope change the average effect is the level change itself
    step = interrupted_time_series(series, implemented_on="2005-01-01", kind="continuous", slope_change=False)
    assert step.effect.iloc[0]["estimate"] == pytest.approx(term(step, "level_change")["estimate"])


@pytest.mark.parametrize(("n", "lags"), [(16, 2), (30, 3), (100, 4), (1000, 6)])
def test_newey_west_lag_rule(n, lags):
    assert newey_west_lags(n) == lags  # floor(4 (n/100)^(2/9)), by hand


# ------------------------------------------------------------------ planted effects

def test_planted_level_shift_is_recovered_and_judged_achieved():
    rates = np.r_[np.full(40, 0.09), np.full(20, 0.06)]  # a 3-point fall planted in week 41
    result = interrupted_time_series(poisson_series(rates, seed=7), implemented_on=weekly(60)[40],
                                     kind="rate", unit="share")
    level = term(result, "level_change")
    assert level["ci_low"] < 0.06 / 0.09 < level["ci_high"]
    effect = result.effect.iloc[0]
    assert effect["ci_low"] < -0.03 < effect["ci_high"]
    judged = result.verdict(expected_effect=-0.03, expected_direction="decrease",
                            label="the abandonment rate")
    assert judged.verdict == "achieved" and "percentage points" in judged.sentence


def test_series_without_a_shift_is_not_declared_achieved():
    result = interrupted_time_series(poisson_series(np.full(60, 0.09), seed=11),
                                     implemented_on=weekly(60)[40], kind="rate")
    assert result.verdict(expected_effect=-0.03).verdict != "achieved"


def test_level_change_interval_covers_the_planted_shift_in_most_replicates():
    when = weekly(40)[24]
    covered = [term(interrupted_time_series(poisson_series(np.r_[np.full(24, 0.08), np.full(16, 0.06)], seed),
                                            implemented_on=when, kind="rate", n_draws=200), "level_change")
               for seed in range(40)]
    share = np.mean([row["ci_low"] < 0.75 < row["ci_high"] for row in covered])
    assert 0.85 <= share <= 1.0  # nominal 95%; 40 replicates


# ------------------------------------------------------------------ edge cases: never a crash

@pytest.mark.parametrize(("when", "words"), [
    ("2025-06-01", "before the first period"),
    ("2027-06-01", "after the last period"),
    ("2026-01-14", "Only 1 week of data before"),
    ("2026-05-20", "Only 2 weeks of data after"),
    (None, "no implementation date"),
])
def test_too_little_data_gives_nan_warning_and_verdict(when, words):
    series = pd.DataFrame({c.PERIOD_START: weekly(22), VALUE: np.linspace(300, 320, 22)})
    for result in (interrupted_time_series(series, implemented_on=when, kind="continuous"),
                   difference_in_differences(series, series.assign(**{VALUE: 5.0 + series[VALUE]}),
                                             implemented_on=when, kind="continuous")):
        assert np.isnan(result.effect.iloc[0]["estimate"])
        assert any(words in w for w in result.warnings) and words in result.reason
        assert result.verdict(expected_effect=-20).verdict == "too little data"
        assert isinstance(result.plot(), plt.Axes)
        assert "<table" in result._repr_html_()


def test_too_little_data_says_when_there_will_be_enough():
    series = pd.DataFrame({c.PERIOD_START: weekly(20), VALUE: np.arange(20.0)})
    result = interrupted_time_series(series, implemented_on="2026-05-05", kind="continuous")  # a Tuesday
    assert result.excluded == [pd.Timestamp("2026-05-04")] and result.n_after == 2
    judged = result.verdict(expected_effect=-20)
    # first full week after the change starts Monday 11 May; 8 weeks later is 6 July
    assert judged.verdict == "too little data" and "6 Jul 2026" in judged.sentence


def test_bad_input_raises_clear_errors():
    series = pd.DataFrame({c.PERIOD_START: weekly(10), VALUE: np.arange(10.0)})
    with pytest.raises(SchemaError, match="count, exposure"):
        interrupted_time_series(series, implemented_on="2026-02-02", kind="rate")
    with pytest.raises(ParameterError, match="kind"):
        interrupted_time_series(series, implemented_on="2026-02-02", kind="share")
    with pytest.raises(SchemaError, match="more than one row"):
        interrupted_time_series(pd.concat([series, series]), implemented_on="2026-02-02", kind="continuous")
    with pytest.raises(ParameterError, match="not a date"):
        interrupted_time_series(series, implemented_on="soon", kind="continuous")


def test_unusable_periods_are_left_out_with_a_warning():
    series = poisson_series(np.full(20, 0.1), seed=3)
    series.loc[5, EXPOSURE] = 0
    result = interrupted_time_series(series, implemented_on=weekly(20)[10], kind="rate")
    assert "1 period in series had" in result.warnings[0] and len(result.fitted) == 19


def test_seasonality_on_less_than_a_year_is_flagged():
    result = interrupted_time_series(poisson_series(np.full(30, 0.1), seed=4), implemented_on=weekly(30)[15],
                                     kind="rate", seasonality=1)
    assert {"sin_1", "cos_1"} <= set(result.table["term"])
    assert any("less than a year" in w for w in result.warnings)
    with pytest.raises(ParameterError, match="seasonality"):
        interrupted_time_series(poisson_series(np.full(30, 0.1), seed=4), implemented_on=weekly(30)[15],
                                kind="rate", seasonality=9)


def test_plot_and_html():
    result = interrupted_time_series(sicily(), implemented_on="2005-01-10", kind="rate")
    ax = result.plot(title="Sicily", ylabel="ACEs per person")
    assert ax.get_title() == "Sicily" and ax.get_ylabel() == "ACEs per person"
    labels = ax.get_legend_handles_labels()[1]
    assert {"Observed", "Fitted", "Without the change", "Change implemented"} <= set(labels)
    assert "Period of the change (not fitted)" in labels
    page = result._repr_html_()
    assert "data:image/png;base64" in page and "Left out of the fit" in page and "1 Jan 2005" in page


# ------------------------------------------------------------------ difference in differences

def kielmc() -> pd.DataFrame:
    return pd.read_csv(DATA / "kielmc.csv", comment="#").assign(y81=lambda d: (d["year"] == 1981).astype(int))


def test_did_regression_matches_wooldridge_example_13_3():
    table = did_regression(kielmc(), outcome="rprice", group="nearinc", post="y81").set_index("term")
    assert table.loc["treated_x_post", "estimate"] == pytest.approx(-11863.9, abs=0.05)  # Wooldridge (13.12)
    assert table.loc["treated_x_post", "std_error"] == pytest.approx(7456.6, abs=0.05)  # (7,456.6), n = 321
    assert table.loc["intercept", "estimate"] == pytest.approx(82517.23, abs=0.005)  # (13.10) and (13.12)
    assert table.loc["treated", "estimate"] == pytest.approx(-18824.37, abs=0.005)  # (13.10): 1978 gap
    # the DiD is the 1981 gap (13.9: -30,688.27) minus the 1978 gap (13.10: -18,824.37)
    assert table.loc["treated_x_post", "estimate"] == pytest.approx(-30688.27 - -18824.37, abs=0.01)


def test_did_rate_effect_matches_cell_rates_by_hand():
    rng = np.random.default_rng(5)
    weeks = weekly(24)
    post = weeks >= weeks[12]
    exposure = rng.integers(900, 1100, (2, 24))
    counts = rng.poisson(exposure * np.where(post, [[0.06], [0.085]], [[0.09], [0.08]]))
    treated = pd.DataFrame({c.PERIOD_START: weeks, COUNT: counts[0], EXPOSURE: exposure[0]})
    control = pd.DataFrame({c.PERIOD_START: weeks, COUNT: counts[1], EXPOSURE: exposure[1]})
    result = difference_in_differences(treated, control, implemented_on=weeks[12], kind="rate", unit="share")

    def rate(i, mask):
        return counts[i][mask].sum() / exposure[i][mask].sum()

    # saturated Poisson model: counterfactual = treated before x control after / control before
    counterfactual = rate(0, ~post) * rate(1, post) / rate(1, ~post)
    effect = result.effect.iloc[0]
    assert effect["fitted"] == pytest.approx(rate(0, post), rel=1e-9)
    assert effect["estimate"] == pytest.approx(rate(0, post) - counterfactual, rel=1e-9)
    ratio = (rate(0, post) / rate(0, ~post)) / (rate(1, post) / rate(1, ~post))
    assert term(result, "treated_x_post")["estimate"] == pytest.approx(ratio, rel=1e-9)
    assert effect["ci_low"] < -0.03 < effect["ci_high"]
    assert result.parallel_trends.parallel is True
    assert result.verdict(expected_effect=-0.03, label="the abandonment rate").verdict == "achieved"


def test_did_continuous_effect_and_parallel_trends_by_hand():
    rng = np.random.default_rng(8)
    weeks = weekly(26)
    post = weeks >= weeks[13]
    treated = pd.DataFrame({c.PERIOD_START: weeks, VALUE: 300 + rng.normal(0, 8, 26) - 20 * post})
    control = pd.DataFrame({c.PERIOD_START: weeks, VALUE: 310 + rng.normal(0, 8, 26)})
    result = difference_in_differences(treated, control, implemented_on=weeks[13], kind="continuous",
                                       unit="seconds")
    means = [frame[VALUE][mask].mean() for frame in (treated, control) for mask in (post, ~post)]
    assert result.effect.iloc[0]["estimate"] == pytest.approx((means[0] - means[1]) - (means[2] - means[3]))
    # pre-change slope difference = difference of the two groups' own least-squares slopes
    slopes = [np.polyfit(np.arange(13.0), frame[VALUE][~post], 1)[0] for frame in (treated, control)]
    assert result.parallel_trends.estimate == pytest.approx(slopes[0] - slopes[1])
    assert result.parallel_trends.sentence.startswith("Before the change, the two groups")
    page = result._repr_html_()
    assert "data:image/png" in page and "slope difference" in page
    labels = set(result.plot().get_legend_handles_labels()[1])
    assert {"Changed group", "Changed group: without the change", "Comparison group: fitted"} <= labels


def test_did_warns_when_trends_were_not_parallel():
    weeks = weekly(26)
    noise = np.random.default_rng(2).normal(0, 1, 26)
    treated = pd.DataFrame({c.PERIOD_START: weeks, VALUE: 300 + 3 * np.arange(26) + noise})
    control = pd.DataFrame({c.PERIOD_START: weeks, VALUE: 300 + noise[::-1]})
    result = difference_in_differences(treated, control, implemented_on=weeks[13], kind="continuous")
    assert result.parallel_trends.parallel is False
    assert any("did not move in parallel" in w for w in result.warnings)


# ------------------------------------------------------------------ power

@pytest.mark.parametrize(("alpha", "power", "multiplier"), [
    (0.05, 0.80, 2.80),  # Bloom 1995 Table 1: two-tailed test, alpha .05, power 80%
    (0.05, 0.90, 3.24),  # two-tailed, power 90%
    (0.10, 0.80, 2.49),  # same quantiles as Bloom's one-tailed alpha .05, power 80%
])
def test_minimum_detectable_effect_matches_bloom_1995(alpha, power, multiplier):
    assert minimum_detectable_effect(1.0, alpha=alpha, power=power) == pytest.approx(multiplier, abs=0.005)
    assert minimum_detectable_effect(np.array([0.01, 2.0]), alpha=alpha, power=power) == pytest.approx(
        [0.01 * multiplier, 2 * multiplier], abs=0.01)


def test_additional_periods_needed_by_hand():
    # MDE = 2.8016 x 0.02 = 0.05603; 8 x (0.05603 / 0.03)^2 = 27.9 -> 28 periods, 20 more
    assert additional_periods_needed(0.02, n_after=8, expected_effect=-0.03) == 20
    assert additional_periods_needed(0.005, n_after=8, expected_effect=-0.03) == 0
    assert additional_periods_needed(np.nan, n_after=8, expected_effect=-0.03) is None


# ------------------------------------------------------------------ verdicts

@pytest.mark.parametrize(("effect", "low", "high", "expected", "outcome", "words"), [
    (-0.04, -0.05, -0.03, -0.03, "achieved", "at least the 3.0 percentage points expected"),
    # a real fall whose interval still holds the expected size: achieved
    (-0.02, -0.035, -0.005, -0.03, "achieved", "the 3.0 percentage points expected is within"),
    # a real fall whose interval rules the expected size out (issue #11)
    (-0.01, -0.02, -0.005, -0.03, "smaller than expected", "rule out the 3.0 percentage points"),
    (-0.04, -0.09, 0.01, -0.03, "inconclusive", "only effects larger than about"),
    (-0.005, -0.015, 0.005, -0.03, "not achieved", "rule out the expected fall"),
    (0.02, 0.01, 0.03, -0.03, "not achieved", "opposite of the intended fall"),
    (0.06, 0.02, 0.10, 0.05, "achieved", "rose by 6.0 percentage points"),
])
def test_verdict_rules(effect, low, high, expected, outcome, words):
    judged = verdict(effect, low, high, expected_effect=expected, n_after=12, unit="share",
                     label="the abandonment rate")
    assert judged.verdict == outcome and words in judged.sentence
    assert judged.sentence.startswith("The abandonment rate")


def test_inconclusive_verdict_states_mde_and_more_periods():
    judged = verdict(-12.0, -30.0, 6.0, expected_effect=-20.0, mde=25.0, n_after=10, unit="seconds")
    assert judged.verdict == "inconclusive" and "about 25 s" in judged.sentence
    assert "Roughly 6 weeks more" in judged.sentence  # 10 x (25/20)^2 = 15.6 -> 16 weeks, 6 more


def test_verdict_checks_the_register():
    with pytest.raises(ParameterError, match="contradicts"):
        verdict(-1, -2, 0, expected_effect=-0.03, expected_direction="increase", n_after=10)
    with pytest.raises(ParameterError, match="expected_effect"):
        verdict(-1, -2, 0, expected_effect=np.nan, n_after=10)
    with pytest.raises(ParameterError, match="expected_direction"):
        verdict(-1, -2, 0, expected_effect=-0.03, expected_direction="down", n_after=10)
    # an empty or "none" direction (as the register may hold) defers to the sign of the effect
    for empty in (None, np.nan, "none"):
        assert verdict(-0.04, -0.05, -0.03, expected_effect=-0.03, expected_direction=empty,
                       n_after=10).verdict == "achieved"


@given(st.floats(-1, 1), st.floats(0, 1), st.floats(0, 1), st.floats(-1, 1).filter(lambda v: abs(v) > 1e-3),
       st.integers(0, 40))
def test_never_achieved_when_the_interval_includes_zero(effect, below, above, expected, n_after):
    low, high = min(effect, 0.0) - below, max(effect, 0.0) + above  # always contains zero
    assert verdict(effect, low, high, expected_effect=expected, n_after=n_after).verdict != "achieved"
