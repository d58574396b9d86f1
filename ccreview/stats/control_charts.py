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

Conventions: "beyond k sigma" is strict (a point exactly on a limit does not fire);
a zero z-score is on neither side; a rule fires at the point that completes its
pattern, and that point is itself one of the pattern's points; a missing point (no
value, or n = 0) breaks every run and never fires.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ccreview.exceptions import ParameterError
from ccreview.presentable import Presentable
from ccreview.wording import plural

__all__ = [
    "DEFAULT_RULES",
    "MIN_BASELINE_POINTS",
    "NELSON",
    "RULES",
    "RULE_SETS",
    "WESTERN_ELECTRIC",
    "ControlChart",
    "detect",
    "detect_array",
    "laney_sigma_z",
    "p_chart",
    "resolve_rules",
    "signals_summary",
    "u_chart",
    "xmr_chart",
    "z_scores",
]

#: d2 and D4 for moving ranges of two points (Montgomery 2009, Appendix Table VI)
D2 = 1.128
D4 = 3.267
#: control limits sit this many sigmas from the centre line
SIGMAS = 3.0
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
SIGNAL = "signal"
RULES_FIRED = "rules"
MOVING_RANGE = "moving_range"
MR_UCL = "mr_ucl"
METRIC = "metric"
FIRST_PERIOD = "first_period"
LAST_PERIOD = "last_period"
POINTS = "points"
DIRECTION = "direction"

XMR, P, U = "xmr", "p", "u"
KIND_LABELS = {XMR: "individuals (XmR) chart", P: "p chart (share)", U: "u chart (rate per unit)"}
RULE_SEPARATOR = ", "

#: rule name -> plain-language description, in the order reports list them
RULES: dict[str, str] = {
    "beyond_limits": "One point outside the control limits (more than 3 sigma from the centre line).",
    "two_of_three": "Two of three points in a row more than 2 sigma from the centre line, on the same side.",
    "four_of_five": "Four of five points in a row more than 1 sigma from the centre line, on the same side.",
    "eight_same_side": "Eight points in a row on the same side of the centre line.",
    "nine_same_side": "Nine points in a row on the same side of the centre line.",
    "six_trend": "Six points in a row steadily increasing, or steadily decreasing.",
    "fourteen_alternating": "Fourteen points in a row alternating up and down.",
    "fifteen_within_one_sigma": "Fifteen points in a row within 1 sigma of the centre line (either side): "
                                "less variation than the limits expect.",
    "eight_outside_one_sigma": "Eight points in a row more than 1 sigma from the centre line (either side), "
                               "none within 1 sigma.",
}
#: Western Electric (1956) Statistical Quality Control Handbook, rules 1-4
WESTERN_ELECTRIC = ("beyond_limits", "two_of_three", "four_of_five", "eight_same_side")
#: Nelson (1984), J. Quality Technology 16:237-239, tests 1-8 in order
NELSON = ("beyond_limits", "nine_same_side", "six_trend", "fourteen_alternating", "two_of_three",
          "four_of_five", "fifteen_within_one_sigma", "eight_outside_one_sigma")
#: names that stand for a whole set of rules
RULE_SETS: dict[str, tuple[str, ...]] = {"western_electric": WESTERN_ELECTRIC, "nelson": NELSON}
DEFAULT_RULES = WESTERN_ELECTRIC


# --------------------------------------------------------------------------- rules


def resolve_rules(rules: str | Iterable[str]) -> tuple[str, ...]:
    """Rule names in order, without repeats, with set names (``"nelson"``) expanded.

    Raises
    ------
    ParameterError
        For an unknown name, with the closest known names suggested.
    """
    names = [rules] if isinstance(rules, str) else list(rules)
    out: list[str] = []
    for name in names:
        if name in RULE_SETS:
            out.extend(RULE_SETS[name])
        elif name in RULES:
            out.append(name)
        else:
            known = [*RULES, *RULE_SETS]
            close = difflib.get_close_matches(str(name), known, n=3)
            hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
            raise ParameterError(
                f"rules: unknown control-chart rule {name!r}.{hint} Known rules: {', '.join(RULES)}; "
                f"or a set: {', '.join(RULE_SETS)}.")
    return tuple(dict.fromkeys(out))


