"""The quarterly incident review, as notebook-sized pieces.

A notebook opens the review once (``review = open_review(...)``) and shows
each section with one expression (``DataHealth(review)``). Each section object
has ``.table`` (a tidy DataFrame), ``.plot(ax=None)`` where it has a chart,
and ``_repr_html_`` for the report. Results are computed once and shared.
"""

from __future__ import annotations

import html
from functools import cached_property
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ccreview import columns as c
from ccreview import narrative
from ccreview.compliance import compliance_rates, in_period, target_outcomes
from ccreview.display import (
    figure_html,
    fmt_count,
    fmt_hours,
    fmt_number,
    fmt_pct,
    note_html,
    paragraphs_html,
    plural,
    priority_label,
    table_html,
)
from ccreview.metrics import (
    METRICS,
    contact_summary,
    full_weeks,
    resolution_time_stats,
    volume_by_period,
    week_start,
)
from ccreview.parameters import RunParameters, load_parameters
from ccreview.plots import plot_compliance, plot_resolution_trend, plot_weekly_counts, use_style
from ccreview.prepared import ISSUES_FILE, QUARANTINE_SUFFIX, load_prepared
from ccreview.publish import SUMMARY_MIMETYPE
from ccreview.stats import wilson_interval
from ccreview.validate import Dataset, load_dataset

__all__ = [
    "Compliance",
    "DataHealth",
    "Definitions",
    "ExecutiveSummary",
    "ResolutionTimes",
    "Review",
    "Volumes",
    "open_review",
]


PARTIAL_WEEKS = "Weeks start on Monday; partial weeks at the ends of the period are left out."


