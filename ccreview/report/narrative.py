"""Sentences built from computed results, so every number in prose is computed.

Each function takes results and returns a list of plain-text sentences (the
display layer escapes them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ccreview.data import columns as c
from ccreview.kpis.catalogue import resolution_time_stats
from ccreview.report.formatting import priority_label
from ccreview.report.major_narrative import lapse_sentences, major_sentence
from ccreview.review.special_causes import ABANDONMENT, CONTACTS_OFFERED, SERVICE_LEVEL, degraded_week_starts
from ccreview.stats.effects import DECREASED, INCREASED, N_BEFORE, VERDICT
from ccreview.wording import (
    fmt_count,
    fmt_day,
    fmt_days,
    fmt_hours,
    fmt_number,
    fmt_pct,
    hours_unit,
    plural,
)

if TYPE_CHECKING:  # pragma: no cover
    from ccreview.review.review import Review

__all__ = ["DegradedWeeks", "coverage_notes", "degraded_weeks", "findings", "grading_sentences",
           "pooled_rate", "resolution_sentences",
           "worst_weeks"]



def _volume_sentence(review: Review) -> str:
    """Incidents opened, against the previous period of the comparison section (the same
    row of :attr:`Review.comparisons`, so both say the same): per day, because a quarter
    of 92 days is not a quarter of 90, and the change is the comparison's rate ratio."""
    text = f"{fmt_count(len(review.incidents))} incidents were opened"
    table = review.comparisons
    if not len(table):
        return text + "."
    row = table[(table[c.METRIC] == "incidents_opened") & (table["segment_by"] == "")
                & table["against"].str.startswith("previous")]
    if not len(row):
        return text + "."
    r = row.iloc[0]
    delta = r["difference"] - 1  # the rate ratio, with each period's weekday mix allowed for
    if not np.isfinite(delta):
        return text + "."
    if round(abs(delta), 2) == 0:
        move = "about the same"
    else:
        move = f"{'up' if delta > 0 else 'down'} {abs(delta):.0%}"
    chance = ("beyond what chance explains" if r[VERDICT] in (INCREASED, DECREASED)
              else "within what chance explains")
    return (f"{text}, {fmt_number(r['after'])} a day against {fmt_number(r['before'])} in the "
            f"{r['against']} ({fmt_count(r[N_BEFORE])} incidents): {move} once each "
            f"period's mix of weekdays is allowed for, {chance}.")


def coverage_notes(review: Review) -> list[str]:
    """Warnings when the period lies partly or wholly outside the data supplied."""
    p = review.params
    if "incidents" not in review.data:
        return ["No incidents file was given: this review covers what the other files hold "
                "(contacts, feedback, quality); the incident sections are left out."]
    opened = review.data["incidents"][c.OPENED_AT]
    if not len(opened):
        return ["The incidents file has no usable rows."]
    first, last = opened.min(), opened.max()
    span = f"the incidents file covers {fmt_day(first)} to {fmt_day(last)}"
    if not len(review.incidents):
        return [f"No incidents were opened between {fmt_day(p.start)} and "
                f"{fmt_day(p.end - pd.Timedelta(days=1))}; {span}. Check 'period' in the parameter "
                "file."]
    notes = []
    if first > p.start + pd.Timedelta(days=1) or last < p.end - pd.Timedelta(days=2):
        notes.append(f"The data does not cover the whole period: {span}.")
    if review.as_of < p.end:
        days = (p.end - review.as_of) / pd.Timedelta(days=1)
        notes.append(
            f"The data ends on {fmt_day(review.as_of)}, {fmt_number(days)} days before the "
            "period does: targets still running then are not judged, the backlog is counted "
            "then, and the weeks after it are not charted. What happened later is not in the "
            "export (it is censored), so it is neither a fall nor a signal.")
    return notes


