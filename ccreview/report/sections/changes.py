"""Change sections: the evidence for one agreed change, and the verdicts of the period."""

from __future__ import annotations

import html

import matplotlib.pyplot as plt
import pandas as pd

from ccreview.data import columns as c
from ccreview.kpis.catalogue import METRICS
from ccreview.report.change_plots import plot_did_gap
from ccreview.report.formatting import (
    details_html,
    figure_html,
    fmt_change,
    note_html,
    paragraphs_html,
    table_html,
)
from ccreview.report.publish import SUMMARY_MIMETYPE
from ccreview.report.sections.base import Section
from ccreview.review.changes import CANNOT_JUDGE, ChangeEvaluation, report_name
from ccreview.review.review import Review
from ccreview.stats.change_verdicts import (
    ACHIEVED,
    INCONCLUSIVE,
    NOT_ACHIEVED,
    SMALLER_THAN_EXPECTED,
    TOO_LITTLE_DATA,
)
from ccreview.wording import fmt_day, in_sentence

__all__ = ["ChangeEvidence", "ChangeRecord", "ChangeVerdicts", "verdict_html"]

#: axis labels per metric unit
UNIT_LABELS = {"share": "Share", "seconds": "Seconds", "hours": "Hours", "count": "Per day",
               "per 1,000": "Per 1,000 contacts", "score": "Score"}
#: verdict -> CSS status class
VERDICT_CLASS = {ACHIEVED: "ccr-status-ok", SMALLER_THAN_EXPECTED: "ccr-status-warn",
                 NOT_ACHIEVED: "ccr-status-bad",
                 INCONCLUSIVE: "ccr-status-warn", TOO_LITTLE_DATA: "ccr-status-warn",
                 CANNOT_JUDGE: "ccr-status-bad"}


def verdict_html(evaluation: ChangeEvaluation) -> str:
    """The verdict in words, coloured, with its sentence."""
    verdict = evaluation.verdict
    css = VERDICT_CLASS.get(verdict.verdict, "ccr-status-warn")
    return (f'<div class="ccr-summary"><strong>Verdict: <span class="{css}">'
            f"{html.escape(verdict.verdict)}</span></strong>"
            f"<p>{html.escape(verdict.sentence)}</p></div>")


def design_sentence(evaluation: ChangeEvaluation) -> str:
    """How the verdict is reached, fixed before the outcome is seen, and how weeks are treated."""
    ev = evaluation
    if ev.did is not None:
        text = (f"How this is judged, decided before looking at the result: the change is compared with "
                f"{ev.comparison_group}, which it did not touch (a difference in differences), so that "
                "whatever hit the whole centre in the same weeks cancels out. If the two groups are not "
                "shown to have moved in parallel before the change, the comparison allows for the gap "
                "between them drifting as it did. The trend of the changed scope on its own (an "
                "interrupted time series) is shown beside it for reference.")
    else:
        text = ("How this is judged, decided before looking at the result: the scope has no untouched "
                "comparison group, so the weeks after the change are compared with the level and trend "
                "of the weeks before it, extended (an interrupted time series).")
    result = ev.did if ev.did is not None else ev.its
    if result is not None and result.autocorrelation is not None:
        phi = result.autocorrelation
        here = (f"here a week's deviation carries into the next with a correlation of {phi:.2f}"
                if phi >= 0.1 else "here neighbouring weeks turned out close to independent")
        text += (" Neighbouring weeks are not assumed independent (a bad week tends to follow a bad "
                 f"week; {here}), and the intervals allow for that.")
    return text


def special_cause_sentences(evaluation: ChangeEvaluation) -> list[str]:
    """Which weeks were left out of the fits because a special cause hit them."""
    result = evaluation.did if evaluation.did is not None else evaluation.its
    if result is None or not result.special_causes:
        return []
    causes = evaluation.special_causes
    named = []
    for week in result.special_causes:
        inside = causes[(causes["day"] >= week) & (causes["day"] < week + pd.Timedelta(days=7))]
        named.append(f"{fmt_day(week)} ({', '.join(dict.fromkeys(inside['what']))})")
    return [f"Left out of both models as special causes: the weeks starting {'; '.join(named)}. "
            "A major incident or a week of degraded service moves the metric for reasons other than "
            "the change."]


def _day(value: object) -> str:
    return "–" if value is None or pd.isna(value) else fmt_day(pd.Timestamp(value))


def _text(value: object) -> str:
    return "–" if value is None or pd.isna(value) or not str(value).strip() else str(value)