def z_scores(values: np.ndarray, *, centre: np.ndarray | float, sigma: np.ndarray | float) -> np.ndarray:
    """Standardised distance of each value from the centre line, ``(value - centre) / sigma``.

    Broadcasts, so ``values`` may be 2-D (series × points). Where sigma is 0 a value on
    the centre line scores 0 and any other value ±inf; missing inputs give NaN.
    """
    values = np.asarray(values, dtype=float)
    diff = values - np.asarray(centre, dtype=float)
    sigma = np.broadcast_to(np.asarray(sigma, dtype=float), diff.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = diff / sigma
    flat = (sigma == 0) & ~np.isnan(diff)
    return np.where(flat, np.sign(diff) * np.where(diff == 0, 0.0, np.inf), z)


def _window_sum(flags: np.ndarray, width: int) -> np.ndarray:
    """How many of the last ``width`` points (fewer at the start) are True, along the last axis."""
    total = np.cumsum(flags, axis=-1, dtype=np.int32)
    out = total.copy()
    out[..., width:] -= total[..., :-width]
    return out


def _run(flags: np.ndarray, length: int) -> np.ndarray:
    """True where the last ``length`` points are all True."""
    return _window_sum(flags, length) >= length


def _k_of_m_same_side(z: np.ndarray, *, beyond: float, k: int, m: int) -> np.ndarray:
    fired = np.zeros(z.shape, dtype=bool)
    for side in (1.0, -1.0):
        out = side * z > beyond
        fired |= out & (_window_sum(out, m) >= k)
    return fired


def _same_side(z: np.ndarray, length: int) -> np.ndarray:
    return _run(z > 0, length) | _run(z < 0, length)


def _on_points(flags: np.ndarray, offset: int, shape: tuple[int, ...]) -> np.ndarray:
    """Put flags computed on differences back onto the points they end at."""
    out = np.zeros(shape, dtype=bool)
    out[..., offset:] = flags[..., : max(shape[-1] - offset, 0)]
    return out


def _trend(z: np.ndarray, length: int) -> np.ndarray:
    steps = np.diff(z, axis=-1)  # step i ends at point i + 1
    return _on_points(_run(steps > 0, length - 1) | _run(steps < 0, length - 1), 1, z.shape)


def _alternating(z: np.ndarray, length: int) -> np.ndarray:
    steps = np.diff(z, axis=-1)
    turns = steps[..., 1:] * steps[..., :-1] < 0  # turn i: step i + 1 reverses step i, ends at point i + 2
    return _on_points(_run(turns, length - 2), 2, z.shape)


_RULE_FUNCTIONS = {
    "beyond_limits": lambda z: np.abs(z) > SIGMAS,
    "two_of_three": lambda z: _k_of_m_same_side(z, beyond=2.0, k=2, m=3),
    "four_of_five": lambda z: _k_of_m_same_side(z, beyond=1.0, k=4, m=5),
    "eight_same_side": lambda z: _same_side(z, 8),
    "nine_same_side": lambda z: _same_side(z, 9),
    "six_trend": lambda z: _trend(z, 6),
    "fourteen_alternating": lambda z: _alternating(z, 14),
    "fifteen_within_one_sigma": lambda z: _run(np.abs(z) < 1.0, 15),
    "eight_outside_one_sigma": lambda z: _run(np.abs(z) > 1.0, 8),
}


def detect_array(z: np.ndarray, *, rules: str | Iterable[str] = DEFAULT_RULES) -> dict[str, np.ndarray]:
    """Which points fire each rule, as boolean arrays shaped like ``z``.

    Parameters
    ----------
    z : array-like of float
        Z-scores (:func:`z_scores`) along the last axis: one series (1-D) or many
        (2-D, series × points). NaN marks a missing point.
    rules : str or iterable of str
        Names from :data:`RULES` or :data:`RULE_SETS`.

    Returns
    -------
    dict
        Rule name -> bool ndarray, in the order of ``rules``.
    """
    z = np.asarray(z, dtype=float)
    with np.errstate(invalid="ignore"):
        return {name: _RULE_FUNCTIONS[name](z) for name in resolve_rules(rules)}


def detect(z: np.ndarray, *, rules: str | Iterable[str] = DEFAULT_RULES) -> pd.DataFrame:
    """Which points fire each rule: a boolean DataFrame, one column per rule.

    A 1-D ``z`` gives one row per point; a 2-D ``z`` (series × points) gives one row
    per (``series``, ``point``) pair. For speed on many series use :func:`detect_array`.
    """
    z = np.asarray(z, dtype=float)
    if z.ndim not in (1, 2):
        raise ParameterError(f"z: expected a 1-D or 2-D array of z-scores, got {z.ndim} dimensions.")
    fired = detect_array(z, rules=rules)
    index = (pd.RangeIndex(z.shape[-1], name="point") if z.ndim == 1 else
             pd.MultiIndex.from_product([range(z.shape[0]), range(z.shape[1])], names=["series", "point"]))
    return pd.DataFrame({name: flags.reshape(-1) for name, flags in fired.items()}, index=index)


def _rule_labels(fired: dict[str, np.ndarray], size: int) -> np.ndarray:
    """Comma-joined names of the rules each point fires ("" if none)."""
    labels = pd.Series("", index=range(size), dtype=object)
    for name, flags in fired.items():
        labels = labels + np.where(flags, RULE_SEPARATOR + name, "")
    return labels.str.removeprefix(RULE_SEPARATOR).to_numpy(dtype=object)


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


def _frequency_word(labels: pd.Index) -> str:
    """ "weekly " for labels a week apart (typically), "daily ", "monthly ", "quarterly ", else ""."""
    if not isinstance(labels, pd.DatetimeIndex) or len(labels) < 2:
        return ""
    days = pd.Series(labels).diff().median() / pd.Timedelta(days=1)
    spans = (("daily ", 1, 1), ("weekly ", 7, 7), ("monthly ", 28, 31), ("quarterly ", 89, 92))
    for word, low, high in spans:
        if low <= days <= high:
            return word
    return ""


def _finish(kind: str, labels: pd.Index, columns: dict[str, np.ndarray], *, rules: tuple[str, ...],
            centre: float, baseline_points: int, warnings: list[str]) -> ControlChart:
    z = z_scores(columns[VALUE], centre=columns[CENTRE], sigma=columns[SIGMA])
    fired = detect_array(z, rules=rules)
    signal = np.zeros(len(z), dtype=bool)
    for flags in fired.values():
        signal |= flags
    table = pd.DataFrame({PERIOD: labels, **columns})
    table.insert(table.columns.get_loc(SIGMA) + 1, Z, z)
    table[SIGNAL] = signal
    table[RULES_FIRED] = _rule_labels(fired, len(z))
    return ControlChart(kind=kind, table=table, rules=rules, centre=float(centre),
                        baseline_points=baseline_points, warnings=warnings)


def xmr_chart(values: Sequence[float] | pd.Series, *, index: Sequence | None = None,
              baseline: object = None, rules: str | Iterable[str] = DEFAULT_RULES) -> ControlChart:
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

    Notes
    -----
    Moving ranges are taken between neighbouring periods that both have a value and
    are both in the baseline. Fewer than :data:`MIN_BASELINE_POINTS` baseline values
    add a warning.
    """
    rules = resolve_rules(rules)
    x = _array(values, "values")
    labels = _labels(values, index, len(x))
    in_base = _baseline_mask(baseline, labels)
    mr = np.abs(np.diff(x, prepend=np.nan))
    pair_in_base = in_base & np.r_[False, in_base[:-1]]
    used = in_base & ~np.isnan(x)
    base_mr = mr[pair_in_base & ~np.isnan(mr)]
    count = int(used.sum())
    centre = float(x[used].mean()) if count else np.nan
    mr_bar = float(base_mr.mean()) if len(base_mr) else np.nan
    sigma = mr_bar / D2
    warnings = []
    word = _frequency_word(labels)
    if len(base_mr) == 0:
        warnings.append(f"The baseline has {plural(count, word + 'point')} and no two in a row, too few "
                        "to estimate the limits: nothing can signal. Choose a longer baseline.")
    elif count < MIN_BASELINE_POINTS:
        warnings.append(f"The baseline has only {plural(count, word + 'point')}; limits are rough until "
                        f"there are at least {MIN_BASELINE_POINTS}.")
    if sigma == 0:
        warnings.append("Every baseline value is the same, so sigma is zero: any other value is flagged.")
    missing = int(np.isnan(x).sum())
    if missing:
        warnings.append(f"{plural(missing, 'period')} {'has' if missing == 1 else 'have'} no value; "
                        "shown as gaps, they cannot signal.")
    size = len(x)
    columns = {VALUE: x, CENTRE: np.full(size, centre), LCL: np.full(size, centre - SIGMAS * sigma),
               UCL: np.full(size, centre + SIGMAS * sigma), SIGMA: np.full(size, sigma),
               MOVING_RANGE: mr, MR_UCL: np.full(size, D4 * mr_bar), IN_BASELINE: in_base}
    return _finish(XMR, labels, columns, rules=rules, centre=centre, baseline_points=count,
                   warnings=warnings)


def laney_sigma_z(values: np.ndarray, centre: float, sigma: np.ndarray, in_base: np.ndarray) -> float:
    """Laney's sigma_z: the spread of the baseline's z-scores between neighbouring periods,
    MR-bar(z) / 1.128 (Laney 2002, Quality Engineering 14:531-537). 1 when the counts vary as
    binomial (p) or Poisson (u) sampling alone would make them; above 1 when the process moves
    from period to period more than sampling explains (overdispersion)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (values - centre) / sigma
    z = np.where(in_base, z, np.nan)
    pairs = ~np.isnan(z[1:]) & ~np.isnan(z[:-1])
    if pairs.sum() < 2:
        return float("nan")
    return float(np.mean(np.abs(np.diff(z))[pairs]) / D2)


def _attribute_chart(kind: str, counts: object, sizes: object, *, index: object, baseline: object,
                     rules: str | Iterable[str], count_name: str, size_name: str,
                     laney: bool | str = False) -> ControlChart:
    rules = resolve_rules(rules)
    c = _array(counts, count_name)
    n = _array(sizes, size_name, len(c))
    labels = _labels(counts, index, len(c))
    in_base = _baseline_mask(baseline, labels)
    bad = (c < 0) | (n < 0)
    if kind == P:
        bad |= c > n
    if bad.any():
        where = ", ".join(str(v) for v in labels[bad][:5])
        rule = f"0 <= {count_name} <= {size_name}" if kind == P else f"{count_name} and {size_name} >= 0"
        raise ParameterError(f"{count_name}/{size_name}: {int(bad.sum())} period(s) break {rule} "
                             f"(periods {where}); correct the counts.")
    n = np.where(np.isnan(n), 0.0, n)
    usable = (n > 0) & ~np.isnan(c)
    used = in_base & usable
    total_n = n[used].sum()
    centre = float(c[used].sum() / total_n) if total_n > 0 else np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(usable, c / n, np.nan)
        spread = centre * (1 - centre) if kind == P else centre
        sigma = np.where(usable, np.sqrt(spread / n), np.nan)
    laney_note = None
    if laney:
        sigma_z = laney_sigma_z(value, centre, sigma, used)
        widen = laney is True or (laney == "auto" and sigma_z > 1)
        if widen and np.isfinite(sigma_z):
            sigma = sigma * sigma_z
            periods = {"daily ": "days", "weekly ": "weeks", "monthly ": "months"}.get(
                _frequency_word(labels), "periods")
            laney_note = (f"Laney's {kind}' chart: the {periods} vary {sigma_z:.1f} times as much as "
                          f"{'binomial' if kind == P else 'Poisson'} sampling alone would make them "
                          "in the baseline, so the limits are widened by that factor (Laney 2002): "
                          "with large volumes, classic limits would treat that ordinary movement "
                          "as signals.")
    lcl = np.maximum(centre - SIGMAS * sigma, 0.0)
    ucl = centre + SIGMAS * sigma
    if kind == P:
        ucl = np.minimum(ucl, 1.0)
    warnings = [laney_note] if laney_note else []
    empty = int((~usable).sum())
    if empty:
        warnings.append(f"{plural(empty, 'period')} had no cases (n = 0); shown as gaps, "
                        f"{'it' if empty == 1 else 'they'} cannot signal.")
    if not total_n > 0:
        warnings.append("The baseline has no cases, so the centre line and limits cannot be computed "
                        "and nothing can signal; choose a baseline with data.")
    elif centre == 0 or (kind == P and centre == 1):
        what = "no events" if centre == 0 else "nothing but events"
        warnings.append(f"The baseline has {what}, so sigma is zero: any other value is flagged.")
    elif int(used.sum()) < MIN_BASELINE_POINTS:
        word = _frequency_word(labels)
        warnings.append(f"The baseline has only {plural(int(used.sum()), word + 'point')}; limits are "
                        f"rough until there are at least {MIN_BASELINE_POINTS}.")
    size = len(c)
    columns = {VALUE: value, CENTRE: np.full(size, centre), LCL: lcl, UCL: ucl, SIGMA: sigma, N: n,
               IN_BASELINE: in_base}
    return _finish(kind, labels, columns, rules=rules, centre=centre, baseline_points=int(used.sum()),
                   warnings=warnings)


def p_chart(defectives: Sequence[float] | pd.Series, sample_sizes: Sequence[float] | pd.Series, *,
            index: Sequence | None = None, baseline: object = None,
            rules: str | Iterable[str] = DEFAULT_RULES, laney: bool | str = False) -> ControlChart:
    """p chart of a share (events / cases) per period, with varying case counts.

    Parameters
    ----------
    defectives, sample_sizes : array-like
        Events (e.g. breaches, abandons) and cases per period; ``0 <= defectives <= n``.
        A period with n = 0 has no value and cannot signal.
    index, baseline, rules
        As for :func:`xmr_chart`.
    laney : bool or "auto"
        Laney's p' chart: multiply each sigma by :func:`laney_sigma_z` of the baseline
        (``"auto"``: only when it is above 1, i.e. the weeks vary more than sampling explains).

    Notes
    -----
    p̄ = Σ defectives / Σ n over the baseline; each point has sigma √(p̄(1 − p̄)/nᵢ) and
    limits p̄ ± 3 sigma clipped to [0, 1].
    """
    return _attribute_chart(P, defectives, sample_sizes, index=index, baseline=baseline, rules=rules,
                            count_name="defectives", size_name="sample_sizes", laney=laney)


def u_chart(counts: Sequence[float] | pd.Series, units: Sequence[float] | pd.Series, *,
            index: Sequence | None = None, baseline: object = None,
            rules: str | Iterable[str] = DEFAULT_RULES, laney: bool | str = False) -> ControlChart:
    """u chart of a count per unit (e.g. complaints per 1,000 contacts) per period.

    Parameters
    ----------
    counts, units : array-like
        Events and exposure (units, may be fractional) per period. A period with no
        units has no value and cannot signal.
    index, baseline, rules
        As for :func:`xmr_chart`.

    Notes
    -----
    ū = Σ counts / Σ units over the baseline; sigma √(ū/nᵢ); lower limit clipped at 0.
    """
    return _attribute_chart(U, counts, units, index=index, baseline=baseline, rules=rules,
                            count_name="counts", size_name="units", laney=laney)


def signals_summary(chart: ControlChart, *, metric: str) -> pd.DataFrame:
    """Runs of consecutive signal points, for listing "signals with dates" in a report.

    Returns
    -------
    DataFrame
        One row per run: ``metric``, ``first_period``, ``last_period``, ``points``,
        ``rules`` (fired anywhere in the run, in rule order) and ``direction``
        ("above", "below" or "both sides" of the centre line).
    """
    columns = [METRIC, FIRST_PERIOD, LAST_PERIOD, POINTS, RULES_FIRED, DIRECTION]
    t = chart.table.reset_index(drop=True)
    hit = t[SIGNAL].to_numpy()
    if not hit.any():
        return pd.DataFrame(columns=columns)
    run = np.cumsum(hit & ~np.r_[False, hit[:-1]])
    sig = t[hit].assign(run=run[hit])
    grouped = sig.groupby("run", sort=True)
    fired = (sig[["run", RULES_FIRED]].assign(rule=sig[RULES_FIRED].str.split(RULE_SEPARATOR))
             .explode("rule").drop_duplicates(["run", "rule"]))
    fired["order"] = fired["rule"].map({name: i for i, name in enumerate(chart.rules)})
    names = fired.sort_values(["run", "order"]).groupby("run")["rule"].agg(RULE_SEPARATOR.join)
    low, high = grouped[Z].min(), grouped[Z].max()
    direction = np.where(low > 0, "above", np.where(high < 0, "below", "both sides"))
    return pd.DataFrame({
        METRIC: metric,
        FIRST_PERIOD: grouped[PERIOD].first().to_numpy(),
        LAST_PERIOD: grouped[PERIOD].last().to_numpy(),
        POINTS: grouped.size().to_numpy(),
        RULES_FIRED: names.to_numpy(),
        DIRECTION: direction,
    })[columns]
