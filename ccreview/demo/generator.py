"""Seeded synthetic contact-centre data with planted, known truths.

:func:`generate` writes the ten canonical tables as CSV plus ``truth.json``, which
records every effect planted in the data (a real and a null process change, a team
that mis-grades priority, a degraded period, major incidents with a missing and a late
debrief, and a few deliberately bad rows) so tests and notebooks can check that the
analysis finds them. Incidents and their history live in :mod:`ccreview.demo.incidents`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd

from ccreview.data import columns as c
from ccreview.data.schema import TABLES
from ccreview.demo.contacts import (
    _BILLING,
    _C001,
    _GENERAL,
    _SURGE,
    QA_TRUTH,
    _contacts,
    _qa,
)
from ccreview.demo.feedback import (
    _feedback,
)
from ccreview.demo.frame import (
    DEGRADED,
    FIELD_SERVICES,
    HOUR,
    QUEUES,
    RESOLVER_TEAMS,
    SERVICE_DESK,
    TEAMS,
    TZ,
    Frame,
    Scale,
    day_number,
    fmt_ts,
    obj,
)
from ccreview.demo.incidents import MISGRADE_NOISE, MISGRADE_RATE, make_incidents
from ccreview.demo.major import make_communications, make_major, plant_bad_major_rows
from ccreview.exceptions import ParameterError

__all__ = ["SCALES", "Scale", "generate"]


#: ``large`` gives any 3-month quarter > 2.2 M contacts, > 290 k incidents, > 1.9 M events
SCALES: dict[str, Scale] = {
    "small": Scale(40_000, 4_000, 12, 4, 3),
    "medium": Scale(400_000, 40_000, 60, 8, 6),
    "large": Scale(9_200_000, 1_200_000, 1_400, 60, 40),
}

#: canonical columns the demo does not write: a source system's own SLA flag is for
#: reconciling real exports, and a synthetic one would reconcile with nothing
NOT_GENERATED = frozenset({c.SOURCE_SLA_MET, c.AFFECTED_QUEUES})  # the review infers the queues
_C002_DATE = "2026-07-13"
def generate(out_dir: str | Path, *, seed: int = 7, scale: str = "small", months: int = 12,
             end: str = "2026-09-30",
             progress: Callable[[str], None] | None = None) -> dict:
    """Write the ten canonical tables as CSV + truth.json into out_dir; return the truth dict.

    Parameters
    ----------
    out_dir : str or Path
        Folder to write into (created if needed). Existing files are overwritten.
    seed : int
        Seed of :func:`numpy.random.default_rng`; same seed and arguments give
        byte-identical files.
    scale : {"small", "medium", "large"}
        Volumes per year, see :data:`SCALES`.
    months : int
        Number of whole months generated, ending on ``end``.
    end : str
        Last day generated (inclusive), ISO date, in Europe/London.
    progress : callable, optional
        Called with a short line such as ``"contacts: 412,345 rows"`` per table written.

    Returns
    -------
    dict
        The planted truths, as written to ``truth.json``.

    Raises
    ------
    ParameterError
        Unknown ``scale``, ``months`` < 1 or an unparseable ``end``.
    """
    if scale not in SCALES:
        raise ParameterError(f"unknown demo scale {scale!r}; choose one of: {', '.join(SCALES)}")
    if isinstance(months, bool) or not isinstance(months, int) or months < 1:
        raise ParameterError(f"months must be a whole number >= 1, got {months!r}")
    try:
        last = pd.Timestamp(np.datetime64(end, "D"))
    except ValueError:
        raise ParameterError(f"end must be an ISO date such as 2026-09-30, got {end!r}") from None
    first = last + pd.Timedelta(days=1) - pd.DateOffset(months=months)
    sc = SCALES[scale]
    end_day = day_number(last.strftime("%Y-%m-%d"))
    fr = Frame(np.random.default_rng(seed), day_number(first.strftime("%Y-%m-%d")),
               end_day - day_number(first.strftime("%Y-%m-%d")) + 1, sc.agents,
               sc.resolvers_per_team)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)

    inc = make_incidents(fr, per_day=sc.incidents_per_year / 365,
                         n_major=max(1, round(months * 7 / 12)))
    con = _contacts(fr, inc, sc.contacts_per_year / 365)
    feedback, fb_truth = _feedback(fr, con, inc)
    tables = {
        "incidents": inc["incidents"], "incident_events": inc["incident_events"],
        "contacts": con["table"], "feedback": feedback, "qa_evaluations": _qa(fr, con, sc),
        "changes": _changes(),
    }
    major = make_major(fr, inc, end_day)
    tables.update({k: major[k] for k in ("major_incidents", "debriefs", "actions")})
    tables["communications"] = make_communications(major["major_incidents"], inc["declared"],
                                                   inc["stood_down"])
    bad = _plant_bad_rows(fr, tables, inc, con)
    bad.update(plant_bad_major_rows(fr, tables))

    rows = {}
    for name, df in tables.items():
        columns = [col for col in TABLES[name].names if col not in NOT_GENERATED]
        df[columns].to_csv(out / f"{name}.csv", index=False, encoding="utf-8",
                           lineterminator="\n")
        rows[name] = len(df)
        if progress is not None:
            progress(f"{name}: {len(df):,} rows")
    truth = {
        "seed": seed, "scale": scale, "scale_volumes": asdict(sc), "months": months,
        "start": first.strftime("%Y-%m-%d"), "end": last.strftime("%Y-%m-%d"),
        "timezone": TZ, "rows": rows, "queues": list(QUEUES),
        "teams": {"contact_centre": SERVICE_DESK, "resolvers": list(RESOLVER_TEAMS)},
        "changes": {
            "C-001": {c.METRIC: "abandonment_rate", c.QUEUE: "billing", "effect": "real",
                      "before": _C001["before"], "after": _C001["after"],
                      "channels": ["phone", "chat"], c.IMPLEMENTED_ON: _C001["date"]},
            "C-002": {c.METRIC: "average_handle_time", c.QUEUE: "general", "effect": "none",
                      c.IMPLEMENTED_ON: _C002_DATE},
        },
        "mis_prioritising_team": {c.TEAM: RESOLVER_TEAMS[FIELD_SERVICES - 1],
                                  "rate": MISGRADE_RATE, "direction": "under", "cap": 5,
                                  "noise_rate_elsewhere": MISGRADE_NOISE},
        "degraded_period": {**DEGRADED, "csat_shift": -0.6},
        "major_incidents": _major_truth(inc, con, major),
        "debriefs": major["truth"], "actions": major["actions_truth"],
        "feedback": fb_truth, "bad_row_ids": bad,
        "qa": {**QA_TRUTH, "double_scored": int(
            tables["qa_evaluations"][c.EVALUATION_ID].str.startswith("EVR").sum())},
        "bad_rows": {t: {k: len(v) for k, v in probs.items()} for t, probs in bad.items()},
        "realised": _realised(fr, inc, con),
    }
    (out / "truth.json").write_text(json.dumps(truth, indent=2, sort_keys=True) + "\n",
                                    encoding="utf-8")
    if progress is not None:
        progress("truth.json written")
    return truth


def _plant_bad_rows(fr: Frame, tables: dict, inc: dict, con: dict) -> dict:
    """Plant a fixed handful of invalid rows; return their ids by table and problem."""
    rng = fr.rng
    good = np.flatnonzero(inc["closed"] & ~np.isin(np.arange(inc["opened"].size), inc["major"]))
    pick = rng.choice(good, 6, replace=False)
    df = tables["incidents"]
    early = inc["opened"][pick[:3]] - fr.uniform(HOUR, 5 * HOUR, 3)
    df.loc[pick[:3], c.RESOLVED_AT] = fmt_ts(early)
    df.loc[pick[3], c.OPENED_AT] = "31/02/2026 25:00"
    df.loc[pick[4], c.PRIORITY] = 9
    dup = df.loc[[pick[5]]].copy()
    dup.loc[:, [c.STATUS, c.RESOLVED_AT, c.CLOSED_AT]] = ["in_progress", None, None]
    tables["incidents"] = pd.concat([df, dup], ignore_index=True)

    cdf = tables["contacts"]
    choice = rng.choice(np.flatnonzero(con["answered"] & (con["wait"] >= 1)), 5, replace=False)
    cdf.loc[choice[2:4], c.WAIT_S] = -cdf.loc[choice[2:4], c.WAIT_S]
    cdf.loc[choice[4], c.CHANNEL] = "fax"
    tables["contacts"] = pd.concat([cdf, cdf.loc[choice[:2]]], ignore_index=True)

    ev = tables["incident_events"]
    ghosts = ["INC9999998", "INC9999999"]
    extra = pd.DataFrame({
        c.INCIDENT_ID: obj(ghosts), c.AT: obj(fmt_ts(np.full(2, fr.start + 40 * HOUR))),
        c.STATE: obj(["assigned", "in_progress"]), c.TEAM: obj([TEAMS[1]] * 2),
        c.ACTOR: obj(["R-NET-01"] * 2),
    })
    tables["incident_events"] = pd.concat([ev, extra], ignore_index=True)
    inc_ids, con_ids = inc["ids"], con["ids"]
    return {  # table -> problem -> ids of the planted rows (one entry per bad row)
        "incidents": {"resolved_before_opened": [str(x) for x in inc_ids[pick[:3]]],
                      "unparseable_opened_at": [str(inc_ids[pick[3]])],
                      "duplicate_incident_id": [str(inc_ids[pick[5]])],
                      "priority_out_of_range": [str(inc_ids[pick[4]])]},
        "contacts": {"duplicate_contact_id": [str(x) for x in con_ids[choice[:2]]],
                     "negative_wait_s": [str(x) for x in con_ids[choice[2:4]]],
                     "unknown_channel": [str(con_ids[choice[4]])]},
        "incident_events": {"unknown_incident_id": ghosts},
    }


def _major_truth(inc: dict, con: dict, major: dict) -> list[dict]:
    tab = major["major_incidents"]
    keys = (c.MAJOR_INCIDENT_ID, c.INCIDENT_ID, c.DECLARED_AT, c.HIGHEST_LEVEL)
    return [{**{k: str(tab[k].iloc[i]) for k in keys},
             **{f"surge_{k}": v for k, v in _SURGE.items()},
             "surge_contacts": int(con["surge_counts"][i])}
            for i in range(len(tab))]


def _rate(values: np.ndarray) -> float | None:
    return round(float(np.mean(values)), 6) if values.size else None


def _realised(fr: Frame, inc: dict, con: dict) -> dict:
    """Figures computed from the generated (clean) data."""
    live = con[c.CHANNEL] != 2
    normal = ~con["degraded"]
    billing = live & normal & (con[c.QUEUE] == _BILLING)
    general = con["answered"] & live & (con[c.QUEUE] == _GENERAL)
    after_c002 = con["day"] >= day_number(_C002_DATE)
    fs = inc[c.ASSIGNED_TEAM] == FIELD_SERVICES
    prio = inc[c.PRIORITY] - 1
    responded = (inc["response_s"] >= 0) & ~fr.degraded(inc["opened"])
    targets = np.array([15 * 60, 30 * 60, 2 * HOUR, 4 * HOUR, 24 * HOUR])
    events = len(inc["incident_events"])
    return {
        "billing_abandonment_before": _rate(con[c.ABANDONED][billing & ~con["after_c001"]]),
        "billing_abandonment_after": _rate(con[c.ABANDONED][billing & con["after_c001"]]),
        "billing_n_before": int((billing & ~con["after_c001"]).sum()),
        "billing_n_after": int((billing & con["after_c001"]).sum()),
        "billing_note": "phone and chat only, degraded period excluded",
        "general_aht_before_c002": _rate(con["handle"][general & ~after_c002]),
        "general_aht_after_c002": _rate(con["handle"][general & after_c002]),
        "mean_wait_degraded_s": _rate(con["wait"][live & con["degraded"]]),
        "mean_wait_other_s": _rate(con["wait"][live & normal]),
        "field_services_misgrade_rate": _rate(inc[c.PRIORITY][fs] != inc["matrix"][fs]),
        "field_services_incidents": int(fs.sum()),
        "response_target_met_outside_degraded": _rate(
            inc["response_s"][responded] <= targets[prio[responded]]),
        "events_per_incident": round(events / inc["opened"].size, 4),
    }


def _changes() -> pd.DataFrame:
    """The change register: two implemented changes (one real, one null) and four others."""
    cols = (c.CHANGE_ID, c.TITLE, c.DESCRIPTION, c.AGREED_ON, c.IMPLEMENTED_ON, c.SCOPE_QUEUE,
            c.SCOPE_TEAM, c.SCOPE_CATEGORY, c.SCOPE_CHANNEL, c.METRIC, c.EXPECTED_DIRECTION,
            c.EXPECTED_EFFECT, c.OWNER, c.STATUS, c.CONSULTED, c.CONSULTED_ON,
            c.CONSULTATION_OUTCOME, c.DECISION)
    rows = [
        ("C-001", "Offer a callback when the billing queue is busy",
         "Callers waiting on the billing queue are offered a call-back instead of holding.",
         "2026-04-14", _C001["date"], "billing", None, None, None, "abandonment_rate",
         "decrease", -0.03, "Billing operations manager", "implemented",
         "Billing team leaders; Workforce planning; Customer panel", "2026-03-30",
         "Supported; the panel asked for a guaranteed call-back window",
         "Approved by the service review board"),
        ("C-002", "New greeting script on the general queue",
         "A shorter greeting and verification script for general enquiries.", "2026-06-22",
         _C002_DATE, "general", None, None, None, "average_handle_time", "decrease", -20.0,
         "General queue team leader", "implemented", "General queue agents; Quality team",
         "2026-06-10", "Agents supportive; Quality asked for a four-week trial",
         "Approved for all general-queue agents"),
        ("C-003", "Route hardware incidents straight to Field Services",
         "Service Desk assigns hardware faults to Field Services without triage.",
         "2026-09-15", None, None, "Field Services", "hardware", None, "reassignment_rate",
         "decrease", -0.05, "Service Desk manager", "agreed",
         "Field Services; Service Desk team leaders", "2026-09-01",
         "Field Services asked for fault codes on every handoff", "Agreed; implement in Q4"),
        ("C-004", "Chat bot triage for password resets",
         "A chat bot resets passwords before a chat reaches an agent.", None, None, None,
         None, "access", "chat", "first_contact_resolution", "increase", 0.05,
         "Digital channels lead", "proposed", "Applications; Information security",
         "2026-09-10", "Security review pending", None),
        ("C-005", "Open the phone lines on Sunday mornings",
         "Staff the phone queues 10:00-14:00 on Sundays.", None, None, None, None, None,
         "phone", "service_level", "increase", 0.02, "Head of contact centre", "rejected",
         "Agents; Union representative; Finance", "2026-02-02",
         "Staff survey opposed; cost not justified by Sunday demand",
         "Rejected at the March service review"),
        ("C-006", "Priority-setting refresher for resolver teams",
         "Training on the impact x urgency matrix, starting with Field Services.",
         "2026-09-22", None, None, "Field Services", None, None, "priority_accuracy",
         "increase", 0.1, "Service quality manager", "agreed", "Resolver team managers",
         "2026-09-08", "Field Services manager agreed after the grading audit",
         "Agreed; training in October"),
    ]
    return pd.DataFrame([dict(zip(cols, r, strict=True)) for r in rows], dtype=object)
