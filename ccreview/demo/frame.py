"""The demo's shared ground: teams, queues, the local clock, the day grid and value formatting."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd

__all__ = [
    "DAY",
    "DEGRADED",
    "FIELD_SERVICES",
    "Frame",
    "HOUR",
    "NA",
    "QUEUES",
    "RESOLVER_TEAMS",
    "SERVICE_DESK",
    "SITES",
    "TEAMS",
    "TZ",
    "day_number",
    "email_weights",
    "fmt_bool",
    "fmt_date",
    "fmt_ts",
    "ids",
    "live_weights",
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


#: degraded period (local dates, inclusive) and its factors
DEGRADED = {"start": "2026-08-10", "end": "2026-08-30", "wait_factor": 3.0,
            "abandon_factor": 2.0, "incident_time_factor": 1.8}


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


@dataclass(frozen=True)
class Scale:
    """Yearly volumes and staff sizes of one generated centre."""

    contacts_per_year: int
    incidents_per_year: int
    agents: int
    resolvers_per_team: int
    qa_evaluators: int
