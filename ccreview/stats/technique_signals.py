"""The techniques compared: month-on-month RAG status, control-chart signals, stable weeks."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from ccreview.data import columns as c
from ccreview.exceptions import ParameterError, SchemaError
from ccreview.stats.control_charts import D2, VALUE, N
from ccreview.stats.run_rules import DEFAULT_RULES, resolve_rules, z_scores
from ccreview.stats.run_rules import detect_array as _detect_array
from ccreview.wording import plural

__all__ = [
    "chart_signals",
    "rag_status",
    "stable_weeks",
]


WEEKS_PER_MONTH = 4


GREEN, AMBER, RED = 0, 1, 2


#: rules that fire on one side of the centre line (the others have no side)
SIDED_RULES = frozenset({"beyond_limits", "two_of_three", "four_of_five", "eight_same_side",
                         "nine_same_side", "eight_outside_one_sigma"})




def chart_signals(values: np.ndarray, *, chart: str, baseline_weeks: int, sizes: np.ndarray | None = None,
                  rules: str | Iterable[str] = DEFAULT_RULES, better: str = "neither",
                  laney: bool = False) -> np.ndarray:
    """Weekly control-chart signals of many runs at once, limits from each run's own baseline.

    Parameters
    ----------
    values : 2-D array (runs × weeks)
        Weekly values (XmR), or events per week (p and u charts).
    chart : {"xmr", "p", "u"}
        XmR: centre = baseline mean, sigma = mean moving range / 1.128; p: p̄ = Σ events /
        Σ cases over the baseline, sigma √(p̄(1 − p̄)/nᵢ); u: ū = Σ events / Σ units, sigma
        √(ū/nᵢ) (Montgomery 2009, sections 6.4, 7.2.2 and 7.3; as :mod:`ccreview.stats.control_charts`).
    baseline_weeks : int
        The first weeks of each run that set its limits.
    sizes : 2-D array, optional
        Cases (p) or units (u) per week; required for those charts.
    rules : str or iterable of str
        Run rules (:data:`ccreview.stats.run_rules.RULES`).
    better : {"higher", "lower", "neither"}
        Count only signals on the worse side ("neither": both sides).
    laney : bool
        p and u charts: widen each run's limits by Laney's sigma_z of its baseline when above
        1 (:func:`ccreview.stats.attribute_charts.laney_sigma_z`), as the report's control charts do.

    Returns
    -------
    ndarray of bool, shaped like ``values``
        True where any rule fires (baseline weeks included).
    """
    x = np.atleast_2d(np.asarray(values, dtype=float))
    base = slice(0, baseline_weeks)
    if chart == "xmr":
        centre = x[:, base].mean(axis=1, keepdims=True)
        sigma = np.abs(np.diff(x[:, base], axis=1)).mean(axis=1, keepdims=True) / D2
        z = z_scores(x, centre=centre, sigma=sigma)
    elif chart in ("p", "u"):
        if sizes is None:
            raise ParameterError(f"sizes: a {chart} chart needs the cases (or units) of each week.")
        n = np.atleast_2d(np.asarray(sizes, dtype=float))
        centre = x[:, base].sum(axis=1, keepdims=True) / n[:, base].sum(axis=1, keepdims=True)
        spread = centre * (1 - centre) if chart == "p" else centre
        with np.errstate(divide="ignore", invalid="ignore"):
            z = z_scores(x / n, centre=centre, sigma=np.sqrt(spread / n))
        if laney:  # Laney p'/u' chart, as control_charts with laney="auto": widen, never narrow
            sigma_z = np.nanmean(np.abs(np.diff(z[:, base], axis=1)), axis=1, keepdims=True) / D2
            z = z / np.where(np.isfinite(sigma_z) & (sigma_z > 1), sigma_z, 1.0)
    else:
        raise ParameterError(f"chart: {chart!r} is not a chart; use 'xmr', 'p' or 'u'.")
    sign = _worse_sign(better)
    rules = resolve_rules(rules)
    sided = [r for r in rules if r in SIDED_RULES and sign]
    fired = np.zeros(x.shape, dtype=bool)
    if sided:  # the better side's points are put on the centre line, where they fire nothing
        worse_z = np.where(sign * z > 0, z, np.where(np.isnan(z), np.nan, 0.0))
        for flags in _detect_array(worse_z, rules=sided).values():
            fired |= flags
    rest = [r for r in rules if r not in sided]
    if rest:
        for flags in _detect_array(z, rules=rest).values():
            fired |= flags
    return fired


def rag_status(values: np.ndarray, *, better: str, threshold: float = 0.05, sizes: np.ndarray | None = None,
               weights: np.ndarray | None = None, weeks_per_month: int = WEEKS_PER_MONTH) -> np.ndarray:
    """Month-on-month RED/AMBER/GREEN status of many runs at once.

    Parameters
    ----------
    values : 2-D array (runs × weeks)
        Weekly values, or events per week when ``sizes`` is given. The week count must be
        a multiple of ``weeks_per_month``; the first month is only a comparison base.
    better : {"higher", "lower", "neither"}
        "neither": a change of more than the threshold either way is RED.
    threshold : float
        RED when the month is worse than the previous one by more than this share of the
        previous month's value (strictly); AMBER when worse by more than half of it.
    sizes : 2-D array, optional
        Cases per week: a month's value is Σ events / Σ cases.
    weights : 2-D array, optional
        Otherwise a month's value is the mean of its weekly values, weighted by these.

    Returns
    -------
    ndarray of int, runs × (months − 1)
        :data:`GREEN`, :data:`AMBER` or :data:`RED` for each month after the first.
    """
    x = np.atleast_2d(np.asarray(values, dtype=float))
    runs, weeks = x.shape
    if weeks % weeks_per_month or weeks < 2 * weeks_per_month:
        raise ParameterError(f"values: {weeks} weeks is not a whole number (at least 2) of "
                             f"{weeks_per_month}-week months.")
    shape = (runs, weeks // weeks_per_month, weeks_per_month)
    if sizes is not None:
        num, den = x.reshape(shape).sum(axis=2), np.asarray(sizes, dtype=float).reshape(shape).sum(axis=2)
    else:
        w = np.ones(x.shape) if weights is None else np.asarray(weights, dtype=float)
        num, den = (x * w).reshape(shape).sum(axis=2), w.reshape(shape).sum(axis=2)
    with np.errstate(divide="ignore", invalid="ignore"):
        month = num / den
        change = (month[:, 1:] - month[:, :-1]) / np.abs(month[:, :-1])
    sign = _worse_sign(better)
    worse = np.abs(change) if sign == 0 else sign * change
    return np.select([worse > threshold, worse > threshold / 2], [RED, AMBER], GREEN)


def stable_weeks(weekly: pd.DataFrame, *, exclude: Sequence[tuple] = (), start: object = None,
                 end: object = None) -> np.ndarray:
    """Which weeks of a weekly series are usable as "nothing changed" weeks.

    Parameters
    ----------
    weekly : DataFrame
        ``period_start`` (the Monday) and ``value`` per week (:func:`ccreview.kpis.compute.kpi_series`).
    exclude : sequence of (start, end)
        Windows to leave out, both ends inclusive whole days (a degraded period, a change
        date as ``(day, day)``); a week touching any of them is not stable.
    start, end : date-like, optional
        Only weeks starting on or after ``start`` and ending by ``end`` (exclusive).

    Returns
    -------
    ndarray of bool
        One per week; weeks with no value (or no cases) are never stable.
    """
    if c.PERIOD_START not in weekly or VALUE not in weekly:
        raise SchemaError(f"weekly: needs the columns {c.PERIOD_START!r} and {VALUE!r} "
                          "(as ccreview.kpis.compute.kpi_series returns).")
    first = pd.to_datetime(weekly[c.PERIOD_START]).to_numpy()
    after = first + np.timedelta64(7, "D")
    keep = weekly[VALUE].notna().to_numpy().copy()
    if N in weekly:
        keep &= weekly[N].fillna(0).to_numpy() > 0
    for window in exclude:
        try:
            low, high = (_day(d) for d in window)
        except (TypeError, ValueError):
            raise ParameterError(f"exclude: {window!r} is not a (start, end) pair of dates.") from None
        if high < low:
            raise ParameterError(f"exclude: window {window!r} ends before it starts; give (start, end).")
        keep &= ~((first <= high) & (after > low))
    if start is not None:
        keep &= first >= _day(start)
    if end is not None:
        keep &= after <= _day(end)
    return keep


def _day(value: object) -> np.datetime64:
    """A date-like value as a timezone-naive local day."""
    day = pd.Timestamp(value)
    return (day.tz_localize(None) if day.tz is not None else day).normalize().to_datetime64()

def _worse_sign(better: str) -> int:
    if better not in ("higher", "lower", "neither"):
        raise ParameterError(f"better: {better!r} is not a direction; use 'higher', 'lower' or 'neither' "
                             "(the metric's `better` in ccreview.kpis.catalogue.METRICS).")
    return {"higher": -1, "lower": 1, "neither": 0}[better]


def _block_starts(valid: np.ndarray, breaks: np.ndarray, block: int) -> np.ndarray:
    """Positions where ``block`` consecutive valid weeks, with no gap between them, begin."""
    total = np.r_[0, np.cumsum(valid)]
    gaps = np.r_[0, np.cumsum(breaks)]
    starts = np.arange(len(valid) - block + 1)
    ok = (total[starts + block] - total[starts] == block) & (gaps[starts + block] - gaps[starts + 1] == 0)
    return starts[ok]


def _resample(valid: np.ndarray, breaks: np.ndarray, *, runs: int, weeks: int, block: int,
              rng: np.random.Generator) -> tuple[np.ndarray, int, list[str]]:
    """Positions of the resampled weeks (runs × weeks), the block length used, and warnings."""
    count = int(valid.sum())
    if count < 2:
        raise ParameterError(f"stable: only {plural(count, 'stable week')} with data; at least 2 are needed "
                             f"to resample (ideally {MIN_STABLE_WEEKS} or more).")
    warnings = []
    if count < MIN_STABLE_WEEKS:
        warnings.append(f"Only {plural(count, 'stable week')} to resample from: the simulated runs repeat "
                        f"the same few weeks, so the rates are rough until there are {MIN_STABLE_WEEKS}.")
    starts = _block_starts(valid, breaks, block)
    if not len(starts):
        warnings.append(f"No {block} consecutive stable weeks: weeks were resampled one by one, "
                        "which ignores any week-to-week dependence.")
        block, starts = 1, np.flatnonzero(valid)
    drawn = rng.choice(starts, size=(runs, -(-weeks // block)))
    return (drawn[..., None] + np.arange(block)).reshape(runs, -1)[:, :weeks], block, warnings


#: fewer stable weeks than this make the resampled runs repeat a handful of weeks (a warning)
MIN_STABLE_WEEKS = 12
