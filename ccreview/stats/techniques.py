"""Which monitoring technique to trust: a naive month-on-month RAG comparison or a control chart.

Both techniques watch one weekly KPI series and are scored on the centre's own data:

* **False alarms** ("nothing changed"): the weeks marked stable are resampled into
  ``n_sim`` synthetic monitoring runs, each a baseline of ``baseline_weeks`` weeks
  followed by ``months`` monitored 4-week months. Resampling is a moving-block
  bootstrap of whole weeks (Künsch 1989, Annals of Statistics 17:1217-1241): blocks of
  ``block_weeks`` consecutive stable weeks keep the short-range week-to-week
  dependence that an i.i.d. bootstrap would erase and that makes run rules misfire.
  A week is resampled whole: its value and, for shares and rates, its (numerator,
  cases) pair, so the real weekly volumes and the real (possibly over-binomial)
  variation reach the p chart. ``block_weeks=1`` is the plain bootstrap.
* **Detection**: the same runs with a sustained shift of ``k`` times the standard
  deviation of the stable weekly values, in the worse direction, from a known week
  of the monitored part (by default a random week of the first monitored month, so
  the RAG's month boundaries fall anywhere relative to the change). Delay = weeks
  of shifted data seen when the first alarm is raised (1 = the first shifted week).

Techniques:

* **Month-on-month RAG**: weeks grouped into 4-week months; a month is RED when it is
  worse than the previous month by more than ``rag_threshold`` relative (AMBER from
  half the threshold); only RED is an alarm, raised at the month's end.
* **Control chart**: p chart (shares), u chart (rates) or XmR chart (counts,
  durations, scores) of the weekly values, limits recomputed from each run's own
  baseline weeks as a user would, with the configured run rules
  (:func:`ccreview.stats.run_rules.detect_array`). An alarm month is a monitored month with a
  signal in any of its weeks, so both techniques are counted in the same units.

By default only signals on the worse side count (``one_sided=True``), as the RAG
only flags worsening; rules with no side (trends, alternation, hugging) count either way.
The RAG's change is relative to the previous month's absolute value, so it is erratic for a
metric near zero (an NPS around 0).

The recommendation trusts the technique that is no worse on both false alarms per month and
detection of the reference shift (2 sigma, else the largest), with differences of up to
:data:`TIE` counted as ties; in a trade-off, the one whose chance of finding the shift within
``detect_within`` weeks exceeds its chance of a false alarm over the same weeks by more.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ccreview.data import columns as c
from ccreview.exceptions import ParameterError, SchemaError
from ccreview.presentable import Presentable
from ccreview.stats import kinds
from ccreview.stats.control_charts import VALUE, N
from ccreview.stats.run_rules import DEFAULT_RULES, NELSON, WESTERN_ELECTRIC, resolve_rules
from ccreview.stats.technique_signals import (
    AMBER,
    RED,
    WEEKS_PER_MONTH,
    _resample,
    _worse_sign,
    chart_signals,
    rag_status,
)
from ccreview.wording import fmt_number, fmt_pct

__all__ = [
    "CHART",
    "RAG",
    "TechniqueComparison",
    "chart_for",
    "delay_column",
    "detection_column",
    "technique_comparison",
]

NUMERATOR = "numerator"
#: metric kind -> chart
CHARTS = {kinds.PROPORTION: "p", kinds.RATE: "u"}
CHART_LABELS = {"p": "p chart", "u": "u chart", "xmr": "XmR chart"}
#: differences in shares up to this are treated as ties (about the simulation's resolution)
TIE = 0.01
#: weekly values vary this many times more than a p/u chart assumes before a warning
OVERDISPERSION_WARN = 1.5

# columns of TechniqueComparison.table and .delays
TECHNIQUE, LABEL, RUN, SHIFT_SIGMAS, DELAY_WEEKS = "technique", "label", "run", "shift_sigmas", "delay_weeks"
FALSE_PER_MONTH, RUNS_WITH_FALSE = "false_alarms_per_month", "runs_with_false_alarm"
AMBER_PER_MONTH = "amber_per_month"
#: the two techniques, as named in the ``technique`` column
RAG, CHART = "month_on_month_rag", "control_chart"


def _sd_label(k: float) -> str:
    return f"{k:g}".replace(".", "_") + "sd"


def detection_column(k: float) -> str:
    """``detection_rate_2sd`` for a shift of 2 sigma (``1_5sd`` for 1.5)."""
    return f"detection_rate_{_sd_label(k)}"


def delay_column(k: float) -> str:
    """``median_delay_weeks_2sd`` for a shift of 2 sigma."""
    return f"median_delay_weeks_{_sd_label(k)}"


def chart_for(kind: str) -> str:
    """The chart a metric kind is watched with: ``"p"`` (proportion), ``"u"`` (rate), else ``"xmr"``."""
    return CHARTS.get(kind, "xmr")


# --------------------------------------------------------------------------- the two techniques


# --------------------------------------------------------------------------- stable weeks


# --------------------------------------------------------------------------- the comparison


@dataclass
class TechniqueComparison(Presentable):
    """False alarms and detection of a month-on-month RAG comparison and a control chart.

    ``table``: one row per technique: ``technique``, ``label``, ``false_alarms_per_month``
    (share of monitored months with an alarm when nothing changed), ``runs_with_false_alarm``
    (share of runs with at least one in ``months`` months), ``amber_per_month`` (RAG only:
    months AMBER, which are not alarms), then per shift ``k``:
    ``detection_rate_{k}sd`` (found within ``detect_within`` weeks) and
    ``median_delay_weeks_{k}sd`` (NaN when fewer than half the runs found it at all).
    ``delays``: one row per technique, shift and run: ``delay_weeks`` (NaN: not found).
    """

    table: pd.DataFrame
    delays: pd.DataFrame
    recommendation: str
    settings: dict
    warnings: list[str] = field(default_factory=list)
    #: the technique to trust: :data:`RAG`, :data:`CHART`, or None when neither clearly is
    trusted: str | None = None


def _rules_text(rules: tuple[str, ...]) -> str:
    named = {WESTERN_ELECTRIC: "Western Electric rules", NELSON: "Nelson rules"}
    return named.get(rules, ", ".join(r.replace("_", " ") for r in rules))


def _pct(share: float) -> str:
    return fmt_pct(share, 1 if 0 < share < 0.1 or 0.99 < share < 1 else 0)


def _delay_text(delay: float) -> str:
    if np.isnan(delay):
        return "most runs never found it"
    weeks = fmt_number(delay, 0 if float(delay).is_integer() else 1)
    return f"median delay {weeks} {'week' if delay == 1 else 'weeks'}"


def _better(low_is_good: dict[str, float], *, lower: bool) -> str | None:
    """The technique clearly ahead (by more than :data:`TIE`), or None for a tie."""
    diff = low_is_good[CHART] - low_is_good[RAG]
    if abs(diff) <= TIE:
        return None
    return CHART if (diff < 0) == lower else RAG


def _recommend(table: pd.DataFrame, *, shift: float, within: int) -> tuple[str | None, str]:
    """The technique to trust (:data:`RAG`, :data:`CHART`, or None when neither clearly is) and
    the sentence that says why."""
    rows = table.set_index(TECHNIQUE)
    det, dly = detection_column(shift), delay_column(shift)
    fa, found = rows[FALSE_PER_MONTH].to_dict(), rows[det].to_dict()
    facts = (f"when nothing had changed, the control chart raised a false alarm in {_pct(fa[CHART])} of "
             f"months against {_pct(fa[RAG])} for the month-on-month RAG comparison; it found a "
             f"{shift:g}-sigma worsening within {within} weeks in {_pct(found[CHART])} of runs "
             f"({_delay_text(rows.loc[CHART, dly])}) against {_pct(found[RAG])} "
             f"({_delay_text(rows.loc[RAG, dly])})")
    if np.isnan([*fa.values(), *found.values()]).any():
        return None, f"No recommendation: the simulation could not score both techniques ({facts})."
    quieter, sharper = _better(fa, lower=True), _better(found, lower=False)
    names = {CHART: "the control chart", RAG: "the month-on-month RAG comparison"}
    if quieter is None and sharper is None:
        return None, f"The two techniques performed alike: {facts}."
    if {quieter, sharper} <= {CHART, None} or {quieter, sharper} <= {RAG, None}:
        return quieter or sharper, f"Trust {names[quieter or sharper]}: {facts}."
    # a trade-off: the chance of catching the worsening against the chance of a false alarm over the
    # same weeks; the technique with the larger margin earns trust
    months = within / WEEKS_PER_MONTH
    margin = {t: found[t] - (1 - (1 - fa[t]) ** months) for t in (RAG, CHART)}
    best = CHART if margin[CHART] >= margin[RAG] else RAG
    other = RAG if best == CHART else CHART
    return best, (f"Neither technique is better on both counts: {facts}. Trust {names[best]}: over {within} "
            f"weeks its chance of catching the worsening exceeds its chance of a false alarm by "
            f"{fmt_number(100 * margin[best], 0)} percentage points, against "
            f"{fmt_number(100 * margin[other], 0)} for {names[other].removeprefix('the ')}.")


def _first_alarm(alarms: np.ndarray, at_week: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Weeks of shifted data seen at the first alarm at or after ``start`` (NaN: none).

    ``alarms`` is runs × slots, each slot raised at week ``at_week``."""
    live = alarms & (at_week[None, :] >= start[:, None])
    first = np.argmax(live, axis=1)
    return np.where(live.any(axis=1), at_week[first] - start + 1, np.nan)


