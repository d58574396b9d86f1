"""Response/resolution outcomes and compliance rates, against hand calculations."""

from __future__ import annotations

from datetime import time

import numpy as np
import pandas as pd
import pytest

from ccreview import columns as c
from ccreview.compliance import compliance_rates, in_period, target_outcomes
from ccreview.config import Calendar, Criteria
from ccreview.review import expected_priority
from ccreview.stats import wilson_interval

TZ = "Europe/London"


def ts(text):
    return pd.Timestamp(text, tz=TZ) if text else pd.NaT


@pytest.fixture()
def criteria():
    office = Calendar("office", {d: ((time(8), time(18)),) for d in range(5)})
    targets = pd.DataFrame({
        "priority": [1, 2, 3],
        "name": ["Critical", "High", "Moderate"],
        "response": pd.to_timedelta(["15min", "30min", "2h"]),
        "resolution": pd.to_timedelta(["4h", "8h", "2h"]),
        "calendar": ["24x7", "24x7", "office"],
    })
    return Criteria("t", TZ, {"24x7": Calendar("24x7", always_open=True), "office": office},
                    {(1, 1): 1}, targets, source=None)


@pytest.fixture()
def incidents():
    rows = [
        # id, priority, opened, first response, resolved
        ("A", 1, "2026-09-01 09:00", "2026-09-01 09:10", "2026-09-01 12:00"),  # both met
        ("B", 1, "2026-09-01 09:00", "2026-09-01 09:20", "2026-09-01 14:00"),  # both breached
        ("C", 2, "2026-09-30 20:00", None, None),  # open at the end: response breached, resolution running
        ("D", 3, "2026-09-25 17:00", "2026-09-25 17:30", "2026-09-28 10:00"),  # Fri 17:00 -> Mon 10:00
        ("E", 9, "2026-09-01 09:00", None, None),  # a priority without targets
    ]
    frame = pd.DataFrame(rows, columns=[c.INCIDENT_ID, c.PRIORITY, c.OPENED_AT,
                                        c.FIRST_RESPONSE_AT, c.RESOLVED_AT])
    for col in (c.OPENED_AT, c.FIRST_RESPONSE_AT, c.RESOLVED_AT):
        frame[col] = pd.to_datetime(frame[col]).dt.tz_localize(TZ)
    return frame


def test_outcomes_by_hand(incidents, criteria):
    end = ts("2026-10-01 00:00")
    out = target_outcomes(incidents, criteria=criteria, as_of=end).set_index(
        [c.INCIDENT_ID, "target"])
    assert out.loc[("A", "response"), "outcome"] == "met"
    assert out.loc[("A", "resolution"), "elapsed_h"] == pytest.approx(3.0)
    assert out.loc[("B", "response"), "outcome"] == "breached"
    assert out.loc[("B", "resolution"), "outcome"] == "breached"
    # C: no response after 4 h against 30 min -> breached, judged at the period end
    assert out.loc[("C", "response"), "outcome"] == "breached"
    assert out.loc[("C", "response"), "judged_at"] == end
    assert out.loc[("C", "resolution"), "outcome"] == "running"  # 4 h of 8 h used
    assert pd.isna(out.loc[("C", "resolution"), "judged_at"])
    # D on office hours: Fri 17:00-18:00 (1 h) + Mon 08:00-10:00 (2 h) = 3 h > 2 h target;
    # its response took 30 minutes of office time
    assert out.loc[("D", "resolution"), "elapsed_h"] == pytest.approx(3.0)
    assert out.loc[("D", "resolution"), "outcome"] == "breached"
    assert out.loc[("D", "response"), "elapsed_h"] == pytest.approx(0.5)
    assert out.loc[("E", "response"), "outcome"] == "no_target"


def test_rates_and_wilson(incidents, criteria):
    out = target_outcomes(incidents, criteria=criteria, as_of=ts("2026-10-01 00:00"))
    rates = compliance_rates(out).set_index("target")
    # response: A met, D met; B and C breached -> 2 of 4
    assert list(rates.index) == ["response", "resolution"]
    assert (rates.loc["response", "met"], rates.loc["response", "n"]) == (2, 4)
    low, high = wilson_interval(2, 4)
    assert rates.loc["response", "ci_low"] == pytest.approx(float(low))
    # resolution: A met; B, D breached; C still running is not judged -> 1 of 3
    assert (rates.loc["resolution", "met"], rates.loc["resolution", "n"]) == (1, 3)
    by_priority = compliance_rates(out, by=c.PRIORITY)
    assert by_priority[c.PRIORITY].tolist() == [1, 2, 3, 1, 3]


def test_expected_priority_lookup():
    matrix = {(1, 1): 1, (1, 2): 2, (2, 1): 2, (2, 2): 3}
    got = expected_priority(pd.Series([1, 2, 2, None, 5]), pd.Series([2, 1, 2, 1, 1]), matrix)
    assert got[:3].tolist() == [2.0, 2.0, 3.0]
    assert np.isnan(got[3]) and np.isnan(got[4])


def test_open_breaches_count_in_the_period_and_cancelled_are_left_out(incidents, criteria):
    start, end = ts("2026-09-01 00:00"), ts("2026-10-01 00:00")
    cancelled = incidents.assign(status=["closed", "closed", "in_progress", "closed", "cancelled"])
    out = in_period(target_outcomes(cancelled, criteria=criteria, as_of=end), start=start, end=end)
    keys = set(zip(out[c.INCIDENT_ID], out["target"], strict=True))
    assert ("C", "response") in keys  # open at the end, already past its target: counted
    assert ("C", "resolution") not in keys  # open, still within its target: not judged yet
    assert not any(i == "E" for i, _ in keys)  # cancelled
    earlier = in_period(target_outcomes(incidents, criteria=criteria, as_of=start),
                        start=ts("2026-08-01 00:00"), end=start)
    assert earlier.empty  # nothing completed in August
