"""Erlang B / C / A against published worked examples and independent exact references.

Every published number carries its source beside it. The independent references (the Erlang B
recursion, a linear solve of the truncated birth-death generator, the matrix exponential of the
tagged customer's absorbing chain, a seeded simulation) are computed here, not imported.
"""

from __future__ import annotations

import heapq
import math

import numpy as np
import pytest
from scipy import special
from scipy.linalg import expm
from scipy.optimize import brentq

from ccreview.exceptions import CCReviewError, ParameterError
from ccreview.stats.erlang import (
    ErlangAResult,
    agents_for_service_level,
    erlang_a,
    erlang_b,
    erlang_c,
    erlang_c_asa,
    erlang_c_service_level,
    offered_load,
)

# The common worked example: 100 contacts per 30 minutes, AHT 3 minutes, 80% within 20 seconds.
LAM = 100 / 1800  # contacts per second
AHT = 180.0


def recursion_b(n: int, a: float) -> float:
    """Erlang B by the stable recursion B(k) = a B(k-1) / (k + a B(k-1)), B(0) = 1."""
    b = 1.0
    for k in range(1, n + 1):
        b = a * b / (k + a * b)
    return b


def recursion_c(n: int, a: float) -> float:
    b = recursion_b(n, a)
    return n * b / (n - a * (1 - b))


# --- 1. Published Erlang C worked examples --------------------------------------------------------

def test_call_centre_helper_offered_load() -> None:
    # Call Centre Helper, "Erlang C Formula - Made Simple With an Easy Worked Example"
    # (callcentrehelper.com/erlang-c-formula-example-121281.htm, read via its copy in the
    # nvidia/Nemotron-CC-Math-v1 web corpus): 100 calls per 30 min, AHT 180 s -> 200 calls per
    # hour, traffic intensity 10 Erlangs; the search starts at N = A + 1 = 11.
    assert offered_load(LAM, AHT) == pytest.approx(10.0)
    assert offered_load(200 / 3600, AHT) == pytest.approx(10.0)


def test_pyworkforce_readme_example() -> None:
    # pyworkforce README (pypi.org/project/pyworkforce/0.1.0/ and 0.2.1/): ErlangC(transactions=100,
    # asa=20/60, aht=3, interval=30), required_positions(service_level=0.8) ->
    # raw_positions 14, service_level 0.8883500191794669, occupancy 0.7142857142857143,
    # waiting_probability 0.1741319335950498.
    assert agents_for_service_level(LAM, AHT, 20, 0.8) == 14
    assert erlang_c(14, 10.0) == pytest.approx(0.1741319335950498, rel=1e-12)
    assert erlang_c_service_level(14, 10.0, AHT, 20) == pytest.approx(0.8883500191794669, rel=1e-12)
    assert offered_load(LAM, AHT) / 14 == pytest.approx(0.7142857142857143, rel=1e-12)


def test_r_erlangc_package_example() -> None:
    # R package ErlangC 0.1.0 (rdocumentation.org/packages/ErlangC/versions/0.1.0), same example
    # with 14 agents: wait_probability 0.1741319, service_level 0.88835,
    # average_speed_of_answer "7.83593701177724s", immediate_answer_probability 0.8258681.
    assert erlang_c_asa(14, 10.0, AHT) == pytest.approx(7.83593701177724, rel=1e-12)
    assert 1 - erlang_c(14, 10.0) == pytest.approx(0.8258681, abs=5e-8)
    assert erlang_c_service_level(14, 10.0, AHT, 20) == pytest.approx(0.88835, abs=5e-6)
    # Same page, first row of calculate_agents()'s search ("process"): wait_probability 0.6821182.
    # That the row is N = 11 is inferred (the search starts at A + 1, as Call Centre Helper's does).
    assert erlang_c(11, 10.0) == pytest.approx(0.6821182, abs=5e-8)


def test_westbay_erlang_c_example() -> None:
    # Westbay Engineers' "The Erlang-C formula" example (360 calls per half hour, 4-minute calls,
    # 55 agents, 15 s target) as reproduced in a Maxima worked example ("Expressing well-known
    # formulas for service waiting time", read via nvidia/Nemotron-CC-Math-v1):
    # E_c(0.2 call/s, 240 s, 55) = 0.2387, T_w = 8.184 s, W(15 s) = P(wait <= 15 s) = 0.8459.
    load = offered_load(360 / 1800, 240)
    assert load == pytest.approx(48.0)
    assert erlang_c(55, load) == pytest.approx(0.2387, abs=5e-5)
    assert erlang_c_asa(55, load, 240) == pytest.approx(8.184, abs=5e-4)
    assert erlang_c_service_level(55, load, 240, 15) == pytest.approx(0.8459, abs=5e-5)