def _check_options(*, n_sim: int, months: int, baseline_weeks: int, rag_threshold: float, block_weeks: int,
                   shift_sigmas: Sequence[float], detect_within: int, shift_week: int | None) -> None:
    monitored = months * WEEKS_PER_MONTH
    latest = shift_week if shift_week is not None else WEEKS_PER_MONTH - 1
    checks = [(n_sim >= 1, "n_sim must be at least 1"), (months >= 1, "months must be at least 1"),
              (baseline_weeks >= WEEKS_PER_MONTH, f"baseline_weeks must be at least {WEEKS_PER_MONTH}"),
              (rag_threshold > 0, "rag_threshold must be a positive share, e.g. 0.05"),
              (block_weeks >= 1, "block_weeks must be at least 1"),
              (len(shift_sigmas) > 0 and all(k > 0 for k in shift_sigmas),
               "shift_sigmas must be positive numbers of standard deviations, e.g. (1.0, 2.0)"),
              (detect_within >= 1 and latest >= 0 and latest + detect_within <= monitored,
               f"the shift (from week {latest}) plus detect_within ({detect_within}) must fit in the "
               f"{monitored} monitored weeks; monitor more months or shorten detect_within")]
    for ok, message in checks:
        if not ok:
            raise ParameterError(f"technique_comparison: {message}.")


