"""The ``major_incidents:`` block of ``criteria.yaml``: what the command levels are called,
which debriefs each level requires and by when, and how the contact surge is measured.

The three command tiers are fixed (bronze, silver, gold: operational, tactical, strategic, as
in the UK gold-silver-bronze command structure); what the organisation calls them is not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ccreview.config.values import parse_duration
from ccreview.config.yaml_files import check_keys, records
from ccreview.data.schema import COMMAND_LEVELS, DEBRIEF_KINDS
from ccreview.exceptions import ConfigError
from ccreview.wording import did_you_mean

__all__ = ["DEFAULT_LEVEL_NAMES", "DebriefRule", "MajorSettings", "parse_major_settings"]

#: the tiers' names when criteria.yaml gives none
DEFAULT_LEVEL_NAMES = {
    "bronze": "Operational (bronze)",
    "silver": "Tactical (silver)",
    "gold": "Strategic (gold)",
}
#: what each debrief kind is called in a report
DEBRIEF_LABELS = {
    "hot": "Hot debrief",
    "structured": "Structured debrief",
    "post_incident_review": "Post-incident review",
}
#: the timestamps a debrief's due date can be measured from
DEBRIEF_FROM = ("stood_down_at", "declared_at")

_KEYS = ("command_levels", "debriefs", "surge")
_RULE_KEYS = ("kind", "from_level", "within", "after", "statement")
_SURGE_KEYS = ("interval", "history_weeks", "after_stand_down", "before_declaration")


@dataclass(frozen=True)
class DebriefRule:
    """A debrief every major incident from ``from_level`` up must have, ``within`` after ``after``."""

    kind: str
    from_level: str
    within: pd.Timedelta
    after: str = "stood_down_at"
    statement: str = ""

    @property
    def label(self) -> str:
        """The debrief's name in a report."""
        return DEBRIEF_LABELS.get(self.kind, self.kind.replace("_", " ").capitalize())


@dataclass(frozen=True)
class MajorSettings:
    """How major incidents are judged and measured (the ``major_incidents:`` block)."""

    #: tier (bronze, silver, gold) -> the organisation's name for it
    level_names: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_LEVEL_NAMES))
    #: debriefs required, by the lowest level that requires them
    debrief_rules: tuple[DebriefRule, ...] = ()
    #: the surge is counted in intervals of this length
    surge_interval: pd.Timedelta = pd.Timedelta(minutes=15)
    #: the expected level comes from the same weekday and time in this many earlier weeks
    history_weeks: int = 8
    #: the surge window runs on after stand-down by this much (customers keep calling)
    after_stand_down: pd.Timedelta = pd.Timedelta(hours=2)
    #: the charts start this long before the declaration (or the first related contact)
    before_declaration: pd.Timedelta = pd.Timedelta(hours=2)

    def level_name(self, level: object) -> str:
        """The organisation's name of a tier ("–" when unknown)."""
        return self.level_names.get(str(level), "–") if isinstance(level, str) else "–"


def parse_major_settings(spec: Any, *, where: str | Path, problems: list[str]) -> MajorSettings:
    """Read the ``major_incidents:`` block (absent: the defaults, with no debrief rules)."""
    if spec is None:
        return MajorSettings()
    where = f"{where}: major_incidents"
    if not isinstance(spec, dict):
        problems.append(f"{where}: expected command_levels, debriefs and surge.")
        return MajorSettings()
    check_keys(spec, _KEYS, where=where, problems=problems)
    names = dict(DEFAULT_LEVEL_NAMES)
    given = spec.get("command_levels") or {}
    if not isinstance(given, dict):
        problems.append(
            f"{where}.command_levels: expected a tier -> its name, e.g. "
            "{bronze: Operational, silver: Tactical, gold: Strategic}."
        )
        given = {}
    for tier, name in given.items():
        if tier not in COMMAND_LEVELS:
            problems.append(
                f"{where}.command_levels: {tier!r} is not a command tier."
                f"{did_you_mean(str(tier), COMMAND_LEVELS)} Tiers: {', '.join(COMMAND_LEVELS)}."
            )
        elif not str(name or "").strip():
            problems.append(f"{where}.command_levels.{tier}: give the level a name.")
        else:
            names[tier] = str(name).strip()
    rules = []
    kinds: set[str] = set()
    for i, item in enumerate(
        records(spec.get("debriefs"), f"{where}.debriefs", problems, "a debrief rule", _RULE_KEYS), start=1
    ):
        at = f"{where}.debriefs[{i}]"
        kind, level, after = (
            str(item.get("kind", "")),
            str(item.get("from_level", "")),
            str(item.get("after", "stood_down_at")),
        )
        if kind not in DEBRIEF_KINDS:
            problems.append(
                f"{at}.kind: {kind!r} is not a debrief kind.{did_you_mean(kind, DEBRIEF_KINDS)} "
                f"Kinds: {', '.join(DEBRIEF_KINDS)}."
            )
        elif kind in kinds:
            problems.append(f"{at}.kind: {kind!r} has a rule already; give each kind one rule.")
        kinds.add(kind)
        if level not in COMMAND_LEVELS:
            problems.append(
                f"{at}.from_level: {level!r} is not a command tier."
                f"{did_you_mean(level, COMMAND_LEVELS)} Tiers: {', '.join(COMMAND_LEVELS)}."
            )
        if after not in DEBRIEF_FROM:
            problems.append(f"{at}.after: {after!r} is not one of {', '.join(DEBRIEF_FROM)}.")
        try:
            within = parse_duration(item.get("within"), where=f"{at}.within")
        except ConfigError as exc:
            problems.append(str(exc))
            continue
        rules.append(DebriefRule(kind, level, within, after, str(item.get("statement") or "").strip()))
    surge = spec.get("surge") or {}
    if not isinstance(surge, dict):
        problems.append(f"{where}.surge: expected interval, history_weeks, after_stand_down.")
        surge = {}
    check_keys(surge, _SURGE_KEYS, where=f"{where}.surge", problems=problems)
    defaults = MajorSettings()
    durations = {}
    for key, default in (
        ("interval", defaults.surge_interval),
        ("after_stand_down", defaults.after_stand_down),
        ("before_declaration", defaults.before_declaration),
    ):
        try:
            durations[key] = (
                parse_duration(surge[key], where=f"{where}.surge.{key}") if key in surge else default
            )
        except ConfigError as exc:
            problems.append(str(exc))
            durations[key] = default
    interval = durations["interval"]
    if pd.Timedelta(days=1) % interval:
        problems.append(
            f"{where}.surge.interval: {surge.get('interval')!r} does not divide a day "
            "into whole intervals; use e.g. 15min, 30min or 1h."
        )
        interval = defaults.surge_interval
    weeks = surge.get("history_weeks", defaults.history_weeks)
    if isinstance(weeks, bool) or not isinstance(weeks, int) or not 2 <= weeks <= 52:
        problems.append(
            f"{where}.surge.history_weeks: {weeks!r} is not a whole number of weeks from 2 to 52; 8 is usual."
        )
        weeks = defaults.history_weeks
    return MajorSettings(
        names, tuple(rules), interval, weeks, durations["after_stand_down"], durations["before_declaration"]
    )
