"""Verdicts on a change against its expected effect, and how effects are worded."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ccreview.exceptions import ParameterError
from ccreview.presentable import Presentable
from ccreview.wording import fmt_day, plural

__all__ = [
    "ACHIEVED",
    "DECREASE",
    "INCONCLUSIVE",
    "INCREASE",
    "NOT_ACHIEVED",
    "SMALLER_THAN_EXPECTED",
    "TOO_LITTLE_DATA",
    "VERDICTS",
    "Verdict",
    "additional_periods_needed",
    "minimum_detectable_effect",
    "verdict",
]


INCREASE, DECREASE = "increase", "decrease"


ACHIEVED, NOT_ACHIEVED, INCONCLUSIVE, TOO_LITTLE_DATA = (
    "achieved", "not achieved", "inconclusive", "too little data")
#: a real effect in the intended direction whose interval rules out the expected size
SMALLER_THAN_EXPECTED = "smaller than expected"


VERDICTS = (ACHIEVED, SMALLER_THAN_EXPECTED, NOT_ACHIEVED, INCONCLUSIVE, TOO_LITTLE_DATA)


_SUFFIX = {"share": " percentage points", "seconds": " s", "hours": " h", "per 1,000": " per 1,000"}


def _number(value: float, unit: str | None, signed: bool, scale: float | None = None) -> str:
    """A difference on the metric's scale, without its unit: ``-4.0`` (points), ``+20`` (s).

    Seconds get one decimal when ``scale`` (default: the value itself) is under 10.
    """
    if value is None or not np.isfinite(value):
        return "–"
    sign = "+" if signed else ""
    if unit == "share":
        return f"{100 * value:{sign}.1f}"
    if unit == "seconds":
        return f"{value:{sign},.{0 if abs(value if scale is None else scale) >= 10 else 1}f}"
    if unit in ("hours", "per 1,000"):
        return f"{value:{sign},.{1 if unit == 'hours' else 2}f}"
    return f"{value:{sign},.4g}"


def _change(value: float, unit: str | None, *, signed: bool = True) -> str:
    return _number(value, unit, signed) + _SUFFIX.get(unit or "", "")


def _level(value: float, unit: str | None) -> str:
    if unit == "share" and value is not None and np.isfinite(value):
        return f"{100 * value:.1f}%"
    return _change(value, unit, signed=False)


def _interval(low: float, high: float, unit: str | None, confidence: float) -> str:
    scale = float(np.nanmax(np.abs([low, high]))) if np.isfinite([low, high]).any() else None
    return (f"{100 * confidence:g}% CI {_number(low, unit, True, scale)} to "
            f"{_number(high, unit, True, scale)}{_SUFFIX.get(unit or '', '')}")


def _g(value: float) -> str:
    return "–" if value is None or not np.isfinite(value) else f"{value:,.4g}"


def _p_cell(p: float) -> str:
    return _p(p).removeprefix("p = ").removeprefix("p ")


def _p(p: float) -> str:
    return "p = –" if not np.isfinite(p) else ("p < 0.001" if p < 0.001 else f"p = {p:.3f}")


def minimum_detectable_effect(standard_error: float | np.ndarray, *, alpha: float = 0.05,
                              power: float = 0.8) -> float | np.ndarray:
    """Smallest true effect a two-sided test at ``alpha`` detects with probability ``power``.

    MDE = (z_{1-alpha/2} + z_{power}) x SE (Bloom 1995, Evaluation Review 19:547-556):
    2.80 x SE at the usual 5% and 80%. Vectorised over ``standard_error``.
    """
    if not (0 < alpha < 1 and 0 < power < 1):
        raise ParameterError(f"alpha={alpha!r} and power={power!r} must lie strictly between 0 and 1.")
    mde = (stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)) * np.asarray(standard_error, float)
    return float(mde) if mde.ndim == 0 else mde


def additional_periods_needed(standard_error: float, *, n_after: int, expected_effect: float,
                              alpha: float = 0.05, power: float = 0.8) -> int | None:
    """Roughly how many more post-change periods until the MDE falls to ``|expected_effect|``.

    Assumes the standard error shrinks as 1/sqrt(n_after) and nothing else changes, so
    n_needed = n_after x (MDE / |expected_effect|)^2. Optimistic for interrupted time series,
    where extrapolating the old trend further also adds uncertainty. 0 when the MDE is already
    small enough; None when it cannot be said (no standard error, no expected effect).
    """
    mde = minimum_detectable_effect(standard_error, alpha=alpha, power=power)
    target = abs(expected_effect) if expected_effect is not None else np.nan
    if not (np.isfinite(mde) and np.isfinite(target) and target > 0 and n_after > 0):
        return None
    return max(0, math.ceil(n_after * (mde / target) ** 2 - n_after - 1e-9))


@dataclass(frozen=True)
class Verdict(Presentable):
    """A change judged against its expected effect: one of :data:`VERDICTS` and a sentence."""

    verdict: str
    sentence: str


def verdict(effect: float, ci_low: float, ci_high: float, *, expected_effect: float,
            expected_direction: str | None = None, mde: float | None = None, n_after: int,
            min_after: int = 8, first_post_period: object = None, period: str = "week",
            unit: str | None = None, label: str = "the metric", confidence: float = 0.95) -> Verdict:
    """Judge an estimated effect against the change register's expectation.

    The rules, in order (effect and interval on the metric's scale; the expected direction is
    ``expected_direction``, or the sign of ``expected_effect`` when that is empty or "none"):

    1. **too little data**: fewer than ``min_after`` post-change periods, or no estimate. With
       ``first_post_period`` the sentence says from which date ``min_after`` periods will exist
       (``first_post_period`` + ``min_after`` periods).
    2. **achieved**: the whole interval lies beyond zero in the expected direction and does not
       rule out the expected size. An interval that includes zero is never "achieved".
       **smaller than expected**: the whole interval lies beyond zero in the expected
       direction but short of the expected size (a real effect, ruled out at that size).
    3. **not achieved**: the interval rules out the expected effect, lying entirely on the zero
       side of it (a smaller improvement, no change, or a change the wrong way).
    4. **inconclusive** otherwise. The sentence states the minimum detectable effect (``mde``; when
       not given, 2.80 x the standard error implied by the interval's width) and roughly how many
       more periods would let the expected effect show (:func:`additional_periods_needed`).
    """
    if expected_direction is not None and (pd.isna(expected_direction) or expected_direction == "none"):
        expected_direction = None
    if expected_direction not in (INCREASE, DECREASE, None):
        raise ParameterError(f"expected_direction={expected_direction!r}: use 'increase', 'decrease' or "
                             "leave it empty (the sign of expected_effect then decides).")
    if expected_effect is None or not np.isfinite(expected_effect) or expected_effect == 0:
        raise ParameterError(f"expected_effect={expected_effect!r}: give the change register's expected "
                             "effect on the metric's scale (e.g. -0.03 for a fall of 3 points).")
    sign = 1.0 if expected_effect > 0 else -1.0
    if expected_direction in (INCREASE, DECREASE) and (sign > 0) != (expected_direction == INCREASE):
        raise ParameterError(f"expected_effect={expected_effect} contradicts expected_direction="
                             f"{expected_direction!r}; correct the change register.")
    if period not in ("week", "month"):
        raise ParameterError(f"period={period!r}: use 'week' or 'month'.")
    if n_after < min_after:
        text = (f"Only {plural(int(n_after), period)} of data after the change so far; the evaluation "
                f"needs at least {min_after}.")
        if first_post_period is not None and not pd.isna(first_post_period):
            step = pd.DateOffset(months=min_after) if period == "month" else pd.Timedelta(weeks=min_after)
            text += f" There will be enough from {fmt_day(pd.Timestamp(first_post_period) + step)}."
        return Verdict(TOO_LITTLE_DATA, text)
    if not np.all(np.isfinite([effect, ci_low, ci_high])):
        return Verdict(TOO_LITTLE_DATA, "The data do not yet allow the effect to be estimated.")
    expected, intended = abs(expected_effect), "rise" if sign > 0 else "fall"
    low, high = sorted((sign * ci_low, sign * ci_high))
    said = (f"{label[:1].upper()}{label[1:]} {'rose' if effect > 0 else 'fell'} by "
            f"{_change(abs(effect), unit, signed=False)} ({_interval(ci_low, ci_high, unit, confidence)})")
    target = _change(expected, unit, signed=False)
    if low > 0 and high < expected:
        return Verdict(SMALLER_THAN_EXPECTED,
                       f"{said}: a real {intended}, but the data rule out the {target} expected.")
    if low > 0:
        size = (f"at least the {target} expected" if sign * effect >= expected
                else f"a real {intended}, and the {target} expected is within the interval")
        return Verdict(ACHIEVED, f"{said}: {size}.")
    if high < expected:
        why = (f"the opposite of the intended {intended}" if high < 0
               else f"the data rule out the expected {intended} of {target}")
        return Verdict(NOT_ACHIEVED, f"{said}: {why}.")
    if mde is None or not np.isfinite(mde):
        mde = minimum_detectable_effect((ci_high - ci_low) / (2 * stats.norm.ppf(0.5 + confidence / 2)))
    text = (f"{said}, so the change may or may not have worked: with this much data only effects larger "
            f"than about {_change(mde, unit, signed=False)} can be detected reliably.")
    more = additional_periods_needed(mde / minimum_detectable_effect(1.0), n_after=int(n_after),
                                     expected_effect=expected)
    if more:
        text += f" Roughly {plural(more, period)} more would be needed to detect the expected {target}."
    return Verdict(INCONCLUSIVE, text)
