"""The incident sections of the review report: summary, data health, volumes, compliance,
resolution times, handoffs and definitions.

Each section takes a :class:`~ccreview.review.review.Review`, computes (or reuses) its
results, and shows itself with ``_repr_html_``: narrative built from the
numbers, charts with alt text, escaped tables. ``.table`` holds the main tidy
DataFrame, ``.plot(ax=None)`` draws the main chart where there is one, and the
tables listed in ``.downloads`` are published beside the report as CSV files.
"""

from __future__ import annotations

import html

import matplotlib.pyplot as plt
import pandas as pd

from ccreview.clocks.periods import week_start
from ccreview.data import columns as c
from ccreview.incidents.handoffs import handoff_summary, team_time
from ccreview.kpis.catalogue import resolution_hours, resolution_time_stats, volume_by_period
from ccreview.report import narrative
from ccreview.report.formatting import (
    details_html,
    figure_html,
    note_html,
    paragraphs_html,
    priority_label,
    table_html,
)
from ccreview.report.plots import (
    plot_compliance,
    plot_resolution_distribution,
    plot_resolution_trend,
    plot_weekly_counts,
)
from ccreview.report.sections.base import Section
from ccreview.review.review import Review
from ccreview.wording import fmt_count, fmt_hours, fmt_number, fmt_pct, plural

__all__ = [
    "Compliance",
    "Handoffs",
    "ResolutionTimes",
    "Volumes",
]

PARTIAL_WEEKS = "Weeks start on Monday; partial weeks at the ends of the period are left out."


class Volumes(Section):
    """Incident and contact volumes by week, channel and category."""

    def __init__(self, review: Review) -> None:
        super().__init__(review)
        inc = review.incidents
        self.weekly_incidents = review.full_weeks(volume_by_period(inc, at=c.OPENED_AT, by=c.CHANNEL))
        self.by_category = (inc[c.CATEGORY].fillna("(blank)").value_counts()
                            .rename_axis(c.CATEGORY).reset_index(name="incidents"))
        self.by_category["share"] = self.by_category["incidents"] / max(len(inc), 1)
        cont = review.contacts
        self.weekly_contacts = (
            review.full_weeks(volume_by_period(cont, at=c.ARRIVED_AT, by=c.CHANNEL))
            if len(cont) else pd.DataFrame())
        self.table = self.weekly_incidents
        self.downloads = {"incidents_per_week_by_channel": self.weekly_incidents,
                          "incidents_by_category": self.by_category}
        if len(self.weekly_contacts):
            self.downloads["contacts_per_week_by_channel"] = self.weekly_contacts

    def plot(self, ax: plt.Axes | None = None) -> plt.Axes:
        """Weekly incidents opened, one line per channel."""
        return plot_weekly_counts(self.weekly_incidents, hue=c.CHANNEL,
                                  title="Incidents opened per week, by channel",
                                  ylabel="Incidents", ax=ax)

    def _body_html(self) -> str:
        review = self.review
        total = len(review.incidents)
        contacts = len(review.contacts)
        also = f", and {fmt_count(contacts)} contacts arrived" if contacts else ""
        parts = [f"<p>{plural(total, 'incident')} {'was' if total == 1 else 'were'} opened in "
                 f"the period{also}.</p>"]
        charts = []
        if "incidents" not in review.data:
            parts.append(note_html("No incidents file was given, so incident volumes are not "
                                   "shown."))
        elif len(self.weekly_incidents) < 2:
            parts.append(note_html("Too few whole weeks of incidents in the period to chart a "
                                   "weekly trend."))
        else:
            fig, ax = plt.subplots()
            self.plot(ax)
            charts.append(figure_html(fig, alt="Line chart of incidents opened per week by channel.",
                                      caption=PARTIAL_WEEKS))
        # contact volumes stand on their own: a contacts-only run still charts them
        if "contacts" not in review.data:
            parts.append(note_html("No contacts file was given, so contact volumes are not shown."))
        elif len(self.weekly_contacts) >= 2:
            fig, ax = plt.subplots()
            plot_weekly_counts(self.weekly_contacts, hue=c.CHANNEL, ax=ax,
                               title="Contacts arriving per week, by channel", ylabel="Contacts")
            charts.append(figure_html(fig, alt="Line chart of contacts per week by channel.",
                                      caption=PARTIAL_WEEKS))
        elif contacts:
            parts.append(note_html("Too few whole weeks of contacts in the period to chart a "
                                   "weekly trend."))
        if charts:
            parts.append(f'<div class="ccr-pair">{"".join(charts)}</div>')
        if total and len(self.by_category):
            parts.append(details_html("Incidents opened by category", table_html(
                self.by_category, formats={"incidents": fmt_count, "share": fmt_pct},
                caption="Incidents opened by category", max_rows=15)))
        return "".join(parts)


