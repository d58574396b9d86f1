"""The major incidents of a review: each one's command timeline, declaration, contact surge and
staffing what-if, and, across all of them, the debriefs held and the actions followed through.

:class:`MajorIncidentResults` is mixed into :class:`~ccreview.review.review.Review`. Debriefs and
actions are judged as they stood at the end of the period, for every major incident declared
by then: a debrief still missing from an earlier quarter is still missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import pandas as pd

from ccreview.config.major_settings import MajorSettings
from ccreview.data import columns as c
from ccreview.data.schema import TABLES, empty_frame
from ccreview.exceptions import ParameterError
from ccreview.incidents import major as mi
from ccreview.kpis.surge import ContactSurge, contact_surge
from ccreview.review.changes import change_stems

__all__ = ["DEFAULT_SERVICE_TARGET", "MajorIncident", "MajorIncidentResults", "major_report_name"]

#: the share answered within the threshold the staffing what-if holds, when objectives.yaml sets none
DEFAULT_SERVICE_TARGET = 0.8
#: a queue is affected when it took at least this share of the contacts linked to the incident
AFFECTED_SHARE = 0.2
#: a major incident not yet stood down is followed for at most this long
OPEN_FOR = pd.Timedelta(hours=12)


def major_report_name(major_incident_id: str, stems: dict[str, str] | None = None) -> str:
    """The file stem of a major incident's published report, e.g. ``major_incident-MI-007``."""
    stem = (stems or {}).get(str(major_incident_id)) or change_stems([major_incident_id])[
        str(major_incident_id)
    ]
    return "major_incident-" + stem


@dataclass
class MajorIncident:
    """One major incident, as its report shows it."""

    id: str
    record: pd.Series
    level: str | None
    timeline: pd.DataFrame
    timing: pd.Series
    debriefs: pd.DataFrame
    actions: pd.DataFrame
    surge: ContactSurge | None
    #: how the affected queues were chosen
    queues_from: str


