"""Importers: real exports mapped onto the canonical tables.

An importer reads one export and returns canonical tables as
:class:`~ccreview.data.readers.RawTable` objects, still as text, so they go through the same
validation as any other input; each row keeps the row number of the export it
came from. A parameter file names them under ``imports:``::

    imports:
      servicenow: ../../shared/data/servicenow-uci/incident_event_log.zip
      bank_calls: ../../shared/data/anonymous-bank/calls-1999-02.txt.gz

An importer may also hand over the rows it refuses (``RawTable.rejected``, each with
its reasons); validation quarantines and counts them under the export's row numbers,
so rows in the export = rows accepted + rows quarantined.

``bank_calls`` reads the call-by-call log of the "Anonymous Bank" call centre
(Guedj and Mandelbaum, Technion SEE lab, 1999) into ``contacts``. In short (details
in :func:`import_bank_calls`): a contact arrives when it enters the agent queue; a
call served straight from the VRU arrives and is answered as it leaves the VRU (wait
0); hang-ups in the VRU were never offered to an agent and, like PHANTOM calls and
rows with a negative duration, are quarantined with a reason; a time more than 12
hours before the VRU entry is on the next day.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ccreview.data import columns as c
from ccreview.data.readers import RawTable, read_raw
from ccreview.exceptions import InputError

__all__ = ["BANK_CALL_TYPES", "IMPORTERS", "SERVICENOW_STATES", "import_bank_calls",
           "import_servicenow"]

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


#: the bank's call types (``type``) -> queue names
BANK_CALL_TYPES = {
    "PS": "regular",
    "PE": "regular_english",
    "IN": "internet",
    "NE": "stock_exchange",
    "NW": "prospective_customer",
    "TT": "call_back",
}
# the export's columns (headers as normalised by read_raw: "vru+line" -> "vru_line")
_VRU_LINE, _CALL_ID, _TYPE, _DATE = "vru_line", "call_id", "type", "date"
_VRU_ENTRY, _VRU_EXIT, _VRU_TIME = "vru_entry", "vru_exit", "vru_time"
_Q_START, _Q_EXIT, _Q_TIME = "q_start", "q_exit", "q_time"
_OUTCOME, _SER_START, _SER_EXIT, _SER_TIME, _SERVER = (
    "outcome", "ser_start", "ser_exit", "ser_time", "server")
_BANK_COLUMNS = (_VRU_LINE, _CALL_ID, c.CUSTOMER_ID, _TYPE, _DATE, _VRU_ENTRY, _VRU_EXIT,
                 _VRU_TIME, _Q_START, _Q_EXIT, _Q_TIME, _OUTCOME, _SER_START, _SER_EXIT,
                 _SER_TIME, _SERVER)
_BANK_CLOCKS = (_VRU_ENTRY, _VRU_EXIT, _Q_START, _Q_EXIT, _SER_START, _SER_EXIT)
_BANK_DURATIONS = (_VRU_TIME, _Q_TIME, _SER_TIME)
_SERVED, _HUNG_UP, _PHANTOM, _NO_SERVER = "AGENT", "HANG", "PHANTOM", "NO_SERVER"
_DAY_S = 24 * 3600
#: a clock time more than this before the VRU entry is on the next day (no call lasts 12 h)
_NEXT_DAY_S = 12 * 3600


def import_bank_calls(path: str | Path) -> dict[str, RawTable]:
    """Map the "Anonymous Bank" call-by-call log (Guedj and Mandelbaum, Technion) onto
    ``contacts``.

    Mapping decisions (the quarantine reasons appear in the report's data-health
    section):

    * ``contact_id`` is ``vru_line-call_id`` (e.g. ``AA0101-34536``): ``call_id`` is
      unique only within a VRU line (in February 1999, 15,516 call ids over 33,344
      calls); the pair is unique, and stable across re-imports;
    * a contact *arrives* when it enters the agent queue (``q_start``), as the schema
      and the service-level and ASA definitions measure from queue entry; time in the
      VRU is not waiting for an agent;
    * a call that never queued (``q_start`` and ``q_exit`` 0:00:00, ``q_time`` 0) and was
      served (AGENT) went from the VRU straight to an agent: it arrives and is
      answered at ``vru_exit``, with a wait of 0;
    * a call that never queued and hung up (HANG) left in the VRU and was never offered
      to an agent: it is not a contact of the agent queue (abandons in the VRU are not
      queue abandons) and is quarantined with that reason;
    * ``outcome`` PHANTOM (a "virtual call to be ignored", says the data's
      documentation) and unknown outcomes are quarantined; so are unknown call types,
      unreadable dates, times or durations, and negative durations (some rows have a
      negative ``vru_time``: the VRU exit is before the entry, so the row's times
      contradict each other);
    * ``wait_s`` is ``q_time``, ``answered_at`` is arrival + wait (``q_exit``, when the
      call left the queue for an agent), ``abandoned`` is HANG after queueing, and an
      abandoned contact ends when it left the queue;
    * ``handle_s`` is ``ser_time`` and ``ended_at`` is ``ser_exit``; the agents' switch
      runs about a second behind the queue's clock, so ``ended_at`` is never put before
      ``answered_at``. AGENT rows whose service was not recorded (``ser_start`` and
      ``ser_exit`` 0:00:00, ``ser_time`` 0) stay answered, with handle time and end
      unknown; HANG rows that carry service times stay abandoned (the outcome decides);
    * times are on ``date`` unless they are more than 12 hours earlier than
      ``vru_entry``: then they are on the next day (service, or the queue, crossing
      midnight);
    * ``agent`` is ``server``, empty for NO_SERVER (some AGENT rows have NO_SERVER: they
      stay answered, by an unknown agent); ``customer_id`` 0 (unidentified) is empty;
      ``queue`` is the call type in words (:data:`BANK_CALL_TYPES`); ``channel`` is
      phone; ``priority`` and the VRU times are not carried over;
    * timestamps are naive local times, read in the run's time zone (Asia/Jerusalem).

    Parameters
    ----------
    path : str or Path
        The tab-separated log (optionally gzip-compressed).

    Returns
    -------
    dict
        ``{"contacts": RawTable}``; the rows refused are in its ``rejected`` frame (the
        export's values, ``contact_id``, ``source_row`` and ``reasons``).

    Raises
    ------
    InputError
        When the file lacks a column of the log's layout.
    """
    raw = read_raw(path)
    log = raw.frame
    missing = [col for col in _BANK_COLUMNS if col not in log.columns]
    if missing:
        raise InputError(f"{raw.path}: column(s) missing for the bank_calls importer: "
                         f"{', '.join(missing)}. It reads the Anonymous Bank call log, whose "
                         f"header is: {', '.join(_BANK_COLUMNS)} (vru_line written vru+line).")
    text = {col: log[col].astype("string").str.strip() for col in _BANK_COLUMNS}
    day = pd.to_datetime(text[_DATE], format="%y%m%d", errors="coerce")
    clock = {col: _clock_seconds(text[col]) for col in _BANK_CLOCKS}
    length = {col: _whole_seconds(text[col]) for col in _BANK_DURATIONS}
    outcome = text[_OUTCOME].str.upper()
    queued = ~((clock[_Q_START] == 0) & (clock[_Q_EXIT] == 0) & (length[_Q_TIME] == 0)).to_numpy()

    rules = [(_DATE, day.isna(), "is not a date YYMMDD, so the call cannot be placed in time")]
    rules += [(col, clock[col].isna(), "is not a time of day H:MM:SS") for col in _BANK_CLOCKS]
    for col in _BANK_DURATIONS:
        rules.append((col, length[col].isna(), "is not a whole number of seconds"))
        rules.append((col, length[col] < 0, "is a negative duration, so the call's times "
                                            "contradict each other"))
    rules += [
        (_TYPE, ~text[_TYPE].isin(list(BANK_CALL_TYPES)),
         f"is not a known call type ({', '.join(BANK_CALL_TYPES)})"),
        (_OUTCOME, outcome == _PHANTOM,
         "is PHANTOM, a virtual call that the data's documentation says to ignore"),
        (_OUTCOME, ~outcome.isin([_SERVED, _HUNG_UP, _PHANTOM]),
         "is not AGENT, HANG or PHANTOM, so what happened to the call is unknown"),
        (_Q_START, (outcome == _HUNG_UP) & ~queued,
         "is 0:00:00 and the outcome is HANG: the caller hung up in the VRU before joining the "
         "agent queue, so the call was never offered to an agent (not a queue abandonment)"),
    ]
    reasons = np.full(len(log), "", dtype=object)
    for col, mask, problem in rules:  # a dozen rules, each vectorised over the rows
        flag = np.asarray(pd.Series(mask).fillna(False), dtype=bool)
        if flag.any():
            entry, held = f"{col}: {problem}", reasons[flag]
            reasons[flag] = np.where(held == "", entry, held + "; " + entry)
    refused = reasons != ""

    entry_s = clock[_VRU_ENTRY]

    def at(col: str) -> pd.Series:
        seconds = clock[col] + np.where(clock[col] < entry_s - _NEXT_DAY_S, _DAY_S, 0)
        return day + pd.to_timedelta(seconds, unit="s")

    served = outcome.eq(_SERVED).fillna(False).to_numpy(dtype=bool)
    abandoned = outcome.eq(_HUNG_UP).fillna(False).to_numpy(dtype=bool) & queued
    arrived = at(_Q_START).where(queued, at(_VRU_EXIT))
    wait = length[_Q_TIME].where(queued, 0)
    left_queue = arrived + pd.to_timedelta(wait, unit="s")
    no_service = ((clock[_SER_START] == 0) & (clock[_SER_EXIT] == 0)
                  & (length[_SER_TIME] == 0)).to_numpy()
    service = served & ~no_service
    ser_exit = at(_SER_EXIT)
    ended = ser_exit.where(ser_exit >= left_queue, left_queue).where(service)
    ended = ended.where(~abandoned, left_queue)
    server = text[_SERVER]
    contact_id = text[_VRU_LINE] + "-" + text[_CALL_ID]
    contacts = pd.DataFrame({
        c.CONTACT_ID: contact_id,
        c.ARRIVED_AT: _iso_seconds(arrived),
        c.CHANNEL: "phone",
        c.QUEUE: text[_TYPE].map(BANK_CALL_TYPES),
        c.ANSWERED_AT: _iso_seconds(left_queue.where(served)),
        c.ENDED_AT: _iso_seconds(ended),
        c.WAIT_S: _whole_text(wait),
        c.HANDLE_S: _whole_text(length[_SER_TIME].where(service)),
        c.ABANDONED: np.where(abandoned, "true", "false"),
        c.AGENT: server.mask(server.eq(_NO_SERVER) | server.eq("") | ~served),
        c.CUSTOMER_ID: text[c.CUSTOMER_ID].mask(text[c.CUSTOMER_ID].isin(["0", ""])),
        c.SOURCE_ROW: log[c.SOURCE_ROW],
    })
    rejected = log.loc[refused].copy()
    rejected.insert(0, c.CONTACT_ID, contact_id[refused])
    rejected[c.REASONS] = pd.array(reasons[refused], dtype="string")
    table = RawTable(contacts.loc[~refused].reset_index(drop=True), raw.path, raw.row_label,
                     rejected=rejected.reset_index(drop=True))
    return {"contacts": table}


def _clock_seconds(values: pd.Series) -> pd.Series:
    """"H:MM:SS" (no leading zero needed) -> seconds after midnight; NaN where unreadable."""
    text = pa.array(values, type=pa.string())
    ok = pc.fill_null(pc.match_substring_regex(text, r"^\d{1,2}:[0-5]\d:[0-5]\d$"), False)
    padded = pc.utf8_lpad(pc.if_else(ok, text, "00:00:00"), 8, "0")  # "7:02:47" -> "07:02:47"
    hours, minutes, seconds = (
        pc.cast(pc.utf8_slice_codeunits(padded, i, i + 2), pa.float64()).to_numpy()
        for i in (0, 3, 6))
    total = hours * 3600 + minutes * 60 + seconds
    valid = ok.to_numpy(zero_copy_only=False) & (hours < 24)
    return pd.Series(np.where(valid, total, np.nan), index=values.index)


def _whole_seconds(values: pd.Series) -> pd.Series:
    """"-57" -> -57.0; NaN where not a whole number."""
    return values.where(values.str.fullmatch(r"-?\d+").fillna(False)).astype(float)


def _whole_text(values: pd.Series) -> pd.Series:
    return values.round().astype("Int64").astype("string")


def _iso_seconds(values: pd.Series) -> pd.Series:
    return values.dt.strftime("%Y-%m-%d %H:%M:%S").astype("string")


#: importer name (as used under ``imports:``) -> function
IMPORTERS: dict[str, Callable[[str | Path], dict[str, RawTable]]] = {
    "servicenow": import_servicenow,
    "bank_calls": import_bank_calls,
}
