"""The boundary between the contact centre and the resolver teams: how long each team
holds incidents, and how often incidents are handed over or bounced back.

From ``incident_events``: an incident is in a team's hands from an event naming that
team until its next event (the last one runs to resolution, or to the end of the
period if unresolved). Events without a team keep the previous team. *Who held the
clock at breach* is the team whose stretch contains the moment a breached target fell
due (opened_at plus the target on its calendar, pauses added).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ccreview.clocks.pauses import positions
from ccreview.data import columns as c

__all__ = ["NO_TEAM", "breach_owners", "breach_summary", "handoff_summary",
           "holding_periods", "team_time"]

#: shown as the owner of a breach no team's stretch covers
NO_TEAM = "(no team recorded)"


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


def breach_owners(
    outcomes: pd.DataFrame,
    incidents: pd.DataFrame,
    events: pd.DataFrame,
    *,
    as_of: pd.Timestamp,
) -> pd.DataFrame:
    """Who held the clock at breach: for each breached target, the team holding the
    incident at the moment the target passed.

    Parameters
    ----------
    outcomes : DataFrame
        From :func:`ccreview.incidents.targets.target_outcomes` (restricted to the period):
        its ``due_at`` is when each breached target's time ran out, on its calendar and with
        its pauses.
    incidents, events : DataFrame
        Canonical incidents and incident events.
    as_of : Timestamp
        End of the period (as for the outcomes).

    Returns
    -------
    DataFrame
        ``incident_id``, ``priority``, ``target``, ``due_at`` and ``team`` (the team whose
        stretch of :func:`holding_periods` contains ``due_at``; ``(no team recorded)`` when
        none does, e.g. an incident without events).
    """
    breached = outcomes[outcomes["outcome"].eq("breached").to_numpy()].reset_index(drop=True)
    due = breached["due_at"]
    pos = positions(breached[c.INCIDENT_ID], incidents[c.INCIDENT_ID])
    held = np.unique(pos[pos >= 0])
    periods = holding_periods(events, incidents.iloc[held], as_of=as_of)
    out = pd.DataFrame({c.INCIDENT_ID: breached[c.INCIDENT_ID].array,
                        c.PRIORITY: breached[c.PRIORITY].to_numpy(),
                        "target": breached["target"].to_numpy(), "due_at": due.array})
    left = out.assign(_row=np.arange(len(out)), _key=positions(out[c.INCIDENT_ID],
                                                                incidents[c.INCIDENT_ID]))
    right = periods.assign(_key=positions(periods[c.INCIDENT_ID], incidents[c.INCIDENT_ID]))
    left = left[left["due_at"].notna().to_numpy()].sort_values("due_at", kind="stable")
    right = right.sort_values("start", kind="stable")
    found = pd.merge_asof(left[["_row", "_key", "due_at"]], right[["_key", "start", "end", c.TEAM]],
                          left_on="due_at", right_on="start", by="_key")
    inside = (found["due_at"] < found["end"]).to_numpy(dtype=bool, na_value=False)
    team = np.full(len(out), NO_TEAM, dtype=object)
    team[found["_row"].to_numpy()[inside]] = found[c.TEAM].to_numpy(dtype=object)[inside]
    return out.assign(**{c.TEAM: team})


def breach_summary(owners: pd.DataFrame) -> pd.DataFrame:
    """Breaches per team and target from :func:`breach_owners`: ``target``, ``team``,
    ``breaches`` and ``share`` (of the target's breaches); most breaches first."""
    table = owners.groupby(["target", c.TEAM], sort=False).size().rename("breaches").reset_index()
    table["share"] = table["breaches"] / table.groupby("target")["breaches"].transform("sum")
    return table.sort_values(["target", "breaches"], ascending=[True, False],
                             kind="stable").reset_index(drop=True)