class Compliance(Section):
    """Response and resolution compliance per priority, with 95% Wilson intervals."""

    def __init__(self, review: Review) -> None:
        super().__init__(review)
        self.table = review.compliance_by_priority
        self.downloads = {"compliance_by_priority": self.table,
                          "priority_grading_by_team": review.grading.drop(columns="stands_out")}
        if len(review.segments):
            self.downloads["breaches_by_segment"] = review.segments
        if len(review.reconciliation):
            self.downloads["reconciliation_with_source_sla"] = review.reconciliation
        self.targets = review.params.criteria.target_hours

    def empty_reason(self) -> str | None:
        if "incidents" not in self.review.data:
            return "no incidents file was given"
        return None
    def plot(self, ax: plt.Axes | None = None) -> plt.Axes:
        """Bars per priority and target, with interval bars."""
        return plot_compliance(self.table, ax=ax)

    def _body_html(self) -> str:
        if not len(self.table):
            return note_html("No response or resolution targets were judged in this period.")
        fig, ax = plt.subplots()
        self.plot(ax)
        shown = self.table.assign(priority=self.table[c.PRIORITY].map(priority_label),
                                  target=self.table["target"].str.capitalize())
        small = shown[shown["n"] < 30]
        parts = [
            figure_html(fig, alt="Bar chart of the share of response and resolution targets "
                                 "met for each priority, with 95% interval bars."),
            details_html("The agreed targets, and the rates by priority", table_html(
                self.targets, caption="Agreed targets",
                formats={"response": fmt_hours, "resolution": fmt_hours}) + table_html(
                shown, formats={"n": fmt_count, "met": fmt_count, "breached": fmt_count,
                                "rate": fmt_pct, "ci_low": fmt_pct, "ci_high": fmt_pct},
                labels={"n": "judged", "rate": "met %", "ci_low": "95% interval from",
                        "ci_high": "to"})),
        ]
        if len(small):
            parts.append(note_html(
                "Small samples: " + ", ".join(f"{r.target} {r.priority} (n={r.n})"
                                              for r in small.itertuples())
                + " — read these rates with their wide intervals."))
        parts.append(self._segments_html())
        parts.append(self._reconciliation_html())
        grading = self.review.grading
        parts.append("<h3>Priority grading</h3>")
        parts.append(paragraphs_html(narrative.grading_sentences(grading)))
        if grading.attrs.get("overall_rate", 0) == 0:
            return "".join(parts)
        parts.append(details_html("Mis-grading by team", table_html(
            grading.drop(columns="stands_out"), max_rows=15,
            formats={"n": fmt_count, "mis_graded": fmt_count, "rate": fmt_pct, "ci_low": fmt_pct,
                     "ci_high": fmt_pct},
            labels={"rate": "mis-graded %", "ci_low": "95% interval from", "ci_high": "to",
                    "mis_graded": "mis-graded", "n": "incidents"})))
        return "".join(parts)


    def _segments_html(self) -> str:
        table = self.review.segments
        if not len(table):
            return ""
        real = table[table["beyond_chance"]]
        if len(real):
            first = real.iloc[0]
            sentence = (f"The most breaches beyond what the overall rate predicts: "
                        f"{first['segment'].replace('_', ' ')} {first['value']} on "
                        f"{first['target']}, {fmt_count(first['breached'])} breaches where "
                        f"{fmt_number(first['expected_breaches'], 0)} were expected "
                        f"({fmt_pct(first['rate'])} met, 95% CI {fmt_pct(first['ci_low'])} to "
                        f"{fmt_pct(first['ci_high'])}, below the overall rate).")
        else:
            sentence = ("No team, channel or category stands out beyond chance: for each, the "
                        "95% interval of its rate includes the overall rate. The largest "
                        "excesses are listed for reference.")
        shown = table.assign(target=table["target"].str.capitalize(),
                             segment=table["segment"].str.replace("_", " "),
                             beyond_chance=table["beyond_chance"].map({True: "yes", False: "no"}))
        return ("<h3>Where breaches concentrate</h3>"
                f"<p>{html.escape(sentence)} Segments are ranked by excess breaches, not by "
                "rate, so a small group with a few breaches does not outrank a large one with a "
                "real problem.</p>"
                + details_html(f"The segments with the most excess breaches ({len(shown)})",
                               table_html(shown, formats={"n": fmt_count, "breached": fmt_count,
                                             "rate": fmt_pct, "ci_low": fmt_pct,
                                             "ci_high": fmt_pct,
                                             "expected_breaches": lambda v: fmt_number(v, 1),
                                             "excess_breaches": lambda v: fmt_number(v, 1)},
                             labels={"n": "judged", "rate": "met %", "ci_low": "95% interval from",
                                     "ci_high": "to", "beyond_chance": "beyond chance"})))

    def _reconciliation_html(self) -> str:
        table = self.review.reconciliation
        if not len(table):
            return ""
        best = table.loc[table["agreement"].idxmax()]
        sentences = ["The source system records its own verdict on whether each incident met "
                     "its SLA; here it is set against the agreed targets, recomputed by this review."]
        sentences += [
            f"{row.target.capitalize()}: they agree for {fmt_pct(row.agreement)} of "
            f"{fmt_count(row.n)} incidents; the source says met where the criteria say breached "
            f"{fmt_count(row.source_met_we_breached)} times, and breached where they say met "
            f"{fmt_count(row.source_breached_we_met)} times."
            for row in table.itertuples(index=False)]
        sentences.append(
            f"Its flag is closest to the {best['target']} target. Differences come from the "
            "definitions: the source system's own targets, clocks and pause rules, and which SLA "
            "its flag belongs to, are not in the export; the figures in this report follow the "
            "agreed targets.")
        return ("<h3>Reconciliation with the source system's SLA flag</h3>"
                + paragraphs_html(sentences)
                + table_html(table, formats={"n": fmt_count, "agree": fmt_count,
                                             "source_met_we_breached": fmt_count,
                                             "source_breached_we_met": fmt_count,
                                             "agreement": fmt_pct},
                             labels={"n": "incidents", "source_met_we_breached":
                                     "source met, criteria breached", "source_breached_we_met":
                                     "source breached, criteria met"}))


