"""The opening sections: the executive summary and data health."""

from __future__ import annotations

import html

from ccreview.data import columns as c
from ccreview.data.prepared import ISSUES_FILE, QUARANTINE_SUFFIX
from ccreview.data.redact import personal_data_table
from ccreview.report import narrative
from ccreview.report.bottom_line import bottom_line
from ccreview.report.formatting import details_html, note_html, paragraphs_html, table_html
from ccreview.report.publish import SUMMARY_MIMETYPE
from ccreview.report.recommendations import recommendations
from ccreview.report.sections.base import Section
from ccreview.report.sections.changes import ChangeVerdicts
from ccreview.report.sections.register import earlier_recommendations, updated_register
from ccreview.report.tiles import tiles_html
from ccreview.review.headline import headline_kpis, previous_period_rows
from ccreview.review.readiness import input_warnings
from ccreview.review.review import Review
from ccreview.wording import fmt_count, fmt_pct, plural

__all__ = [
    "DataHealth",
    "ExecutiveSummary",
]


class ExecutiveSummary(Section):
    """The headline KPIs against targets and the findings, built from computed numbers.

    Besides HTML, it emits a one-line summary under :data:`SUMMARY_MIMETYPE`, which
    reports do not display and the run's index page shows beside the report's link.
    """

    def __init__(self, review: Review) -> None:
        super().__init__(review)
        self.headline = headline_kpis(review)
        self.bottom_line = bottom_line(review, self.headline)
        self.findings = narrative.findings(review)
        self.table = review.scorecard
        self.recommendations = recommendations(review)
        self.changes = review.changes_implemented
        self.downloads = {"kpi_scorecard": self.table, "recommendations": self.recommendations}

    @property
    def one_line(self) -> str:
        """E.g. ``"10,365 incidents; response 83.7%, resolution 81.1% met; 0 of 5 KPI targets met"``."""
        rates = self.review.compliance.set_index("target")["rate"]
        if "incidents" in self.review.data:
            parts = [f"{fmt_count(len(self.review.incidents))} incidents"]
        else:  # a contacts-only review leads with its contacts
            parts = [f"{fmt_count(len(self.review.contacts))} contacts"]
        if len(rates):
            parts.append(", ".join(f"{t} {fmt_pct(r)}" for t, r in rates.items()) + " met")
        card = self.table.dropna(subset=["met"])
        if len(card):
            parts.append(f"{int(card['met'].astype(bool).sum())} of {len(card)} KPI targets met")
        return "; ".join(parts)

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        return {**super()._repr_mimebundle_(include, exclude),
                SUMMARY_MIMETYPE: {"summary": self.one_line}}

    def _findings_html(self) -> str:
        """The first four findings, the rest one click away."""
        shown, more = self.findings[:4], self.findings[4:]
        rest = details_html(f"{len(more)} more findings", paragraphs_html(more)) if more else ""
        return f'<div class="ccr-summary"><strong>Findings</strong>{paragraphs_html(shown)}{rest}</div>'

    def _body_html(self) -> str:
        notes = "".join(note_html(n) for n in narrative.coverage_notes(self.review))
        previous = previous_period_rows(self.review)
        against = (str(previous["against"].iloc[0]) if len(previous) else "previous period").capitalize()
        bottom = "".join(f"<p>{html.escape(s)}</p>" for s in self.bottom_line)
        box = (f'<div class="ccr-bottom-line" role="doc-abstract"><strong>Bottom line</strong>{bottom}'
               "</div>") if bottom else ""
        first = f"{notes}{box}{tiles_html(self.headline, against=against)}"
        parts = [f'<div class="ccr-first-screen">{first}</div>', self._findings_html(),
                 "<h3>Recommendations</h3>"]
        if len(self.recommendations):
            shown = self.recommendations.head(5).drop(columns=["severity", "recommendation_id", "title",
                                                               "metric", "confidence", "priority"])
            if not shown["agreed_changes"].astype(bool).any():
                shown = shown.drop(columns="agreed_changes")
            parts.append(table_html(shown, formats={"rank": str},
                                    labels={"agreed_changes": "agreed changes that answer it",
                                            "section": "evidence in"}))
            if len(self.recommendations) > 5:
                parts.append(f'<p class="ccr-small">{len(self.recommendations) - 5} more in '
                             "recommendations.csv.</p>")
        else:
            parts.append("<p>No finding calls for action this period.</p>")
        if self.review.params.register_path:  # what earlier recommendations achieved
            register = updated_register(self.review, current=self.recommendations)
            said = earlier_recommendations(self.review, register)
            parts.append(paragraphs_html(said) if said else "")
        parts.append("<h3>Changes and their evidence</h3>")
        parts.append(ChangeVerdicts(self.review)._body_html())
        return "".join(parts)


class DataHealth(Section):
    """Rows read, accepted and quarantined per table, and what was wrong."""

    def __init__(self, review: Review) -> None:
        super().__init__(review)
        self.table = review.data.health()
        issues = review.data.issues()
        self.problems = (
            issues.groupby(["table", "column", "problem"], sort=False)
            .agg(rows=("row", "size"), example_row=("row", "first"), example=("value", "first"))
            .reset_index()
            .sort_values("rows", ascending=False)
        )

    def _body_html(self) -> str:
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
        assumed = self.review.data.assumptions()
        if len(assumed):
            parts.append("<h3>What was assumed to keep rows (counted; nothing dropped)</h3>")
            parts.append(table_html(assumed, formats={"rows": fmt_count},
                                    labels={"rows": "rows affected", "assumption": "what was done"}))
        for line in input_warnings(self.review.data):
            parts.append(note_html(line))
        personal = personal_data_table({name: t.data for name, t in self.review.data.tables.items()})
        if len(personal):
            parts.append("<h3>Personal data in the data (redacted wherever published)</h3>")
            parts.append(paragraphs_html([
                "E-mail addresses and phone numbers in these columns are shown as [email] and "
                "[phone] in this report, its notebooks and its downloads; ids are kept."]))
            parts.append(table_html(personal, formats={"emails": fmt_count, "phones": fmt_count},
                                    labels={"emails": "rows with an e-mail address",
                                            "phones": "rows with a phone number"}))
        unknown = self.review.unknown_teams if "incidents" in self.review.data else ()
        if len(unknown):
            names = ", ".join(unknown[c.TEAM].astype(str).head(8))
            parts.append(note_html(
                f"{plural(len(unknown), 'team')} in the data {'is' if len(unknown) == 1 else 'are'}"
                f" not listed in services.yaml ({names}"
                f"{' and others' if len(unknown) > 8 else ''}): their incidents are counted, "
                "but no role (contact centre or resolver) is known for them. Add them under "
                "'teams:' in services.yaml."))
        for result in self.review.data.tables.values():
            if result.ignored_columns:
                parts.append(note_html(f"{result.source}: columns not used by the kit were "
                                       f"ignored: {', '.join(result.ignored_columns)}."))
        return "".join(parts)
