"""Findings turned into ranked recommendations, each with its evidence and an owner.

Owners come from the configuration: a KPI's objective owner (``objectives.yaml``),
the team concerned, or the contact-centre team (``services.yaml``). Each
recommendation carries a ``severity``: how far the evidence lies from where it
should be, relative to that level, so different kinds can be ranked together.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ccreview.data import columns as c
from ccreview.kpis.catalogue import METRICS
from ccreview.kpis.compute import kpi_series
from ccreview.report.major_narrative import major_recommendations
from ccreview.report.narrative import degraded_weeks
from ccreview.wording import fmt_day, fmt_pct, format_value, in_sentence

if TYPE_CHECKING:  # pragma: no cover
    from ccreview.review.review import Review

__all__ = ["RECOMMENDATION_COLUMNS", "recommendations", "targets_met_outside_degraded_weeks"]

RECOMMENDATION_COLUMNS = ["rank", "recommendation", "evidence", "owner", "due", "agreed_changes", "section",
                          "severity", "recommendation_id", "title", "metric", "confidence", "priority"]
#: how sure each kind of evidence is: "high" where the rule's own interval or test excludes
#: chance, "moderate" where the evidence is a point value (a KPI against its target is judged
#: by its value, not yet by its interval) or a ranking; priority = severity x this weight
CONFIDENCE = {"high": 1.0, "moderate": 0.5}
#: how many enhancement candidates of the feedback review become recommendations
FEEDBACK_RECOMMENDATIONS = 2
#: the severity of the strongest candidate, on the scale of the other rules (the relative gap
#: to a target): a theme ranks with a measure 30% off its target, below a wider miss
FEEDBACK_SEVERITY = 0.3


def recommendations(review: Review) -> pd.DataFrame:
    """Ranked recommendations for the period, most severe first.

    Returns
    -------
    DataFrame
        ``rank``, ``recommendation``, ``evidence``, ``owner``, ``section`` (where the
        evidence is in the report), ``severity`` (relative gap, 0 = none),
        ``recommendation_id`` (``<rule>:<subject>``: the same problem keeps its id from run to
        run, for the register), ``title`` (a few words naming the problem), ``metric`` (what
        will show whether it worked), ``confidence`` (:data:`CONFIDENCE`) and ``priority``
        (high, medium or low, from the severity times the confidence).
    """
    explained = targets_met_outside_degraded_weeks(review)
    rows = (_missed_targets(review, skip=explained) + _mis_grading(review)
            + _degraded_weeks(review, explained=explained) + _feedback_enhancements(review)
            + major_recommendations(review, _service_owner(review, "major_incidents")))
    table = pd.DataFrame(rows, columns=[*RECOMMENDATION_COLUMNS[1:4], "metrics", "section", "severity",
                                        "recommendation_id", "title", "confidence"])
    table["due"] = next_review_day(review.params.start, review.params.end) if len(table) else []
    table["agreed_changes"] = [_agreed_changes(review, metrics) for metrics in table["metrics"]]
    table["metric"] = [metrics[0] if metrics else "" for metrics in table["metrics"]]
    impact = table["severity"].astype(float) * table["confidence"].map(CONFIDENCE).astype(float)
    table["priority"] = pd.cut(impact, [-np.inf, 0.05, 0.2, np.inf],
                               labels=["low", "medium", "high"]).astype(str) if len(table) else []
    table = table[RECOMMENDATION_COLUMNS[1:]]
    table = table.sort_values("severity", ascending=False, kind="stable").reset_index(drop=True)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    return table


def targets_met_outside_degraded_weeks(review: Review) -> list[str]:
    """Missed KPI targets (shares) that the period meets once its degraded weeks are left out:
    one cause, so one recommendation about it rather than one per KPI. Pooled over the other
    whole weeks as numerators over denominators (:func:`~ccreview.kpis.compute.kpi_series`)."""
    degraded = review.degraded_weeks
    card = review.scorecard.drop_duplicates("metric")
    missed = card[card["met"].eq(False)]
    if not len(degraded) or not len(missed):
        return []
    out = []
    for row in missed.itertuples(index=False):
        obs = review.observations(row.metric)
        if obs is None or METRICS[row.metric].kind != "proportion":
            continue
        weekly = kpi_series(obs, metric=row.metric, start=review.params.start, end=review.as_of, freq="W")
        rest = weekly[~weekly["period_start"].isin(degraded["period_start"])]
        if not rest["denominator"].sum():
            continue
        value = rest["numerator"].sum() / rest["denominator"].sum()
        if (value >= row.target) if row.better == "higher" else (value <= row.target):
            out.append(row.metric)
    return out


def next_review_day(start: pd.Timestamp, end: pd.Timestamp) -> str:
    """The last day of the next period of the same length, by the calendar: the review of
    Q3 (1 Jul to 30 Sep) is due again at 31 Dec; of February at 31 Mar."""
    return fmt_day(next_review_date(start, end))


def next_review_date(start: pd.Timestamp, end: pd.Timestamp) -> pd.Timestamp:
    """:func:`next_review_day` as a date (no time zone)."""
    first, stop = start.tz_localize(None).normalize(), end.tz_localize(None).normalize()
    if first.day == 1 and stop.day == 1:  # whole months: step by months, not by days
        months = (stop.year - first.year) * 12 + stop.month - first.month
        following = stop + pd.DateOffset(months=months)
    else:
        following = stop + (stop - first)
    return following - pd.Timedelta(days=1)


def _agreed_changes(review: Review, metrics: list[str]) -> str:
    """Changes of the register, agreed but not yet live, that aim at one of ``metrics``."""
    if "changes" not in review.data or not metrics:
        return ""
    register = review.data["changes"]
    agreed = register[(register[c.STATUS] == "agreed") & register[c.METRIC].isin(metrics)]
    return "; ".join(f"{i} {t}" for i, t in zip(agreed[c.CHANGE_ID], agreed[c.TITLE], strict=True))


def _missed_targets(review: Review, skip: list[str] = ()) -> list[dict]:
    owners = {k["metric"]: o.owner for o in review.params.objectives for k in o.kpis}
    card = review.scorecard
    missed = card[card["met"].eq(False) & ~card["metric"].isin(list(skip))]
    return [{
        "recommendation": f"Bring {in_sentence(row.label)} back to target.",
        "title": f"{row.label} below target",
        "evidence": f"{format_value(row.value, row.unit)} against a target of "
                    f"{format_value(row.target, row.unit)} ({row.objective}).",
        "owner": owners.get(row.metric, ""),
        "metrics": [row.metric],
        "section": "Executive summary",
        "severity": abs(row.value - row.target) / abs(row.target) if row.target else 1.0,
        "recommendation_id": f"missed-target:{row.metric}",
        "confidence": "moderate",
    } for row in missed.itertuples(index=False)]


def _mis_grading(review: Review) -> list[dict]:
    grading = review.grading
    overall = grading.attrs.get("overall_rate", np.nan)
    return [{
        "title": f"Priority grading in {row.assigned_team}",
        "recommendation": f"Review how {row.assigned_team} grades priority against the impact × "
                          "urgency matrix, and retrain where needed.",
        "evidence": f"{fmt_pct(row.rate)} of its incidents mis-graded (95% CI {fmt_pct(row.ci_low)}"
                    f" to {fmt_pct(row.ci_high)}) against {fmt_pct(overall)} across all teams.",
        "owner": row.assigned_team,
        "metrics": ["response_compliance", "resolution_compliance"],
        "section": "Compliance with agreed targets",
        "severity": (row.ci_low - overall) / overall if overall else 1.0,
        "recommendation_id": f"mis-grading:{_slug(row.assigned_team)}",
        "confidence": "high",  # its interval lies above the rate of all teams
    } for row in grading[grading["stands_out"]].itertuples(index=False)]


def _degraded_weeks(review: Review, explained: list[str] = ()) -> list[dict]:
    found = degraded_weeks(review.weekly_contacts, review.degraded_weeks)
    if found is None:
        return []
    card = review.scorecard.drop_duplicates("metric").set_index("metric")
    also = [in_sentence(card.loc[m, "label"]) for m in explained]
    elsewhere = found.abandonment_elsewhere
    several = found.count > 1
    when = f"the week{'s' if several else ''} starting {found.weeks}"
    if found.causes:
        action = (f"Agree how the contact centre keeps answering through events like those of {when} "
                  f"({found.cause_text}): surge staffing, call-back and status messages, triggered "
                  "when a major incident is declared.")
    else:
        action = (f"Find the cause of the poor service in {when}: the data holds no major incident, "
                  "change or surge then (staffing, a telephony fault?), and agree how to cover it "
                  "next time.")
    return [{
        "recommendation": action,
        "title": "Service in degraded weeks",
        "evidence": f"Abandonment {fmt_pct(found.abandonment)} against {fmt_pct(elsewhere)} in "
                    f"other weeks; service level {fmt_pct(found.service_level, 0)} against "
                    f"{fmt_pct(found.service_level_elsewhere, 0)}."
                    + (f" Without those weeks the targets for {_listing(also)} would have been met, "
                       "so this is the one action for them." if also else ""),
        "owner": review.params.services.contact_centre_team,
        "metrics": ["abandonment_rate", "service_level", *explained],
        "section": "Executive summary",
        "severity": (found.abandonment - elsewhere) / elsewhere if elsewhere else 1.0,
        "recommendation_id": "degraded-weeks:contact-centre",
        "confidence": "high",  # abandonment a multiple of the median week's (DEGRADED_FACTOR)
    }]


def _feedback_enhancements(review: Review) -> list[dict]:
    """The feedback review's strongest enhancement candidates where customers and staff agree
    (:mod:`ccreview.feedback.candidates`), as recommendations to the theme's owner."""
    if "feedback" not in review.data or not len(review.comments):
        return []
    table = review.enhancement_candidates
    agreed = table[table["agreement"]].head(FEEDBACK_RECOMMENDATIONS)
    owners = {t.id: t.owner for t in review.params.themes}
    top = table["score"].max() if len(table) else 1.0
    return [{
        "title": f"Feedback: {row.label.lower()}",
        "recommendation": f"Act on what customers and staff both say about {row.label.lower()}: "
                          "find the step of the process behind it and agree a change to test.",
        "evidence": f"{row.customers:,} customers' comments in the period, {fmt_pct(row.negative_share, 0)} "
                    f"of them complaints or unsatisfied answers; {fmt_pct(row.internal_share)} of "
                    "agents' and resolver teams' notes say the same"
                    + ("; rising in complaints." if row.rising else "."),
        "owner": owners.get(row.theme) or review.params.services.contact_centre_team,
        "metrics": ["csat", "complaints_per_1000_contacts"],
        "section": "Feedback review",
        "severity": FEEDBACK_SEVERITY * row.score / top if top else 0.0,
        "recommendation_id": f"feedback-theme:{row.theme}",
        "confidence": "high" if row.rising else "moderate",  # rising: beyond chance
    } for row in agreed.itertuples(index=False)]


def _service_owner(review: Review, service: str) -> str:
    """The owner of a service of services.yaml, else the contact-centre team."""
    services = review.params.services
    table = services.services
    if len(table) and "id" in table and "owner" in table:
        owners = table.loc[table["id"] == service, "owner"].dropna()
        if len(owners):
            return str(owners.iloc[0])
    return services.contact_centre_team


def _slug(text: object) -> str:
    """``Field Services`` -> ``field-services``: a stable, readable part of an id."""
    return "-".join("".join(ch if ch.isalnum() else " " for ch in str(text).lower()).split())


def _listing(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
