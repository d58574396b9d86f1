"""Judging incidents against the procedure rules of :mod:`ccreview.config.rules`, vectorised.

Each rule kind is one function over all incidents at once; it gives a status per incident
(passed, failed, not applicable), the value measured, the target and a short reason.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ccreview.clocks.business_hours import NAT, from_micros, to_micros
from ccreview.config.rules import EVENT_PREFIX, MAJOR_TIMES, Rule
from ccreview.data import columns as c

__all__ = ["Context", "RuleResult", "absent_result", "evaluate_rule", "in_scope", "verdict"]


@dataclass
class RuleResult:
    """One criterion's verdict for every incident (positional arrays).

    ``status`` holds 0 (passed), 1 (failed) or 2 (not applicable); ``detail`` indexes
    ``phrases``; ``measured`` and ``target`` are in ``unit``.
    """

    status: np.ndarray
    measured: np.ndarray
    target: np.ndarray
    detail: np.ndarray
    phrases: list[str]
    unit: str


class Context:
    """What the rules read, looked up once: the incidents, their events in order and
    their major incidents, and which columns are absent from the files."""

    def __init__(self, incidents: pd.DataFrame, *, criteria, as_of: pd.Timestamp,
                 events: pd.DataFrame | None, major_incidents: pd.DataFrame | None,
                 absent: Mapping[str, Collection[str]] | None,
                 event_order: Callable[[], tuple[np.ndarray, np.ndarray]] | None = None) -> None:
        self.incidents, self.criteria, self.as_of = incidents, criteria, as_of
        self.events, self.major = events, major_incidents
        self.absent = {k: set(v) for k, v in (absent or {}).items()}
        self._event_order = event_order
        self._cache: dict[str, Any] = {}

    def missing(self, table: str, column: str) -> str:
        """Why ``table.column`` cannot be used ("" when it can)."""
        frame = {"incidents": self.incidents, "incident_events": self.events,
                 "major_incidents": self.major}[table]
        if frame is None:
            return f"no {table} table was given"
        if column not in frame.columns or column in self.absent.get(table, ()):
            return f"the {table} data has no {column} column"
        return ""

    def ordered_events(self) -> tuple[np.ndarray, np.ndarray]:
        """Events of known incidents sorted by incident and time: (positions into the
        incidents, row numbers into the events)."""
        if "order" not in self._cache:
            self._cache["order"] = self._event_order()
        return self._cache["order"]

    def first_event(self, states: Collection[str], after: np.ndarray | None = None) -> np.ndarray:
        """Per incident, the first event time (int64 us, NaT as min) in ``states``
        (strictly after ``after`` when given)."""
        pos, rows = self.ordered_events()
        at = _micros(self.events[c.AT])[rows]
        hit = self.events[c.STATE].isin(list(states)).to_numpy(dtype=bool, na_value=False)[rows]
        if after is not None:
            hit &= at > after[pos]
        out = np.full(len(self.incidents), _NAT)
        first = np.unique(pos[hit], return_index=True)
        out[first[0]] = at[hit][first[1]]
        return out

    def time(self, source: str) -> tuple[np.ndarray, str]:
        """A time per incident (int64 us; missing = :data:`_NAT`) and why it is absent."""
        if source in self._cache:
            return self._cache[source]
        if source.startswith(EVENT_PREFIX):
            why = self.missing("incident_events", c.STATE)
            value = (np.full(len(self.incidents), _NAT) if why
                     else self.first_event([source[len(EVENT_PREFIX):]]))
        elif source in MAJOR_TIMES:
            why = self.missing("major_incidents", source) or self.missing("major_incidents",
                                                                          c.INCIDENT_ID)
            value = np.full(len(self.incidents), _NAT)
            if not why:
                from ccreview.clocks.pauses import positions

                pos = positions(self.major[c.INCIDENT_ID], self.incidents[c.INCIDENT_ID])
                at = _micros(self.major[source])
                keep = (pos >= 0) & (at != _NAT)
                # the earliest major incident of each incident
                value[:] = np.iinfo(np.int64).max
                np.minimum.at(value, pos[keep], at[keep])
                value[value == np.iinfo(np.int64).max] = _NAT
        else:
            why = self.missing("incidents", source)
            value = _micros(self.incidents[source])
        self._cache[source] = (value, why)
        return value, why


_NAT = NAT
_micros = to_micros


def in_scope(rule: Rule, incidents: pd.DataFrame) -> np.ndarray:
    """Which incidents a rule applies to (its ``applies_to``)."""
    mask = np.ones(len(incidents), dtype=bool)
    for column, values in rule.applies_to.items():
        if column in incidents:
            mask &= incidents[column].isin(list(values)).to_numpy(dtype=bool, na_value=False)
        else:
            mask[:] = False
    return mask


def evaluate_rule(rule: Rule, ctx: Context) -> RuleResult:
    """Judge every incident of ``ctx`` against ``rule``."""
    result = _EVALUATORS[rule.kind](rule, ctx)
    scope = in_scope(rule, ctx.incidents)
    if not scope.all():
        result.phrases.append("outside the rule's scope")
        result.status = np.where(scope, result.status, 2).astype(np.int8)
        result.detail = np.where(scope, result.detail, len(result.phrases) - 1)
    return result


def absent_result(n: int, why: str, unit: str) -> RuleResult:
    """Not applicable to any of ``n`` incidents, because of ``why`` (absent data)."""
    return RuleResult(np.full(n, 2, dtype=np.int8), np.full(n, np.nan), np.full(n, np.nan),
                      np.zeros(n, dtype=np.int64), [f"not checked: {why}"], unit)


def verdict(conditions: list[np.ndarray], phrases: list[str], measured, target, unit,
             status_of: list[int]) -> RuleResult:
    """The first matching condition wins, the last phrase and status are for rows that
    match none; statuses are 0 passed, 1 failed, 2 not applicable."""
    n = len(measured)
    detail = np.select(conditions, list(range(len(conditions))), default=len(conditions))
    status = np.asarray(status_of, dtype=np.int8)[detail]
    return RuleResult(status, np.asarray(measured, dtype=float),
                      np.broadcast_to(np.asarray(target, dtype=float), (n,)).copy(),
                      detail.astype(np.int64), list(phrases), unit)


def _within(rule: Rule, ctx: Context) -> RuleResult:
    from ccreview.clocks.business_hours import elapsed_seconds

    n = len(ctx.incidents)
    p = rule.params
    begin, why1 = ctx.time(p["from"])
    end, why2 = ctx.time(p["to"])
    if why1 or why2:
        return absent_result(n, why1 or why2, "h")
    calendar = ctx.criteria.calendars[str(p["clock"])]
    limit = p["within"].total_seconds()
    tz = ctx.criteria.timezone
    as_of = np.int64(pd.Timestamp(ctx.as_of).tz_convert("UTC").value // 1000)
    stop = np.where(end != _NAT, end, as_of)
    has_begin, has_end = begin != _NAT, end != _NAT
    if calendar.always_open:
        taken = np.where(has_begin, (stop - begin) / 1e6, np.nan)
    else:
        taken = np.full(n, np.nan)
        taken[has_begin] = elapsed_seconds(_series(begin[has_begin], tz), _series(stop[has_begin],
                                                                               tz),
                                           calendar=calendar, timezone=tz).to_numpy()
    fail_missing = p["if_missing"] == "fail"
    return verdict(
        [~has_begin, has_end & (taken <= limit), has_end, taken <= limit,
         np.full(n, fail_missing)],
        [f"no {p['from']}", "in time", "too late", f"no {p['to']} yet; time not up",
         f"no {p['to']} and the time is up", f"no {p['to']}"],
        np.where(has_end, taken / 3600, np.nan), limit / 3600, "h", [2, 0, 1, 2, 1, 2])


def _before(rule: Rule, ctx: Context) -> RuleResult:
    n = len(ctx.incidents)
    first, why1 = ctx.time(rule.params["first"])
    then, why2 = ctx.time(rule.params["then"])
    if why1 or why2:
        return absent_result(n, why1 or why2, "h")
    has_first, has_then = first != _NAT, then != _NAT
    gap = np.where(has_first & has_then, (then - first) / 3.6e9, np.nan)
    return verdict(
        [~has_then, ~has_first, first <= then],
        [f"no {rule.params['then']} yet", f"no {rule.params['first']}", "in order",
         f"{rule.params['first']} after {rule.params['then']}"],
        gap, 0.0, "h", [2, 1, 0, 1])


def _at_most(rule: Rule, ctx: Context) -> RuleResult:
    n = len(ctx.incidents)
    column = rule.params["column"]
    why = ctx.missing("incidents", column)
    if why:
        return absent_result(n, why, "count")
    value = ctx.incidents[column].to_numpy(dtype=float, na_value=np.nan)
    limit = float(rule.params["max"])
    return verdict([np.isnan(value), value <= limit],
                    [f"no {column}", f"at most {rule.params['max']}",
                     f"more than {rule.params['max']}"],
                    value, limit, "count", [2, 0, 1])


def _recorded(rule: Rule, ctx: Context) -> RuleResult:
    n = len(ctx.incidents)
    column, once = rule.params["column"], rule.params["once"]
    why = ctx.missing("incidents", column)
    reached = np.ones(n, dtype=bool)
    if once is not None:
        when, why_once = ctx.time(once)
        why = why or why_once
        reached = when != _NAT
    if why:
        return absent_result(n, why, "")
    values = ctx.incidents[column]
    filled = values.notna().to_numpy(dtype=bool)
    if pd.api.types.is_string_dtype(values.dtype):
        filled = filled & values.str.strip().ne("").to_numpy(dtype=bool, na_value=False)
    return verdict([~reached, filled], [f"no {once} yet", "recorded", f"{column} empty"],
                    np.full(n, np.nan), np.nan, "", [2, 0, 1])


def _no_reopen_within(rule: Rule, ctx: Context) -> RuleResult:
    n = len(ctx.incidents)
    why = ctx.missing("incident_events", c.STATE)
    if why:
        return absent_result(n, why, "h")
    states = list(rule.params["reopen_states"])
    if not ctx.events[c.STATE].isin(states).any():
        # an export that never records the state cannot show a reopening: "never
        # reopened" would be a 100% nobody measured
        return absent_result(n, f"no event in the data is in state {' or '.join(states)}, so "
                             "a reopening cannot be seen; if the export calls it something "
                             "else, name that under reopen_states in criteria.yaml", "h")
    window = rule.params["within"].total_seconds()
    resolved = ctx.first_event(rule.params["resolved_states"])
    reopened = ctx.first_event(rule.params["reopen_states"], after=resolved)
    as_of = pd.Timestamp(ctx.as_of).tz_convert("UTC").value // 1000
    has_res, has_reopen = resolved != _NAT, reopened != _NAT
    gap = np.where(has_res & has_reopen, (reopened - resolved) / 1e6, np.nan)
    return verdict(
        [~has_res, has_reopen & (gap <= window), (as_of - resolved) / 1e6 < window],
        ["not resolved", "reopened within the window", "window still open",
         "not reopened within the window"],
        gap / 3600, window / 3600, "h", [2, 1, 2, 0])


_series = from_micros


_EVALUATORS: dict[str, Callable[[Rule, Context], RuleResult]] = {
    "within": _within, "before": _before, "at_most": _at_most, "recorded": _recorded,
    "no_reopen_within": _no_reopen_within,
}