class MajorIncidentResults:
    """Major-incident results of a :class:`~ccreview.review.review.Review`."""

    def _table(self, name: str) -> pd.DataFrame | None:
        return self.data[name] if name in self.data else None

    @property
    def major_settings(self) -> MajorSettings:
        """Command-level names, debrief rules and surge settings (criteria.yaml)."""
        return self.params.criteria.major

    @cached_property
    def all_major_incidents(self) -> pd.DataFrame | None:
        """Every major incident declared before the period ended (None without the table)."""
        if "major_incidents" not in self.data:
            return None
        table = self.data["major_incidents"]
        return table[(table[c.DECLARED_AT] < self.params.end).to_numpy()].reset_index(drop=True)

    @cached_property
    def major_incidents(self) -> pd.DataFrame | None:
        """Major incidents declared in the period, with their ``level`` (highest tier)."""
        table = self.all_major_incidents
        if table is None:
            return None
        table = table.assign(level=mi.highest_levels(table))
        return table[(table[c.DECLARED_AT] >= self.params.start).to_numpy()].reset_index(drop=True)

    @cached_property
    def major_stems(self) -> dict[str, str]:
        """A distinct file-name stem per major incident id."""
        table = self.all_major_incidents
        return change_stems(table[c.MAJOR_INCIDENT_ID]) if table is not None else {}

    @cached_property
    def declaration_rule(self):
        """The procedure rule that times declaration (``to: declared_at``), or None."""
        return next(
            (
                r
                for r in self.params.criteria.rules
                if r.kind == "within" and r.params.get("to") == c.DECLARED_AT
            ),
            None,
        )

    @cached_property
    def declaration_timing(self) -> pd.DataFrame:
        """Time from the first sign of each major incident to its declaration (all declared by
        the period end), against the declaration rule's time."""
        table = self.all_major_incidents
        if table is None:
            return pd.DataFrame()
        rule = self.declaration_rule
        within = pd.Timedelta(rule.params["within"]) if rule is not None else None
        return mi.declaration_timing(table, self._table("incidents"), self._table("contacts"), within=within)

    @cached_property
    def debrief_status(self) -> pd.DataFrame:
        """Every required debrief of every major incident declared by the period end, as it
        stood at the end of the period."""
        table = self.all_major_incidents
        if table is None:
            return pd.DataFrame(columns=[c.MAJOR_INCIDENT_ID, "status"])
        return mi.debrief_status(
            table, self._table("debriefs"), self.major_settings.debrief_rules, as_of=self.params.end
        )

    @cached_property
    def action_status(self) -> pd.DataFrame:
        """Every debrief action, with what became of it by the end of the period."""
        actions = (self.data["actions"] if "actions" in self.data
                   else empty_frame(TABLES["actions"], timezone=self.params.timezone))
        if c.DEBRIEF_ID in actions and "debriefs" in self.data:  # agreed by the period end
            held = self.data["debriefs"].set_index(c.DEBRIEF_ID)[c.HELD_AT]
            agreed = actions[c.DEBRIEF_ID].map(held)
            actions = actions[~(agreed >= self.params.end).fillna(False).to_numpy(dtype=bool)]
        return mi.action_status(actions, as_of=self.params.end, debriefs=self._table("debriefs"))

    @cached_property
    def follow_through_by_owner(self) -> pd.DataFrame:
        """Actions that fell due by the period end, per owner: on time, late, still open."""
        return mi.follow_through(self.action_status, by=c.OWNER)

    @cached_property
    def follow_through_by_month(self) -> pd.DataFrame:
        """Actions that fell due, per month of their due date."""
        return mi.follow_through(self.action_status, freq="M")

    @cached_property
    def recurring_causes(self) -> pd.DataFrame:
        """Causes (or incident categories) shared by major incidents declared by the period end."""
        table = self.all_major_incidents
        if table is None or not len(table):
            return pd.DataFrame(columns=["cause", "source", "major_incidents", "ids"])
        return mi.recurring_causes(table, self._table("incidents"))

    @cached_property
    def service_target(self) -> tuple[float, str]:
        """The service-level share the staffing what-if holds, and where it comes from."""
        for objective in self.params.objectives:
            for kpi in objective.kpis:
                if kpi.get("metric") == "service_level":
                    return float(kpi["target"]), f"the service-level target of {objective.id}"
        return DEFAULT_SERVICE_TARGET, "80%, as no objective sets a service-level target"

    def major_incident(self, major_incident_id: str, *, agents_logged_in: int | None = None) -> MajorIncident:
        """Everything the report of one major incident shows (computed once per incident)."""
        cache = self.__dict__.setdefault("_major_cache", {})
        key = (str(major_incident_id), agents_logged_in)
        if key not in cache:
            cache[key] = self._major_incident(str(major_incident_id), agents_logged_in)
        return cache[key]

    def _major_incident(self, mid: str, agents_logged_in: int | None) -> MajorIncident:
        table = self.all_major_incidents
        known = [] if table is None else table[c.MAJOR_INCIDENT_ID].tolist()
        if mid not in known:
            raise ParameterError(
                f"major_incident_id {mid!r} is not a major incident declared by the end "
                f"of {self.params.period_label}; known: {', '.join(known) or 'none'}"
            )
        position = known.index(mid)
        record = table.iloc[position]
        level = mi.highest_levels(table.iloc[[position]]).iloc[0]
        timeline = mi.command_timeline(
            table.iloc[[position]],
            self._table("incident_events"),
            settings=self.major_settings,
            communications=self._table("communications"),
        )
        timing = self.declaration_timing.iloc[position]
        debriefs = self.debrief_status[self.debrief_status[c.MAJOR_INCIDENT_ID] == mid]
        actions = self.action_status
        actions = (
            actions[(actions[c.MAJOR_INCIDENT_ID] == mid).fillna(False).to_numpy(dtype=bool)]
            if c.MAJOR_INCIDENT_ID in actions
            else actions.iloc[:0]
        )
        surge, queues_from = None, ""  # no contacts: the surge sections say so
        contacts = self._table("contacts")
        if contacts is not None and len(contacts):
            queues, queues_from = self._affected_queues(record, contacts)
            windows = self._surge_windows(table)
            target, _ = self.service_target
            surge = contact_surge(
                contacts,
                window=windows[position],
                queues=queues,
                timezone=self.params.timezone,
                settings=self.major_settings,
                kpi_settings=self.params.kpi_settings,
                service_target=target,
                exclude=[w for i, w in enumerate(windows) if i != position],
                agents_logged_in=agents_logged_in,
            )
        return MajorIncident(
            mid,
            record,
            None if pd.isna(level) else str(level),
            timeline,
            timing,
            debriefs.reset_index(drop=True),
            actions.reset_index(drop=True),
            surge,
            queues_from,
        )

    def _surge_windows(self, table: pd.DataFrame) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
        """Each major incident's surge window: from its first sign to ``after_stand_down`` after
        stand-down (a major incident not stood down: :data:`OPEN_FOR` after declaration)."""
        sign = self.declaration_timing["first_sign_at"]
        stood = table[c.STOOD_DOWN_AT].fillna(table[c.DECLARED_AT] + OPEN_FOR)
        ends = stood + self.major_settings.after_stand_down
        return list(zip(sign.fillna(table[c.DECLARED_AT]), ends, strict=True))

    def _affected_queues(
        self, record: pd.Series, contacts: pd.DataFrame
    ) -> tuple[tuple[str, ...] | None, str]:
        """The queues the surge is counted on: as recorded, else those taking at least
        :data:`AFFECTED_SHARE` of the contacts linked to the incident, else all."""
        given = record.get(c.AFFECTED_QUEUES)
        if isinstance(given, str) and given.strip():
            return tuple(
                q.strip() for q in given.split(";") if q.strip()
            ), "as recorded for the major incident"
        linked = (
            contacts[(contacts[c.INCIDENT_ID] == record[c.INCIDENT_ID]).fillna(False).to_numpy(dtype=bool)]
            if c.INCIDENT_ID in contacts and isinstance(record.get(c.INCIDENT_ID), str)
            else contacts.iloc[:0]
        )
        if len(linked):
            share = linked[c.QUEUE].value_counts(normalize=True)
            queues = tuple(sorted(share.index[share >= AFFECTED_SHARE].astype(str)))
            return queues, (
                f"the queue(s) that took at least {AFFECTED_SHARE:.0%} of the "
                f"{len(linked):,} contacts linked to {record[c.INCIDENT_ID]}"
            )
        return None, "all queues (no affected queue is recorded and no contact is linked to the incident)"

    @cached_property
    def outstanding_debriefs(self) -> pd.DataFrame:
        """Required debriefs missing at the end of the period, longest overdue first."""
        status = self.debrief_status
        return status[status["status"] == "missing"].sort_values("late_by", ascending=False, kind="stable")

    @cached_property
    def overdue_actions(self) -> pd.DataFrame:
        """Actions open past their due date at the end of the period, longest overdue first."""
        status = self.action_status
        out = status[status["outcome"] == "open, overdue"]
        return out.sort_values("days_late", ascending=False, kind="stable") if len(out) else out