def test_cc_excel_forum_example() -> None:
    # CC-Excel / Westbay forum thread "CCXLService" (Sam Peasley and Tom Howard, 12 January 2021,
    # read via nvidia/Nemotron-CC-Math-v1): 21 agents, 57 calls of 1110 s, 180 s target -> 80.7%;
    # with a 20 s target the agents needed for 80% rise from 21 to 23. The post does not name
    # the interval; one hour (the Westbay calculators' default) is assumed here.
    lam = 57 / 3600
    assert erlang_c_service_level(21, offered_load(lam, 1110), 1110, 180) == pytest.approx(0.807, abs=5e-4)
    assert agents_for_service_level(lam, 1110, 180, 0.8) == 21
    assert agents_for_service_level(lam, 1110, 20, 0.8) == 23


# --- 2. Erlang B ----------------------------------------------------------------------------------

def test_erlang_b_published_table_value() -> None:
    # Westbay Erlang calculator manual, "How much traffic can a trunk group handle?"
    # (erlang.com/calculatormanual/howmuchtrafficcanatrunkgrouphandle.htm): 15 lines at 1%
    # blocking carry at most 8.108 Erlangs.
    capacity = brentq(lambda a: erlang_b(15, a) - 0.01, 1.0, 15.0, xtol=1e-12)
    assert round(capacity, 3) == 8.108


@pytest.mark.parametrize("n", [1, 2, 7, 30, 150])
@pytest.mark.parametrize("ratio", [0.05, 0.5, 0.9, 1.0, 1.3, 4.0, 50.0])
def test_erlang_b_matches_recursion(n: int, ratio: float) -> None:
    a = ratio * n
    assert erlang_b(n, a) == pytest.approx(recursion_b(n, a), rel=1e-10)
    if n > a:
        assert erlang_c(n, a) == pytest.approx(recursion_c(n, a), rel=1e-10)


def test_erlang_b_and_c_edges_and_vectors() -> None:
    assert erlang_b(0, 3.0) == 1.0
    assert erlang_b(5, 0.0) == 0.0
    assert erlang_c(10, 10.0) == 1.0 and erlang_c(9, 10.0) == 1.0  # N <= a: every arrival waits
    assert erlang_c_service_level(10, 10.0, AHT, 20) == 0.0
    assert erlang_c_asa(10, 10.0, AHT) == math.inf
    agents = np.arange(1, 40)
    vec = erlang_c(agents, 10.0)
    assert isinstance(vec, np.ndarray) and vec.shape == agents.shape
    assert np.allclose(vec, [erlang_c(int(k), 10.0) for k in agents], rtol=1e-14)
    assert np.all(np.diff(erlang_c_service_level(agents, 10.0, AHT, 20)) >= 0)


# --- 3. Large N -----------------------------------------------------------------------------------

def test_large_n_is_stable_and_exact() -> None:
    b = erlang_b(5000, 4900.0)
    assert math.isfinite(b) and 0 < b < 1
    assert b == pytest.approx(recursion_b(5000, 4900.0), rel=1e-9)
    c = erlang_c(5000, 4900.0)
    assert math.isfinite(c) and 0 < c < 1
    assert c == pytest.approx(recursion_c(5000, 4900.0), rel=1e-9)
    # pmf/cdf underflow regimes: far under-loaded (B below 1e-300) and far over-loaded.
    assert erlang_b(3000, 1000.0) == pytest.approx(recursion_b(3000, 1000.0), rel=1e-9)
    assert erlang_b(2000, 20000.0) == pytest.approx(recursion_b(2000, 20000.0), rel=1e-10)


# --- 4. Erlang A ----------------------------------------------------------------------------------

