"""Difference in differences: a changed group against an unaffected comparison group.

With two groups observed over the same weeks, the two-way model with week effects
``y_gt = a_g + w_t + d x treated x post + e_gt`` is the same as modelling the weekly gap between
them, ``y_1t - y_0t = (a_1 - a_0) + d x post + (e_1t - e_0t)``: the week effects (a surge, an
outage, the season) cancel exactly. :func:`difference_in_differences` fits that gap series on
the link scale with AR(1) errors (:mod:`ccreview.stats.change_fits`), so weeks are not treated
as independent, and checks the assumption the design rests on (the gap did not drift before
the change) as an equivalence against a stated margin, not as "no significant difference".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ccreview.data import columns as c
from ccreview.exceptions import ParameterError, SchemaError
from ccreview.stats.change_fits import (
    AR1,
    average_effect,
    check_errors,
    fit_model,
    inverse_link,
    link_slope,
    link_values,
    sampling_variance,
)
from ccreview.stats.change_models import (
    _Y,
    CI_HIGH,
    CI_LOW,
    CONTINUOUS,
    CONTROL,
    COUNTERFACTUAL,
    ESTIMATE,
    EXCLUDED,
    EXPOSURE,
    FITTED,
    GROUP,
    INTERCEPT,
    MIN_SIDE,
    OBSERVED,
    POST,
    RATE,
    SHARE,
    TERM,
    TIME,
    TREATED,
    TREATED_X_POST,
    _as_day,
    _check_min_periods,
    _check_options,
    _count_warnings,
    _date_warning,
    _effect_row,
    _empty_table,
    _Grid,
    _prepare,
    _special_causes,
    _split,
)
from ccreview.stats.change_results import DiDResult, ParallelTrends
from ccreview.stats.change_verdicts import _change, _interval

__all__ = [
    "did_regression",
    "difference_in_differences",
]

GAP = "gap"  # treated minus control on the link scale, per period
SAMPLING = "sampling_variance"  # the gap's variance from sampling alone
#: model terms: the gap's drift per period (only when parallel trends are not confirmed), and
#: the change in the gap's slope after the change
GAP_DRIFT, SLOPE_X_POST = "gap_drift", "treated_x_post_slope"


def did_regression(
    data: pd.DataFrame, *, outcome: str, group: str, post: str, kind: str = CONTINUOUS,
    exposure: str | None = None, confidence: float = 0.95,
) -> pd.DataFrame:
    """The textbook two-way difference-in-differences regression on a long table of units.

    ``outcome ~ treated + post + treated_x_post``, ``group`` and ``post`` being 0/1 columns, with
    classical errors for independent units (Wooldridge, Introductory Econometrics, section 13.2).
    Continuous outcomes: OLS. Rates: quasi-Poisson with offset log(``exposure``), estimates as
    rate ratios. For weekly series of a changed and a comparison group use
    :func:`difference_in_differences`, which allows for week effects and autocorrelation.
    """
    _check_options(kind, confidence)
    missing = [col for col in (outcome, group, post, exposure) if col is not None and col not in data]
    if missing:
        raise SchemaError(f"data lacks column(s) {', '.join(missing)} named in the call.")
    if kind != CONTINUOUS and exposure is None:
        raise ParameterError(f"kind={kind!r} needs exposure=<column with the denominator of the rate>.")
    g = pd.to_numeric(data[group]).to_numpy(float)
    s = pd.to_numeric(data[post]).to_numpy(float)
    X = pd.DataFrame({INTERCEPT: np.ones(len(g)), TREATED: g, POST: s, TREATED_X_POST: g * s})
    y = pd.to_numeric(data[outcome]).to_numpy(float)
    model, problems = fit_model(y, X, kind=kind, errors="independent",
                                exposure=None if exposure is None else data[exposure].to_numpy(float))
    if model is None:
        raise SchemaError("The difference-in-differences regression could not be fitted: "
                          + " ".join(problems))
    return model.table(confidence)


def _gap_series(treated: pd.DataFrame, control: pd.DataFrame, kind: str) -> pd.DataFrame:
    """One row per period both groups have: each group's link-scale level and their gap."""
    counted = kind in (RATE, SHARE)
    both = treated.merge(control, on=c.PERIOD_START, suffixes=("_t", "_c"), how="inner")
    for side in ("t", "c"):
        both[f"z_{side}"] = link_values(kind, both[f"{_Y}_{side}"].to_numpy(),
                                        both[f"{EXPOSURE}_{side}"].to_numpy() if counted else None)
    both[GAP] = both["z_t"] - both["z_c"]
    both[SAMPLING] = (sampling_variance(kind, both[f"{_Y}_t"].to_numpy(), both[f"{EXPOSURE}_t"].to_numpy())
                      + sampling_variance(kind, both[f"{_Y}_c"].to_numpy(), both[f"{EXPOSURE}_c"].to_numpy())
                      if counted else 0.0)
    return both


