"""Sentences built from computed results, so every number in prose is computed.

Each function takes results and returns a list of plain-text sentences (the
display layer escapes them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ccreview import columns as c
from ccreview.display import fmt_count, fmt_hours, fmt_pct

if TYPE_CHECKING:  # pragma: no cover
    from ccreview.review import ResolutionTimes, Review

__all__ = ["findings", "grading_sentences", "resolution_sentences", "worst_weeks"]

#: a week is "degraded" when its abandonment rate is this many times the period's median week
DEGRADED_FACTOR = 1.5


def _change(now: float, before: float) -> str:
    if not before:
        return ""
    delta = (now - before) / before
    direction = "up" if delta > 0 else "down"
    return f", {direction} {abs(delta):.0%} on the previous period of the same length ({fmt_count(before)})"


def findings(review: Review) -> list[str]:
    """The executive summary's findings, most important first."""
    p = review.params
    out: list[str] = []
    length = p.end - p.start
    incidents = review.data["incidents"]
    previous = ((incidents[c.OPENED_AT] >= p.start - length)
                & (incidents[c.OPENED_AT] < p.start)).sum()
    out.append(f"{fmt_count(len(review.incidents))} incidents were opened"
               f"{_change(len(review.incidents), previous)}.")
    for row in review.compliance.itertuples(index=False):
        by_p = review.compliance_by_priority
        part = by_p[(by_p["target"] == row.target) & (by_p["n"] >= 30)]
        worst = ""
        if len(part) > 1:
            w = part.loc[part["rate"].idxmin()]
            worst = f"; the weakest priority was P{int(w[c.PRIORITY])} at {fmt_pct(w['rate'])}"
        out.append(f"{row.target.capitalize()} targets were met for {fmt_pct(row.rate)} of "
                   f"incidents judged in the period (95% CI {fmt_pct(row.ci_low)} to "
                   f"{fmt_pct(row.ci_high)}, n = {fmt_count(row.n)}){worst}.")
    card = review.scorecard.dropna(subset=["met"])
    if len(card):
        missed = card[~card["met"].astype(bool)]
        from ccreview.review import format_value

        met = len(card) - len(missed)
        text = f"{met} of {len(card)} KPI targets {'was' if met == 1 else 'were'} met"
        if len(missed):
            text += "; missed: " + "; ".join(
                f"{r.label} {format_value(r.value, r.unit)} against {format_value(r.target, r.unit)}"
                for r in missed.itertuples())
        out.append(text + ".")
    out.extend(worst_weeks(review.weekly_contacts))
    grading = review.grading
    out.extend(grading_sentences(grading)[:1] if grading["stands_out"].any() else [])
    stats = review.resolved
    if len(stats):
        hours = (stats[c.RESOLVED_AT] - stats[c.OPENED_AT]).dt.total_seconds() / 3600
        out.append(f"Half of the incidents resolved in the period took under "
                   f"{fmt_hours(hours.median())} to resolve; nine in ten under "
                   f"{fmt_hours(hours.quantile(0.9))} (calendar clock).")
    health = review.data.health()
    rejected = int(health["rows_rejected"].sum())
    if rejected:
        out.append(f"{fmt_count(rejected)} input rows were quarantined as unusable and are left "
                   "out of every figure; see Data health for the reasons.")
    return out


def worst_weeks(weekly: pd.DataFrame) -> list[str]:
    """A sentence on weeks whose abandonment stands out, if any do."""
    if not len(weekly) or len(weekly) < 4:
        return []
    full = weekly[weekly["offered"] >= 0.5 * weekly["offered"].median()]
    typical = full["abandonment_rate"].median()
    bad = full[full["abandonment_rate"] > DEGRADED_FACTOR * typical]
    if not len(bad):
        return []
    rest = full.drop(bad.index)
    bad_rate = bad["abandoned"].sum() / bad["offered"].sum()
    rest_rate = rest["abandoned"].sum() / rest["offered"].sum() if len(rest) else np.nan
    weeks = ", ".join(pd.Timestamp(w).strftime("%-d %b") for w in bad["period_start"])
    sentence = (f"Service to callers was worst in the week(s) starting {weeks}: "
                f"{fmt_pct(bad_rate)} of contacts abandoned, against {fmt_pct(rest_rate)} in the "
                "other weeks")
    if bad["service_level"].notna().any():
        sentence += (f"; service level {fmt_pct(bad['service_level'].mean(), 0)} against "
                     f"{fmt_pct(rest['service_level'].mean(), 0)}")
    return [sentence + "."]


def grading_sentences(grading: pd.DataFrame) -> list[str]:
    """Which teams' incidents carry a priority that disagrees with the matrix."""
    if not len(grading):
        return ["No incident had both impact and urgency recorded, so grading was not checked."]
    overall = grading["mis_graded"].sum() / grading["n"].sum()
    out = []
    for row in grading[grading["stands_out"]].itertuples(index=False):
        out.append(f"Incidents assigned to {row.assigned_team} carry a priority that differs from the "
                   f"impact × urgency matrix in {fmt_pct(row.rate)} of cases (95% CI "
                   f"{fmt_pct(row.ci_low)} to {fmt_pct(row.ci_high)}, n = {fmt_count(row.n)}), "
                   f"against {fmt_pct(overall)} across all teams: review how this team grades.")
    out.append(f"Across all teams, {fmt_pct(overall)} of incidents carry a priority that differs "
               "from the matrix; a team is called out when even the low end of its interval is "
               "more than twice that.")
    return out


def resolution_sentences(times: ResolutionTimes) -> list[str]:
    """Spread and trend of time to resolve."""
    table = times.table
    out = []
    for row in table.itertuples(index=False):
        out.append(f"P{int(row.priority)}: median {fmt_hours(row.median_h)}, 90th percentile "
                   f"{fmt_hours(row.p90_h)} (n = {fmt_count(row.n)}).")
    trend = times.trend[times.trend["n"] >= 20]
    if len(trend) >= 4:
        worst = trend.loc[trend["p90_h"].idxmax()]
        out.append(f"The slowest week was the one starting "
                   f"{pd.Timestamp(worst['period_start']):%-d %b}: 90th percentile "
                   f"{fmt_hours(worst['p90_h'])} against a typical "
                   f"{fmt_hours(trend['p90_h'].median())}.")
    return out
