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

from ccreview.config.kpi_settings import KpiSettings
from ccreview.data import columns as c
from ccreview.kpis.catalogue import resolution_time_stats
from ccreview.kpis.contacts import contact_kpis

START, END = pd.Timestamp("2026-07-06", tz="UTC"), pd.Timestamp("2026-07-13", tz="UTC")


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
    out = pd.concat([frame, email], ignore_index=True)
    out[c.ARRIVED_AT] = START + pd.to_timedelta(np.arange(len(out)) * 60, unit="s")
    for column in (c.ANSWERED_AT, c.ENDED_AT, c.HANDLE_S, c.FIRST_CONTACT_RESOLVED, c.AGENT):
        out[column] = np.nan
    return out


def kpis(frame: pd.DataFrame, **kw) -> pd.Series:
    """The contact KPIs of the one implementation, by metric."""
    return contact_kpis(frame, start=START, end=END, settings=KpiSettings(), **kw).set_index("metric")


def test_service_level_formula_3_and_abandonment_match_icmi():
    row = kpis(icmi_contacts())["value"]
    assert row["service_level"] == pytest.approx(860 / 1060)  # ICMI formula 3: 81.1%
    assert round(row["service_level"] * 100, 1) == 81.1
    assert row["abandonment_rate"] == pytest.approx(60 / 1060)  # 5.66%, email excluded
    assert row["contacts_offered"] == 1065
    # ASA: mean wait of answered phone contacts: (860*10 + 140*45) / 1000
    assert row["average_speed_of_answer"] == pytest.approx((860 * 10 + 140 * 45) / 1000)


def test_unknown_waits_are_not_counted_as_failures():
    frame = icmi_contacts()
    frame.loc[:99, c.WAIT_S] = np.nan  # 100 answered-within-T contacts lose their wait
    assert kpis(frame).loc["service_level", "value"] == pytest.approx(760 / 960)


def test_segments():
    frame = icmi_contacts()
    frame.loc[:9, c.QUEUE] = "other"
    table = kpis(frame, by=c.QUEUE)
    offered = table.loc["contacts_offered"].set_index(c.QUEUE)["value"]
    assert offered["other"] == 10
    assert offered.sum() == 1065


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
