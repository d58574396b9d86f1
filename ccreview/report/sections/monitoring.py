"""The monitoring-methods report: QA methods compared, evaluators who score apart, agreement
on contacts scored twice, and whether the QA sample is big enough."""

from __future__ import annotations

import html

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ccreview.kpis.monitoring import MATERIAL_POINTS, SCORE_BANDS
from ccreview.report.formatting import details_html, figure_html, note_html, paragraphs_html, table_html
from ccreview.report.plots import PALETTE
from ccreview.report.publish import SUMMARY_MIMETYPE
from ccreview.report.sections.base import Section
from ccreview.review.monitoring import MONITORING_MONTHS
from ccreview.review.review import Review
from ccreview.wording import fmt_number, fmt_pct, plural

__all__ = ["EvaluatorAgreement", "MonitoringMethods", "QaSampleSize"]

_NO_QA = "No qa_evaluations file was supplied: QA methods cannot be compared."
_METHOD_NAMES = {
    "live": "Live listening",
    "recorded": "Recorded review",
    "side_by_side": "Side by side",
    "automated": "Automated scoring",
    "mystery_shopper": "Mystery shopping",
}


def _name(method: str) -> str:
    return _METHOD_NAMES.get(method, str(method).replace("_", " ").capitalize())


class _Qa(Section):
    def empty_reason(self) -> str | None:
        qa = self.review.qa_for_methods
        if qa is None:
            return _NO_QA
        if not len(qa):
            return f"No QA evaluation falls in the {MONITORING_MONTHS} months to the end of the period."
        return None


class MonitoringMethods(_Qa):
    """Each QA method's coverage, precision, detection, timeliness and cost, side by side, and
    the strengths and weaknesses those numbers show."""

    def __init__(self, review: Review, hours_per_evaluation: dict[str, float] | None = None) -> None:
        super().__init__(review)
        if review.qa_for_methods is None or not len(review.qa_for_methods):
            self.table = pd.DataFrame()
            return
        from ccreview.kpis.monitoring import strengths_and_weaknesses

        self.table = review.method_profile(hours_per_evaluation)
        self.judgement = strengths_and_weaknesses(self.table)
        self.downloads = {"qa_methods": self.table}

    def summary(self) -> str:
        weak = self.judgement[self.judgement["weaknesses"].str.contains("fewer critical errors")]
        apart = self.review.evaluator_leniency
        apart = apart[apart["apart"]]
        parts = [f"{len(self.review.qa_for_methods):,} QA evaluations by {len(self.table)} methods"]
        parts += [f"{_name(m)} finds fewer critical errors" for m in weak["method"]]
        parts += [
            f"evaluator {e} scores {d:+.1f} points apart"
            for e, d in zip(apart["evaluator"], apart["difference"], strict=True)
        ]
        return "; ".join(parts) + "."

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        bundle = super()._repr_mimebundle_(include, exclude)
        if not self.empty_reason():
            bundle[SUMMARY_MIMETYPE] = {"summary": self.summary()}
        return bundle

    def plot(self, ax=None):
        """Critical errors found per 100 evaluations by each method, with 95% intervals."""
        ax = ax if ax is not None else plt.subplots(figsize=(8, 3))[1]
        t = self.table.iloc[::-1]
        y = np.arange(len(t))
        ax.barh(
            y,
            t["critical_rate"],
            color=[
                PALETTE[3] if (q < 0.05 and d < 0) else PALETTE[0]
                for q, d in zip(t["vs_ref_q"].fillna(1), t["critical_vs_ref"].fillna(0), strict=True)
            ],
        )
        err = np.vstack([t["critical_rate"] - t["critical_low"], t["critical_high"] - t["critical_rate"]])
        ax.errorbar(t["critical_rate"], y, xerr=err, fmt="none", ecolor="0.3", capsize=3)
        ax.set_yticks(y, [_name(m) for m in t["method"]])
        ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
        ax.set(
            xlabel="Evaluations that flag a critical error (95% interval)",
            title="Critical errors found, by monitoring method",
        )
        return ax

    def _body_html(self) -> str:
        t = self.table
        shown = pd.DataFrame(
            {
                "method": t["method"].map(_name),
                "evaluations": t["evaluations"],
                "coverage": [
                    f"{fmt_pct(a, 2)} of contacts, {fmt_pct(b, 0)} of agents"
                    for a, b in zip(t["contact_share"], t["agent_share"], strict=True)
                ],
                "precision": [
                    f"±{fmt_number(p)} points ({fmt_number(n, 0)} per agent)"
                    for p, n in zip(t["precision_points"], t["per_agent"], strict=True)
                ],
                "detection": [
                    f"{fmt_pct(r)} ({fmt_pct(lo)}–{fmt_pct(hi)})"
                    for r, lo, hi in zip(
                        t["critical_rate"], t["critical_low"], t["critical_high"], strict=True
                    )
                ],
                "timeliness": [
                    f"{fmt_number(m)} days (90%: {fmt_number(p)})"
                    for m, p in zip(t["lag_days_median"], t["lag_days_p90"], strict=True)
                ],
                "cost": [
                    f"{fmt_number(h, 2)} h each, {fmt_number(total, 0)} h in all"
                    for h, total in zip(t["hours_each"], t["hours"], strict=True)
                ],
            }
        )
        judged = self.judgement.assign(method=self.judgement["method"].map(_name))
        ref = _name(str(t["reference"].iloc[0]))
        if t["critical_rate"].notna().any():
            fig, ax = plt.subplots(figsize=(8, 3))
            self.plot(ax)
            caption = (f"Red: fewer than {ref} (the most used method) beyond chance, with the false "
                       "discovery rate held at 5%.")
            chart = figure_html(fig, alt="Bar chart of the share of evaluations flagging a critical error by "
                                "each QA method, with 95% intervals", caption=caption)
        else:
            chart = note_html("The QA file records no critical_error column, so detection is not compared.")
        return (
            f'<p class="ccr-lead">{html.escape(self.summary())}</p>'
            + table_html(
                shown,
                caption=f"QA methods over the {MONITORING_MONTHS} months to the end of the period",
                labels={
                    "method": "Method",
                    "evaluations": "Evaluations",
                    "coverage": "Coverage",
                    "precision": "Precision of an agent's mean score (95%)",
                    "detection": "Critical errors flagged (95%)",
                    "timeliness": "Contact to evaluation, median",
                    "cost": "Evaluator time",
                },
            )
            + chart
            + table_html(
                judged,
                caption="Strengths and weaknesses, from the numbers above",
                labels={"method": "Method", "strengths": "Strengths", "weaknesses": "Weaknesses"},
            )
            + details_html(
                "How these are measured",
                paragraphs_html(
                    [
                        "Coverage: evaluations as a share of the contacts answered in the same months, and "
                        "the "
                        "share of answering agents observed at least once.",
                        "Precision: the 95% half-width of one agent's mean score at the median number of "
                        "evaluations per agent, from the method's score spread (t interval).",
                        f"Detection: evaluations flagging a critical error, with Wilson intervals, against "
                        f"{ref} (Newcombe's interval of the difference; Benjamini-Hochberg across methods). "
                        "The methods "
                        "look at comparable contacts, so a method that flags fewer is missing errors.",
                        "Timeliness: from the end of the contact to its evaluation.",
                        "Cost: evaluator hours per evaluation, a parameter of the notebook "
                        "(hours_per_evaluation), times the evaluations.",
                    ]
                ),
            )
        )


