"""Pause clocks: time incidents spend in the pause states of criteria.yaml, from their events."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ccreview.clocks.business_hours import NAT, elapsed_seconds, from_micros, to_micros
from ccreview.config.criteria import Criteria
from ccreview.data import columns as c

__all__ = [
    "order_events",
    "pause_intervals",
    "paused_seconds",
    "positions",
]


def positions(values: pd.Series, keys: pd.Series) -> np.ndarray:
    """Position of each of ``values`` among the unique ``keys`` (-1 where absent).

    A hash look-up in Arrow: ``Index.get_indexer`` on Arrow strings converts them to
    Python objects first (seconds on millions of events).
    """
    try:
        found = pc.index_in(pa.array(pd.Series(values).array),
                            value_set=pa.array(pd.Series(keys).array))
        return pc.fill_null(found, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return pd.Index(keys).get_indexer(values)


def order_events(events: pd.DataFrame, incidents: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The events of known incidents in incident and time order.

    Returns
    -------
    pos, rows : ndarray of int
        For each event in order, its incident's position in ``incidents`` and its
        row number in ``events``. Events of unknown incidents are left out.
    """
    pos = positions(events[c.INCIDENT_ID], incidents[c.INCIDENT_ID])
    at = to_micros(events[c.AT])
    steps = np.diff(pos)
    if len(pos) and (steps >= 0).all() and (np.diff(at)[steps == 0] >= 0).all():
        rows = np.flatnonzero(pos >= 0)  # already in order: nothing to sort
    else:
        rows = np.lexsort((at, pos))
        rows = rows[pos[rows] >= 0]
    return pos[rows], rows


def _pauses(events: pd.DataFrame, pos: np.ndarray, rows: np.ndarray,
            criteria: Criteria) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pause stretches from ordered events: incident position, start and end (int64 us;
    the end is the incident's next event, :data:`NAT` when the pause is its last)."""
    at = to_micros(events[c.AT])[rows]
    paused = events[c.STATE].isin(list(criteria.pause_states)).to_numpy(
        dtype=bool, na_value=False)[rows]
    following = np.full(len(rows), NAT)
    same = pos[1:] == pos[:-1]
    following[:-1] = np.where(same, at[1:], NAT)
    return pos[paused], at[paused], following[paused]


def pause_intervals(events: pd.DataFrame | None, *, criteria: Criteria) -> pd.DataFrame:
    """Every pause: ``incident_id``, ``at`` (start) and ``until`` (the incident's next
    event, missing when the pause is its last event), for the pause states of ``criteria``."""
    columns = [c.INCIDENT_ID, c.AT, "until"]
    if events is None or not len(events) or not criteria.pause_states:
        return pd.DataFrame(columns=columns)
    ids = pd.Series(events[c.INCIDENT_ID].array).drop_duplicates()
    pos, rows = order_events(events, pd.DataFrame({c.INCIDENT_ID: ids.to_numpy()}))
    who, begin, until = _pauses(events, pos, rows, criteria)
    tz = events[c.AT].dt.tz
    return pd.DataFrame({c.INCIDENT_ID: ids.to_numpy()[who],
                         c.AT: from_micros(begin, str(tz)).array,
                         "until": from_micros(until, str(tz)).array})


def _paused(opened: np.ndarray, stop: np.ndarray, calendar_names: np.ndarray,
            pauses: tuple[np.ndarray, np.ndarray, np.ndarray], criteria: Criteria) -> np.ndarray:
    """Clock seconds each incident spent paused between ``opened`` and ``stop`` (int64 us)."""
    total = np.zeros(len(opened))
    pos, begin, until = pauses
    if not len(pos):
        return total
    begin = np.maximum(begin, opened[pos])
    until = np.minimum(np.where(until == NAT, stop[pos], until), stop[pos])
    real = (until > begin) & (opened[pos] != NAT) & (stop[pos] != NAT)
    for name, calendar in criteria.calendars.items():
        rows = real & (calendar_names[pos] == name)
        if not rows.any():
            continue
        if calendar.always_open:
            seconds = (until[rows] - begin[rows]) / 1e6
        else:
            seconds = elapsed_seconds(from_micros(begin[rows], criteria.timezone),
                                      from_micros(until[rows], criteria.timezone),
                                      calendar=calendar, timezone=criteria.timezone).to_numpy()
        total += np.bincount(pos[rows], weights=seconds, minlength=len(opened))
    return total


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
    if pauses is None:
        pauses = pause_intervals(events, criteria=criteria)
    pos = positions(pauses[c.INCIDENT_ID], incidents[c.INCIDENT_ID]) if len(pauses) else \
        np.zeros(0, dtype=np.int64)
    keep = pos >= 0
    found = (pos[keep], to_micros(pauses[c.AT])[keep], to_micros(pauses["until"])[keep]) \
        if len(pauses) else (pos, pos, pos)
    return _paused(to_micros(incidents[c.OPENED_AT]), to_micros(stop),
                   np.asarray(calendar_names), found, criteria)
