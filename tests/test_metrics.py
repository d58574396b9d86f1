"""Contact KPIs against the ICMI (2002) worked example and resolution-time statistics by hand.

ICMI "Service Level Calculations" (2002), reprinted by callcentrehelper.com and summarised in
shared/reference/metric-definitions.md section 1.1: A = 1000 answered, Ab = 60 abandoned,
860 answered within 20 s, 20 abandoned within 20 s. Formula 3 (A<=T / (A + Ab)) = 81.1%;
abandonment 60 / 1060 = 5.66% (section 1.3).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ccreview.data import columns as c
from ccreview.kpis.catalogue import contact_summary, resolution_time_stats


def icmi_contacts() -> pd.DataFrame:
    waits = np.concatenate([
        np.full(860, 10.0),  # answered within 20 s
        np.full(140, 45.0),  # answered after 20 s
        np.full(20, 5.0),  # abandoned within 20 s
        np.full(40, 60.0),  # abandoned after 20 s
    ])
    abandoned = np.r_[np.zeros(1000, bool), np.ones(60, bool)]
    frame = pd.DataFrame({c.CHANNEL: "phone", c.WAIT_S: waits, c.ABANDONED: abandoned,
                          c.QUEUE: "q"})
    email = pd.DataFrame({c.CHANNEL: ["email"] * 5, c.WAIT_S: [7200.0] * 5,
                          c.ABANDONED: [False] * 5, c.QUEUE: "q"})
    return pd.concat([frame, email], ignore_index=True)


def test_service_level_formula_3_and_abandonment_match_icmi():
    row = contact_summary(icmi_contacts(), threshold_s=20).iloc[0]
    assert row["service_level"] == pytest.approx(860 / 1060)  # ICMI formula 3: 81.1%
    assert round(row["service_level"] * 100, 1) == 81.1
    assert row["abandonment_rate"] == pytest.approx(60 / 1060)  # 5.66%, email excluded
    assert row["offered"] == 1065 and row["realtime_offered"] == 1060
    # ASA: mean wait of answered phone contacts: (860*10 + 140*45) / 1000
    assert row["average_speed_of_answer_s"] == pytest.approx((860 * 10 + 140 * 45) / 1000)


def test_unknown_waits_are_not_counted_as_failures():
    frame = icmi_contacts()
    frame.loc[:99, c.WAIT_S] = np.nan  # 100 answered-within-T contacts lose their wait
    row = contact_summary(frame, threshold_s=20).iloc[0]
    assert row["service_level"] == pytest.approx(760 / 960)


def test_segments():
    frame = icmi_contacts()
    frame.loc[:9, c.QUEUE] = "other"
    table = contact_summary(frame, by=c.QUEUE).set_index(c.QUEUE)
    assert table.loc["other", "offered"] == 10
    assert table["offered"].sum() == 1065


def test_resolution_time_stats_by_hand():
    opened = pd.Timestamp("2026-07-01 00:00", tz="UTC")
    hours = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    frame = pd.DataFrame({c.OPENED_AT: [opened] * 11,
                          c.RESOLVED_AT: [opened + pd.Timedelta(hours=h) for h in hours] + [pd.NaT],
                          c.PRIORITY: [1] * 5 + [2] * 6})
    overall = resolution_time_stats(frame).iloc[0]
    assert overall["n"] == 10
    assert overall["median_h"] == 5.5
    assert overall["p90_h"] == pytest.approx(9.1)  # linear interpolation, as R type 7
    assert overall["mean_h"] == 5.5
    by = resolution_time_stats(frame, by=c.PRIORITY).set_index(c.PRIORITY)
    assert by.loc[1, "median_h"] == 3 and by.loc[2, "n"] == 5
