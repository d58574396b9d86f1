"""Incident side of the synthetic demo data, and the helpers :mod:`ccreview.demo.generator` shares.

Builds incidents with their status/assignment history, major incidents, debriefs and
debrief actions, all vectorised with numpy. Times are int64 seconds since the Unix
epoch (UTC) until they are formatted; :data:`NA` marks a missing time. Not public API:
call :func:`ccreview.demo.generator.generate`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ccreview.data import columns as c
from ccreview.demo.frame import (
    _TEAM_ABBR,
    DAY,
    DEGRADED,
    FIELD_SERVICES,
    HOUR,
    NA,
    SITES,
    TEAMS,
    Frame,
    _lognormal,
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
    "MISGRADE_NOISE",
    "MISGRADE_RATE",
    "make_incidents",
]

MISGRADE_RATE = 0.35  # Field Services records priority + 1 this often
MISGRADE_NOISE = 0.03  # random +-1 mis-grading everywhere else
# category: (weight, default resolver team, share resolved at first line, queue, subcategories)
_CATEGORIES = {
    "network": (0.20, 1, 0.25, "technical", ("broadband", "wifi", "outage", "slow_speed")),
    "software": (0.22, 2, 0.35, "technical", ("app_crash", "login_error", "update_failed")),
    "billing": (0.15, 3, 0.40, "billing", ("wrong_charge", "refund", "direct_debit")),
    "hardware": (0.15, 4, 0.25, "technical", ("router_fault", "handset", "engineer_visit")),
    "account": (0.18, 5, 0.45, "accounts", ("address_change", "closure", "ownership")),
    "access": (0.10, 2, 0.50, "technical", ("password_reset", "locked_out", "mfa")),
}
_CAT_NAMES = tuple(_CATEGORIES)
_PRIORITY_MIX = (0.02, 0.10, 0.40, 0.40, 0.08)
#: ITIL matrix cells (impact, urgency) grouped by the priority they give
_MATRIX_CELLS = ((1, 1, 1), (1, 2, 2), (2, 1, 2), (1, 3, 3), (2, 2, 3), (3, 1, 3),
                 (2, 3, 4), (3, 2, 4), (3, 3, 5))
RESPONSE_TARGET_S = np.array([15 * 60, 30 * 60, 2 * HOUR, 4 * HOUR, 24 * HOUR])
RESOLUTION_TARGET_S = np.array([4 * HOUR, 8 * HOUR, 48 * HOUR, 120 * HOUR, 240 * HOUR])
_INC_CHANNELS = ("phone", "chat", "email", "web", "self_service")
_RESOLUTION_CODES = ("fixed", "workaround", "no_fault_found", "duplicate", "user_error")
_STATES = ("new", "assigned", "in_progress", "awaiting_customer", "awaiting_vendor",
           "resolved", "reopened", "closed")
_STATUS_OF_STATE = ("new", "assigned", "in_progress", "on_hold", "on_hold",
                    "resolved", "in_progress", "closed")
_NEW, _ASSIGNED, _IN_PROGRESS, _AWAIT_C, _AWAIT_V, _RESOLVED, _REOPENED, _CLOSED = range(8)


# ------------------------------------------------------------------------------- incidents
def _choose_major(fr: Frame, opened: np.ndarray, channel: np.ndarray, n_major: int) -> np.ndarray:
    """One weekday, office-hours phone/chat incident per equal segment of the period."""
    lo, hi = fr.start + 3 * DAY, fr.cutoff - 30 * DAY
    if hi - lo < 10 * DAY:
        lo, hi = fr.start, fr.cutoff - DAY
    w = wall(opened)
    office = ((w // DAY + 3) % 7 < 5) & (w // HOUR % 24 >= 8) & (w // HOUR % 24 < 17)
    office &= channel < 2
    edges = np.linspace(lo, hi, n_major + 1)
    chosen = []
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        inside = (opened >= a) & (opened < b)
        pool = np.flatnonzero(inside & office)
        pool = pool if pool.size else np.flatnonzero(inside)
        if pool.size:
            chosen.append(int(fr.rng.choice(pool)))
    return np.array(sorted(set(chosen)), dtype=np.int64)


def make_incidents(fr: Frame, *, per_day: float, n_major: int) -> dict:
    """Generate incidents and their event history.

    Returns a dict with the ``incidents`` and ``incident_events`` DataFrames and the
    arrays other tables need (``opened``, ``team``, ``major`` ...).
    """
    rng = fr.rng
    t_live, s_live = poisson_arrivals(fr, per_day * 0.55, live_weights(), (0.73, 0.27))
    t_dig, s_dig = poisson_arrivals(fr, per_day * 0.45, email_weights(), (0.33, 0.45, 0.22))
    opened = np.concatenate([t_live, t_dig])
    channel = np.concatenate([s_live, s_dig + 2])
    order = np.argsort(opened, kind="stable")
    opened, channel = opened[order], channel[order]
    n = opened.size

    cat = rng.choice(len(_CAT_NAMES), n, p=[v[0] for v in _CATEGORIES.values()])
    n_sub = np.array([len(v[4]) for v in _CATEGORIES.values()])
    sub_names = np.array([s for v in _CATEGORIES.values() for s in v[4]], dtype=object)
    cell_by_p = np.array(_MATRIX_CELLS)
    p_first = np.searchsorted(cell_by_p[:, 2], np.arange(1, 6))
    p_count = np.bincount(cell_by_p[:, 2], minlength=6)[1:]
    matrix = rng.choice(5, n, p=_PRIORITY_MIX) + 1
    cell = p_first[matrix - 1] + np.floor(rng.random(n) * p_count[matrix - 1]).astype(int)
    first_line = rng.random(n) < np.array([v[2] for v in _CATEGORIES.values()])[cat]
    major = _choose_major(fr, opened, channel, n_major)
    cat[major] = rng.integers(0, 2, major.size)  # network or software
    cell[major] = 0
    matrix[major] = 1
    first_line[major] = False
    sub = np.concatenate([[0], np.cumsum(n_sub)[:-1]])[cat]
    sub = sub + np.floor(rng.random(n) * n_sub[cat]).astype(int)
    impact, urgency = cell_by_p[cell, 0], cell_by_p[cell, 1]
    handed = ~first_line
    final = np.where(handed, np.array([v[1] for v in _CATEGORIES.values()])[cat], 0)
    other = 1 + (final - 1 + 1 + rng.integers(0, 4, n)) % 5
    k = np.where(handed, rng.choice(5, n, p=[0.62, 0.16, 0.12, 0.06, 0.04]), 0)
    k[major] = 0

    # recorded priority: matrix, 3 % noise, Field Services under-grades 35 %
    step = np.where(rng.random(n) < 0.5, -1, 1)
    step = np.where(matrix == 1, 1, np.where(matrix == 5, -1, step))
    noisy = np.where(rng.random(n) < MISGRADE_NOISE, matrix + step, matrix)
    under = (final == FIELD_SERVICES) & (rng.random(n) < MISGRADE_RATE)
    priority = np.where(under, np.minimum(matrix + 1, 5), noisy)
    priority[major] = 1

    # timings (calendar seconds), slower in the degraded period
    slow = np.where(fr.degraded(opened), DEGRADED["incident_time_factor"], 1.0)
    resp = np.maximum(_lognormal(rng, RESPONSE_TARGET_S[priority - 1], 0.8) * slow, 60)
    res = _lognormal(rng, RESOLUTION_TARGET_S[priority - 1], 0.7) * slow
    res = np.maximum(res, resp + 300).astype(np.int64)
    resp = resp.astype(np.int64)
    declared = opened[major] + fr.uniform(600, 2400, major.size)
    stood_down = declared + fr.uniform(2.5 * HOUR, 7 * HOUR, major.size)
    resp[major] = fr.uniform(180, 600, major.size)
    res[major] = stood_down - opened[major] + fr.uniform(300, 1800, major.size)

    pause1 = rng.random(n) < 0.45
    pause2 = pause1 & (rng.random(n) < 0.3)
    reopen = rng.random(n) < 0.055
    pause1[major] = pause2[major] = reopen[major] = False
    vendor_p = np.where(np.isin(cat, [0, 3]), 0.35, 0.15)
    p_state = np.where(rng.random((2, n)) < vendor_p, _AWAIT_V, _AWAIT_C)

    agent = rng.integers(0, fr.agents, n)
    r_final, r_other = rng.integers(0, fr.resolvers, (2, n))
    res_code = fr.agents + (np.maximum(final, 1) - 1) * fr.resolvers + r_final
    oth_code = fr.agents + (other - 1) * fr.resolvers + r_other

    def actor(team: np.ndarray) -> np.ndarray:
        return np.where(team == 0, agent, np.where(team == final, res_code, oth_code))

    t0 = opened
    t1 = t0 + resp
    t_res = t0 + res
    frac = np.sort(rng.random((n, 10)), axis=1)
    frac[:, :2] *= 0.15
    frac[:, 2:] = 0.15 + 0.85 * frac[:, 2:]
    mid = t1[:, None] + np.floor(frac * (t_res - t1)[:, None]).astype(np.int64)
    t13 = t_res + fr.uniform(HOUR, 36 * HOUR, n)
    t14 = t13 + fr.uniform(300, 2 * HOUR, n)
    t15 = t14 + np.maximum(_lognormal(rng, np.full(n, 4.0 * HOUR), 0.8, 0.0), 600).astype(
        np.int64)
    final_res = np.where(reopen, t15, t_res)
    t16 = final_res + fr.uniform(DAY, 4 * DAY, n)

    team0 = np.where(handed, np.where(k % 2 == 0, final, other), 0)
    ones = np.ones(n, dtype=bool)
    steps = [  # (time, state, team, actor, present) in history order
        (t0, _NEW, 0, agent, ones),
        (t1, _IN_PROGRESS, 0, agent, ones),
        (mid[:, 0], _ASSIGNED, team0, agent, handed),
        (mid[:, 1], _IN_PROGRESS, team0, actor(team0), handed),
        (mid[:, 2], p_state[0], team0, actor(team0), pause1),
        (mid[:, 3], _IN_PROGRESS, team0, actor(team0), pause1),
    ]
    prev = team0
    for j in range(1, 5):  # ping-pong reassignments
        team_j = np.where((k - j) % 2 == 0, final, other)
        steps.append((mid[:, 3 + j], _ASSIGNED, team_j, actor(prev), k >= j))
        prev = team_j
    steps += [
        (mid[:, 8], p_state[1], final, actor(final), pause2),
        (mid[:, 9], _IN_PROGRESS, final, actor(final), pause2),
        (t_res, _RESOLVED, final, actor(final), ones),
        (t13, _REOPENED, final, agent, reopen),
        (t14, _IN_PROGRESS, final, actor(final), reopen),
        (t15, _RESOLVED, final, actor(final), reopen),
        (t16, _CLOSED, final, actor(final), ones),
    ]
    ns = len(steps)
    at = np.empty((n, ns), dtype=np.int64)
    state = np.empty((n, ns), dtype=np.int8)
    team = np.empty((n, ns), dtype=np.int8)
    act = np.empty((n, ns), dtype=np.int32)
    vis = np.empty((n, ns), dtype=bool)
    for j, (t, s, tm, a, m) in enumerate(steps):
        at[:, j], state[:, j], team[:, j], act[:, j] = t, s, tm, a
        vis[:, j] = m & (t < fr.cutoff)
    last = ns - 1 - np.argmax(vis[:, ::-1], axis=1)
    rows = np.arange(n)
    last_state, last_team = state[rows, last], team[rows, last]
    i_res, i_reo, i_res2 = ns - 5, ns - 4, ns - 2
    resolved_at = np.where(vis[:, i_res2], t15,
                           np.where(vis[:, i_res] & ~vis[:, i_reo], t_res, NA))
    inc_id = ids("INC", n, 7)
    codes = np.array(_RESOLUTION_CODES, dtype=object)[
        rng.choice(5, n, p=[0.55, 0.2, 0.1, 0.05, 0.1])]
    codes[(resolved_at == NA) | (rng.random(n) < 0.02)] = None
    agent_names = ids("A", fr.agents, 3)
    actor_names = np.concatenate([agent_names] + [
        ids(f"R-{abbr}-", fr.resolvers, 2) for abbr in _TEAM_ABBR])
    agent_site = np.where((np.arange(fr.agents) // 4) % 3 == 2, 1, 0)
    known = channel < 3  # phone, chat, email come through a queue
    queue = np.array([v[3] for v in _CATEGORIES.values()], dtype=object)[cat]
    queue[rng.random(n) < 0.1] = "general"
    queue[~known] = None
    site = np.array(SITES, dtype=object)[agent_site[agent]]
    site[~known] = None
    is_major = np.zeros(n, dtype=bool)
    is_major[major] = True

    incidents = pd.DataFrame({
        c.INCIDENT_ID: obj(inc_id),
        c.OPENED_AT: obj(fmt_ts(opened)),
        c.FIRST_RESPONSE_AT: obj(fmt_ts(np.where(vis[:, 1], t1, NA))),
        c.RESOLVED_AT: obj(fmt_ts(resolved_at)),
        c.CLOSED_AT: obj(fmt_ts(np.where(vis[:, -1], t16, NA))),
        c.CHANNEL: obj(np.array(_INC_CHANNELS, dtype=object)[channel]),
        c.CATEGORY: obj(np.array(_CAT_NAMES, dtype=object)[cat]),
        c.SUBCATEGORY: obj(sub_names[sub]),
        c.IMPACT: impact,
        c.URGENCY: urgency,
        c.PRIORITY: priority,
        c.ASSIGNED_TEAM: obj(np.array(TEAMS, dtype=object)[last_team]),
        c.AGENT: obj(agent_names[agent]),
        c.REASSIGNMENT_COUNT: vis[:, 6:10].sum(axis=1),
        c.REOPEN_COUNT: vis[:, i_reo].astype(np.int64),
        c.ESCALATED: obj(fmt_bool(vis[:, 2])),
        c.IS_MAJOR: obj(fmt_bool(is_major)),
        c.STATUS: obj(np.array(_STATUS_OF_STATE, dtype=object)[last_state]),
        c.RESOLUTION_CODE: obj(codes),
        c.QUEUE: obj(queue),
        c.SITE: obj(site),
    })
    r, s = np.nonzero(vis)
    events = pd.DataFrame({
        c.INCIDENT_ID: obj(inc_id[r]),
        c.AT: obj(fmt_ts(at[r, s])),
        c.STATE: obj(np.array(_STATES, dtype=object)[state[r, s]]),
        c.TEAM: obj(np.array(TEAMS, dtype=object)[team[r, s]]),
        c.ACTOR: obj(actor_names[act[r, s]]),
    })
    return {
        "incidents": incidents, "incident_events": events, "ids": inc_id, "opened": opened,
        "matrix": matrix, c.PRIORITY: priority, c.ASSIGNED_TEAM: last_team, "planned_team": final,
        "handed_at": np.where(vis[:, 2], mid[:, 0], NA), "major": major,
        "declared": declared, "stood_down": stood_down, "closed": vis[:, -1],
        c.RESOLVED_AT: resolved_at, "response_s": np.where(vis[:, 1], resp, -1),
    }


