"""Sample sizes, power and evaluator agreement against published references (source beside each number)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ccreview.exceptions import ParameterError
from ccreview.stats.sampling import (
    cochran_sample_size,
    cohens_h,
    cohens_kappa,
    icc_two_way,
    n_two_proportions,
    power_two_proportions,
    sample_size_for_mean,
)


# --- Cochran sample sizes ---------------------------------------------------------------------
def test_cochran_textbook_385_and_finite_population_278():
    # n0 = 1.96^2 * 0.5 * 0.5 / 0.05^2 = 384.16 -> 385 (Cochran's formula, worked example on
    # http://13.112.111.34/sampling-size-calculation); exact z = 1.959964 gives 384.15, still 385.
    assert cochran_sample_size(0.5, 0.05) == 385
    # N = 1000, e = 5%, 95%: n = N z^2 p q / ((N-1) e^2 + z^2 p q) = 960.4 / 3.4579 = 277.7 -> 278
    # (math-gpt.org/problems/question/compute-the-sample-size-given-a-total-population-of-1000-
    # and-a-margin-of-er); algebraically the same as n0 / (1 + (n0 - 1)/N).
    assert cochran_sample_size(0.5, 0.05, population=1000) == 278


def test_cochran_never_exceeds_population_and_is_at_least_one():
    assert cochran_sample_size(0.5, 0.01, population=50) <= 50
    assert cochran_sample_size(0.0, 0.05) == 1
    assert cochran_sample_size(0.5, 0.05, confidence=0.99) > 385


def test_sample_size_for_mean_homework_example_267():
    # sd 2.5, margin 0.3, 95%: (1.96 * 2.5 / 0.3)^2 = 266.778 -> 267
    # (homeworksource.com/p/1024707/you-want-to-estimate-a-population-mean-with-a-margin-of-erro)
    assert sample_size_for_mean(2.5, 0.3) == 267
    # finite-population correction by hand: n0 = 266.768, N = 500 -> 266.768 / (1 + 265.768/500) = 174.1
    assert sample_size_for_mean(2.5, 0.3, population=500) == 175


def test_exact_integer_sample_size_is_not_pushed_up_by_rounding_error():
    # (z * 1 / (z / 10))^2 is exactly 100 in exact arithmetic
    z = 1.959963984540054
    assert sample_size_for_mean(1.0, z / 10) == 100


# --- Cohen's h --------------------------------------------------------------------------------
def test_cohens_h_published_and_hand_checked():
    # pwr::ES.h(0.5, 0.4) = 0.2013579, "Exercise 6.5 p. 203 from Cohen (1988)" (rdrr.io/pkg/pwr/man/ES.h.html)
    assert cohens_h(0.5, 0.4) == pytest.approx(0.2013579, abs=5e-8)
    # by hand: 2 asin(sqrt(.75)) - 2 asin(sqrt(.5)) = 2(pi/3) - 2(pi/4) = pi/6
    assert cohens_h(0.75, 0.5) == pytest.approx(math.pi / 6, abs=1e-12)
    # by hand: 2 asin(1) - 2 asin(0) = pi, the largest possible h
    assert cohens_h(1.0, 0.0) == pytest.approx(math.pi, abs=1e-12)
    assert isinstance(cohens_h(0.5, 0.4), float)


def test_cohens_h_is_vectorised_and_antisymmetric():
    h = cohens_h(np.array([0.5, 0.75]), 0.5)
    assert isinstance(h, np.ndarray) and h == pytest.approx([0.0, math.pi / 6])
    assert cohens_h(0.4, 0.5) == pytest.approx(-cohens_h(0.5, 0.4))


# --- power.prop.test --------------------------------------------------------------------------
# Every number below is from the Examples of R's ?power.prop.test (stats), whose comments give
# the results: "power = 0.740", "n = 76.7", "p2 = 0.8026", "sig.l = 0.00131", "n = 10451937",
# "n = 73.37" (rdrr.io/r/stats/power.prop.test.html; R source src/library/stats/R/power.R).
def test_power_prop_test_documented_power():
    # power.prop.test(n = 50, p1 = .50, p2 = .75)  ## => power = 0.740
    assert power_two_proportions(0.5, 0.75, 50) == pytest.approx(0.740, abs=5e-4)
    # the full-precision R print-out, 0.7401659, is quoted from R in another project's notes found
    # with the search tool; our value is 0.7401659013
    assert power_two_proportions(0.5, 0.75, 50) == pytest.approx(0.7401659, abs=5e-8)


def test_power_prop_test_documented_sample_sizes():
    # power.prop.test(p1 = .50, p2 = .75, power = .90)  ## => n = 76.7
    assert n_two_proportions(0.5, 0.75, power=0.9) == pytest.approx(76.7, abs=0.05)
    # power.prop.test(p1 = .5, p2 = 0.501, sig.level = .001, power = 0.90)  ## => n = 10451937
    assert round(n_two_proportions(0.5, 0.501, alpha=0.001, power=0.9)) == 10451937
    # power.prop.test(p1 = 0.90, p2 = 1.0, power = 0.8)  ##-> n = 73.37
    assert n_two_proportions(0.9, 1.0, power=0.8) == pytest.approx(73.37, abs=0.005)


def test_power_prop_test_documented_p2_and_sig_level():
    # power.prop.test(n = 50, p1 = .5, power = .90)  ## => p2 = 0.8026: at that p2 the power is .90
    assert power_two_proportions(0.5, 0.8026, 50) == pytest.approx(0.90, abs=2e-4)
    # power.prop.test(n = 50, p1 = .5, p2 = 0.9, power = .90, sig.level = NULL)  ## => sig.l = 0.00131
    assert power_two_proportions(0.5, 0.9, 50, alpha=0.00131) == pytest.approx(0.90, abs=1e-3)


def test_sample_size_inverts_power():
    n = n_two_proportions(0.82, 0.9, power=0.85, alpha=0.01)
    assert power_two_proportions(0.82, 0.9, n, alpha=0.01) == pytest.approx(0.85, abs=1e-12)


def test_one_sided_matches_pwrss_documentation():
    # pwrss::power.z.twoprops (normal approximation, pooled SE under H0, the R formula) Examples,
    # "Validated via G*Power and PASS documentation" (sjentsch/pwrss reference/proportions.twoprops.md):
    # prob1 = .65, prob2 = .60, n2 = 500, one.sided -> Statistical Power = 0.495
    assert power_two_proportions(0.65, 0.60, 500, alternative="one-sided") == pytest.approx(0.495, abs=5e-4)
    # prob1 = .65, prob2 = .60, power = .80, one.sided -> Sample Size = 1159 and 1159 (ceiling)
    assert math.ceil(n_two_proportions(0.65, 0.60, power=0.8, alternative="one-sided")) == 1159


def test_one_sided_is_two_sided_at_twice_alpha_as_in_r_source():
    # R: qnorm(sig.level/tside, lower.tail = FALSE), tside = 1 or 2 (src/library/stats/R/power.R).
    # By hand, n = 50, p = .5 vs .75, one-sided 5%: (7.0711 * .25 - 1.6449 * .68465) / .66144 = 0.9700,
    # Phi(0.9700) = 0.8340
    one = power_two_proportions(0.5, 0.75, 50, alternative="one-sided")
    assert one == pytest.approx(power_two_proportions(0.5, 0.75, 50, alpha=0.10), abs=1e-15)
    assert one == pytest.approx(0.8340, abs=1e-4)
    assert power_two_proportions(0.5, 0.75, 50, alternative="one.sided") == one  # R's spelling


def test_no_difference_gives_half_alpha_as_r_documents():
    # ?power.prop.test: "Without this [strict = TRUE] the power will be half the significance level
    # if the true difference is zero."
    assert power_two_proportions(0.6, 0.6, 80) == pytest.approx(0.025, abs=1e-12)


def test_power_is_vectorised():
    power = power_two_proportions(0.5, np.array([0.6, 0.75]), np.array([50, 50]))
    assert isinstance(power, np.ndarray) and power[1] == pytest.approx(0.7401659, abs=5e-8)
    n = n_two_proportions(0.5, np.array([0.75, 0.8]), power=0.9)
    assert n[0] == pytest.approx(76.7, abs=0.05) and n[1] < n[0]


# --- Cohen's kappa ----------------------------------------------------------------------------
def _pairs(table):
    """Expand a contingency table (rows rater A, columns rater B) into two label lists."""
    a, b = [], []
    for i, row in enumerate(table):
        for j, count in enumerate(row):
            a += [i] * count
            b += [j] * count
    return a, b


def test_kappa_wikipedia_worked_example():
    # Wikipedia "Cohen's kappa" worked example, reproduced at howcodex.com/statistics/
    # cohen_kappa_coefficient.htm: 50 grant proposals, yes/yes 20, yes/no 5, no/yes 10, no/no 15;
    # p_o = 0.70, p_e = 0.5 * 0.6 + 0.5 * 0.4 = 0.50, kappa = 0.40
    a = ["Yes"] * 25 + ["No"] * 25
    b = ["Yes"] * 20 + ["No"] * 5 + ["Yes"] * 10 + ["No"] * 15
    res = cohens_kappa(a, b)
    assert res["observed_agreement"] == pytest.approx(0.70, abs=1e-12)
    assert res["expected_agreement"] == pytest.approx(0.50, abs=1e-12)
    assert res["kappa"] == pytest.approx(0.40, abs=1e-12)
    assert res["n"] == 50
    # no published SE for this example: checked against statsmodels' independent implementation
    from statsmodels.stats.inter_rater import cohens_kappa as sm_kappa

    sm = sm_kappa([[20, 5], [10, 15]])
    assert res["se"] == pytest.approx(sm.std_kappa, abs=1e-12)
    assert res["se_null"] == pytest.approx(sm.std_kappa0, abs=1e-12)
    assert res["ci_low"] == pytest.approx(sm.kappa_low, abs=1e-12)
    assert res["ci_high"] == pytest.approx(sm.kappa_upp, abs=1e-12)


# SAS PROC FREQ printout for the table [[0, 4, 1], [0, 8, 0], [0, 1, 5]], recorded in statsmodels'
# test suite (statsmodels/stats/tests/test_inter_rater.py, TestUnweightedCohens / TestWeightedCohens).
SAS_TABLE = [[0, 4, 1], [0, 8, 0], [0, 1, 5]]


def test_kappa_se_and_interval_match_sas():
    res = cohens_kappa(*_pairs(SAS_TABLE))
    # Simple Kappa 0.4842, ASE 0.1380, 95% limits 0.2137 to 0.7547
    assert res["kappa"] == pytest.approx(0.4842, abs=5e-5)
    assert res["se"] == pytest.approx(0.1380, abs=5e-5)
    assert res["ci_low"] == pytest.approx(0.2137, abs=5e-5)
    assert res["ci_high"] == pytest.approx(0.7547, abs=5e-5)
    # Test of H0: ASE under H0 0.1484, Z 3.2626, Two-sided Pr > |Z| 0.0011
    assert res["se_null"] == pytest.approx(0.1484, abs=5e-5)
    assert res["z"] == pytest.approx(3.2626, abs=5e-5)
    assert res["p_value"] == pytest.approx(0.0011, abs=5e-5)


def test_linear_weighted_kappa_matches_sas():
    # SAS's weighted kappa uses Cicchetti-Allison (linear) weights by default:
    # Weighted Kappa 0.4701, ASE 0.1457, 95% limits 0.1845 to 0.7558; ASE under H0 0.1426,
    # Z 3.2971, Two-sided Pr > |Z| 0.0010
    res = cohens_kappa(*_pairs(SAS_TABLE), weights="linear")
    assert res["kappa"] == pytest.approx(0.4701, abs=5e-5)
    assert res["se"] == pytest.approx(0.1457, abs=5e-5)
    assert res["ci_low"] == pytest.approx(0.1845, abs=5e-5)
    assert res["ci_high"] == pytest.approx(0.7558, abs=5e-5)
    assert res["se_null"] == pytest.approx(0.1426, abs=5e-5)
    assert res["z"] == pytest.approx(3.2971, abs=5e-5)
    assert res["p_value"] == pytest.approx(0.0010, abs=5e-5)


def test_quadratic_weighted_kappa_se_matches_statsmodels():
    # no published quadratic SE found: statsmodels' independent implementation (wt="quadratic")
    from statsmodels.stats.inter_rater import cohens_kappa as sm_kappa

    sm = sm_kappa(SAS_TABLE, wt="quadratic")
    res = cohens_kappa(*_pairs(SAS_TABLE), weights="quadratic")
    assert res["kappa"] == pytest.approx(sm.kappa, abs=1e-12)
    assert res["se"] == pytest.approx(sm.std_kappa, abs=1e-12)
    assert res["se_null"] == pytest.approx(sm.std_kappa0, abs=1e-12)


# irr's `anxiety` data (20 subjects, ratings 1-6), raters 2 and 3, as copied in statsmodels'
# test suite; the counts are checked below against the irr documentation's own table.
RATER2 = [3, 6, 4, 6, 2, 4, 2, 4, 3, 3, 2, 3, 3, 3, 2, 2, 1, 3, 3, 4]
RATER3 = [2, 1, 4, 4, 3, 2, 1, 6, 1, 1, 1, 2, 3, 3, 1, 1, 3, 3, 2, 2]


def test_anxiety_data_matches_irr_documentation():
    # ?anxiety example output, apply(anxiety, 2, table) (rdrr.io/cran/irr/man/anxiety.html):
    # rater2: 1 2 3 4 6 -> 1 5 8 4 2; rater3: 1 2 3 4 6 -> 7 5 5 2 1
    assert [RATER2.count(v) for v in (1, 2, 3, 4, 6)] == [1, 5, 8, 4, 2]
    assert [RATER3.count(v) for v in (1, 2, 3, 4, 6)] == [7, 5, 5, 2, 1]


@pytest.mark.parametrize(
    ("weights", "kappa", "z", "p"),
    [
        (None, -0.006289308, -0.0604067, 0.9518317),  # kappa2(anxiety[,2:3])
        ("linear", 0.1459075, 1.282472, 0.1996772),  # kappa2(anxiety[,2:3], "equal")
        ("quadratic", 0.2520325, 1.437451, 0.1505898),  # kappa2(anxiety[,2:3], "squared")
    ],
)
def test_kappa_matches_r_irr_kappa2(weights, kappa, z, p):
    # R irr::kappa2 output recorded in statsmodels/stats/tests/test_inter_rater.py
    # (test_cohens_kappa_irr); irr weights the categories by position among the levels seen
    res = cohens_kappa(RATER2, RATER3, weights=weights)
    # irr prints 7 significant digits
    assert res["kappa"] == pytest.approx(kappa, rel=1e-6)
    assert res["z"] == pytest.approx(z, rel=1e-6)
    assert res["p_value"] == pytest.approx(p, rel=1e-6)


def test_kappa_drops_missing_pairs_and_respects_given_categories():
    a = ["pass", "fail", None, "pass", "fail", float("nan")]
    b = ["pass", "fail", "pass", "fail", "fail", "pass"]
    res = cohens_kappa(a, b)
    assert res["n"] == 4 and res["categories"] == ["fail", "pass"]
    ordered = ["poor", "fair", "good"]
    res = cohens_kappa(["poor", "good", "fair"], ["fair", "good", "fair"], weights="linear",
                       categories=ordered)
    assert res["categories"] == ordered and res["n"] == 3


def test_kappa_perfect_and_undefined():
    assert cohens_kappa([1, 2, 3, 1], [1, 2, 3, 1])["kappa"] == pytest.approx(1.0)
    # chance agreement 1 (one category only): kappa is 0/0
    assert math.isnan(cohens_kappa(["pass"] * 5, ["pass"] * 5)["kappa"])


# --- ICC --------------------------------------------------------------------------------------
# Shrout & Fleiss (1979) Table 2 example, 6 targets x 4 judges, as in R psych's tests
# (rdrr.io/cran/psych/src/tests/testthat/test_ICC.R: ICC(2,1) .29, ICC(3,1) .71).
SF = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]


def test_icc_matches_shrout_fleiss_1979():
    agreement = icc_two_way(SF, kind="agreement")
    consistency = icc_two_way(SF, kind="consistency")
    assert round(agreement["icc"], 2) == 0.29  # ICC(2,1)
    assert round(consistency["icc"], 2) == 0.71  # ICC(3,1)
    assert agreement["n_subjects"] == 6 and agreement["n_raters"] == 4


def test_icc_f_test_and_intervals_match_r_psych():
    # R psych::ICC(sf) as recorded in pingouin's tests (raphaelvallat/pingouin tests/test_reliability.py):
    # F 11.0, df 5 and 15, p 0.00013; ICC2 95% CI 0.02 to 0.76; ICC3 0.34 to 0.95
    agreement = icc_two_way(SF)
    consistency = icc_two_way(SF, kind="consistency")
    assert round(agreement["f"], 1) == 11.0
    assert (agreement["df1"], agreement["df2"]) == (5, 15)
    assert agreement["p_value"] == pytest.approx(0.00013, abs=5e-6)
    assert (round(agreement["ci_low"], 2), round(agreement["ci_high"], 2)) == (0.02, 0.76)
    assert (round(consistency["ci_low"], 2), round(consistency["ci_high"], 2)) == (0.34, 0.95)


def test_icc_perfect_agreement_and_no_variance():
    perfect = icc_two_way([[1, 1], [2, 2], [3, 3]])
    assert (perfect["icc"], perfect["ci_low"], perfect["ci_high"]) == (1.0, 1.0, 1.0)
    assert math.isnan(icc_two_way([[3, 3], [3, 3]])["icc"])  # 0/0: nothing to tell subjects apart


def test_icc_drops_incomplete_subjects():
    with_gap = [*SF, [5, np.nan, 4, 6]]
    assert icc_two_way(with_gap)["icc"] == pytest.approx(icc_two_way(SF)["icc"])
    assert icc_two_way(with_gap)["n_subjects"] == 6


# --- bad inputs -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: cochran_sample_size(1.2, 0.05), r"\[0, 1\]"),
        (lambda: cochran_sample_size(-0.1, 0.05), r"\[0, 1\]"),
        (lambda: cochran_sample_size(0.5, 0), "margin"),
        (lambda: cochran_sample_size(0.5, -0.05), "margin"),
        (lambda: cochran_sample_size(0.5, 0.05, confidence=95), "confidence"),
        (lambda: cochran_sample_size(0.5, 0.05, population=0), "population"),
        (lambda: cochran_sample_size(0.5, 0.05, population=10.5), "population"),
        (lambda: sample_size_for_mean(0, 1), "sd"),
        (lambda: sample_size_for_mean(1, float("nan")), "margin"),
        (lambda: cohens_h(0.5, 1.5), "p2"),
        (lambda: power_two_proportions(0.5, 0.75, 0), "n="),
        (lambda: power_two_proportions(0.5, 0.75, 50, alpha=0), "alpha"),
        (lambda: power_two_proportions(0.5, 0.75, 50, alternative="greater"), "alternative"),
        (lambda: n_two_proportions(0.5, 0.5), "differ"),
        (lambda: n_two_proportions(0.5, 0.75, power=1.0), "power"),
        (lambda: cohens_kappa([1, 2, 3], [1, 2]), "same order"),
        (lambda: cohens_kappa([None, None], [1, 2]), "both evaluators"),
        (lambda: cohens_kappa(["a"], ["b"], categories=["a"]), "not among"),
        (lambda: cohens_kappa([1, 2], [1, 2], weights="cubic"), "weights"),
        (lambda: cohens_kappa(["good", "poor"], ["poor", "poor"], weights="linear"), "categories="),
        (lambda: icc_two_way([[1, 2, 3]]), "at least 2"),
        (lambda: icc_two_way([[1], [2], [3]]), "at least 2"),
        (lambda: icc_two_way([1, 2, 3]), "2-D"),
        (lambda: icc_two_way(SF, kind="absolute"), "kind"),
    ],
)
def test_bad_inputs_raise_parameter_error(call, match):
    with pytest.raises(ParameterError, match=match):
        call()


def test_parameter_error_is_a_value_error():
    with pytest.raises(ValueError):
        cochran_sample_size(2, 0.05)