def _variation_warnings(events: np.ndarray, size: np.ndarray, *, sd: float, chart: str) -> list[str]:
    warnings = []
    if chart in ("p", "u"):
        centre = events.sum() / size.sum()
        expected = np.sqrt((centre * (1 - centre) if chart == "p" else centre) / size.mean())
        if expected > 0 and sd / expected > OVERDISPERSION_WARN:
            warnings.append(f"The stable weeks vary {fmt_number(sd / expected, 1)} times more than the "
                            f"{CHART_LABELS[chart]}'s limits assume (over-dispersion; Laney 2002): expect "
                            "many chart false alarms; an XmR chart of the weekly share would allow for it.")
    if sd == 0:
        warnings.append("Every stable week has the same value, so no shift in standard deviations "
                        "can be planted; detection is not scored.")
    return warnings


def technique_comparison(
    weekly: pd.DataFrame, *, kind: str, better: str, stable: Sequence[bool] | np.ndarray, n_sim: int = 2000,
    shift_sigmas: Sequence[float] = (1.0, 2.0), months: int = 6, baseline_weeks: int = 12,
    rag_threshold: float = 0.05, rules: str | Iterable[str] = DEFAULT_RULES, block_weeks: int = 4,
    detect_within: int = 12, shift_week: int | None = None, one_sided: bool = True, seed: int = 0,
    laney: bool = False,
) -> TechniqueComparison:
    """Score a month-on-month RAG comparison and a control chart on resampled stable weeks.

    Parameters
    ----------
    weekly : DataFrame
        One metric per week (:func:`ccreview.kpis.compute.kpi_series`): ``value`` and ``n``, plus
        ``numerator`` for shares and rates; ``period_start`` (optional) marks gaps.
    kind, better : str
        The metric's ``kind`` and ``better`` (:data:`ccreview.kpis.catalogue.METRICS`).
    stable : bool mask, one per week
        Weeks in which nothing is known to have changed (:func:`stable_weeks`).
    n_sim : int
        Simulated monitoring runs.
    shift_sigmas : sequence of float
        Planted sustained shifts, in standard deviations of the stable weekly values.
    months, baseline_weeks : int
        Each run: ``baseline_weeks`` to set the chart's limits (the last 4 are also the RAG's
        first comparison month), then ``months`` monitored 4-week months.
    rag_threshold : float
        Relative worsening that makes a month RED (AMBER from half of it).
    rules : str or iterable of str
        The chart's run rules.
    block_weeks : int
        Length of the resampled blocks of consecutive stable weeks (1: plain bootstrap).
    detect_within : int
        Weeks within which a shift counts as found.
    shift_week : int, optional
        Week of the monitored part at which the shift starts (0 = first); by default a random
        week of the first monitored month in each run.
    one_sided : bool
        Count only chart signals on the worse side, as the RAG does.
    seed : int
        Seed of the random generator; the same seed gives the same result.
    """
    sign = _worse_sign(better)
    chart = chart_for(kind)
    ratio = chart in ("p", "u")
    missing = [col for col in (VALUE, N, *([NUMERATOR] if ratio else [])) if col not in weekly]
    if missing:
        raise SchemaError(f"weekly: missing column(s) {', '.join(missing)}; pass the weekly series of "
                          "ccreview.kpis.compute.kpi_series.")
    stable = np.asarray(stable)
    if stable.dtype != bool or stable.shape != (len(weekly),):
        raise ParameterError(f"stable: give {len(weekly)} True/False values, one per week "
                             "(see stable_weeks).")
    _check_options(n_sim=n_sim, months=months, baseline_weeks=baseline_weeks, rag_threshold=rag_threshold,
                   block_weeks=block_weeks, shift_sigmas=shift_sigmas, detect_within=detect_within,
                   shift_week=shift_week)
    rules = resolve_rules(rules)
    size = weekly[N].to_numpy(dtype=float, na_value=np.nan)
    value = weekly[VALUE].to_numpy(dtype=float, na_value=np.nan)
    events = weekly[NUMERATOR].to_numpy(dtype=float, na_value=np.nan) if ratio else value
    valid = stable & ~np.isnan(value) & ~np.isnan(events) & (size > 0)
    breaks = np.zeros(len(weekly), dtype=bool)
    if c.PERIOD_START in weekly:  # a missing week breaks the run of consecutive weeks
        breaks[1:] = pd.to_datetime(weekly[c.PERIOD_START]).diff().dt.days.to_numpy()[1:] != 7

    rng = np.random.default_rng(seed)
    monitored = months * WEEKS_PER_MONTH
    weeks = baseline_weeks + monitored
    pos, block, warnings = _resample(valid, breaks, runs=n_sim, weeks=weeks, block=block_weeks, rng=rng)
    shift_start = baseline_weeks + (np.full(n_sim, shift_week) if shift_week is not None
                                    else rng.integers(0, WEEKS_PER_MONTH, size=n_sim))
    x, n = events[pos], size[pos]
    share = events[valid] / size[valid] if ratio else value[valid]
    sd = float(np.std(share, ddof=1))
    warnings += _variation_warnings(events[valid], size[valid], sd=sd, chart=chart)

    weights = n if kind in kinds.VALUES else None
    first = baseline_weeks - WEEKS_PER_MONTH  # the RAG's comparison month is the baseline's last
    month_end = baseline_weeks + np.arange(months) * WEEKS_PER_MONTH + WEEKS_PER_MONTH - 1
    week_no = np.arange(weeks)

    def alarms(xs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        status = rag_status(xs[:, first:], better=better, threshold=rag_threshold,
                            sizes=n[:, first:] if ratio else None,
                            weights=None if weights is None else weights[:, first:])
        signals = chart_signals(xs, chart=chart, baseline_weeks=baseline_weeks, sizes=n if ratio else None,
                                rules=rules, better=better if one_sided else "neither",
                                laney=laney)
        return status, signals

    status, signals = alarms(x)
    red = status == RED
    chart_months = signals[:, baseline_weeks:].reshape(n_sim, months, WEEKS_PER_MONTH).any(axis=2)
    rows = {RAG: {FALSE_PER_MONTH: red.mean(), RUNS_WITH_FALSE: red.any(axis=1).mean(),
                  AMBER_PER_MONTH: (status == AMBER).mean()},
            CHART: {FALSE_PER_MONTH: chart_months.mean(), RUNS_WITH_FALSE: chart_months.any(axis=1).mean(),
                    AMBER_PER_MONTH: np.nan}}
    delay_frames = []
    after = week_no[None, :] >= shift_start[:, None]
    for k in shift_sigmas:
        delta = (sign or 1) * k * sd * after  # "neither": a rise
        shifted = np.clip(x + delta * n, 0, n if chart == "p" else None) if ratio else x + delta
        status_k, signals_k = alarms(shifted)
        found = {RAG: _first_alarm(status_k == RED, month_end, shift_start),
                 CHART: _first_alarm(signals_k, week_no, shift_start)}
        for name, delay in found.items():
            if sd == 0:
                delay = np.full(n_sim, np.nan)
            late = np.where(np.isnan(delay), np.inf, delay)
            median = float(np.median(late))
            rows[name][detection_column(k)] = float((late <= detect_within).mean()) if sd > 0 else np.nan
            rows[name][delay_column(k)] = median if np.isfinite(median) else np.nan
            delay_frames.append(pd.DataFrame({TECHNIQUE: name, SHIFT_SIGMAS: float(k), RUN: np.arange(n_sim),
                                              DELAY_WEEKS: delay}))
    labels = {RAG: f"Month-on-month RAG (RED if over {fmt_pct(rag_threshold, 0)} worse)",
              CHART: f"{'Laney ' if laney and chart != 'xmr' else ''}{CHART_LABELS[chart]} "
                     f"({_rules_text(rules)})"}
    table = pd.DataFrame([{TECHNIQUE: t, LABEL: labels[t], **rows[t]} for t in (RAG, CHART)])
    reference = 2.0 if 2.0 in shift_sigmas else max(shift_sigmas)
    settings = {"n_sim": n_sim, "months": months, "baseline_weeks": baseline_weeks, "chart": chart,
                "rules": rules, "rag_threshold": rag_threshold, "stable_weeks": int(valid.sum()),
                "block_weeks": block,
                "resampling": ("plain bootstrap of weeks" if block == 1 else
                               f"moving-block bootstrap, blocks of {block} consecutive weeks"),
                "weekly_sd": float(np.std(value[valid], ddof=1)),  # in the metric's unit (x 1,000 for rates)
                "shift_sigmas": tuple(float(k) for k in shift_sigmas),
                "detect_within": detect_within, "one_sided": one_sided, "seed": seed}
    trusted, recommendation = _recommend(table, shift=reference, within=detect_within)
    return TechniqueComparison(table=table, delays=pd.concat(delay_frames, ignore_index=True),
                               recommendation=recommendation, settings=settings, warnings=warnings,
                               trusted=trusted)
