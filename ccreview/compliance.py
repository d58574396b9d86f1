"""Response and resolution compliance against the agreed targets per priority.

Definitions (metric-definitions.md section 1.8), chosen and stated in every report:

* A target is measured from ``opened_at`` to ``first_response_at`` (response)
  or to ``resolved_at`` (resolution), on the calendar the criteria name for the
  incident's recorded priority.
* It is attributed to the period in which it *completed*. A target still
  running at the end of the period counts as breached in that period once its
  time has already run out; one still within its time is not yet judged.
* Cancelled incidents are left out. Time spent in the pause states of
  ``criteria.yaml`` (from ``incident_events``) is taken off the clocks.
* Compliance = met / (met + breached), with a 95% Wilson interval.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ccreview import columns as c
from ccreview.calendar import elapsed_seconds
from ccreview.config import Criteria
from ccreview.stats import wilson_interval

__all__ = ["TARGETS", "compliance_rates", "in_period", "least_compliant_segments",
           "pause_intervals", "paused_seconds", "target_outcomes"]

RESPONSE = "response"
RESOLUTION = "resolution"
#: target name -> column that completes it
TARGETS = {RESPONSE: c.FIRST_RESPONSE_AT, RESOLUTION: c.RESOLVED_AT}
MET, BREACHED, RUNNING, NO_TARGET = "met", "breached", "running", "no_target"


def pause_intervals(events: pd.DataFrame | None, *, criteria: Criteria) -> pd.DataFrame:
    """Every pause: ``incident_id``, ``at`` (start) and ``until`` (the incident's next
    event, missing when the pause is its last event), for the pause states of ``criteria``."""
    columns = [c.INCIDENT_ID, c.AT, "until"]
    if events is None or not len(events) or not criteria.pause_states:
        return pd.DataFrame(columns=columns)
    ev = events[[c.INCIDENT_ID, c.AT, c.STATE]].sort_values([c.INCIDENT_ID, c.AT], kind="stable")
    following = ev.groupby(c.INCIDENT_ID, sort=False)[c.AT].shift(-1)
    return ev.assign(until=following)[ev[c.STATE].isin(criteria.pause_states).to_numpy()][columns]


def paused_seconds(
    incidents: pd.DataFrame,
    stop: pd.Series,
    calendar_names: np.ndarray,
    events: pd.DataFrame | None,
    *,
    criteria: Criteria,
    pauses: pd.DataFrame | None = None,
) -> np.ndarray:
    """Seconds each incident spent in a pause state between opening and ``stop``.

    A pause runs from an event whose state is one of ``criteria.pause_states`` to the
    incident's next event (or to ``stop`` if there is none), clipped to
    ``[opened_at, stop]`` and counted on the incident's calendar. ``pauses`` (from
    :func:`pause_intervals`) saves finding them again when called once per target.

    Returns
    -------
    ndarray of float
        One value per row of ``incidents`` (0 where there was no pause).
    """
    total = np.zeros(len(incidents))
    if pauses is None:
        pauses = pause_intervals(events, criteria=criteria)
    if not len(pauses):
        return total
    pos = pd.Index(incidents[c.INCIDENT_ID]).get_indexer(pauses[c.INCIDENT_ID])
    pauses, pos = pauses[pos >= 0], pos[pos >= 0]
    opened = pd.Series(incidents[c.OPENED_AT].array[pos])
    limit = pd.Series(stop.array[pos])
    begin = pd.Series(pauses[c.AT].array)
    begin = begin.where(begin > opened, opened)
    until = pd.Series(pauses["until"].array).fillna(limit)
    until = until.where(until < limit, limit)
    real = (until > begin).to_numpy()
    for name, calendar in criteria.calendars.items():
        rows = real & (calendar_names[pos] == name)
        if rows.any():
            seconds = elapsed_seconds(begin[rows], until[rows], calendar=calendar,
                                      timezone=criteria.timezone).to_numpy()
            total += np.bincount(pos[rows], weights=seconds, minlength=len(incidents))
    return total


def target_outcomes(
    incidents: pd.DataFrame,
    *,
    criteria: Criteria,
    as_of: pd.Timestamp,
    events: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per incident and target with the measured time and the outcome.

    Parameters
    ----------
    incidents : DataFrame
        Canonical incidents.
    criteria : Criteria
        Targets and calendars per priority.
    as_of : Timestamp
        When the data is judged (normally the end of the review period);
        targets not completed by then are ``running`` or ``breached``.
    events : DataFrame, optional
        Canonical incident events; time in ``criteria.pause_states`` is taken off
        the clocks. Without events no time is paused.

    Returns
    -------
    DataFrame
        ``incident_id``, ``priority``, ``target``, ``calendar``, ``target_h``,
        ``paused_h``, ``elapsed_h`` (clock time less paused time), ``completed_at``,
        ``outcome`` (met, breached, running, no_target), ``judged_at``
        (completion, or ``as_of`` for breaches still running) and ``open_at_end``
        (not completed by ``as_of``). Cancelled incidents are left out.
    """
    targets = criteria.target_hours.set_index("priority")
    if c.STATUS in incidents:  # cancelled incidents have no targets to meet (reference 1.8 iii)
        incidents = incidents[incidents[c.STATUS].ne("cancelled").fillna(True).to_numpy()]
    pauses = pause_intervals(events, criteria=criteria)
    frames = []
    for target, done_col in TARGETS.items():
        frame = pd.DataFrame(
            {
                c.INCIDENT_ID: incidents[c.INCIDENT_ID].to_numpy(),
                c.PRIORITY: incidents[c.PRIORITY].to_numpy(),
                "target": target,
                "calendar": incidents[c.PRIORITY].map(targets["calendar"]).to_numpy(),
                "target_h": incidents[c.PRIORITY]
                .map(targets[target])
                .to_numpy(dtype=float, na_value=np.nan),
            }
        )
        done = incidents[done_col]
        completed = done.where(done <= as_of)
        stop = completed.fillna(as_of)
        elapsed = pd.Series(np.nan, index=incidents.index)
        for name, calendar in criteria.calendars.items():
            rows = (frame["calendar"] == name).to_numpy()
            if rows.any():
                elapsed[rows] = elapsed_seconds(
                    incidents.loc[rows, c.OPENED_AT], stop[rows],
                    calendar=calendar, timezone=criteria.timezone,
                ).to_numpy()
        paused = paused_seconds(incidents, stop, frame["calendar"].to_numpy(), events,
                                criteria=criteria, pauses=pauses)
        frame["paused_h"] = paused / 3600
        frame["elapsed_h"] = (elapsed.to_numpy() - paused) / 3600
        frame["completed_at"] = completed.array  # positional, stays timezone-aware
        within = (frame["elapsed_h"] <= frame["target_h"]).to_numpy()
        no_target = frame["target_h"].isna().to_numpy()
        is_done = completed.notna().to_numpy()
        frame["outcome"] = np.select(
            [no_target, is_done & within, is_done & ~within, ~within],
            [NO_TARGET, MET, BREACHED, BREACHED],
            default=RUNNING,
        )
        # breaches still running are judged at the period end
        judged = completed.copy()
        judged[(~is_done & ~within & ~no_target)] = as_of
        frame["judged_at"] = judged.array
        frame["open_at_end"] = ~is_done
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def in_period(outcomes: pd.DataFrame, *, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Outcomes judged in ``[start, end)``, plus breaches still open at ``end``.

    ``outcomes`` must have been computed with ``as_of=end``.
    """
    judged = outcomes["judged_at"]
    completed_inside = (judged >= start) & (judged < end) & ~outcomes["open_at_end"]
    open_breach = outcomes["open_at_end"] & outcomes["outcome"].eq(BREACHED)
    return outcomes[(completed_inside | open_breach).to_numpy()]


def compliance_rates(
    outcomes: pd.DataFrame, *, by: list[str] | str | None = None, confidence: float = 0.95
) -> pd.DataFrame:
    """Compliance per target (and per ``by`` segments) with Wilson intervals.

    Parameters
    ----------
    outcomes : DataFrame
        From :func:`target_outcomes`, already restricted to the period of interest.
    by : str or list of str, optional
        Extra grouping columns (e.g. ``"priority"``); ``target`` is always used.
    confidence : float
        Interval level.

    Returns
    -------
    DataFrame
        ``target``, the ``by`` columns, ``n`` (judged), ``met``, ``breached``,
        ``rate``, ``ci_low``, ``ci_high``.
    """
    keys = ["target"] + ([by] if isinstance(by, str) else list(by or []))
    judged = outcomes[outcomes["outcome"].isin([MET, BREACHED])]
    counts = (
        judged.assign(met=judged["outcome"].eq(MET), breached=judged["outcome"].eq(BREACHED))
        .groupby(keys, observed=True, dropna=False)[["met", "breached"]]
        .sum()
        .reset_index()
    )
    counts["n"] = counts["met"] + counts["breached"]
    counts["rate"] = counts["met"] / counts["n"]
    counts["ci_low"], counts["ci_high"] = wilson_interval(
        counts["met"].to_numpy(), counts["n"].to_numpy(), confidence=confidence
    )
    order = counts["target"].map({name: i for i, name in enumerate(TARGETS)})
    counts = counts.assign(_order=order).sort_values(["_order", *keys[1:]], kind="stable")
    return counts[keys + ["n", "met", "breached", "rate", "ci_low", "ci_high"]].reset_index(drop=True)


def least_compliant_segments(
    outcomes: pd.DataFrame, incidents: pd.DataFrame, *, by: list[str], top: int = 5
) -> pd.DataFrame:
    """The segments with the most breaches beyond what the overall rate predicts.

    A segment's *excess breaches* are its breaches minus those expected at its target's
    overall breach rate (n x overall rate). Ranking by excess, not by rate, keeps a small
    team with 2 breaches out of 3 (excess about 1.5) below a large team with a real problem
    (say 60 of 200 against an expected 30: excess 30), while the Wilson interval shows how
    sure each rate is.

    Parameters
    ----------
    outcomes : DataFrame
        From :func:`target_outcomes`, restricted to the period.
    incidents : DataFrame
        Canonical incidents, for the segment columns.
    by : list of str
        Incident columns to segment by, each on its own (e.g. team, channel, category).
    top : int
        Segments kept per target.

    Returns
    -------
    DataFrame
        ``target``, ``segment`` (the column), ``value``, ``n``, ``breached``, ``rate``
        (share met), ``ci_low``, ``ci_high``, ``expected_breaches``, ``excess_breaches``
        and ``beyond_chance`` (the whole 95% interval lies below the overall rate).
    """
    judged = outcomes[outcomes["outcome"].isin([MET, BREACHED])]
    attributes = incidents.set_index(c.INCIDENT_ID)
    frames = []
    for column in by:
        value = judged[c.INCIDENT_ID].map(attributes[column]).fillna("(blank)").to_numpy()
        rates = compliance_rates(judged.assign(value=value), by="value")
        overall = compliance_rates(judged).set_index("target")
        breach_rate = rates["target"].map(overall["breached"] / overall["n"])
        rates["expected_breaches"] = rates["n"] * breach_rate
        rates["excess_breaches"] = rates["breached"] - rates["expected_breaches"]
        # the segment's whole interval lies below the overall rate: not chance
        rates["beyond_chance"] = rates["ci_high"] < 1 - breach_rate
        frames.append(rates.assign(segment=column))
    if not frames:
        return pd.DataFrame()
    table = pd.concat(frames, ignore_index=True)
    table = table[table["excess_breaches"] > 0].sort_values("excess_breaches", ascending=False)
    table = table.groupby("target", sort=False).head(top)
    return table[["target", "segment", "value", "n", "breached", "rate", "ci_low", "ci_high",
                  "expected_breaches", "excess_breaches", "beyond_chance"]].reset_index(drop=True)
