"""Demo major incidents: command levels activated, debriefs and their actions, with planted lapses."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ccreview.data import columns as c
from ccreview.demo.frame import (
    DAY,
    HOUR,
    NA,
    Frame,
    fmt_date,
    fmt_ts,
    ids,
    obj,
    wall,
)

__all__ = [
    "DEBRIEF_RULES",
    "make_major",
    "make_communications",
    "plant_bad_major_rows",
]


# ---------------------------------------------------------------- major incidents, debriefs
_MI_TITLES = (
    "Broadband outage across the North West", "Mobile app login failures",
    "Payment platform unavailable", "Core router failure in Leeds exchange",
    "Email service degraded for business customers", "Self-service portal down",
    "DNS resolution failures nationwide", "Authentication service outage",
)


#: the root cause found for each title (some recur, so the review has recurring causes to find)
_MI_CAUSES = ("Core router hardware failure", "Expired TLS certificate", "Software release defect",
              "Core router hardware failure", "Supplier platform outage", "Software release defect",
              "DNS configuration change", "Expired TLS certificate")
#: who activates each command level (roles, not people: a published page names no one)
_ACTIVATED_BY = {"bronze": "Service Desk duty manager", "silver": "Head of IT operations",
                 "gold": "Chief operating officer"}


_LEADS = ("Priya Shah", "Tom Walsh", "Aisha Khan", "Gareth Jones", "Morag Campbell")


_ACTIONS = (
    "Update the major-incident runbook with the escalation contacts used",
    "Add a status-page banner template for network outages",
    "Review staffing cover for surges on the technical queue",
    "Agree a vendor escalation path with out-of-hours contacts",
    "Automate the bridge-call invitation on declaration",
    "Add monitoring alert for the failed component",
    "Brief Service Desk agents on the customer holding message",
    "Check capacity headroom on the affected platform",
    "Document the workaround in the knowledge base",
    "Run a tabletop exercise of the silver command handover",
    "Fix the gap in the change freeze calendar",
    "Send the customer communication review to Marketing",
)


_OWNERS = ("Service Desk manager", "Network lead", "Applications lead", "Problem manager",
           "Workforce planning", "Vendor manager", "Communications lead")


#: debrief rules the generator follows: kind -> (lowest level needing it, due after stand-down)
DEBRIEF_RULES = {"hot": ("bronze", DAY), "structured": ("silver", 7 * DAY),
                 "post_incident_review": ("gold", 21 * DAY)}


_LEVELS = ("bronze", "silver", "gold")


def make_major(fr: Frame, inc: dict, end_day: int) -> dict:
    """Major incidents, debriefs (one missing, one late) and debrief actions."""
    rng = fr.rng
    n = inc["major"].size
    declared, stood = inc["declared"], inc["stood_down"]
    level = rng.choice(3, n, p=[0.2, 0.47, 0.33])
    if n:
        level[0] = max(level[0], 1)  # the first is silver or gold: its structured debrief goes missing
    bronze = declared + fr.uniform(0, 300, n)
    silver = np.where(level >= 1, declared + fr.uniform(900, 3600, n), NA)
    gold = np.where(level >= 2, silver + fr.uniform(1200, 5400, n), NA)
    mi_ids = ids("MI-", n, 3)
    majors = pd.DataFrame({
        c.MAJOR_INCIDENT_ID: obj(mi_ids),
        c.INCIDENT_ID: obj(inc["ids"][inc["major"]]),
        c.TITLE: obj([_MI_TITLES[i % len(_MI_TITLES)] for i in range(n)]),
        c.DECLARED_AT: obj(fmt_ts(declared)),
        c.STOOD_DOWN_AT: obj(fmt_ts(stood)),
        c.BRONZE_AT: obj(fmt_ts(bronze)),
        c.SILVER_AT: obj(fmt_ts(silver)),
        c.GOLD_AT: obj(fmt_ts(gold)),
        c.HIGHEST_LEVEL: obj(np.array(_LEVELS, dtype=object)[level]),
        c.BRONZE_BY: obj([_ACTIVATED_BY["bronze"]] * n),
        c.SILVER_BY: obj(np.where(level >= 1, _ACTIVATED_BY["silver"], None)),
        c.GOLD_BY: obj(np.where(level >= 2, _ACTIVATED_BY["gold"], None)),
        c.CAUSE: obj([_MI_CAUSES[i % len(_MI_CAUSES)] for i in range(n)]),
    })
    rows, missing, late = [], [], []
    for i in range(n):  # a handful of major incidents
        for kind, (lowest, due) in DEBRIEF_RULES.items():
            if level[i] < _LEVELS.index(lowest):
                continue
            if i == 0 and kind == "structured":
                missing.append({c.MAJOR_INCIDENT_ID: str(mi_ids[i]), c.KIND: kind})
                continue
            span = {"hot": (HOUR / 2, 3 * HOUR), "structured": (2 * DAY, 6 * DAY),
                    "post_incident_review": (10 * DAY, 19 * DAY)}[kind]
            is_late = i == n - 1 and kind == "hot"
            if is_late:  # planted: the last hot debrief is held days after stand-down
                span = (4 * DAY, 5 * DAY)
            held = int(stood[i] + fr.uniform(*span, 1)[0])
            held -= held % 900
            if held >= fr.cutoff:
                continue
            if is_late:
                late.append({c.MAJOR_INCIDENT_ID: str(mi_ids[i]), c.KIND: kind,
                             "debrief_number": len(rows),
                             c.HELD_AT: str(fmt_ts([held])[0]),
                             "due_by": str(fmt_ts([stood[i] + due])[0])})
            rows.append((i, kind, held))
    d_ids = ids("DB-", len(rows), 3)
    for item in late:
        item[c.DEBRIEF_ID] = str(d_ids[item.pop("debrief_number")])
    debriefs = pd.DataFrame({
        c.DEBRIEF_ID: obj(d_ids),
        c.MAJOR_INCIDENT_ID: obj([mi_ids[r[0]] for r in rows]),
        c.KIND: obj([r[1] for r in rows]),
        c.HELD_AT: obj(fmt_ts(np.array([r[2] for r in rows], dtype=np.int64))),
        c.LEAD: obj([_LEADS[r[0] % len(_LEADS)] for r in rows]),
    })
    actions = _actions(fr, rows, d_ids, mi_ids, end_day)
    return {"major_incidents": majors, "debriefs": debriefs, "actions": actions["table"],
            "truth": {"missing": missing, "late": late, "rules": {
                k: {"required_from_level": v[0], "due_within_hours": v[1] // HOUR}
                for k, v in DEBRIEF_RULES.items()}},
            "actions_truth": actions["truth"], "levels": level}


def _actions(fr: Frame, rows: list, d_ids: np.ndarray, mi_ids: np.ndarray,
             end_day: int) -> dict:
    rng = fr.rng
    per = rng.integers(2, 6, len(rows))
    owner_deb = np.repeat(np.arange(len(rows)), per)
    m = owner_deb.size
    held_day = wall(np.array([r[2] for r in rows], dtype=np.int64)) // DAY
    due = held_day[owner_deb] + rng.integers(14, 46, m)
    outcome = rng.choice(3, m, p=[0.75, 0.2, 0.05])  # done, open, cancelled
    done = np.maximum(due + np.round(rng.normal(-4, 7, m)).astype(np.int64),
                      held_day[owner_deb] + 1)
    if m >= 2:  # at least one completed late and one open past its due date
        outcome[0], done[0] = 0, due[0] + 9
        outcome[1], due[1] = 1, max(min(due[1], end_day - 10), held_day[owner_deb[1]] + 7)
    finished = (outcome == 0) & (done <= end_day)
    status = np.where(finished, "done", np.where(outcome == 2, "cancelled", "open"))
    completed = np.where(finished, done, NA)
    a_ids = ids("ACT-", m, 4)
    table = pd.DataFrame({
        c.ACTION_ID: obj(a_ids),
        c.DEBRIEF_ID: obj(d_ids[owner_deb]),
        c.MAJOR_INCIDENT_ID: obj([mi_ids[rows[j][0]] for j in owner_deb]),
        c.DESCRIPTION: obj(np.array(_ACTIONS, dtype=object)[rng.integers(0, len(_ACTIONS), m)]),
        c.OWNER: obj(np.array(_OWNERS, dtype=object)[rng.integers(0, len(_OWNERS), m)]),
        c.DUE_ON: obj(fmt_date(due)),
        c.COMPLETED_ON: obj(fmt_date(completed)),
        c.STATUS: obj(status.astype(object)),
    })
    truth = {"late_completed": [str(x) for x in a_ids[finished & (done > due)]],
             "open_overdue": [str(x) for x in a_ids[(status == "open") & (due <= end_day)]]}
    return {"table": table, "truth": truth}


def plant_bad_major_rows(fr: Frame, tables: dict) -> dict:
    """Add a few invalid major-incident, debrief and action rows (no random draws, so the
    rest of the data set is unchanged); return their ids by table and problem."""
    at = fr.start + 20 * DAY + 10 * HOUR
    mi = pd.DataFrame({
        c.MAJOR_INCIDENT_ID: obj(["MI-901", "MI-902", "MI-903"]),
        c.TITLE: obj(["Silver activated before bronze", "Stood down before declared", "Unknown level"]),
        c.DECLARED_AT: obj(fmt_ts(np.full(3, at))),
        c.STOOD_DOWN_AT: obj(fmt_ts(np.array([at + 3 * HOUR, at - HOUR, at + 2 * HOUR]))),
        c.BRONZE_AT: obj(fmt_ts(np.array([at + 1800, at + 60, at + 60]))),
        c.SILVER_AT: obj(fmt_ts(np.array([at + 600, NA, NA]))),
        c.HIGHEST_LEVEL: obj(["silver", "bronze", "platinum"]),
    })
    tables["major_incidents"] = pd.concat([tables["major_incidents"], mi], ignore_index=True)
    deb = pd.DataFrame({c.DEBRIEF_ID: obj(["DB-901", "DB-902"]),
                        c.MAJOR_INCIDENT_ID: obj(["MI-999", "MI-901"]), c.KIND: obj(["hot", "hot"]),
                        c.HELD_AT: obj(fmt_ts(np.full(2, at + 6 * HOUR)))})
    tables["debriefs"] = pd.concat([tables["debriefs"], deb], ignore_index=True)
    last = tables["debriefs"].iloc[-3]  # the last real debrief
    end_day = fr.first_day + fr.n_days
    act = pd.DataFrame({
        c.ACTION_ID: obj(["ACT-9001", "ACT-9002"]), c.DEBRIEF_ID: obj([last[c.DEBRIEF_ID]] * 2),
        c.MAJOR_INCIDENT_ID: obj([last[c.MAJOR_INCIDENT_ID]] * 2),
        c.DESCRIPTION: obj(["Agree who owns the supplier escalation contract",
                            "Review the bridge-call rota"]),
        c.OWNER: obj([None, "Service Desk manager"]),
        c.DUE_ON: obj(fmt_date(np.array([end_day + 30, NA]))), c.STATUS: obj(["open", "open"]),
    })
    tables["actions"] = pd.concat([tables["actions"], act], ignore_index=True)
    return {"major_incidents": {"level_out_of_order": ["MI-901"], "stood_down_before_declared": ["MI-902"],
                                "unknown_level": ["MI-903"]},
            "debriefs": {"unknown_major_incident": ["DB-901"], "major_incident_quarantined": ["DB-902"]},
            "actions": {"no_owner": ["ACT-9001"], "no_due_date": ["ACT-9002"]}}


def make_communications(majors: pd.DataFrame, declared: np.ndarray, stood: np.ndarray) -> pd.DataFrame:
    """Communications of each major incident, at fixed offsets (no random draws): a status-page
    notice 10 minutes after declaration, a staff briefing at 20, an update every hour until
    stand-down and a text message to customers 15 minutes after it."""
    hours = np.maximum((stood - declared) // HOUR, 0)
    per = 3 + hours
    which = np.repeat(np.arange(len(declared)), per)
    step = np.arange(which.size) - np.repeat(np.cumsum(per) - per, per)  # 0, 1, ... within each incident
    last = step == per[which] - 1
    at = np.where(step == 0, declared[which] + 600, np.where(step == 1, declared[which] + 1200,
                  np.where(last, stood[which] + 900, declared[which] + (step - 1) * HOUR)))
    audience = np.where(step == 1, "staff", "customers")
    channel = np.where(step == 1, "briefing e-mail", np.where(last, "SMS", "status page"))
    return pd.DataFrame({c.MAJOR_INCIDENT_ID: obj(majors[c.MAJOR_INCIDENT_ID].to_numpy()[which]),
                         c.SENT_AT: obj(fmt_ts(at)), c.AUDIENCE: obj(audience.astype(object)),
                         c.CHANNEL: obj(channel.astype(object))})
