"""Major incidents in words: the period's major incidents in a sentence, the debriefs never
held and the actions left open (which the executive summary names and the recommendations
take up), and the recommendations themselves."""

from __future__ import annotations

import pandas as pd

from ccreview.config.major_settings import DEBRIEF_LABELS
from ccreview.data import columns as c
from ccreview.wording import fmt_pct, plural

__all__ = ["MAJOR_SECTION", "fmt_span", "lapse_sentences", "major_recommendations", "major_sentence"]

#: where the evidence is, in the quarterly review
MAJOR_SECTION = "Major incidents, debriefs and actions"
#: a required debrief never held is a high-priority lapse whatever the share it is of all debriefs
MISSING_DEBRIEF_SEVERITY = 0.3


def fmt_span(value: object) -> str:
    """A duration as a reader says it: ``"21 min"``, ``"3 h 05 min"``, ``"4.2 days"``, ``"350 days"``."""
    if value is None or pd.isna(value):
        return "–"
    minutes = pd.Timedelta(value).total_seconds() / 60
    if abs(minutes) < 90:
        return f"{minutes:.0f} min"
    if abs(minutes) < 48 * 60:
        return f"{int(minutes // 60)} h {int(minutes % 60):02d} min"
    days = minutes / 1440
    return f"{days:.1f} days" if abs(days) < 10 else f"{days:.0f} days"


def major_sentence(review) -> str:
    """The period's major incidents in one sentence ("" without the table)."""
    period = review.major_incidents
    if period is None:
        return ""
    if not len(period):
        return f"No major incident was declared in {review.params.period_label}."
    ids = ", ".join(period[c.MAJOR_INCIDENT_ID])
    late = review.declaration_timing.set_index(c.MAJOR_INCIDENT_ID)["in_time"].reindex(
        period[c.MAJOR_INCIDENT_ID]
    )
    late_ids = [m for m, ok in late.items() if not pd.isna(ok) and not ok]
    one = len(period) == 1
    if late_ids:
        when = f"; {', '.join(late_ids)} {'was' if len(late_ids) == 1 else 'were'} declared later than agreed"
    elif late.notna().all():
        when = ", within the agreed time to declare" if one else "; each within the agreed time to declare"
    else:
        when = ""
    verb = "was" if one else "were"
    return f"{plural(len(period), 'major incident')} {verb} declared in the period ({ids}){when}."


def lapse_sentences(review) -> list[str]:
    """Required debriefs never held and debrief actions open past their due date, named."""
    if review.all_major_incidents is None:
        return []
    out = []
    missing = review.outstanding_debriefs
    if len(missing):
        items = [
            f"the {DEBRIEF_LABELS.get(r[c.KIND], r[c.KIND]).lower()} of {r[c.MAJOR_INCIDENT_ID]} "
            f"(overdue {fmt_span(r['late_by'])})"
            for _, r in missing.iterrows()
        ]
        out.append(f"{plural(len(missing), 'required debrief')} never held: {'; '.join(items)}.")
    overdue = review.overdue_actions
    if len(overdue):
        owners = overdue[c.OWNER].fillna("(no owner)").value_counts()
        top = ", ".join(f"{o} {n}" for o, n in owners.head(3).items())
        first = overdue.iloc[0]
        out.append(
            f"{plural(len(overdue), 'debrief action')} open past the due date, the oldest by "
            f"{int(first['days_late'])} days ({first[c.ACTION_ID]}, from {first[c.MAJOR_INCIDENT_ID]}); "
            f"most with {top}."
        )
    return out


def major_recommendations(review, owner: str) -> list[dict]:
    """Recommendations on debriefs never held and actions left open past their due date."""
    if review.all_major_incidents is None:
        return []
    out = []
    missing, status = review.outstanding_debriefs, review.debrief_status
    if len(missing):
        which = "; ".join(
            f"{DEBRIEF_LABELS.get(k, k).lower()} of {m}"
            for k, m in zip(missing[c.KIND], missing[c.MAJOR_INCIDENT_ID], strict=True)
        )
        out.append(
            {
                "title": "Debriefs never held",
                "recommendation": f"Hold the missing debriefs ({which}) and give every major "
                "incident's debriefs a named owner and a date at stand-down.",
                "evidence": f"{plural(len(missing), 'required debrief')} of {len(status)} the agreed rules "
                "require had not been held by the end of the period.",
                "owner": owner,
                "metrics": [],
                "section": MAJOR_SECTION,
                "severity": max(MISSING_DEBRIEF_SEVERITY, len(missing) / max(len(status), 1)),
                "recommendation_id": "debriefs:missing",
                "confidence": "high",
            }
        )
    overdue = review.overdue_actions
    fell_due = review.follow_through_by_owner["due"].sum() if len(review.follow_through_by_owner) else 0
    if len(overdue) and fell_due:
        owners = overdue[c.OWNER].fillna("(no owner)").value_counts()
        out.append(
            {
                "title": "Debrief actions overdue",
                "recommendation": "Review every debrief action open past its due date with its owner: "
                "finish it, re-plan it with a new date, or close it with the reason.",
                "evidence": f"{plural(len(overdue), 'action')} of {int(fell_due)} that fell due were still "
                f"open at the end of the period ({fmt_pct(len(overdue) / fell_due, 0)}); the oldest by "
                f"{int(overdue['days_late'].max())} days; most with {owners.index[0]}.",
                "owner": owner,
                "metrics": [],
                "section": MAJOR_SECTION,
                "severity": len(overdue) / fell_due,
                "recommendation_id": "actions:overdue",
                "confidence": "high",
            }
        )
    return out
