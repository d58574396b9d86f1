"""KPI targets judged with their uncertainty, and projected to the date they are due: the
building blocks of the strategy review (#17).

A KPI is *met* when its whole 95% interval is on the right side of the target, *not met* when
the whole interval is on the wrong side, and *at risk* when the interval straddles it (7.1%
abandonment against a 7.0% target, with an interval of 6.6% to 7.6%, is not simply missed).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ccreview.exceptions import ParameterError

__all__ = ["AT_RISK", "MET", "NOT_MET", "project_to_target", "target_status"]

MET, AT_RISK, NOT_MET = "met", "at risk", "not met"
#: projections: the target will be met, will not, or cannot be told yet
ON_COURSE, OFF_COURSE, UNCERTAIN = "on course", "off course", "cannot tell yet"


def _check_direction(direction: str) -> None:
    if direction not in ("higher", "lower"):
        raise ParameterError(f"direction must be 'higher' or 'lower' (which is better); got {direction!r}")


def target_status(frame: pd.DataFrame) -> pd.DataFrame:
    """Judge each KPI against its target with its interval.

    Parameters
    ----------
    frame : DataFrame
        ``value``, ``ci_low``, ``ci_high``, ``target`` and ``direction`` ("higher" or "lower"
        is better) per row.

    Returns
    -------
    DataFrame
        ``frame`` with ``status`` (:data:`MET`, :data:`AT_RISK`, :data:`NOT_MET`, or "no target"
        / "no data") and ``gap`` (value − target, positive when better than the target).
    """
    for direction in frame["direction"].unique():
        _check_direction(direction)
    higher = (frame["direction"] == "higher").to_numpy()
    low, high, target = (frame[col].to_numpy(dtype=float) for col in ("ci_low", "ci_high", "target"))
    good_low = np.where(higher, low >= target, high <= target)
    bad = np.where(higher, high < target, low > target)
    status = np.select([np.isnan(target), np.isnan(low) | np.isnan(high), good_low, bad],
                       ["no target", "no data", MET, NOT_MET], AT_RISK)
    sign = np.where(higher, 1.0, -1.0)
    return frame.assign(status=status, gap=sign * (frame["value"].to_numpy(dtype=float) - target))


def project_to_target(series: pd.DataFrame, *, target: float, due: pd.Timestamp, direction: str,
                      confidence: float = 0.95) -> dict:
    """Project a KPI's monthly values to the date its target is due, with a prediction interval.

    A straight line is fitted to the months (ordinary least squares); the value expected in the
    month of ``due`` gets the prediction interval of one new month,
    ``ŷ ± t(n-2) · s · √(1 + 1/n + (x0 − x̄)² / Sxx)`` (e.g. Montgomery, Peck & Vining,
    *Introduction to Linear Regression Analysis*, §2.4.2).

    Parameters
    ----------
    series : DataFrame
        ``period_start`` (first day of each month) and ``value``, oldest first; at least 3 months.

    Returns
    -------
    dict
        ``projected``, ``low``, ``high`` (the interval), ``slope`` (per month), ``months_ahead``,
        ``verdict`` (on course, off course, cannot tell yet) and ``months_to_target`` (at the
        current slope, from the last month; NaN when the line moves away from the target).
    """
    _check_direction(direction)
    data = series.dropna(subset=["value"])
    n = len(data)
    if n < 3:
        raise ParameterError(f"a projection needs at least 3 months of values; got {n}")
    months = (data["period_start"].dt.year * 12 + data["period_start"].dt.month).to_numpy(dtype=float)
    x = months - months[0]
    y = data["value"].to_numpy(dtype=float)
    slope, intercept = np.polyfit(x, y, 1)
    resid = y - (intercept + slope * x)
    s = np.sqrt(resid @ resid / (n - 2))
    x0 = (due.year * 12 + due.month) - months[0]
    sxx = float(((x - x.mean()) ** 2).sum())
    half = stats.t.ppf(0.5 + confidence / 2, n - 2) * s * np.sqrt(1 + 1 / n + (x0 - x.mean()) ** 2 / sxx)
    projected = intercept + slope * x0
    low, high = projected - half, projected + half
    higher = direction == "higher"
    if (low >= target) if higher else (high <= target):
        verdict = ON_COURSE
    elif (high < target) if higher else (low > target):
        verdict = OFF_COURSE
    else:
        verdict = UNCERTAIN
    last = intercept + slope * x[-1]
    towards = (target - last) * slope > 0
    already = (last >= target) if higher else (last <= target)
    months_to = 0.0 if already else ((target - last) / slope if towards else np.nan)
    return {"projected": float(projected), "low": float(low), "high": float(high), "slope": float(slope),
            "months_ahead": float(x0 - x[-1]), "verdict": verdict, "months_to_target": float(months_to)}