class Review:
    """A review period's data and everything computed from it (computed once, on demand)."""

    def __init__(self, params: RunParameters, data: Dataset) -> None:
        self.params = params
        self.data = data

    def _in_period(self, table: str, at: str) -> pd.DataFrame:
        if table not in self.data:
            return pd.DataFrame(columns=[at])
        frame = self.data[table]
        mask = (frame[at] >= self.params.start) & (frame[at] < self.params.end)
        return frame.loc[mask.to_numpy()]

    @cached_property
    def incidents(self) -> pd.DataFrame:
        """Incidents opened in the period."""
        return self._in_period("incidents", c.OPENED_AT)

    @cached_property
    def contacts(self) -> pd.DataFrame:
        """Contacts that arrived in the period."""
        return self._in_period("contacts", c.ARRIVED_AT)

    @cached_property
    def resolved(self) -> pd.DataFrame:
        """Incidents resolved in the period (whenever opened)."""
        return self._in_period("incidents", c.RESOLVED_AT)

    @cached_property
    def outcomes(self) -> pd.DataFrame:
        """Response and resolution outcomes judged in the period."""
        outcomes = target_outcomes(self.data["incidents"], criteria=self.params.criteria,
                                   as_of=self.params.end)
        return in_period(outcomes, start=self.params.start, end=self.params.end)

    @cached_property
    def compliance(self) -> pd.DataFrame:
        """Compliance per target, overall."""
        return compliance_rates(self.outcomes)

    @cached_property
    def compliance_by_priority(self) -> pd.DataFrame:
        """Compliance per target and priority."""
        return compliance_rates(self.outcomes, by=c.PRIORITY)

    @cached_property
    def contact_kpis(self) -> pd.DataFrame:
        """Contact KPIs for the period, one overall row."""
        return contact_summary(self.contacts) if len(self.contacts) else pd.DataFrame()

    @cached_property
    def weekly_contacts(self) -> pd.DataFrame:
        """Contact KPIs per week."""
        if not len(self.contacts):
            return pd.DataFrame()
        week = week_start(self.contacts[c.ARRIVED_AT])
        weekly = contact_summary(self.contacts.assign(**{c.PERIOD_START: week.to_numpy()}),
                                 by=c.PERIOD_START)
        return self.full_weeks(weekly)

    def full_weeks(self, table: pd.DataFrame) -> pd.DataFrame:
        """Keep the weeks of a weekly table that lie wholly inside the period."""
        return full_weeks(table, start=self.params.start, end=self.params.end)

    @cached_property
    def grading(self) -> pd.DataFrame:
        """Recorded vs expected priority per assigned team (impact x urgency matrix)."""
        inc = self.incidents
        matrix = self.params.criteria.priority_matrix
        known = inc[c.IMPACT].notna() & inc[c.URGENCY].notna()
        part = inc.loc[known.to_numpy()]
        expected = expected_priority(part[c.IMPACT], part[c.URGENCY], matrix)
        in_matrix = ~np.isnan(expected)
        work = pd.DataFrame({
            c.ASSIGNED_TEAM: part[c.ASSIGNED_TEAM].fillna("(blank)").to_numpy()[in_matrix],
            "mismatch": (part[c.PRIORITY].to_numpy(dtype=float) != expected)[in_matrix],
        })
        table = work.groupby(c.ASSIGNED_TEAM).agg(n=("mismatch", "size"),
                                                  mis_graded=("mismatch", "sum")).reset_index()
        table["rate"] = table["mis_graded"] / table["n"]
        table["ci_low"], table["ci_high"] = wilson_interval(table["mis_graded"], table["n"])
        overall = table["mis_graded"].sum() / max(table["n"].sum(), 1)
        table["stands_out"] = table["ci_low"] > 2 * overall
        table = table.sort_values("rate", ascending=False).reset_index(drop=True)
        table.attrs["overall_rate"] = overall
        return table

    def missing_reason(self, name: str) -> str:
        """Why catalogue metric ``name`` cannot be computed from the files given, or ``""``."""
        metric = METRICS[name]
        if metric.table not in self.data.tables:
            return f"no {metric.table} file was given"
        table = self.data.tables[metric.table]
        absent = [col for col in metric.needs if not table.has(col)]
        if absent:
            return f"{table.source} has no {', '.join(absent)} column"
        return ""

    @cached_property
    def kpis(self) -> pd.DataFrame:
        """Every catalogue metric for the period: ``metric``, ``value`` and ``note``
        (why it is missing, when it is)."""
        comp = self.compliance.set_index("target")["rate"]
        res = resolution_time_stats(self.resolved)
        reopened = self.resolved[c.REOPEN_COUNT].fillna(0) > 0
        values = {
            "incidents_opened": float(len(self.incidents)),
            "response_compliance": comp.get("response", np.nan),
            "resolution_compliance": comp.get("resolution", np.nan),
            "median_resolution_h": res["median_h"].iloc[0] if len(res) else np.nan,
            "p90_resolution_h": res["p90_h"].iloc[0] if len(res) else np.nan,
            "reopen_rate": reopened.mean() if len(self.resolved) else np.nan,
        }
        if len(self.contact_kpis):
            row = self.contact_kpis.iloc[0]
            values.update({k: float(row[k]) for k in ("abandonment_rate", "service_level",
                                                       "average_speed_of_answer_s")})
            values["contacts_offered"] = float(row["offered"])
        rows = []
        for name in METRICS:
            note = self.missing_reason(name)
            value = np.nan if note else float(values.get(name, np.nan))
            if not note and np.isnan(value):
                note = "no data in the period"
            rows.append({"metric": name, "value": value, "note": note})
        return pd.DataFrame(rows)

    def kpi(self, name: str) -> float:
        """The value of catalogue metric ``name`` for the period (NaN when not computable)."""
        return float(self.kpis.set_index("metric").loc[name, "value"])

    @cached_property
    def scorecard(self) -> pd.DataFrame:
        """KPI targets from objectives.yaml, each with the period's value and whether it is met."""
        rows = []
        for objective in self.params.objectives:
            for kpi in objective.kpis:
                metric = METRICS[kpi["metric"]]
                value = self.kpi(metric.name)
                note = self.kpis.set_index("metric").loc[metric.name, "note"]
                target = float(kpi["target"])
                met = value >= target if metric.better == "higher" else value <= target
                rows.append({"objective": objective.title, "metric": metric.name,
                             "label": metric.label, "unit": metric.unit, "better": metric.better,
                             "value": value,
                             "target": target, "met": bool(met) if not np.isnan(value) else None,
                             "note": note})
        return pd.DataFrame(rows, columns=["objective", "metric", "label", "unit", "better",
                                           "value", "target", "met", "note"])