class ResolutionTimes(Section):
    """Time to resolve: distribution per priority and weekly median / 90th percentile."""

    def __init__(self, review: Review) -> None:
        super().__init__(review)
        resolved = review.resolved
        self.table = resolution_time_stats(resolved, by=c.PRIORITY)
        week = week_start(resolved[c.RESOLVED_AT])
        self.trend = review.full_weeks(
            resolution_time_stats(resolved.assign(**{c.PERIOD_START: week.to_numpy()}), by=c.PERIOD_START))
        self.downloads = {"time_to_resolve_by_priority": self.table,
                          "time_to_resolve_per_week": self.trend}

    def empty_reason(self) -> str | None:
        if "incidents" not in self.review.data:
            return "no incidents file was given"
        return None
    def plot(self, ax: plt.Axes | None = None) -> plt.Axes:
        """Weekly median and 90th percentile."""
        return plot_resolution_trend(self.trend, ax=ax)

    def plot_distribution(self, ax: plt.Axes | None = None) -> plt.Axes:
        """Box plot per priority with the resolution targets."""
        resolved = self.review.resolved
        hours = pd.DataFrame({c.PRIORITY: resolved[c.PRIORITY].to_numpy(),
                              "hours": resolution_hours(resolved).to_numpy()})
        targets = self.review.params.criteria.target_hours.set_index("priority")["resolution"]
        return plot_resolution_distribution(hours[hours["hours"] > 0], targets=targets, ax=ax)

    def _body_html(self) -> str:
        if not len(self.table):
            return note_html("No incidents were resolved in this period.")
        fig, ax = plt.subplots()
        self.plot_distribution(ax)
        distribution = figure_html(fig, alt="Box plot of calendar time to resolve for each "
                                            "priority on a log scale, with each priority's "
                                            "resolution target marked.")
        fig, ax = plt.subplots()
        self.plot(ax)
        shown = self.table.assign(priority=self.table[c.PRIORITY].map(priority_label))
        trend = figure_html(fig, alt="Line chart of weekly median and 90th percentile time to "
                                     "resolve, in hours.")
        return "".join([
            paragraphs_html(narrative.resolution_sentences(self.table, self.trend)),
            f'<div class="ccr-pair">{distribution}{trend}</div>',
            details_html("Time to resolve by priority", table_html(
                shown, formats={"n": fmt_count, "median_h": fmt_hours, "p90_h": fmt_hours,
                                "mean_h": fmt_hours},
                labels={"n": "resolved", "median_h": "median", "p90_h": "90th percentile",
                        "mean_h": "mean"},
                caption="Calendar time from opened to resolved, incidents resolved in the period")),
        ])


