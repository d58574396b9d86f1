"""Observations: one row per unit of each catalogue metric, the input of every KPI figure."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ccreview.config.kpi_settings import KpiSettings
from ccreview.data import columns as c
from ccreview.kpis.catalogue import METRICS, REAL_TIME_CHANNELS, service_level_masks

__all__ = ["SATISFIED_FROM",
    "observations",
]


def _contact_observations(name: str, contacts: pd.DataFrame, settings: KpiSettings
                          ) -> pd.DataFrame | None:
    abandoned = contacts[c.ABANDONED].fillna(False).to_numpy(dtype=bool)
    wait = (contacts[c.WAIT_S].to_numpy(dtype=float, na_value=np.nan) if c.WAIT_S in contacts
            else np.full(len(contacts), np.nan))
    arrived = contacts[c.ARRIVED_AT].array  # indexing the array skips the index's own copy
    if name in ("contacts_offered", "contacts_answered"):
        rows = slice(None) if name == "contacts_offered" else ~abandoned
        return _ratio(arrived[rows], 1.0, np.nan, _segments(contacts, rows))
    if name == "average_handle_time":
        handle = contacts[c.HANDLE_S].to_numpy(dtype=float, na_value=np.nan)
        rows = ~abandoned & ~np.isnan(handle)
        return _values(arrived[rows], handle[rows], _segments(contacts, rows))
    if name == "first_contact_resolution":
        fcr = contacts[c.FIRST_CONTACT_RESOLVED]
        rows = ~abandoned & fcr.notna().to_numpy()
        return _ratio(arrived[rows], fcr.to_numpy(dtype=float, na_value=0)[rows], 1.0,
                      _segments(contacts, rows))
    # matching text costs more than the rest: only the metrics of phone and chat do it
    realtime = contacts[c.CHANNEL].isin(REAL_TIME_CHANNELS).to_numpy()
    if name in ("abandonment_rate", "abandonment_rate_excl_short"):
        rows = realtime
        if name == "abandonment_rate_excl_short":
            rows = realtime & ~(abandoned & (wait < settings.short_abandon_s))
        return _ratio(arrived[rows], abandoned[rows], 1.0, _segments(contacts, rows))
    if name == "service_level":
        numerator, denominator = service_level_masks(abandoned, wait, settings)
        rows = realtime & denominator
        return _ratio(arrived[rows], numerator[rows], 1.0, _segments(contacts, rows))
    if name == "average_speed_of_answer":
        rows = realtime & ~abandoned & ~np.isnan(wait)
        return _values(arrived[rows], wait[rows], _segments(contacts, rows))
    return None


def _incident_observations(name: str, incidents: pd.DataFrame) -> pd.DataFrame | None:
    if name == "incidents_opened":
        return _ratio(incidents[c.OPENED_AT], 1.0, np.nan, _segments(incidents, slice(None)))
    if name in ("escalation_rate", "reassignment_rate"):
        column = c.ESCALATED if name == "escalation_rate" else c.REASSIGNMENT_COUNT
        values = incidents[column].to_numpy(dtype=float, na_value=np.nan)
        rows = ~np.isnan(values)
        return _ratio(incidents[c.OPENED_AT][rows], values[rows] > 0, 1.0, _segments(incidents, rows))
    if name in ("median_response_h", "p90_response_h"):
        hours = (incidents[c.FIRST_RESPONSE_AT] - incidents[c.OPENED_AT]).dt.total_seconds() / 3600
        rows = hours.notna().to_numpy()
        return _values(incidents[c.FIRST_RESPONSE_AT][rows], hours[rows], _segments(incidents, rows))
    if name in ("median_resolution_h", "p90_resolution_h"):
        hours = (incidents[c.RESOLVED_AT] - incidents[c.OPENED_AT]).dt.total_seconds() / 3600
        rows = hours.notna().to_numpy()
        return _values(incidents[c.RESOLVED_AT][rows], hours[rows], _segments(incidents, rows))
    if name == "reopen_rate":
        rows = incidents[c.RESOLVED_AT].notna().to_numpy()
        reopened = incidents[c.REOPEN_COUNT].to_numpy(dtype=float, na_value=0) > 0
        return _ratio(incidents[c.RESOLVED_AT][rows], reopened[rows], 1.0, _segments(incidents, rows))
    return None


def _outcome_observations(name: str, outcomes: pd.DataFrame, incidents: pd.DataFrame
                          ) -> pd.DataFrame | None:
    target = {"response_compliance": "response", "resolution_compliance": "resolution",
              "median_resolution_sla_h": "resolution"}.get(name)
    if target is None:
        return None
    judged = outcomes[(outcomes["target"] == target).to_numpy()
                      & outcomes["outcome"].isin(["met", "breached"]).to_numpy()]
    pos = pd.Index(incidents[c.INCIDENT_ID]).get_indexer(judged[c.INCIDENT_ID])
    segments = {col: incidents[col].array.take(pos) for col in SEGMENT_COLUMNS if col in incidents}
    if name == "median_resolution_sla_h":
        done = judged["completed_at"].notna().to_numpy()
        # a time is attributed to when it was taken, not to when a breach was decided
        return _values(judged["completed_at"][done], judged["elapsed_h"].to_numpy()[done],
                       {k: v[done] for k, v in segments.items()})
    return _ratio(judged["judged_at"], (judged["outcome"] == "met").to_numpy(), 1.0, segments)


#: per feedback scale, the lowest score that is not unsatisfied: CSAT's top two boxes (4-5 of
#: 5), and NPS's passives and promoters (7-10; detractors score 0-6, Reichheld 2003)
SATISFIED_FROM = {"csat_1_5": 4.0, "nps_0_10": 7.0}


def _is(values: pd.Series, value: str) -> np.ndarray:
    """``values == value`` as plain booleans (a missing value is not equal)."""
    return values.eq(value).to_numpy(dtype=bool, na_value=False)


def _feedback_observations(name: str, feedback: pd.DataFrame, contacts: pd.DataFrame | None
                           ) -> pd.DataFrame | None:
    kind, scale = feedback[c.KIND], feedback[c.SCALE]
    score = feedback[c.SCORE].to_numpy(dtype=float, na_value=np.nan)
    if name == "csat":
        rows = _is(kind, "survey") & _is(scale, "csat_1_5") & ~np.isnan(score)
        satisfied = score[rows] >= SATISFIED_FROM["csat_1_5"]
        return _ratio(feedback[c.RECEIVED_AT][rows], satisfied, 1.0, _segments(feedback, rows))
    if name == "nps":
        rows = _is(kind, "survey") & _is(scale, "nps_0_10") & ~np.isnan(score)
        points = np.select([score >= 9, score <= 6], [100.0, -100.0], 0.0)
        return _values(feedback[c.RECEIVED_AT][rows], points[rows], _segments(feedback, rows))
    if name == "complaints_per_1000_contacts":
        if contacts is None:
            return None
        rows = _is(kind, "complaint")
        both = pd.concat([_ratio(feedback[c.RECEIVED_AT][rows], 1.0, 0.0, {}),
                          _ratio(contacts[c.ARRIVED_AT], 0.0, 1.0, {})], ignore_index=True)
        return both
    return None


def _qa_observations(name: str, qa: pd.DataFrame) -> pd.DataFrame | None:
    if name == "qa_score":
        score = qa[c.SCORE].to_numpy(dtype=float, na_value=np.nan)
        rows = ~np.isnan(score)
        return _values(qa[c.EVALUATED_AT][rows], score[rows], _segments(qa, rows))
    if name == "critical_error_rate":
        flag = qa[c.CRITICAL_ERROR]
        rows = flag.notna().to_numpy()
        return _ratio(qa[c.EVALUATED_AT][rows], flag.to_numpy(dtype=float, na_value=0)[rows], 1.0,
                      _segments(qa, rows))
    return None


def observations(
    name: str,
    tables: Mapping[str, pd.DataFrame],
    *,
    settings: KpiSettings = KpiSettings(),
    outcomes: pd.DataFrame | None = None,
) -> pd.DataFrame | None:
    """One row per thing metric ``name`` counts or measures.

    Parameters
    ----------
    name : str
        A catalogue metric (:data:`~ccreview.kpis.catalogue.METRICS`).
    tables : mapping
        Canonical tables by name (``incidents``, ``contacts``, ...); missing ones are fine.
    settings : KpiSettings
        Definition choices (service-level variant, thresholds).
    outcomes : DataFrame, optional
        Target outcomes (:func:`ccreview.incidents.targets.target_outcomes`), for the
        compliance metrics.

    Returns
    -------
    DataFrame or None
        ``at`` and either ``numerator`` and ``denominator`` (ratio and count metrics)
        or ``value`` (duration and score metrics), plus whichever segment columns
        the source carries. None when the tables needed are absent.
    """
    metric = METRICS[name]
    table = tables.get(metric.table)
    if table is None:
        return None
    missing = [col for col in metric.needs if col not in table]
    if missing:
        return None
    if metric.table == "contacts":
        return _contact_observations(name, table, settings)
    if metric.table == "incidents":
        if outcomes is not None:
            found = _outcome_observations(name, outcomes, table)
            if found is not None:
                return found
        return _incident_observations(name, table)
    if metric.table == "feedback":
        return _feedback_observations(name, table, tables.get("contacts"))
    if metric.table == "qa_evaluations":
        return _qa_observations(name, table)
    return None


#: columns a metric can be split by, where its table carries them
SEGMENT_COLUMNS = (c.QUEUE, c.CHANNEL, c.PRIORITY, c.CATEGORY, c.ASSIGNED_TEAM, c.TEAM)


def _segments(table: pd.DataFrame, rows: np.ndarray | slice) -> dict:
    # .array keeps Arrow-backed strings as they are (a round trip through numpy objects
    # costs most of the time on millions of contacts)
    return {col: table[col].array[rows] for col in SEGMENT_COLUMNS if col in table}


def _ratio(at, numerator, denominator, segments: dict) -> pd.DataFrame:
    return pd.DataFrame({"at": getattr(at, "array", at), "numerator": np.asarray(numerator, dtype=float),
                         "denominator": np.asarray(denominator, dtype=float), **segments})


def _values(at, values, segments: dict) -> pd.DataFrame:
    return pd.DataFrame({"at": getattr(at, "array", at), "value": np.asarray(values, dtype=float),
                         **segments})
