"""The day as the unit of evidence: quasi-likelihood dispersion for period comparisons.

Contacts and incidents are not independent trials. Days differ far more than sampling
explains (staffing, weather, an outage), so a binomial or Poisson interval built from the
number of contacts is far too narrow, and "beyond chance" fires on most comparisons in
which nothing changed. The remedy here is the quasi-likelihood one of McCullagh & Nelder
(1989, *Generalized Linear Models*, 2nd ed., sections 4.5 and 6.2; R's ``quasibinomial``
and ``quasipoisson`` families): each period's days are the units, the period's pooled
rate is the fitted value, and the dispersion

    phi = Pearson X^2 / (days - 2)

scales the variance of the estimate. Intervals and tests then use Student's t with
``days - 2`` degrees of freedom, as R's ``summary.glm`` does for quasi families. phi is
floored at 1: where the days vary no more than sampling explains, the exact per-contact
interval (Newcombe, Poisson) is kept, and the correction never narrows an interval.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from ccreview.stats.proportion_tests import poisson_rate_comparison

__all__ = ["MIN_UNITS_PER_SIDE", "adjust_for_days", "day_fit", "pearson_dispersion",
           "quasi_proportion_difference", "quasi_rate_ratio"]

#: days a side needed to estimate the day-to-day variation at all
MIN_UNITS_PER_SIDE = 5


def pearson_dispersion(before: np.ndarray, after: np.ndarray, *, kind: str) -> tuple[float, int]:
    """:func:`day_fit` without the exposures: ``(phi, df)``."""
    phi, df, _ = day_fit(before, after, kind=kind)
    return phi, df


def day_fit(before: np.ndarray, after: np.ndarray, *, kind: str
            ) -> tuple[float, int, np.ndarray | None]:
    """The Pearson dispersion of daily counts around their fitted values.

    Parameters
    ----------
    before, after : ndarray, shape (days, 2) or (days, 3)
        Per day, the numerator (successes or events), the denominator (trials or
        exposure) and optionally the weekday (0-6); days with a zero denominator carry no
        information and are dropped.
    kind : {"proportion", "rate"}
        Binomial variance ``n p (1 - p)`` or Poisson variance ``e r``.

    Returns
    -------
    (phi, df, exposure)
        ``X^2 / df``; ``exposure`` is each period's exposure weighted by its weekdays'
        factors (None without weekday factors), so that ``count / exposure`` is the period's
        rate with its mix of weekdays allowed for: a quarter with one more Monday than the
        last is not busier for that. The fitted value of a day is its period's rate, times its weekday's
        factor when weekdays are given (a main-effects model, fitted by iterative
        proportional fitting of the period and weekday totals, Bishop, Fienberg & Holland
        1975, ch. 3): a Monday peak that both periods share is not day-to-day noise.
        ``df`` = days - 2, less 6 for the weekday factors. NaN when ``df < 1``.
    """
    sides = []
    for code, side in enumerate((before, after)):
        side = np.asarray(side, dtype=float)
        side = side.reshape(-1, side.shape[1] if side.ndim == 2 and side.size else 2)
        side = side[side[:, 1] > 0]
        sides.append(np.column_stack([side[:, :2], np.full(len(side), code),
                                      side[:, 2] if side.shape[1] > 2 else np.zeros(len(side))]))
    data = np.vstack(sides) if sides else np.zeros((0, 4))
    count, size, period, weekday = data[:, 0], data[:, 1], data[:, 2].astype(int), data[:, 3].astype(int)
    weekdays = np.unique(weekday)
    factors = len(weekdays) > 1 and len(count) >= 2 * 7
    rate = np.ones(2)
    week_factor = np.ones(7)
    for _ in range(50 if factors else 1):  # iterative proportional fitting of the margins
        exposure = size * week_factor[weekday]
        rate = np.array([count[period == p].sum() / max(exposure[period == p].sum(), 1e-300)
                         for p in (0, 1)])
        if not factors:
            break
        base = size * rate[period]
        new = np.ones(7)
        for w in weekdays:
            mask = weekday == w
            new[w] = count[mask].sum() / base[mask].sum() if base[mask].sum() > 0 else 1.0
        if np.allclose(new, week_factor, rtol=1e-9):
            break
        week_factor = new
    fitted = rate[period] * (week_factor[weekday] if factors else 1.0)
    if kind == "proportion":
        fitted = np.clip(fitted, 0, 1)
    expected = size * fitted
    variance = expected * (1 - fitted) if kind == "proportion" else expected
    with np.errstate(invalid="ignore", divide="ignore"):
        x2 = float(np.sum(np.where(variance > 0, (count - expected) ** 2 / variance, 0.0)))
    df = len(count) - 2 - (len(weekdays) - 1 if factors else 0)
    weighted = (np.array([(size * week_factor[weekday])[period == p].sum() for p in (0, 1)])
                if factors else None)
    return (x2 / df if df >= 1 else float("nan")), df, weighted


def quasi_proportion_difference(x1: float, n1: float, x2: float, n2: float, *, phi: float,
                                df: int, confidence: float) -> tuple[float, float, float]:
    """Interval and p-value of ``x2/n2 - x1/n1`` with the binomial variance times ``phi``
    and a t reference with ``df`` degrees of freedom: ``(low, high, p)``."""
    p1, p2 = x1 / n1, x2 / n2
    se = np.sqrt(phi * (p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2))
    d = p2 - p1
    if se == 0:
        return d, d, (1.0 if d == 0 else 0.0)
    q = stats.t.ppf(0.5 + confidence / 2, df)
    return d - q * se, d + q * se, float(2 * stats.t.sf(abs(d / se), df))


def quasi_rate_ratio(x1: float, e1: float, x2: float, e2: float, *, phi: float, df: int,
                     confidence: float) -> tuple[float, float, float]:
    """Interval and p-value of the rate ratio ``(x2/e2) / (x1/e1)`` on the log scale with the
    Poisson variance times ``phi`` and a t reference: ``(low, high, p)``."""
    if x1 <= 0 or x2 <= 0:
        return float("nan"), float("nan"), float("nan")
    log_ratio = np.log((x2 / e2) / (x1 / e1))
    se = np.sqrt(phi * (1 / x1 + 1 / x2))
    q = stats.t.ppf(0.5 + confidence / 2, df)
    return (float(np.exp(log_ratio - q * se)), float(np.exp(log_ratio + q * se)),
            float(2 * stats.t.sf(abs(log_ratio / se), df)))


def adjust_for_days(result: pd.DataFrame, kinds: Sequence[str], before_units: Sequence,
                    after_units: Sequence, *, confidence: float) -> pd.DataFrame:
    """Replace the per-contact interval and p-value of each proportion or rate row by the
    quasi-likelihood one when its days vary more than sampling explains (phi > 1).

    ``result`` has the effect columns of :mod:`ccreview.stats.proportion_tests`; the
    returned copy adds ``dispersion`` (phi, NaN where not estimated) and ``units`` (days).
    Rows with fewer than :data:`MIN_UNITS_PER_SIDE` days a side keep their interval and are
    marked with ``units`` below the minimum (the caller reports too little data).
    """
    out = result.copy()
    out["dispersion"], out["units"] = np.nan, 0
    for i, (kind, first, second) in enumerate(zip(kinds, before_units, after_units, strict=True)):
        if first is None or second is None or kind not in ("proportion", "rate"):
            continue
        first, second = (np.asarray(u, dtype=float) for u in (first, second))
        first, second = (u.reshape(-1, u.shape[1] if u.ndim == 2 and u.size else 2)
                         for u in (first, second))
        used = min(int((first[:, 1] > 0).sum()), int((second[:, 1] > 0).sum()))
        out.iloc[i, out.columns.get_loc("units")] = used
        if used < MIN_UNITS_PER_SIDE:
            continue
        phi, df, weighted = day_fit(first, second, kind=kind)
        out.iloc[i, out.columns.get_loc("dispersion")] = phi
        x1, n1 = first[:, 0].sum(), first[:, 1].sum()
        x2, n2 = second[:, 0].sum(), second[:, 1].sum()
        row = out.index[i]
        if kind == "rate" and weighted is not None and np.all(weighted > 0):
            # the rate ratio with each period's weekday mix allowed for (the GLM's period effect)
            n1, n2 = weighted
            out.loc[row, "estimate"] = (x2 / n2) / (x1 / n1) if x1 > 0 else np.inf
            if not (np.isfinite(phi) and phi > 1):
                exact = poisson_rate_comparison(x1, n1, x2, n2, confidence=confidence).iloc[0]
                out.loc[row, ["ci_low", "ci_high", "p_value"]] = exact[
                    ["ci_low", "ci_high", "p_value"]].to_numpy()
        if not np.isfinite(phi) or phi <= 1:
            continue
        method = quasi_proportion_difference if kind == "proportion" else quasi_rate_ratio
        low, high, p = method(x1, n1, x2, n2, phi=phi, df=df, confidence=confidence)
        out.loc[row, ["ci_low", "ci_high", "p_value"]] = [low, high, p]
    return out
