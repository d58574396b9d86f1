"""Importer for the Technion bank call-centre log (February 1999): one row per call -> contacts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ccreview.data import columns as c
from ccreview.data.readers import RawTable, read_raw
from ccreview.exceptions import InputError

__all__ = [
    "BANK_CALL_TYPES",
    "import_bank_calls",
]

# the export's columns (headers as normalised by read_raw: "vru+line" -> "vru_line")
_VRU_LINE, _CALL_ID, _TYPE, _DATE = "vru_line", "call_id", "type", "date"
_VRU_ENTRY, _VRU_EXIT, _VRU_TIME = "vru_entry", "vru_exit", "vru_time"
_Q_START, _Q_EXIT, _Q_TIME = "q_start", "q_exit", "q_time"
_OUTCOME, _SER_START, _SER_EXIT, _SER_TIME, _SERVER = (
    "outcome", "ser_start", "ser_exit", "ser_time", "server")
_SERVED, _HUNG_UP, _PHANTOM, _NO_SERVER = "AGENT", "HANG", "PHANTOM", "NO_SERVER"



#: the bank's call types (``type``) -> queue names
BANK_CALL_TYPES = {
    "PS": "regular",
    "PE": "regular_english",
    "IN": "internet",
    "NE": "stock_exchange",
    "NW": "prospective_customer",
    "TT": "call_back",
}


_BANK_COLUMNS = (_VRU_LINE, _CALL_ID, c.CUSTOMER_ID, _TYPE, _DATE, _VRU_ENTRY, _VRU_EXIT,
                 _VRU_TIME, _Q_START, _Q_EXIT, _Q_TIME, _OUTCOME, _SER_START, _SER_EXIT,
                 _SER_TIME, _SERVER)


_BANK_CLOCKS = (_VRU_ENTRY, _VRU_EXIT, _Q_START, _Q_EXIT, _SER_START, _SER_EXIT)


_BANK_DURATIONS = (_VRU_TIME, _Q_TIME, _SER_TIME)


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
