"""Procedure sections: every agreed criterion per incident, grading audit, breach owners."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ccreview.data import columns as c
from ccreview.incidents.criteria_table import criterion_rates
from ccreview.incidents.handoffs import breach_summary
from ccreview.report.case_for_change import cases_for_change
from ccreview.report.formatting import details_html, figure_html, note_html, paragraphs_html, table_html
from ccreview.report.plots import PALETTE
from ccreview.report.sections.base import Section
from ccreview.review.review import Review
from ccreview.wording import fmt_count, fmt_pct, plural

__all__ = ["CaseForChange", "Procedures"]

SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}
#: teams (and months) with fewer incidents judged are left out of the per-team table
MIN_TEAM_INCIDENTS = 30


def plot_criteria(scorecard: pd.DataFrame, ax: plt.Axes | None = None) -> plt.Axes:
    """Horizontal bars of compliance per criterion with 95% interval whiskers."""
    ax = ax if ax is not None else plt.subplots()[1]
    shown = scorecard.dropna(subset=["rate"]).iloc[::-1]
    y = np.arange(len(shown))
    colours = [PALETTE[{"high": 3, "medium": 1, "low": 0}.get(s, 0)] for s in shown["severity"]]
    ax.barh(y, shown["rate"], color=colours)
    err = np.clip(np.vstack([shown["rate"] - shown["ci_low"], shown["ci_high"] - shown["rate"]]),
                  0, None)  # a rate of 1 may sit a rounding error above its upper bound
    ax.errorbar(shown["rate"], y, xerr=err, fmt="none", ecolor="0.2", capsize=3, lw=1)
    ax.set_yticks(y, shown["criterion"].str.replace("_", " "))
    ax.set(xlim=(0, 1.02), xlabel="Share of incidents that met the criterion (95% interval)",
           title="Compliance with each agreed criterion, coloured by severity")
    ax.xaxis.set_major_formatter(plt.matplotlib.ticker.PercentFormatter(1.0))
    handles = [plt.matplotlib.patches.Patch(color=PALETTE[i], label=f"{name} severity")
               for name, i in (("high", 3), ("medium", 1), ("low", 0)) if name in set(shown["severity"])]
    if handles:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1, 1))
    return ax


class Procedures(Section):
    """Each agreed criterion (targets, grading, procedure rules) and who held the clock at breach."""

    def __init__(self, review: Review) -> None:
        super().__init__(review)
        if "incidents" not in review.data:
            self.table, self.owners = pd.DataFrame(), pd.DataFrame()
            return
        self.table = review.criteria_scorecard
        self.owners = breach_summary(review.breach_owners) if len(review.breach_owners) else \
            pd.DataFrame()
        self.downloads = {"criteria_scorecard": self.table,
                          "criteria_by_month": review.criteria_trend}
        if len(self.owners):  # per team and target (one row per breach is 100,000s of rows)
            self.downloads["breaches_by_owner"] = self.owners
        if len(review.what_if):
            self.downloads["what_if_criteria"] = review.what_if

    def plot(self, ax: plt.Axes | None = None) -> plt.Axes:
        """Compliance with each agreed criterion, with 95% intervals."""
        return plot_criteria(self.table.dropna(subset=["rate"]), ax)

    def empty_reason(self) -> str | None:
        if "incidents" not in self.review.data:
            return "no incidents file was given"
        return None
    def _body_html(self) -> str:
        review = self.review
        if "incidents" not in review.data:
            return note_html("No incidents file was given, so no procedure can be checked.")
        table = self.table
        judged = table.dropna(subset=["rate"])
        parts = [paragraphs_html(self._findings(judged))]
        if len(judged):
            fig, ax = plt.subplots(figsize=(8, 0.45 * len(judged) + 1.2))
            plot_criteria(judged, ax)
            parts.append(figure_html(fig, alt="Bar chart of the share of incidents meeting each "
                                              "agreed criterion, with 95% intervals."))
        shown = table[["criterion", "statement", "severity", "n", "failed", "not_applicable",
                       "rate", "ci_low", "ci_high"]]
        parts.append(table_html(
            shown, formats={"n": fmt_count, "failed": fmt_count, "not_applicable": fmt_count,
                            "rate": lambda v: "not measurable" if pd.isna(v) else fmt_pct(v),
                            "ci_low": fmt_pct, "ci_high": fmt_pct},
            labels={"n": "judged", "not_applicable": "not applicable", "rate": "met %",
                    "ci_low": "95% CI low", "ci_high": "95% CI high"},
            caption="Every agreed criterion, incidents of the period"))
        parts.append(self._by_team_html())
        parts.append(self._trend_html())
        parts.append("<h3>Who held the clock at breach</h3>")
        parts.append(self._owners_html())
        parts.append("<h3>Priority grading: expected against recorded</h3>")
        parts.append(self._grading_html())
        if len(review.what_if):
            parts.append("<h3>What if the criteria were different</h3>")
            parts.append(paragraphs_html([
                "The same incidents judged under the alternative criteria of the parameter file "
                "(what_if_criteria), side by side with the agreed ones."]))
            parts.append(table_html(review.what_if, formats={
                col: fmt_pct for col in review.what_if.columns if "rate" in col}))
        health = review.clock_health
        if len(health):
            parts.append(table_html(health, caption="What the clocks had to cope with (counted, "
                                                    "never dropped)",
                                    formats={"n": fmt_count, "out_of": fmt_count}))
        return "".join(parts)

    def _findings(self, judged: pd.DataFrame) -> list[str]:
        if not len(judged):
            return ["No criterion could be judged on the incidents of this period."]
        worst = judged.assign(order=judged["severity"].map(SEVERITY_ORDER))
        worst = worst.sort_values(["rate", "order"]).head(3)
        sentences = [
            f"{plural(len(judged), 'criterion', 'criteria')} were checked on every incident of the "
            "period. Least met: " + "; ".join(
                f"{r.statement.rstrip('.')} ({fmt_pct(r.rate)} of {fmt_count(r.n)}, "
                f"{r.severity} severity)" for r in worst.itertuples()) + "."]
        unmeasured = self.table[self.table["n"] == 0]
        if len(unmeasured):
            t = self.review.criteria_table
            t = t[t["criterion"].isin(unmeasured["criterion"]).to_numpy()]
            why = (t.groupby("criterion", observed=True)["detail"]
                   .agg(lambda s: s.astype(str).mode().iat[0]) if len(t) else pd.Series(dtype=str))
            sentences.append("Not measurable on this data, so not counted as met: " + "; ".join(
                f"{r.statement.rstrip('.')} ({why.get(r.criterion, 'nothing to judge')})"
                for r in unmeasured.itertuples()) + ".")
        na = judged[judged["not_applicable"] > 0]
        if len(na):
            sentences.append("Not applicable means the criterion does not apply to the incident "
                             "(outside its scope, still open, or cancelled) or the data to judge it "
                             "is missing; those incidents are left out of the rate.")
        return sentences

    def _by_team_html(self) -> str:
        review = self.review
        rates = criterion_rates(review.criteria_table, review.data["incidents"],
                                by=c.ASSIGNED_TEAM)
        rates = rates[rates["n"] >= MIN_TEAM_INCIDENTS]
        if not len(rates):
            return ""
        self.downloads["criteria_by_team"] = rates
        wide = rates.pivot(index=c.ASSIGNED_TEAM, columns="criterion", values="rate")
        order = [k for k in self.table["criterion"] if k in wide.columns]
        size = rates.groupby(c.ASSIGNED_TEAM, observed=True)["n"].max()
        wide = wide[order].loc[size.sort_values(ascending=False, kind="stable").index]
        wide = wide.rename_axis(None, axis=1).reset_index()
        wide.columns = ["team", *(col.replace("_", " ") for col in wide.columns[1:])]
        return table_html(wide, formats={col: fmt_pct for col in wide.columns[1:]}, max_rows=15,
                          caption=f"Share met per criterion and assigned team, largest teams first "
                                  f"(at least {MIN_TEAM_INCIDENTS} incidents judged; the download "
                                  "has every team with intervals)")

    def _trend_html(self) -> str:
        trend = self.review.criteria_trend
        if not len(trend) or trend["period_start"].nunique() < 3:
            return ""
        fig, ax = plt.subplots(figsize=(8, 3.6))
        judged = trend[trend["n"] >= MIN_TEAM_INCIDENTS]
        for i, (criterion, rows) in enumerate(judged.groupby("criterion", sort=False,
                                                              observed=True)):
            ax.plot(rows["period_start"], rows["rate"], marker="o", markersize=3,
                    color=PALETTE[i % len(PALETTE)], ls="-" if i < len(PALETTE) else "--",
                    label=str(criterion).replace("_", " "))
        ax.yaxis.set_major_formatter(plt.matplotlib.ticker.PercentFormatter(1.0))
        ax.set(title="Compliance with each criterion, month by month", ylabel="Share met",
               xlabel="Month")
        ax.legend(loc="upper left", bbox_to_anchor=(1, 1), fontsize=8)
        return figure_html(fig, alt="Line chart of the monthly share of incidents meeting each "
                                    "agreed criterion.",
                           caption="All incidents in the data, judged as known at the period end; "
                                   "months with fewer than 30 judged are left out.")

    def _grading_html(self) -> str:
        audit = self.review.grading_audit
        wide = audit.wide
        if not len(wide):
            return paragraphs_html(["No incident of the period has both impact and urgency, so "
                                    "the expected priority cannot be worked out."])
        confusion = wide.copy()
        confusion.index = [f"expected P{int(p)}" for p in confusion.index]
        confusion.columns = [f"recorded P{int(p)}" for p in confusion.columns]
        confusion = confusion.rename_axis("").reset_index()
        effect = audit.effect
        sentences = []
        for row in effect[effect["grading"] == "under_graded"].itertuples():
            if row.n:
                sentences.append(
                    f"Under-graded incidents (recorded at a lower priority than the matrix gives) "
                    f"met their {row.target} target {fmt_pct(row.rate)} of the time as recorded, "
                    f"but only {fmt_pct(row.rate_at_expected)} on the targets of the priority they "
                    f"should have had ({fmt_count(row.n)} incidents).")
        shown = effect[["target", "grading", "n", "rate", "ci_low", "ci_high", "rate_at_expected",
                        "ci_low_at_expected", "ci_high_at_expected"]].assign(
            grading=effect["grading"].str.replace("_", " "))
        pct = {col: fmt_pct for col in shown.columns if col.startswith(("rate", "ci_"))}
        return (paragraphs_html(sentences)
                + table_html(confusion, formats={col: fmt_count for col in confusion.columns[1:]},
                             caption="Incidents of the period: priority the impact x urgency "
                                     "matrix gives (rows) against the priority recorded (columns)")
                + table_html(shown, formats={"n": fmt_count, **pct},
                             labels={"rate": "met (as recorded)", "ci_low": "95% CI low",
                                     "ci_high": "95% CI high",
                                     "rate_at_expected": "met (on expected priority)",
                                     "ci_low_at_expected": "95% CI low",
                                     "ci_high_at_expected": "95% CI high"},
                             caption="Compliance by grading, as recorded and on the targets of "
                                     "the expected priority"))

    def _owners_html(self) -> str:
        owners = self.owners
        if "incident_events" not in self.review.data:
            return note_html("No incident events were given, so who held each incident when its "
                             "target passed cannot be told.")
        if not len(owners):
            return paragraphs_html(["No target was breached in the period."])
        sentences = []
        for target, rows in owners.groupby("target", sort=False):
            top = rows.iloc[0]
            sentences.append(
                f"{target.capitalize()} targets: {fmt_count(rows['breaches'].sum())} breached; "
                f"{top[c.TEAM]} held {fmt_pct(top['share'])} of them when the target passed.")
        return paragraphs_html(sentences) + table_html(
            owners, formats={"breaches": fmt_count, "share": fmt_pct}, max_rows=15,
            caption="Breached targets by the team holding the incident when the target passed")


class CaseForChange(Section):
    """Evidence that a change is needed, metric by metric, ready for consultation."""

    def __init__(self, review: Review) -> None:
        super().__init__(review)
        self.table = cases_for_change(review)
        if len(self.table):
            self.downloads = {"case_for_change": self.table}

    def _body_html(self) -> str:
        if not len(self.table):
            return paragraphs_html(["No sustained signal, worsening or missed target calls for a "
                                    "change this period."])
        strong = self.table[self.table["sources"] >= 2]
        sentences = [
            f"{plural(len(self.table), 'metric or criterion', 'metrics or criteria')} show evidence "
            f"that something should change; {len(strong)} of them on two or more kinds of "
            "evidence that agree (a sustained control-chart signal, a worsening beyond chance, a "
            "missed target).",
            "Before agreeing a change, take the case to the people who work the process (the "
            "consult column): they know the causes the numbers cannot show, and a change they "
            "helped shape is one they will carry out. Record who was consulted, when, what they "
            "said and the decision in the change register; the change's own evaluation will then "
            "judge it against the effect it was expected to have.",
        ]
        labels = {"kpi": "metric or criterion", "sources": "kinds of evidence",
                  "uncertainty": "95% interval of the change"}
        shown = self.table.drop(columns=["metric"])
        first = shown[shown["sources"] >= 2] if len(strong) else shown.head(5)
        rest = shown.drop(first.index)
        return (paragraphs_html(sentences)
                + table_html(first, labels=labels, caption="The case for change: evidence, size and "
                             "uncertainty, strongest first")
                + details_html(f"{plural(len(rest), 'more metric or criterion', 'more metrics or criteria')} "
                               "with one kind of evidence",
                               table_html(rest, labels=labels, max_rows=20) if len(rest) else ""))