def expected_priority(
    impact: pd.Series, urgency: pd.Series, matrix: dict[tuple[int, int], int]
) -> np.ndarray:
    """Priority the impact x urgency matrix gives each row (NaN where the pair is not in it)."""
    size = max(max(k) for k in matrix) + 1
    lookup = np.full((size + 1, size + 1), np.nan)
    for (i, u), priority in matrix.items():
        lookup[i, u] = priority
    i = impact.to_numpy(dtype=float, na_value=np.nan)
    u = urgency.to_numpy(dtype=float, na_value=np.nan)
    inside = (i >= 0) & (i <= size) & (u >= 0) & (u <= size)
    out = np.full(len(i), np.nan)
    out[inside] = lookup[i[inside].astype(int), u[inside].astype(int)]
    return out


def open_review(parameters_file: str | Path, *, prepared_dir: str | Path | None = None) -> Review:
    """Open a review for a parameter file.

    Parameters
    ----------
    parameters_file : str or Path
        The run's parameter file.
    prepared_dir : str or Path, optional
        Validated data saved by ``ccreview run``; when omitted (interactive use),
        the raw files are loaded and validated here.

    Returns
    -------
    Review
    """
    use_style()
    params = load_parameters(parameters_file)
    if prepared_dir:
        data = load_prepared(prepared_dir)
    else:
        data = load_dataset(params.data, timezone=params.timezone,
                            timestamp_format=params.timestamp_format, date_format=params.date_format)
    return Review(params, data)


def format_value(value: float, unit: str) -> str:
    """Format a KPI value in its unit."""
    return {"share": fmt_pct, "hours": fmt_hours, "count": fmt_count,
            "seconds": lambda v: f"{fmt_number(v, 0)} s"}.get(unit, fmt_number)(value)


class ExecutiveSummary:
    """The headline KPIs against targets and the findings, built from computed numbers.

    Besides HTML, it emits a one-line summary under :data:`SUMMARY_MIMETYPE`, which
    reports do not display and the run's index page shows beside the report's link.
    """

    def __init__(self, review: Review) -> None:
        self.review = review
        self.findings = narrative.findings(review)
        self.table = review.scorecard

    @property
    def one_line(self) -> str:
        """E.g. ``"10,365 incidents; response 83.7%, resolution 81.1% met; 0 of 5 KPI targets met"``."""
        rates = self.review.compliance.set_index("target")["rate"]
        parts = [f"{fmt_count(len(self.review.incidents))} incidents"]
        if len(rates):
            parts.append(", ".join(f"{t} {fmt_pct(r)}" for t, r in rates.items()) + " met")
        card = self.table.dropna(subset=["met"])
        if len(card):
            parts.append(f"{int(card['met'].astype(bool).sum())} of {len(card)} KPI targets met")
        return "; ".join(parts)

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        return {"text/html": self._repr_html_(), SUMMARY_MIMETYPE: {"summary": self.one_line}}

    def _repr_html_(self) -> str:
        tiles = []
        for row in self.table.itertuples(index=False):
            css = {True: "ccr-status-ok", False: "ccr-status-bad"}.get(row.met, "ccr-status-warn")
            verdict = {True: "target met", False: "target missed"}.get(row.met, row.note)
            tiles.append(
                f'<div class="ccr-kpi"><div class="label">{html.escape(row.label)}</div>'
                f'<div class="value">{html.escape(format_value(row.value, row.unit))}</div>'
                f'<div class="target">target {"≥" if row.better == "higher" else "≤"} '
                f'{html.escape(format_value(row.target, row.unit))}'
                f' · <span class="{css}">{verdict}</span></div></div>')
        notes = "".join(note_html(n) for n in narrative.coverage_notes(self.review))
        return (f'{notes}'
                f'<div class="ccr-kpis">{"".join(tiles)}</div>'
                f'<div class="ccr-summary"><strong>Findings</strong>'
                f"{paragraphs_html(self.findings)}</div>")


