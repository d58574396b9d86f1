"""The report of one major incident: what it was and whether it was declared in time, its
command timeline, the contact surge, the staffing what-if, and its debriefs and actions."""

from __future__ import annotations

import html

import matplotlib.pyplot as plt
import pandas as pd

from ccreview.config.major_settings import DEBRIEF_LABELS
from ccreview.data import columns as c
from ccreview.kpis.catalogue import METRICS
from ccreview.report.formatting import (
    details_html,
    figure_html,
    fmt_metric,
    note_html,
    paragraphs_html,
    table_html,
)
from ccreview.report.major_narrative import fmt_span
from ccreview.report.major_plots import plot_command_timeline, plot_staffing, plot_surge
from ccreview.report.publish import SUMMARY_MIMETYPE
from ccreview.report.sections.base import Section
from ccreview.review.review import Review
from ccreview.wording import fmt_count, fmt_day, fmt_pct, plural

__all__ = [
    "ContactSurge",
    "IncidentDebriefs",
    "MajorIncidentRecord",
    "MajorIncidentTimeline",
    "StaffingWhatIf",
    "surge_sentence",
]


def _text(value: object) -> str:
    """A text value of the data, "" where it is empty."""
    return "" if value is None or pd.isna(value) else str(value)


def _when(value: object) -> str:
    return (
        "–"
        if value is None or pd.isna(value)
        else f"{pd.Timestamp(value):%H:%M} on {fmt_day(pd.Timestamp(value))}"
    )


def surge_sentence(size: pd.Series, interval: str) -> str:
    """The surge's size in words, with its interval."""
    if size["weeks"] < 2:
        return (f"{fmt_count(size['observed'])} contacts arrived in the window; there is too little "
                "history to say how many were extra.")
    words = (
        f"{size['observed']:,} contacts arrived from {_when(size['window_start'])} to "
        f"{size['window_end']:%H:%M}, against {size['expected']:.0f} usual for that weekday and time "
        f"(the same window in {size['weeks']} earlier weeks)"
    )
    if size["beyond_usual"]:
        return (
            f"{words}: about {size['extra']:.0f} extra contacts (95% interval "
            f"{max(size['extra_low'], 0):.0f} to {size['extra_high']:.0f})."
        )
    return (
        f"{words}: no more than the usual variation (extra {size['extra']:.0f}, 95% interval "
        f"{size['extra_low']:.0f} to {size['extra_high']:.0f})."
    )


class _OneIncident(Section):
    def __init__(self, review: Review, major_incident_id: str, agents_logged_in: int | None = None) -> None:
        super().__init__(review)
        self.incident = review.major_incident(major_incident_id, agents_logged_in=agents_logged_in)


class MajorIncidentRecord(_OneIncident):
    """What the major incident was, the level it reached and whether it was declared in time."""

    def __init__(self, review: Review, major_incident_id: str) -> None:
        super().__init__(review, major_incident_id)
        if self.failed:
            return
        t = self.incident.timing
        self.table = pd.DataFrame([t])

    def summary(self) -> str:
        inc, review = self.incident, self.review
        parts = [f"{review.major_settings.level_name(inc.level)} command"]
        if pd.notna(self.incident.timing["to_declare"]):
            parts.append(f"declared {fmt_span(inc.timing['to_declare'])} after the first sign")
        if inc.surge is not None and inc.surge.size["beyond_usual"].iloc[0]:
            parts.append(f"about {inc.surge.size['extra'].iloc[0]:.0f} extra contacts")
        lapses = inc.debriefs[inc.debriefs["status"].isin(["late", "missing"])]
        parts += [f"{DEBRIEF_LABELS.get(k, k).lower()} {s}"
                  for k, s in zip(lapses[c.KIND], lapses["status"], strict=True)]
        overdue = int((inc.actions["outcome"] == "open, overdue").sum()) if len(inc.actions) else 0
        if overdue:
            parts.append(plural(overdue, "action") + " overdue")
        return "; ".join(parts) + "."

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        return {**super()._repr_mimebundle_(include, exclude), SUMMARY_MIMETYPE: {"summary": self.summary()}}

    def _body_html(self) -> str:
        inc, settings = self.incident, self.review.major_settings
        r, t = inc.record, inc.timing
        duration = r[c.STOOD_DOWN_AT] - r[c.DECLARED_AT] if pd.notna(r[c.STOOD_DOWN_AT]) else None
        facts = pd.DataFrame(
            {
                "": [
                    "Major incident",
                    "Linked incident",
                    "Highest command level",
                    "Declared",
                    "Stood down",
                    "Cause",
                    "First sign",
                    "Time to declare",
                    "First word to customers",
                ],
                "value": [
                    f"{inc.id}: {_text(r.get(c.TITLE))}".strip(": "),
                    r.get(c.INCIDENT_ID) if pd.notna(r.get(c.INCIDENT_ID)) else "–",
                    settings.level_name(inc.level),
                    _when(r[c.DECLARED_AT]),
                    (
                        f"{_when(r[c.STOOD_DOWN_AT])} ({fmt_span(duration)} after declaration)"
                        if duration is not None
                        else "not yet"
                    ),
                    r.get(c.CAUSE) if pd.notna(r.get(c.CAUSE)) else "not recorded",
                    _first_sign(t),
                    fmt_span(t["to_declare"]),
                    _first_word(inc.timeline, r[c.DECLARED_AT]),
                ],
            }
        )
        rule = self.review.declaration_rule
        if rule is None:
            verdict = note_html(
                "criteria.yaml has no rule on the time to declare a major incident "
                "(kind: within, to: declared_at), so declaration is not judged."
            )
        elif pd.isna(t["in_time"]):
            verdict = note_html("There is no first sign to time the declaration from.")
        else:
            word = "in time" if t["in_time"] else "late"
            verdict = (
                f'<p class="ccr-lead">Declared <strong>{word}</strong>: {fmt_span(t["to_declare"])} after '
                f"the first sign, against {fmt_span(t['allowed'])} agreed "
                f"({html.escape(rule.statement.rstrip('.'))}). "
                "The clock starts at the incident's opening or the first contact about it, "
                "whichever came first.</p>"
            )
        return verdict + table_html(facts, caption="The major incident")


