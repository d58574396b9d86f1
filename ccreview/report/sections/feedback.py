"""Sections of the feedback review: what people write about, what drives dissatisfaction,
what changed, and the enhancements most worth making."""

from __future__ import annotations

import html

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ccreview.data import columns as c
from ccreview.data.redact import redact_string, redaction_counts
from ccreview.feedback.drivers import FACTOR_WORDS
from ccreview.feedback.tagging import UNCOVERED
from ccreview.report.feedback_plots import plot_theme_shares, plot_theme_weeks
from ccreview.report.formatting import details_html, figure_html, note_html, paragraphs_html, table_html
from ccreview.report.publish import SUMMARY_MIMETYPE
from ccreview.report.sections.base import Section
from ccreview.review.review import Review
from ccreview.wording import fmt_count, fmt_number, fmt_pct, plural

__all__ = ["DissatisfactionDrivers", "EnhancementCandidates", "FeedbackThemes", "FeedbackTrends",
           "driver_sentence"]

_NO_FEEDBACK = "no feedback file was given"


def _no_comments(review: Review) -> str | None:
    if "feedback" not in review.data:
        return _NO_FEEDBACK
    if not len(review.comments):
        return "the feedback of this period holds no comment text"
    return None


def driver_sentence(row, *, who: str, outcome: str, unit: str) -> str:
    """"Customers whose incident breached its target were 18 points (12 to 24) less likely to
    be satisfied": an adjusted effect in words, with its 95% interval."""
    more = "more" if row.effect > 0 else "less"
    against = "those with no linked incident" if row.reference == "no incident" else row.reference
    if row.level == "":
        subject = f"{who.capitalize()} {FACTOR_WORDS.get(row.factor, row.factor)}"
    elif row.factor == "priority":
        subject = f"{who.capitalize()} whose incident was {row.level} (against {against})"
    else:
        subject = f"{who.capitalize()} on {row.level} (against {against})"
    if row.ci_low * row.ci_high > 0:  # the interval on one side: both ends as sizes, smaller first
        low, high = sorted((abs(row.ci_low), abs(row.ci_high)))
    else:  # it spans no change: signed ends
        low, high = row.ci_low, row.ci_high
    return (f"{subject} were {fmt_number(abs(row.effect))} {unit} ({fmt_number(low)} to "
            f"{fmt_number(high)}) {more} likely {outcome}.")