class DataHealth:
    """Rows read, accepted and quarantined per table, and what was wrong."""

    def __init__(self, review: Review) -> None:
        self.review = review
        self.table = review.data.health()
        issues = review.data.issues()
        self.problems = (
            issues.groupby(["table", "column", "problem"], sort=False)
            .agg(rows=("row", "size"), example_row=("row", "first"), example=("value", "first"))
            .reset_index()
            .sort_values("rows", ascending=False)
        )

    def _repr_html_(self) -> str:
        t = self.table
        read, rejected = int(t["rows_read"].sum()), int(t["rows_rejected"].sum())
        reconciles = bool((t["rows_read"] == t["rows_accepted"] + t["rows_rejected"]).all())
        parts = [f"<p>{plural(read, 'row')} were read from {plural(len(t), 'file')}; "
                 f"{fmt_count(rejected)} ({fmt_pct(rejected / read if read else 0, 2)}) "
                 f"{'was' if rejected == 1 else 'were'} quarantined and left out of every figure "
                 "below. "
                 f"{'Every file reconciles: rows read = accepted + quarantined.' if reconciles else ''}"
                 "</p>",
                 table_html(t, formats={"rows_read": fmt_count, "rows_accepted": fmt_count,
                                        "rows_rejected": fmt_count},
                            labels={"rows_rejected": "quarantined"})]
        if len(self.problems):
            parts.append("<h3>What was wrong</h3>")
            parts.append(table_html(self.problems, max_rows=25,
                                    formats={"example_row": str, "rows": fmt_count},
                                    labels={"example_row": "e.g. row", "example": "value",
                                            "rows": "rows affected"}))
            links = " · ".join(
                f'<a href="downloads/{html.escape(name)}{QUARANTINE_SUFFIX}">'
                f"{html.escape(name)} ({plural(int(n), 'row')})</a>"
                for name, n in zip(t["table"], t["rows_rejected"], strict=True) if n)
            parts.append(f"<p>Download the quarantined rows, each with its reasons: {links}; "
                         f'all problems: <a href="downloads/{ISSUES_FILE}">{ISSUES_FILE}</a>.</p>')
        for result in self.review.data.tables.values():
            if result.ignored_columns:
                parts.append(note_html(f"{result.source}: columns not used by the kit were "
                                       f"ignored: {', '.join(result.ignored_columns)}."))
        return "".join(parts)


class Volumes:
    """Incident and contact volumes by week, channel and category."""

    def __init__(self, review: Review) -> None:
        self.review = review
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

    def plot(self, ax: plt.Axes | None = None) -> plt.Axes:
        """Weekly incidents opened, one line per channel."""
        return plot_weekly_counts(self.weekly_incidents, hue=c.CHANNEL,
                                  title="Incidents opened per week, by channel",
                                  ylabel="Incidents", ax=ax)

    def _repr_html_(self) -> str:
        total = len(self.review.incidents)
        contacts = len(self.review.contacts)
        also = f", and {fmt_count(contacts)} contacts arrived" if contacts else ""
        parts = [f"<p>{plural(total, 'incident')} {'was' if total == 1 else 'were'} opened in "
                 f"the period{also}.</p>"]
        if len(self.weekly_incidents) < 2:
            parts.append(note_html("Too few whole weeks of incidents in the period to chart a "
                                   "weekly trend."))
            return "".join(parts)
        fig, ax = plt.subplots()
        self.plot(ax)
        parts.append(figure_html(fig, alt="Line chart of incidents opened per week by channel.",
                                 caption=PARTIAL_WEEKS))
        if "contacts" not in self.review.data:
            parts.append(note_html("No contacts file was given, so contact volumes are not shown."))
        elif len(self.weekly_contacts) >= 2:
            fig, ax = plt.subplots()
            plot_weekly_counts(self.weekly_contacts, hue=c.CHANNEL, ax=ax,
                               title="Contacts arriving per week, by channel", ylabel="Contacts")
            parts.append(figure_html(fig, alt="Line chart of contacts per week by channel.",
                                     caption=PARTIAL_WEEKS))
        if len(self.by_category):
            parts.append(table_html(self.by_category, formats={"incidents": fmt_count,
                                                               "share": fmt_pct},
                                    caption="Incidents opened by category"))
        return "".join(parts)


