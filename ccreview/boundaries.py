"""The boundary between the contact centre and the resolver teams: how long each team
holds incidents, and how often incidents are handed over or bounced back.

From ``incident_events``: an incident is in a team's hands from an event naming that
team until its next event (the last one runs to resolution, or to the end of the
period if unresolved). Events without a team keep the previous team.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ccreview import columns as c

__all__ = ["handoff_summary", "holding_periods", "team_time"]


def holding_periods(
    events: pd.DataFrame, incidents: pd.DataFrame, *, as_of: pd.Timestamp
) -> pd.DataFrame:
    """One row per stretch of time an incident spent with one team.

    Parameters
    ----------
    events : DataFrame
        Canonical incident events.
    incidents : DataFrame
        Canonical incidents (for ``resolved_at``); only their events are used.
    as_of : Timestamp
        Where stretches of unresolved incidents end.

    Returns
    -------
    DataFrame
        ``incident_id``, ``team``, ``start``, ``end``, ``hours``.
    """
    # positions into incidents (an index look-up: Series.isin/map on Arrow strings build
    # Python lists, seconds on millions of events)
    pos = pd.Index(incidents[c.INCIDENT_ID]).get_indexer(events[c.INCIDENT_ID])
    ev = events[[c.INCIDENT_ID, c.AT, c.TEAM]].assign(_pos=pos)[pos >= 0]
    ev = ev.sort_values(["_pos", c.AT], kind="stable")
    team = ev.groupby("_pos", sort=False)[c.TEAM].ffill()
    following = ev.groupby("_pos", sort=False)[c.AT].shift(-1)
    resolved = pd.Series(incidents[c.RESOLVED_AT].array[ev["_pos"].to_numpy()], index=ev.index)
    last_end = resolved.where(resolved.notna() & (resolved <= as_of), as_of)
    end = following.fillna(last_end)
    end = end.where(end >= ev[c.AT], ev[c.AT])  # events after resolution hold nothing
    hours = (end - ev[c.AT]).dt.total_seconds() / 3600
    return pd.DataFrame({c.INCIDENT_ID: ev[c.INCIDENT_ID].to_numpy(), c.TEAM: team.to_numpy(),
                         "start": ev[c.AT].array, "end": end.array,
                         "hours": hours.to_numpy()}).dropna(subset=[c.TEAM])


def team_time(periods: pd.DataFrame) -> pd.DataFrame:
    """Time in each team's hands: incidents held, total and median hours per incident.

    Returns
    -------
    DataFrame
        ``team``, ``incidents``, ``total_hours``, ``median_hours`` (per incident it held),
        ``share_of_time``; largest total first.
    """
    per_incident = periods.groupby([c.TEAM, c.INCIDENT_ID], sort=False)["hours"].sum()
    table = per_incident.groupby(level=0).agg(incidents="size", total_hours="sum",
                                              median_hours="median").reset_index()
    table["share_of_time"] = table["total_hours"] / table["total_hours"].sum()
    return table.sort_values("total_hours", ascending=False).reset_index(drop=True)


def handoff_summary(periods: pd.DataFrame, *, contact_centre_team: str) -> pd.DataFrame:
    """Handoffs per incident: changes of team, and bounces back to the contact centre.

    A *handoff* is a change of team between consecutive stretches; a *bounce back* is a
    handoff from a resolver team to the contact-centre team.

    Returns
    -------
    DataFrame
        One row: ``incidents``, ``with_handoff``, ``with_bounce_back``, ``handoffs``,
        ``bounces_back``, ``handoffs_per_incident``.
    """
    same_incident = periods[c.INCIDENT_ID].eq(periods[c.INCIDENT_ID].shift())
    previous = periods[c.TEAM].shift()
    handoff = (same_incident & periods[c.TEAM].ne(previous)).to_numpy()
    bounce = handoff & periods[c.TEAM].eq(contact_centre_team).to_numpy()
    per = pd.DataFrame({c.INCIDENT_ID: periods[c.INCIDENT_ID].to_numpy(),
                        "handoff": handoff, "bounce": bounce}).groupby(c.INCIDENT_ID).sum()
    incidents = len(per)
    return pd.DataFrame([{
        "incidents": incidents,
        "with_handoff": int((per["handoff"] > 0).sum()),
        "with_bounce_back": int((per["bounce"] > 0).sum()),
        "handoffs": int(per["handoff"].sum()),
        "bounces_back": int(per["bounce"].sum()),
        "handoffs_per_incident": float(per["handoff"].mean()) if incidents else np.nan,
    }])