def _first_word(timeline: pd.DataFrame, declared: pd.Timestamp) -> str:
    """When customers were first told, after declaration ("not recorded" without communications)."""
    sent = timeline[(timeline["lane"] == "communication") & (timeline["by"] == "customers")]
    if not len(sent):
        return "not recorded"
    first = sent.iloc[0]
    return f"{fmt_span(first[c.AT] - declared)} after declaration ({first['what'].removeprefix('To ')})"


def _first_sign(t: pd.Series) -> str:
    if pd.isna(t["first_sign_at"]):
        return "–"
    which = (
        "the first contact about it"
        if pd.notna(t["first_contact_at"]) and t["first_contact_at"] <= t["first_sign_at"]
        else "the incident's opening"
    )
    return f"{_when(t['first_sign_at'])} ({which})"


class MajorIncidentTimeline(_OneIncident):
    """From first sign to stand-down: the command levels and the incident's states and handoffs."""

    def __init__(self, review: Review, major_incident_id: str) -> None:
        super().__init__(review, major_incident_id)
        if self.failed:
            return
        self.table = self.incident.timeline.drop(columns=[c.MAJOR_INCIDENT_ID])

    def plot(self, ax=None):
        inc = self.incident
        until = (
            inc.record[c.STOOD_DOWN_AT]
            if pd.notna(inc.record[c.STOOD_DOWN_AT])
            else inc.record[c.DECLARED_AT]
        )
        return plot_command_timeline(
            inc.timeline,
            inc.record,
            settings=self.review.major_settings,
            until=until + self.review.major_settings.after_stand_down,
            ax=ax,
        )

    def _body_html(self) -> str:
        fig, ax = plt.subplots(figsize=(10, 3.6))
        self.plot(ax)
        shown = self.table.assign(at=self.table[c.AT].map(_when))[[c.AT, "what", "by"]]
        who = self.table[(self.table["lane"] == "command") & self.table["level"].notna()]
        missing_who = who["by"].isna().all() if len(who) else False
        note = (
            note_html(
                "The data does not say who activated each command level (columns bronze_by, "
                "silver_by, gold_by)."
            )
            if missing_who
            else ""
        )
        return (
            figure_html(
                fig,
                alt="Swimlane chart of the command levels activated and the incident's "
                "states and handoffs between declaration and stand-down",
                caption="Solid line: declaration; dashed: stand-down. Triangles mark handoffs between teams.",
            )
            + note
            + details_html(
                f"Every moment ({len(shown)})",
                table_html(shown, labels={c.AT: "When", "what": "What happened", "by": "Who / team"}),
            )
        )


class ContactSurge(_OneIncident):
    """Contacts per interval on the affected queues against the usual level, and the service."""

    def __init__(self, review: Review, major_incident_id: str) -> None:
        super().__init__(review, major_incident_id)
        if self.failed:
            return
        surge = self.incident.surge
        self.table = surge.size if surge is not None else pd.DataFrame()
        if surge is not None:
            self.downloads = {f"{self.incident.id}_contacts_per_interval": surge.slots}

    def empty_reason(self) -> str | None:
        return None if self.incident.surge is not None else "No contacts file was supplied: no surge to show."

    def _body_html(self) -> str:
        surge, settings = self.incident.surge, self.review.major_settings
        interval = f"{int(settings.surge_interval.total_seconds() // 60)} minutes"
        fig, ax = plt.subplots(figsize=(10, 3.6))
        plot_surge(surge.slots, self.incident.record, interval=interval, ax=ax)
        service = surge.service.copy()
        service["label"] = service["metric"].map(lambda m: METRICS[m].label)
        service["during_text"] = [
            fmt_metric(v, m) for v, m in zip(service["during"], service["metric"], strict=True)
        ]
        service["usual_text"] = [
            fmt_metric(v, m) for v, m in zip(service["usual"], service["metric"], strict=True)
        ]
        queues = ", ".join(surge.queues) if surge.queues else "all queues"
        parts = [
            f'<p class="ccr-lead">{html.escape(surge_sentence(surge.size.iloc[0], interval))}</p>',
            figure_html(
                fig,
                alt=f"Bar chart of contacts per {interval} on {queues} around the major "
                "incident, against the usual level for that weekday and time with its 95% range",
                caption=f"Queues: {queues} ({self.incident.queues_from}). Coloured bars: the surge "
                f"window, from the first sign to {fmt_span(self.review.major_settings.after_stand_down)} "
                "after stand-down.",
            ),
            table_html(
                service[["label", "during_text", "usual_text"]],
                labels={
                    "label": "Measure",
                    "during_text": "During the surge",
                    "usual_text": "Usual for the same window",
                },
                caption="The service customers got during the surge (contacts offered: one window)",
            ),
        ]
        parts += [note_html(n) for n in surge.notes]
        return "".join(parts)


