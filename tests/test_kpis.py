"""The KPI catalogue's computations against published worked examples and hand calculations.

Service level variants: ICMI "Service Level Calculations" (2002), reprinted by
callcentrehelper.com, summarised in shared/reference/metric-definitions.md section 1.1:
A = 1000 answered, Ab = 60 abandoned, A<=20 = 860, Ab<=20 = 20, Ab>20 = 40, Ab<=5 = 10.
Published: formula 1 = 83 %, 2 = 86 %, 3 = 81 %, 4 = 83 %; formula 5 = (860 + 10) / 1060 =
82.08 % and formula 6 = 860 / 1050 = 81.90 % (reference notes, by hand). Abandonment 60/1060 =
5.66 % with short abandons, 50/1050 = 4.76 % without (section 1.3).
NPS: 30 % promoters, 20 % detractors -> +10 (DELA 2018 glossary, reference section 1.13).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ccreview.config.kpi_settings import KpiSettings
from ccreview.data import columns as c
from ccreview.exceptions import ParameterError
from ccreview.kpis.catalogue import METRICS
from ccreview.kpis.compute import backlog_age_profile, kpi_series, kpi_values, service_level_definition
from ccreview.kpis.observations import observations

START = pd.Timestamp("2026-07-01", tz="Europe/London")
END = pd.Timestamp("2026-10-01", tz="Europe/London")


def icmi_contacts() -> pd.DataFrame:
    waits = np.concatenate([
        np.full(860, 10.0),  # answered within 20 s
        np.full(140, 45.0),  # answered after 20 s
        np.full(10, 3.0),  # abandoned within 5 s: short abandons
        np.full(10, 12.0),  # abandoned within 20 s, not short
        np.full(40, 60.0),  # abandoned after 20 s
    ])
    n = len(waits)
    abandoned = np.r_[np.zeros(1000, bool), np.ones(60, bool)]
    at = START + pd.to_timedelta(np.arange(n) * 60, unit="s")
    return pd.DataFrame({c.ARRIVED_AT: at, c.CHANNEL: "phone", c.QUEUE: "billing",
                         c.WAIT_S: waits, c.ABANDONED: abandoned,
                         c.HANDLE_S: np.where(abandoned, np.nan, 300.0),
                         c.FIRST_CONTACT_RESOLVED: np.where(abandoned, None, np.arange(n) % 4 != 0)})


def value(name: str, tables: dict, **settings) -> float:
    obs = observations(name, tables, settings=KpiSettings(**settings))
    return float(kpi_values(obs, metric=name, start=START, end=END)["value"].iloc[0])


@pytest.mark.parametrize(("variant", "expected", "published"), [
    ("abandons_within_t_met", 880 / 1060, 83),  # ICMI formula 1
    ("answered", 860 / 1000, 86),  # ICMI formula 2
    ("offered", 860 / 1060, 81),  # ICMI formula 3
    ("abandons_within_t_excluded", 860 / 1040, 83),  # ICMI formula 4
    ("short_abandons_met", 870 / 1060, 82),  # ICMI formula 5, by hand: 82.08 %
    ("short_abandons_excluded", 860 / 1050, 82),  # formula 6, by hand: 81.90 %
])
def test_service_level_variants_match_icmi(variant, expected, published):
    got = value("service_level", {"contacts": icmi_contacts()}, service_level_variant=variant)
    assert got == pytest.approx(expected)
    assert round(got * 100) == published


def test_abandonment_with_and_without_short_abandons():
    tables = {"contacts": icmi_contacts()}
    assert value("abandonment_rate", tables) == pytest.approx(60 / 1060)  # 5.66 %
    assert value("abandonment_rate_excl_short", tables) == pytest.approx(50 / 1050)  # 4.76 %


def test_asa_aht_fcr_by_hand():
    tables = {"contacts": icmi_contacts()}
    assert value("average_speed_of_answer", tables) == pytest.approx((860 * 10 + 140 * 45) / 1000)
    assert value("average_handle_time", tables) == pytest.approx(300.0)
    # rows 0..999 answered; every fourth (0, 4, ..., 996) not resolved first time: 250 of 1000
    assert value("first_contact_resolution", tables) == pytest.approx(750 / 1000)
    assert value("contacts_offered", tables) == 1060
    assert value("contacts_answered", tables) == 1000


def test_unknown_variant_and_bad_thresholds_are_named():
    with pytest.raises(ParameterError, match="Did you mean 'offered'"):
        KpiSettings(service_level_variant="ofered")
    with pytest.raises(ParameterError, match="short_abandon_s"):
        KpiSettings(short_abandon_s=30)
    assert "within 30 s" in service_level_definition(KpiSettings(service_level_threshold_s=30))


def test_nps_and_csat_and_complaints():
    # 10 answers: 3 promoters, 5 passives, 2 detractors -> NPS = 100 * (0.3 - 0.2) = +10
    nps = [10, 9, 9, 8, 8, 7, 7, 7, 3, 0]
    csat = [5, 4, 4, 3, 1]  # top-two-box: 3 of 5
    feedback = pd.DataFrame({
        c.RECEIVED_AT: START + pd.Timedelta(days=3),
        c.KIND: ["survey"] * 15 + ["complaint"] * 4,
        c.SCALE: ["nps_0_10"] * 10 + ["csat_1_5"] * 5 + [None] * 4,
        c.SCORE: [float(v) for v in nps + csat] + [np.nan] * 4,
    })
    tables = {"feedback": feedback, "contacts": icmi_contacts()}
    assert value("nps", tables) == pytest.approx(10.0)
    assert value("csat", tables) == pytest.approx(0.6)
    assert value("complaints_per_1000_contacts", tables) == pytest.approx(4 * 1000 / 1060)


def incidents() -> pd.DataFrame:
    opened = START + pd.to_timedelta([0, 1, 2, 3, 10], unit="D")
    return pd.DataFrame({
        c.INCIDENT_ID: ["I1", "I2", "I3", "I4", "I5"],
        c.OPENED_AT: opened,
        c.FIRST_RESPONSE_AT: opened + pd.to_timedelta([1, 2, 3, 4, np.nan], unit="h"),
        c.RESOLVED_AT: opened + pd.to_timedelta([10, 20, 30, 40, np.nan], unit="h"),
        c.REOPEN_COUNT: [0, 1, 0, 0, 0], c.REASSIGNMENT_COUNT: [0, 2, 1, 0, 0],
        c.ESCALATED: [True, False, False, False, True], c.PRIORITY: [1, 2, 3, 3, 4],
        c.STATUS: ["closed", "closed", "closed", "closed", "in_progress"],
    })


def test_incident_metrics_by_hand():
    tables = {"incidents": incidents()}
    assert value("incidents_opened", tables) == 5
    assert value("median_resolution_h", tables) == pytest.approx(25.0)  # median of 10, 20, 30, 40
    assert value("p90_resolution_h", tables) == pytest.approx(37.0)  # 30 + 0.7 * 10 (linear)
    assert value("median_response_h", tables) == pytest.approx(2.5)
    assert value("reopen_rate", tables) == pytest.approx(1 / 4)
    assert value("reassignment_rate", tables) == pytest.approx(2 / 5)
    assert value("escalation_rate", tables) == pytest.approx(2 / 5)


def test_backlog_age_profile_by_hand():
    at = START + pd.Timedelta(days=12)
    profile = backlog_age_profile(incidents(), at=at).set_index("age")
    # only I5 (opened day 10, unresolved) is open at day 12: 2 days old
    assert profile.attrs["open"] == 1 and profile.loc["1-3 days", "n"] == 1
    assert profile.attrs["median_age_days"] == pytest.approx(2.0)


def test_segments_and_weekly_series():
    contacts = icmi_contacts()
    contacts.loc[:99, c.QUEUE] = "general"
    obs = observations("abandonment_rate", {"contacts": contacts})
    by_queue = kpi_values(obs, metric="abandonment_rate", start=START, end=END, by=c.QUEUE)
    assert by_queue.set_index(c.QUEUE)["denominator"].to_dict() == {"billing": 960, "general": 100}
    # 1,060 contacts a minute apart from 1 Jul (a Wednesday) 00:00: all inside the partial first
    # week, so the first whole week (from Monday 6 Jul) and the rest are empty, n = 0
    series = kpi_series(obs, metric="abandonment_rate", start=START, end=END)
    assert series[c.PERIOD_START].iloc[0] == pd.Timestamp("2026-07-06")
    assert (series["n"] == 0).all() and series["value"].isna().all()
    assert len(series) == 12  # 6 Jul .. 21 Sep; the week of 28 Sep runs past the end


def test_every_catalogue_metric_says_how_it_is_computed():
    for metric in METRICS.values():
        assert metric.kind in {"proportion", "rate", "count", "duration", "score", "snapshot"}
        if metric.kind in ("duration", "score"):
            assert metric.statistic in {"mean", "median", "p90"}, metric.name
        if metric.kind in ("proportion", "rate"):
            assert metric.numerator and metric.denominator, metric.name


def test_parameter_file_kpi_and_chart_choices(tmp_path, demo_dir):
    from ccreview.review.parameters import load_parameters
    from tests.conftest import make_params

    extra = ("kpis:\n  service_level: {threshold_s: 30, variant: answered}\n  short_abandon_s: 4\n"
             "control_charts:\n  baseline: {start: 2026-01-05, end: 2026-06-28}\n"
             "  rules: [nelson]\n  metrics: [abandonment_rate, csat]\n  frequency: day\n")
    params = load_parameters(make_params(tmp_path, demo_dir, extra=extra))
    assert params.chart_freq == "D"
    assert params.kpi_settings == KpiSettings(30, "answered", 4)
    assert params.chart_rules == ("nelson",) and params.chart_metrics == ("abandonment_rate", "csat")
    assert params.chart_baseline[0] == pd.Timestamp("2026-01-05", tz="Europe/London")


def test_parameter_file_kpi_mistakes_are_all_named(tmp_path, demo_dir):
    from ccreview.review.parameters import load_parameters
    from tests.conftest import make_params

    extra = ("kpis:\n  service_level: {threshold: 30, variant: ofered}\n"
             "control_charts:\n  rules: [beyond_limit]\n  metrics: [abandon_rate]\n  colour: red\n"
             "  frequency: hourly\n")
    with pytest.raises(ParameterError) as caught:
        load_parameters(make_params(tmp_path, demo_dir, extra=extra))
    message = str(caught.value)
    assert "kpis.service_level: unknown key 'threshold'" in message and "threshold_s" in message
    assert "'ofered' is not a variant. Did you mean 'offered'?" in message
    assert "no rule 'beyond_limit'. Did you mean 'beyond_limits'?" in message
    assert "no metric 'abandon_rate'. Did you mean 'abandonment_rate'?" in message
    assert "control_charts: unknown key 'colour'" in message
    assert "control_charts.frequency: 'hourly' is not a frequency; use week or day." in message


@pytest.mark.parametrize("variant", ["offered", "short_abandons_excluded"])
def test_contact_kpis_in_one_pass_equal_the_metric_by_metric_path(demo_dir, variant):
    """contact_kpis must give exactly what observations + kpi_values / kpi_series give."""
    from ccreview.kpis.contacts import CONTACT_METRICS, contact_kpis
    from ccreview.review.review import open_review
    from tests.conftest import make_params

    review = open_review(make_params(demo_dir.parent / f"one-pass-{variant}", demo_dir))
    contacts = review.tables["contacts"]
    settings = KpiSettings(service_level_variant=variant)
    start, end = review.params.start - pd.Timedelta(days=91), review.params.end
    for by, freq in ((None, None), (c.QUEUE, None), (c.CHANNEL, None), (None, "W"), (None, "M")):
        fast = contact_kpis(contacts, start=start, end=end, settings=settings, by=by, freq=freq)
        for name in CONTACT_METRICS:
            obs = observations(name, {"contacts": contacts}, settings=settings)
            slow = (kpi_series(obs, metric=name, start=start, end=end, freq=freq) if freq else
                    kpi_values(obs, metric=name, start=start, end=end, by=by))
            got = fast[fast["metric"] == name].reset_index(drop=True)
            assert len(got) == len(slow), (name, by, freq)
            for col in ("value", "n", "numerator", "denominator"):
                np.testing.assert_allclose(got[col].to_numpy(float), slow[col].to_numpy(float),
                                           rtol=1e-12, equal_nan=True, err_msg=f"{name} {by} {freq} {col}")
            if by:
                assert got[by].tolist() == slow[by].astype(str).tolist()