class FeedbackThemes(Section):
    """Every comment tagged with the themes of ``themes.yaml``, and new themes proposed from the rest."""

    def __init__(self, review: Review) -> None:
        super().__init__(review)
        self.table = review.theme_shares
        self.proposed = review.proposed_themes
        self.redactions = redaction_counts(review.comments[c.COMMENT]) if len(review.comments) else {}
        self.downloads = {"feedback_theme_shares": self.table,
                          "feedback_proposed_themes": self.proposed.assign(
                              examples=self.proposed["examples"].map(" | ".join))}

    def empty_reason(self) -> str | None:
        return _no_comments(self.review)

    def plot(self, ax: plt.Axes | None = None) -> plt.Axes:
        """Each theme's share of each voice's comments."""
        return plot_theme_shares(self.table, ax=ax)

    def _body_html(self) -> str:
        review, table = self.review, self.table
        comments = review.comments
        uncovered = table[table["theme"] == UNCOVERED].set_index("voice")
        voices = comments["voice"].value_counts()
        said = [f"{fmt_count(len(comments))} comments in the period: "
                + ", ".join(f"{fmt_count(n)} from {v}" for v, n in voices.items()) + ". "
                f"Each is tagged with every theme of {review.params.themes.path.name} whose "
                "phrases it contains, so a tag can always be traced to the words that made it."]
        if "customers" in uncovered.index:
            said.append(f"{fmt_pct(uncovered.loc['customers', 'share'])} of customers' comments carry "
                        "no theme; the topics proposed below come from those.")
        if self.redactions and sum(self.redactions.values()):
            r = self.redactions
            said.append(f"Personal data is redacted wherever comments are shown or downloaded: "
                        f"{plural(r['emails'], 'comment')} with an e-mail address, "
                        f"{plural(r['cards'], 'comment')} with a card number, "
                        f"{plural(r['phones'], 'comment')} with a phone number.")
        parts = [paragraphs_html(said)]
        shown = table[table["theme"] != UNCOVERED]
        fig, ax = plt.subplots(figsize=(8.5, 0.42 * shown["theme"].nunique() + 1.5))
        plot_theme_shares(table, ax=ax)
        parts.append(figure_html(fig, alt="Bar chart of each theme's share of customers', agents' "
                                          "and resolver teams' comments, with 95% intervals."))
        wide = table.pivot_table(index="label", columns="voice", values="share", sort=False)
        wide = wide.reindex(columns=[v for v in ("customers", "agents", "resolver teams") if v in wide])
        parts.append(details_html("The shares as a table", table_html(
            wide.reset_index(), formats={v: fmt_pct for v in wide.columns}, labels={"label": "theme"},
            caption="Share of each voice's comments carrying the theme")))
        parts.append("<h3>Candidate new themes, from the comments no theme covers</h3>")
        parts.append(self._proposed_html())
        return "".join(parts)

    def _proposed_html(self) -> str:
        proposed = self.proposed
        if not len(proposed):
            return note_html("Too few distinct uncovered comments to propose new themes from.")
        rows = proposed.assign(examples=proposed["examples"].map(
            lambda texts: " | ".join(redact_string(t)[:160] for t in texts)))
        return (paragraphs_html([
            "Topics found by TF-IDF and non-negative matrix factorisation among the uncovered "
            "comments. They are suggestions: name one, add its phrases to themes.yaml, and the next "
            "run tags it."])
            + table_html(rows, formats={"comments": fmt_count, "share_of_uncovered": fmt_pct},
                         labels={"share_of_uncovered": "share of uncovered",
                                 "top_terms": "top terms", "examples": "example comments"}))


class DissatisfactionDrivers(Section):
    """How satisfaction and complaints relate to how the contact or incident was handled."""

    def __init__(self, review: Review) -> None:
        super().__init__(review)
        self.table = review.satisfaction_drivers
        self.complaints = review.complaint_drivers
        self.downloads = {"satisfaction_drivers": self.table, "complaint_drivers": self.complaints}

    def empty_reason(self) -> str | None:
        if "feedback" not in self.review.data:
            return _NO_FEEDBACK
        if not len(self.table) and not len(self.complaints):
            return "the feedback holds no CSAT answers or complaints linked to contacts"
        return None

    def _body_html(self) -> str:
        parts = []
        for table, who, outcome, unit, what in (
                (self.table, "customers", "to be satisfied", "points", "Satisfaction (CSAT top-two-box)"),
                (self.complaints, "contacts", "to lead to a complaint", "per 1,000",
                 "Complaints per contact")):
            parts.append(f"<h3>{html.escape(what)}</h3>")
            if not len(table):
                notes = "; ".join(table.attrs.get("notes", [])) or "no linked answers"
                parts.append(note_html(f"Not estimated: {notes}."))
                continue
            clear = table[table["beyond_chance"]].sort_values("effect", key=np.abs, ascending=False)
            said = [driver_sentence(r, who=who, outcome=outcome, unit=unit)
                    for r in clear.itertuples(index=False)]
            calm = table[~table["beyond_chance"]]
            if len(calm):
                said.append("No clear effect beyond chance: " + ", ".join(
                    (f"{r.factor} {r.level}" if r.level else r.factor).replace("_", " ")
                    for r in calm.itertuples(index=False)) + ".")
            attrs = table.attrs
            said.append(f"From {fmt_count(attrs['responses'])} {who} over {fmt_count(attrs['days'])} "
                        f"days: a logistic regression with a fixed effect per {attrs['fixed_effects']}, so "
                        "a bad day is not read as the effect of what was common on it; intervals "
                        "(95%) treat the day, not the customer, as the unit of evidence.")
            parts.append(paragraphs_html(said))
            parts.append(details_html("The estimates", table_html(
                table[["factor", "level", "n_with", "n_without", "rate_with", "rate_without", "effect",
                       "ci_low", "ci_high", "p_value"]],
                formats={"rate_with": fmt_pct, "rate_without": fmt_pct, "n_with": fmt_count,
                         "n_without": fmt_count, "effect": fmt_number, "ci_low": fmt_number,
                         "ci_high": fmt_number, "p_value": lambda v: f"{v:.3g}"},
                labels={"rate_with": "raw rate with", "rate_without": "raw rate without",
                        "effect": f"adjusted effect ({unit})", "p_value": "p"})))
        return "".join(parts)


