"""Sample sizes, power and evaluator agreement for comparing quality-monitoring (QA) methods.

How many evaluations a quarter needs (Cochran), how likely a comparison of two pass rates is to
detect a real difference (R's ``power.prop.test``), and how far two evaluators, or a panel of them,
agree (Cohen's kappa, the two-way intraclass correlation).
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np
import pandas as pd
from scipy import stats

from ccreview.exceptions import ParameterError

__all__ = [
    "cochran_sample_size",
    "cohens_h",
    "cohens_kappa",
    "icc_two_way",
    "n_two_proportions",
    "power_two_proportions",
    "sample_size_for_mean",
]

_SIDES = {"two-sided": 2, "two.sided": 2, "one-sided": 1, "one.sided": 1}


# --- checks -----------------------------------------------------------------------------------
def _unit_open(value: float, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not 0 < float(value) < 1:
        raise ParameterError(f"{name}={value!r} must be a number strictly between 0 and 1 "
                             f"(for example 0.95 for 95%).")
    return float(value)


def _proportions(p: object, name: str) -> np.ndarray:
    try:
        arr = np.asarray(p, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError(f"{name}={p!r} is not a proportion; give a number from 0 to 1.") from None
    if np.any(np.isnan(arr)) or np.any((arr < 0) | (arr > 1)):
        raise ParameterError(f"{name}={p!r} must lie in [0, 1]; give proportions such as 0.85, not 85%.")
    return arr


def _positive(value: float, name: str, hint: str) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not float(value) > 0 \
            or not math.isfinite(float(value)):
        raise ParameterError(f"{name}={value!r} must be a positive number; {hint}.")
    return float(value)


def _population(population: int | None) -> int | None:
    if population is None:
        return None
    ok = isinstance(population, Integral) or (isinstance(population, float) and population.is_integer())
    if isinstance(population, bool) or not ok or population < 1:
        raise ParameterError(f"population={population!r} must be a whole number of at least 1 (the "
                             f"contacts the sample is drawn from), or None for an unlimited population.")
    return int(population)


def _sides(alternative: str) -> int:
    if alternative not in _SIDES:
        raise ParameterError(f"alternative={alternative!r} is not known; use 'two-sided' or 'one-sided'.")
    return _SIDES[alternative]


def _z(confidence: float) -> float:
    return float(stats.norm.ppf(1 - (1 - _unit_open(confidence, "confidence")) / 2))


def _scalar_or_array(value: np.ndarray) -> float | np.ndarray:
    return float(value) if np.ndim(value) == 0 else value


def _finite_sample(n0: float, population: int | None) -> int:
    n = n0 if population is None else n0 / (1 + (n0 - 1) / population)
    return max(1, math.ceil(round(n, 9)))  # round first: 100.00000000000001 needs 100, not 101


# --- sample sizes -----------------------------------------------------------------------------
def cochran_sample_size(p: float, margin: float, *, confidence: float = 0.95,
                        population: int | None = None) -> int:
    """Evaluations needed to estimate a pass rate ``p`` to within ``margin``.

    Parameters
    ----------
    p : float
        Expected proportion, 0-1 (0.5 is the conservative choice when unknown).
    margin : float
        Half-width of the confidence interval, in 0-1 units (0.05 for +/-5 points).
    confidence : float
        Two-sided confidence level.
    population : int, optional
        Contacts the sample is drawn from; applies the finite-population correction.

    Returns
    -------
    int
        Cochran's ``n0 = z^2 p (1-p) / e^2``, or ``n0 / (1 + (n0 - 1)/N)`` for a population of N,
        rounded up (never below 1).
    """
    p_ = float(_proportions(p, "p")) if np.ndim(p) == 0 else None
    if p_ is None:
        raise ParameterError(f"p={p!r}: give one proportion, not a list.")
    e = _positive(margin, "margin", "give the half-width of the interval, e.g. 0.05 for +/-5 points")
    n0 = _z(confidence) ** 2 * p_ * (1 - p_) / e**2
    return _finite_sample(n0, _population(population))


def sample_size_for_mean(sd: float, margin: float, *, confidence: float = 0.95,
                         population: int | None = None) -> int:
    """Evaluations needed to estimate a mean score to within ``margin``.

    Parameters
    ----------
    sd : float
        Expected standard deviation of the score.
    margin : float
        Half-width of the confidence interval, in score units.
    confidence : float
        Two-sided confidence level.
    population : int, optional
        Contacts the sample is drawn from; applies the finite-population correction.

    Returns
    -------
    int
        ``(z sd / e)^2``, corrected as in :func:`cochran_sample_size`, rounded up.
    """
    s = _positive(sd, "sd", "give the expected standard deviation of the scores")
    e = _positive(margin, "margin", "give the half-width of the interval in score units")
    return _finite_sample((_z(confidence) * s / e) ** 2, _population(population))


# --- two proportions --------------------------------------------------------------------------
def cohens_h(p1: float | np.ndarray, p2: float | np.ndarray) -> float | np.ndarray:
    """Cohen's effect size for two proportions, ``2 asin(sqrt(p1)) - 2 asin(sqrt(p2))``.

    Cohen (1988) calls 0.2 small, 0.5 medium and 0.8 large. Vectorised over ``p1`` and ``p2``.
    """
    a, b = _proportions(p1, "p1"), _proportions(p2, "p2")
    return _scalar_or_array(2 * np.arcsin(np.sqrt(a)) - 2 * np.arcsin(np.sqrt(b)))


def _two_prop_inputs(p1: object, p2: object, alpha: float, alternative: str):
    a, b = _proportions(p1, "p1"), _proportions(p2, "p2")
    z_alpha = float(stats.norm.isf(_unit_open(alpha, "alpha") / _sides(alternative)))
    pooled = np.sqrt((a + b) * (1 - (a + b) / 2))  # sqrt(2 pbar qbar), as R writes it
    unpooled = np.sqrt(a * (1 - a) + b * (1 - b))
    return np.abs(a - b), z_alpha, pooled, unpooled


def power_two_proportions(p1: float | np.ndarray, p2: float | np.ndarray, n: float | np.ndarray, *,
                          alpha: float = 0.05, alternative: str = "two-sided") -> float | np.ndarray:
    """Power of the two-sample test of proportions with ``n`` per group, as R's ``power.prop.test``.

    Parameters
    ----------
    p1, p2 : float or array
        Pass rates of the two groups (0-1).
    n : float or array
        Observations in *each* group.
    alpha : float
        Significance level.
    alternative : {"two-sided", "one-sided"}
        Two-sided counts only the rejection region on the side of the true difference (R's
        default ``strict=FALSE``), so with ``p1 == p2`` the power is ``alpha / 2``.

    Returns
    -------
    float or ndarray
        ``Phi((sqrt(n)|p1-p2| - z sqrt(2 pbar qbar)) / sqrt(p1 q1 + p2 q2))``.
    """
    d, z_alpha, pooled, unpooled = _two_prop_inputs(p1, p2, alpha, alternative)
    n_ = np.asarray(n, dtype=float)
    if np.any(~(n_ > 0)) or np.any(~np.isfinite(n_)):
        raise ParameterError(f"n={n!r} must be a positive number of observations per group.")
    with np.errstate(divide="ignore", invalid="ignore"):
        power = stats.norm.cdf((np.sqrt(n_) * d - z_alpha * pooled) / unpooled)
    return _scalar_or_array(power)


def n_two_proportions(p1: float | np.ndarray, p2: float | np.ndarray, *, power: float = 0.8,
                      alpha: float = 0.05, alternative: str = "two-sided") -> float | np.ndarray:
    """Observations per group for the two-sample test of proportions, as R's ``power.prop.test``.

    Solves :func:`power_two_proportions` for ``n`` in closed form (R finds the same root with
    ``uniroot``): ``n = ((z_alpha sqrt(2 pbar qbar) + z_power sqrt(p1 q1 + p2 q2)) / |p1 - p2|)^2``.
    Not rounded; take ``ceil`` for whole evaluations.
    """
    d, z_alpha, pooled, unpooled = _two_prop_inputs(p1, p2, alpha, alternative)
    z_power = float(stats.norm.ppf(_unit_open(power, "power")))
    if np.any(d == 0):
        raise ParameterError(f"p1={p1!r} and p2={p2!r}: the proportions must differ; no sample size "
                             f"detects a difference of zero.")
    root = z_alpha * pooled + z_power * unpooled
    if np.any(root <= 0):
        raise ParameterError(f"power={power!r} is below what a single observation gives; ask for more power.")
    return _scalar_or_array((root / d) ** 2)


# --- agreement between evaluators -------------------------------------------------------------
def _kappa_table(rater_a, rater_b, categories):
    a = pd.Series(np.asarray(rater_a, dtype=object).ravel())
    b = pd.Series(np.asarray(rater_b, dtype=object).ravel())
    if len(a) != len(b):
        raise ParameterError(f"rater_a has {len(a)} ratings and rater_b {len(b)}; give one pair per "
                             f"evaluated contact, in the same order.")
    keep = ~(a.isna() | b.isna()).to_numpy()
    a, b = a[keep].tolist(), b[keep].tolist()
    if not a:
        raise ParameterError("cohens_kappa: no contact was rated by both evaluators.")
    if categories is None:
        try:
            cats = sorted(set(a) | set(b))
        except TypeError:
            raise ParameterError("cohens_kappa: the labels mix types that cannot be ordered; "
                                 "pass categories=[...] in their order.") from None
    else:
        cats = list(categories)
        if len(set(cats)) != len(cats):
            raise ParameterError(f"categories={categories!r} repeats a category.")
        unknown = sorted({str(x) for x in a + b if x not in set(cats)})
        if unknown:
            raise ParameterError(f"cohens_kappa: rating(s) {', '.join(unknown)} are not among "
                                 f"categories={cats!r}; add them or correct the ratings.")
    index = {c: i for i, c in enumerate(cats)}
    table = np.zeros((len(cats), len(cats)))
    np.add.at(table, ([index[x] for x in a], [index[x] for x in b]), 1)
    return table, cats


def _agreement_weights(k: int, weights: str | None) -> np.ndarray:
    if weights is None or k == 1:
        return np.eye(k)
    distance = np.abs(np.subtract.outer(np.arange(k), np.arange(k))) / (k - 1)
    if weights == "linear":
        return 1 - distance
    if weights == "quadratic":
        return 1 - distance**2
    raise ParameterError(f"weights={weights!r} is not known; use None, 'linear' or 'quadratic'.")


def cohens_kappa(rater_a, rater_b, *, weights: str | None = None, categories=None,
                 confidence: float = 0.95) -> dict:
    """Cohen's kappa (or weighted kappa) between two evaluators, with its large-sample interval.

    Parameters
    ----------
    rater_a, rater_b : array-like
        One category label (string or number) per contact, in the same order. Pairs where either
        label is missing (NaN/None) are dropped.
    weights : {None, "linear", "quadratic"}
        None for Cohen's (1960) kappa; "linear" (Cicchetti-Allison) or "quadratic" (Fleiss-Cohen)
        agreement weights ``1 - |i-j|/(k-1)`` or ``1 - (i-j)^2/(k-1)^2`` for ordered categories.
    categories : sequence, optional
        Every category in its order (needed for weights on text labels, and to count categories
        nobody used). Default: the sorted labels seen.
    confidence : float
        Two-sided level of the interval.

    Returns
    -------
    dict
        ``kappa``, ``se``, ``ci_low``, ``ci_high`` (kappa -/+ z se), ``observed_agreement``,
        ``expected_agreement`` (both weighted when weights are used), ``n`` (pairs used),
        ``se_null``, ``z`` and ``p_value`` (two-sided test of kappa = 0), ``weights``, ``categories``.
        Kappa is NaN when chance agreement is 1 (both evaluators used one category only).

    Notes
    -----
    Variances are the large-sample ones of Fleiss, Cohen & Everitt (1969), Psychological Bulletin
    72:323-327 (also SAS PROC FREQ's ASE); ``se`` is the standard error under the alternative, and
    ``se_null`` the one under kappa = 0. Weights use the positions of the categories, as R's
    ``irr::kappa2`` does.
    """
    z_crit = _z(confidence)
    table, cats = _kappa_table(rater_a, rater_b, categories)
    if weights is not None and categories is None and not all(
            isinstance(c, Real) and not isinstance(c, bool) for c in cats):
        raise ParameterError("cohens_kappa: weighted kappa needs ordered categories; pass "
                             "categories=[...] from lowest to highest (text labels sort alphabetically).")
    w = _agreement_weights(len(cats), weights)
    n = table.sum()
    p = table / n
    rows, cols = p.sum(axis=1), p.sum(axis=0)
    p_obs, p_exp = (w * p).sum(), (w * np.outer(rows, cols)).sum()  # numpy: 0/0 is NaN
    w_row, w_col = w @ cols, rows @ w  # mean weight of row category i, of column category j
    with np.errstate(divide="ignore", invalid="ignore"):
        kappa = (p_obs - p_exp) / (1 - p_exp)
        spread = w - np.add.outer(w_row, w_col) * (1 - kappa)
        var = ((p * spread**2).sum() - (kappa - p_exp * (1 - kappa)) ** 2) / (n * (1 - p_exp) ** 2)
        var0 = ((np.outer(rows, cols) * (w - np.add.outer(w_row, w_col)) ** 2).sum() - p_exp**2) \
            / (n * (1 - p_exp) ** 2)
        se, se0 = math.sqrt(max(float(var), 0.0)), math.sqrt(max(float(var0), 0.0))
        z = kappa / se0
    if not math.isfinite(kappa):
        kappa = se = se0 = z = math.nan
    return {
        "kappa": float(kappa), "se": se, "ci_low": float(kappa - z_crit * se),
        "ci_high": float(kappa + z_crit * se), "observed_agreement": float(p_obs),
        "expected_agreement": float(p_exp), "n": int(n), "se_null": se0, "z": float(z),
        "p_value": float(2 * stats.norm.sf(abs(z))) if math.isfinite(z) else math.nan,
        "weights": weights, "categories": cats,
    }


def icc_two_way(scores, *, kind: str = "agreement", confidence: float = 0.95) -> dict:
    """Two-way intraclass correlation of single ratings: ICC(2,1) or ICC(3,1).

    Parameters
    ----------
    scores : 2-D array-like
        One row per evaluated contact (subject), one column per evaluator; subjects with a
        missing score are dropped.
    kind : {"agreement", "consistency"}
        "agreement" is ICC(2,1) of Shrout & Fleiss (1979), ICC(A,1) of McGraw & Wong (1996):
        evaluators a random sample, their mean differences count as disagreement.
        "consistency" is ICC(3,1) / ICC(C,1): evaluators fixed, their mean differences ignored.
    confidence : float
        Two-sided level of the interval.

    Returns
    -------
    dict
        ``icc``, ``ci_low``, ``ci_high``, ``f`` (MS subjects / MS error), ``df1``, ``df2``,
        ``p_value`` (F test of ICC = 0), ``ms_subjects``, ``ms_raters``, ``ms_error``,
        ``n_subjects``, ``n_raters`` and ``kind``.

    Notes
    -----
    Interval of ICC(3,1) from the exact F distribution; of ICC(2,1) the approximate one of
    Fleiss & Shrout (1978) with Satterthwaite degrees of freedom, McGraw & Wong (1996) Table 7.
    """
    if kind not in ("agreement", "consistency"):
        raise ParameterError(f"kind={kind!r} is not known; use 'agreement' (ICC(2,1)) or "
                             f"'consistency' (ICC(3,1)).")
    alpha = 1 - _unit_open(confidence, "confidence")
    try:
        x = np.asarray(scores, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError("icc_two_way: scores must be numbers, one row per contact and one "
                             "column per evaluator.") from None
    if x.ndim != 2:
        raise ParameterError(f"icc_two_way: scores has {x.ndim} dimension(s); give a 2-D table "
                             f"(contacts x evaluators).")
    x = x[~np.isnan(x).any(axis=1)]
    n, k = x.shape
    if n < 2 or k < 2:
        raise ParameterError(f"icc_two_way: {n} complete subject(s) and {k} evaluator(s); at least 2 "
                             f"subjects each scored by at least 2 evaluators are needed.")
    grand = x.mean()
    ss_rows = k * ((x.mean(axis=1) - grand) ** 2).sum()
    ss_cols = n * ((x.mean(axis=0) - grand) ** 2).sum()
    ss_error = ((x - grand) ** 2).sum() - ss_rows - ss_cols
    df1, df2 = n - 1, (n - 1) * (k - 1)
    msr, msc, mse = ss_rows / df1, ss_cols / (k - 1), ss_error / df2
    with np.errstate(divide="ignore", invalid="ignore"):
        f0 = msr / mse
        if kind == "consistency":
            icc = (msr - mse) / (msr + (k - 1) * mse)
            f_low = f0 / stats.f.ppf(1 - alpha / 2, df1, df2)
            f_high = f0 * stats.f.ppf(1 - alpha / 2, df2, df1)
            low, high = (f_low - 1) / (f_low + k - 1), (f_high - 1) / (f_high + k - 1)
        else:
            icc = (msr - mse) / (msr + (k - 1) * mse + k * (msc - mse) / n)
            a = k * icc / (n * (1 - icc))
            b = 1 + k * icc * (n - 1) / (n * (1 - icc))
            v = (a * msc + b * mse) ** 2 / ((a * msc) ** 2 / (k - 1) + (b * mse) ** 2 / df2)
            f_star = stats.f.ppf(1 - alpha / 2, df1, v)
            f_star2 = stats.f.ppf(1 - alpha / 2, v, df1)
            low = n * (msr - f_star * mse) / (f_star * (k * msc + (k * n - k - n) * mse) + n * msr)
            high = n * (f_star2 * msr - mse) / (k * msc + (k * n - k - n) * mse + n * f_star2 * msr)
        p_value = stats.f.sf(f0, df1, df2)
    if mse == 0 and msr > 0:  # no error variance at all: the evaluators agree perfectly
        low = high = 1.0
    return {
        "icc": float(icc), "ci_low": float(low), "ci_high": float(high), "f": float(f0),
        "df1": int(df1), "df2": int(df2), "p_value": float(p_value), "ms_subjects": float(msr),
        "ms_raters": float(msc), "ms_error": float(mse), "n_subjects": int(n), "n_raters": int(k),
        "kind": kind,
    }
