"""Honest change verdicts: simulated with no true change, the interrupted time series and the
difference in differences say "changed" no more often than their 5% level claims (issue #11).

Each scenario is 30 weekly points, the change at week 15, as a change evaluation sees them:
weeks are autocorrelated (AR(1), phi = 0.6, unless white noise is named) and, for the
comparison-group scenarios, each week carries a shock common to both groups. "Called a change"
means the effect's 95% interval excludes zero. ``errors="independent"`` is the textbook model
(quasi-Poisson / quasi-binomial GLM or OLS), shown for contrast; the kit's default is
``errors="ar1"``. ``benchmarks/bench_false_alarms.py`` prints the table in ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import special

from ccreview.data import columns as c
from ccreview.stats.did import difference_in_differences
from ccreview.stats.its import interrupted_time_series

WEEKS, CHANGE_AT = 30, 15
#: the kit looks back a year before a change: 52 weeks before and 15 after
LONG = 67
STARTS = pd.date_range("2025-01-06", periods=LONG, freq="7D")
#: equivalence margin of the simulated DiD: half a standard deviation of a week's noise
MARGIN = 0.5


def ar1(rng, n: int, phi: float, sd: float = 1.0) -> np.ndarray:
    """A stationary AR(1) series with innovations of standard deviation ``sd``."""
    e = np.empty(n)
    e[0] = rng.normal(0, sd / np.sqrt(1 - phi ** 2))
    for i in range(1, n):  # a simulation of 30 points, not a row loop over data
        e[i] = phi * e[i - 1] + rng.normal(0, sd)
    return e


def _counts(rng, eta: np.ndarray, kind: str, exposure: int = 1000) -> pd.DataFrame:
    mean = special.expit(eta) * exposure if kind == "share" else np.exp(eta) * exposure
    count = rng.binomial(exposure, mean / exposure) if kind == "share" else rng.poisson(mean)
    return pd.DataFrame({c.PERIOD_START: STARTS[:len(eta)], "count": count, "exposure": exposure})


def its_series(rng, scenario: str, effect: float = 0.0, weeks: int = WEEKS) -> tuple[pd.DataFrame, str]:
    post = np.arange(weeks) >= weeks - (WEEKS - CHANGE_AT)
    if scenario == "continuous":
        return pd.DataFrame({c.PERIOD_START: STARTS[:weeks], "value": 300 + 10 * ar1(rng, weeks, 0.6)
                             + effect * post}), "continuous"
    base = np.log(0.1) if scenario == "rate" else special.logit(0.1)
    return _counts(rng, base + ar1(rng, weeks, 0.6, 0.08) + effect * post, scenario), scenario


def did_series(rng, scenario: str, effect: float = 0.0, weeks: int = WEEKS
               ) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    post = np.arange(weeks) >= weeks - (WEEKS - CHANGE_AT)
    phi = 0.0 if scenario == "continuous, white noise" else 0.6
    common = rng.normal(0, 1.0, weeks)  # a surge or an outage hits both groups the same week
    if scenario == "share":
        shock = 0.1 * common
        treated = _counts(rng, special.logit(0.1) + shock + ar1(rng, weeks, 0.6, 0.08) + effect * post,
                          "share")
        control = _counts(rng, special.logit(0.12) + shock + ar1(rng, weeks, 0.6, 0.08), "share")
        return treated, control, "share"
    drift = 0.04 * np.arange(weeks) if scenario == "continuous, treated drifting" else 0.0
    treated = 10 + common + drift + ar1(rng, weeks, phi) + effect * post
    control = 12 + common + ar1(rng, weeks, phi)
    return (pd.DataFrame({c.PERIOD_START: STARTS[:weeks], "value": treated}),
            pd.DataFrame({c.PERIOD_START: STARTS[:weeks], "value": control}), "continuous")


def _called(result) -> bool:
    row = result.effect.iloc[0]
    return bool(row["ci_low"] > 0 or row["ci_high"] < 0)


def its_called_rate(scenario: str, *, replicates: int, errors: str = "ar1", effect: float = 0.0,
                    seed: int = 11, weeks: int = WEEKS) -> float:
    """Share of ``replicates`` series called changed; the change is always 15 weeks from the end."""
    rng = np.random.default_rng(seed)
    when = STARTS[weeks - (WEEKS - CHANGE_AT)]
    hits = 0
    for _ in range(replicates):
        series, kind = its_series(rng, scenario, effect, weeks)
        hits += _called(interrupted_time_series(series, implemented_on=when, kind=kind,
                                                errors=errors, n_draws=1000))
    return hits / replicates


def did_called_rate(scenario: str, *, replicates: int, errors: str = "ar1", effect: float = 0.0,
                    seed: int = 12, weeks: int = WEEKS) -> tuple[float, float]:
    """(share called a change, share whose trends were confirmed parallel)."""
    rng = np.random.default_rng(seed)
    when = STARTS[weeks - (WEEKS - CHANGE_AT)]
    hits = parallel = 0
    for _ in range(replicates):
        treated, control, kind = did_series(rng, scenario, effect, weeks)
        margin = 0.01 if kind == "share" else MARGIN
        result = difference_in_differences(treated, control, implemented_on=when, kind=kind,
                                           errors=errors, equivalence_margin=margin, n_draws=1000)
        hits += _called(result)
        parallel += result.parallel_trends.parallel is True
    return hits / replicates, parallel / replicates


ITS_SCENARIOS = ["rate", "share", "continuous"]
DID_SCENARIOS = ["continuous", "continuous, white noise", "share", "continuous, treated drifting"]


@pytest.mark.slow
@pytest.mark.parametrize("scenario", ITS_SCENARIOS)
def test_its_with_autocorrelated_weeks_calls_no_change_at_most_at_the_nominal_rate(scenario):
    """400 replicates: at a true 5% the count called is Binomial(400, 0.05); 7% allows
    Monte-Carlo error. Independent errors on the same data fire at 15-25%."""
    assert its_called_rate(scenario, replicates=400) <= 0.07


@pytest.mark.slow
@pytest.mark.parametrize("scenario", DID_SCENARIOS)
def test_did_calls_no_change_at_most_at_the_nominal_rate(scenario):
    """Including a treated group that drifts before the change: the trends are then rarely
    confirmed parallel, the model allows for the drift, and no effect is invented."""
    called, _ = did_called_rate(scenario, replicates=400)
    assert called <= 0.07


@pytest.mark.slow
def test_independent_errors_on_autocorrelated_weeks_fire_too_often():
    """The defect the AR(1) errors remove, measured on the same seeded series."""
    assert its_called_rate("continuous", replicates=200, errors="independent") > 0.10


@pytest.mark.slow
def test_change_models_still_see_a_real_change():
    """Power at stated true effects, with the year of history the kit looks back over (52 weeks
    before, 15 after): a rise of 45 s in a 300 s handle time whose weeks vary by 10 s
    (AR(1) 0.6), and a fall of 0.7 in the log-odds of a 10% share (to about 5%)."""
    assert its_called_rate("continuous", replicates=100, effect=45.0, weeks=LONG) >= 0.8
    called, _ = did_called_rate("share", replicates=100, effect=-0.7, weeks=LONG)
    assert called >= 0.8