class Handoffs(Section):
    """Time in each team's hands and handoffs between the contact centre and resolver teams."""

    def __init__(self, review: Review) -> None:
        super().__init__(review)
        periods = review.holding
        centre = review.params.services.contact_centre_team
        self.table = team_time(periods) if len(periods) else pd.DataFrame()
        self.summary = (handoff_summary(periods, contact_centre_team=centre)
                        if len(periods) else pd.DataFrame())
        if len(self.table):
            self.downloads = {"time_in_each_teams_hands": self.table}

    def empty_reason(self) -> str | None:
        if "incident_events" not in self.review.data:
            return "no incident events file was given"
        return None
    def _body_html(self) -> str:
        if not len(self.table):
            return note_html("No incident events were given, so time in each team's hands and "
                             "handoffs cannot be shown.")
        centre = self.review.params.services.contact_centre_team
        s = self.summary.iloc[0]
        share = self.table.set_index(c.TEAM)["share_of_time"]
        opened = len(self.review.incidents)
        untracked = opened - int(s["incidents"])
        whose = ("incidents opened in the period" if not untracked else
                 f"incidents opened in the period whose history names a team (the other "
                 f"{fmt_count(untracked)} of the {fmt_count(opened)} have no team in their "
                 "events)")
        sentences = [
            f"{fmt_pct(s['with_handoff'] / s['incidents'])} of the {fmt_count(s['incidents'])} "
            f"{whose} changed hands at least once "
            f"({fmt_number(s['handoffs_per_incident'], 2)} handoffs per incident on average)."]
        if centre in share.index:
            sentences += [
                (f"{fmt_count(s['with_bounce_back'])} "
                 f"({fmt_pct(s['with_bounce_back'] / s['incidents'])}) were handed back from a "
                 f"resolver team to {centre}." if s["with_bounce_back"]
                 else f"None was handed back from a resolver team to {centre}."),
                f"{centre} held them for {fmt_pct(share.get(centre, 0))} of their open time; "
                "the resolver teams for the rest."]
        else:  # not "held 0.0%": the data calls the contact centre something else
            teams = share.index.astype(str)
            sentences.append(
                f"services.yaml names {centre} as the contact centre's team, but no incident "
                f"was held by a team of that name; the data's teams are "
                f"{', '.join(teams[:5])}{' and others' if len(teams) > 5 else ''}. Handbacks "
                "to the contact centre and its share of the time cannot be shown until "
                "contact_centre_team in services.yaml names the team as the export does.")
        return (paragraphs_html(sentences)
                + table_html(self.table, max_rows=15,
                             formats={"incidents": fmt_count, "total_hours": fmt_hours_total,
                                      "median_hours": fmt_hours, "share_of_time": fmt_pct},
                             labels={"incidents": "incidents held", "total_hours": "total time",
                                     "median_hours": "median per incident",
                                     "share_of_time": "share of time"},
                             caption="Time in each team's hands, incidents opened in the period "
                                     "(calendar clock)"))


def fmt_hours_total(value: object) -> str:
    """Total hours as whole days: ``"1,234 days"``."""
    return f"{fmt_number(float(value) / 24, 0)} days"
