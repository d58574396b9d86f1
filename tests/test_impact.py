"""Impact of changes: interrupted time series, difference in differences, MDE and verdicts.

References (data in tests/data, each file naming its source and licence):

* Lopez Bernal J, Cummins S, Gasparrini A (2017), "Interrupted time series regression for the
  evaluation of public health interventions: a tutorial", Int J Epidemiol 46(1):348-355 - the
  Sicily smoking-ban data (sicily.csv) and the authors' supplementary code (Rcode.R, models
  model1/model2/model3 of https://github.com/gasparrini/2017_lopezbernal_IJE_codedata).
* Wooldridge JM, Introductory Econometrics: A Modern Approach, Example 13.3 (KIELMC,
  equations 13.9, 13.10 and 13.12) - house prices near an incinerator (kielmc.csv).
* Bloom HS (1995), "Minimum detectable effects", Evaluation Review 19(5):547-556, Table 1.
* AR(1) errors by REML: the GLS coefficients equal ordinary least squares on the Prais-Winsten
  transformed series (Prais & Winsten 1954), and the REML criterion equals the restricted
  likelihood written out densely (Harville 1974, JASA 61:383), both computed independently below.
* Difference in differences with week effects: the gap-series model equals the two-way
  regression with a dummy for every week (Angrist & Pischke 2009, Mostly Harmless
  Econometrics, section 5.2), fitted below by statsmodels' formula interface.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from hypothesis import given
from hypothesis import strategies as st
from scipy import optimize

from ccreview.data import columns as c
from ccreview.exceptions import ParameterError, SchemaError
from ccreview.stats import ar1
from ccreview.stats.change_models import COUNT, EXPOSURE, VALUE
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
    result = interrupted_time_series(sicily(), implemented_on="2005-01-01", kind="rate", slope_change=False,
                                     errors="independent")
    level = term(result, "level_change")
    assert level["estimate"] == pytest.approx(0.894, abs=5e-4)  # Lopez Bernal 2017, step 4: RR 0.894
    # quasi-Poisson interval (Lopez Bernal 2017 step 5a; Rcode.R model2, ci.exp): 0.839 to 0.953
    assert level["ci_low"] == pytest.approx(0.839, abs=5e-4)
    assert level["ci_high"] == pytest.approx(0.953, abs=5e-4)
    assert result.excluded == [] and (result.n_before, result.n_after) == (36, 23)


def test_its_seasonally_adjusted_matches_lopez_bernal_2017():
    # two sine/cosine pairs of a 12-month cycle, as harmonic(month, 2, 12) in the tutorial
    result = interrupted_time_series(sicily(), implemented_on="2005-01-01", kind="rate",
                                     slope_change=False, seasonality=2, errors="independent")
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
    assert effect["ci_low"] < effect["estimate"] < 0 < effect["ci_high"]  # with AR(1) errors: not clear
    # simulation is seeded: the same call gives the same interval
    again = interrupted_time_series(sicily(), implemented_on="2005-01-01", kind="rate", seed=1)
    assert again.effect.iloc[0]["ci_low"] == effect["ci_low"]


def test_default_its_allows_for_autocorrelation_and_widens_the_published_interval():
    # Sicily's monthly residuals are autocorrelated; the tutorial's quasi-Poisson interval
    # (0.839 to 0.953) assumes they are not. The AR(1) model keeps the estimate and widens it.
    result = interrupted_time_series(sicily(), implemented_on="2005-01-01", kind="rate", slope_change=False)
    level = term(result, "level_change")
    assert level["estimate"] == pytest.approx(0.894, abs=0.01)
    assert level["ci_low"] < 0.839 and level["ci_high"] > 0.953
    assert 0.1 < result.autocorrelation < 0.5 and result.errors == "ar1"


def test_independent_continuous_its_is_ordinary_least_squares():
    raw = pd.read_csv(DATA / "sicily.csv", comment="#")
    y = (raw["aces"] / raw["stdpop"] * 1e5).to_numpy()
    result = interrupted_time_series(sicily().assign(**{VALUE: y}), implemented_on="2005-01-01",
                                     kind="continuous", errors="independent")
    t = np.arange(59.0)
    post = (t >= 36).astype(float)
    X = np.column_stack([np.ones(59), t, post, post * (t - 36)])
    beta = np.linalg.lstsq(X, y, rcond=None)[0]
    u = y - X @ beta
    classical = np.sqrt(np.diag(np.linalg.inv(X.T @ X)) * (u @ u) / (59 - 4))
    assert result.table["estimate"].to_numpy() == pytest.approx(beta, rel=1e-9)
    assert result.table["std_error"].to_numpy() == pytest.approx(classical, rel=1e-9)


def prais_winsten(y: np.ndarray, X: np.ndarray, phi: float) -> np.ndarray:
    """OLS on the Prais-Winsten transform: row 1 times sqrt(1 - phi^2), then x_t - phi x_(t-1)."""
    first = np.sqrt(1 - phi ** 2)
    ys = np.r_[first * y[0], y[1:] - phi * y[:-1]]
    Xs = np.vstack([first * X[:1], X[1:] - phi * X[:-1]])
    return np.linalg.lstsq(Xs, ys, rcond=None)[0]


def dense_restricted_deviance(phi: float, y: np.ndarray, X: np.ndarray) -> float:
    """-2 REML log-likelihood, sigma^2 profiled, written out with dense matrices (Harville 1974)."""
    n, p = X.shape
    R = phi ** np.abs(np.subtract.outer(np.arange(n), np.arange(n)))
    R_inv = np.linalg.inv(R)
    beta = np.linalg.solve(X.T @ R_inv @ X, X.T @ R_inv @ y)
    r = y - X @ beta
    sigma2 = r @ R_inv @ r / (n - p)
    return ((n - p) * np.log(sigma2) + np.linalg.slogdet(R)[1] + np.linalg.slogdet(X.T @ R_inv @ X)[1])


def test_ar1_fit_matches_prais_winsten_gls_at_the_reml_autocorrelation():
    rng = np.random.default_rng(4)
    n = 40
    e = np.zeros(n)
    for i in range(1, n):
        e[i] = 0.6 * e[i - 1] + rng.normal()
    X = np.column_stack([np.ones(n), np.arange(n), np.arange(n) >= 20])
    y = X @ np.array([5.0, 0.1, 2.0]) + e
    fit = ar1.fit_ar1(y, X)
    # REML: a bounded search of the dense criterion finds the same autocorrelation
    found = optimize.minimize_scalar(dense_restricted_deviance, bounds=(-0.9, 0.95), args=(y, X),
                                     method="bounded", options={"xatol": 1e-8})
    assert fit.phi == pytest.approx(found.x, abs=1e-4)
    assert fit.params == pytest.approx(prais_winsten(y, X, fit.phi), rel=1e-8)
    # Kenward-Roger only ever widens the plug-in covariance, and df lies within (1, n - p]
    R = fit.phi ** np.abs(np.subtract.outer(np.arange(n), np.arange(n)))
    plug_in = fit.sigma2 * np.linalg.inv(X.T @ np.linalg.inv(R) @ X)
    assert (np.diag(fit.cov) >= np.diag(plug_in)).all()
    _, _, df = fit.contrast(np.array([0.0, 0.0, 1.0]))
    assert 1 <= df <= n - 3


def test_ar1_with_known_sampling_variance_reduces_to_weighted_least_squares_without_extra_variation():
    # counts with pure binomial noise: the extra variance goes to (about) zero, and the fit is the
    # GLS with the known variances alone, i.e. weighted least squares
    rng = np.random.default_rng(9)
    n = 30
    trials = rng.integers(800, 1200, n)
    k = rng.binomial(trials, 0.2)
    z = np.log((k + 0.5) / (trials - k + 0.5))
    known = 1 / (k + 0.5) + 1 / (trials - k + 0.5)
    X = np.column_stack([np.ones(n), np.arange(n) >= 15])
    fit = ar1.fit_ar1(z, X, known_variance=known)
    wls = np.linalg.lstsq(X / np.sqrt(known)[:, None], z / np.sqrt(known), rcond=None)[0]
    assert fit.sigma2 < 0.25 * known.mean()
    assert fit.params == pytest.approx(wls, abs=0.02)


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
        interrupted_time_series(series, implemented_on="2026-02-02", kind="proportion")
    with pytest.raises(ParameterError, match="errors"):
        interrupted_time_series(series, implemented_on="2026-02-02", kind="continuous", errors="hac")
    with pytest.raises(ParameterError, match="min_after"):
        interrupted_time_series(series, implemented_on="2026-02-02", kind="continuous", min_after=1)
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
    assert ax.get_title() == "Sicily" and ax.get_ylabel().startswith("ACEs per person")
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


def panel(treated: pd.DataFrame, control: pd.DataFrame, when) -> pd.DataFrame:
    long = pd.concat([treated.assign(treated=1), control.assign(treated=0)], ignore_index=True)
    weeks = np.sort(long[c.PERIOD_START].unique())
    long["week"] = np.searchsorted(weeks, long[c.PERIOD_START])
    first = int(np.searchsorted(weeks, np.datetime64(pd.Timestamp(when))))
    long["post"] = (long["week"] >= first).astype(float)
    long["post_slope"] = np.where(long["post"] > 0, long["week"] - first, 0.0)
    return long


@pytest.mark.parametrize("drifting", [False, True])
def test_did_equals_the_two_way_regression_with_a_dummy_for_every_week(drifting):
    rng = np.random.default_rng(8)
    weeks = weekly(26)
    post = weeks >= weeks[13]
    common = rng.normal(0, 15, 26)  # week effects: a surge hits both groups
    trend = 3.0 * np.arange(26) if drifting else 0.0
    treated = pd.DataFrame({c.PERIOD_START: weeks,
                            VALUE: 300 + common + trend + rng.normal(0, 4, 26) - 20 * post})
    control = pd.DataFrame({c.PERIOD_START: weeks, VALUE: 310 + common + rng.normal(0, 4, 26)})
    result = difference_in_differences(treated, control, implemented_on=weeks[13], kind="continuous",
                                       unit="seconds", errors="independent", equivalence_margin=25.0)
    assert result.drift_allowed is drifting and result.parallel_trends.parallel is (not drifting)
    formula = "value ~ C(week) + treated + treated:post + treated:post_slope" + (" + treated:week" * drifting)
    two_way = smf.ols(formula, panel(treated, control, weeks[13])).fit()
    table = result.table.set_index("term")
    assert table.loc["treated_x_post", "estimate"] == pytest.approx(two_way.params["treated:post"], rel=1e-9)
    assert table.loc["treated_x_post_slope", "estimate"] == pytest.approx(
        two_way.params["treated:post_slope"], rel=1e-9)
    assert table.loc["treated_x_post", "std_error"] == pytest.approx(two_way.bse["treated:post"], rel=1e-9)
    # the effect: the change in the gap averaged over the 13 weeks after it
    by_hand = two_way.params["treated:post"] + two_way.params["treated:post_slope"] * np.arange(13).mean()
    assert result.effect.iloc[0]["estimate"] == pytest.approx(by_hand, rel=1e-9)
    assert result.effect.iloc[0]["ci_low"] < -20 < result.effect.iloc[0]["ci_high"]


def test_did_parallel_trends_is_the_projected_drift_of_the_gap_by_hand():
    rng = np.random.default_rng(8)
    weeks = weekly(26)
    post = weeks >= weeks[13]
    treated = pd.DataFrame({c.PERIOD_START: weeks, VALUE: 300 + rng.normal(0, 8, 26) - 20 * post})
    control = pd.DataFrame({c.PERIOD_START: weeks, VALUE: 310 + rng.normal(0, 8, 26)})
    result = difference_in_differences(treated, control, implemented_on=weeks[13], kind="continuous",
                                       unit="seconds", errors="independent", equivalence_margin=100.0)
    # pre-change drift of the gap = difference of the two groups' own least-squares slopes,
    # projected from the middle of the weeks before (6) to the middle of the weeks after (19)
    slopes = [np.polyfit(np.arange(13.0), frame[VALUE][~post], 1)[0] for frame in (treated, control)]
    trends = result.parallel_trends
    assert trends.estimate == pytest.approx((slopes[0] - slopes[1]) * 13, rel=1e-9)
    assert trends.level == pytest.approx(0.90) and trends.parallel is True
    assert trends.sentence.startswith("The groups moved in parallel before the change")
    page = result._repr_html_()
    assert "data:image/png" in page and "margin" in page
    labels = set(result.plot().get_legend_handles_labels()[1])
    assert {"Changed group", "Changed group: without the change"} <= labels


def test_did_share_counterfactual_stays_a_share_and_recovers_a_planted_fall():
    rng = np.random.default_rng(5)
    weeks = weekly(40)
    post = weeks >= weeks[24]
    common = rng.normal(0, 0.15, 40)
    trials = rng.integers(900, 1100, (2, 40))
    p_treated = 1 / (1 + np.exp(-(np.log(0.09 / 0.91) + common - 0.45 * post)))
    p_control = 1 / (1 + np.exp(-(np.log(0.08 / 0.92) + common)))
    treated = pd.DataFrame({c.PERIOD_START: weeks, COUNT: rng.binomial(trials[0], p_treated),
                            EXPOSURE: trials[0]})
    control = pd.DataFrame({c.PERIOD_START: weeks, COUNT: rng.binomial(trials[1], p_control),
                            EXPOSURE: trials[1]})
    result = difference_in_differences(treated, control, implemented_on=weeks[24], kind="share", unit="share",
                                       equivalence_margin=0.015)
    counterfactual = result.fitted["counterfactual"].dropna()
    assert ((counterfactual > 0) & (counterfactual < 1)).all()
    effect = result.effect.iloc[0]
    assert effect["ci_low"] < effect["estimate"] < effect["ci_high"] < 0
    assert result.verdict(expected_effect=-0.03, label="the abandonment rate").verdict in ("achieved",
                                                                                           "inconclusive")


def test_did_lets_the_gap_drift_when_trends_are_not_confirmed_parallel():
    weeks = weekly(26)
    noise = np.random.default_rng(2).normal(0, 1, 26)
    treated = pd.DataFrame({c.PERIOD_START: weeks, VALUE: 300 + 3 * np.arange(26) + noise})
    control = pd.DataFrame({c.PERIOD_START: weeks, VALUE: 300 + noise[::-1]})
    result = difference_in_differences(treated, control, implemented_on=weeks[13], kind="continuous",
                                       equivalence_margin=5.0)
    assert result.parallel_trends.parallel is False and result.drift_allowed
    assert "not confirmed" in result.parallel_trends.sentence
    # the drift continues after the change and is not mistaken for an effect of it
    effect = result.effect.iloc[0]
    assert effect["ci_low"] < 0 < effect["ci_high"]
    # without a margin parallel trends are never assumed
    unmarked = difference_in_differences(treated, control, implemented_on=weeks[13], kind="continuous")
    assert unmarked.parallel_trends.parallel is None and unmarked.drift_allowed


def test_special_cause_weeks_are_left_out_and_named():
    series = poisson_series(np.full(30, 0.1), seed=4)
    series.loc[20, COUNT] = 400  # an outage week
    result = interrupted_time_series(series, implemented_on=weekly(30)[15], kind="rate",
                                     special_causes=[pd.Timestamp(weekly(30)[20]) + pd.Timedelta(days=2)])
    assert result.special_causes == [weekly(30)[20]] and weekly(30)[20] in result.excluded
    assert result.n_after == 14
    effect = result.effect.iloc[0]
    assert effect["ci_low"] < 0 < effect["ci_high"]


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


def test_a_constant_series_is_not_judged_and_mixed_time_zones_of_special_causes_are_fine():
    series = pd.DataFrame({c.PERIOD_START: weekly(30), VALUE: np.full(30, 300.0)})
    result = interrupted_time_series(series, implemented_on=weekly(30)[15], kind="continuous")
    assert np.isnan(result.effect.iloc[0]["estimate"]) and "constant" in result.reason
    wavy = series.assign(**{VALUE: 300 + np.random.default_rng(1).normal(0, 5, 30)})
    mixed = [pd.Timestamp("2026-03-04"), pd.Timestamp("2026-03-18 10:00", tz="Europe/London")]
    result = interrupted_time_series(wavy, implemented_on=weekly(30)[15], kind="continuous",
                                     special_causes=mixed)
    assert len(result.special_causes) == 2


def test_did_with_nothing_after_the_change_says_so_without_a_pre_trend_sentence():
    series = pd.DataFrame({c.PERIOD_START: weekly(20), VALUE: np.random.default_rng(3).normal(300, 5, 20)})
    result = difference_in_differences(series, series.assign(**{VALUE: series[VALUE] + 10}),
                                       implemented_on=weekly(20)[19] + pd.Timedelta(days=3),
                                       kind="continuous", equivalence_margin=5.0)
    assert result.parallel_trends is None and np.isnan(result.effect.iloc[0]["estimate"])
