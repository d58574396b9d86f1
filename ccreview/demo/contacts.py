"""Demo contacts (calls, chats, e-mails with waits and abandonment) and QA evaluations."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ccreview.data import columns as c
from ccreview.demo.frame import (
    DAY,
    DEGRADED,
    HOUR,
    NA,
    QUEUES,
    Frame,
    Scale,
    day_number,
    email_weights,
    fmt_bool,
    fmt_ts,
    ids,
    live_weights,
    obj,
    poisson_arrivals,
    wall,
)

__all__ = [
]


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
    critical = rng.random(m) < QA_TRUTH["critical_rate"]
    true_score = rng.normal(82, 8, m) - np.where(critical, 10, 0)
    method = rng.choice(5, m, p=[0.15, 0.5, 0.1, 0.2, 0.05])
    evaluator = rng.integers(0, sc.qa_evaluators, m)
    # planted with a child generator, so every other table keeps its draws: one evaluator
    # scores leniently, automated scoring flags few critical errors, and a subset of the
    # contacts is scored a second time by another evaluator (for agreement)
    q = fr.rng.spawn(1)[0]
    lenient = QA_TRUTH["lenient_by"] * (evaluator == QA_TRUTH["lenient_index"])
    automated = methods[method] == QA_TRUTH["method_missing_critical"]
    flagged = critical & (~automated | (q.random(m) < QA_TRUTH["automated_detects"]))
    twice = np.flatnonzero(~automated & (q.random(m) < QA_TRUTH["double_scored_share"]))
    other = (evaluator[twice] + 1 + q.integers(0, sc.qa_evaluators - 1, twice.size)) % sc.qa_evaluators
    second_score = true_score[twice] + q.normal(0, QA_TRUTH["rescore_sd"], twice.size) \
        + QA_TRUTH["lenient_by"] * (other == QA_TRUTH["lenient_index"])
    second_flag = critical[twice] ^ (q.random(twice.size) < QA_TRUTH["rescore_flip"])
    inc_ids = con["table"][c.INCIDENT_ID].to_numpy()
    evaluators = ids("QA", sc.qa_evaluators, 2)
    rows = np.concatenate([np.arange(m), twice])
    return pd.DataFrame({
        c.EVALUATION_ID: obj(np.concatenate([ids("EV", m, 6), ids("EVR", twice.size, 5)])),
        c.EVALUATED_AT: obj(fmt_ts(np.concatenate([at, at[twice] + DAY]))),
        c.CONTACT_ID: obj(con["ids"][idx][rows]),
        c.INCIDENT_ID: obj(inc_ids[idx][rows]),
        c.METHOD: obj(methods[method][rows]),
        c.EVALUATOR: obj(np.concatenate([evaluators[evaluator], evaluators[other]])),
        c.AGENT: obj(ids("A", fr.agents, 3)[con[c.AGENT][idx]][rows]),
        c.SCORE: np.clip(np.concatenate([true_score + lenient, second_score]), 0, 100).round(1),
        c.CRITICAL_ERROR: obj(fmt_bool(np.concatenate([flagged, second_flag]))),
    })


#: truths planted in the QA evaluations (truth.json "qa")
QA_TRUTH = {"critical_rate": 0.03, "lenient_index": 2, "lenient_evaluator": "QA03", "lenient_by": 8.0,
            "method_missing_critical": "automated", "automated_detects": 0.3,
            "double_scored_share": 0.06, "rescore_sd": 3.0, "rescore_flip": 0.01}


_QUEUE_SHARE = (0.30, 0.35, 0.20, 0.15)  # billing, technical, general, accounts


# mean would-be waits: about three quarters of calls answered within 20 s in a normal week
_BASE_WAIT_S = np.array([16.0, 22.0, 11.0, 14.0])


_BASE_ABANDON = np.array([0.09, 0.07, 0.05, 0.06])


_AHT_MEDIAN_S = np.array([380.0, 420.0, 270.0, 330.0])


_FCR = np.array([0.78, 0.68, 0.82, 0.76])


_LINK = np.array([0.07, 0.16, 0.06, 0.08])  # share of answered contacts linked to an incident


_EMAIL_WAIT_S = 4 * HOUR


_C001 = {"date": "2026-05-05", "before": 0.09, "after": 0.05}


_SURGE = {c.QUEUE: "technical", "factor": 4.0, "hours": 4, "wait_factor": 2.5,
          "abandon_factor": 1.5}


_CHANNELS = ("phone", "chat", "email")


_BILLING, _TECHNICAL, _GENERAL = (QUEUES.index(q) for q in ("billing", "technical", "general"))