class FeedbackTrends(Section):
    """Theme shares of complaints and agents' notes over time, and what changed beyond chance."""

    def __init__(self, review: Review) -> None:
        super().__init__(review)
        self.table = review.theme_changes
        self.downloads = {"feedback_theme_changes": self.table}

    def empty_reason(self) -> str | None:
        return _no_comments(self.review) or (None if len(self.table) else
                                             "there is too little feedback over time to compare")

    def _body_html(self) -> str:
        review, table = self.review, self.table
        labels = review.params.themes.labels
        said = []
        for row in table[table["verdict"].eq("worsened")].sort_values(
                "difference", ascending=False).itertuples(index=False):
            where = "customers' complaints" if row.group == "complaints" else "agents' notes"
            when = ("in the degraded weeks against the period's other weeks"
                    if row.compared == "degraded weeks" else f"this period against the {row.against}")
            said.append(f"{labels.get(row.metric, row.metric)}: its share of {where} rose "
                        f"from {fmt_pct(row.before)} to {fmt_pct(row.after)} {when} (a rise of "
                        f"{fmt_number(100 * row.ci_low)} to {fmt_number(100 * row.ci_high)} points, "
                        "95% interval).")
        fell = table[table["verdict"].eq("improved")]
        if len(fell) and said:
            said.append("Shares are parts of one whole, so as those rose others fell: "
                        + ", ".join(sorted({labels.get(t, t).lower() for t in fell["metric"]})) + ".")
        if not said:
            said.append("No theme's share of complaints or of agents' notes changed beyond chance.")
        said.append("Each comparison takes the day as the unit of evidence and holds a 5% false "
                    "discovery rate across the themes, as the KPI comparisons do.")
        parts = [paragraphs_html(said), self._satisfaction_html()]
        rising = sorted(review.rising_themes)[:4]
        if rising:
            fig, ax = plt.subplots(figsize=(9, 3.6))
            shade = list(pd.to_datetime(review.degraded_weeks["period_start"])) if len(
                review.degraded_weeks) else None
            plot_theme_weeks(review.weekly_complaint_themes, themes=rising, labels=labels, shade=shade,
                             ax=ax)
            parts.append(figure_html(fig, alt="Line chart of the weekly share of complaints carrying "
                                              "each theme that rose, over this period and the one before."))
        # a theme's share is not better or worse: it rose or fell
        words = {"worsened": "rose", "improved": "fell", "no material change": "rose or fell a little"}
        shown = table[["compared", "group", "metric", "before", "after", "difference", "ci_low",
                       "ci_high", "q_value", "verdict"]].assign(
            metric=table["metric"].map(labels), verdict=table["verdict"].replace(words))
        parts.append(details_html("Every comparison", table_html(
            shown, formats={k: fmt_pct for k in ("before", "after", "difference", "ci_low", "ci_high")}
            | {"q_value": lambda v: f"{v:.3g}"}, labels={"metric": "theme", "q_value": "q"})))
        return "".join(parts)


    def _satisfaction_html(self) -> str:
        """CSAT month by month, and the KPI section's own comparison with the previous period."""
        monthly = self.review.monthly_satisfaction
        if not len(monthly):
            return ""
        said = []
        comparisons = self.review.comparisons
        if len(comparisons):
            row = comparisons[(comparisons["metric"] == "csat") & (comparisons["segment_by"] == "")]
            for r in row.head(1).itertuples(index=False):  # the previous period comes first
                said.append(f"Satisfaction (CSAT) was {fmt_pct(r.after)} against {fmt_pct(r.before)} in "
                            f"the {r.against} (change {fmt_number(100 * r.ci_low)} to "
                            f"{fmt_number(100 * r.ci_high)} points, 95% interval, the day as the unit); the "
                            f"incident review's verdict: {r.verdict}.")
        table = table_html(monthly.assign(period_start=monthly["period_start"].dt.strftime("%b %Y")),
                           formats={"value": fmt_pct, "n": fmt_count},
                           labels={"period_start": "month", "value": "satisfied", "n": "answers"},
                           caption="Satisfaction (CSAT top-two-box) by whole month")
        return "<h3>Satisfaction month by month</h3>" + (paragraphs_html(said) if said else "") + table


