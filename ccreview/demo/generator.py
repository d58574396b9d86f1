"""Seeded synthetic contact-centre data with planted, known truths.

:func:`generate` writes the nine canonical tables as CSV plus ``truth.json``, which
records every effect planted in the data (a real and a null process change, a team
that mis-grades priority, a degraded period, major incidents with a missing and a late
debrief, and a few deliberately bad rows) so tests and notebooks can check that the
analysis finds them. Incidents and their history live in :mod:`ccreview.demo.incidents`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ccreview.data import columns as c
from ccreview.data.schema import TABLES
from ccreview.demo.incidents import (
    DAY,
    DEGRADED,
    FIELD_SERVICES,
    HOUR,
    MISGRADE_NOISE,
    MISGRADE_RATE,
    NA,
    QUEUES,
    RESOLVER_TEAMS,
    SERVICE_DESK,
    TEAMS,
    TZ,
    Frame,
    day_number,
    email_weights,
    fmt_bool,
    fmt_ts,
    ids,
    live_weights,
    make_incidents,
    make_major,
    obj,
    poisson_arrivals,
    wall,
)
from ccreview.exceptions import ParameterError

__all__ = ["SCALES", "Scale", "generate"]


@dataclass(frozen=True)
class Scale:
    """Yearly volumes and staff sizes of one generated centre."""

    contacts_per_year: int
    incidents_per_year: int
    agents: int
    resolvers_per_team: int
    qa_evaluators: int


#: ``large`` gives any 3-month quarter > 2.2 M contacts, > 290 k incidents, > 1.9 M events
SCALES: dict[str, Scale] = {
    "small": Scale(40_000, 4_000, 12, 4, 3),
    "medium": Scale(400_000, 40_000, 60, 8, 6),
    "large": Scale(9_200_000, 1_200_000, 1_400, 60, 40),
}

#: canonical columns the demo does not write: a source system's own SLA flag is for
#: reconciling real exports, and a synthetic one would reconcile with nothing
NOT_GENERATED = frozenset({c.SOURCE_SLA_MET})
_QUEUE_SHARE = (0.30, 0.35, 0.20, 0.15)  # billing, technical, general, accounts
# mean would-be waits: about three quarters of calls answered within 20 s in a normal week
_BASE_WAIT_S = np.array([16.0, 22.0, 11.0, 14.0])
_BASE_ABANDON = np.array([0.09, 0.07, 0.05, 0.06])
_AHT_MEDIAN_S = np.array([380.0, 420.0, 270.0, 330.0])
_FCR = np.array([0.78, 0.68, 0.82, 0.76])
_LINK = np.array([0.07, 0.16, 0.06, 0.08])  # share of answered contacts linked to an incident
_EMAIL_WAIT_S = 4 * HOUR
_C001 = {"date": "2026-05-05", "before": 0.09, "after": 0.05}
_C002_DATE = "2026-07-13"
_SURGE = {c.QUEUE: "technical", "factor": 4.0, "hours": 4, "wait_factor": 2.5,
          "abandon_factor": 1.5}
_CHANNELS = ("phone", "chat", "email")
_BILLING, _TECHNICAL, _GENERAL = (QUEUES.index(q) for q in ("billing", "technical", "general"))


def generate(out_dir: str | Path, *, seed: int = 7, scale: str = "small", months: int = 12,
             end: str = "2026-09-30",
             progress: Callable[[str], None] | None = None) -> dict:
    """Write the nine canonical tables as CSV + truth.json into out_dir; return the truth dict.

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
    bad = _plant_bad_rows(fr, tables, inc, con)

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
        "bad_rows": {t: {k: len(v) for k, v in probs.items()} for t, probs in bad.items()},
        "realised": _realised(fr, inc, con),
    }
    (out / "truth.json").write_text(json.dumps(truth, indent=2, sort_keys=True) + "\n",
                                    encoding="utf-8")
    if progress is not None:
        progress("truth.json written")
    return truth


