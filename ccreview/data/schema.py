"""The canonical tables: their columns, types, allowed values and row rules.

Importers map real exports onto these tables; everything downstream reads only
these. :mod:`ccreview.data.validate` enforces what is declared here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

from ccreview.data import columns as c

__all__ = [
    "empty_frame",
    "CHANNELS",
    "TABLES",
    "Column",
    "Table",
    "table",
]

Kind = Literal["id", "text", "category", "datetime", "date", "int", "float", "bool"]

CHANNELS = (
    "phone", "email", "chat", "web", "self_service", "ivr", "social", "walk_in",
    "direct", "other",
)
INCIDENT_STATUSES = (
    "new", "assigned", "in_progress", "on_hold", "resolved", "closed", "cancelled",
)
EVENT_STATES = (
    "new", "assigned", "in_progress", "on_hold", "awaiting_customer", "awaiting_vendor",
    "awaiting_problem", "awaiting_evidence", "resolved", "reopened", "closed", "cancelled",
)
FEEDBACK_SOURCES = ("external", "internal")
FEEDBACK_KINDS = ("survey", "complaint", "compliment", "suggestion", "agent", "resolver_team")
FEEDBACK_SCALES = ("csat_1_5", "nps_0_10", "ces_1_5", "ces_1_7")
QA_METHODS = ("live", "recorded", "side_by_side", "automated", "mystery_shopper")
CHANGE_STATUSES = ("proposed", "agreed", "implemented", "rejected", "rolled_back")
DIRECTIONS = ("increase", "decrease", "none")
COMMAND_LEVELS = ("bronze", "silver", "gold")
#: the other names of the three command tiers (UK gold-silver-bronze command: strategic, tactical,
#: operational), read as the tier
COMMAND_LEVEL_SYNONYMS = {"operational": "bronze", "tactical": "silver", "strategic": "gold"}
DEBRIEF_KINDS = ("hot", "structured", "post_incident_review")
ACTION_STATUSES = ("open", "done", "cancelled")


@dataclass(frozen=True)
class Column:
    """One canonical column.

    Parameters
    ----------
    name : str
        Canonical snake_case name.
    kind : str
        How raw values are parsed: ``id``, ``text``, ``category``, ``datetime``
        (timezone-aware in the centre's zone), ``date``, ``int``, ``float`` or
        ``bool``.
    required : bool
        The column must be present in the file.
    nullable : bool
        Empty values are allowed.
    allowed : tuple of str, optional
        Allowed values of a ``category`` column (after normalising case and spaces).
    synonyms : dict, optional
        Other names of allowed values (normalised as they are), read as the value.
    minimum, maximum : float, optional
        Inclusive bounds of a numeric column.
    description : str
        Shown in the data dictionary and in error messages.
    """

    name: str
    kind: Kind
    required: bool = False
    nullable: bool = True
    allowed: tuple[str, ...] | None = None
    synonyms: dict[str, str] | None = None
    minimum: float | None = None
    maximum: float | None = None
    description: str = ""


@dataclass(frozen=True)
class Table:
    """A canonical table: its columns, primary key, ordering rules and links."""

    name: str
    columns: tuple[Column, ...]
    key: str | None = None
    #: pairs (earlier, later): when both are present, ``later`` must not precede ``earlier``
    order: tuple[tuple[str, str], ...] = ()
    #: column -> table whose key it must match (when not empty)
    references: dict[str, str] = field(default_factory=dict)
    description: str = ""

    @property
    def names(self) -> list[str]:
        """Column names in canonical order."""
        return [col.name for col in self.columns]

    @property
    def required(self) -> list[str]:
        """Names of the columns a file must contain."""
        return [col.name for col in self.columns if col.required]

    def column(self, name: str) -> Column:
        """Return the :class:`Column` called ``name``."""
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)


def _id(name: str, **kw) -> Column:
    return Column(name, "id", **kw)


INCIDENTS = Table(
    "incidents",
    (
        _id(c.INCIDENT_ID, required=True, nullable=False, description="unique incident number"),
        Column(c.OPENED_AT, "datetime", required=True, nullable=False, description="when logged"),
        Column(c.FIRST_RESPONSE_AT, "datetime", description="first response to the customer"),
        Column(c.RESOLVED_AT, "datetime", description="final resolution"),
        Column(c.CLOSED_AT, "datetime", description="closure"),
        Column(c.CHANNEL, "category", allowed=CHANNELS, description="how it was reported"),
        Column(c.CATEGORY, "text"),
        Column(c.SUBCATEGORY, "text"),
        Column(c.IMPACT, "int", minimum=1, maximum=3, description="1 high .. 3 low"),
        Column(c.URGENCY, "int", minimum=1, maximum=3, description="1 high .. 3 low"),
        Column(c.PRIORITY, "int", required=True, nullable=False, minimum=1, maximum=5,
               description="priority as recorded, 1 critical .. 5 planning"),
        Column(c.ASSIGNED_TEAM, "text", description="resolver team holding it last"),
        Column(c.AGENT, "text", description="contact-centre agent who logged it"),
        Column(c.REASSIGNMENT_COUNT, "int", minimum=0),
        Column(c.REOPEN_COUNT, "int", minimum=0),
        Column(c.ESCALATED, "bool"),
        Column(c.IS_MAJOR, "bool"),
        Column(c.STATUS, "category", allowed=INCIDENT_STATUSES),
        Column(c.RESOLUTION_CODE, "text"),
        Column(c.QUEUE, "text"),
        Column(c.SITE, "text"),
        Column(c.SOURCE_SLA_MET, "bool",
               description="the source system's own SLA verdict, where it keeps one "
                           "(e.g. ServiceNow's made_sla); used only to reconcile"),
    ),
    key=c.INCIDENT_ID,
    order=(
        (c.OPENED_AT, c.FIRST_RESPONSE_AT),
        (c.OPENED_AT, c.RESOLVED_AT),
        (c.OPENED_AT, c.CLOSED_AT),
        (c.RESOLVED_AT, c.CLOSED_AT),
    ),
    description="one row per incident",
)

INCIDENT_EVENTS = Table(
    "incident_events",
    (
        _id(c.INCIDENT_ID, required=True, nullable=False),
        Column(c.AT, "datetime", required=True, nullable=False),
        Column(c.STATE, "category", required=True, nullable=False, allowed=EVENT_STATES),
        Column(c.TEAM, "text", description="team holding the incident from this event on"),
        Column(c.ACTOR, "text"),
    ),
    references={c.INCIDENT_ID: "incidents"},
    description="status and assignment history, one row per change",
)

CONTACTS = Table(
    "contacts",
    (
        _id(c.CONTACT_ID, required=True, nullable=False),
        Column(c.ARRIVED_AT, "datetime", required=True, nullable=False,
               description="entered the agent queue"),
        Column(c.CHANNEL, "category", required=True, nullable=False, allowed=CHANNELS),
        Column(c.QUEUE, "text", required=True, nullable=False),
        Column(c.ANSWERED_AT, "datetime"),
        Column(c.ENDED_AT, "datetime"),
        Column(c.WAIT_S, "float", minimum=0, description="seconds in queue"),
        Column(c.HANDLE_S, "float", minimum=0, description="talk + hold + wrap-up seconds"),
        Column(c.ABANDONED, "bool", required=True, nullable=False),
        Column(c.AGENT, "text"),
        Column(c.CUSTOMER_ID, "text"),
        _id(c.INCIDENT_ID, description="linked incident, may be empty"),
        Column(c.FIRST_CONTACT_RESOLVED, "bool"),
    ),
    key=c.CONTACT_ID,
    order=((c.ARRIVED_AT, c.ANSWERED_AT), (c.ANSWERED_AT, c.ENDED_AT), (c.ARRIVED_AT, c.ENDED_AT)),
    description="one row per customer contact (call, chat, email)",
)

FEEDBACK = Table(
    "feedback",
    (
        _id(c.FEEDBACK_ID, required=True, nullable=False),
        Column(c.RECEIVED_AT, "datetime", required=True, nullable=False),
        Column(c.SOURCE, "category", required=True, nullable=False, allowed=FEEDBACK_SOURCES),
        Column(c.KIND, "category", required=True, nullable=False, allowed=FEEDBACK_KINDS),
        Column(c.SCORE, "float"),
        Column(c.SCALE, "category", allowed=FEEDBACK_SCALES),
        Column(c.COMMENT, "text"),
        _id(c.INCIDENT_ID),
        _id(c.CONTACT_ID),
        Column(c.TEAM, "text"),
    ),
    key=c.FEEDBACK_ID,
    description="surveys, complaints, compliments and internal feedback",
)

QA_EVALUATIONS = Table(
    "qa_evaluations",
    (
        _id(c.EVALUATION_ID, required=True, nullable=False),
        Column(c.EVALUATED_AT, "datetime", required=True, nullable=False),
        _id(c.CONTACT_ID),
        _id(c.INCIDENT_ID),
        Column(c.METHOD, "category", required=True, nullable=False, allowed=QA_METHODS),
        Column(c.EVALUATOR, "text"),
        Column(c.AGENT, "text"),
        Column(c.SCORE, "float", required=True, nullable=False, minimum=0, maximum=100),
        Column(c.CRITICAL_ERROR, "bool"),
    ),
    key=c.EVALUATION_ID,
    description="quality-monitoring evaluations",
)

CHANGES = Table(
    "changes",
    (
        _id(c.CHANGE_ID, required=True, nullable=False),
        Column(c.TITLE, "text", required=True, nullable=False),
        Column(c.DESCRIPTION, "text"),
        Column(c.AGREED_ON, "date"),
        Column(c.IMPLEMENTED_ON, "date"),
        Column(c.SCOPE_QUEUE, "text"),
        Column(c.SCOPE_TEAM, "text"),
        Column(c.SCOPE_CATEGORY, "text"),
        Column(c.SCOPE_CHANNEL, "category", allowed=CHANNELS),
        Column(c.METRIC, "text"),
        Column(c.EXPECTED_DIRECTION, "category", allowed=DIRECTIONS),
        Column(c.EXPECTED_EFFECT, "float"),
        Column(c.OWNER, "text"),
        Column(c.STATUS, "category", required=True, nullable=False, allowed=CHANGE_STATUSES),
        Column(c.CONSULTED, "text"),
        Column(c.CONSULTED_ON, "date"),
        Column(c.CONSULTATION_OUTCOME, "text"),
        Column(c.DECISION, "text"),
    ),
    key=c.CHANGE_ID,
    order=((c.AGREED_ON, c.IMPLEMENTED_ON), (c.CONSULTED_ON, c.AGREED_ON)),
    description="the change register",
)

MAJOR_INCIDENTS = Table(
    "major_incidents",
    (
        _id(c.MAJOR_INCIDENT_ID, required=True, nullable=False),
        _id(c.INCIDENT_ID),
        Column(c.TITLE, "text"),
        Column(c.DECLARED_AT, "datetime", required=True, nullable=False),
        Column(c.STOOD_DOWN_AT, "datetime"),
        Column(c.BRONZE_AT, "datetime"),
        Column(c.SILVER_AT, "datetime"),
        Column(c.GOLD_AT, "datetime"),
        Column(c.HIGHEST_LEVEL, "category", allowed=COMMAND_LEVELS, synonyms=COMMAND_LEVEL_SYNONYMS),
        Column(c.BRONZE_BY, "text", description="who (a role) activated the bronze level"),
        Column(c.SILVER_BY, "text", description="who (a role) activated the silver level"),
        Column(c.GOLD_BY, "text", description="who (a role) activated the gold level"),
        Column(c.CAUSE, "text", description="the root cause or its category, once known"),
        Column(c.AFFECTED_QUEUES, "text",
               description="queues the incident drove contacts to, separated by ';'"),
    ),
    key=c.MAJOR_INCIDENT_ID,
    order=((c.DECLARED_AT, c.STOOD_DOWN_AT), (c.DECLARED_AT, c.BRONZE_AT), (c.DECLARED_AT, c.SILVER_AT),
           (c.DECLARED_AT, c.GOLD_AT), (c.BRONZE_AT, c.SILVER_AT), (c.SILVER_AT, c.GOLD_AT)),
    references={c.INCIDENT_ID: "incidents"},
    description="major incidents with command levels activated",
)

DEBRIEFS = Table(
    "debriefs",
    (
        _id(c.DEBRIEF_ID, required=True, nullable=False),
        _id(c.MAJOR_INCIDENT_ID, required=True, nullable=False),
        Column(c.KIND, "category", required=True, nullable=False, allowed=DEBRIEF_KINDS),
        Column(c.HELD_AT, "datetime"),
        Column(c.LEAD, "text"),
    ),
    key=c.DEBRIEF_ID,
    references={c.MAJOR_INCIDENT_ID: "major_incidents"},
    description="debriefs held after major incidents",
)

ACTIONS = Table(
    "actions",
    (
        _id(c.ACTION_ID, required=True, nullable=False),
        _id(c.DEBRIEF_ID),
        _id(c.MAJOR_INCIDENT_ID),
        Column(c.DESCRIPTION, "text", required=True, nullable=False),
        Column(c.OWNER, "text"),
        Column(c.DUE_ON, "date"),
        Column(c.COMPLETED_ON, "date"),
        Column(c.STATUS, "category", allowed=ACTION_STATUSES),
    ),
    key=c.ACTION_ID,
    references={c.DEBRIEF_ID: "debriefs", c.MAJOR_INCIDENT_ID: "major_incidents"},
    description="actions agreed at debriefs, with owners and due dates",
)

COMMUNICATIONS = Table(
    "communications",
    (
        _id(c.MAJOR_INCIDENT_ID, required=True, nullable=False),
        Column(c.SENT_AT, "datetime", required=True, nullable=False),
        Column(c.AUDIENCE, "text", description="who it was for: customers, staff, executives ..."),
        Column(c.CHANNEL, "text", description="how: status page, IVR message, SMS, e-mail ..."),
    ),
    references={c.MAJOR_INCIDENT_ID: "major_incidents"},
    description="communications sent during major incidents",
)

#: every canonical table, in load order (referenced tables first)
TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        INCIDENTS, INCIDENT_EVENTS, CONTACTS, FEEDBACK, QA_EVALUATIONS, CHANGES,
        MAJOR_INCIDENTS, DEBRIEFS, ACTIONS, COMMUNICATIONS,
    )
}


def table(name: str) -> Table:
    """Return the canonical :class:`Table` called ``name``.

    Raises
    ------
    KeyError
        With the list of known tables.
    """
    try:
        return TABLES[name]
    except KeyError:
        raise KeyError(f"unknown table {name!r}; known tables: {', '.join(TABLES)}") from None


def empty_frame(table: Table, *, timezone: str) -> pd.DataFrame:
    """A table with no rows and the dtypes validation gives its columns.

    A run without, say, incidents still computes every incident result on this (as
    empty results) while the report says the file was not given.
    """
    dtypes = {"id": "string", "text": "string", "category": "string",
              "datetime": f"datetime64[us, {timezone}]", "date": "datetime64[us]",
              "int": "Int64", "float": "float64", "bool": "boolean"}
    return pd.DataFrame({col.name: pd.Series([], dtype=dtypes[col.kind]) for col in table.columns})