def generator_reference(n: int, lam: float, aht: float, patience: float, extra: int = 300) -> dict:
    """Stationary law of the birth-death chain truncated at K = n + extra, by a linear solve."""
    mu, theta, size = 1 / aht, 1 / patience, n + extra + 1
    k = np.arange(size)
    death = np.minimum(k, n) * mu + np.maximum(k - n, 0) * theta
    q = np.zeros((size, size))
    q[k[:-1], k[:-1] + 1] = lam
    q[k[1:], k[1:] - 1] = death[1:]
    q -= np.diag(q.sum(axis=1))
    system = q.T * aht  # pi Q = 0, rescaled; its last (redundant) equation becomes sum(pi) = 1
    system[-1] = 1.0
    pi = np.linalg.solve(system, np.r_[np.zeros(size - 1), 1.0])
    queue = float(np.maximum(k - n, 0) @ pi)
    return {"pi": pi, "p_wait": float(pi[n:].sum()),  # PASTA
            "p_abandon": theta * queue / lam, "asa_s": queue / lam}  # Little's law


def tagged_reference(n: int, lam: float, aht: float, patience: float, threshold: float) -> float:
    """P(answered within T) over all arrivals, by expm of the tagged customer's absorbing chain."""
    mu, theta, ahead = 1 / aht, 1 / patience, 120
    pi = generator_reference(n, lam, aht, patience)["pi"]
    q = np.zeros((ahead + 2, ahead + 2))  # states: j others ahead (0..ahead), then "answered"
    for j in range(ahead + 1):
        advance = n * mu + j * theta  # a service completion or someone ahead abandons
        q[j, j] = -(advance + theta)  # ... or the tagged customer abandons (lost mass)
        q[j, j - 1 if j else ahead + 1] = advance if j else n * mu
    answered = expm(q * threshold)[: ahead + 1, ahead + 1]
    return float(pi[:n].sum() + pi[n: n + ahead + 1] @ answered)


CASES = [  # agents, arrival rate /s, AHT s, patience s, threshold s
    (14, LAM, AHT, 300.0, 20.0),
    (5, 0.05, 120.0, 30.0, 10.0),  # over-loaded (a = 6 > N): allowed in Erlang A
    (20, 0.2, 200.0, 50.0, 15.0),  # heavily over-loaded (a = 40)
    (8, 0.02, 300.0, 1000.0, 60.0),
    (1, 0.01, 60.0, 90.0, 30.0),
]


@pytest.mark.parametrize(("n", "lam", "aht", "patience", "threshold"), CASES)
def test_erlang_a_matches_birth_death_chain(n: int, lam: float, aht: float, patience: float,
                                            threshold: float) -> None:
    got = erlang_a(n, lam, aht, patience, threshold)
    ref = generator_reference(n, lam, aht, patience)
    assert isinstance(got, ErlangAResult)
    assert got.p_wait == pytest.approx(ref["p_wait"], rel=1e-9)
    assert got.p_abandon == pytest.approx(ref["p_abandon"], rel=1e-9)
    assert got.asa_s == pytest.approx(ref["asa_s"], rel=1e-9)
    assert got.occupancy == pytest.approx(lam * aht * (1 - ref["p_abandon"]) / n, rel=1e-9)
    assert got.service_level == pytest.approx(tagged_reference(n, lam, aht, patience, threshold), abs=1e-10)
    assert got.p_answered_within_threshold_given_answered == pytest.approx(
        got.service_level / (1 - got.p_abandon), rel=1e-12)


@pytest.mark.parametrize(("n", "lam", "aht", "patience", "threshold"), CASES)
def test_erlang_a_matches_mandelbaum_zeltyn_closed_form(n: int, lam: float, aht: float, patience: float,
                                                        threshold: float) -> None:
    # Mandelbaum & Zeltyn (2007 tutorial, sections 4.4-4.5): with x = N mu / theta, y = lambda / theta,
    # A(x, y) = x e^y y^-x gamma(x, y), E = Erlang B(N, lambda / mu), rho = lambda / (N mu):
    # P(W>0) = A E / (1 + (A - 1) E),  P(Ab) = (1 / (rho A) + 1 - 1 / rho) P(W>0).
    x, y, rho = n * patience / aht, lam * patience, lam * aht / n
    big_a = math.exp(y - x * math.log(y) + special.gammaln(x + 1)) * special.gammainc(x, y)
    e = recursion_b(n, lam * aht)
    p_wait = big_a * e / (1 + (big_a - 1) * e)
    got = erlang_a(n, lam, aht, patience, threshold)
    assert got.p_wait == pytest.approx(p_wait, rel=1e-9)
    assert got.p_abandon == pytest.approx((1 / (rho * big_a) + 1 - 1 / rho) * p_wait, rel=1e-7)


