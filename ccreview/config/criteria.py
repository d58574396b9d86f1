"""The organisation's configuration: agreed criteria, objectives and services.

``criteria.yaml`` holds the business calendars, the impact x urgency priority
matrix, the response/resolution targets per priority, the pause states and the
procedure rules (:mod:`ccreview.config.rules`). ``objectives.yaml``
maps organisational objectives to KPI targets. ``services.yaml`` lists the
incident-management services and which team is responsible for what.
Each reader reports every problem in the file at once, naming the key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from ccreview.config.major_settings import MajorSettings, parse_major_settings
from ccreview.config.values import parse_date, parse_duration
from ccreview.config.yaml_files import check_keys, mapping_of, read_yaml, records, sequence
from ccreview.exceptions import ConfigError
from ccreview.wording import did_you_mean

if TYPE_CHECKING:  # pragma: no cover
    from ccreview.config.rules import Rule

__all__ = [
    "Calendar",
    "Criteria",
    "Objective",
    "Services",
    "load_criteria",
    "load_objectives",
    "load_services",
]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ALWAYS_OPEN = "24x7"
@dataclass(frozen=True)
class Calendar:
    """A business calendar: opening hours per weekday and holidays.

    ``hours`` maps weekday index (0 = Monday) to a tuple of ``(open, close)``
    times; an empty tuple means closed. ``always_open`` calendars count every
    second (24x7).
    """

    name: str
    hours: dict[int, tuple[tuple[time, time], ...]] = field(default_factory=dict)
    holidays: frozenset[date] = frozenset()
    always_open: bool = False
    description: str = ""


@dataclass(frozen=True)
class Criteria:
    """The agreed criteria incidents are checked against.

    Attributes
    ----------
    version : str
        Shown in every report's provenance footer.
    timezone : str
        The centre's IANA time zone.
    calendars : dict
        Name -> :class:`Calendar`.
    priority_matrix : dict
        ``(impact, urgency)`` -> expected priority.
    targets : DataFrame
        One row per priority: ``priority``, ``name``, ``response``, ``resolution``
        (Timedelta) and ``calendar`` (a calendar name).
    source : Path
        The file read.
    pause_states : tuple of str
        Event states that stop the clocks (from ``incident_events``).
    rules : tuple of Rule
        Procedure rules (:mod:`ccreview.config.rules`), in the file's order.
    major : MajorSettings
        Command-level names, debrief rules and surge settings (:mod:`ccreview.config.major_settings`).
    """

    version: str
    timezone: str
    calendars: dict[str, Calendar]
    priority_matrix: dict[tuple[int, int], int]
    targets: pd.DataFrame
    source: Path
    #: incident states during which the target clocks stop (e.g. awaiting the customer)
    pause_states: tuple[str, ...] = ()
    #: procedure rules every incident is checked against (ccreview.config.rules)
    rules: tuple[Rule, ...] = ()
    #: command-level names, debrief rules, surge settings
    major: MajorSettings = field(default_factory=MajorSettings)

    @property
    def target_hours(self) -> pd.DataFrame:
        """The targets with ``response`` and ``resolution`` in hours (floats)."""
        hours = self.targets.copy()
        for target in ("response", "resolution"):
            hours[target] = hours[target].dt.total_seconds() / 3600
        return hours

    @property
    def priorities(self) -> list[int]:
        """Priorities that have targets, most urgent first."""
        return sorted(self.targets["priority"].tolist())


@dataclass(frozen=True)
class Objective:
    """An organisational objective and the KPI targets that measure it."""

    id: str
    title: str
    owner: str
    kpis: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class Services:
    """Services offered and team responsibilities."""

    contact_centre_team: str
    teams: pd.DataFrame
    services: pd.DataFrame
    source: Path


def load_criteria(path: str | Path) -> Criteria:
    """Read and check ``criteria.yaml``; every problem is reported at once.

    Raises
    ------
    ConfigError
    """
    path = Path(path)
    data = read_yaml(path, ConfigError)
    problems: list[str] = []
    check_keys(data, ("version", "timezone", "calendars", "priority_matrix", "priorities",
                      "pause_states", "rules", "major_incidents"), where=str(path), problems=problems)
    from ccreview.data.schema import EVENT_STATES

    pause_states = data.get("pause_states") or []
    if not isinstance(pause_states, list):
        problems.append(f"{path}: pause_states: expected a list, e.g. [awaiting_customer].")
        pause_states = []
    for state in pause_states:
        if state not in EVENT_STATES:
            problems.append(f"{path}: pause_states: {state!r} is not an event state."
                            f"{did_you_mean(str(state), EVENT_STATES)} "
                            f"States: {', '.join(EVENT_STATES)}.")
    timezone = str(data.get("timezone", ""))
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"{path}: timezone {timezone!r} is not an IANA time zone "
                        "(e.g. Europe/London, America/New_York).")
    working = {"new", "assigned", "in_progress"}
    if working <= set(map(str, pause_states)):
        problems.append(f"{path}: pause_states include every working state ({', '.join(sorted(working))}), "
                        "so the target clocks would never run; list only the waiting states, "
                        "e.g. [awaiting_customer, awaiting_vendor].")
    calendars = {ALWAYS_OPEN: Calendar(ALWAYS_OPEN, always_open=True, description="24x7")}
    for name, spec in mapping_of(data, "calendars", path, problems,
                               "a calendar name -> its hours, e.g. office_hours: {hours: ...}").items():
        calendars[str(name)] = _calendar(str(name), spec, f"{path}: calendars.{name}", problems)
    matrix = _matrix(data.get("priority_matrix"), f"{path}: priority_matrix", problems)
    rows = []
    declared: set[int] = set()
    for priority, spec in mapping_of(data, "priorities", path, problems,
                                   "a priority -> its targets, e.g. 1: {name: Critical, response: "
                                   "15min, resolution: 4h}").items():
        where = f"{path}: priorities.{priority}"
        if not isinstance(spec, dict):
            problems.append(f"{where}: expected name, response, resolution and calendar.")
            continue
        check_keys(spec, ("name", "response", "resolution", "calendar"), where=where,
                   problems=problems)
        calendar = str(spec.get("calendar", ALWAYS_OPEN))
        if calendar not in calendars:
            problems.append(f"{where}.calendar: unknown calendar {calendar!r}."
                            f"{did_you_mean(calendar, calendars)} Define it under 'calendars:'.")
        elif _never_open(calendars[calendar]):
            problems.append(f"{where}.calendar: calendar {calendar!r} has no opening hours, so "
                            "no target on it could ever be met; give it hours.")
        try:
            response = parse_duration(spec.get("response"), where=f"{where}.response")
            resolution = parse_duration(spec.get("resolution"), where=f"{where}.resolution")
        except ConfigError as exc:
            problems.append(str(exc))
            declared.add(_int(priority, where, problems))  # it has targets, just not valid ones
            continue
        if response > resolution:
            problems.append(f"{where}: the response target ({spec.get('response')}) is longer "
                            f"than the resolution target ({spec.get('resolution')}); an incident "
                            "is answered before it is resolved, so one of them is wrong.")
        rows.append({"priority": _int(priority, where, problems), "name": str(spec.get("name", "")),
                     "response": response, "resolution": resolution, "calendar": calendar})
    if not rows:
        problems.append(f"{path}: 'priorities:' must give targets for at least one priority.")
    defined = {r["priority"] for r in rows} | declared
    for (impact, urgency), priority in matrix.items():
        if priority not in defined:
            problems.append(f"{path}: priority_matrix maps impact {impact} x urgency {urgency} to "
                            f"priority {priority}, which has no targets under 'priorities:'.")
    produced = set(matrix.values())
    for priority in sorted(defined - produced - {-1}) if matrix else []:
        problems.append(f"{path}: priorities.{priority} has targets, but the priority_matrix "
                        f"never gives priority {priority} (it gives "
                        f"{', '.join(map(str, sorted(produced)))}); remove it or add it to the "
                        "matrix.")
    from ccreview.config.rules import parse_rules

    rules = parse_rules(data.get("rules"), where=f"{path}: rules", problems=problems,
                        priorities=defined, calendars=list(calendars))
    major = parse_major_settings(data.get("major_incidents"), where=path, problems=problems)
    if problems:
        raise ConfigError("\n".join(problems))
    targets = pd.DataFrame(rows).sort_values("priority").reset_index(drop=True)
    return Criteria(str(data.get("version", "unversioned")), timezone, calendars, matrix,
                    targets, path, tuple(str(p) for p in pause_states), rules, major)


def _never_open(calendar: Calendar) -> bool:
    return not calendar.always_open and not any(calendar.hours.values())


def _int(value: Any, where: str, problems: list[str]) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        problems.append(f"{where}: {value!r} is not a whole number.")
        return -1


def _matrix(spec: Any, where: str, problems: list[str]) -> dict[tuple[int, int], int]:
    if not isinstance(spec, dict) or not spec:
        problems.append(f"{where}: give one row per impact, e.g. '1: [1, 2, 3]' "
                        "(the priorities for urgency 1, 2, 3).")
        return {}
    matrix = {}
    for impact, row in spec.items():
        if not isinstance(row, list) or not row:
            problems.append(f"{where}.{impact}: expected a list of priorities, one per urgency.")
            continue
        for urgency, priority in enumerate(row, start=1):
            matrix[(_int(impact, where, problems), urgency)] = _int(priority, where, problems)
    return matrix


def _calendar(name: str, spec: Any, where: str, problems: list[str]) -> Calendar:
    if not isinstance(spec, dict):
        problems.append(f"{where}: expected 'hours:' (and optionally 'holidays:').")
        return Calendar(name)
    check_keys(spec, ("description", "hours", "holidays"), where=where, problems=problems)
    hours_spec = spec.get("hours")
    if hours_spec == ALWAYS_OPEN:
        return Calendar(name, always_open=True, description=str(spec.get("description", "")))
    if not isinstance(hours_spec, dict):
        problems.append(f"{where}.hours: give opening hours per weekday, e.g. "
                        "mon: \"08:00-18:00\", or write hours: 24x7.")
        return Calendar(name)
    hours: dict[int, tuple[tuple[time, time], ...]] = {}
    for day, text in hours_spec.items():
        key = str(day).lower()[:3]
        if key not in WEEKDAYS:
            problems.append(f"{where}.hours: {day!r} is not a weekday.{did_you_mean(key, WEEKDAYS)}")
            continue
        spans = []
        for part in str(text).split(","):
            span = _span(part, f"{where}.hours.{day}", problems)
            if span:
                spans.append(span)
        spans.sort()
        for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
            if start < end:
                problems.append(f"{where}.hours.{day}: opening spans overlap ({text}).")
        hours[WEEKDAYS.index(key)] = tuple(spans)
    holidays = set()
    for value in sequence(spec.get("holidays"), f"{where}.holidays", problems, "dates"):
        try:
            holidays.add(parse_date(value, where=f"{where}.holidays").date())
        except ConfigError as exc:
            problems.append(str(exc))
    return Calendar(name, hours, frozenset(holidays), description=str(spec.get("description", "")))


def _span(text: str, where: str, problems: list[str]) -> tuple[time, time] | None:
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", text)
    if not match:
        problems.append(f"{where}: {text.strip()!r} is not a span like 08:00-18:00.")
        return None
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
        problems.append(f"{where}: {text.strip()!r} is not a valid time of day.")
        return None
    start = time(h1, m1)
    end = time(23, 59, 59, 999999) if h2 == 24 else time(h2, m2)
    if end <= start:
        problems.append(f"{where}: {text.strip()!r} closes before it opens (inverted hours).")
        return None
    return start, end


def load_objectives(path: str | Path, *, known_metrics: list[str]) -> list[Objective]:
    """Read ``objectives.yaml``; KPI metric names are checked against ``known_metrics``."""
    path = Path(path)
    data = read_yaml(path, ConfigError)
    problems: list[str] = []
    check_keys(data, ("objectives",), where=str(path), problems=problems)
    objectives = []
    for i, spec in enumerate(sequence(data.get("objectives"), f"{path}: objectives", problems,
                                   "objectives (id, title, owner, kpis)"), start=1):
        where = f"{path}: objectives[{i}]"
        if not isinstance(spec, dict):
            problems.append(f"{where}: expected id, title, owner and kpis.")
            continue
        check_keys(spec, ("id", "title", "owner", "kpis"), where=where, problems=problems)
        kpis = []
        for j, kpi in enumerate(sequence(spec.get("kpis"), f"{where}.kpis", problems,
                                      "KPI targets (metric, target)"), start=1):
            kwhere = f"{where}.kpis[{j}]"
            if not isinstance(kpi, dict):
                problems.append(f"{kwhere}: expected metric and target.")
                continue
            check_keys(kpi, ("metric", "target"), where=kwhere, problems=problems)
            metric = str(kpi.get("metric"))
            if metric not in known_metrics:
                problems.append(f"{kwhere}: unknown metric {metric!r}."
                                f"{did_you_mean(metric, known_metrics)} "
                                f"Known metrics: {', '.join(known_metrics)}.")
            if not isinstance(kpi.get("target"), int | float):
                problems.append(f"{kwhere}: target must be a number (a share like 0.8 for 80%).")
            kpis.append({"metric": metric, "target": kpi.get("target")})
        objectives.append(Objective(str(spec.get("id", i)), str(spec.get("title", "")),
                                    str(spec.get("owner", "")), tuple(kpis)))
    if problems:
        raise ConfigError("\n".join(problems))
    return objectives


def load_services(path: str | Path) -> Services:
    """Read ``services.yaml``: the contact-centre team, resolver teams and services."""
    path = Path(path)
    data = read_yaml(path, ConfigError)
    problems: list[str] = []
    check_keys(data, ("contact_centre_team", "teams", "services"), where=str(path),
               problems=problems)
    team_keys = ("name", "role", "description")
    teams = pd.DataFrame(records(data.get("teams"), f"{path}: teams", problems,
                                  "teams (name, role, description)", team_keys),
                         columns=list(team_keys))
    bad_roles = ~teams["role"].isin(["contact_centre", "resolver", "supplier"])
    for name, role in teams.loc[bad_roles, ["name", "role"]].itertuples(index=False):
        problems.append(f"{path}: teams: {name!r} has role {role!r}; "
                        "use contact_centre, resolver or supplier.")
    centre = str(data.get("contact_centre_team", ""))
    if centre not in set(teams["name"]):
        problems.append(f"{path}: contact_centre_team {centre!r} is not listed under 'teams:'.")
    service_keys = ("id", "name", "owner", "responsibilities")
    services = pd.DataFrame(records(data.get("services"), f"{path}: services", problems,
                                     "services (id, name, owner, responsibilities)",
                                     service_keys), columns=list(service_keys))
    unknown = ~services["owner"].isin(teams["name"])
    for sid, owner in services.loc[unknown, ["id", "owner"]].itertuples(index=False):
        problems.append(f"{path}: services: {sid!r} is owned by {owner!r}, not a listed team."
                        f"{did_you_mean(str(owner), teams['name'].dropna().astype(str))}")
    if problems:
        raise ConfigError("\n".join(problems))
    return Services(centre, teams, services, path)
