"""Importer for ServiceNow incident audit logs (UCI dataset 498): incidents and their events."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ccreview.data import columns as c
from ccreview.data.readers import RawTable, read_raw

__all__ = [
    "SERVICENOW_STATES",
    "import_servicenow",
]


#: ServiceNow incident_state -> canonical event state
SERVICENOW_STATES = {
    "New": "new",
    "Active": "in_progress",
    "Awaiting User Info": "awaiting_customer",
    "Awaiting Vendor": "awaiting_vendor",
    "Awaiting Problem": "awaiting_problem",
    "Awaiting Evidence": "awaiting_evidence",
    "Resolved": "resolved",
    "Closed": "closed",
}


_STATUS = {"new": "new", "in_progress": "in_progress", "resolved": "resolved", "closed": "closed",
           "awaiting_customer": "on_hold", "awaiting_vendor": "on_hold",
           "awaiting_problem": "on_hold", "awaiting_evidence": "on_hold"}


_CHANNELS = {"Phone": "phone", "Email": "email", "Self service": "self_service", "IVR": "ivr",
             "Direct opening": "direct"}


#: ServiceNow writes day/month/year hour:minute without leading zeros
_TIMESTAMP = "%d/%m/%Y %H:%M"


def import_servicenow(path: str | Path) -> dict[str, RawTable]:
    """Map a ServiceNow incident audit log (one row per update) onto
    ``incidents`` and ``incident_events``.

    Mapping decisions (stated in the report's data-health section):

    * the export's missing-value marker ``?`` becomes empty;
    * timestamps (d/m/Y H:M) are rewritten as ISO 8601 and read in the run's time zone;
    * an incident takes the values of its latest update (highest ``sys_mod_count``,
      then latest ``sys_updated_at``); ``resolved_at``, ``closed_at`` and
      ``closed_code`` hold final values on every row of the export;
    * ``first_response_at`` is the first update whose state is no longer New (the
      moment someone picked the incident up);
    * ``impact``, ``urgency`` and ``priority`` keep their numbers ("2 - Medium" -> 2);
    * ``agent`` is ``opened_by``, ``assigned_team`` the latest ``assignment_group``,
      ``site`` the ``location``, ``source_sla_met`` the latest ``made_sla`` (it changes
      during an incident's life; the last value is ServiceNow's final verdict);
    * every update becomes an event (state, team = assignment group, actor =
      ``sys_updated_by``); the undocumented state ``-100`` is kept as it is, so
      validation quarantines the event and shows the value.

    Parameters
    ----------
    path : str or Path
        The export (CSV, or a zip holding it).

    Returns
    -------
    dict
        ``{"incidents": RawTable, "incident_events": RawTable}``.
    """
    raw = read_raw(path)
    log = raw.frame.replace("?", pd.NA)
    updated = _iso(log["sys_updated_at"])
    # unknown states (the undocumented "-100") pass through as they are, so validation
    # quarantines those events and shows the value
    state = log["incident_state"].map(SERVICENOW_STATES).fillna(log["incident_state"])
    order = pd.DataFrame({
        "number": log["number"],
        "mod": pd.to_numeric(log["sys_mod_count"], errors="coerce"),
        "at": pd.to_datetime(log["sys_updated_at"], format=_TIMESTAMP, errors="coerce"),
    }).sort_values(["number", "mod", "at"], kind="stable")
    last = log.loc[order.drop_duplicates("number", keep="last").index].sort_values("number")

    picked_up = state.isin(list(SERVICENOW_STATES.values())) & state.ne("new")
    first_touch = (order.assign(at_text=updated)
                   .loc[picked_up.reindex(order.index).to_numpy()]
                   .drop_duplicates("number", keep="first")
                   .set_index("number")["at_text"])
    incidents = pd.DataFrame({
        c.INCIDENT_ID: last["number"].to_numpy(),
        c.OPENED_AT: _iso(last["opened_at"]).to_numpy(),
        c.FIRST_RESPONSE_AT: last["number"].map(first_touch).to_numpy(),
        c.RESOLVED_AT: _iso(last["resolved_at"]).to_numpy(),
        c.CLOSED_AT: _iso(last["closed_at"]).to_numpy(),
        c.CHANNEL: last["contact_type"].map(_CHANNELS).to_numpy(),
        c.CATEGORY: last["category"].to_numpy(),
        c.SUBCATEGORY: last["subcategory"].to_numpy(),
        c.IMPACT: _leading_number(last["impact"]).to_numpy(),
        c.URGENCY: _leading_number(last["urgency"]).to_numpy(),
        c.PRIORITY: _leading_number(last["priority"]).to_numpy(),
        c.ASSIGNED_TEAM: last["assignment_group"].to_numpy(),
        c.AGENT: last["opened_by"].to_numpy(),
        c.REASSIGNMENT_COUNT: last["reassignment_count"].to_numpy(),
        c.REOPEN_COUNT: last["reopen_count"].to_numpy(),
        c.STATUS: state.loc[last.index].map(_STATUS).to_numpy(),
        c.RESOLUTION_CODE: last["closed_code"].to_numpy(),
        c.SITE: last["location"].to_numpy(),
        c.SOURCE_SLA_MET: last["made_sla"].to_numpy(),
        c.SOURCE_ROW: last[c.SOURCE_ROW].to_numpy(),
    })
    events = pd.DataFrame({
        c.INCIDENT_ID: log["number"].to_numpy(),
        c.AT: updated.to_numpy(),
        c.STATE: state.to_numpy(),
        c.TEAM: log["assignment_group"].to_numpy(),
        c.ACTOR: log["sys_updated_by"].to_numpy(),
        c.SOURCE_ROW: log[c.SOURCE_ROW].to_numpy(),
    })
    return {"incidents": RawTable(incidents, raw.path), "incident_events": RawTable(events, raw.path)}


def _iso(values: pd.Series) -> pd.Series:
    """d/m/Y H:M text -> ISO 8601 text (unparseable values are kept as they were, so
    validation reports them)."""
    parsed = pd.to_datetime(values, format=_TIMESTAMP, errors="coerce")
    text = parsed.dt.strftime("%Y-%m-%d %H:%M:00").astype("string")
    return text.where(parsed.notna(), values.astype("string"))


def _leading_number(values: pd.Series) -> pd.Series:
    """"2 - Medium" -> "2"."""
    return values.astype("string").str.extract(r"^\s*(\d+)", expand=False)