def _parallel_trends(pre: pd.DataFrame, t_pre: np.ndarray, t_post_mean: float, *, kind: str, errors: str,
                     margin: float | None, level_now: float, unit: str | None, word: str,
                     min_periods: int, confidence: float) -> ParallelTrends:
    """How far the gap drifted before the change, projected to the middle of the post periods."""
    level = 1 - 2 * (1 - confidence)
    if len(pre) < min_periods:
        return ParallelTrends(np.nan, np.nan, np.nan, np.nan, None, f"Too few {word}s before the change to "
                              "check whether the two groups moved in parallel.", level=level)
    X = pd.DataFrame({INTERCEPT: 1.0, TIME: t_pre})
    model, problems = fit_model(pre[GAP].to_numpy(), X, kind=kind, t=t_pre, errors=errors, on_link_scale=True,
                                known_variance=_known(pre))
    if model is None:
        return ParallelTrends(np.nan, np.nan, np.nan, np.nan, None, "The trends before the change could not "
                              "be compared. " + " ".join(problems), level=level)
    horizon = t_post_mean - float(np.mean(t_pre))
    scale = link_slope(kind, level_now)
    drift = model.interval(np.array([0.0, horizon]), level)
    p_value = model.interval(np.array([0.0, 1.0]), confidence)["p_value"]
    estimate, low, high = (scale * drift[k] for k in (ESTIMATE, CI_LOW, CI_HIGH))
    said = (f"before the change the gap between the groups drifted by the equivalent of "
            f"{_change(estimate, unit)} by the middle of the {word}s after it "
            f"({_interval(low, high, unit, level)})")
    if margin is None or not np.isfinite(margin) or margin <= 0:
        return ParallelTrends(estimate, low, high, p_value, None, f"{said[:1].upper()}{said[1:]}; with no "
                              "margin given, parallel trends cannot be confirmed.", level=level)
    within = bool(-margin < low and high < margin)
    bound = _change(margin, unit, signed=False)
    sentence = (f"The groups moved in parallel before the change: {said}, within the ±{bound} margin."
                if within else
                f"Parallel trends before the change are not confirmed: {said}, which is not within the "
                f"±{bound} margin, so the comparison group may not show what would have happened without "
                "the change.")
    return ParallelTrends(estimate, low, high, p_value, within, sentence, margin=float(margin), level=level)