def findings(review: Review) -> list[str]:
    """The executive summary's findings, most important first."""
    out: list[str] = []
    if "incidents" in review.data:
        out.append(_volume_sentence(review))
    for row in review.compliance.itertuples(index=False):
        by_p = review.compliance_by_priority
        part = by_p[(by_p["target"] == row.target) & (by_p["n"] >= 30)]
        worst = ""
        if len(part) > 1:
            w = part.loc[part["rate"].idxmin()]
            worst = (f"; the weakest priority was {priority_label(w[c.PRIORITY])} at "
                     f"{fmt_pct(w['rate'])}")
        out.append(f"{row.target.capitalize()} targets were met for {fmt_pct(row.rate)} of "
                   f"incidents judged in the period (95% CI {fmt_pct(row.ci_low)} to "
                   f"{fmt_pct(row.ci_high)}, n = {fmt_count(row.n)}){worst}.")
    # major-incident lapses are named early: they are decisions for the reader, not context
    lapses = lapse_sentences(review)
    if lapses:
        out.append(" ".join([major_sentence(review), *lapses]).strip())
    elif major_sentence(review) and len(review.major_incidents):
        out.append(major_sentence(review))
    # the KPI targets are the tiles' and the bottom line's: not repeated here
    out.extend(worst_weeks(review.weekly_contacts, review.degraded_weeks))
    grading = review.grading
    out.extend(grading_sentences(grading)[:1] if grading["stands_out"].any() else [])
    stats = review.resolved
    if len(stats):
        times = resolution_time_stats(stats).iloc[0]
        unit = hours_unit([times["median_h"], times["p90_h"]])
        out.append(f"Half of the incidents resolved in the period took under "
                   f"{fmt_hours(times['median_h'], unit)} to resolve; nine in ten under "
                   f"{fmt_hours(times['p90_h'], unit)} (calendar clock).")
    health = review.data.health()
    rejected = int(health["rows_rejected"].sum())
    if rejected:
        out.append(f"{plural(rejected, 'row')} of the input files (the whole export, not only "
                   f"this period) {'was' if rejected == 1 else 'were'} quarantined as unusable "
                   "and left out of every figure; Appendix A (data health) gives the reasons.")
    return out


@dataclass(frozen=True)
class DegradedWeeks:
    """Weeks whose abandonment stands out from the period's typical week, and the rest."""

    weeks: str  # "10 Aug 2026, 17 Aug 2026"
    abandonment: float
    abandonment_elsewhere: float
    service_level: float
    service_level_elsewhere: float
    #: what the data knows happened in those weeks (empty: nothing known)
    causes: tuple[str, ...] = ()
    #: how many weeks
    count: int = 1

    @property
    def cause_text(self) -> str:
        """``"major incident MI-007 declared 18 Aug and contacts 1.6 times a usual week"``."""
        causes = list(self.causes)
        if len(causes) <= 1:
            return "".join(causes)
        return ", ".join(causes[:-1]) + " and " + causes[-1]


def degraded_weeks(weekly: pd.DataFrame, causes: pd.DataFrame | None = None) -> DegradedWeeks | None:
    """The weeks of :func:`~ccreview.review.special_causes.degraded_week_starts`, with their
    abandonment and service level against the other judged weeks. Rates are pooled over the
    weeks (weighted by contacts), not averaged."""
    starts = degraded_week_starts(weekly)
    if not len(starts):
        return None
    full = weekly[weekly[CONTACTS_OFFERED] >= 0.5 * weekly[CONTACTS_OFFERED].median()]
    is_bad = full[c.PERIOD_START].isin(starts)
    bad, rest = full[is_bad], full[~is_bad]
    known = () if causes is None or not len(causes) else tuple(dict.fromkeys(
        phrase for phrases in causes["causes"] for phrase in phrases))
    return DegradedWeeks(
        weeks=fmt_days([pd.Timestamp(w) for w in bad[c.PERIOD_START]]),
        abandonment=pooled_rate(bad, ABANDONMENT), abandonment_elsewhere=pooled_rate(rest, ABANDONMENT),
        service_level=pooled_rate(bad, SERVICE_LEVEL),
        service_level_elsewhere=pooled_rate(rest, SERVICE_LEVEL), causes=known, count=len(bad),
    )


