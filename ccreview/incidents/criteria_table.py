"""Every incident against every agreed criterion: the response and resolution targets,
the priority grading and the procedure rules of ``criteria.yaml``.

One tidy table, one row per incident and criterion, with the outcome (passed, failed,
not_applicable), what was measured against what target, and a short readable reason.
Rates per criterion (95% Wilson intervals), by segment and per week or month, and the
comparison with an alternative set of criteria are computed from it.

Attribution (stated in the report): a target is judged when its outcome was decided, once:
when it completed if met, when its time ran out if breached, even if it is still open
(reference 1.8 i-ii; :mod:`ccreview.incidents.targets`); the grading check and the
procedure rules are attributed to the time the incident was opened. Cancelled incidents
are not applicable to anything (reference 1.8 iii).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import numpy as np
import pandas as pd

from ccreview.clocks.business_hours import NAT, from_micros, to_micros
from ccreview.clocks.pauses import positions
from ccreview.config.criteria import Criteria
from ccreview.config.rules import OUTCOMES
from ccreview.data import columns as c
from ccreview.incidents.grading import grading_check
from ccreview.incidents.rule_evaluation import Context, RuleResult, evaluate_rule
from ccreview.incidents.targets import TARGETS, TargetClocks, target_clocks
from ccreview.stats.intervals import wilson_interval

__all__ = [
    "CRITERION",
    "GRADING",
    "compare_criteria",
    "criterion_catalogue",
    "criterion_rates",
    "criterion_table",
    "criterion_trend",
    "data_health",
    "judged_in",
    "what_if",
]

CRITERION = "criterion"
GRADING = "priority_grading"
PASSED, FAILED, NOT_APPLICABLE = OUTCOMES
_TARGET_PHRASES = ["within its target", "completed after its target",
                   "open and past its target", "open, within its target so far",
                   "no target for its priority"]
#: target outcome code (met, breached, running, no_target) -> status
_TARGET_STATUS = np.array([0, 1, 2, 2], dtype=np.int8)
_STATEMENTS = {
    "response": "The first response comes within the response target of the incident's priority.",
    "resolution": "The incident is resolved within the resolution target of its priority.",
    GRADING: "The recorded priority is the one the impact x urgency matrix gives.",
}


def criterion_catalogue(criteria: Criteria) -> pd.DataFrame:
    """The criteria checked, in report order: ``criterion``, ``kind`` (target, grading or
    the rule's kind), ``statement`` and ``severity``."""
    rows = [{CRITERION: t, "kind": "target", "statement": _STATEMENTS[t], "severity": "high"}
            for t in TARGETS]
    rows.append({CRITERION: GRADING, "kind": "grading", "statement": _STATEMENTS[GRADING],
                 "severity": "medium"})
    rows += [{CRITERION: r.id, "kind": r.kind, "statement": r.statement, "severity": r.severity}
             for r in criteria.rules]
    return pd.DataFrame(rows, columns=[CRITERION, "kind", "statement", "severity"])


def criterion_table(
    incidents: pd.DataFrame,
    *,
    criteria: Criteria,
    as_of: pd.Timestamp,
    events: pd.DataFrame | None = None,
    major_incidents: pd.DataFrame | None = None,
    start: pd.Timestamp | None = None,
    absent: Mapping[str, Collection[str]] | None = None,
    clocks: TargetClocks | None = None,
) -> pd.DataFrame:
    """One row per incident and criterion with its outcome.

    Parameters
    ----------
    incidents : DataFrame
        Canonical incidents.
    criteria : Criteria
        Targets, matrix, pause states and procedure rules.
    as_of : Timestamp
        When the data is judged (normally the end of the period).
    events, major_incidents : DataFrame, optional
        Canonical tables; rules that need an absent table are not applicable, with the
        reason in ``detail``.
    start : Timestamp, optional
        Keep only rows judged in ``[start, as_of)`` (a breach when its time ran out, even
        if still open at ``as_of``); without it every incident has a row for every criterion.
    absent : mapping, optional
        Table -> canonical columns its file did not have (``TableResult.absent_columns``);
        rules needing them are not applicable rather than failed.
    clocks : TargetClocks, optional
        :func:`~ccreview.incidents.targets.target_clocks` of the same incidents, when the
        caller has them (the review computes them once).

    Returns
    -------
    DataFrame
        ``incident_id``, ``criterion``, ``outcome`` (passed, failed, not_applicable),
        ``measured`` and ``target`` (in ``unit``: h, priority, count or blank), ``unit``,
        ``detail`` (why) and ``judged_at``. ``criterion``, ``outcome``, ``unit`` and
        ``detail`` are categoricals.
    """
    n = len(incidents)
    if clocks is None:
        clocks = target_clocks(incidents, criteria=criteria, as_of=as_of, events=events)
    order, arrays = clocks.order, clocks.arrays
    opened = to_micros(incidents[c.OPENED_AT])
    results: dict[str, RuleResult] = {}
    judged: dict[str, np.ndarray] = {}
    for target, a in arrays.items():
        outcome = a["outcome"]
        detail = np.select([outcome == 3, outcome == 0, (outcome == 1) & (a["completed"] != NAT),
                            outcome == 1], [4, 0, 1, 2], default=3)
        results[target] = RuleResult(_TARGET_STATUS[a["outcome"]], a["elapsed_h"], a["target_h"],
                                     detail, list(_TARGET_PHRASES), "h")
        judged[target] = a["judged"]
    results[GRADING] = grading_check(incidents, criteria=criteria)
    ctx = Context(incidents, criteria=criteria, as_of=as_of, events=events,
                  major_incidents=major_incidents, absent=absent,
                  event_order=lambda: order if order is not None else (np.zeros(0, int),) * 2)
    for rule in criteria.rules:
        results[rule.id] = evaluate_rule(rule, ctx)
    cancelled = (incidents[c.STATUS].eq("cancelled").to_numpy(dtype=bool, na_value=False)
                 if c.STATUS in incidents else np.zeros(n, dtype=bool))
    table = _assemble(incidents, results, judged, opened, cancelled)
    return table if start is None else judged_in(table, start=start, as_of=as_of)


def judged_in(table: pd.DataFrame, *, start: pd.Timestamp, as_of: pd.Timestamp) -> pd.DataFrame:
    """Rows of a :func:`criterion_table` judged in ``[start, as_of)`` (what
    ``criterion_table(start=...)`` keeps), so one table of every incident can serve both
    the period and its trend."""
    lo = pd.Timestamp(start).value // 1000
    hi = pd.Timestamp(as_of).value // 1000
    at = to_micros(table["judged_at"])
    return table[(at >= lo) & (at < hi)].reset_index(drop=True)


def _assemble(incidents: pd.DataFrame, results: dict[str, RuleResult],
              judged: dict[str, np.ndarray], opened: np.ndarray,
              cancelled: np.ndarray) -> pd.DataFrame:
    """Stack the per-criterion arrays into the long table (categoricals, no Python loops
    over rows)."""
    n = len(incidents)
    names = list(results)
    phrases: dict[str, int] = {"cancelled": 0}
    status, detail, measured, target, at, units = [], [], [], [], [], []
    for name in names:
        r = results[name]
        codes = np.array([phrases.setdefault(p, len(phrases)) for p in r.phrases],
                         dtype=np.int64)
        status.append(np.where(cancelled, 2, r.status))
        detail.append(np.where(cancelled, 0, codes[r.detail]))
        measured.append(r.measured)
        target.append(r.target)
        at.append(judged.get(name, opened))
        units.append(r.unit)
    unit_names = list(dict.fromkeys(units))
    k = len(names)
    tz = str(incidents[c.OPENED_AT].dt.tz)
    return pd.DataFrame({
        c.INCIDENT_ID: pd.Series(incidents[c.INCIDENT_ID].array).take(np.tile(np.arange(n), k)
                                                                      ).array,
        CRITERION: pd.Categorical.from_codes(np.repeat(np.arange(k), n), categories=names),
        "outcome": pd.Categorical.from_codes(np.concatenate(status) if k else [],
                                             categories=list(OUTCOMES)),
        "measured": np.concatenate(measured) if k else [],
        "target": np.concatenate(target) if k else [],
        "unit": pd.Categorical.from_codes(np.repeat([unit_names.index(u) for u in units], n),
                                          categories=unit_names),
        "detail": pd.Categorical.from_codes(np.concatenate(detail) if k else [],
                                            categories=list(phrases)),
        "judged_at": from_micros(np.concatenate(at) if k else np.zeros(0, np.int64), tz).array,
    })


def criterion_rates(
    table: pd.DataFrame,
    incidents: pd.DataFrame | None = None,
    *,
    by: list[str] | str | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Compliance per criterion (and per ``by`` segment) with Wilson intervals.

    Parameters
    ----------
    table : DataFrame
        From :func:`criterion_table`.
    incidents : DataFrame, optional
        Canonical incidents, for ``by`` columns the table does not have (team,
        priority, category, channel ...).
    by : str or list of str, optional
        Segments; missing values are shown as ``(blank)``.
    confidence : float
        Interval level.

    Returns
    -------
    DataFrame
        ``criterion``, the ``by`` columns, ``n`` (passed + failed), ``passed``,
        ``failed``, ``not_applicable``, ``rate``, ``ci_low``, ``ci_high``; criteria in
        table order.
    """
    keys = [by] if isinstance(by, str) else list(by or [])
    frame = pd.DataFrame({CRITERION: table[CRITERION].array,
                          "outcome": table["outcome"].array})
    if keys:
        pos = None
        for key in keys:
            if key in table:
                values = table[key]
            else:
                if pos is None:
                    pos = positions(table[c.INCIDENT_ID], incidents[c.INCIDENT_ID])
                values = pd.Series(incidents[key].array).take(pos)
            frame[key] = _blank(values.reset_index(drop=True))
    if len(frame):
        counts = pd.crosstab([frame[k] for k in [CRITERION, *keys]], frame["outcome"],
                             dropna=False)
        counts = counts.reindex(columns=list(OUTCOMES), fill_value=0).reset_index()
    else:  # nothing judged in the period: an empty table with every column
        counts = pd.DataFrame({col: pd.Series(dtype=object) for col in [CRITERION, *keys]}
                              | {o: pd.Series(dtype="int64") for o in OUTCOMES})
    counts = counts[counts[list(OUTCOMES)].sum(axis=1) > 0]
    counts.columns.name = None
    return _with_rates(counts, [CRITERION, *keys], confidence)


def _blank(values: pd.Series) -> pd.Series:
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values
    return values.astype("string").fillna("(blank)") if not pd.api.types.is_numeric_dtype(
        values.dtype) else values


def _with_rates(counts: pd.DataFrame, keys: list[str], confidence: float) -> pd.DataFrame:
    counts = counts.rename(columns={PASSED: "passed", FAILED: "failed",
                                    NOT_APPLICABLE: "not_applicable"})
    counts["n"] = counts["passed"] + counts["failed"]
    with np.errstate(invalid="ignore", divide="ignore"):
        counts["rate"] = counts["passed"] / counts["n"].where(counts["n"] > 0)
    counts["ci_low"], counts["ci_high"] = wilson_interval(
        counts["passed"].to_numpy(), counts["n"].to_numpy(), confidence=confidence)
    columns = keys + ["n", "passed", "failed", "not_applicable", "rate", "ci_low", "ci_high"]
    out = counts[columns].reset_index(drop=True)
    out[CRITERION] = out[CRITERION].astype(str)
    return out


def criterion_trend(
    table: pd.DataFrame, *, freq: str = "W", timezone: str, confidence: float = 0.95
) -> pd.DataFrame:
    """Compliance per criterion per week (``freq="W"``, weeks from Monday) or month
    (``"M"``), by when each row was judged.

    Returns
    -------
    DataFrame
        ``period_start`` (local date, timezone-naive), ``criterion``, ``n``, ``passed``,
        ``failed``, ``not_applicable``, ``rate``, ``ci_low``, ``ci_high``; one row per
        period and criterion with anything judged.
    """
    if freq not in ("W", "M"):
        from ccreview.exceptions import ParameterError

        raise ParameterError(f"criterion_trend: freq must be 'W' (weeks) or 'M' (months), "
                             f"not {freq!r}.")
    local = table["judged_at"].dt.tz_convert(timezone).dt.tz_localize(None).dt.normalize()
    if freq == "W":
        period = local - pd.to_timedelta(local.dt.day_of_week, unit="D")
    else:
        period = local - pd.to_timedelta(local.dt.day - 1, unit="D")
    frame = pd.DataFrame({c.PERIOD_START: period.to_numpy(), CRITERION: table[CRITERION].array,
                          "outcome": table["outcome"].array}).dropna(subset=[c.PERIOD_START])
    counts = pd.crosstab([frame[c.PERIOD_START], frame[CRITERION]], frame["outcome"],
                         dropna=False)
    counts = counts.reindex(columns=list(OUTCOMES), fill_value=0).reset_index()
    counts = counts[counts[list(OUTCOMES)].sum(axis=1) > 0]
    counts.columns.name = None
    out = _with_rates(counts, [c.PERIOD_START, CRITERION], confidence)
    return out.sort_values([c.PERIOD_START], kind="stable").reset_index(drop=True)


def compare_criteria(
    current: pd.DataFrame, alternative: pd.DataFrame, *, confidence: float = 0.95
) -> pd.DataFrame:
    """Side by side, per criterion: the rate under the current criteria and under an
    alternative (both :func:`criterion_table` results on the same incidents).

    Returns
    -------
    DataFrame
        ``criterion``, ``n_now``, ``rate_now``, ``n_alternative``, ``rate_alternative``,
        ``difference`` (alternative minus now, in rate points), ``changed`` (incidents whose
        outcome differs) and ``in_alternative_only`` / ``in_current_only`` flags for
        criteria that exist on one side only.
    """
    now = criterion_rates(current, confidence=confidence).set_index(CRITERION)
    alt = criterion_rates(alternative, confidence=confidence).set_index(CRITERION)
    names = list(dict.fromkeys([*now.index, *alt.index]))
    out = pd.DataFrame({CRITERION: names})
    out["n_now"] = out[CRITERION].map(now["n"]).fillna(0).astype(int)
    out["rate_now"] = out[CRITERION].map(now["rate"])
    out["n_alternative"] = out[CRITERION].map(alt["n"]).fillna(0).astype(int)
    out["rate_alternative"] = out[CRITERION].map(alt["rate"])
    out["difference"] = out["rate_alternative"] - out["rate_now"]
    both = pd.merge(current[[c.INCIDENT_ID, CRITERION, "outcome"]].astype({CRITERION: str}),
                    alternative[[c.INCIDENT_ID, CRITERION, "outcome"]].astype({CRITERION: str}),
                    on=[c.INCIDENT_ID, CRITERION], suffixes=("_now", "_alt"))
    changed = both["outcome_now"].astype(str).ne(both["outcome_alt"].astype(str))
    out["changed"] = out[CRITERION].map(changed.groupby(both[CRITERION]).sum()).fillna(0).astype(
        int)
    out["in_current_only"] = ~out[CRITERION].isin(alt.index) & out[CRITERION].isin(now.index)
    out["in_alternative_only"] = ~out[CRITERION].isin(now.index) & out[CRITERION].isin(alt.index)
    return out


def what_if(
    incidents: pd.DataFrame,
    *,
    criteria: Criteria,
    alternative: Criteria,
    as_of: pd.Timestamp,
    events: pd.DataFrame | None = None,
    major_incidents: pd.DataFrame | None = None,
    start: pd.Timestamp | None = None,
    absent: Mapping[str, Collection[str]] | None = None,
    current: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Recompute every criterion under ``alternative`` and compare it with ``criteria``
    (see :func:`compare_criteria` for the columns); ``current`` is the criterion table
    under ``criteria`` when the caller already has it."""
    kw = {"as_of": as_of, "events": events, "major_incidents": major_incidents,
          "start": start, "absent": absent}
    now = current if current is not None else criterion_table(incidents, criteria=criteria, **kw)
    return compare_criteria(now, criterion_table(incidents, criteria=alternative, **kw))


def data_health(
    incidents: pd.DataFrame,
    events: pd.DataFrame | None = None,
    *,
    issues: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Data the clocks have to cope with, counted.

    Parameters
    ----------
    incidents, events : DataFrame
        Canonical (validated) incidents and events.
    issues : DataFrame, optional
        Validation issues (``Dataset.issues`` / ``TableResult.issues``): timestamps that
        fall in the hour skipped when the clocks go forward are quarantined there.

    Returns
    -------
    DataFrame
        ``check``, ``n``, ``out_of`` and ``handling`` (what the clocks do about it).
    """
    rows = []
    n = len(incidents)
    if events is not None:
        pos = positions(events[c.INCIDENT_ID], incidents[c.INCIDENT_ID])
        has = np.zeros(n, dtype=bool)
        has[pos[pos >= 0]] = True
        before = np.zeros(len(events), dtype=bool)
        known = pos >= 0
        before[known] = to_micros(events[c.AT])[known] < to_micros(incidents[c.OPENED_AT])[pos[known]]
        rows += [
            ("incidents without events", int((~has).sum()), n,
             "no pauses and no team history: clocks run unpaused; no owner at breach"),
            ("events before the incident was opened", int(before.sum()), len(events),
             "pauses are clipped to the opening; the team holding it then counts from its event"),
            ("events of unknown incidents", int((~known).sum()), len(events), "ignored"),
        ]
    gap = 0
    if issues is not None and len(issues):
        gap = int(issues["problem"].astype(str).str.contains("the clocks went forward over it",
                                                              regex=False).sum())
    rows.append(("timestamps inside the spring-forward gap", gap, None,
                 "quarantined by validation (they never happened); a due time that lands in "
                 "the gap on a business calendar moves to the end of the gap"))
    return pd.DataFrame(rows, columns=["check", "n", "out_of", "handling"]).astype(
        {"out_of": "Int64"})