def difference_in_differences(
    treated: pd.DataFrame, control: pd.DataFrame, *, implemented_on: object, kind: str,
    confidence: float = 0.95, unit: str | None = None, errors: str = AR1, special_causes=None,
    min_before: int = MIN_SIDE, min_after: int = MIN_SIDE, equivalence_margin: float | None = None,
    n_draws: int = 10_000, seed: int = 0,
) -> DiDResult:
    """Compare the change in a treated series with the change in an unaffected comparison series.

    Both series have the shape :func:`~ccreview.stats.its.interrupted_time_series` takes. The
    model is ``gap_t = a + d x post_t + e_t`` for the weekly (or monthly) gap between the groups on
    the link scale (logit of a share, log of a rate, the value), equivalent to the two-way model
    with a fixed effect for every period; ``errors="ar1"`` (default) gives the gap AR(1) errors
    (REML, Kenward-Roger covariance, Satterthwaite t intervals). The period of the change and
    every period holding one of the ``special_causes`` dates are left out.

    ``.effect``: over the post-change periods, the changed group's fitted level (the comparison
    group's observed level plus ``a + d``) minus its counterfactual (plus ``a`` only), on the
    metric's scale, weighted by the changed group's exposure (for continuous series, ``d``).

    ``.parallel_trends`` fits ``gap ~ time`` on the periods before the change and projects the
    drift to the middle of the post-change periods, on the metric's scale, with its 1 - 2 alpha
    interval. The trends count as parallel only when that interval lies within
    ±``equivalence_margin`` (metric scale, e.g. 0.01 for a point of a share); without a margin
    they are never confirmed. The estimate is reported either way: the caller decides before
    seeing it what an unconfirmed check means for the verdict.
    """
    _check_options(kind, confidence)
    check_errors(errors)
    min_before, min_after = _check_min_periods(min_before, min_after)
    treated_frame, warnings = _prepare(treated, kind=kind, name="treated")
    control_frame, notes = _prepare(control, kind=kind, name="control")
    warnings += notes
    if set(treated_frame[c.PERIOD_START]) != set(control_frame[c.PERIOD_START]):
        warnings.append("The changed and comparison series do not cover the same periods; only the periods "
                        "both have are compared.")
    when = _as_day(implemented_on)
    both = _gap_series(treated_frame, control_frame, kind)
    grid = _Grid.of(both[c.PERIOD_START])
    post, excluded = _split(both, grid, when)
    special = _special_causes(both, grid, special_causes) & ~excluded
    excluded = excluded | special
    used = ~excluded
    t = grid.index(both[c.PERIOD_START])
    n_before, n_after = int((~post & used).sum()), int((post & used).sum())
    problem = _date_warning(when, both[c.PERIOD_START], grid)
    blocking = [problem] if problem else _count_warnings(n_before, n_after, grid.word, " in both groups",
                                                         min_before=min_before, min_after=min_after)
    warnings += blocking
    counted = kind in (RATE, SHARE)
    after = post & used
    level_now = (float(both.loc[after, f"{_Y}_t"].sum() / both.loc[after, f"{EXPOSURE}_t"].sum())
                 if counted and after.any() else np.nan)
    trends = None
    if when is not None and not problem and after.any():
        pre = ~post & used
        middle = float(t[after].mean()) if after.any() else float(t.max())
        trends = _parallel_trends(both[pre], t[pre], middle,
                                  kind=kind, errors=errors, margin=equivalence_margin, level_now=level_now,
                                  unit=unit, word=grid.word, min_periods=min_before,
                                  confidence=confidence)
    details = {"kind": kind, "implemented_on": when, "period": grid.word, "unit": unit, "errors": errors,
               "excluded": list(both.loc[excluded, c.PERIOD_START]), "confidence": confidence,
               "special_causes": list(both.loc[special, c.PERIOD_START]), "min_periods": min_after,
               "first_post_period": grid.first_start_on_or_after(when) if when is not None else None,
               "parallel_trends": trends}
    drift = trends is None or trends.parallel is not True
    details["drift_allowed"] = drift
    fitted = _fitted_frame(both, post, excluded)
    first_post = grid.index(pd.Series([details["first_post_period"]]))[0] if when is not None else 0.0
    X = pd.DataFrame({INTERCEPT: 1.0, **({GAP_DRIFT: t} if drift else {}), TREATED_X_POST: post.astype(float),
                      SLOPE_X_POST: np.where(post, t - first_post, 0.0)})
    X0 = X.assign(**{TREATED_X_POST: 0.0, SLOPE_X_POST: 0.0})
    model, problems = None, []
    if not blocking:
        model, problems = fit_model(both.loc[used, GAP].to_numpy(), X[used], kind=kind, t=t[used],
                                    errors=errors, on_link_scale=True, known_variance=_known(both[used]))
        warnings += problems
    if model is None:
        return DiDResult(_empty_table(), _effect_row(None, n_before, n_after), fitted, n_before, n_after,
                         warnings, reason=(blocking + problems)[0], **details)
    z_c = both["z_c"].to_numpy()
    is_treated = fitted[GROUP].to_numpy() == TREATED
    with_change, without = z_c + X.to_numpy() @ model.params, z_c + X0.to_numpy() @ model.params
    fitted.loc[is_treated, FITTED] = np.where(used, inverse_link(kind, with_change), np.nan)
    fitted.loc[is_treated, COUNTERFACTUAL] = np.where(used, inverse_link(kind, without), np.nan)
    fitted.loc[~is_treated, FITTED] = np.where(used, inverse_link(kind, z_c), np.nan)
    weights = both.loc[after, f"{EXPOSURE}_t"].to_numpy(float) if counted else np.ones(int(after.sum()))
    values = average_effect(model, X.to_numpy()[after], X0.to_numpy()[after], weights,
                            confidence=confidence, n_draws=n_draws, seed=seed, offset=z_c[after])
    table = model.table(confidence).replace({TERM: {INTERCEPT: "gap_before"}})
    return DiDResult(table, _effect_row(values, n_before, n_after), fitted, n_before, n_after, warnings,
                     model=model, autocorrelation=model.autocorrelation, **details)


def _known(rows: pd.DataFrame) -> np.ndarray | None:
    known = rows[SAMPLING].to_numpy(float)
    return known if known.any() else None


def _fitted_frame(both: pd.DataFrame, post: np.ndarray, excluded: np.ndarray) -> pd.DataFrame:
    """The long frame the chart draws: one row per period and group (treated rows first)."""
    rows = []
    for group, side in ((TREATED, "t"), (CONTROL, "c")):
        rows.append(pd.DataFrame({c.PERIOD_START: both[c.PERIOD_START].to_numpy(), GROUP: group,
                                  OBSERVED: both[f"{OBSERVED}_{side}"].to_numpy(), POST: post,
                                  EXCLUDED: excluded, FITTED: np.nan, COUNTERFACTUAL: np.nan}))
    return pd.concat(rows, ignore_index=True)


