"""Weeks a special cause hit: degraded service weeks and major incidents.

The degraded-weeks finding, its recommendation and the change evaluations (which leave these
weeks out of their fits) all read :func:`degraded_week_starts`, so they name the same weeks.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ccreview.data import columns as c

__all__ = ["ABANDONMENT", "CONTACTS_OFFERED", "DEGRADED_FACTOR", "SERVICE_LEVEL", "SURGE_FACTOR",
           "degraded_week_causes", "degraded_week_starts", "special_cause_days"]

#: a week is "degraded" when its abandonment rate is this many times the period's median week
DEGRADED_FACTOR = 1.5
#: the catalogue metrics (weekly, from Review.weekly_contacts) the degraded-weeks test reads
CONTACTS_OFFERED, ABANDONMENT, SERVICE_LEVEL = "contacts_offered", "abandonment_rate", "service_level"


def degraded_week_starts(weekly: pd.DataFrame) -> pd.Series:
    """Start of each whole week whose abandonment exceeds :data:`DEGRADED_FACTOR` times the
    median week's; weeks with under half the median week's contacts are not judged.
    ``weekly`` is :attr:`Review.weekly_contacts`. Empty when fewer than 4 weeks."""
    if len(weekly) < 4 or ABANDONMENT not in weekly or CONTACTS_OFFERED not in weekly:
        return pd.Series([], dtype="datetime64[ns]", name=c.PERIOD_START)
    offered = weekly[CONTACTS_OFFERED]
    full = weekly[offered >= 0.5 * offered.median()]
    typical = full[ABANDONMENT].median()
    return full.loc[full[ABANDONMENT] > DEGRADED_FACTOR * typical, c.PERIOD_START].reset_index(drop=True)


def special_cause_days(*, degraded_weeks: pd.Series, major_incidents: pd.DataFrame | None,
                       start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """One row per known special cause in ``[start, end)``: ``day`` (local, timezone-naive)
    and ``what`` ("degraded week", "major incident MI-007")."""
    rows = [{"day": pd.Timestamp(w).tz_localize(None) if pd.Timestamp(w).tzinfo else pd.Timestamp(w),
             "what": "degraded week"} for w in degraded_weeks]
    if major_incidents is not None and len(major_incidents) and c.DECLARED_AT in major_incidents:
        declared = major_incidents[c.DECLARED_AT]
        inside = major_incidents[((declared >= start) & (declared < end)).fillna(False).to_numpy()]
        for day, name in zip(inside[c.DECLARED_AT], inside[c.MAJOR_INCIDENT_ID], strict=True):
            local = day.tz_convert(start.tz) if day.tzinfo is not None and start.tzinfo is not None else day
            rows.append({"day": local.tz_localize(None) if local.tzinfo else local,
                         "what": f"major incident {name}"})
    return pd.DataFrame(rows, columns=["day", "what"])


#: a week's contacts this many times the median week's count as a surge
SURGE_FACTOR = 1.3


def degraded_week_causes(weekly: pd.DataFrame, *, major_incidents: pd.DataFrame | None,
                         changes: pd.DataFrame | None, timezone: str) -> pd.DataFrame:
    """What the data knows happened in each degraded week: one row per week with
    ``period_start`` and ``causes`` (a list of plain phrases: "major incident MI-007 declared
    18 Aug", "change C-004 went live 12 Aug", "contacts 1.6 times a usual week"); an empty list
    when the data knows nothing, so the reader is asked to find the cause only then."""
    starts = degraded_week_starts(weekly)
    rows = []
    typical = weekly[CONTACTS_OFFERED].median() if CONTACTS_OFFERED in weekly and len(weekly) else np.nan
    for start in starts:
        end = start + pd.Timedelta(days=7)
        causes: list[str] = []
        if major_incidents is not None and len(major_incidents) and c.DECLARED_AT in major_incidents:
            local = major_incidents[c.DECLARED_AT].dt.tz_convert(timezone).dt.tz_localize(None)
            inside = major_incidents[((local >= start) & (local < end)).fillna(False).to_numpy()]
            for name, when in zip(inside[c.MAJOR_INCIDENT_ID], local[inside.index], strict=True):
                causes.append(f"major incident {name} declared {when:%d %b}")
        if changes is not None and len(changes) and c.IMPLEMENTED_ON in changes:
            day = changes[c.IMPLEMENTED_ON]
            live = changes[c.STATUS].isin(["implemented", "rolled_back"])
            went_live = changes[((day >= start) & (day < end) & live)
                                .fillna(False).to_numpy()]
            for name, when in zip(went_live[c.CHANGE_ID], went_live[c.IMPLEMENTED_ON], strict=True):
                causes.append(f"change {name} went live {when:%d %b}")
        week = weekly[weekly[c.PERIOD_START] == start]
        if len(week) and typical and np.isfinite(typical):
            ratio = float(week[CONTACTS_OFFERED].iloc[0]) / typical
            if ratio >= SURGE_FACTOR:
                causes.append(f"contacts {ratio:.1f} times a usual week")
        rows.append({c.PERIOD_START: start, "causes": causes})
    return pd.DataFrame(rows, columns=[c.PERIOD_START, "causes"])
