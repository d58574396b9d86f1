"""Did each agreed change work? The evidence for one change of the register.

:func:`evaluate_change` gathers what a change evaluation needs from a review: the
change and its consultation record, the weekly series of the metric it should
move inside its scope (and outside it, as a comparison group), an interrupted
time series and, where there is a comparison group, a difference in
differences (:mod:`ccreview.stats.change_models`), the verdict against the expected effect,
and the confounders a reader should know about (other changes on the same
scope, major incidents in the window). Problems with the register entry (no
date, an unknown metric or scope value, overlapping changes) are named in
``issues`` and stop the verdict rather than produce a wrong one.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ccreview.data import columns as c
from ccreview.kpis.catalogue import MATERIAL_CHANGE, METRICS
from ccreview.kpis.compute import kpi_series
from ccreview.review.special_causes import degraded_week_starts, special_cause_days
from ccreview.stats import kinds
from ccreview.stats.change_results import DiDResult, ITSResult
from ccreview.stats.change_verdicts import (
    INCONCLUSIVE,
    Verdict,
)
from ccreview.stats.did import difference_in_differences
from ccreview.stats.its import interrupted_time_series
from ccreview.wording import did_you_mean, fmt_day, in_sentence

__all__ = [
    "CANNOT_JUDGE",
    "LOOK_BACK_WEEKS",
    "SCOPE_COLUMNS",
    "ChangeEvaluation",
    "changes_to_evaluate",
    "evaluate_change",
    "change_stems",
    "report_name",
]

#: register scope column -> the observation column it selects on
SCOPE_COLUMNS = {c.SCOPE_QUEUE: c.QUEUE, c.SCOPE_TEAM: c.ASSIGNED_TEAM,
                 c.SCOPE_CATEGORY: c.CATEGORY, c.SCOPE_CHANNEL: c.CHANNEL}
#: weeks of history before a change used for its pre-change trend
LOOK_BACK_WEEKS = 52
#: the verdict when the register entry itself stops an evaluation
CANNOT_JUDGE = "cannot be judged"
#: changes on the same scope and metric this close together cannot be told apart
OVERLAP_WEEKS = 8


def _scope_values(change: pd.Series) -> dict[str, list[str]]:
    """Scope column -> the values it names (several may be separated by ';' or ',')."""
    scope = {}
    for column in SCOPE_COLUMNS:
        value = change.get(column)
        if value is None or pd.isna(value) or not str(value).strip():
            continue
        scope[column] = [v.strip() for v in str(value).replace(";", ",").split(",") if v.strip()]
    return scope


def scope_text(change: pd.Series) -> str:
    """``"queue billing"``, or ``"everywhere"`` when the change names no scope."""
    scope = _scope_values(change)
    words = [f"{SCOPE_COLUMNS[k].replace('_', ' ').replace('assigned ', '')} {', '.join(v)}"
             for k, v in scope.items()]
    return "; ".join(words) or "everywhere"


def change_stems(change_ids) -> dict[str, str]:
    """A file-name stem per change id, distinct for distinct ids: the id with characters a
    file name cannot hold replaced (``C-001`` stays ``C-001``); ids that would then meet on
    a case-blind file system or in a download's name (``C-001``, ``c_001``, ``C/001``) each
    get a short fingerprint of the id appended, so no evaluation overwrites another."""
    ids = list(dict.fromkeys(str(i) for i in change_ids))
    readable = {i: re.sub(r"[^A-Za-z0-9_.-]", "_", i) for i in ids}
    meeting = pd.Series({i: re.sub(r"[^a-z0-9]+", "_", s.lower()) for i, s in readable.items()},
                        dtype=object)
    shared = set(meeting[meeting.duplicated(keep=False)].index)
    return {i: (f"{readable[i]}-{hashlib.sha256(i.encode()).hexdigest()[:8]}" if i in shared
                else readable[i]) for i in ids}


def report_name(change_id: str, stems: dict[str, str] | None = None) -> str:
    """The file stem of a change's published evaluation, e.g. ``change_evaluation-C-001``;
    ``stems`` (:func:`change_stems` of the register) keeps colliding ids apart."""
    stem = (stems or {}).get(str(change_id)) or change_stems([change_id])[str(change_id)]
    return "change_evaluation-" + stem


def changes_to_evaluate(changes: pd.DataFrame, *, start: pd.Timestamp, end: pd.Timestamp
                        ) -> pd.DataFrame:
    """Implemented changes to evaluate at a review of ``[start, end)``: those implemented in the
    period or in the period of the same length before it (a change is followed up at two
    reviews, the second with more data after it)."""
    if changes is None or not len(changes):
        return pd.DataFrame(columns=[c.CHANGE_ID])
    day = changes[c.IMPLEMENTED_ON]
    first = start.tz_localize(None) - (end - start)
    stop = end.tz_localize(None)
    keep = (changes[c.STATUS] == "implemented") & (day >= first) & (day < stop)
    return changes[keep.fillna(False).to_numpy()].sort_values(c.IMPLEMENTED_ON, kind="stable")


@dataclass
class ChangeEvaluation:
    """The evidence for one change; ``verdict`` is ``impact.Verdict`` or :data:`CANNOT_JUDGE`."""

    change: pd.Series
    verdict: Verdict
    issues: list[str] = field(default_factory=list)
    confounders: pd.DataFrame = field(default_factory=pd.DataFrame)
    its: ITSResult | None = None
    did: DiDResult | None = None
    treated: pd.DataFrame = field(default_factory=pd.DataFrame)
    control: pd.DataFrame = field(default_factory=pd.DataFrame)
    scope: str = "everywhere"
    comparison_group: str = ""
    #: the estimate the verdict rests on
    method: str = ""
    #: weeks left out of the fits: ``day`` and ``what`` (degraded week, major incident)
    special_causes: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["day", "what"]))

    @property
    def change_id(self) -> str:
        """The register's id of the change."""
        return str(self.change[c.CHANGE_ID])


