"""The period's major incidents in the quarterly review: each one in a line, then the
debriefs held or missing and the actions followed through, across all major incidents."""

from __future__ import annotations

import html

import matplotlib.pyplot as plt
import pandas as pd

from ccreview.config.major_settings import DEBRIEF_LABELS
from ccreview.data import columns as c
from ccreview.report.formatting import details_html, figure_html, note_html, paragraphs_html, table_html
from ccreview.report.major_narrative import fmt_span
from ccreview.report.plots import PALETTE
from ccreview.report.sections.base import Section
from ccreview.review.major import major_report_name
from ccreview.review.review import Review
from ccreview.wording import fmt_day, fmt_pct, plural

__all__ = ["MajorIncidents", "actions_table_html", "debriefs_table_html"]


def _day(value: object) -> str:
    return "–" if value is None or pd.isna(value) else fmt_day(pd.Timestamp(value))


def debriefs_table_html(status: pd.DataFrame, review: Review, *, caption: str = "Debriefs required") -> str:
    """The required debriefs with their status and how late or overdue."""
    if not len(status):
        return note_html(
            "criteria.yaml sets no debrief rules (major_incidents: debriefs:), so no debrief "
            "is required or judged."
            if not review.major_settings.debrief_rules
            else "No debrief is required of these major incidents."
        )
    shown = pd.DataFrame(
        {
            "incident": status[c.MAJOR_INCIDENT_ID],
            "level": status["level"].map(review.major_settings.level_name),
            "debrief": status[c.KIND].map(lambda k: DEBRIEF_LABELS.get(k, k)),
            "due": status["due_by"].map(_day),
            "held": status[c.HELD_AT].map(_day),
            "status": status["status"],
            "by": [
                f"{fmt_span(v)} late" if s == "late" else f"overdue {fmt_span(v)}" if s == "missing" else ""
                for s, v in zip(status["status"], status["late_by"], strict=True)
            ],
        }
    )
    return table_html(
        shown,
        caption=caption,
        labels={
            "incident": "Major incident",
            "level": "Level",
            "debrief": "Debrief",
            "due": "Due by",
            "held": "Held",
            "status": "Status",
            "by": "By how much",
        },
    )


def actions_table_html(
    actions: pd.DataFrame, *, caption: str = "Actions agreed at the debriefs", max_rows: int | None = None
) -> str:
    """Actions with owner, due date, outcome and days late."""
    shown = pd.DataFrame(
        {
            "action": actions[c.ACTION_ID],
            "incident": actions.get(c.MAJOR_INCIDENT_ID, pd.NA),
            "what": actions[c.DESCRIPTION],
            "owner": actions[c.OWNER].fillna("(no owner)"),
            "due": actions[c.DUE_ON].map(_day),
            "done": actions[c.COMPLETED_ON].map(_day),
            "outcome": actions["outcome"],
            "late": actions["days_late"],
        }
    )
    return table_html(
        shown,
        caption=caption,
        max_rows=max_rows,
        labels={
            "action": "Action",
            "incident": "Major incident",
            "what": "What",
            "owner": "Owner",
            "due": "Due",
            "done": "Done",
            "outcome": "Outcome",
            "late": "Days late",
        },
    )


