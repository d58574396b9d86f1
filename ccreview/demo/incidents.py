"""Incident side of the synthetic demo data, and the helpers :mod:`ccreview.demo.generator` shares.

Builds incidents with their status/assignment history, major incidents, debriefs and
debrief actions, all vectorised with numpy. Times are int64 seconds since the Unix
epoch (UTC) until they are formatted; :data:`NA` marks a missing time. Not public API:
call :func:`ccreview.demo.generator.generate`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd

from ccreview.data import columns as c

__all__ = [
    "DAY",
    "DEGRADED",
    "FIELD_SERVICES",
    "HOUR",
    "MISGRADE_NOISE",
    "MISGRADE_RATE",
    "NA",
    "QUEUES",
    "RESOLVER_TEAMS",
    "SERVICE_DESK",
    "SITES",
    "TEAMS",
    "TZ",
    "Frame",
    "day_number",
    "email_weights",
    "fmt_bool",
    "fmt_date",
    "fmt_ts",
    "ids",
    "live_weights",
    "make_incidents",
    "make_major",
    "obj",
    "poisson_arrivals",
    "wall",
]

TZ = "Europe/London"
HOUR = 3_600
DAY = 86_400
NA = np.int64(-(2**62))  # a missing time

SERVICE_DESK = "Service Desk"
RESOLVER_TEAMS = ("Network", "Applications", "Billing Systems", "Field Services", "Accounts Ops")
TEAMS = (SERVICE_DESK, *RESOLVER_TEAMS)  # team code = index
_TEAM_ABBR = ("NET", "APP", "BIL", "FLD", "ACC")
FIELD_SERVICES = TEAMS.index("Field Services")
SITES = ("Leeds", "Glasgow")
QUEUES = ("billing", "technical", "general", "accounts")

MISGRADE_RATE = 0.35  # Field Services records priority + 1 this often
MISGRADE_NOISE = 0.03  # random +-1 mis-grading everywhere else
#: degraded period (local dates, inclusive) and its factors
DEGRADED = {"start": "2026-08-10", "end": "2026-08-30", "wait_factor": 3.0,
            "abandon_factor": 2.0, "incident_time_factor": 1.8}

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


# --------------------------------------------------------------------------- time helpers
def day_number(iso: str) -> int:
    """Days since 1970-01-01 of an ISO date."""
    return int(np.datetime64(iso, "D").astype(np.int64))


def _to_utc(wall_s: np.ndarray) -> np.ndarray:
    idx = pd.DatetimeIndex(np.asarray(wall_s, dtype=np.int64).astype("datetime64[s]"))
    utc = idx.tz_localize(TZ, ambiguous=np.zeros(len(idx), dtype=bool),
                          nonexistent="shift_forward").tz_convert("UTC").tz_localize(None)
    return utc.to_numpy().astype("datetime64[s]").astype(np.int64)


def wall(utc_s: np.ndarray) -> np.ndarray:
    """Local wall-clock seconds (Europe/London) of UTC epoch seconds."""
    idx = pd.DatetimeIndex(np.asarray(utc_s, dtype=np.int64).astype("datetime64[s]"))
    local = idx.tz_localize("UTC").tz_convert(TZ).tz_localize(None)
    return local.to_numpy().astype("datetime64[s]").astype(np.int64)


@lru_cache(maxsize=1)
def _clock_lut() -> np.ndarray:
    tod = np.arange(DAY)
    parts = [np.strings.zfill((tod // d % m).astype(str), 2)
             for d, m in ((HOUR, 24), (60, 60), (1, 60))]
    hms = np.strings.add(np.strings.add(np.strings.add(parts[0], ":"), parts[1]),
                         np.strings.add(":", parts[2]))
    return np.concatenate([np.strings.add(hms, "+00:00"),
                           np.strings.add(hms, "+01:00")]).astype(object)


def fmt_ts(utc_s: np.ndarray) -> np.ndarray:
    """ISO local timestamps with offset (``2026-07-01 09:30:12+01:00``); None where NA."""
    utc_s = np.asarray(utc_s, dtype=np.int64)
    out = np.full(utc_s.size, None, dtype=object)
    ok = utc_s != NA
    if ok.any():
        s = utc_s[ok]
        w = wall(s)
        day = w // DAY
        d0 = day.min()
        dates = np.datetime_as_string(np.arange(d0, day.max() + 1).astype("datetime64[D]"))
        dates = dates.astype(object) + " "
        summer = (w - s) == HOUR
        out[ok] = dates[day - d0] + _clock_lut()[summer * DAY + w % DAY]
    return out


def fmt_date(days: np.ndarray) -> np.ndarray:
    """``YYYY-MM-DD`` for day numbers; None where NA."""
    days = np.asarray(days, dtype=np.int64)
    ok = days != NA
    out = np.full(days.size, None, dtype=object)
    out[ok] = np.datetime_as_string(days[ok].astype("datetime64[D]")).astype(object)
    return out


def fmt_bool(values: np.ndarray, missing: np.ndarray | None = None) -> np.ndarray:
    """``true``/``false`` strings; None where ``missing``."""
    out = np.where(np.asarray(values, dtype=bool), "true", "false").astype(object)
    if missing is not None:
        out[np.asarray(missing, dtype=bool)] = None
    return out


def ids(prefix: str, n: int, width: int) -> np.ndarray:
    """``prefix`` + zero-padded 1..n."""
    return np.strings.add(prefix, np.strings.zfill(np.arange(1, n + 1).astype(str),
                                                    width)).astype(object)


def obj(values: np.ndarray | list | tuple) -> pd.Series:
    """An object Series (kept out of pandas' string inference, for fast CSV writing)."""
    return pd.Series(np.asarray(values, dtype=object), dtype=object, copy=False)


# ------------------------------------------------------------------------ arrival patterns
def live_weights() -> np.ndarray:
    """Relative phone/chat arrival rate by (weekday Mon=0, local hour)."""
    hour = np.zeros(24)
    hour[8:20] = [0.6, 0.95, 1.35, 1.15, 0.9, 0.9, 1.3, 1.1, 0.9, 0.7, 0.5, 0.35]
    w = np.outer([1.3, 1.1, 1.05, 1.0, 0.95, 0.5, 0.0], hour)
    w[5, :9] = 0.0
    w[5, 17:] = 0.0  # Saturday 09:00-17:00, Sunday closed
    return w


def email_weights() -> np.ndarray:
    """Relative arrival rate of email and web traffic by (weekday, hour); every day."""
    hour = np.array([0.15] * 6 + [0.4, 0.7, 1.0, 1.2, 1.3, 1.2, 1.1, 1.1, 1.2, 1.1, 1.0, 0.9,
                                  0.8, 0.8, 0.7, 0.6, 0.4, 0.25])
    return np.outer([1.2, 1.05, 1.0, 1.0, 0.95, 0.6, 0.5], hour)


@dataclass
class Frame:
    """The generated period, the random generator and the staff sizes."""

    rng: np.random.Generator
    first_day: int
    n_days: int
    agents: int
    resolvers: int
    cell_utc: np.ndarray = field(init=False, repr=False)
    cell_dow: np.ndarray = field(init=False, repr=False)
    cell_hour: np.ndarray = field(init=False, repr=False)
    start: int = field(init=False)
    cutoff: int = field(init=False)

    def __post_init__(self) -> None:
        days = self.first_day + np.arange(self.n_days)
        cells = (days[:, None] * DAY + np.arange(24)[None, :] * HOUR).ravel()
        self.cell_utc = _to_utc(cells)
        self.cell_dow = (cells // DAY + 3) % 7
        self.cell_hour = cells // HOUR % 24
        bounds = _to_utc(np.array([self.first_day, self.first_day + self.n_days]) * DAY)
        self.start, self.cutoff = int(bounds[0]), int(bounds[1])

    def degraded(self, utc_s: np.ndarray) -> np.ndarray:
        """True where a time falls in the degraded period (local dates, inclusive)."""
        day = wall(utc_s) // DAY
        return (day >= day_number(DEGRADED["start"])) & (day <= day_number(DEGRADED["end"]))

    def uniform(self, low: float, high: float, n: int) -> np.ndarray:
        """Whole seconds uniform in [low, high)."""
        return np.floor(self.rng.uniform(low, high, n)).astype(np.int64)


def poisson_arrivals(fr: Frame, per_day: float, weights: np.ndarray,
                     shares: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Poisson counts per (hour cell, stream), times uniform inside the hour.

    Returns UTC seconds and the stream index of every arrival, in cell order.
    """
    w = weights[fr.cell_dow, fr.cell_hour] / (weights.sum() / 7.0)
    lam = per_day * w[:, None] * np.asarray(shares)[None, :]
    counts = fr.rng.poisson(lam).ravel()
    k = np.repeat(np.arange(counts.size), counts)
    t = fr.cell_utc[k // len(shares)] + fr.uniform(0, HOUR, k.size)
    return t, k % len(shares)


def _lognormal(rng: np.random.Generator, target: np.ndarray, sigma: float,
               z: float = 1.2) -> np.ndarray:
    """Lognormal durations with P(duration <= target) = Phi(z)."""
    return target * np.exp(sigma * (rng.standard_normal(target.size) - z))


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


# ---------------------------------------------------------------- major incidents, debriefs
_MI_TITLES = (
    "Broadband outage across the North West", "Mobile app login failures",
    "Payment platform unavailable", "Core router failure in Leeds exchange",
    "Email service degraded for business customers", "Self-service portal down",
    "DNS resolution failures nationwide", "Authentication service outage",
)
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
             "open_overdue": [str(x) for x in a_ids[(status == "open") & (due < end_day)]]}
    return {"table": table, "truth": truth}
