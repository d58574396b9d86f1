"""Procedure rules: the agreed steps each incident is checked against, besides its targets.

A rule in ``criteria.yaml`` has an ``id``, a plain-language ``statement``, a ``severity``
(high, medium, low), a ``kind`` with the kind's parameters, and optionally ``applies_to``
(incident column -> allowed values, e.g. ``{priority: [1]}``). The kinds (see
:data:`KINDS`) are small vectorised checks over the canonical ``incidents``,
``incident_events`` and ``major_incidents``:

``within``
    ``to`` comes at most ``within`` after ``from`` on the ``clock`` calendar (default
    24x7); when ``to`` never came, the rule fails once the time is up
    (``if_missing: fail``) or does not apply (``if_missing: not_applicable``).
``before``
    ``first`` is recorded, and not later than ``then``; judged once ``then`` is recorded.
``at_most``
    A count column (``reassignment_count``, ``reopen_count``) is at most ``max``.
``recorded``
    ``column`` is filled in, once the incident has reached the ``once`` time (if given).
``no_reopen_within``
    After the first event in ``resolved_states``, no event in ``reopen_states`` follows
    within ``within`` (a first-time fix); judged once that window has passed.

Times (``from``, ``to``, ``first``, ``then``, ``once``) are incident timestamps
(``opened_at``, ``first_response_at``, ``resolved_at``, ``closed_at``), major-incident
timestamps (``declared_at``, ``stood_down_at``, ``bronze_at``, ``silver_at``,
``gold_at``; the earliest major incident of the incident), or ``first:<state>`` (the
incident's first event in that state). A rule whose table or column is not in the data
does not apply, and says why; it never fails the run. The checks themselves are in
:mod:`ccreview.incidents.rule_evaluation`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from ccreview.config.values import parse_duration
from ccreview.config.yaml_files import check_keys
from ccreview.data import columns as c
from ccreview.wording import did_you_mean

__all__ = [
    "APPLIES_TO_COLUMNS",
    "KINDS",
    "OUTCOMES",
    "RESERVED_IDS",
    "SEVERITIES",
    "TIME_SOURCES",
    "Kind",
    "Rule",
    "parse_rules",
]

PASSED, FAILED, NOT_APPLICABLE = "passed", "failed", "not_applicable"
OUTCOMES = (PASSED, FAILED, NOT_APPLICABLE)
SEVERITIES = ("high", "medium", "low")
#: criterion names used by the targets and the grading check; rules may not take them
RESERVED_IDS = ("response", "resolution", "priority_grading")
INCIDENT_TIMES = (c.OPENED_AT, c.FIRST_RESPONSE_AT, c.RESOLVED_AT, c.CLOSED_AT)
MAJOR_TIMES = (c.DECLARED_AT, c.STOOD_DOWN_AT, c.BRONZE_AT, c.SILVER_AT, c.GOLD_AT)
EVENT_PREFIX = "first:"
TIME_SOURCES = (*INCIDENT_TIMES, *MAJOR_TIMES, EVENT_PREFIX + "<state>")
COUNT_COLUMNS = (c.REASSIGNMENT_COUNT, c.REOPEN_COUNT)
RECORDED_COLUMNS = (c.FIRST_RESPONSE_AT, c.RESOLVED_AT, c.CLOSED_AT, c.CHANNEL, c.CATEGORY,
                    c.SUBCATEGORY, c.IMPACT, c.URGENCY, c.ASSIGNED_TEAM, c.AGENT,
                    c.RESOLUTION_CODE, c.QUEUE, c.SITE)
APPLIES_TO_COLUMNS = (c.PRIORITY, c.CHANNEL, c.CATEGORY, c.SUBCATEGORY, c.ASSIGNED_TEAM,
                      c.QUEUE, c.SITE, c.IS_MAJOR, c.ESCALATED)
_COMMON = ("id", "statement", "severity", "kind", "applies_to")
_NO = object()  # a required parameter


@dataclass(frozen=True)
class Kind:
    """A rule kind: its parameters (name -> default, :data:`_NO` when required)."""

    name: str
    params: dict[str, Any]
    summary: str


KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("within", {"from": _NO, "to": _NO, "within": _NO, "clock": "24x7", "if_missing": "fail"},
         "'to' comes at most 'within' after 'from'"),
    Kind("before", {"first": _NO, "then": _NO}, "'first' is recorded no later than 'then'"),
    Kind("at_most", {"column": _NO, "max": _NO}, "a count is at most 'max'"),
    Kind("recorded", {"column": _NO, "once": None}, "'column' is filled in (once 'once' is)"),
    Kind("no_reopen_within", {"within": _NO, "resolved_states": ("resolved",),
                              "reopen_states": ("reopened",)},
         "no reopening within 'within' of the first resolution"),
)}


@dataclass(frozen=True)
class Rule:
    """One procedure rule from ``criteria.yaml`` (see the module notes for the kinds)."""

    id: str
    statement: str
    severity: str
    kind: str
    params: dict[str, Any] = field(default_factory=dict)
    #: incident column -> the values the rule applies to (empty: every incident)
    applies_to: dict[str, tuple] = field(default_factory=dict)


# ------------------------------------------------------------------------------ parsing
def parse_rules(
    spec: Any, *, where: str, problems: list[str], priorities: Collection[int],
    calendars: Collection[str],
) -> tuple[Rule, ...]:
    """Read the ``rules:`` list of ``criteria.yaml``, appending every problem found.

    Parameters
    ----------
    spec : list
        The YAML value of ``rules:``.
    where : str
        ``"<file>: rules"``, the start of every message.
    problems : list of str
        Problems are appended here (the caller raises one :class:`ConfigError`).
    priorities, calendars : collections
        Priorities with targets and calendar names, which rules may refer to.
    """
    from ccreview.data.schema import CHANNELS

    if spec is None:
        return ()
    if not isinstance(spec, list):
        problems.append(f"{where}: expected a list of rules, each with id, statement, severity "
                        "and kind.")
        return ()
    rules, seen = [], set()
    for i, item in enumerate(spec, start=1):
        here = f"{where}[{i}]"
        if not isinstance(item, dict):
            problems.append(f"{here}: expected a mapping with id, statement, severity and kind.")
            continue
        rid = str(item.get("id", "")).strip()
        here = f"{where}[{i}] ({rid})" if rid else here
        if not rid.isidentifier():
            problems.append(f"{here}.id: give each rule an id of letters, digits and _ "
                            f"(got {item.get('id')!r}).")
        elif rid in RESERVED_IDS or rid in seen:
            problems.append(f"{here}.id: {rid!r} is already used"
                            + (" by a built-in check" if rid in RESERVED_IDS else "") + ".")
        seen.add(rid)
        for key in ("statement", "severity", "kind"):
            if not str(item.get(key) or "").strip():
                problems.append(f"{here}: '{key}:' is missing.")
        severity = str(item.get("severity", "")).lower()
        if severity and item.get("severity") is not None and severity not in SEVERITIES:
            problems.append(f"{here}.severity: {item['severity']!r} is not one of "
                            f"{', '.join(SEVERITIES)}.{did_you_mean(severity, SEVERITIES)}")
        kind_name = str(item.get("kind") or "")
        kind = KINDS.get(kind_name)
        if kind is None:
            if kind_name:
                problems.append(f"{here}.kind: unknown kind {kind_name!r}."
                                f"{did_you_mean(kind_name, KINDS)} Kinds: {', '.join(KINDS)}.")
            continue
        check_keys(item, (*_COMMON, *kind.params), where=here, problems=problems)
        params = _kind_params(kind, item, here, problems, calendars)
        applies = _applies_to(item.get("applies_to"), f"{here}.applies_to", problems,
                              priorities, CHANNELS)
        rules.append(Rule(rid, str(item.get("statement", "")).strip(), severity, kind_name,
                          params, applies))
    return tuple(rules)


def _kind_params(kind: Kind, item: dict, here: str, problems: list[str],
                 calendars: Collection[str]) -> dict[str, Any]:
    """The kind's parameters from a rule's mapping, checked; problems are appended."""
    from ccreview.data.schema import EVENT_STATES
    from ccreview.exceptions import ConfigError

    kind_name = kind.name
    params = {}
    for name, default in kind.params.items():
        if name not in item:
            if default is _NO:
                problems.append(f"{here}: kind {kind_name!r} needs '{name}:' "
                                f"({kind.summary}).")
            params[name] = None if default is _NO else default
        else:
            params[name] = item[name]

    def state_list(name: str, value: Any) -> tuple[str, ...]:
        values = value if isinstance(value, list | tuple) else [value]
        for state in values:
            if state not in EVENT_STATES:
                problems.append(f"{here}.{name}: {state!r} is not an event state."
                                f"{did_you_mean(str(state), EVENT_STATES)} "
                                f"States: {', '.join(EVENT_STATES)}.")
        return tuple(str(s) for s in values)

    def time_source(name: str) -> None:
        value = params.get(name)
        if value is None:
            return
        text = str(value)
        if text.startswith(EVENT_PREFIX):
            state_list(name, text[len(EVENT_PREFIX):])
        elif text not in INCIDENT_TIMES + MAJOR_TIMES:
            problems.append(f"{here}.{name}: {text!r} is not a time."
                            f"{did_you_mean(text, INCIDENT_TIMES + MAJOR_TIMES)} Use one "
                            f"of {', '.join(TIME_SOURCES)}.")

    def duration(name: str) -> None:
        if params.get(name) is not None:
            try:
                params[name] = parse_duration(params[name], where=f"{here}.{name}")
            except ConfigError as exc:
                problems.append(str(exc))
                params[name] = None

    def column(allowed: tuple[str, ...]) -> None:
        value = params.get("column")
        if value is not None and value not in allowed:
            problems.append(f"{here}.column: {value!r} cannot be used here."
                            f"{did_you_mean(str(value), allowed)} Use one of "
                            f"{', '.join(allowed)}.")

    if kind_name == "within":
        time_source("from")
        time_source("to")
        duration("within")
        if str(params["clock"]) not in calendars:
            problems.append(f"{here}.clock: unknown calendar {params['clock']!r}."
                            f"{did_you_mean(str(params['clock']), calendars)} "
                            f"Calendars: {', '.join(calendars)}.")
        if params["if_missing"] not in ("fail", NOT_APPLICABLE):
            problems.append(f"{here}.if_missing: {params['if_missing']!r} must be 'fail' or "
                            "'not_applicable'.")
    elif kind_name == "before":
        time_source("first")
        time_source("then")
    elif kind_name == "at_most":
        column(COUNT_COLUMNS)
        if params["max"] is not None and (not isinstance(params["max"], int)
                                          or isinstance(params["max"], bool)
                                          or params["max"] < 0):
            problems.append(f"{here}.max: {params['max']!r} must be a whole number, 0 or more.")
    elif kind_name == "recorded":
        column(RECORDED_COLUMNS)
        time_source("once")
    elif kind_name == "no_reopen_within":
        duration("within")
        params["resolved_states"] = state_list("resolved_states", params["resolved_states"])
        params["reopen_states"] = state_list("reopen_states", params["reopen_states"])
    return params


def _applies_to(spec: Any, where: str, problems: list[str], priorities: Collection[int],
                channels: Collection[str]) -> dict[str, tuple]:
    if spec is None:
        return {}
    if not isinstance(spec, dict):
        problems.append(f"{where}: expected a mapping of incident column to values, "
                        "e.g. {priority: [1, 2]}.")
        return {}
    check_keys(spec, APPLIES_TO_COLUMNS, where=where, problems=problems)
    out = {}
    for key, values in spec.items():
        values = tuple(values) if isinstance(values, list | tuple) else (values,)
        if key == c.PRIORITY:
            for p in values:
                if p not in priorities:
                    problems.append(f"{where}.priority: {p!r} is not a priority with targets "
                                    f"(priorities: {', '.join(map(str, sorted(priorities)))}).")
        elif key == c.CHANNEL:
            for ch in values:
                if ch not in channels:
                    problems.append(f"{where}.channel: {ch!r} is not a channel."
                                    f"{did_you_mean(str(ch), channels)}")
        elif key in (c.IS_MAJOR, c.ESCALATED):
            if not all(isinstance(v, bool) for v in values):
                problems.append(f"{where}.{key}: use true or false.")
        out[key] = values
    return out
