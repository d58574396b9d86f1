"""Weeks a special cause hit: degraded service weeks and major incidents.

The degraded-weeks finding, its recommendation and the change evaluations (which leave these
weeks out of their fits) all read :func:`degraded_week_starts`, so they name the same weeks.
"""

from __future__ import annotations

import pandas as pd

from ccreview.data import columns as c

__all__ = ["ABANDONMENT", "CONTACTS_OFFERED", "DEGRADED_FACTOR", "SERVICE_LEVEL", "degraded_week_starts",
           "special_cause_days"]

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
