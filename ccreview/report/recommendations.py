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

from ccreview.report.narrative import degraded_weeks
from ccreview.wording import fmt_pct, format_value

if TYPE_CHECKING:  # pragma: no cover
    from ccreview.review.review import Review

__all__ = ["RECOMMENDATION_COLUMNS", "recommendations"]

RECOMMENDATION_COLUMNS = ["rank", "recommendation", "evidence", "owner", "section", "severity"]


def recommendations(review: Review) -> pd.DataFrame:
    """Ranked recommendations for the period, most severe first.

    Returns
    -------
    DataFrame
        ``rank``, ``recommendation``, ``evidence``, ``owner``, ``section`` (where the
        evidence is in the report) and ``severity`` (relative gap, 0 = none).
    """
    rows = _missed_targets(review) + _mis_grading(review) + _degraded_weeks(review)
    table = pd.DataFrame(rows, columns=RECOMMENDATION_COLUMNS[1:])
    table = table.sort_values("severity", ascending=False, kind="stable").reset_index(drop=True)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    return table


def _missed_targets(review: Review) -> list[dict]:
    owners = {k["metric"]: o.owner for o in review.params.objectives for k in o.kpis}
    card = review.scorecard
    missed = card[card["met"].eq(False)]
    return [{
        "recommendation": f"Bring {row.label.lower()} back to target.",
        "evidence": f"{format_value(row.value, row.unit)} against a target of "
                    f"{format_value(row.target, row.unit)} ({row.objective}).",
        "owner": owners.get(row.metric, ""),
        "section": "Executive summary",
        "severity": abs(row.value - row.target) / abs(row.target) if row.target else 1.0,
    } for row in missed.itertuples(index=False)]


def _mis_grading(review: Review) -> list[dict]:
    grading = review.grading
    overall = grading.attrs.get("overall_rate", np.nan)
    return [{
        "recommendation": f"Review how {row.assigned_team} grades priority against the impact × "
                          "urgency matrix, and retrain where needed.",
        "evidence": f"{fmt_pct(row.rate)} of its incidents mis-graded (95% CI {fmt_pct(row.ci_low)}"
                    f" to {fmt_pct(row.ci_high)}) against {fmt_pct(overall)} across all teams.",
        "owner": row.assigned_team,
        "section": "Compliance with agreed targets",
        "severity": (row.ci_low - overall) / overall if overall else 1.0,
    } for row in grading[grading["stands_out"]].itertuples(index=False)]


def _degraded_weeks(review: Review) -> list[dict]:
    found = degraded_weeks(review.weekly_contacts, review.degraded_weeks)
    if found is None:
        return []
    elsewhere = found.abandonment_elsewhere
    several = "," in found.weeks
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
        "evidence": f"Abandonment {fmt_pct(found.abandonment)} against {fmt_pct(elsewhere)} in "
                    f"other weeks; service level {fmt_pct(found.service_level, 0)} against "
                    f"{fmt_pct(found.service_level_elsewhere, 0)}.",
        "owner": review.params.services.contact_centre_team,
        "section": "Executive summary",
        "severity": (found.abandonment - elsewhere) / elsewhere if elsewhere else 1.0,
    }]