def worst_weeks(weekly: pd.DataFrame, causes: pd.DataFrame | None = None) -> list[str]:
    """A sentence on weeks whose abandonment stands out, if any do, with what the data knows
    happened in them (``causes``: :attr:`Review.degraded_weeks`)."""
    found = degraded_weeks(weekly, causes)
    if found is None:
        return []
    count = found.count
    sentence = (f"Service to callers was worst in the {'week' if count == 1 else 'weeks'} starting "
                f"{found.weeks}: {fmt_pct(found.abandonment)} of phone and chat contacts abandoned, "
                f"against {fmt_pct(found.abandonment_elsewhere)} in the other weeks")
    if not np.isnan(found.service_level):
        sentence += (f"; service level {fmt_pct(found.service_level, 0)} against "
                     f"{fmt_pct(found.service_level_elsewhere, 0)}")
    if found.causes:
        sentence += f". In those weeks: {found.cause_text}"
    return [sentence + "."]


def pooled_rate(weeks: pd.DataFrame, metric: str) -> float:
    """A proportion over several weeks of :attr:`Review.weekly_contacts`: the weeks'
    numerators over their denominators (not an average of the weekly rates)."""
    if metric not in weeks.columns:
        return np.nan
    denominator = weeks[f"{metric}_denominator"].sum()
    return float(weeks[f"{metric}_numerator"].sum() / denominator) if denominator else np.nan


def grading_sentences(grading: pd.DataFrame) -> list[str]:
    """Which teams' incidents carry a priority that disagrees with the matrix."""
    if not len(grading):
        return ["No incident had both impact and urgency recorded, so grading was not checked."]
    overall = grading.attrs["overall_rate"]
    if overall == 0:
        return [f"Every one of the {fmt_count(grading['n'].sum())} incidents with impact and "
                "urgency recorded carries the priority the impact × urgency matrix gives."]
    out = []
    for row in grading[grading["stands_out"]].itertuples(index=False):
        out.append(f"Incidents assigned to {row.assigned_team} carry a priority that differs from the "
                   f"impact × urgency matrix in {fmt_pct(row.rate)} of cases (95% CI "
                   f"{fmt_pct(row.ci_low)} to {fmt_pct(row.ci_high)}, n = {fmt_count(row.n)}), "
                   f"against {fmt_pct(overall)} across all teams: review how this team grades.")
    out.append(f"Across all teams, {fmt_pct(overall)} of incidents carry a priority that differs "
               "from the matrix; a team is called out when even the low end of its interval is "
               "more than twice that (and above 1%).")
    return out


def resolution_sentences(table: pd.DataFrame, trend: pd.DataFrame) -> list[str]:
    """Spread and trend of time to resolve: ``table`` per priority (``priority``, ``n``,
    ``median_h``, ``p90_h``) and the weekly ``trend`` (``period_start``, ``n``, ``p90_h``)."""
    out = []
    for row in table.itertuples(index=False):
        out.append(f"{priority_label(row.priority)}: median {fmt_hours(row.median_h)}, "
                   "90th percentile "
                   f"{fmt_hours(row.p90_h)} (n = {fmt_count(row.n)}).")
    trend = trend[trend["n"] >= 20]
    if len(trend) >= 4:
        worst = trend.loc[trend["p90_h"].idxmax()]
        out.append(f"The slowest week was the one starting "
                   f"{fmt_day(pd.Timestamp(worst[c.PERIOD_START]))}: 90th percentile "
                   f"{fmt_hours(worst['p90_h'])} against a typical "
                   f"{fmt_hours(trend['p90_h'].median())}.")
    return out