def _series(obs: pd.DataFrame, rows: np.ndarray, *, metric: str, start: pd.Timestamp,
            end: pd.Timestamp) -> pd.DataFrame:
    """Weekly series of ``metric`` over the observation rows selected, shaped for impact."""
    spec = METRICS[metric]
    weekly = kpi_series(obs.loc[rows], metric=metric, start=start, end=end, freq="W")
    if spec.kind in (kinds.PROPORTION, kinds.RATE):
        return pd.DataFrame({c.PERIOD_START: weekly[c.PERIOD_START],
                             "count": weekly["numerator"], "exposure": weekly["denominator"]})
    if spec.kind == kinds.COUNT:
        return pd.DataFrame({c.PERIOD_START: weekly[c.PERIOD_START],
                             "count": weekly["numerator"], "exposure": weekly["days"]})
    return pd.DataFrame({c.PERIOD_START: weekly[c.PERIOD_START], "value": weekly["value"]})


def _confounders(change: pd.Series, changes: pd.DataFrame, major: pd.DataFrame | None,
                 start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    rows = []
    scope = _scope_values(change)
    when = change[c.IMPLEMENTED_ON]
    naive = (start.tz_localize(None), end.tz_localize(None))
    for other in changes.itertuples(index=False):  # the register: tens of rows
        other = pd.Series(other._asdict())
        if other[c.CHANGE_ID] == change[c.CHANGE_ID] or other[c.STATUS] not in ("implemented",
                                                                             "rolled_back"):
            continue
        day = other[c.IMPLEMENTED_ON]
        if pd.isna(day) or not naive[0] <= day < naive[1]:
            continue
        theirs = _scope_values(other)
        shared = not scope or not theirs or any(
            set(v) & set(theirs.get(k, v)) for k, v in scope.items())
        if shared:
            rows.append({"kind": "change", "what": f"{other[c.CHANGE_ID]} {other[c.TITLE]}",
                         "when": fmt_day(day), "scope": scope_text(other),
                         "same_metric": other[c.METRIC] == change[c.METRIC],
                         "weeks_apart": abs((day - when).days) / 7 if not pd.isna(when) else np.nan})
    if major is not None and len(major):
        declared = major[c.DECLARED_AT]
        inside = major[((declared >= start) & (declared < end)).to_numpy()]
        for incident in inside.itertuples(index=False):
            level = getattr(incident, c.HIGHEST_LEVEL, "")
            rows.append({"kind": "major incident",
                         "what": f"{getattr(incident, c.MAJOR_INCIDENT_ID)}"
                                 + (f" ({level})" if isinstance(level, str) and level else ""),
                         "when": fmt_day(getattr(incident, c.DECLARED_AT)), "scope": "",
                         "same_metric": False, "weeks_apart": np.nan})
    return pd.DataFrame(rows, columns=["kind", "what", "when", "scope", "same_metric",
                                       "weeks_apart"])


def evaluate_change(review, change_id: str) -> ChangeEvaluation:
    """Evaluate one change of the register against its expected effect.

    Parameters
    ----------
    review : Review
        The review whose data (up to its period end) is used.
    change_id : str
        The change's id in the register.

    Returns
    -------
    ChangeEvaluation
    """
    from ccreview.exceptions import ParameterError

    changes = review.data["changes"] if "changes" in review.data else pd.DataFrame()
    found = changes[changes[c.CHANGE_ID] == change_id] if len(changes) else changes
    if not len(found):
        known = list(changes[c.CHANGE_ID]) if len(changes) else []
        raise ParameterError(f"change_id {change_id!r} is not in the change register."
                             f"{did_you_mean(change_id, known)}")
    change = found.iloc[0]
    scope = _scope_values(change)
    issues: list[str] = []
    metric = change[c.METRIC]
    when = change[c.IMPLEMENTED_ON]
    if pd.isna(when):
        issues.append("The register gives no implementation date (implemented_on), so there is "
                      "no before and after: add the date the change went live.")
    if metric not in METRICS:
        issues.append(f"The metric {metric!r} is not in the KPI catalogue."
                      f"{did_you_mean(str(metric), list(METRICS))} Correct the register's "
                      "metric column.")
    obs = None if issues else review.observations(metric)
    if not issues and (obs is None or not len(obs)):
        issues.append(f"The data has nothing to measure {in_sentence(METRICS[metric].label)} with "
                      f"({review.missing_reason(metric) or 'no rows'}).")
    tz = review.params.start.tz
    end = review.params.end
    if not issues:
        first_day, last_day = obs["at"].min().tz_localize(None), obs["at"].max().tz_localize(None)
        if not first_day + pd.Timedelta(weeks=3) <= when <= last_day:
            issues.append(f"The change went live on {fmt_day(when)}, outside the data, which runs "
                          f"from {fmt_day(first_day)} to {fmt_day(last_day)}.")
    rows = None
    if not issues:
        rows = np.ones(len(obs), dtype=bool)
        for column, values in scope.items():
            target = SCOPE_COLUMNS[column]
            if target not in obs:
                issues.append(f"The scope {column}={', '.join(values)} cannot be applied: "
                              f"{in_sentence(METRICS[metric].label)} has no {target}.")
                continue
            present = set(obs[target].dropna().astype(str).unique())
            unknown = [v for v in values if v not in present]
            if unknown:
                issues.append(f"The scope {column} names {', '.join(map(repr, unknown))}, which the "
                              f"data does not have.{did_you_mean(unknown[0], sorted(present))} "
                              f"Known: {', '.join(sorted(present))}.")
            rows &= obs[target].astype("string").isin(values).fillna(False).to_numpy()
    window_start = (when - pd.Timedelta(weeks=LOOK_BACK_WEEKS)).tz_localize(tz) if not pd.isna(
        when) else review.params.start
    window_start = max(window_start, review.params.start - pd.Timedelta(weeks=LOOK_BACK_WEEKS * 2))
    confounders = _confounders(change, changes, review.data["major_incidents"]
                               if "major_incidents" in review.data else None, window_start, end)
    overlapping = confounders[(confounders["kind"] == "change") & confounders["same_metric"]
                              & (confounders["weeks_apart"] < OVERLAP_WEEKS)]
    if len(overlapping):
        issues.append(f"{', '.join(overlapping['what'])} changed the same metric on the same scope "
                      f"within {OVERLAP_WEEKS} weeks; their effects cannot be told apart.")
    evaluation = ChangeEvaluation(change=change, verdict=Verdict(CANNOT_JUDGE, " ".join(issues)),
                                  issues=issues, confounders=confounders, scope=scope_text(change))
    if issues:
        return evaluation
    spec = METRICS[metric]
    kind = kinds.CHANGE_MODEL_KIND[spec.kind]
    unit = spec.unit if spec.kind != kinds.COUNT else None
    start = max(window_start, obs["at"].min())
    settings = review.params.change_settings
    if settings.exclude_special_causes:
        evaluation.special_causes = special_cause_days(
            degraded_weeks=degraded_week_starts(review.weekly_contacts),
            major_incidents=review.data["major_incidents"] if "major_incidents" in review.data else None,
            start=start, end=end)
    model_options = {"implemented_on": when, "kind": kind, "unit": unit,
                     "special_causes": list(evaluation.special_causes["day"]),
                     "min_before": settings.min_weeks_before, "min_after": settings.min_weeks_after}
    evaluation.treated = _series(obs, rows, metric=metric, start=start, end=end)
    evaluation.its = interrupted_time_series(evaluation.treated, **model_options)
    expected = change[c.EXPECTED_EFFECT]
    has_expectation = not (pd.isna(expected) or expected == 0)
    if len(scope) == 1 and not rows.all():
        column = next(iter(scope))
        evaluation.comparison_group = (f"the other {SCOPE_COLUMNS[column].replace('_', ' ')}s "
                                       "together")
        evaluation.control = _series(obs, ~rows, metric=metric, start=start, end=end)
        evaluation.did = difference_in_differences(
            evaluation.treated, evaluation.control, **model_options,
            equivalence_margin=equivalence_margin(metric, float(expected) if has_expectation else None))
    label = in_sentence(spec.label) + (f" ({evaluation.scope})" if scope else "")
    if not has_expectation:
        evaluation.verdict = Verdict(INCONCLUSIVE, "The register gives no expected effect, so the "
                                     "estimate below cannot be judged against one.")
        return evaluation
    # The design is fixed before the outcome is looked at: a comparison group, where the scope
    # has one, removes what hit the whole centre at once (a surge, an outage), so the difference
    # in differences decides; the interrupted time series is shown beside it.
    use_did = evaluation.did is not None
    result = evaluation.did if use_did else evaluation.its
    evaluation.method = "difference in differences" if use_did else "interrupted time series"
    judged = result.verdict(expected_effect=float(expected),
                            expected_direction=change[c.EXPECTED_DIRECTION], label=label)
    if use_did:
        basis = ("against the comparison group, allowing for the drift in the gap between them before "
                 "the change" if evaluation.did.drift_allowed else "against the comparison group")
    else:
        basis = "against the trend before the change"
    evaluation.verdict = Verdict(judged.verdict, f"{judged.sentence} (Estimated {basis}.)")
    return evaluation


def equivalence_margin(metric: str, expected_effect: float | None) -> float:
    """How far the gap between a changed and a comparison group may drift before a change and
    still count as parallel: half the expected effect, or the metric's material change when the
    register gives none (never less than the material change). On the metric's scale; for
    counts and rates the material change is relative, so it stays NaN (no margin)."""
    material = MATERIAL_CHANGE.get(metric, np.nan)
    if METRICS[metric].kind in (kinds.COUNT, kinds.RATE):
        return abs(expected_effect) / 2 if expected_effect else np.nan
    if expected_effect is None:
        return material
    return float(np.nanmax([abs(expected_effect) / 2, material]))
