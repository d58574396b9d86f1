"""Interrupted time series: segmented regression of one series around a change (Lopez Bernal et al. 2017)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ccreview.data import columns as c
from ccreview.stats.change_fits import (
    AR1,
    autocorrelation_caveat,
    average_effect,
    check_errors,
    fit_model,
    inverse_link,
)
from ccreview.stats.change_models import (
    _Y,
    COUNTERFACTUAL,
    EXCLUDED,
    EXPOSURE,
    FITTED,
    INTERCEPT,
    LEVEL,
    MIN_SIDE,
    OBSERVED,
    POST,
    RATE,
    SHARE,
    SLOPE,
    TIME,
    _as_day,
    _check_min_periods,
    _check_options,
    _count_warnings,
    _date_warning,
    _effect_row,
    _empty_table,
    _Grid,
    _harmonics,
    _prepare,
    _special_causes,
    _split,
)
from ccreview.stats.change_results import ITSResult

__all__ = [
    "interrupted_time_series",
]


def interrupted_time_series(
    series: pd.DataFrame, *, implemented_on: object, kind: str, seasonality: int | bool | None = None,
    confidence: float = 0.95, slope_change: bool = True, unit: str | None = None, errors: str = AR1,
    special_causes=None, min_before: int = MIN_SIDE,
    min_after: int = MIN_SIDE, n_draws: int = 10_000, seed: int = 0,
) -> ITSResult:
    """Segmented regression of a weekly or monthly series around a change.

    Terms: ``intercept``, ``time`` (periods since the first), ``level_change`` (1 from the first
    period after the change) and ``slope_change`` (periods since that first post period, so
    ``level_change`` is the jump there); ``slope_change=False`` fits the step-change model of Lopez
    Bernal et al. (2017). ``seasonality=k`` adds k sine/cosine pairs of a yearly cycle (12 months,
    or 365.25 days for weekly data); ``True`` means two pairs.

    Left out of the fit and listed in ``.excluded``: the period in which the change was
    implemented (it mixes both regimes; a period starting on the implementation date counts as
    after), and every period containing one of the ``special_causes`` dates (a major incident,
    a degraded week), listed again in ``.special_causes``. Gaps are allowed: the AR(1) errors
    follow the period index, not the row order.

    The model (:mod:`ccreview.stats.change_fits`) is linear on the link scale: the logit of a
    share, the log of a rate, the value itself. ``errors="ar1"`` (default): AR(1) errors by REML,
    Kenward-Roger covariance, t intervals on Satterthwaite degrees of freedom.
    ``errors="independent"``: the textbook quasi-Poisson / quasi-binomial GLM or OLS, as in the
    tutorial; ``.table`` then matches R's ``glm`` with ``ci.exp``. ``.table`` shows rate ratios
    (rates), odds ratios (shares) or coefficients (continuous).

    ``.effect`` is the mean over the fitted post-change periods of fitted minus counterfactual (no
    level or slope change) on the metric's scale: exposure-weighted for shares and rates, a plain
    mean for continuous series. Its interval is exact for continuous series and otherwise the
    percentile interval of ``n_draws`` seeded multivariate-t draws of the coefficients.

    Fewer than ``min_before`` fitted periods before the change or ``min_after`` after it
    (including a change before the first or after the last period, or no date) gives a NaN
    effect and a warning, never an error. ``unit`` (a KPI unit such as "share" or "seconds") only
    shapes the wording and the chart.
    """
    _check_options(kind, confidence)
    check_errors(errors)
    min_before, min_after = _check_min_periods(min_before, min_after)
    harmonics = _harmonics(seasonality)
    frame, warnings = _prepare(series, kind=kind, name="series")
    when = _as_day(implemented_on)
    grid = _Grid.of(frame[c.PERIOD_START])
    post, excluded = _split(frame, grid, when)
    special = _special_causes(frame, grid, special_causes) & ~excluded
    excluded = excluded | special
    first_post = grid.first_start_on_or_after(when) if when is not None else None
    n_before, n_after = int((~post & ~excluded).sum()), int((post & ~excluded).sum())
    t = grid.index(frame[c.PERIOD_START])
    X = pd.DataFrame({INTERCEPT: np.ones(len(frame)), TIME: t, LEVEL: post.astype(float)})
    if slope_change:
        t0 = grid.index(pd.Series([first_post]))[0] if first_post is not None else 0.0
        X[SLOPE] = np.where(post, t - t0, 0.0)
    phase = 2 * np.pi * grid.year_fraction(frame[c.PERIOD_START])
    for k in range(1, harmonics + 1):
        X[f"sin_{k}"], X[f"cos_{k}"] = np.sin(k * phase), np.cos(k * phase)
    X0 = X.assign(**{LEVEL: 0.0}, **({SLOPE: 0.0} if slope_change else {}))
    problem = _date_warning(when, frame[c.PERIOD_START], grid)
    blocking = [problem] if problem else _count_warnings(n_before, n_after, grid.word,
                                                         min_before=min_before, min_after=min_after)
    if not blocking and n_before + n_after <= X.shape[1] + 1:
        blocking = [f"Too few periods ({n_before + n_after}) for a model with {X.shape[1]} terms; fit "
                    "without seasonal terms or wait for more data."]
    warnings += blocking
    if harmonics and n_before < (12 if grid.monthly else 52):
        warnings.append("The seasonal terms rest on less than a year of data before the change.")
    fitted = frame[[c.PERIOD_START, OBSERVED]].assign(**{FITTED: np.nan, COUNTERFACTUAL: np.nan,
                                                         POST: post, EXCLUDED: excluded})
    details = {"kind": kind, "implemented_on": when, "excluded": list(frame.loc[excluded, c.PERIOD_START]),
               "special_causes": list(frame.loc[special, c.PERIOD_START]), "errors": errors,
               "first_post_period": first_post, "period": grid.word, "unit": unit, "confidence": confidence,
               "min_periods": min_after}
    model, problems = None, []
    counted = kind in (RATE, SHARE)
    if not blocking:
        fit = ~excluded
        model, problems = fit_model(frame[_Y].to_numpy()[fit], X[fit], kind=kind, t=t[fit], errors=errors,
                                    exposure=frame[EXPOSURE].to_numpy()[fit] if counted else None)
        warnings += problems + (autocorrelation_caveat(model) if model is not None else [])
    if model is None:
        return ITSResult(_empty_table(), _effect_row(None, n_before, n_after), fitted, n_before, n_after,
                         warnings, reason=(blocking + problems)[0], **details)
    beta = model.params
    fitted[FITTED] = np.where(excluded, np.nan, inverse_link(kind, X.to_numpy() @ beta))
    fitted[COUNTERFACTUAL] = np.where(excluded, np.nan, inverse_link(kind, X0.to_numpy() @ beta))
    after = post & ~excluded
    weights = frame[EXPOSURE].to_numpy()[after] if counted else np.ones(int(after.sum()))
    values = average_effect(model, X.to_numpy()[after], X0.to_numpy()[after], weights,
                            confidence=confidence, n_draws=n_draws, seed=seed)
    return ITSResult(model.table(confidence), _effect_row(values, n_before, n_after), fitted, n_before,
                     n_after, warnings, model=model, autocorrelation=model.autocorrelation, **details)