class StaffingWhatIf(_OneIncident):
    """The agents that would have held the service-level target during the surge (Erlang C, A)."""

    def __init__(self, review: Review, major_incident_id: str, agents_logged_in: int | None = None) -> None:
        super().__init__(review, major_incident_id, agents_logged_in)
        if self.failed:
            return
        surge = self.incident.surge
        self.table = surge.staffing if surge is not None else pd.DataFrame()

    def empty_reason(self) -> str | None:
        return (
            None if self.incident.surge is not None else "No contacts file was supplied: no staffing what-if."
        )

    def sentences(self) -> list[str]:
        s = self.table
        if not len(s) or s["offered"].sum() == 0:
            return ["No live contacts (phone, chat) arrived in the surge window."]
        attrs = s.attrs
        target, source = self.review.service_target
        peak = s.loc[s["offered"].idxmax()]
        minutes = int(self.review.major_settings.surge_interval.total_seconds() // 60)
        words = [
            f"At the busiest {minutes} minutes ({peak['slot_start']:%H:%M}), {peak['offered']} live "
            f"contacts arrived; holding {fmt_pct(target, 0)} answered within {attrs['threshold_s']:.0f} s "
            f"({source}) would have needed {peak['needed_erlang_c']} agents by Erlang C, against "
            f"{peak['usual_needed_erlang_c']} at the usual level and {peak['agents']} agents "
            f"{peak['agents_source']}."
        ]
        if pd.notna(peak["needed_erlang_a"]):
            words.append(
                f"Erlang A, which lets callers hang up (mean patience {attrs['patience_s']:.0f} s, "
                f"estimated from this window's waits and abandons), puts it at {peak['needed_erlang_a']}."
            )
        short = s[s["agents"] < s["needed_erlang_c"]]
        words.append(
            f"In {plural(len(short), 'interval')} of {len(s)}, fewer agents were "
            f"{s['agents_source'].iloc[0]} than Erlang C needed."
            if len(short)
            else "In every interval the agents there were at least as many as Erlang C needed."
        )
        if s["agents_source"].iloc[0] == "seen answering":
            words.append(
                "Agents seen answering are a lower bound on those logged in; give the notebook "
                "agents_logged_in when the workforce system knows the number."
            )
        return words

    def _body_html(self) -> str:
        fig, ax = plt.subplots(figsize=(10, 3.4))
        plot_staffing(self.table, self.incident.record, ax=ax)
        return (
            paragraphs_html(self.sentences())
            + figure_html(
                fig,
                alt="Step chart of the agents needed per interval to hold the service-level "
                "target during the surge, by Erlang C and Erlang A, against the agents there were",
            )
            + details_html(
                "Method",
                "<p>Erlang C (M/M/N) assumes callers wait for ever; Erlang A "
                "(M/M/N+M, Palm) lets them abandon after an exponential patience, so it needs no "
                "more agents. Arrivals are the interval's live contacts, the handle time the "
                f"window's mean ({self.table.attrs.get('handle_s', float('nan')):.0f} s).</p>",
            )
        )


class IncidentDebriefs(_OneIncident):
    """The debriefs this major incident required, and the actions agreed at them."""

    def __init__(self, review: Review, major_incident_id: str) -> None:
        super().__init__(review, major_incident_id)
        if self.failed:
            return
        self.table = self.incident.debriefs
        self.downloads = {
            f"{self.incident.id}_actions": self.incident.actions.drop(
                columns=[col for col in ("no_owner", "no_due_date") if col in self.incident.actions]
            )
        }

    def _body_html(self) -> str:
        from ccreview.report.sections.debriefs import actions_table_html, debriefs_table_html

        parts = [debriefs_table_html(self.table, self.review)]
        actions = self.incident.actions
        if len(actions):
            counts = actions["outcome"].value_counts()
            parts.append(paragraphs_html([", ".join(f"{n} {o}" for o, n in counts.items()) + "."]))
            parts.append(actions_table_html(actions.drop(columns=[c.MAJOR_INCIDENT_ID])))
        else:
            parts.append(note_html("No actions are recorded from this incident's debriefs."))
        return "".join(parts)
