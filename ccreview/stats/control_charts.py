"""Statistical process control: XmR, p and u charts with run rules.

Each chart function takes one KPI series and returns a :class:`ControlChart` whose
``.table`` has one row per period: value, centre line, limits, sigma, whether the
point is in the baseline and which run rules it fires.

* **XmR** (individuals and moving range): centre = mean of the baseline values,
  sigma = mean moving range / d2 (d2 = 1.128 for ranges of two), limits = centre ± 3
  sigma; moving-range chart upper limit = D4 × mean moving range (D4 = 3.267).
  Montgomery (2009), *Introduction to Statistical Quality Control*, 6th ed., section 6.4;
  NIST/SEMATECH e-Handbook of Statistical Methods, section 6.3.2.2.
* **p chart** (share of cases, varying sample sizes): p̄ = Σ defectives / Σ n over the
  baseline; each point's sigma = √(p̄(1 − p̄)/nᵢ); limits clipped to [0, 1].
  Montgomery (2009) section 7.2.2.
* **u chart** (count per unit, varying units): ū = Σ c / Σ units over the baseline;
  sigma = √(ū/nᵢ); lower limit clipped at 0. Montgomery (2009) section 7.3.

Run rules work on standardised z-scores ``(value − centre) / sigma``, each point with
its own sigma, so the same rules serve charts with constant or varying limits.
:func:`detect` is a pure, vectorised function of the z-scores; it accepts a 2-D array
(series × points) so resampling studies can score thousands of series in one call.

Every chart function also takes:

* ``groups``: a seasonal group per point (the weekday of a daily chart). Each group gets its
  own centre line from the baseline's points of that group, and sigma comes from the points'
  distances from their own group's centre, so a daily chart of a Monday-heavy week can signal
  at all instead of flagging every Monday.
* ``revise`` (default True): phase-I revision. Baseline points beyond the first limits are set
  aside and the limits re-estimated without them, until none is left beyond (at most a quarter
  of the baseline is set aside): trial limits that include special causes are too wide to catch
  the next one (Montgomery 2009, chapter 6, trial and revised control limits).
* ``shown``: the points to keep in the table; the others (weeks between a baseline and the
  period) count as gaps and are dropped.

Conventions: "beyond k sigma" is strict (a point exactly on a limit does not fire);
a zero z-score is on neither side; a rule fires at the point that completes its
pattern, and that point is itself one of the pattern's points; a missing point (no
value, or n = 0) breaks every run and never fires.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ccreview.exceptions import ParameterError
from ccreview.presentable import Presentable
from ccreview.stats.chart_limits import (
    _frequency_word,
    _group_codes,
    gap_and_revision_notes,
    group_centres,
    revised_limits,
)
from ccreview.stats.run_rules import (
    DEFAULT_RULES,
    RULE_SEPARATOR,
    SIGMAS,
    _rule_labels,
    detect_array,
    resolve_rules,
    z_scores,
)
from ccreview.wording import plural

__all__ = [
    "MIN_BASELINE_POINTS",
    "ControlChart",
    "signals_summary",
    "xmr_chart",
]

#: d2 and D4 for moving ranges of two points (Montgomery 2009, Appendix Table VI)
D2 = 1.128
D4 = 3.267
#: an XmR baseline shorter than this gives rough limits (a warning, not an error)
MIN_BASELINE_POINTS = 12

# columns of ControlChart.table and of signals_summary
PERIOD = "period"
VALUE = "value"
CENTRE = "centre"
LCL = "lcl"
UCL = "ucl"
SIGMA = "sigma"
N = "n"
Z = "z"
IN_BASELINE = "in_baseline"
#: a baseline point left out of the revised limits (beyond the first ones)
SET_ASIDE = "set_aside"
SIGNAL = "signal"
RULES_FIRED = "rules"
MOVING_RANGE = "moving_range"
MR_UCL = "mr_ucl"
METRIC = "metric"
FIRST_PERIOD = "first_period"
LAST_PERIOD = "last_period"
POINTS = "points"
DIRECTION = "direction"
#: whether a signal run is a move for the better or the worse
MEANING = "meaning"

XMR, P, U = "xmr", "p", "u"
KIND_LABELS = {XMR: "individuals (XmR) chart", P: "p chart (share)", U: "u chart (rate per unit)"}
# --------------------------------------------------------------------------- rules


# --------------------------------------------------------------------------- charts


@dataclass
class ControlChart(Presentable):
    """A control chart: one row per period in ``table``, plus caveats in ``warnings``.

    ``table`` columns: ``period``, ``value``, ``centre``, ``lcl``, ``ucl``, ``sigma``,
    ``z``, ``n`` (p and u charts), ``moving_range`` and ``mr_ucl`` (XmR),
    ``in_baseline``, ``signal`` and ``rules`` (comma-joined names fired, "" if none).
    """

    kind: str
    table: pd.DataFrame
    rules: tuple[str, ...]
    centre: float
    baseline_points: int
    warnings: list[str] = field(default_factory=list)

    @property
    def signals(self) -> pd.DataFrame:
        """The rows where at least one rule fired."""
        return self.table[self.table[SIGNAL].to_numpy()]


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _labels(values: object, index: object, size: int) -> pd.Index:
    if index is None:
        labels = values.index if isinstance(values, pd.Series) else pd.RangeIndex(size)
    else:
        labels = pd.Index(index)
    if len(labels) != size:
        raise ParameterError(f"index: has {len(labels)} labels for {size} points; give one label per point.")
    return labels


def _array(values: object, name: str, size: int | None = None) -> np.ndarray:
    try:
        out = np.asarray(values, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        raise ParameterError(f"{name}: expected numbers, one per period.") from None
    if size is not None and len(out) != size:
        raise ParameterError(f"{name}: has {len(out)} values but there are {size} periods; "
                             "give one value per period.")
    return out


def _baseline_mask(baseline: object, labels: pd.Index) -> np.ndarray:
    """None -> every point; a (start, end) pair of labels (end exclusive); or a boolean mask."""
    if baseline is None:
        return np.ones(len(labels), dtype=bool)
    if isinstance(baseline, tuple):
        if len(baseline) != 2:
            raise ParameterError("baseline: give (start, end) period labels, end exclusive, "
                                 f"or a boolean mask; got a tuple of {len(baseline)}.")
        start, end = baseline
        keys = pd.Series(labels)
        if isinstance(labels, pd.DatetimeIndex):  # allow "2026-07-06" for a date label
            start, end = (pd.Timestamp(b) if isinstance(b, str) else b for b in (start, end))
        try:
            mask = np.ones(len(labels), dtype=bool)
            if start is not None:
                mask &= (keys >= start).to_numpy()
            if end is not None:
                mask &= (keys < end).to_numpy()
        except TypeError:
            raise ParameterError(f"baseline: cannot compare {baseline!r} with the period labels "
                                 f"(e.g. {labels[0]!r}); use labels of the same kind.") from None
        return mask
    mask = np.asarray(baseline)
    if mask.dtype != bool or mask.shape != (len(labels),):
        raise ParameterError(f"baseline: a mask must be {len(labels)} True/False values, one per period; "
                             "or give a (start, end) pair of period labels.")
    return mask


def _finish(kind: str, labels: pd.Index, columns: dict[str, np.ndarray], *, rules: tuple[str, ...],
            centre: float, baseline_points: int, warnings: list[str], shown: np.ndarray | None = None
            ) -> ControlChart:
    z = z_scores(columns[VALUE], centre=columns[CENTRE], sigma=columns[SIGMA])
    fired = detect_array(z, rules=rules)
    signal = np.zeros(len(z), dtype=bool)
    for flags in fired.values():
        signal |= flags
    table = pd.DataFrame({PERIOD: labels, **columns})
    table.insert(table.columns.get_loc(SIGMA) + 1, Z, z)
    table[SIGNAL] = signal
    table[RULES_FIRED] = _rule_labels(fired, len(z))
    if shown is not None:
        table = table[shown].reset_index(drop=True)
    return ControlChart(kind=kind, table=table, rules=rules, centre=float(centre),
                        baseline_points=baseline_points, warnings=warnings)


def _shown(shown: object, size: int) -> np.ndarray:
    if shown is None:
        return np.ones(size, dtype=bool)
    mask = np.asarray(shown)
    if mask.dtype != bool or mask.shape != (size,):
        raise ParameterError(f"shown: give {size} True/False values, one per period.")
    return mask


def xmr_chart(values: Sequence[float] | pd.Series, *, index: Sequence | None = None,
              baseline: object = None, rules: str | Iterable[str] = DEFAULT_RULES,
              floor: float | None = None, groups: object = None, revise: bool = True,
              shown: object = None) -> ControlChart:
    """Individuals and moving-range (XmR) chart of one value per period.

    Parameters
    ----------
    values : array-like or Series
        One value per period; NaN for a period with no value (drawn as a gap, never a signal).
    index : array-like, optional
        Period labels; defaults to the Series index, else 0, 1, 2...
    baseline : None, bool mask or (start, end)
        Points that set the centre and limits: all (None), a mask, or labels from
        ``start`` (inclusive) to ``end`` (exclusive); either may be None.
    rules : str or iterable of str
        Run rules to apply (:data:`RULES`, :data:`RULE_SETS`).
    floor : float, optional
        The lowest value the measure can take (0 for a time): the lower limit is not drawn
        below it.
    groups, revise, shown
        Seasonal groups, phase-I revision and the points kept (module notes).

    Notes
    -----
    Moving ranges are taken of the distances from the group centres, between neighbouring
    periods that both have a value and both set the limits. Fewer than
    :data:`MIN_BASELINE_POINTS` baseline values add a warning.
    """
    rules = resolve_rules(rules)
    x = _array(values, "values")
    labels = _labels(values, index, len(x))
    in_base = _baseline_mask(baseline, labels)
    codes = _group_codes(groups, len(x))
    keep = _shown(shown, len(x))
    x = np.where(keep, x, np.nan)
    missing = np.isnan(x)

    def limits(mask: np.ndarray):
        centre = group_centres(np.where(missing, 0.0, x), (~missing).astype(float), mask, codes)
        moving = np.abs(np.diff(x - centre, prepend=np.nan))
        pairs = mask & np.r_[False, mask[:-1]] & ~np.isnan(moving)
        mr_bar = float(moving[pairs].mean()) if pairs.any() else np.nan
        extra = {"mr": moving, "mr_bar": mr_bar, "pairs": int(pairs.sum())}
        return centre, np.full(len(x), mr_bar / D2), extra

    centre, sigma, extra, set_aside = revised_limits(limits, x, in_base & ~missing, revise=revise)
    count = int((in_base & ~missing & ~set_aside).sum())
    warnings = []
    word = _frequency_word(labels)
    if extra["pairs"] == 0:
        warnings.append(f"The baseline has {plural(count, word + 'point')} and no two in a row, too few "
                        "to estimate the limits: nothing can signal. Choose a longer baseline.")
    elif count < MIN_BASELINE_POINTS:
        warnings.append(f"The baseline has only {plural(count, word + 'point')}; limits are rough until "
                        f"there are at least {MIN_BASELINE_POINTS}.")
    if extra["mr_bar"] == 0:
        warnings.append("Every baseline value sits exactly on its centre line, so sigma is zero: any "
                        "other value is flagged.")
    warnings += gap_and_revision_notes(labels, missing, keep, set_aside, groups is not None)
    lower = centre - SIGMAS * sigma
    if floor is not None:  # a measure that cannot go below ``floor`` (a time) has no limit there
        lower = np.maximum(lower, floor)
    used = in_base & ~missing & ~set_aside
    overall = float(x[used].mean()) if used.any() else np.nan
    columns = {VALUE: x, CENTRE: centre, LCL: lower, UCL: centre + SIGMAS * sigma, SIGMA: sigma,
               MOVING_RANGE: extra["mr"], MR_UCL: np.full(len(x), D4 * extra["mr_bar"]), IN_BASELINE: in_base,
               SET_ASIDE: set_aside}
    return _finish(XMR, labels, columns, rules=rules, centre=overall, baseline_points=count,
                   warnings=warnings, shown=keep)


def signals_summary(chart: ControlChart, *, metric: str, better: str | None = None
                    ) -> pd.DataFrame:
    """Runs of consecutive signal points on one side of the centre line, for listing
    "signals with dates" in a report.

    Parameters
    ----------
    chart : ControlChart
    metric : str
        The metric's name, copied to every row.
    better : {"higher", "lower", "neither"}, optional
        Which side is better, to say whether each run is a move for the better or the worse.

    Returns
    -------
    DataFrame
        One row per run: ``metric``, ``first_period``, ``last_period``, ``points``,
        ``rules`` (fired anywhere in the run, in rule order), ``direction`` ("above" or
        "below" the centre line: a run that crosses it is two runs, one each side) and
        ``meaning`` ("better", "worse", or "" without a better side).
    """
    columns = [METRIC, FIRST_PERIOD, LAST_PERIOD, POINTS, RULES_FIRED, DIRECTION, MEANING]
    t = chart.table.reset_index(drop=True)
    hit = t[SIGNAL].to_numpy()
    if not hit.any():
        return pd.DataFrame(columns=columns)
    side = np.sign(t[Z].to_numpy(dtype=float))
    crossed = np.r_[False, side[1:] != side[:-1]]
    run = np.cumsum(hit & (~np.r_[False, hit[:-1]] | crossed))
    sig = t[hit].assign(run=run[hit])
    grouped = sig.groupby("run", sort=True)
    fired = (sig[["run", RULES_FIRED]].assign(rule=sig[RULES_FIRED].str.split(RULE_SEPARATOR))
             .explode("rule").drop_duplicates(["run", "rule"]))
    fired["order"] = fired["rule"].map({name: i for i, name in enumerate(chart.rules)})
    names = fired.sort_values(["run", "order"]).groupby("run")["rule"].agg(RULE_SEPARATOR.join)
    direction = np.where(grouped[Z].mean().to_numpy() > 0, "above", "below")
    good = {"higher": "above", "lower": "below"}.get(better or "")
    meaning = (np.where(direction == good, "better", "worse") if good
               else np.full(len(direction), ""))
    return pd.DataFrame({
        METRIC: metric,
        FIRST_PERIOD: grouped[PERIOD].first().to_numpy(),
        LAST_PERIOD: grouped[PERIOD].last().to_numpy(),
        POINTS: grouped.size().to_numpy(),
        RULES_FIRED: names.to_numpy(),
        DIRECTION: direction,
        MEANING: meaning,
    })[columns]