def _contacts(fr: Frame, inc: dict, per_day: float) -> dict:
    """Arrivals, waiting with competing-exponential abandonment, handling, links."""
    rng = fr.rng
    t_live, q_live = poisson_arrivals(fr, per_day * 0.9, live_weights(), _QUEUE_SHARE)
    t_mail, q_mail = poisson_arrivals(fr, per_day * 0.1, email_weights(), _QUEUE_SHARE)
    ch_live = np.where(rng.random(t_live.size) < 65 / 90, 0, 1)
    n_major = inc["major"].size
    rate = _SURGE["factor"] * per_day * 0.9 * _QUEUE_SHARE[_TECHNICAL] / 11  # per hour
    n_surge = rng.poisson(rate * _SURGE["hours"], n_major)
    surge_mi = np.repeat(np.arange(n_major), n_surge)
    t_surge = inc["declared"][surge_mi] + fr.uniform(0, _SURGE["hours"] * HOUR, surge_mi.size)
    t = np.concatenate([t_live, t_mail, t_surge])
    order = np.argsort(t, kind="stable")
    t = t[order]
    queue = np.concatenate([q_live, q_mail, np.full(surge_mi.size, _TECHNICAL)])[order]
    channel = np.concatenate([ch_live, np.full(t_mail.size, 2),
                              np.where(rng.random(surge_mi.size) < 0.85, 0, 1)])[order]
    surge_of = np.concatenate([np.full(t_live.size + t_mail.size, -1), surge_mi])[order]
    n = t.size

    w = wall(t)
    lw = live_weights()
    load = lw[(w // DAY + 3) % 7, w // HOUR % 24] / lw[lw > 0].mean()
    load = np.clip(np.where(load > 0, load, 0.5) ** 1.2, 0.4, 2.5)
    degraded = fr.degraded(t)
    in_surge = np.zeros(n, dtype=bool)
    for d in inc["declared"]:  # a handful of major incidents
        in_surge |= (queue == _TECHNICAL) & (t >= d) & (t < d + _SURGE["hours"] * HOUR)
    email = channel == 2
    mean_wait = _BASE_WAIT_S[queue] * np.where(channel == 1, 1.4, 1.0) * load
    mean_wait = np.where(email, _EMAIL_WAIT_S, mean_wait * np.where(in_surge, _SURGE["wait_factor"], 1.0))
    mean_wait *= np.where(degraded, DEGRADED["wait_factor"], 1.0)
    after_c001 = w // DAY >= day_number(_C001["date"])
    target = np.where((queue == _BILLING) & after_c001, _C001["after"], _BASE_ABANDON[queue])
    target = target * np.where(degraded, DEGRADED["abandon_factor"], 1.0)
    target = np.minimum(target * np.where(in_surge, _SURGE["abandon_factor"], 1.0), 0.6)
    would_wait = rng.exponential(1.0, n) * mean_wait
    patience = rng.exponential(1.0, n) * mean_wait * (1 - target) / target
    patience[email] = np.inf
    abandoned = patience < would_wait
    wait_s = np.round(np.minimum(would_wait, patience), 1)
    answered = ~abandoned
    handle = np.round(np.where(email, 200.0, _AHT_MEDIAN_S[queue])
                      * np.exp(0.45 * rng.standard_normal(n)))
    answered_at = t + np.floor(wait_s).astype(np.int64)
    ended = answered_at + np.where(answered, handle, 0).astype(np.int64)

    pool = np.array([len(range(q, fr.agents, 4)) for q in range(4)])
    agent = queue + 4 * np.floor(rng.random(n) * pool[queue]).astype(np.int64)
    customers = max(int(n * 0.55), 1)
    customer = np.floor(customers * rng.random(n) ** 2).astype(np.int64)
    fcr = rng.random(n) < _FCR[queue] - np.where(degraded, 0.08, 0.0)
    link = np.full(n, -1, dtype=np.int64)
    opened = inc["opened"]
    hi = np.searchsorted(opened, t, side="right")
    lo = np.searchsorted(opened, t - 3 * DAY, side="left")
    pick = hi - 1 - np.floor(rng.random(n) ** 2 * (hi - lo)).astype(np.int64)
    wants = answered & (rng.random(n) < _LINK[queue]) & (hi > lo)
    link[wants] = pick[wants]
    to_major = answered & (surge_of >= 0) & (rng.random(n) < 0.6)
    link[to_major] = inc["major"][surge_of[to_major]]

    contact_id = ids("CON", n, 8)
    cust_ids = np.strings.add("CUS", np.strings.zfill((customer + 1).astype(str), 7))
    table = pd.DataFrame({
        c.CONTACT_ID: obj(contact_id),
        c.ARRIVED_AT: obj(fmt_ts(t)),
        c.CHANNEL: obj(np.array(_CHANNELS, dtype=object)[channel]),
        c.QUEUE: obj(np.array(QUEUES, dtype=object)[queue]),
        c.ANSWERED_AT: obj(fmt_ts(np.where(answered, answered_at, NA))),
        c.ENDED_AT: obj(fmt_ts(ended)),
        c.WAIT_S: wait_s,
        c.HANDLE_S: pd.array(np.where(answered, handle, np.nan), dtype="Int64"),
        c.ABANDONED: obj(fmt_bool(abandoned)),
        c.AGENT: obj(np.where(answered, ids("A", fr.agents, 3)[agent], None)),
        c.CUSTOMER_ID: obj(cust_ids.astype(object)),
        c.INCIDENT_ID: obj(np.where(link >= 0, inc["ids"][np.maximum(link, 0)], None)),
        c.FIRST_CONTACT_RESOLVED: obj(fmt_bool(fcr, missing=abandoned)),
    })
    return {"table": table, "t": t, "ended": ended, c.QUEUE: queue, c.CHANNEL: channel,
            "wait": wait_s, "handle": handle, "answered": answered, c.ABANDONED: abandoned,
            "fcr": fcr & answered, c.AGENT: agent, "link": link, "degraded": degraded,
            "in_surge": in_surge, "ids": contact_id, "after_c001": after_c001,
            "day": w // DAY, "surge_counts": n_surge}


def _qa(fr: Frame, con: dict, sc: Scale) -> pd.DataFrame:
    """About 2 % of answered contacts evaluated a few days later."""
    rng = fr.rng
    idx = np.flatnonzero(con["answered"] & (rng.random(con["t"].size) < 0.02))
    at = con["ended"][idx] + fr.uniform(DAY, 5 * DAY, idx.size)
    idx, at = idx[at < fr.cutoff], at[at < fr.cutoff]
    order = np.argsort(at, kind="stable")
    idx, at = idx[order], at[order]
    m = idx.size
    methods = np.array(["live", "recorded", "side_by_side", "automated", "mystery_shopper"],
                       dtype=object)
    critical = rng.random(m) < 0.03
    score = np.clip(rng.normal(82, 8, m) - np.where(critical, 10, 0), 0, 100).round(1)
    inc_ids = con["table"][c.INCIDENT_ID].to_numpy()
    return pd.DataFrame({
        c.EVALUATION_ID: obj(ids("EV", m, 6)),
        c.EVALUATED_AT: obj(fmt_ts(at)),
        c.CONTACT_ID: obj(con["ids"][idx]),
        c.INCIDENT_ID: obj(inc_ids[idx]),
        c.METHOD: obj(methods[rng.choice(5, m, p=[0.15, 0.5, 0.1, 0.2, 0.05])]),
        c.EVALUATOR: obj(ids("QA", sc.qa_evaluators, 2)[rng.integers(0, sc.qa_evaluators, m)]),
        c.AGENT: obj(ids("A", fr.agents, 3)[con[c.AGENT][idx]]),
        c.SCORE: score,
        c.CRITICAL_ERROR: obj(fmt_bool(critical)),
    })


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


# ---------------------------------------------------------------------------- feedback
_COMPLAINTS = (
    "I waited over 40 minutes on hold and then the call dropped.",
    "I have been passed between three different teams and nobody owns my problem.",
    "This is the fourth time I have called about the same fault.",
    "Your engineer did not turn up for the appointment and nobody told me.",
    "I was promised a call back that never came.",
    "The agent was polite but could not fix anything and had to transfer me.",
    "I was charged twice this month and still have no refund.",
    "The wait on the phone line was unbearable, over half an hour.",
    "Every time I call I have to explain the whole problem again from the start.",
    "My broadband has been down for a week and the updates are useless.",
    "The chat kept disconnecting and I had to start again each time.",
    "I was told the ticket was resolved but the fault is still there.",
    "I emailed three times and got no reply for days.",
    "Nobody could tell me which team was dealing with my complaint.",
    "I was transferred to billing, then technical, then back to billing.",
    "Repeated calls about the same issue and still no engineer booked.",
    "The waiting time on the phone gets worse every week.",
    "Your portal said the incident was closed without asking me.",
    "I was cut off after waiting 25 minutes in the queue.",
    "The outage was not on your status page so I had to phone in.",
    "Staff gave me conflicting information about when it would be fixed.",
)
_SURVEY_LOW = ("Waited far too long to get through.", "Had to call back again.",
               "Problem still not fixed.", "Passed around between departments.",
               "The agent did not understand the issue.")
_SURVEY_HIGH = ("Quick and helpful.", "Sorted first time.", "Friendly agent.",
                "Clear explanation of what happens next.", "Fixed while I was on the phone.")
_COMPLIMENTS = ("Thank you to the agent who stayed on the line until it worked.",
                "Really impressed with how quickly the engineer came out.",
                "Great service, sorted in one call.", "The chat adviser was patient and clear.")
_SUGGESTIONS = ("Offer a call-back instead of making me wait on hold.",
                "Text me when the engineer is on the way.",
                "Let me see the status of my ticket online.",
                "Put outage updates on the website before people ring.")
_AGENT_NOTES = ("Resolver team has not acknowledged the ticket after a day; customer chasing.",
                "No update from the resolver team so I could not answer the customer.",
                "Ticket bounced back to us without a note.",
                "Customer has called four times for updates on this one.",
                "Knowledge article is out of date for this fault.")
_RESOLVER_NOTES = ("Handoff missing the customer's contact details.",
                   "No troubleshooting steps recorded before escalation.",
                   "Wrong team: this should have gone to Network.",
                   "Priority looks wrong for the impact described.",
                   "Missing information: no account number or fault reference.",
                   "Good handoff, everything we needed was there.")
_PLANTED = (
    ("email", "Please reply to jane.doe@example.com, nobody has answered my emails."),
    ("phone", "Call me back on 07700 900123, I cannot wait on hold again."),
    ("email", "My partner j.smith@example.org has called about this three times."),
    ("phone", "Ring +44 7700 900456 after 6pm please, the fault is still there."),
    ("script", '<script>alert("x")</script> your contact form does not work'),
    ("html", "Screenshot of the error: <img src=x onerror=alert(1)>"),
)


def _pick(rng: np.random.Generator, texts: tuple[str, ...], n: int) -> np.ndarray:
    return np.array(texts, dtype=object)[rng.integers(0, len(texts), n)]


def _feedback(fr: Frame, con: dict, inc: dict) -> tuple[pd.DataFrame, dict]:
    """Surveys, complaints, compliments, suggestions and internal feedback."""
    rng = fr.rng
    n = con["t"].size
    ans, fcr, deg = con["answered"], con["fcr"], con["degraded"]
    long_wait = np.where(con[c.CHANNEL] == 2, con["wait"] > 8 * HOUR, con["wait"] > 120)
    inc_of = np.where(con["link"] >= 0, inc["ids"][np.maximum(con["link"], 0)], None)
    parts: list[dict] = []

    def add(idx, at, source, kind, score, scale, comment, incident, contact, team):
        m = len(idx)
        parts.append({c.RECEIVED_AT: at, c.SOURCE: np.full(m, source, dtype=object),
                      c.KIND: np.full(m, kind, dtype=object), c.SCORE: score,
                      c.SCALE: np.full(m, scale, dtype=object), c.COMMENT: comment,
                      c.INCIDENT_ID: incident, c.CONTACT_ID: contact,
                      c.TEAM: np.broadcast_to(np.asarray(team, dtype=object), (m,))})

    u = rng.random(n)
    drivers = 0.5 * long_wait + 0.9 * ~fcr + 0.6 * deg
    for kind, lo, hi, base, sd, top in (("csat_1_5", 0.0, 0.08, 4.3, 0.85, 5),
                                        ("nps_0_10", 0.08, 0.12, 8.6, 1.6, 10)):
        idx = np.flatnonzero(ans & (u >= lo) & (u < hi))
        weight = 1.0 if top == 5 else 2.0
        score = np.clip(np.rint(base - weight * drivers[idx] + sd * rng.standard_normal(
            idx.size)), 1 if top == 5 else 0, top)
        low = score <= (2 if top == 5 else 5)
        comment = np.where(low, _pick(rng, _SURVEY_LOW, idx.size),
                           _pick(rng, _SURVEY_HIGH, idx.size))
        comment[(rng.random(idx.size) > 0.25) | (~low & (score < top - 1))] = None
        add(idx, con["ended"][idx] + fr.uniform(600, DAY, idx.size), "external", "survey",
            score, kind, comment, inc_of[idx], con["ids"][idx], SERVICE_DESK)
    weight = 1 + 3 * con[c.ABANDONED] + 2 * long_wait + 2 * (ans & ~fcr) + 2 * deg
    idx = np.flatnonzero(rng.random(n) < 0.003 * weight / weight.mean())
    team = np.array(TEAMS, dtype=object)[np.where(con["link"][idx] >= 0,
                                                  inc[c.ASSIGNED_TEAM][np.maximum(con["link"][idx], 0)], 0)]
    add(idx, con["ended"][idx] + fr.uniform(HOUR, 3 * DAY, idx.size), "external", "complaint",
        np.full(idx.size, np.nan), None, _pick(rng, _COMPLAINTS, idx.size), inc_of[idx],
        con["ids"][idx], team)
    u = rng.random(n)
    for kind, mask, texts in (("compliment", ans & fcr & (u < 0.0015), _COMPLIMENTS),
                              ("suggestion", (u >= 0.0015) & (u < 0.0025), _SUGGESTIONS)):
        idx = np.flatnonzero(mask)
        add(idx, con["ended"][idx] + fr.uniform(HOUR, 2 * DAY, idx.size), "external", kind,
            np.full(idx.size, np.nan), None, _pick(rng, texts, idx.size), inc_of[idx],
            con["ids"][idx], SERVICE_DESK)
    handed = inc["handed_at"] != NA
    u = rng.random(handed.size)
    for kind, mask, texts, span in (("agent", handed & (u < 0.03), _AGENT_NOTES, (HOUR, 2 * DAY)),
                                    ("resolver_team", handed & (u >= 0.03) & (u < 0.07),
                                     _RESOLVER_NOTES, (HOUR / 2, DAY))):
        idx = np.flatnonzero(mask)
        team = (np.full(idx.size, SERVICE_DESK, dtype=object) if kind == "agent"
                else np.array(TEAMS, dtype=object)[inc["planned_team"][idx]])
        add(idx, inc["handed_at"][idx] + fr.uniform(*span, idx.size), "internal", kind,
            np.full(idx.size, np.nan), None, _pick(rng, texts, idx.size), inc["ids"][idx],
            np.full(idx.size, None, dtype=object), team)

    cols = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    keep = np.flatnonzero(cols[c.RECEIVED_AT] < fr.cutoff)
    keep = keep[np.argsort(cols[c.RECEIVED_AT][keep], kind="stable")]
    cols = {k: v[keep] for k, v in cols.items()}
    fb_ids = ids("FB", keep.size, 6)
    comment = cols[c.COMMENT].astype(object)
    pool = np.flatnonzero(cols[c.KIND] == "complaint")
    if pool.size < len(_PLANTED):
        pool = np.flatnonzero(cols[c.SOURCE] == "external")
    spots = np.sort(rng.choice(pool, len(_PLANTED), replace=False))
    comment[spots] = [text for _, text in _PLANTED]
    cols[c.COMMENT] = comment
    cols[c.SCORE] = pd.array(cols[c.SCORE].astype(float), dtype="Int64")
    cols[c.RECEIVED_AT] = fmt_ts(cols[c.RECEIVED_AT])
    table = pd.DataFrame({c.FEEDBACK_ID: obj(fb_ids)} | {
        k: v if k == c.SCORE else obj(v) for k, v in cols.items()})
    truth = {"planted_text": [{c.FEEDBACK_ID: str(fb_ids[i]), c.KIND: kind}
                              for i, (kind, _) in zip(spots, _PLANTED, strict=True)],
             "survey_drivers": {"long_wait": -0.5, "not_first_contact_resolved": -0.9,
                                "degraded_period": -0.6, c.SCALE: "csat_1_5"}}
    return table, truth


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
