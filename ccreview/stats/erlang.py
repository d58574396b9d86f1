"""Erlang B, Erlang C and Erlang A (M/M/N+M, Palm) queueing formulas for contact-centre staffing.

Units throughout: ``arrival_rate`` in contacts per second, ``handle_s`` (mean handle time, AHT),
``patience_s`` (mean patience, Erlang A) and ``threshold_s`` (the service-level threshold T) in
seconds, ``agents`` an integer N (or an array of them), ``load`` in Erlangs (a = arrival_rate *
handle_s).

Nothing here forms a factorial or a power of the load. Erlang B is the ratio of the Poisson
probability mass at N to the Poisson distribution function at N, taken in log space
(``scipy.stats.poisson.logpmf`` / ``logcdf``); where the distribution function underflows (load far
above N) the finite series ``1/B = sum_j prod_{i<j} (N - i) / a`` is summed instead, which
converges geometrically there. Erlang C follows from B as ``C = N B / (N - a (1 - B))``, so both
stay exact for N in the thousands (N = 5000, a = 4900 included).

Erlang A (Palm 1943; Garnett, Mandelbaum & Reiman 2002, *MSOM* 4(3); Mandelbaum & Zeltyn, "The
Palm/Erlang-A queue, with applications to call centers", 2007 tutorial) is computed exactly from
its birth-death chain, in log space: the states below N through Erlang B, the queue states
``N + j`` through the terms ``t_j = prod_{i=1..j} y / (x + i)`` with ``x = N mu / theta`` and
``y = lambda / theta``, summed for ``j <= max(y - x, 0) + 12 sqrt(y) + 40``, where the terms have
fallen below e^-72 of the largest (so the truncation is far below float64 precision). Their sum is
Mandelbaum & Zeltyn's ``A(x, y) = x e^y y^-x gamma(x, y)`` (lower incomplete gamma), which the
tests check against ``scipy.special.gammainc``; summing the terms avoids the cancellation that
the closed forms for P(Ab) and E[W] suffer when ``y < x``. The waiting time of a tagged arrival
that finds j others queued is the sum of exponentials with rates ``theta (x + i)``, i = 0..j,
so ``exp(-theta V)`` is Beta(x, j + 1) distributed (order statistics of exponentials): the
chance of being answered within T is ``x / (x + j + 1) * I_{1 - exp(-theta T)}(j + 1, x + 1)``
(regularised incomplete beta, ``scipy.special.betainc``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy import special
from scipy.stats import poisson

from ccreview.exceptions import ParameterError

__all__ = [
    "ErlangAResult",
    "agents_for_service_level",
    "erlang_a",
    "erlang_b",
    "erlang_c",
    "erlang_c_asa",
    "erlang_c_service_level",
    "offered_load",
]

#: below this log Poisson distribution function Erlang B switches to the direct series
_LOG_CDF_FLOOR = -50.0
#: relative size of the last term kept in the truncated sums
_TAIL = 1e-30


def _real(name: str, value: ArrayLike, *, positive: bool = False) -> np.ndarray:
    """``value`` as a float array, every element finite and >= 0 (or > 0)."""
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError(f"{name}={value!r} is not a number.") from None
    bad = ~np.isfinite(arr) | ((arr <= 0) if positive else (arr < 0))
    if np.any(bad):
        rule = "a finite number above 0" if positive else "a finite number, 0 or more"
        raise ParameterError(f"{name} must be {rule}; got {value!r}.")
    return arr


def _agents(value: ArrayLike, *, minimum: int = 0) -> np.ndarray:
    """``value`` as an integer array, every element a whole number >= ``minimum``."""
    arr = np.asarray(value)
    numeric = np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)
    if arr.dtype == bool or not numeric:
        raise ParameterError(f"agents={value!r}: give a whole number of agents (or an array of them).")
    if np.any(~np.isfinite(arr)) or np.any(arr != np.round(arr)) or np.any(arr < minimum):
        raise ParameterError(f"agents={value!r}: every number of agents must be a whole number, "
                             f"{minimum} or more.")
    return arr.astype(np.int64)


def _out(arr: np.ndarray) -> float | np.ndarray:
    """A 0-d result as a plain float, anything else as an array."""
    return float(arr) if np.ndim(arr) == 0 else arr


def offered_load(arrival_rate: float, handle_s: float) -> float:
    """Offered load in Erlangs, ``a = arrival_rate * handle_s``.

    Parameters
    ----------
    arrival_rate : float
        Contacts per second, 0 or more.
    handle_s : float
        Mean handle time in seconds, above 0.
    """
    lam = _real("arrival_rate", arrival_rate)
    aht = _real("handle_s", handle_s, positive=True)
    return _out(lam * aht)


def _log_erlang_b(n: np.ndarray, a: np.ndarray) -> np.ndarray:
    """log B(n, a) for broadcast integer ``n`` >= 0 and float ``a`` >= 0, stable for large n."""
    n, a = np.broadcast_arrays(np.asarray(n, dtype=np.int64), np.asarray(a, dtype=float))
    with np.errstate(divide="ignore", invalid="ignore"):
        log_cdf = np.asarray(poisson.logcdf(n, a), dtype=float)
        out = np.asarray(poisson.logpmf(n, a) - log_cdf, dtype=float)
    out = np.where(n == 0, 0.0, np.where(a == 0, -np.inf, out))
    far = (a > 0) & (n > 0) & ~(log_cdf > _LOG_CDF_FLOOR)
    if np.any(far):
        # 1/B = sum_{j=0..n} prod_{i<j} (n - i) / a: ratio <= n / a < 1, so this converges fast here.
        nf, af = n[far].astype(float), a[far]
        term, total = np.ones_like(af), np.ones_like(af)
        for i in range(int(nf.max())):
            term = term * np.clip(nf - i, 0.0, None) / af
            total += term
            if np.all(term <= _TAIL * total):
                break
        out = out.copy()
        out[far] = -np.log(total)
    return np.minimum(out, 0.0)


def erlang_b(agents: ArrayLike, load: ArrayLike) -> float | np.ndarray:
    """Erlang B blocking probability ``B(N, a)`` of the M/M/N/N loss system.

    Computed as Poisson ``pmf(N; a) / cdf(N; a)`` in log space (no factorials, no overflow), with
    the direct series where the distribution function underflows; exact for N in the thousands.

    Parameters
    ----------
    agents : int or array of int
        Number of servers N, 0 or more (B(0, a) = 1).
    load : float or array
        Offered load a in Erlangs, 0 or more.
    """
    n = _agents(agents)
    a = _real("load", load)
    return _out(np.exp(_log_erlang_b(n, a)))


def erlang_c(agents: ArrayLike, load: ArrayLike) -> float | np.ndarray:
    """Erlang C probability that an arrival waits, ``C = N B / (N - a (1 - B))``.

    Parameters
    ----------
    agents : int or array of int
        Number of agents N.
    load : float or array
        Offered load a in Erlangs.

    Returns
    -------
    float or ndarray
        P(W > 0); 1.0 where N <= a (the queue is unstable and every arrival waits).
    """
    n = _agents(agents)
    a = _real("load", load)
    n, a = np.broadcast_arrays(n, a)
    b = np.exp(_log_erlang_b(n, a))
    stable = n > a
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.where(stable, n * b / (n - a * (1.0 - b)), 1.0)
    return _out(np.clip(c, 0.0, 1.0))


def erlang_c_service_level(agents: ArrayLike, load: ArrayLike, handle_s: ArrayLike,
                           threshold_s: ArrayLike) -> float | np.ndarray:
    """Erlang C service level: the share of arrivals answered within T seconds.

    ``SL = 1 - C exp(-(N - a) T / AHT)``; 0 where N <= a.

    Parameters
    ----------
    agents, load : as for :func:`erlang_c`
    handle_s : float
        Mean handle time (AHT) in seconds.
    threshold_s : float
        Service-level threshold T in seconds, 0 or more.
    """
    aht = _real("handle_s", handle_s, positive=True)
    t = _real("threshold_s", threshold_s)
    n = _agents(agents)
    a = _real("load", load)
    c = np.asarray(erlang_c(n, a))
    with np.errstate(over="ignore"):
        sl = np.where(n > a, 1.0 - c * np.exp(-(n - a) * t / aht), 0.0)
    return _out(np.clip(sl, 0.0, 1.0))


def erlang_c_asa(agents: ArrayLike, load: ArrayLike, handle_s: ArrayLike) -> float | np.ndarray:
    """Erlang C average speed of answer in seconds, ``C AHT / (N - a)``, over all arrivals.

    Returns ``inf`` where N <= a.
    """
    aht = _real("handle_s", handle_s, positive=True)
    n = _agents(agents)
    a = _real("load", load)
    c = np.asarray(erlang_c(n, a))
    with np.errstate(divide="ignore", invalid="ignore"):
        asa = np.where(n > a, c * aht / (n - a), np.inf)
    return _out(asa)


@dataclass(frozen=True)
class ErlangAResult:
    """Steady-state measures of the Erlang A (M/M/N+M) queue; each a float or an array.

    Attributes
    ----------
    p_wait : P(W > 0), the share of arrivals that find every agent busy.
    p_abandon : P(Ab), the share of arrivals that hang up before being answered.
    asa_s : E[W] in seconds, the mean time in queue over ALL arrivals (answered and abandoned),
        ``= P(Ab) * patience_s`` by Little's law.
    service_level : share of ALL arrivals (offered contacts) answered with a wait <= T; abandoned
        contacts count against it, whatever their wait (ICMI's "answered within T / offered").
    p_answered_within_threshold_given_answered : the same share among answered contacts only,
        ``service_level / (1 - p_abandon)``.
    occupancy : share of agent time busy, ``a (1 - P(Ab)) / N``.
    """

    p_wait: float | np.ndarray
    p_abandon: float | np.ndarray
    asa_s: float | np.ndarray
    service_level: float | np.ndarray
    p_answered_within_threshold_given_answered: float | np.ndarray
    occupancy: float | np.ndarray


def _erlang_a_one(n: int, lam: float, aht: float, patience: float, t: float) -> tuple[float, ...]:
    """(p_wait, p_abandon, service_level) of one M/M/n+M queue, exactly, in log space."""
    if lam == 0.0:
        return 0.0, 0.0, 1.0
    x = n * patience / aht  # N mu / theta
    y = lam * patience  # lambda / theta
    log_e = float(_log_erlang_b(np.int64(n), np.float64(lam * aht)))
    # queue terms t_j peak near j = y - x and fall like a Poisson(y) tail beyond it
    size = int(max(y - x, 0.0)) + int(12.0 * math.sqrt(y)) + 41
    j = np.arange(size, dtype=float)
    with np.errstate(divide="ignore"):
        log_t = np.concatenate(([0.0], np.cumsum(np.log(y / (x + j[1:])))))
        log_s = special.logsumexp(log_t)  # log A(x, y), Mandelbaum & Zeltyn's A
        log_rest = math.log1p(-math.exp(log_e)) - log_e  # log of P(k < N) / P(k = N)
        log_d = np.logaddexp(log_s, log_rest)  # log of 1 / P(k = N)
        p_wait = math.exp(log_s - log_d)
        p_now = math.exp(log_rest - log_d)
        log_abandons = np.log1p(j) - np.log(x + j + 1.0)  # tagged arrival abandons: (j+1)/(x+j+1)
        p_abandon = math.exp(special.logsumexp(log_t + log_abandons) - log_d)
        u = -math.expm1(-t / patience)
        within = special.betainc(j + 1.0, x + 1.0, u) if u > 0 else np.zeros_like(j)
        log_answered = -np.log1p((j + 1.0) / x) + np.log(within)
        p_within = math.exp(special.logsumexp(log_t + log_answered) - log_d)
    return p_wait, min(p_abandon, 1.0), min(p_now + p_within, 1.0)


def erlang_a(agents: ArrayLike, arrival_rate: ArrayLike, handle_s: ArrayLike, patience_s: ArrayLike,
             threshold_s: ArrayLike) -> ErlangAResult:
    """Erlang A (M/M/N+M, Palm): Poisson arrivals, exponential handle and patience times, FCFS.

    Always stable, so N <= a is allowed. Computed exactly from the birth-death chain in log space
    (see the module docstring; Mandelbaum & Zeltyn 2007 tutorial, Garnett, Mandelbaum & Reiman
    2002): P(W > 0) = P(k >= N) by PASTA, P(Ab) = theta E[queue] / lambda, E[W] = E[queue] /
    lambda (Little), and the service level from the Beta law of the tagged arrival's wait.

    Parameters
    ----------
    agents : int or array of int
        Number of agents N, 1 or more.
    arrival_rate : float
        Contacts per second.
    handle_s : float
        Mean handle time in seconds.
    patience_s : float
        Mean (exponential) patience in seconds, above 0 and finite (use Erlang C for infinite).
    threshold_s : float
        Service-level threshold T in seconds.

    Returns
    -------
    ErlangAResult
        Floats for scalar inputs, arrays of the broadcast shape otherwise (each element is
        evaluated on its own, vectorised over its queue states). ``service_level`` is the share
        of offered contacts answered with a wait <= T; abandoned contacts count as missed.
    """
    n = _agents(agents, minimum=1)
    lam = _real("arrival_rate", arrival_rate)
    aht = _real("handle_s", handle_s, positive=True)
    patience = _real("patience_s", patience_s, positive=True)
    t = _real("threshold_s", threshold_s)
    shape = np.broadcast_shapes(n.shape, lam.shape, aht.shape, patience.shape, t.shape)
    cols = [np.broadcast_to(v, shape).ravel() for v in (n, lam, aht, patience, t)]
    rows = [_erlang_a_one(int(k), float(r), float(h), float(p), float(w))
            for k, r, h, p, w in zip(*cols, strict=True)]
    p_wait, p_ab, sl = np.moveaxis(np.array(rows, dtype=float).reshape(*shape, 3), -1, 0)
    carried = np.broadcast_to(lam * aht, shape) * (1.0 - p_ab)
    with np.errstate(divide="ignore", invalid="ignore"):
        answered_sl = np.where(p_ab < 1.0, sl / (1.0 - p_ab), 0.0)
    return ErlangAResult(
        p_wait=_out(p_wait),
        p_abandon=_out(p_ab),
        asa_s=_out(p_ab * np.broadcast_to(patience, shape)),
        service_level=_out(sl),
        p_answered_within_threshold_given_answered=_out(np.clip(answered_sl, 0.0, 1.0)),
        occupancy=_out(carried / np.broadcast_to(n, shape)),
    )


def agents_for_service_level(arrival_rate: float, handle_s: float, threshold_s: float, target: float, *,
                             model: Literal["erlang_c", "erlang_a"] = "erlang_c",
                             patience_s: float | None = None, max_agents: int = 100_000) -> int:
    """Smallest number of agents whose service level within T reaches ``target``.

    The service level rises with N under both models, so the search gallops up from the first
    candidate (the smallest N above the load for Erlang C, 1 for Erlang A) and then bisects:
    about 2 log2(N) evaluations, not one per N.

    Parameters
    ----------
    arrival_rate, handle_s, threshold_s : float
        Contacts per second, mean handle time and threshold T in seconds.
    target : float
        Service-level target as a fraction strictly between 0 and 1, e.g. 0.8.
    model : {"erlang_c", "erlang_a"}
        Erlang C (no abandonment) or Erlang A (needs ``patience_s``; its service level counts
        abandoned contacts as not answered within T).
    patience_s : float, optional
        Mean patience in seconds, for Erlang A.
    max_agents : int
        Give up (ParameterError) if even this many agents miss the target.
    """
    lam = float(_real("arrival_rate", arrival_rate))
    aht = float(_real("handle_s", handle_s, positive=True))
    t = float(_real("threshold_s", threshold_s))
    try:
        goal = float(target)
    except (TypeError, ValueError):
        raise ParameterError(f"target={target!r} is not a number; give a fraction such as 0.8.") from None
    if not 0.0 < goal < 1.0:
        raise ParameterError(f"target={target!r} must lie strictly between 0 and 1 (e.g. 0.8 for 80%).")
    cap = int(_agents(max_agents, minimum=1))
    load = lam * aht
    if model == "erlang_c":
        if patience_s is not None:
            raise ParameterError("patience_s is only used by model='erlang_a'; drop it or switch model.")
        first = math.floor(load) + 1

        def level(k: int) -> float:
            return float(erlang_c_service_level(k, load, aht, t))
    elif model == "erlang_a":
        if patience_s is None:
            raise ParameterError("model='erlang_a' needs patience_s, the mean patience in seconds.")
        patience = float(_real("patience_s", patience_s, positive=True))
        first = 1

        def level(k: int) -> float:
            return float(erlang_a(k, lam, aht, patience, t).service_level)
    else:
        raise ParameterError(f"model={model!r} is not known; use 'erlang_c' or 'erlang_a'.")
    if first > cap:
        raise ParameterError(f"the load of {load:.4g} Erlangs needs more than max_agents={cap} agents.")
    if lam == 0.0 or level(first) >= goal:
        return first
    low, step = first, 1  # level(low) < goal throughout
    while True:
        high = min(low + step, cap)
        if level(high) >= goal:
            break
        if high == cap:
            raise ParameterError(f"even max_agents={cap} agents miss the service-level target {goal:g}; "
                                 "raise max_agents or check the inputs.")
        low, step = high, step * 2
    while high - low > 1:
        mid = (low + high) // 2
        if level(mid) >= goal:
            high = mid
        else:
            low = mid
    return high