@pytest.mark.parametrize("n", [11, 14, 20])
def test_erlang_a_tends_to_erlang_c_as_patience_grows(n: int) -> None:
    # the gap shrinks like 1 / patience; at 1e9 s it is below 1e-5 (relative)
    got = erlang_a(n, LAM, AHT, 1e9, 20.0)
    assert got.p_wait == pytest.approx(erlang_c(n, 10.0), rel=1e-5)
    assert got.asa_s == pytest.approx(erlang_c_asa(n, 10.0, AHT), rel=1e-5)
    assert got.service_level == pytest.approx(erlang_c_service_level(n, 10.0, AHT, 20.0), abs=1e-5)
    assert got.p_abandon < 1e-6


def test_erlang_a_pyworkforce_published_example() -> None:
    # pyworkforce ErlangA guide (pyworkforce.rodrigo-arenas.com/stable/guide/erlanga):
    # ErlangA(transactions=100, aht=3, asa=20/60, interval=30, patience=5) with 13 positions:
    # service_level 0.858..., occupancy 0.750..., abandonment_probability 0.025...,
    # waiting_probability 0.226..., average_speed_of_answer 0.125... (minutes). Its service level is
    # answered within T over all arrivals, as here.
    got = erlang_a(13, LAM, AHT, 300.0, 20.0)
    assert got.service_level == pytest.approx(0.858, abs=5e-4)
    assert got.occupancy == pytest.approx(0.750, abs=5e-4)
    assert got.p_abandon == pytest.approx(0.025, abs=5e-4)
    assert got.p_wait == pytest.approx(0.226, abs=5e-4)
    assert got.asa_s / 60 == pytest.approx(0.125, abs=5e-4)
    # pyworkforce's test suite (pyworkforce/queuing/tests/test_abandonment.py,
    # test_erlanga_regression_metrics), same scenario with 14 positions, rounded values:
    got = erlang_a(14, LAM, AHT, 300.0, 20.0)
    assert round(got.p_wait, 5) == 0.14526
    assert round(got.p_abandon, 6) == 0.013984
    assert round(got.occupancy, 6) == 0.704297
    assert round(got.asa_s / 60, 6) == 0.069919
    assert round(got.service_level, 6) == 0.916792


def simulate_service_level(n: int, lam: float, aht: float, patience: float, threshold: float,
                           customers: int, seed: int) -> tuple[float, float]:
    """FCFS M/M/N+M by a heap of server-free times; (share answered within T, its standard error)."""
    rng = np.random.default_rng(seed)
    arrivals = np.cumsum(rng.exponential(1 / lam, customers))
    services = rng.exponential(aht, customers)
    patiences = rng.exponential(patience, customers)
    free = [0.0] * n
    hit = np.zeros(customers)
    for i in range(customers):
        start = max(arrivals[i], free[0])
        if start - arrivals[i] <= patiences[i]:  # answered: takes the earliest free agent
            heapq.heapreplace(free, start + services[i])
            hit[i] = start - arrivals[i] <= threshold
    batches = hit[2_000:].reshape(40, -1).mean(axis=1)  # warm-up dropped; 40 batch means
    return float(batches.mean()), float(batches.std(ddof=1) / math.sqrt(batches.size))


def test_erlang_a_service_level_matches_simulation() -> None:
    n, lam, aht, patience, threshold = 5, 0.05, 120.0, 30.0, 10.0
    estimate, se = simulate_service_level(n, lam, aht, patience, threshold, 82_000, seed=20240611)
    exact = erlang_a(n, lam, aht, patience, threshold).service_level
    assert se < 0.01
    assert abs(estimate - exact) < 4 * se  # 4 batch-means standard errors: a false alarm < 1e-4


def test_erlang_a_vectorised_and_large() -> None:
    got = erlang_a(np.array([10, 12, 14]), LAM, AHT, np.array([[60.0], [300.0]]), 20.0)
    assert got.service_level.shape == (2, 3)
    assert got.service_level[1, 2] == pytest.approx(erlang_a(14, LAM, AHT, 300.0, 20.0).service_level)
    assert np.all(np.diff(got.service_level, axis=1) > 0)
    big = erlang_a(5000, 4900 / AHT, AHT, 120.0, 20.0)
    for value in (big.p_wait, big.p_abandon, big.service_level, big.occupancy):
        assert math.isfinite(value) and 0 <= value <= 1
    assert big.p_wait < erlang_c(5000, 4900.0)
    idle = erlang_a(3, 0.0, AHT, 60.0, 20.0)
    assert (idle.p_wait, idle.p_abandon, idle.service_level) == (0.0, 0.0, 1.0)