def _expected(change: pd.Series) -> str:
    metric, effect = change[c.METRIC], change[c.EXPECTED_EFFECT]
    direction = _text(change[c.EXPECTED_DIRECTION])
    if metric in METRICS and not pd.isna(effect):
        return f"{direction}, by {fmt_change(abs(float(effect)), metric, 'difference').lstrip('+')}"
    return direction if pd.isna(effect) else f"{direction}, by {effect:g}"


class ChangeRecord(Section):
    """What was changed, where, by whom, what it should do, and who was consulted."""

    def __init__(self, review: Review, change_id: str) -> None:
        super().__init__(review)
        self.evaluation = review.change_evaluation(change_id)

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        verdict = self.evaluation.verdict
        return {**super()._repr_mimebundle_(include, exclude),
                SUMMARY_MIMETYPE: {"summary": f"Verdict: {verdict.verdict}. {verdict.sentence}"}}

    def _body_html(self) -> str:
        change = self.evaluation.change
        metric = change[c.METRIC]
        label = METRICS[metric].label if metric in METRICS else str(metric)
        facts = pd.DataFrame({"": ["Change", "What", "Scope", "Metric it should move",
                                   "Expected effect", "Agreed on", "Implemented on", "Owner",
                                   "Status"],
                              "value": [f"{change[c.CHANGE_ID]}: {change[c.TITLE]}",
                                        _text(change.get(c.DESCRIPTION)), self.evaluation.scope,
                                        label, _expected(change), _day(change[c.AGREED_ON]),
                                        _day(change[c.IMPLEMENTED_ON]), _text(change[c.OWNER]),
                                        _text(change[c.STATUS])]})
        consulted = pd.DataFrame({"": ["Consulted", "When", "What they said", "Decision"],
                                  "value": [_text(change.get(c.CONSULTED)),
                                            _day(change.get(c.CONSULTED_ON)),
                                            _text(change.get(c.CONSULTATION_OUTCOME)),
                                            _text(change.get(c.DECISION))]})
        parts = [verdict_html(self.evaluation), table_html(facts, caption="The change"),
                 "<h3>Consultation</h3>",
                 table_html(consulted, caption="Who was consulted before the change was agreed")]
        if consulted["value"].iloc[0] == "–":
            parts.append(note_html("The register records no consultation for this change: the "
                                   "people who work the process were not asked, or it was not "
                                   "written down."))
        return "".join(parts)