class MajorIncidents(Section):
    """Major incidents of the period, debriefs held or missing, actions followed through."""

    def __init__(self, review: Review) -> None:
        super().__init__(review)
        self.table = review.debrief_status
        if review.all_major_incidents is not None:
            self.downloads = {
                "debriefs_required": review.debrief_status,
                "debrief_actions": review.action_status.drop(
                    columns=[x for x in ("no_owner", "no_due_date") if x in review.action_status]
                ),
            }

    def empty_reason(self) -> str | None:
        if self.review.all_major_incidents is None:
            return ("No major_incidents file was supplied: major incidents, debriefs and actions are "
                    "not reviewed.")
        return None

    def _incidents_html(self) -> str:
        review = self.review
        period = review.major_incidents
        if not len(period):
            return f"<p>No major incident was declared in {html.escape(review.params.period_label)}.</p>"
        stems = review.major_stems
        rows = []
        for _, r in period.iterrows():  # a handful of major incidents
            inc = review.major_incident(r[c.MAJOR_INCIDENT_ID])
            size = inc.surge.size.iloc[0] if inc.surge is not None else None
            lapses = inc.debriefs[inc.debriefs["status"].isin(["late", "missing"])]
            rows.append(
                {
                    "incident": r[c.MAJOR_INCIDENT_ID],
                    "title": "" if pd.isna(r.get(c.TITLE)) else r.get(c.TITLE),
                    "level": review.major_settings.level_name(inc.level),
                    "declared": _day(r[c.DECLARED_AT]),
                    "to_declare": fmt_span(inc.timing["to_declare"])
                    + (
                        ""
                        if pd.isna(inc.timing["in_time"])
                        else " (in time)"
                        if inc.timing["in_time"]
                        else " (late)"
                    ),
                    "lasted": fmt_span(r[c.STOOD_DOWN_AT] - r[c.DECLARED_AT]),
                    "surge": "–"
                    if size is None or size["weeks"] < 2
                    else f"{size['extra']:.0f} ({max(size['extra_low'], 0):.0f}–{size['extra_high']:.0f})",
                    "debriefs": "; ".join(
                        f"{DEBRIEF_LABELS.get(k, k)} {s}"
                        for k, s in zip(lapses[c.KIND], lapses["status"], strict=True)
                    )
                    or "all on time or not yet due",
                }
            )
        table = table_html(
            pd.DataFrame(rows),
            caption="Major incidents declared in the period",
            labels={
                "incident": "Major incident",
                "title": "What",
                "level": "Highest level",
                "declared": "Declared",
                "to_declare": "Time to declare",
                "lasted": "Declared to stand-down",
                "surge": "Extra contacts (95% interval)",
                "debriefs": "Debrief lapses",
            },
        )
        links = " · ".join(
            f'<a href="{html.escape(major_report_name(m, stems))}.html">{html.escape(m)}</a>'
            for m in period[c.MAJOR_INCIDENT_ID]
        )
        return table + f'<p class="ccr-small ccr-report-link">The report of each major incident: {links}.</p>'

    def _body_html(self) -> str:
        review = self.review
        parts = [self._incidents_html(), "<h3>Debriefs</h3>"]
        status = review.debrief_status
        earlier = status[~status[c.MAJOR_INCIDENT_ID].isin(review.major_incidents[c.MAJOR_INCIDENT_ID])]
        counts = status["status"].value_counts()
        if len(status):
            parts.append(
                paragraphs_html(
                    [
                        f"Of {plural(len(status), 'debrief')} the rules required of the "
                        f"{len(review.all_major_incidents)} major incidents declared by the end of the "
                        "period: "
                        + ", ".join(
                            f"{counts.get(s, 0)} {s}" for s in ("on time", "late", "missing", "not yet due")
                        )
                        + "."
                    ]
                )
            )
        lapsed = status[
            status["status"].isin(["late", "missing"])
            | status[c.MAJOR_INCIDENT_ID].isin(review.major_incidents[c.MAJOR_INCIDENT_ID])
        ]
        parts.append(
            debriefs_table_html(
                lapsed,
                review,
                caption="This period's debriefs, and every late or "
                "missing one (earlier major incidents included)",
            )
        )
        if len(earlier) and (earlier["status"] == "missing").any():
            parts.append(note_html("A debrief missing from an earlier period stays listed until it is held."))
        parts += ["<h3>Actions from debriefs</h3>", self._actions_html()]
        causes = review.recurring_causes
        again = causes[causes["major_incidents"] > 1]
        if len(again):
            parts += [
                "<h3>Causes that recur</h3>",
                table_html(
                    again,
                    caption="Causes shared by major incidents",
                    labels={
                        "cause": "Cause",
                        "source": "From",
                        "major_incidents": "Major incidents",
                        "ids": "Which",
                    },
                ),
            ]
        return "".join(parts)

    def _actions_html(self) -> str:
        review = self.review
        status = review.action_status
        if not len(status):
            return note_html("No debrief actions are recorded.")
        counts = status["outcome"].value_counts()
        owners = review.follow_through_by_owner
        total = owners[["due", "done_on_time"]].sum()
        rest = [
            f"{counts.get(o, 0)} {w}"
            for o, w in (
                ("done late", "done late"),
                ("open, overdue", "still open past the due date"),
                ("open, not yet due", "open and not yet due"),
                ("cancelled", "cancelled"),
            )
            if counts.get(o, 0)
        ]
        lead = (
            f"{int(total['done_on_time'])} of {plural(int(total['due']), 'action')} that fell due by the "
            f"end of the period were done on time ({fmt_pct(total['done_on_time'] / total['due'], 0)}); "
            + ", ".join(rest)
            + "."
            if total["due"]
            else "No action has fallen due yet."
        )
        parts = [f'<p class="ccr-lead">{html.escape(lead)}</p>']
        overdue = review.overdue_actions
        if len(overdue):
            parts.append(actions_table_html(overdue, caption="Open past the due date, oldest first"))
        problems = status[status["no_owner"] | status["no_due_date"]]
        if len(problems):
            rows = ", ".join(str(r) for r in problems[c.SOURCE_ROW].head(20))
            parts.append(
                note_html(
                    f"{plural(len(problems), 'action')} in the actions file lack an owner or a due "
                    f"date (rows {rows}); without them follow-through cannot be judged. Give each "
                    "action both at the debrief."
                )
            )
        parts.append(
            table_html(
                owners.assign(
                    rate=owners["rate"].map(lambda v: fmt_pct(v, 0)),
                    ci=[
                        f"{fmt_pct(a, 0)}–{fmt_pct(b, 0)}"
                        for a, b in zip(owners["rate_low"], owners["rate_high"], strict=True)
                    ],
                )[[c.OWNER, "due", "done_on_time", "done_late", "open_overdue", "rate", "ci"]],
                caption="Follow-through by owner (actions that fell due)",
                labels={
                    c.OWNER: "Owner",
                    "due": "Fell due",
                    "done_on_time": "Done on time",
                    "done_late": "Done late",
                    "open_overdue": "Still open",
                    "rate": "On time",
                    "ci": "95% interval",
                },
            )
        )
        monthly = review.follow_through_by_month
        if len(monthly) >= 2:
            fig, ax = plt.subplots(figsize=(9, 3))
            x = monthly[c.PERIOD_START]
            ax.bar(x, monthly["done_on_time"], width=20, color=PALETTE[2], label="done on time")
            ax.bar(
                x,
                monthly["done_late"],
                width=20,
                bottom=monthly["done_on_time"],
                color=PALETTE[1],
                label="done late",
            )
            ax.bar(
                x,
                monthly["open_overdue"],
                width=20,
                bottom=monthly["done_on_time"] + monthly["done_late"],
                color=PALETTE[3],
                label="still open",
            )
            ax.set(ylabel="Actions", title="Actions by the month they fell due")
            ax.legend(loc="upper left")
            parts.append(
                figure_html(
                    fig,
                    alt="Stacked bars of debrief actions by the month they fell due: done "
                    "on time, done late, still open",
                )
            )
        parts.append(details_html(f"Every action ({len(status)})", actions_table_html(status)))
        return "".join(parts)
