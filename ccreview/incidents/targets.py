"""Response and resolution compliance against the agreed targets per priority.

Definitions (metric-definitions.md section 1.8), chosen and stated in every report:

* A target is measured from ``opened_at`` to ``first_response_at`` (response)
  or to ``resolved_at`` (resolution), on the calendar the criteria name for the
  incident's recorded priority.
* It is attributed to the period in which its outcome was *decided*, once: a
  met target when it completed, a breached one at the instant its time ran out
  (its due time, on its calendar, with its pauses). A breach still open at the
  end of a period therefore counts in the period its time ran out, and never
  again when it later completes; a target still within its time is not yet
  judged. A period's figure, once the period has ended, never changes.
* Cancelled incidents are left out. Time spent in the pause states of
  ``criteria.yaml`` (from ``incident_events``) is taken off the clocks.
* Compliance = met / (met + breached), with a 95% Wilson interval.

Events are matched to incidents once (:func:`positions`, an Arrow hash look-up) and put
in incident and time order once (:func:`order_events`); the pauses, the procedure rules
(:mod:`ccreview.incidents.rule_evaluation`) and the per-incident x criterion table
(:mod:`ccreview.incidents.criteria_table`) share that order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm

from ccreview.clocks.business_hours import NAT, add_seconds, elapsed_seconds, from_micros, to_micros
from ccreview.clocks.pauses import _paused, _pauses, order_events, pause_intervals, paused_seconds, positions
from ccreview.config.criteria import Criteria
from ccreview.data import columns as c
from ccreview.stats.comparisons import benjamini_hochberg
from ccreview.stats.intervals import wilson_interval

__all__ = ["TARGETS", "TargetClocks", "target_clocks", "compliance_rates", "in_period",
           "least_compliant_segments",
           "order_events", "pause_intervals", "paused_seconds", "positions", "target_arrays",
           "target_outcomes"]

RESPONSE = "response"
RESOLUTION = "resolution"
#: target name -> column that completes it
TARGETS = {RESPONSE: c.FIRST_RESPONSE_AT, RESOLUTION: c.RESOLVED_AT}
MET, BREACHED, RUNNING, NO_TARGET = "met", "breached", "running", "no_target"
_OUTCOME_NAMES = np.array([MET, BREACHED, RUNNING, NO_TARGET], dtype=object)


def target_arrays(
    incidents: pd.DataFrame,
    *,
    criteria: Criteria,
    as_of: pd.Timestamp,
    pauses: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> dict[str, dict[str, np.ndarray]]:
    """Per target, arrays aligned with ``incidents`` (cancelled ones included): ``calendar``,
    ``target_h``, ``paused_h``, ``elapsed_h``, ``completed`` and ``judged`` (int64 us),
    ``outcome`` (code into met, breached, running, no_target).

    ``pauses`` are (incident position, start, end) arrays as :func:`order_events` gives
    them; without them no time is paused.
    """
    targets = criteria.target_hours.set_index("priority")
    priority = incidents[c.PRIORITY].to_numpy(dtype=float, na_value=np.nan)
    opened = to_micros(incidents[c.OPENED_AT])
    limit = np.int64(pd.Timestamp(as_of).value // 1000)
    known = np.isin(priority, targets.index.to_numpy(dtype=float))
    row = targets.index.get_indexer(np.where(known, priority, -1))
    calendar = np.where(known, targets["calendar"].to_numpy(dtype=object)[row], None)
    if pauses is None:
        pauses = (np.zeros(0, dtype=np.int64),) * 3
    out = {}
    for target, done_col in TARGETS.items():
        hours = np.where(known, targets[target].to_numpy(dtype=float)[row], np.nan)
        done = to_micros(incidents[done_col])
        is_done = (done != NAT) & (done <= limit)
        stop = np.where(is_done, done, limit)
        elapsed = np.full(len(opened), np.nan)
        for name, cal in criteria.calendars.items():
            rows = (calendar == name) & (opened != NAT)
            if not rows.any():
                continue
            if cal.always_open:
                elapsed[rows] = (stop[rows] - opened[rows]) / 1e6
            else:
                elapsed[rows] = elapsed_seconds(
                    from_micros(opened[rows], criteria.timezone),
                    from_micros(stop[rows], criteria.timezone),
                    calendar=cal, timezone=criteria.timezone).to_numpy()
        paused = _paused(opened, stop, calendar, pauses, criteria)
        elapsed_h = (elapsed - paused) / 3600
        within = elapsed_h <= hours
        no_target = np.isnan(hours)
        outcome = np.select([no_target, is_done & within, is_done | ~within], [3, 0, 1], default=2)
        due = _due(opened, hours, calendar, outcome == 1, pauses, criteria)
        # a met target is decided when it completes, a breached one when its time ran out
        decided = np.minimum(np.where(due == NAT, stop, due), stop)
        judged = np.select([outcome == 0, outcome == 1], [done, decided], NAT)
        out[target] = {"calendar": calendar, "target_h": hours, "paused_h": paused / 3600,
                       "elapsed_h": elapsed_h, "completed": np.where(is_done, done, NAT),
                       "due": due, "judged": judged, "outcome": outcome, "open_at_end": ~is_done}
    return out


def _due(opened: np.ndarray, hours: np.ndarray, calendar: np.ndarray, rows: np.ndarray,
         pauses: tuple[np.ndarray, np.ndarray, np.ndarray], criteria: Criteria) -> np.ndarray:
    """When the target of each of ``rows`` ran out (int64 us; NAT elsewhere): ``opened`` plus
    the target on its calendar, with the incident's pauses added."""
    due = np.full(len(opened), NAT, dtype=np.int64)
    pos, begin, until = pauses
    for name, cal in criteria.calendars.items():
        subset = np.flatnonzero(rows & (calendar == name) & (opened != NAT))
        if not len(subset):
            continue
        slot = np.full(len(opened), -1, dtype=np.int64)
        slot[subset] = np.arange(len(subset))
        mine = slot[pos] >= 0 if len(pos) else np.zeros(0, dtype=bool)
        frame = pd.DataFrame({"row": slot[pos[mine]],
                              "start": from_micros(begin[mine], criteria.timezone).array,
                              "end": from_micros(until[mine], criteria.timezone).array})
        found = add_seconds(from_micros(opened[subset], criteria.timezone), hours[subset] * 3600,
                            calendar=cal, timezone=criteria.timezone, pauses=frame)
        due[subset] = to_micros(found)
    return due