class EnhancementCandidates(Section):
    """The enhancements feedback points to, ranked by reach x strength x agreement of voices."""

    def __init__(self, review: Review) -> None:
        super().__init__(review)
        self.table = review.enhancement_candidates
        self.downloads = {"enhancement_candidates": self.table}

    def empty_reason(self) -> str | None:
        return _no_comments(self.review)

    def one_line(self) -> str:
        """The feedback review's line on the index page."""
        reason = self.empty_reason()
        if reason:
            return reason[:1].upper() + reason[1:] + "."
        top = self.table.iloc[0] if len(self.table) else None
        rising = [self.review.params.themes.labels[t].lower() for t in sorted(self.review.rising_themes)]
        return (f"{fmt_count(len(self.review.comments))} comments"
                + (f"; strongest enhancement candidate: {top.label.lower()}" if top is not None else "")
                + (f"; rising in complaints: {', '.join(rising)}" if rising else "") + ".")

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        return {**super()._repr_mimebundle_(include, exclude),
                SUMMARY_MIMETYPE: {"summary": self.one_line()}}

    def examples(self, theme: str, n: int = 2) -> list[str]:
        """A few customers' comments carrying ``theme``, redacted."""
        comments, matrix = self.review.comments, self.review.theme_matrix
        mine = matrix[theme].to_numpy() & (comments["voice"] == "customers").to_numpy()
        texts = comments[c.COMMENT][mine].drop_duplicates().head(n)
        return [redact_string(str(t))[:200] for t in texts]

    def _body_html(self) -> str:
        table = self.table.head(8)
        if not len(table):
            return note_html("No customer comment carries a theme, so there is no candidate.")
        rows = []
        for row in table.itertuples(index=False):
            evidence = [f"{fmt_count(row.customers)} customers; {fmt_pct(row.negative_share, 0)} of "
                        "them complained or were not satisfied"]
            if not np.isnan(row.driver_effect):
                evidence.append(f"{row.driver.replace('_', ' ')}: {fmt_number(abs(row.driver_effect))} "
                                "points less likely to be satisfied")
            if row.agreement:
                evidence.append(f"agents or resolver teams say it too ({fmt_pct(row.internal_share)} "
                                "of their notes)")
            if row.rising:
                evidence.append("rising in complaints")
            rows.append({"rank": row.rank, "theme": row.label, "evidence": "; ".join(evidence),
                         "example comments": " | ".join(self.examples(row.theme)),
                         "score": row.score})
        top = table.iloc[0]
        said = [f"The strongest candidate is {top.label.lower()}: "
                + ("customers and staff both point at it" if top.agreement else "customers point at it")
                + (", and it is rising in complaints." if top.rising else ".")]
        both = table[table["agreement"] & table["rising"]]
        if len(both):
            said.append("Where customers and staff agree and complaints are rising, the case is "
                        "strongest: " + ", ".join(both["label"].str.lower()) + ".")
        said.append("Score = customers touched × share of them dissatisfied (raised by the "
                    "adjusted driver effect where the theme has one) × 2 where staff agree.")
        return paragraphs_html(said) + table_html(pd.DataFrame(rows), formats={
            "score": lambda v: fmt_number(v, 0)})
