"""The KPI catalogue and the volume, contact and resolution-time calculations.

Every metric is declared once in :data:`METRICS` with its plain-language
definition, unit and which direction is better; reports print the definitions
of the metrics they show.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ccreview.clocks.periods import week_start
from ccreview.data import columns as c
from ccreview.stats import kinds

__all__ = [
    "MATERIAL_CHANGE",
    "service_level_masks",
    "METRIC_BETTER",
    "METRICS",
    "Metric",
    "resolution_hours",
    "resolution_time_stats",
    "volume_by_period",
]


@dataclass(frozen=True)
class Metric:
    """A KPI: what it is called, how it is defined and computed, its unit and better direction.

    ``kind`` says how it is computed and compared: ``proportion`` (numerator /
    denominator, both counts of the same things; Wilson and Newcombe intervals),
    ``rate`` (events per unit of exposure; Poisson), ``count`` (events in the
    period; Poisson per day), ``duration`` or ``score`` (a statistic of measured
    values; Welch or a bootstrap interval, days as the units) and ``snapshot`` (a state at an
    instant, not compared by a test).
    """

    name: str
    label: str
    definition: str
    unit: str  # "share", "hours", "seconds", "count", "score", "per 1,000"
    better: str  # "higher", "lower" or "neither"
    table: str
    #: optional columns of ``table`` the metric cannot do without
    needs: tuple[str, ...] = ()
    kind: str = kinds.PROPORTION
    #: for duration and score metrics: "mean", "median" or "p90"
    statistic: str = ""
    numerator: str = ""
    denominator: str = ""
    #: ratio metrics are multiplied by this (1,000 for "per 1,000 contacts")
    scale: float = 1.0


_RT = "phone and chat contacts"
_CATALOGUE = (
    # contacts
    Metric("contacts_offered", "Contacts offered",
           "Contacts that reached an agent queue in the period (answered + abandoned), all "
           "channels.", "count", "neither", "contacts", kind=kinds.COUNT, numerator="contacts offered"),
    Metric("contacts_answered", "Contacts answered",
           "Contacts offered in the period that an agent answered, all channels.", "count",
           "neither", "contacts", kind=kinds.COUNT, numerator="contacts answered"),
    Metric("abandonment_rate", "Abandonment rate",
           "Phone and chat contacts abandoned in queue / phone and chat contacts offered (short "
           "abandons included; email cannot be abandoned).", "share", "lower", "contacts",
           numerator=f"{_RT} abandoned in queue", denominator=f"{_RT} offered"),
    Metric("abandonment_rate_excl_short", "Abandonment rate (short abandons excluded)",
           "As the abandonment rate, with short abandons (a wait under the short-abandon "
           "threshold of the parameter file) removed from both counts.", "share", "lower",
           "contacts", (c.WAIT_S,),
           numerator=f"{_RT} abandoned after the short-abandon threshold",
           denominator=f"{_RT} offered, less short abandons"),
    Metric("service_level", "Service level",
           "Phone and chat contacts answered within T seconds, in the variant the parameter file "
           "chooses (the report names it).", "share", "higher", "contacts", (c.WAIT_S,),
           numerator=f"{_RT} answered within T", denominator=f"{_RT} offered (per variant)"),
    Metric("average_speed_of_answer", "Average speed of answer",
           "Mean queue wait of answered phone and chat contacts (abandoned contacts excluded).",
           "seconds", "lower", "contacts", (c.WAIT_S,), kind=kinds.DURATION, statistic="mean",
           numerator="total queue wait of answered contacts", denominator="contacts answered"),
    Metric("average_handle_time", "Average handle time",
           "Mean handle time (talk, hold and wrap-up as the export records it) of answered "
           "contacts, all channels.", "seconds", "lower", "contacts", (c.HANDLE_S,),
           kind=kinds.DURATION, statistic="mean", numerator="total handle time",
           denominator="contacts handled"),
    Metric("first_contact_resolution", "First-contact resolution",
           "Answered contacts marked resolved at the first contact / answered contacts with the "
           "mark recorded (agent disposition; method (c) of the reference notes).", "share",
           "higher", "contacts", (c.FIRST_CONTACT_RESOLVED,),
           numerator="contacts resolved at first contact", denominator="contacts answered"),
    # incidents
    Metric("incidents_opened", "Incidents opened",
           "Incidents whose opened_at falls in the period.", "count", "neither", "incidents",
           kind=kinds.COUNT, numerator="incidents opened"),
    Metric("median_response_h", "Median time to first response",
           "Median of first_response_at - opened_at (calendar clock) for incidents first "
           "responded to in the period.", "hours", "lower", "incidents", (c.FIRST_RESPONSE_AT,),
           kind=kinds.DURATION, statistic="median"),
    Metric("p90_response_h", "90th percentile time to first response",
           "90th percentile of first_response_at - opened_at (calendar clock), incidents first "
           "responded to in the period.", "hours", "lower", "incidents", (c.FIRST_RESPONSE_AT,),
           kind=kinds.DURATION, statistic="p90"),
    Metric("response_compliance", "Response compliance",
           "Response targets met / response targets judged in the period (completed in the "
           "period, or still open and already past target at its end). Cancelled incidents "
           "are left out; time in the pause states of criteria.yaml does not count.", "share",
           "higher", "incidents", (c.FIRST_RESPONSE_AT,),
           numerator="response targets met", denominator="response targets judged"),
    Metric("resolution_compliance", "Resolution compliance",
           "Resolution targets met / resolution targets judged in the period, on the same "
           "rule as response compliance.", "share", "higher", "incidents", (c.RESOLVED_AT,),
           numerator="resolution targets met", denominator="resolution targets judged"),
    Metric("median_resolution_h", "Median time to resolve",
           "Median of resolved_at - opened_at (calendar clock) for incidents resolved in the "
           "period.", "hours", "lower", "incidents", (c.RESOLVED_AT,), kind=kinds.DURATION,
           statistic="median"),
    Metric("p90_resolution_h", "90th percentile time to resolve",
           "90th percentile of resolved_at - opened_at (calendar clock) for incidents resolved "
           "in the period: nine in ten are resolved faster.", "hours", "lower", "incidents",
           (c.RESOLVED_AT,), kind=kinds.DURATION, statistic="p90"),
    Metric("median_resolution_sla_h", "Median time to resolve (target clock)",
           "Median time to resolve on each priority's target calendar with paused time taken "
           "off (the clock the resolution target is judged on), incidents resolved in the "
           "period.", "hours", "lower", "incidents", (c.RESOLVED_AT,), kind=kinds.DURATION,
           statistic="median"),
    Metric("reopen_rate", "Reopen rate",
           "Incidents resolved in the period with reopen_count > 0 / incidents resolved in the "
           "period.", "share", "lower", "incidents", (c.RESOLVED_AT, c.REOPEN_COUNT),
           numerator="resolved incidents reopened", denominator="incidents resolved"),
    Metric("escalation_rate", "Escalation rate",
           "Incidents opened in the period marked escalated / incidents opened with the mark "
           "recorded (each incident counted once).", "share", "neither", "incidents",
           (c.ESCALATED,), numerator="incidents escalated", denominator="incidents opened"),
    Metric("reassignment_rate", "Reassignment rate",
           "Incidents opened in the period reassigned at least once / incidents opened with a "
           "reassignment count.", "share", "lower", "incidents", (c.REASSIGNMENT_COUNT,),
           numerator="incidents reassigned", denominator="incidents opened"),
    Metric("backlog_open", "Backlog at period end",
           "Incidents opened before the end of the period and not resolved by then (cancelled "
           "ones left out), with their age in calendar days.", "count", "lower", "incidents",
           kind=kinds.SNAPSHOT),
    # customers and quality
    Metric("csat", "Customer satisfaction (CSAT)",
           "Survey answers of 4 or 5 on the 1-5 satisfaction scale / all such answers in the "
           "period (top-two-box).", "share", "higher", "feedback",
           numerator="satisfied answers (4-5)", denominator="CSAT answers"),
    Metric("nps", "Net Promoter Score",
           "100 x (promoters (9-10) - detractors (0-6)) / all answers on the 0-10 scale in the "
           "period; from -100 to +100.", "score", "higher", "feedback", kind=kinds.SCORE,
           statistic="mean"),
    Metric("complaints_per_1000_contacts", "Complaints per 1,000 contacts",
           "Complaints received in the period x 1,000 / contacts that arrived in the period.",
           "per 1,000", "lower", "feedback", kind=kinds.RATE, scale=1000.0,
           numerator="complaints", denominator="contacts"),
    Metric("qa_score", "Quality score",
           "Mean score (0-100) of the quality evaluations made in the period.", "score",
           "higher", "qa_evaluations", kind=kinds.SCORE, statistic="mean"),
    Metric("critical_error_rate", "Critical-error rate",
           "Quality evaluations with a critical error / evaluations in the period.", "share",
           "lower", "qa_evaluations", (c.CRITICAL_ERROR,),
           numerator="evaluations with a critical error", denominator="evaluations"),
)

#: the catalogue, by metric name
METRICS: dict[str, Metric] = {m.name: m for m in _CATALOGUE}

#: metric name -> the direction that is better ("higher", "lower" or "neither")
METRIC_BETTER: dict[str, str] = {m.name: m.better for m in _CATALOGUE}

#: channels answered in real time, to which service level and ASA apply
REAL_TIME_CHANNELS = ("phone", "chat")


def volume_by_period(
    frame: pd.DataFrame, *, at: str, freq: str = "W-MON", by: str | None = None
) -> pd.DataFrame:
    """Count rows per period (and segment).

    Parameters
    ----------
    frame : DataFrame
        Any canonical table.
    at : str
        The timestamp column that places a row in a period.
    freq : str
        ``"W-MON"`` (weeks starting on Monday) or a pandas period alias such as ``"M"``.
    by : str, optional
        A column to split the counts by.

    Returns
    -------
    DataFrame
        ``period_start`` (timezone-naive date), the ``by`` column, ``n``.
    """
    if freq == "W-MON":
        start = week_start(frame[at])
    else:
        start = frame[at].dt.tz_localize(None).dt.to_period(freq).dt.start_time
    keys = [start.rename(c.PERIOD_START)] + ([frame[by].fillna("(blank)")] if by else [])
    counts = frame.groupby(keys, observed=True).size().rename("n").reset_index()
    return counts


def resolution_hours(incidents: pd.DataFrame) -> pd.Series:
    """Calendar hours from ``opened_at`` to ``resolved_at`` (missing where unresolved)."""
    return (incidents[c.RESOLVED_AT] - incidents[c.OPENED_AT]).dt.total_seconds() / 3600


def resolution_time_stats(
    incidents: pd.DataFrame, *, by: str | list[str] | None = None
) -> pd.DataFrame:
    """Time to resolve (calendar hours): n, median, 90th percentile and mean.

    Parameters
    ----------
    incidents : DataFrame
        Canonical incidents; unresolved ones are ignored.
    by : str or list of str, optional
        Segment columns.

    Returns
    -------
    DataFrame
        The ``by`` columns, ``n``, ``median_h``, ``p90_h``, ``mean_h``.
    """
    keys = [by] if isinstance(by, str) else list(by or [])
    resolved = incidents[incidents[c.RESOLVED_AT].notna()]
    hours = resolution_hours(resolved)
    work = pd.DataFrame({"hours": hours.to_numpy()}, index=resolved.index)
    for key in keys:
        work[key] = resolved[key]
    grouped = work.groupby(keys, observed=True)["hours"] if keys else work["hours"]
    stats = pd.DataFrame(
        {
            "n": grouped.count(),
            "median_h": grouped.median(),
            "p90_h": grouped.quantile(0.9),
            "mean_h": grouped.mean(),
        },
        index=None if keys else [0],
    )
    return stats.reset_index(drop=not keys)


#: the smallest change that matters, per metric, on its comparison's scale (units for shares,
#: times and scores; the relative change for counts and rates): a change smaller than this
#: is "no material change" even when it is clear beyond chance. Defaults; the parameter
#: file's ``kpis: material_change:`` overrides them.
MATERIAL_CHANGE: dict[str, float] = {
    **{m.name: 0.01 for m in _CATALOGUE if m.unit == "share"},  # one percentage point
    **{m.name: 0.03 for m in _CATALOGUE if m.kind in (kinds.COUNT, kinds.RATE)},  # 3%
    "average_speed_of_answer": 5.0, "average_handle_time": 10.0,  # seconds
    "median_response_h": 0.25, "p90_response_h": 1.0, "median_resolution_h": 2.0,
    "p90_resolution_h": 8.0, "median_resolution_sla_h": 2.0,  # hours
    "nps": 3.0, "qa_score": 1.0,  # points
}


def service_level_masks(abandoned, wait, settings) -> tuple:
    """Which contacts count in the numerator and the denominator of the service level, under
    the parameter file's variant (``settings``: :class:`~ccreview.config.kpi_settings.KpiSettings`;
    ICMI's formulas, reference section 1.1). ``abandoned`` and ``wait`` (seconds, NaN
    unknown) are arrays aligned with the contacts; the one definition both the per-contact
    observations and the one-pass contact KPIs use."""
    t, s = settings.service_level_threshold_s, settings.short_abandon_s
    answered_known = ~abandoned & ~np.isnan(wait)
    within = answered_known & (wait <= t)
    ab_within, ab_short = abandoned & (wait <= t), abandoned & (wait < s)
    offered = abandoned | answered_known
    return {
        "offered": (within, offered),
        "answered": (within, answered_known),
        "abandons_within_t_met": (within | ab_within, offered),
        "abandons_within_t_excluded": (within, offered & ~ab_within),
        "short_abandons_met": (within | ab_short, offered),
        "short_abandons_excluded": (within, offered & ~ab_short),
    }[settings.service_level_variant]