class ChangeEvidence(Section):
    """Before and after: interrupted time series, difference in differences, confounders."""

    def __init__(self, review: Review, change_id: str) -> None:
        super().__init__(review)
        self.evaluation = review.change_evaluation(change_id)
        ev = self.evaluation
        if ev.its is not None:
            self.table = ev.its.effect
            stem = review.change_stems.get(str(ev.change_id), str(ev.change_id))
            self.downloads = {f"{stem}_weekly_series": ev.treated,
                              f"{stem}_its_coefficients": ev.its.table}
            if ev.did is not None:
                self.downloads[f"{stem}_comparison_series"] = ev.control

    def plot(self, ax=None, *, comparison_group: bool = False):
        """The interrupted time series (or, ``comparison_group=True``, the difference in
        differences) chart on ``ax``; returns the Axes."""
        result = self.evaluation.did if comparison_group else self.evaluation.its
        if result is None:
            raise ValueError("Nothing was estimated for this change: " + " ".join(self.evaluation.issues))
        return result.plot(ax)

    def _body_html(self) -> str:
        ev = self.evaluation
        parts = [note_html(issue) for issue in ev.issues]
        if ev.its is None:
            parts.append(paragraphs_html(["Nothing can be estimated until the register entry is "
                                          "corrected."]))
            return "".join(parts) + self._confounders_html()
        metric = METRICS[ev.change[c.METRIC]]
        parts.append(paragraphs_html([design_sentence(ev)]))
        parts.extend(note_html(sentence) for sentence in special_cause_sentences(ev))
        parts.append("<h3>Before and after (interrupted time series)</h3>")
        parts.append(paragraphs_html([
            f"Weekly {in_sentence(metric.label)} ({ev.scope}) before and after the change, with a "
            "segmented regression: the trend before the change, extended (dashed), is what would "
            "have been expected without it. " + ev.its.headline()]))
        ylabel = UNIT_LABELS.get(metric.unit, metric.unit)
        fig, ax = plt.subplots(figsize=(8, 3.4))
        ev.its.plot(ax, title=f"{metric.label}, {ev.scope}", ylabel=ylabel)
        parts.append(figure_html(fig, alt=f"Weekly {in_sentence(metric.label)} before and after "
                                          f"{ev.change_id}, with the fitted trend and the "
                                          "counterfactual."))
        parts.extend(note_html(w) for w in ev.its.warnings)
        if ev.did is not None:
            parts.append("<h3>Against a comparison group</h3>")
            sentences = [f"The same metric for {ev.comparison_group}, which the change did not "
                         "touch: anything that hit the whole centre at the same time (a surge, a "
                         "system outage) shows in both and cancels out. " + ev.did.headline()]
            if ev.did.parallel_trends is not None:
                sentences.append(ev.did.parallel_trends.sentence)
            if ev.did.drift_allowed:
                sentences.append("The estimate therefore lets the gap between the groups keep drifting "
                                 "as it did before the change (a comparative interrupted time series).")
            parts.append(paragraphs_html(sentences))
            fig, ax = plt.subplots(figsize=(8, 3.4))
            plot_did_gap(ev.did, ax, title=f"{metric.label}: changed scope minus comparison group",
                         ylabel=f"{ylabel}, difference")
            parts.append(figure_html(fig, alt=f"Weekly difference in {in_sentence(metric.label)} between "
                                              "the changed scope and the comparison group around the "
                                              "change, with the fitted gap and the gap expected without "
                                              "the change."))
            fig, ax = plt.subplots(figsize=(8, 3.0))
            ev.did.plot(ax, title=f"{metric.label}: changed scope and comparison group",
                        ylabel=ylabel)
            parts.append(details_html("Both groups on one chart", figure_html(
                fig, alt=f"Weekly {in_sentence(metric.label)} of the changed scope and of the "
                         "comparison group around the change.")))
            parts.extend(note_html(w) for w in ev.did.warnings)
        parts.append(table_html(self._estimates(), caption="Estimated effect of the change "
                                                           "(average over the weeks after it)",
                                labels={"weeks_before": "weeks before", "weeks_after": "weeks after",
                                        "ci_low": "95% interval from", "ci_high": "to"}))
        return "".join(parts) + self._confounders_html()

    def _estimates(self) -> pd.DataFrame:
        ev = self.evaluation
        metric = ev.change[c.METRIC]
        rows = []
        for name, result in (("Against the trend before the change", ev.its),
                             ("Against the comparison group", ev.did)):
            if result is None:
                continue
            row = result.effect.iloc[0]
            rows.append({"method": name, "weeks_before": int(result.n_before),
                         "weeks_after": int(result.n_after),
                         "effect": fmt_change(row["estimate"], metric, "difference"),
                         "ci_low": fmt_change(row["ci_low"], metric, "difference"),
                         "ci_high": fmt_change(row["ci_high"], metric, "difference")})
        return pd.DataFrame(rows)

    def _confounders_html(self) -> str:
        table = self.evaluation.confounders
        head = "<h3>What else happened</h3>"
        if not len(table):
            return head + paragraphs_html(["No other change on this scope and no major incident "
                                           "fell in the weeks analysed."])
        shown = table[["kind", "what", "when", "scope"]]
        return head + paragraphs_html([
            "Other changes on the same scope and major incidents in the weeks analysed: each "
            "could move the metric too. The comparison group, where there is one, absorbs what "
            "hit the whole centre."]) + table_html(shown, max_rows=20)


class ChangeVerdicts(Section):
    """One row per change evaluated at this review: verdict and its sentence."""

    def __init__(self, review: Review) -> None:
        super().__init__(review)
        rows = [{"change": ev.change_id, "title": ev.change[c.TITLE],
                 "implemented": _day(ev.change[c.IMPLEMENTED_ON]), "scope": ev.scope,
                 "verdict": ev.verdict.verdict, "evidence": ev.verdict.sentence}
                for ev in review.change_evaluations.values()]
        self.table = pd.DataFrame(rows, columns=["change", "title", "implemented", "scope",
                                                 "verdict", "evidence"])
        if len(self.table):
            self.downloads = {"change_verdicts": self.table}

    def _body_html(self) -> str:
        if "changes" not in self.review.data:
            return "<p>No change register was given.</p>"
        if not len(self.table):
            return ("<p>No change of the register was implemented in this period or the one "
                    "before, so none is evaluated.</p>")
        table = table_html(self.table, caption="Changes implemented in this period or the one "
                                               "before, judged against their expected effect")
        if "change_evaluation" not in self.review.params.notebooks:
            return table
        links = " · ".join(
            f'<a href="{html.escape(report_name(cid, self.review.change_stems))}.html">'
            f"{html.escape(cid)}</a>" for cid in self.table["change"])
        # links to the other published reports: hidden in JupyterLab, where they go nowhere
        return table + f'<p class="ccr-small ccr-report-link">The evidence for each change: {links}.</p>'

