"""Demo feedback: surveys, complaints, compliments and internal feedback with planted drivers and texts."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ccreview.data import columns as c
from ccreview.demo.frame import (
    DAY,
    HOUR,
    NA,
    SERVICE_DESK,
    TEAMS,
    Frame,
    fmt_ts,
    ids,
    obj,
)

__all__ = [
]


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
    themed = _plant_themes(fr, cols)
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
             "themes": themed,
             "survey_drivers": {"long_wait": -0.5, "not_first_contact_resolved": -0.9,
                                "degraded_period": -0.6, c.SCALE: "csat_1_5"}}
    return table, truth


def _plant_themes(fr: Frame, cols: dict) -> dict:
    """In the degraded period, half the complaints and half the agents' notes say the customer
    was not kept informed (the truth the feedback review must find); every other comment
    gets, at random, one of a few everyday details, so the comments are varied enough for new
    themes to be proposed from those the taxonomy does not cover. A child generator keeps
    every other table of the demo as it was."""
    rng = fr.rng.spawn(1)[0]
    kind, text = cols[c.KIND], cols[c.COMMENT]
    degraded = fr.degraded(cols[c.RECEIVED_AT])
    for which, texts in (("complaint", _NOT_INFORMED), ("agent", _AGENT_NOT_INFORMED)):
        spots = np.flatnonzero((kind == which) & degraded & (rng.random(kind.size) < 0.5))
        text[spots] = _pick(rng, texts, spots.size)
    plain = np.flatnonzero(pd.notna(text) & np.isin(kind, ("survey", "compliment", "suggestion")))
    spots = plain[rng.random(plain.size) < 0.6]
    text[spots] = text[spots] + " " + _pick(rng, _DETAILS, spots.size)
    return {"rising_in_degraded_period": {"complaint": "not_kept_informed",
                                          "agent": "not_kept_informed", "share_replaced": 0.5},
            "uncovered_detail_texts": len(_DETAILS)}


# ---------------------------------------------------------------------------- feedback
_NOT_INFORMED = (
    "Nobody told me what was happening or when it would be fixed.",
    "No updates at all while the service was down, I had to keep ringing.",
    "I was not kept informed and found out from a neighbour.",
    "Your status page said nothing and no one could tell me when it would be back.",
)


_AGENT_NOT_INFORMED = (
    "No update from the resolver team, so customers keep calling us for news.",
    "Could not tell the customer when it would be fixed: no information on the ticket.",
)


_DETAILS = (
    "I use the mobile app mostly.", "My account is on the family plan.",
    "Second time contacting you this year.", "I called from work during my lunch break.",
    "I have been a customer for ten years.", "Will recommend to friends and family.",
    "The music on hold is awful though.", "Thanks again to the adviser.",
)


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
