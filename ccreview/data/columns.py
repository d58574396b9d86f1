"""Canonical column names, defined once.

Every module refers to columns through these constants; nobody types a column
string twice. The tables that use each column are described in
:mod:`ccreview.data.schema`.
"""

from __future__ import annotations

# identifiers and links
INCIDENT_ID = "incident_id"
CONTACT_ID = "contact_id"
FEEDBACK_ID = "feedback_id"
EVALUATION_ID = "evaluation_id"
CHANGE_ID = "change_id"
MAJOR_INCIDENT_ID = "major_incident_id"
DEBRIEF_ID = "debrief_id"
ACTION_ID = "action_id"
CUSTOMER_ID = "customer_id"

# incidents
OPENED_AT = "opened_at"
FIRST_RESPONSE_AT = "first_response_at"
RESOLVED_AT = "resolved_at"
CLOSED_AT = "closed_at"
CHANNEL = "channel"
CATEGORY = "category"
SUBCATEGORY = "subcategory"
IMPACT = "impact"
URGENCY = "urgency"
PRIORITY = "priority"
ASSIGNED_TEAM = "assigned_team"
AGENT = "agent"
REASSIGNMENT_COUNT = "reassignment_count"
REOPEN_COUNT = "reopen_count"
ESCALATED = "escalated"
IS_MAJOR = "is_major"
STATUS = "status"
RESOLUTION_CODE = "resolution_code"
QUEUE = "queue"
SITE = "site"
SOURCE_SLA_MET = "source_sla_met"

# incident_events
AT = "at"
STATE = "state"
TEAM = "team"
ACTOR = "actor"

# contacts
ARRIVED_AT = "arrived_at"
ANSWERED_AT = "answered_at"
ENDED_AT = "ended_at"
WAIT_S = "wait_s"
HANDLE_S = "handle_s"
ABANDONED = "abandoned"
FIRST_CONTACT_RESOLVED = "first_contact_resolved"

# feedback
RECEIVED_AT = "received_at"
SOURCE = "source"
KIND = "kind"
SCORE = "score"
SCALE = "scale"
COMMENT = "comment"

# qa_evaluations
EVALUATED_AT = "evaluated_at"
METHOD = "method"
EVALUATOR = "evaluator"
CRITICAL_ERROR = "critical_error"

# changes
TITLE = "title"
DESCRIPTION = "description"
AGREED_ON = "agreed_on"
IMPLEMENTED_ON = "implemented_on"
SCOPE_QUEUE = "scope_queue"
SCOPE_TEAM = "scope_team"
SCOPE_CATEGORY = "scope_category"
SCOPE_CHANNEL = "scope_channel"
METRIC = "metric"
EXPECTED_DIRECTION = "expected_direction"
EXPECTED_EFFECT = "expected_effect"
OWNER = "owner"
CONSULTED = "consulted"
CONSULTED_ON = "consulted_on"
CONSULTATION_OUTCOME = "consultation_outcome"
DECISION = "decision"

# major_incidents, debriefs, actions
DECLARED_AT = "declared_at"
STOOD_DOWN_AT = "stood_down_at"
BRONZE_AT = "bronze_at"
SILVER_AT = "silver_at"
GOLD_AT = "gold_at"
BRONZE_BY = "bronze_by"
SILVER_BY = "silver_by"
GOLD_BY = "gold_by"
CAUSE = "cause"
AFFECTED_QUEUES = "affected_queues"
SENT_AT = "sent_at"
AUDIENCE = "audience"
HIGHEST_LEVEL = "highest_level"
HELD_AT = "held_at"
LEAD = "lead"
DUE_ON = "due_on"
COMPLETED_ON = "completed_on"

# derived by the analyses
PERIOD_START = "period_start"  # first day (local, timezone-naive) of a week or month

# bookkeeping added by validation (never present in raw exports)
SOURCE_ROW = "source_row"
REASONS = "reasons"
