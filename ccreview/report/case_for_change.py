"""The case for change: sustained evidence turned into what a manager takes to colleagues.

Each case gathers, for one metric, the evidence of this review that it is off course:
sustained control-chart signals in the period (two or more weeks in a row on the worse
side), a worsening against the previous period beyond chance, a KPI target missed, and
agreed criteria met least often. A case states the evidence, its size and its uncertainty,
and the metric a change should move; cases backed by more kinds of evidence come first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ccreview.kpis.catalogue import METRICS
from ccreview.report.formatting import fmt_change, fmt_metric
from ccreview.stats.control_charts import signals_summary
from ccreview.stats.effects import WORSENED
from ccreview.wording import fmt_day, fmt_pct, format_value, strength_of_evidence

if TYPE_CHECKING:  # pragma: no cover
    from ccreview.review.review import Review

__all__ = ["CASE_COLUMNS", "MIN_SIGNAL_WEEKS", "cases_for_change"]

CASE_COLUMNS = ["metric", "kpi", "evidence", "size", "uncertainty", "sources", "owner",
                "consult"]
#: a control-chart signal is sustained from this many weeks in a row
MIN_SIGNAL_WEEKS = 2
#: criteria met less often than this are cases of their own
CRITERION_FLOOR = 0.9


def _worse_side(metric: str) -> str | None:
    better = METRICS[metric].better
    return {"higher": "below", "lower": "above"}.get(better)


def _signals(review: Review) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    start = review.params.start.tz_localize(None).normalize()
    unit = "day" if review.params.chart_freq == "D" else "week"
    for name, chart in review.control_charts.items():
        runs = signals_summary(chart, metric=name)
        if not len(runs):
            continue
        worse = _worse_side(name)
        last = pd.to_datetime(runs["last_period"])
        keep = (last >= start) & (runs["points"] >= MIN_SIGNAL_WEEKS)
        if worse:
            keep &= runs["direction"] == worse
        for run in runs[keep.to_numpy()].itertuples(index=False):
            out.setdefault(name, []).append(
                f"control chart: {run.points} {unit}s {run.direction} the centre line from the "
                f"{unit} of {fmt_day(pd.Timestamp(run.first_period))} "
                f"({run.rules.replace('_', ' ')})")
    return out


def cases_for_change(review: Review) -> pd.DataFrame:
    """Cases for change, strongest first.

    Returns
    -------
    DataFrame
        ``metric`` (what a change should move), ``kpi`` (its label), ``evidence`` (each
        source, "; "-joined), ``size`` (this period against the previous one, or against
        target), ``uncertainty`` (95% interval of that change), ``sources`` (how many kinds
        of evidence agree), ``owner`` (objective owner, else the contact-centre team) and
        ``consult`` (teams to consult: the contact centre and the resolver teams the metric
        involves).
    """
    owners = {k["metric"]: o.owner for o in review.params.objectives for k in o.kpis}
    centre = review.params.services.contact_centre_team
    evidence: dict[str, list[str]] = {name: list(items) for name, items in _signals(review).items()}
    size: dict[str, str] = {}
    interval: dict[str, str] = {}
    table = review.comparisons
    if len(table):
        overall = table[(table["segment_by"] == "") & (table["verdict"] == WORSENED)]
        overall = overall[overall["against"] == overall["against"].iloc[0]] if len(overall) else overall
        for row in overall.itertuples(index=False):
            evidence.setdefault(row.metric, []).append(
                f"worse than the {row.against} beyond chance ({strength_of_evidence(row.q_value)})")
            size[row.metric] = (f"{fmt_metric(row.after, row.metric)} against "
                                f"{fmt_metric(row.before, row.metric)}")
            interval[row.metric] = (f"{fmt_change(row.ci_low, row.metric, row.effect_scale)} to "
                                    f"{fmt_change(row.ci_high, row.metric, row.effect_scale)}")
    card = review.scorecard
    for row in card[card["met"].eq(False)].itertuples(index=False):
        evidence.setdefault(row.metric, []).append(
            f"target missed: {format_value(row.value, row.unit)} against "
            f"{format_value(row.target, row.unit)}")
        size.setdefault(row.metric, f"{format_value(row.value, row.unit)} against a target of "
                                    f"{format_value(row.target, row.unit)}")
    rows = []
    for metric, items in evidence.items():
        if metric not in METRICS:
            continue
        teams = [centre] if METRICS[metric].table == "contacts" else \
            [centre, "the resolver teams"]
        rows.append({"metric": metric, "kpi": METRICS[metric].label,
                     "evidence": "; ".join(items), "size": size.get(metric, ""),
                     "uncertainty": interval.get(metric, ""),
                     "sources": len({i.split(":")[0].split(" (")[0] for i in items}),
                     "owner": owners.get(metric, centre), "consult": ", ".join(teams)})
    if "incidents" in review.data:
        scorecard = review.criteria_scorecard
        # the response and resolution targets are there already, as compliance KPIs
        weak = scorecard[(scorecard["rate"] < CRITERION_FLOOR) & (scorecard["n"] >= 30)
                         & (scorecard["kind"] != "target")]
        for row in weak.itertuples(index=False):
            rows.append({"metric": row.criterion, "kpi": row.statement,
                         "evidence": f"agreed criterion met in {fmt_pct(row.rate)} of "
                                     f"{row.n:,} incidents ({row.severity} severity)",
                         "size": f"{row.failed:,} incidents failed it",
                         "uncertainty": f"{fmt_pct(row.ci_low)} to {fmt_pct(row.ci_high)} met",
                         "sources": 1, "owner": centre,
                         "consult": f"{centre}, the resolver teams"})
    out = pd.DataFrame(rows, columns=CASE_COLUMNS)
    order = np.lexsort((out["kpi"].to_numpy(dtype=str), -out["sources"].to_numpy(dtype=int)))
    return out.iloc[order].reset_index(drop=True)
