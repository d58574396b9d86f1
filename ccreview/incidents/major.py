"""Major incidents: the command levels activated, whether declaration came in time, the
debriefs each level requires and the actions agreed at them.

Pure functions over the validated tables (``major_incidents``, ``debriefs``, ``actions``,
``incidents``, ``incident_events``, ``contacts``), each returning a tidy DataFrame. Times are
timezone-aware; action dates are naive local dates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ccreview.config.major_settings import DebriefRule, MajorSettings
from ccreview.data import columns as c
from ccreview.data.schema import COMMAND_LEVELS
from ccreview.stats.intervals import wilson_interval

__all__ = [
    "ACTION_CLASSES",
    "DEBRIEF_STATUSES",
    "action_status",
    "command_timeline",
    "debrief_status",
    "declaration_timing",
    "follow_through",
    "highest_levels",
    "recurring_causes",
]

_LEVEL_AT = {"bronze": c.BRONZE_AT, "silver": c.SILVER_AT, "gold": c.GOLD_AT}
_LEVEL_BY = {"bronze": c.BRONZE_BY, "silver": c.SILVER_BY, "gold": c.GOLD_BY}
#: a required debrief as of a day: held in time, held late, not held past its due date, or not due yet
DEBRIEF_STATUSES = ("on time", "late", "missing", "not yet due")
#: what became of an action by the end of the period
ACTION_CLASSES = (
    "done on time",
    "done late",
    "done, date not recorded",
    "open, overdue",
    "open, not yet due",
    "open, no due date",
    "cancelled",
)


def highest_levels(majors: pd.DataFrame) -> pd.Series:
    """Each major incident's highest command tier: the higher of ``highest_level`` and the
    tiers with an activation time (a gold activation makes it gold whatever the column says)."""
    rank = pd.Series(-1, index=majors.index)
    for i, level in enumerate(COMMAND_LEVELS):
        if _LEVEL_AT[level] in majors:
            rank = rank.where(majors[_LEVEL_AT[level]].isna(), np.maximum(rank, i))
    if c.HIGHEST_LEVEL in majors:
        stated = majors[c.HIGHEST_LEVEL].map({lvl: i for i, lvl in enumerate(COMMAND_LEVELS)})
        rank = np.maximum(rank, stated.fillna(-1).astype(int))
    names = np.array([pd.NA, *COMMAND_LEVELS], dtype=object)
    return pd.Series(names[np.asarray(rank) + 1], index=majors.index, dtype="string")


def command_timeline(
    majors: pd.DataFrame,
    events: pd.DataFrame | None,
    *,
    settings: MajorSettings,
    communications: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """What happened when, per major incident: declaration, each command level activated (and
    by whom), stand-down, the linked incident's state changes and handoffs between teams, and
    the communications sent (where the data records them).

    Returns
    -------
    DataFrame
        ``major_incident_id``, ``at``, ``lane`` (command, incident, communication), ``what``, ``level``
        (tier or NA), ``by`` (who activated a level, or the team holding the incident),
        ``state``, sorted by incident and time.
    """
    cols = [c.MAJOR_INCIDENT_ID, c.AT, "lane", "what", "level", "by", c.STATE]
    parts = []
    for what, column in (("Declared a major incident", c.DECLARED_AT), ("Stood down", c.STOOD_DOWN_AT)):
        parts.append(
            pd.DataFrame(
                {
                    c.MAJOR_INCIDENT_ID: majors[c.MAJOR_INCIDENT_ID],
                    c.AT: majors[column],
                    "lane": "command",
                    "what": what,
                }
            )
        )
    for level in COMMAND_LEVELS:
        if _LEVEL_AT[level] not in majors:
            continue
        by = majors[_LEVEL_BY[level]] if _LEVEL_BY[level] in majors else pd.NA
        parts.append(
            pd.DataFrame(
                {
                    c.MAJOR_INCIDENT_ID: majors[c.MAJOR_INCIDENT_ID],
                    c.AT: majors[_LEVEL_AT[level]],
                    "lane": "command",
                    "what": f"{settings.level_name(level)} command activated",
                    "level": level,
                    "by": by,
                }
            )
        )
    if communications is not None and len(communications):
        sent = communications[communications[c.MAJOR_INCIDENT_ID].isin(majors[c.MAJOR_INCIDENT_ID])]
        audience = sent[c.AUDIENCE].astype("string").fillna("(audience not recorded)")
        channel = sent[c.CHANNEL].astype("string")  # validated tables hold every column
        parts.append(pd.DataFrame({c.MAJOR_INCIDENT_ID: sent[c.MAJOR_INCIDENT_ID], c.AT: sent[c.SENT_AT],
                                   "lane": "communication",
                                   "what": ("To " + audience + (" by " + channel).fillna("")),
                                   "by": audience}))
    if events is not None and len(events) and c.INCIDENT_ID in majors:
        linked = majors[[c.MAJOR_INCIDENT_ID, c.INCIDENT_ID]].dropna()
        ev = events.merge(linked, on=c.INCIDENT_ID)
        ev = ev.sort_values([c.MAJOR_INCIDENT_ID, c.AT], kind="stable")
        team = ev[c.TEAM].astype("string")
        moved = (
            ev[c.MAJOR_INCIDENT_ID].eq(ev[c.MAJOR_INCIDENT_ID].shift())
            & team.ne(team.shift())
            & team.notna()
            & team.shift().notna()
        )
        what = ("Incident " + ev[c.STATE].str.replace("_", " ")).where(~moved, "Handed to " + team)
        parts.append(
            pd.DataFrame(
                {
                    c.MAJOR_INCIDENT_ID: ev[c.MAJOR_INCIDENT_ID],
                    c.AT: ev[c.AT],
                    "lane": "incident",
                    "what": what,
                    "by": team,
                    c.STATE: ev[c.STATE],
                }
            )
        )
    out = pd.concat(parts, ignore_index=True).reindex(columns=cols)
    out = out[out[c.AT].notna()]
    return out.sort_values([c.MAJOR_INCIDENT_ID, c.AT], kind="stable").reset_index(drop=True)


def declaration_timing(
    majors: pd.DataFrame,
    incidents: pd.DataFrame | None,
    contacts: pd.DataFrame | None,
    *,
    within: pd.Timedelta | None,
) -> pd.DataFrame:
    """How long each major incident took to declare: from the first sign of it (the linked
    incident's opening or the first contact linked to it, whichever came first) to declaration,
    against the agreed time (``within``, from the major-incident rule of criteria.yaml).

    Returns
    -------
    DataFrame
        ``major_incident_id``, ``incident_opened_at``, ``first_contact_at``, ``first_sign_at``,
        ``declared_at``, ``to_declare`` (Timedelta), ``allowed`` (Timedelta or NaT) and
        ``in_time`` (boolean; NA where there is no first sign or no agreed time).
    """
    out = majors[[c.MAJOR_INCIDENT_ID, c.INCIDENT_ID, c.DECLARED_AT]].copy()
    dtype = majors[c.DECLARED_AT].dtype
    opened = _first_time(out[c.INCIDENT_ID], incidents, c.OPENED_AT, dtype)
    first = _first_time(out[c.INCIDENT_ID], contacts, c.ARRIVED_AT, dtype)
    out["incident_opened_at"], out["first_contact_at"] = opened.to_numpy(), first.to_numpy()
    sign = pd.concat([opened, first], axis=1).min(axis=1)
    out["first_sign_at"] = sign.where(sign.isna() | (sign <= out[c.DECLARED_AT]), out[c.DECLARED_AT])
    out["to_declare"] = out[c.DECLARED_AT] - out["first_sign_at"]
    out["allowed"] = pd.Timedelta(within) if within is not None else pd.NaT
    judged = out["to_declare"].notna() & out["allowed"].notna()
    out["in_time"] = pd.array(np.where(judged, out["to_declare"] <= out["allowed"], False), dtype="boolean")
    out.loc[~judged.to_numpy(), "in_time"] = pd.NA
    return out.drop(columns=[c.INCIDENT_ID]).reset_index(drop=True)


def _first_time(keys: pd.Series, table: pd.DataFrame | None, column: str, dtype) -> pd.Series:
    """The earliest ``column`` of ``table``'s rows for each incident id in ``keys`` (NaT where none)."""
    empty = pd.Series(pd.NaT, index=keys.index, dtype=dtype)
    if table is None or not len(table) or c.INCIDENT_ID not in table or keys.isna().all():
        return empty
    mine = table[table[c.INCIDENT_ID].isin(keys.dropna()).to_numpy(dtype=bool)]
    if not len(mine):
        return empty
    earliest = mine.groupby(c.INCIDENT_ID, observed=True)[column].min()
    found = keys.map(earliest)
    return pd.Series(pd.to_datetime(found, utc=True), index=keys.index).dt.tz_convert(dtype.tz).astype(dtype)


def debrief_status(
    majors: pd.DataFrame,
    debriefs: pd.DataFrame | None,
    rules: tuple[DebriefRule, ...],
    *,
    as_of: pd.Timestamp,
) -> pd.DataFrame:
    """Every debrief the rules require of each major incident, as it stood at ``as_of``:
    held on time, held late (by how much), missing (overdue by how much) or not yet due.

    A debrief is held when the debriefs table has one of its kind for the incident with a
    ``held_at`` before ``as_of``; a debrief of a major incident not yet stood down is not due.

    Returns
    -------
    DataFrame
        ``major_incident_id``, ``level``, ``kind``, ``rule`` (its statement), ``due_by``,
        ``debrief_id``, ``held_at``, ``status`` (:data:`DEBRIEF_STATUSES`) and ``late_by``
        (held after due, or still missing after due: a Timedelta, NaT otherwise).
    """
    level = highest_levels(majors)
    rank = level.map({lvl: i for i, lvl in enumerate(COMMAND_LEVELS)}).fillna(-1).astype(int)
    parts = []
    for rule in rules:  # a handful of rules
        need = rank >= COMMAND_LEVELS.index(rule.from_level)
        part = pd.DataFrame(
            {
                c.MAJOR_INCIDENT_ID: majors.loc[need, c.MAJOR_INCIDENT_ID],
                "level": level[need],
                c.KIND: rule.kind,
                "rule": rule.statement or f"{rule.label} within {rule.within}",
                "due_by": majors.loc[need, rule.after] + rule.within,
            }
        )
        parts.append(part)
    cols = [
        c.MAJOR_INCIDENT_ID,
        "level",
        c.KIND,
        "rule",
        "due_by",
        c.DEBRIEF_ID,
        c.HELD_AT,
        "status",
        "late_by",
    ]
    if not parts:
        return pd.DataFrame(columns=cols)
    out = pd.concat(parts, ignore_index=True)
    held = (
        debriefs[debriefs[c.HELD_AT].notna() & (debriefs[c.HELD_AT] < as_of)]
        if debriefs is not None and len(debriefs)
        else None
    )
    if held is not None and len(held):
        first = held.sort_values(c.HELD_AT, kind="stable").drop_duplicates([c.MAJOR_INCIDENT_ID, c.KIND])[
            [c.MAJOR_INCIDENT_ID, c.KIND, c.DEBRIEF_ID, c.HELD_AT]
        ]
        out = out.merge(first, on=[c.MAJOR_INCIDENT_ID, c.KIND], how="left")
    else:
        out[c.DEBRIEF_ID] = pd.NA
        out[c.HELD_AT] = pd.Series(pd.NaT, index=out.index, dtype=out["due_by"].dtype)
    was_held = out[c.HELD_AT].notna()
    due_passed = out["due_by"].notna() & (out["due_by"] < as_of)
    on_time = was_held & (out[c.HELD_AT] <= out["due_by"]).fillna(True)
    out["status"] = np.select([on_time, was_held, due_passed], ["on time", "late", "missing"], "not yet due")
    late = (out[c.HELD_AT] - out["due_by"]).where(out["status"] == "late")
    out["late_by"] = late.where(out["status"] != "missing", as_of - out["due_by"])
    return out[cols].sort_values([c.MAJOR_INCIDENT_ID, "due_by"], kind="stable").reset_index(drop=True)


def action_status(
    actions: pd.DataFrame, *, as_of: pd.Timestamp, debriefs: pd.DataFrame | None = None
) -> pd.DataFrame:
    """What became of each debrief action by ``as_of`` (the end of the period): done on time,
    done late, open past its due date (overdue by how many days), open and not yet due, or
    cancelled. A completion dated after ``as_of`` had not happened yet.

    Returns
    -------
    DataFrame
        The actions' columns with ``outcome`` (:data:`ACTION_CLASSES`), ``days_late`` (done
        late or open past due: whole days after the due date), ``days_open`` (since the
        debrief that agreed it, for open actions), ``no_owner`` and ``no_due_date``.
    """
    day = pd.Timestamp(as_of.tz_localize(None) if as_of.tzinfo else as_of).normalize()
    out = actions.copy()
    due, done = out[c.DUE_ON], out[c.COMPLETED_ON].where(out[c.COMPLETED_ON] < day)
    status = out[c.STATUS].astype("string") if c.STATUS in out else pd.Series(pd.NA, index=out.index)
    cancelled = status.eq("cancelled").fillna(False).to_numpy(dtype=bool)
    undated = (
        status.eq("done").fillna(False).to_numpy(dtype=bool)
        & done.isna().to_numpy()
        & out[c.COMPLETED_ON].isna().to_numpy()
    )
    finished = done.notna().to_numpy()
    late = finished & (done > due).fillna(False).to_numpy(dtype=bool)
    past = (due < day).fillna(False).to_numpy(dtype=bool)
    # the first condition that holds names the outcome (ACTION_CLASSES, in the order judged)
    judged = {"cancelled": cancelled & ~finished, "done on time": finished & ~late, "done late": late,
              "done, date not recorded": undated, "open, overdue": past,
              "open, not yet due": due.notna().to_numpy()}
    out["outcome"] = np.select(list(judged.values()), list(judged), "open, no due date")
    open_late = out["outcome"].eq("open, overdue").to_numpy()
    days = np.where(late, (done - due).dt.days, np.where(open_late, (day - due).dt.days, np.nan))
    out["days_late"] = pd.array(days, dtype="Int64") if len(out) else pd.array([], dtype="Int64")
    agreed = pd.Series(pd.NaT, index=out.index, dtype="datetime64[us]")
    if debriefs is not None and len(debriefs) and c.DEBRIEF_ID in out:
        held = debriefs.set_index(c.DEBRIEF_ID)[c.HELD_AT].dt.tz_localize(None).dt.normalize()
        agreed = out[c.DEBRIEF_ID].map(held)
    is_open = out["outcome"].str.startswith("open").to_numpy()
    out["days_open"] = pd.array(
        np.where(is_open, (day - pd.to_datetime(agreed)).dt.days, np.nan), dtype="Int64"
    )
    out["no_owner"] = out[c.OWNER].isna().to_numpy() if c.OWNER in out else True
    out["no_due_date"] = due.isna().to_numpy()
    return out.reset_index(drop=True)


def follow_through(status: pd.DataFrame, *, by: str | None = None, freq: str | None = None) -> pd.DataFrame:
    """Follow-through of the actions that fell due (by ``as_of``): done on time, done late,
    still open; the on-time rate with its 95% Wilson interval, per ``by`` or per due month.

    Returns
    -------
    DataFrame
        ``by`` (or ``period_start``), ``due``, ``done_on_time``, ``done_late``, ``open_overdue``,
        ``rate``, ``rate_low``, ``rate_high``.
    """
    fell_due = status[status["outcome"].isin(["done on time", "done late", "open, overdue"])].copy()
    key = by or c.PERIOD_START
    if freq:
        fell_due[key] = fell_due[c.DUE_ON].dt.to_period(freq).dt.start_time
    elif by is None:
        fell_due[key] = "all"
    else:
        fell_due[key] = fell_due[by].astype("string").fillna("(no owner)")
    counts = pd.crosstab(fell_due[key], fell_due["outcome"]).reindex(
        columns=["done on time", "done late", "open, overdue"], fill_value=0
    )
    counts.columns = ["done_on_time", "done_late", "open_overdue"]
    counts.insert(0, "due", counts.sum(axis=1))
    low, high = wilson_interval(counts["done_on_time"].to_numpy(), counts["due"].to_numpy())
    counts["rate"] = counts["done_on_time"] / counts["due"]
    counts["rate_low"], counts["rate_high"] = low, high
    out = counts.reset_index().rename_axis(columns=None)
    return out.sort_values(
        key if freq else ["rate", "due"], ascending=bool(freq) or [True, False], kind="stable"
    ).reset_index(drop=True)


def recurring_causes(majors: pd.DataFrame, incidents: pd.DataFrame | None) -> pd.DataFrame:
    """Causes that come back across major incidents: the ``cause`` column where recorded,
    else the linked incident's category.

    Returns
    -------
    DataFrame
        ``cause``, ``source`` (which column), ``major_incidents`` (count), ``ids``; most
        frequent first.
    """
    cause = majors[c.CAUSE] if c.CAUSE in majors else pd.Series(pd.NA, index=majors.index, dtype="string")
    source = pd.Series(np.where(cause.notna(), "recorded cause", "incident category"), index=majors.index)
    if incidents is not None and len(incidents) and c.CATEGORY in incidents:
        category = majors[c.INCIDENT_ID].map(
            incidents.drop_duplicates(c.INCIDENT_ID).set_index(c.INCIDENT_ID)[c.CATEGORY]
        )
        cause = cause.fillna(category)
    frame = pd.DataFrame(
        {
            "cause": cause.astype("string").str.strip().str.lower(),
            "source": source,
            c.MAJOR_INCIDENT_ID: majors[c.MAJOR_INCIDENT_ID],
        }
    ).dropna(subset=["cause"])
    out = (
        frame.groupby(["cause", "source"], observed=True)[c.MAJOR_INCIDENT_ID]
        .agg(major_incidents="size", ids=lambda s: ", ".join(sorted(s)))
        .reset_index()
    )
    return out.sort_values(["major_incidents", "cause"], ascending=[False, True], kind="stable").reset_index(
        drop=True
    )