class EvaluatorAgreement(_Qa):
    """Evaluators who score apart from the others, and agreement where a contact was scored twice."""

    def __init__(self, review: Review) -> None:
        super().__init__(review)
        if review.qa_for_methods is None or not len(review.qa_for_methods):
            self.table = pd.DataFrame()
            return
        self.table = review.evaluator_leniency
        self.agreement = review.evaluator_agreement
        self.downloads = {"qa_evaluators": self.table}

    def _body_html(self) -> str:
        t = self.table
        apart = t[t["apart"]]
        lead = (
            f"{plural(len(apart), 'evaluator')} {'scores' if len(apart) == 1 else 'score'} apart from the "
            "others beyond chance: "
            + "; ".join(
                f"{e} by {d:+.1f} points ({lo:+.1f} to {hi:+.1f})"
                for e, d, lo, hi in zip(
                    apart["evaluator"], apart["difference"], apart["ci_low"], apart["ci_high"], strict=True
                )
            )
            + ". A calibration session with them is the fix."
            if len(apart)
            else f"No evaluator scores more than {MATERIAL_POINTS:.0f} points apart from the others "
            "beyond chance."
        )
        shown = t.assign(
            difference=[
                f"{d:+.1f} ({lo:+.1f} to {hi:+.1f})"
                for d, lo, hi in zip(t["difference"], t["ci_low"], t["ci_high"], strict=True)
            ],
            q_value=t["q_value"].map(lambda q: "< 0.001" if q < 0.001 else f"{q:.3f}"),
            apart=t["apart"].map({True: "yes", False: ""}),
        )
        parts = [
            f'<p class="ccr-lead">{html.escape(lead)}</p>',
            table_html(
                shown[["evaluator", "evaluations", "mean_score", "difference", "q_value", "apart"]],
                caption="Each evaluator against the others on the same methods",
                labels={
                    "evaluator": "Evaluator",
                    "evaluations": "Evaluations",
                    "mean_score": "Mean score",
                    "difference": "Points above the others (95%)",
                    "q_value": "Chance (adjusted p)",
                    "apart": f"Apart (beyond chance, ≥ {MATERIAL_POINTS:.0f} points)",
                },
            ),
        ]
        a = self.agreement
        if a["pairs"] < 2:
            parts.append(
                note_html(
                    "No contact was scored twice by different evaluators, so agreement between "
                    "evaluators cannot be measured; double-score a sample (5% is usual)."
                )
            )
            return "".join(parts)
        missing = {"kappa": np.nan, "ci_low": np.nan, "ci_high": np.nan}  # no critical flags recorded
        k, b, icc = a["critical"] or missing, a["bands"], a["icc"]
        bands = ", ".join(f"{x:.0f}" for x in SCORE_BANDS)
        rows = pd.DataFrame(
            {
                "measure": ["Critical error flag", f"Score band (cut at {bands})", "Score"],
                "statistic": ["Cohen's kappa", "Weighted kappa (quadratic)", "ICC(2,1), absolute agreement"],
                "value": [
                    f"{k['kappa']:.2f} ({k['ci_low']:.2f} to {k['ci_high']:.2f})" if np.isfinite(k["kappa"])
                    else "not recorded",
                    f"{b['kappa']:.2f} ({b['ci_low']:.2f} to {b['ci_high']:.2f})",
                    f"{icc['icc']:.2f} ({icc['ci_low']:.2f} to {icc['ci_high']:.2f})",
                ],
                "agreement": [_strength(k["kappa"]), _strength(b["kappa"]),
                              _strength(icc["icc"], _ICC_WORDS)],
            }
        )
        parts += [
            f"<h3>Agreement on {a['pairs']:,} contacts scored twice</h3>",
            table_html(
                rows,
                caption="Agreement between a first and a second evaluator (95% intervals)",
                labels={
                    "measure": "What",
                    "statistic": "Statistic",
                    "value": "Value",
                    "agreement": "Agreement (kappa: Landis & Koch; ICC: Koo & Li)",
                },
            ),
        ]
        return "".join(parts)