# --- 5. Staffing ----------------------------------------------------------------------------------

def test_agents_for_service_level_is_monotone() -> None:
    by_target = [agents_for_service_level(LAM, AHT, 20, t) for t in (0.5, 0.7, 0.8, 0.9, 0.95, 0.99)]
    assert by_target == sorted(by_target)
    by_rate = [agents_for_service_level(r, AHT, 20, 0.8) for r in (0.01, 0.05, 0.2, 1.0, 5.0)]
    assert by_rate == sorted(by_rate)
    for rate in (0.05, 1.0, 27.0):  # the answer meets the target, one fewer misses it
        k = agents_for_service_level(rate, AHT, 20, 0.8)
        assert erlang_c_service_level(k, rate * AHT, AHT, 20) >= 0.8 > erlang_c_service_level(
            k - 1, rate * AHT, AHT, 20)


@pytest.mark.parametrize(("lam", "patience", "target"), [(LAM, 300.0, 0.8), (LAM, 60.0, 0.9),
                                                         (0.5, 120.0, 0.8), (3.0, 30.0, 0.95)])
def test_erlang_a_needs_no_more_agents_than_erlang_c(lam: float, patience: float, target: float) -> None:
    c_agents = agents_for_service_level(lam, AHT, 20, target)
    a_agents = agents_for_service_level(lam, AHT, 20, target, model="erlang_a", patience_s=patience)
    assert a_agents <= c_agents
    assert erlang_a(a_agents, lam, AHT, patience, 20).service_level >= target
    assert erlang_a(a_agents - 1, lam, AHT, patience, 20).service_level < target


def test_erlang_a_staffing_matches_pyworkforce() -> None:
    # pyworkforce ErlangA guide (as above): required_positions(service_level=0.8,
    # max_occupancy=0.85, max_abandonment=0.05) -> raw_positions 13; here the occupancy (0.750)
    # and abandonment (0.025) limits do not bind, so the service level alone gives 13 too.
    assert agents_for_service_level(LAM, AHT, 20, 0.8, model="erlang_a", patience_s=300.0) == 13


# --- 6. Bad inputs --------------------------------------------------------------------------------

@pytest.mark.parametrize("call", [
    lambda: offered_load(-1.0, AHT),
    lambda: offered_load(LAM, 0.0),
    lambda: erlang_b(2.5, 1.0),
    lambda: erlang_b(-1, 1.0),
    lambda: erlang_c(10, float("nan")),
    lambda: erlang_c_service_level(10, 5.0, -3.0, 20),
    lambda: erlang_c_service_level(10, 5.0, AHT, -1),
    lambda: erlang_a(0, LAM, AHT, 60.0, 20.0),
    lambda: erlang_a(10, LAM, AHT, 0.0, 20.0),
    lambda: erlang_a(10, -LAM, AHT, 60.0, 20.0),
    lambda: agents_for_service_level(LAM, AHT, 20, 0.0),
    lambda: agents_for_service_level(LAM, AHT, 20, 1.0),
    lambda: agents_for_service_level(LAM, AHT, 20, 80),
    lambda: agents_for_service_level(LAM, AHT, 20, "high"),
    lambda: agents_for_service_level(-LAM, AHT, 20, 0.8),
    lambda: agents_for_service_level(LAM, 0.0, 20, 0.8),
    lambda: agents_for_service_level(LAM, AHT, 20, 0.8, model="erlang_x"),
    lambda: agents_for_service_level(LAM, AHT, 20, 0.8, model="erlang_a"),
    lambda: agents_for_service_level(LAM, AHT, 20, 0.8, patience_s=60.0),
    lambda: agents_for_service_level(LAM, AHT, 20, 0.99, max_agents=12),
])
def test_bad_inputs_raise_parameter_error(call) -> None:
    with pytest.raises(ParameterError) as info:
        call()
    assert isinstance(info.value, CCReviewError) and isinstance(info.value, ValueError)
    assert len(str(info.value)) > 20
