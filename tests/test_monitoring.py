"""Monitoring methods compared (#17): the demo's planted QA truths found, agreement against an
independent implementation, sample sizes by hand, and the strengths and weaknesses built from
the numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.inter_rater import cohens_kappa as sm_kappa

from ccreview.data import columns as c
from ccreview.data.validate import load_dataset
from ccreview.demo.generator import generate
from ccreview.kpis import monitoring as mon

TZ = "Europe/London"


@pytest.fixture(scope="module")
def medium(tmp_path_factory):
    """A medium demo year: about 7,800 QA evaluations, enough to compare methods."""
    out = tmp_path_factory.mktemp("medium")
    truth = generate(out, seed=7, scale="medium")
    data = load_dataset({t: out / f"{t}.csv" for t in ("incidents", "contacts", "qa_evaluations")},
                        timezone=TZ)
    return {"qa": data["qa_evaluations"], "contacts": data["contacts"], "truth": truth["qa"]}


def test_the_lenient_evaluator_is_found_and_no_one_else(medium):
    out = mon.evaluator_leniency(medium["qa"])
    apart = out[out["apart"]]
    assert apart["evaluator"].tolist() == [medium["truth"]["lenient_evaluator"]]
    row = apart.iloc[0]
    # planted +8 points; the others' mean includes nothing of it except re-scored contacts
    assert row["ci_low"] <= medium["truth"]["lenient_by"] <= row["ci_high"] + 0.5


def test_the_method_that_misses_critical_errors_is_found(medium):
    profile = mon.method_profile(medium["qa"], medium["contacts"]).set_index(c.METHOD)
    lower = profile[(profile["vs_ref_q"] < 0.05) & (profile["critical_vs_ref"] < 0)]
    assert lower.index.tolist() == [medium["truth"]["method_missing_critical"]]
    planted = medium["truth"]["critical_rate"] * medium["truth"]["automated_detects"]  # 0.9 %
    row = profile.loc[medium["truth"]["method_missing_critical"]]
    assert row["critical_low"] <= planted <= row["critical_high"]
    assert (profile["contact_share"] > 0).all() and (profile["lag_days_median"].between(1, 5)).all()
    judged = mon.strengths_and_weaknesses(profile.reset_index()).set_index("method")
    assert "finds fewer critical errors" in judged.loc["automated", "weaknesses"]
    assert "the cheapest" in judged.loc["automated", "strengths"]  # 0 evaluator hours (default)


def test_agreement_on_the_double_scored_contacts_matches_statsmodels(medium):
    qa = medium["qa"]
    out = mon.agreement(qa)
    # every planted re-score whose first scoring is in the data pairs up
    assert out["pairs"] == medium["truth"]["double_scored"]
    twice = qa[qa[c.EVALUATION_ID].str.startswith("EVR")].set_index(c.CONTACT_ID)
    first = qa[~qa[c.EVALUATION_ID].str.startswith("EVR")].set_index(c.CONTACT_ID).loc[twice.index]
    table = pd.crosstab(first[c.CRITICAL_ERROR].astype(bool), twice[c.CRITICAL_ERROR].astype(bool))
    reference = sm_kappa(table.to_numpy())  # statsmodels: an independent implementation
    assert out["critical"]["kappa"] == pytest.approx(reference.kappa, abs=1e-12)
    assert out["critical"]["se"] == pytest.approx(reference.std_kappa, abs=1e-12)
    # re-scored with SD 3 on a score SD of about 8: the ICC is high, the planted flips rare
    assert 0.7 < out["icc"]["icc"] < 0.95 and out["critical"]["kappa"] > 0.5


def test_sample_sizes_by_hand():
    rng = np.random.default_rng(3)
    n = 600
    qa = pd.DataFrame({c.EVALUATED_AT: pd.date_range("2026-01-01", periods=n, freq="13h", tz=TZ),
                       c.AGENT: np.repeat([f"A{i}" for i in range(20)], n // 20),
                       c.SCORE: rng.normal(80, 8, n), c.CRITICAL_ERROR: rng.random(n) < 0.04})
    out = mon.qa_sample_sizes(qa, margin_points=5, baseline_rate=0.04, worse_rate=0.08, months=3).set_index(
        "question")
    sd = qa[c.SCORE].std()
    first, second = out.index
    # (1.959964 * SD / 5)^2, rounded up
    assert out.loc[first, "needed"] == np.ceil((1.959964 * sd / 5) ** 2)
    # R: power.prop.test(p1 = .04, p2 = .08, power = .8) gives n = 553.0 per group
    # (qnorm(.975) = 1.959964, qnorm(.8) = 0.8416212; pooled 0.06, unpooled sqrt(.04*.96 + .08*.92) =
    # 0.3316625; n = ((1.959964*sqrt(2*.06*.94) + 0.8416212*0.3316625) / .04)^2 = 552.4, ceil 553)
    assert out.loc[second, "needed"] == 553
    # 600 evaluations over 325 days (10.7 months): 3 months hold 168, half a side
    assert out.loc[second, "actual"] == pytest.approx(600 / (324 / 30.44) * 3 / 2, rel=0.01)
    assert out.loc[second, "verdict"] == "too few"


def test_strengths_and_weaknesses_come_from_the_numbers():
    profile = pd.DataFrame({
        c.METHOD: ["recorded", "live", "mystery_shopper"], "contact_share": [0.01, 0.003, 0.001],
        "precision_points": [2.0, 4.0, 8.0], "lag_days_median": [3.0, 0.5, 6.0],
        "hours_each": [0.4, 0.5, 1.0],
        "critical_rate": [0.03, 0.031, 0.01], "critical_vs_ref": [np.nan, 0.001, -0.02],
        "vs_ref_q": [np.nan, 0.9, 0.01], "reference": ["recorded"] * 3})
    out = mon.strengths_and_weaknesses(profile).set_index("method")
    assert out.loc["recorded", "strengths"] == (
        "covers the most contacts (1.0%); the most precise agent scores (±2.0 points); the cheapest "
        "(0.40 evaluator hours each)")
    assert out.loc["live", "strengths"] == "the quickest feedback (0.5 days)"
    assert out.loc["mystery_shopper", "weaknesses"].endswith(
        "finds fewer critical errors (1.0% against 3.0% by recorded, beyond chance)")


def _null_qa(rng, n=1500, evaluators=6):
    """QA evaluations in which no evaluator and no method differs from another."""
    methods = np.array(["live", "recorded", "side_by_side", "automated", "mystery_shopper"])
    return pd.DataFrame({
        c.EVALUATION_ID: [f"E{i}" for i in range(n)],
        c.EVALUATED_AT: pd.Timestamp("2026-07-01", tz=TZ)
        + pd.to_timedelta(rng.integers(0, 90 * 86400, n), "s"),
        c.CONTACT_ID: [f"C{i}" for i in range(n)],
        c.METHOD: methods[rng.choice(5, n, p=[.15, .5, .1, .2, .05])],
        c.EVALUATOR: [f"QA{k}" for k in rng.integers(0, evaluators, n)],
        c.AGENT: [f"A{k}" for k in rng.integers(0, 40, n)], c.SCORE: rng.normal(82, 8, n).round(1),
        c.CRITICAL_ERROR: pd.array(rng.random(n) < 0.03, dtype="boolean")})


def test_no_evaluator_or_method_is_called_apart_when_none_is():
    """Seeded no-change simulation: with every evaluator and method alike, "scores apart" and
    "finds fewer critical errors" are said of any of them in at most 5% of reviews (both hold
    the false discovery rate at 5%, which with nothing to find bounds any false call)."""
    rng = np.random.default_rng(20261204)
    reps = 300
    apart = fewer = 0
    for _ in range(reps):  # whole simulated reviews
        qa = _null_qa(rng)
        apart += bool(mon.evaluator_leniency(qa)["apart"].any())
        profile = mon.method_profile(qa, None)
        fewer += bool(((profile["vs_ref_q"] < 0.05) & (profile["critical_vs_ref"] < 0)).any())
    limit = 0.05 + 3 * np.sqrt(0.05 * 0.95 / reps)
    assert apart / reps <= limit and fewer / reps <= limit, (apart, fewer)