@dataclass(frozen=True)
class TargetClocks:
    """Every incident's target clocks, computed once and shared by the outcomes, the
    criterion table and the grading audit: the event order (None without events) and the
    per-target arrays of :func:`target_arrays`, aligned with the incidents."""

    order: tuple[np.ndarray, np.ndarray] | None
    arrays: dict[str, dict[str, np.ndarray]]


def target_clocks(
    incidents: pd.DataFrame,
    *,
    criteria: Criteria,
    as_of: pd.Timestamp,
    events: pd.DataFrame | None = None,
) -> TargetClocks:
    """Order the events, find the pauses and run every target's clock once."""
    order = order_events(events, incidents) if events is not None and len(events) else None
    pauses = (_pauses(events, *order, criteria)
              if order is not None and criteria.pause_states else None)
    return TargetClocks(order, target_arrays(incidents, criteria=criteria, as_of=as_of, pauses=pauses))


def target_outcomes(
    incidents: pd.DataFrame,
    *,
    criteria: Criteria,
    as_of: pd.Timestamp,
    events: pd.DataFrame | None = None,
    clocks: TargetClocks | None = None,
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
    clocks : TargetClocks, optional
        :func:`target_clocks` of the same incidents, criteria and ``as_of``, when already
        computed (the review computes them once).

    Returns
    -------
    DataFrame
        ``incident_id``, ``priority``, ``target``, ``calendar``, ``target_h``,
        ``paused_h``, ``elapsed_h`` (clock time less paused time), ``completed_at``,
        ``due_at`` (when a breached target's time ran out; missing otherwise),
        ``outcome`` (met, breached, running, no_target), ``judged_at`` (when the
        outcome was decided: completion if met, ``due_at`` if breached) and
        ``open_at_end`` (not completed by ``as_of``). Cancelled incidents are left out.
    """
    if clocks is None:
        clocks = target_clocks(incidents, criteria=criteria, as_of=as_of, events=events)
    arrays = clocks.arrays
    # cancelled incidents have no targets to meet (reference 1.8 iii)
    keep = (incidents[c.STATUS].ne("cancelled").to_numpy(dtype=bool, na_value=True)
            if c.STATUS in incidents else np.ones(len(incidents), dtype=bool))
    tz = str(incidents[c.OPENED_AT].dt.tz)
    frames = []
    for target, a in arrays.items():
        frames.append(pd.DataFrame({
            c.INCIDENT_ID: incidents[c.INCIDENT_ID].to_numpy()[keep],
            c.PRIORITY: incidents[c.PRIORITY].to_numpy()[keep],
            "target": target,
            "calendar": a["calendar"][keep],
            "target_h": a["target_h"][keep],
            "paused_h": a["paused_h"][keep],
            "elapsed_h": a["elapsed_h"][keep],
            "completed_at": from_micros(a["completed"][keep], tz).array,
            "due_at": from_micros(a["due"][keep], tz).array,
            "outcome": _OUTCOME_NAMES[a["outcome"][keep]],
            "judged_at": from_micros(a["judged"][keep], tz).array,
            "open_at_end": a["open_at_end"][keep],
        }))
    return pd.concat(frames, ignore_index=True)


def in_period(outcomes: pd.DataFrame, *, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Outcomes decided in ``[start, end)``: targets met by completing in it, and targets
    whose time ran out in it (whether or not they have completed since).

    ``outcomes`` must have been computed with ``as_of`` at or after ``end``.
    """
    judged = outcomes["judged_at"]
    return outcomes[((judged >= start) & (judged < end)).to_numpy(dtype=bool, na_value=False)]


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


def _against_the_rest(rates: pd.DataFrame, overall: pd.DataFrame) -> np.ndarray:
    """Two-sided pooled z-test of each segment's breach share against the rest of its
    target's incidents (the segment is part of the whole, so it is compared with the rest)."""
    total = rates["target"].map(overall["n"]).to_numpy(dtype=float)
    breached = rates["target"].map(overall["breached"]).to_numpy(dtype=float)
    n1, x1 = rates["n"].to_numpy(dtype=float), rates["breached"].to_numpy(dtype=float)
    n2, x2 = total - n1, breached - x1
    with np.errstate(invalid="ignore", divide="ignore"):
        pooled = breached / total
        se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
        z = (x1 / n1 - x2 / n2) / se
    p = 2 * norm.sf(np.abs(z))
    return np.where(np.isfinite(p), p, np.nan)


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
        (share met), ``ci_low``, ``ci_high``, ``expected_breaches``, ``excess_breaches``,
        ``p_value`` (against the rest), ``q_value`` (Benjamini-Hochberg over every segment
        of the target) and ``beyond_chance`` (the whole 95% interval lies below the overall
        rate and q <= 0.05).
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
        rates["p_value"] = _against_the_rest(rates, overall)
        frames.append(rates.assign(segment=column))
    if not frames:
        return pd.DataFrame()
    table = pd.concat(frames, ignore_index=True)
    # every segment of every column is one comparison: a target's family is all of them
    table["q_value"] = np.nan
    for rows in table.groupby("target", sort=False).groups.values():
        table.loc[rows, "q_value"] = benjamini_hochberg(table.loc[rows, "p_value"].to_numpy())[0]
    overall_rate = table["target"].map(compliance_rates(judged).set_index("target")["rate"])
    # beyond chance: the segment's interval lies below the overall rate and, with every
    # segment tested at once, its false discovery rate q is at most 5%
    table["beyond_chance"] = (table["ci_high"] < overall_rate) & (table["q_value"] <= 0.05)
    table = table[table["excess_breaches"] > 0].sort_values("excess_breaches", ascending=False)
    table = table.groupby("target", sort=False).head(top)
    return table[["target", "segment", "value", "n", "breached", "rate", "ci_low", "ci_high",
                  "expected_breaches", "excess_breaches", "p_value", "q_value",
                  "beyond_chance"]].reset_index(drop=True)