class Compliance:
    """Response and resolution compliance per priority, with 95% Wilson intervals."""

    def __init__(self, review: Review) -> None:
        self.review = review
        self.table = review.compliance_by_priority
        targets = review.params.criteria.targets.copy()
        targets["response"] = targets["response"].dt.total_seconds() / 3600
        targets["resolution"] = targets["resolution"].dt.total_seconds() / 3600
        self.targets = targets

    def plot(self, ax: plt.Axes | None = None) -> plt.Axes:
        """Bars per priority and target, with interval bars."""
        return plot_compliance(self.table, ax=ax)

    def _repr_html_(self) -> str:
        if not len(self.table):
            return note_html("No response or resolution targets were judged in this period.")
        fig, ax = plt.subplots()
        self.plot(ax)
        shown = self.table.assign(priority=self.table[c.PRIORITY].map(priority_label),
                                  target=self.table["target"].str.capitalize())
        small = shown[shown["n"] < 30]
        parts = [
            table_html(self.targets, caption="Agreed targets (criteria.yaml)",
                       formats={"response": fmt_hours, "resolution": fmt_hours}),
            figure_html(fig, alt="Bar chart of the share of response and resolution targets "
                                 "met for each priority, with 95% interval bars."),
            table_html(shown, formats={"n": fmt_count, "met": fmt_count, "breached": fmt_count,
                                       "rate": fmt_pct, "ci_low": fmt_pct, "ci_high": fmt_pct},
                       labels={"n": "judged", "rate": "met %", "ci_low": "95% CI low",
                               "ci_high": "95% CI high"}),
        ]
        if len(small):
            parts.append(note_html(
                "Small samples: " + ", ".join(f"{r.target} {r.priority} (n={r.n})"
                                              for r in small.itertuples())
                + " — read these rates with their wide intervals."))
        grading = self.review.grading
        parts.append("<h3>Priority grading</h3>")
        parts.append(paragraphs_html(narrative.grading_sentences(grading)))
        parts.append(table_html(grading.drop(columns="stands_out"),
                                formats={"n": fmt_count, "mis_graded": fmt_count,
                                         "rate": fmt_pct, "ci_low": fmt_pct, "ci_high": fmt_pct},
                                labels={"rate": "mis-graded %", "ci_low": "95% CI low",
                                        "ci_high": "95% CI high", "mis_graded": "mis-graded",
                                        "n": "incidents"}))
        return "".join(parts)


class ResolutionTimes:
    """Time to resolve: distribution per priority and weekly median / 90th percentile."""

    def __init__(self, review: Review) -> None:
        self.review = review
        resolved = review.resolved
        self.table = resolution_time_stats(resolved, by=c.PRIORITY)
        week = week_start(resolved[c.RESOLVED_AT])
        self.trend = review.full_weeks(
            resolution_time_stats(resolved.assign(**{c.PERIOD_START: week.to_numpy()}), by=c.PERIOD_START))

    def plot(self, ax: plt.Axes | None = None) -> plt.Axes:
        """Weekly median and 90th percentile."""
        return plot_resolution_trend(self.trend, ax=ax)

    def _repr_html_(self) -> str:
        if not len(self.table):
            return note_html("No incidents were resolved in this period.")
        fig, ax = plt.subplots()
        self.plot(ax)
        shown = self.table.assign(priority=self.table[c.PRIORITY].map(priority_label))
        return "".join([
            paragraphs_html(narrative.resolution_sentences(self)),
            figure_html(fig, alt="Line chart of weekly median and 90th percentile time to "
                                 "resolve, in hours."),
            table_html(shown, formats={"n": fmt_count, "median_h": fmt_hours,
                                       "p90_h": fmt_hours, "mean_h": fmt_hours},
                       labels={"n": "resolved", "median_h": "median", "p90_h": "90th pct",
                               "mean_h": "mean"},
                       caption="Calendar time from opened to resolved, incidents resolved in "
                               "the period"),
        ])


class Definitions:
    """The definitions of the metrics this report shows."""

    def __init__(self, review: Review, names: list[str] | None = None) -> None:
        names = names or list(METRICS)
        self.table = pd.DataFrame(
            [{"metric": METRICS[n].label, "definition": METRICS[n].definition,
              "better": METRICS[n].better} for n in names])

    def _repr_html_(self) -> str:
        return table_html(self.table)
