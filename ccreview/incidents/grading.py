"""Priority-grading audit: the priority recorded against the one the impact x urgency
matrix gives, and what mis-grading does to response and resolution compliance.

*Under-graded* incidents were recorded as less urgent than the matrix says (a larger
priority number, so looser targets); *over-graded* ones as more urgent. Their
compliance is shown as recorded and as it would have been on the targets of the
priority they should have had.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ccreview.config.criteria import Criteria
from ccreview.data import columns as c
from ccreview.incidents.rule_evaluation import RuleResult, absent_result, verdict
from ccreview.incidents.targets import TARGETS, compliance_rates, in_period, target_outcomes
from ccreview.presentable import Presentable

__all__ = ["GRADES", "GradingAudit", "expected_priority", "grading_audit", "grading_check",
           "grading_classes"]

UNDER, CORRECT, OVER = "under_graded", "correctly_graded", "over_graded"
GRADES = (UNDER, CORRECT, OVER)
EXPECTED, RECORDED = "expected_priority", "recorded_priority"


def expected_priority(
    impact: pd.Series, urgency: pd.Series, matrix: dict[tuple[int, int], int]
) -> np.ndarray:
    """Priority the impact x urgency matrix gives each row (NaN where the pair is not in it)."""
    size = max(max(k) for k in matrix) + 1
    lookup = np.full((size + 1, size + 1), np.nan)
    for (i, u), priority in matrix.items():
        lookup[i, u] = priority
    i = pd.Series(impact).to_numpy(dtype=float, na_value=np.nan)
    u = pd.Series(urgency).to_numpy(dtype=float, na_value=np.nan)
    inside = (i >= 0) & (i <= size) & (u >= 0) & (u <= size)
    out = np.full(len(i), np.nan)
    out[inside] = lookup[i[inside].astype(int), u[inside].astype(int)]
    return out


def grading_check(incidents: pd.DataFrame, *, criteria) -> RuleResult:
    """Recorded priority against the matrix's (``measured`` = recorded, ``target`` =
    expected). Under-graded means recorded as less urgent (a larger number)."""
    n = len(incidents)
    recorded = incidents[c.PRIORITY].to_numpy(dtype=float, na_value=np.nan)
    if c.IMPACT not in incidents or c.URGENCY not in incidents:
        return absent_result(n, "the incidents data has no impact and urgency", "priority")
    expected = expected_priority(incidents[c.IMPACT], incidents[c.URGENCY],
                                 criteria.priority_matrix)
    known = incidents[c.IMPACT].notna().to_numpy(bool) & incidents[c.URGENCY].notna().to_numpy(bool)
    return verdict(
        [~known, np.isnan(expected) | np.isnan(recorded), recorded == expected,
         recorded > expected],
        ["impact or urgency missing", "impact x urgency not in the matrix", "as the matrix",
         "under-graded", "over-graded"],
        recorded, expected, "priority", [2, 2, 0, 1, 1])


def grading_classes(incidents: pd.DataFrame, *, criteria: Criteria) -> pd.DataFrame:
    """Per incident: ``incident_id``, ``expected_priority`` (NaN where impact or urgency is
    missing or outside the matrix), ``recorded_priority`` and ``grading`` (under_graded,
    correctly_graded, over_graded; missing where there is no expected priority)."""
    expected = expected_priority(incidents[c.IMPACT], incidents[c.URGENCY],
                                 criteria.priority_matrix)
    recorded = incidents[c.PRIORITY].to_numpy(dtype=float, na_value=np.nan)
    known = ~np.isnan(expected) & ~np.isnan(recorded)
    grade = np.select([recorded > expected, recorded == expected, recorded < expected],
                      list(GRADES), default="")
    return pd.DataFrame({
        c.INCIDENT_ID: incidents[c.INCIDENT_ID].array,
        EXPECTED: expected,
        RECORDED: recorded,
        "grading": pd.Categorical(np.where(known, grade, None), categories=list(GRADES)),
    })


@dataclass
class GradingAudit(Presentable):
    """Expected against recorded priority, and the effect of mis-grading on compliance.

    Attributes
    ----------
    confusion : DataFrame
        Tidy: ``expected_priority``, ``recorded_priority``, ``n`` and
        ``share_of_expected`` (share of the incidents the matrix puts at that priority).
    effect : DataFrame
        Per ``target`` and ``grading``: ``n``, ``met``, ``rate``, ``ci_low``, ``ci_high`` on
        the recorded priority's targets, and the same with the suffix ``_at_expected`` on
        the targets of the priority the matrix gives.
    """

    confusion: pd.DataFrame
    effect: pd.DataFrame

    @property
    def table(self) -> pd.DataFrame:
        """The tidy confusion table."""
        return self.confusion

    @property
    def wide(self) -> pd.DataFrame:
        """Counts with expected priorities as rows and recorded ones as columns."""
        return self.confusion.pivot(index=EXPECTED, columns=RECORDED, values="n").fillna(0).astype(
            int)


def grading_audit(
    incidents: pd.DataFrame,
    *,
    criteria: Criteria,
    as_of: pd.Timestamp,
    events: pd.DataFrame | None = None,
    start: pd.Timestamp | None = None,
    outcomes: pd.DataFrame | None = None,
) -> GradingAudit:
    """Confusion table of expected against recorded priority, and compliance by grading.

    Parameters
    ----------
    incidents : DataFrame
        Canonical incidents.
    criteria : Criteria
        Priority matrix, targets, calendars and pause states.
    as_of : Timestamp
        End of the period (targets are judged as in :func:`target_outcomes`).
    events : DataFrame, optional
        Incident events, for pauses.
    start : Timestamp, optional
        Start of the period: the confusion table counts incidents opened in
        ``[start, as_of)`` and the effect uses targets judged in it (:func:`in_period`).
    outcomes : DataFrame, optional
        :func:`target_outcomes` of ``incidents`` as recorded, when already computed (the
        review's); only the outcomes at the expected priority are then computed here.

    Returns
    -------
    GradingAudit
    """
    grades = grading_classes(incidents, criteria=criteria)
    opened = incidents[c.OPENED_AT]
    inside = np.ones(len(incidents), dtype=bool) if start is None else (
        ((opened >= start) & (opened < as_of)).to_numpy(dtype=bool, na_value=False))
    known = grades["grading"].notna().to_numpy() & inside
    counts = (grades[known].groupby([EXPECTED, RECORDED]).size().rename("n").reset_index())
    levels = sorted(set(criteria.priorities) | set(counts[EXPECTED]) | set(counts[RECORDED]))
    grid = pd.MultiIndex.from_product([levels, levels], names=[EXPECTED, RECORDED])
    confusion = counts.set_index([EXPECTED, RECORDED]).reindex(grid, fill_value=0).reset_index()
    totals = confusion.groupby(EXPECTED)["n"].transform("sum")
    confusion["share_of_expected"] = confusion["n"] / totals.where(totals > 0)
    confusion[[EXPECTED, RECORDED]] = confusion[[EXPECTED, RECORDED]].astype(int)

    graded = grades["grading"].notna().to_numpy()
    part = incidents[graded]
    as_expected = part.assign(**{c.PRIORITY: grades.loc[graded, EXPECTED].astype(int).to_numpy()})
    effect = None
    recorded = outcomes
    for suffix, frame in (("", part), ("_at_expected", as_expected)):
        if suffix == "" and recorded is not None:
            outcomes = recorded[recorded[c.INCIDENT_ID].isin(part[c.INCIDENT_ID])]
        else:
            outcomes = target_outcomes(frame, criteria=criteria, as_of=as_of, events=events)
        if start is not None:
            outcomes = in_period(outcomes, start=start, end=as_of)
        grade = grades.set_index(c.INCIDENT_ID)["grading"]
        outcomes = outcomes.assign(grading=outcomes[c.INCIDENT_ID].map(grade).astype(str))
        rates = compliance_rates(outcomes, by="grading")
        rates = rates[["target", "grading", "n", "met", "rate", "ci_low", "ci_high"]]
        if effect is None:
            effect = rates
        else:
            effect = effect.merge(rates, on=["target", "grading"], how="outer",
                                  suffixes=("", suffix))
    rank = {**{g: i for i, g in enumerate(GRADES)}, **{t: i for i, t in enumerate(TARGETS)}}
    effect = effect.assign(_t=effect["target"].map(rank), _g=effect["grading"].map(rank))
    effect = effect.sort_values(["_t", "_g"], kind="stable").drop(columns=["_t", "_g"])
    return GradingAudit(confusion, effect.reset_index(drop=True))