#: words for kappa (Landis & Koch 1977) and for an intraclass correlation (Koo & Li 2016)
_KAPPA_WORDS = ((0.2, "slight"), (0.4, "fair"), (0.6, "moderate"), (0.8, "substantial"),
                (np.inf, "almost perfect"))
_ICC_WORDS = ((0.5, "poor"), (0.75, "moderate"), (0.9, "good"), (np.inf, "excellent"))


def _strength(value: float, words=_KAPPA_WORDS) -> str:
    """The conventional word for an agreement coefficient."""
    if not np.isfinite(value):
        return "–"
    return next(word for limit, word in words if value <= limit)


class QaSampleSize(_Qa):
    """Whether the QA sample can tell what it is asked: an agent's score to a useful precision,
    and a rise in critical errors from one period to the next."""

    def __init__(self, review: Review) -> None:
        super().__init__(review)
        if review.qa_for_methods is None or not len(review.qa_for_methods):
            self.table = pd.DataFrame()
            return
        self.table = review.qa_sample_sizes

    def _body_html(self) -> str:
        t = self.table
        shown = t.assign(
            needed=t["needed"].map(lambda v: f"{v:,.0f}"), actual=t["actual"].map(lambda v: f"{v:,.0f}")
        )
        short = t[t["verdict"] == "too few"]
        lead = (
            "The QA sample is big enough for both questions."
            if not len(short)
            else "The QA sample is too small to tell " + "; ".join(q.lower() for q in short["question"]) + "."
        )
        return (
            f'<p class="ccr-lead">{html.escape(lead)}</p>'
            + table_html(
                shown,
                caption="What the sample can tell, per review period",
                labels={
                    "question": "Question",
                    "needed": "Evaluations needed",
                    "actual": "Evaluations there are",
                    "verdict": "Verdict",
                    "detail": "How",
                },
            )
            + details_html(
                "Formulas",
                paragraphs_html(
                    [
                        "An agent's mean: n = (z·SD / margin)², z = 1.96.",
                        "A rise in a rate: the two-sample test of proportions with 80% power at 5% "
                        "(two-sided), as R's power.prop.test; the evaluations of the period are compared "
                        "with those of the "
                        "period before, half each.",
                    ]
                ),
            )
        )
