"""Charts of a major incident: its command timeline, its contact surge, and the agents the
surge needed against the agents there were."""

from __future__ import annotations

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ccreview.config.major_settings import MajorSettings
from ccreview.data import columns as c
from ccreview.data.schema import COMMAND_LEVELS
from ccreview.report.plots import PALETTE

__all__ = ["plot_command_timeline", "plot_staffing", "plot_surge"]

#: incident states, grouped for colour: working, waiting, resolved
_STATE_COLOURS = {
    "new": "0.75",
    "assigned": PALETTE[0],
    "in_progress": PALETTE[0],
    "reopened": PALETTE[3],
    "awaiting_customer": PALETTE[1],
    "awaiting_vendor": PALETTE[1],
    "resolved": PALETTE[2],
    "closed": PALETTE[2],
    "cancelled": "0.6",
}
_LEVEL_COLOURS = {"bronze": "#a97142", "silver": "#8c8c8c", "gold": "#c9a227"}


def _local(times, tz) -> pd.Series:
    """Timestamps as naive local wall time (Matplotlib draws naive times as they are)."""
    return pd.Series(pd.to_datetime(times)).dt.tz_convert(tz).dt.tz_localize(None)


def _intervals(starts: pd.Series, tz) -> tuple[pd.Series, pd.Timedelta, pd.Series]:
    """Interval starts as local time, the interval's length, and the intervals' middles."""
    at = _local(starts, tz)
    width = (at.iloc[1] - at.iloc[0]) if len(at) > 1 else pd.Timedelta(minutes=15)
    return at, width, at + width / 2


def _mark_declaration(ax: plt.Axes, record: pd.Series, tz) -> None:
    declared = _local([record[c.DECLARED_AT]], tz)[0]
    ax.axvline(declared, color="0.15", lw=1.2)
    if pd.notna(record.get(c.STOOD_DOWN_AT)):
        ax.axvline(_local([record[c.STOOD_DOWN_AT]], tz)[0], color="0.15", lw=1.2, ls="--")


def _time_axis(ax: plt.Axes) -> None:
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M\n%a %d %b"))
    ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=5, maxticks=10))


def plot_command_timeline(
    timeline: pd.DataFrame,
    record: pd.Series,
    *,
    settings: MajorSettings,
    until: pd.Timestamp,
    ax: plt.Axes | None = None,
) -> plt.Axes:
    """Swimlanes: each command level from activation to stand-down, and the linked incident's
    state (colour) and team (labels at each handoff), from its first sign to ``until``."""
    ax = ax if ax is not None else plt.subplots(figsize=(10, 3.4))[1]
    tz = record[c.DECLARED_AT].tz
    end = _local([until], tz)[0]
    command = timeline[(timeline["lane"] == "command") & timeline["level"].notna()]
    lanes = [lvl for lvl in COMMAND_LEVELS[::-1] if lvl in set(command["level"])]
    said = timeline[timeline["lane"] == "communication"]
    labels = [settings.level_name(lvl) for lvl in lanes] + ["Incident"]
    labels += ["Communications"] if len(said) else []
    stood = record.get(c.STOOD_DOWN_AT)
    stop = _local([stood], tz)[0] if pd.notna(stood) else end
    for y, level in enumerate(lanes):
        start = _local(command.loc[command["level"] == level, c.AT], tz).iloc[0]
        ax.barh(y, stop - start, left=start, height=0.55, color=_LEVEL_COLOURS[level])
    incident = timeline[timeline["lane"] == "incident"]
    y = len(lanes)
    if len(incident):
        at = _local(incident[c.AT], tz).reset_index(drop=True)
        ends = pd.concat([at.iloc[1:], pd.Series([end])], ignore_index=True).clip(upper=end)
        for start, finish, state in zip(at, ends, incident[c.STATE], strict=True):  # a few dozen events
            if start < end:
                ax.barh(y, finish - start, left=start, height=0.55, color=_STATE_COLOURS.get(state, "0.5"))
        moved = incident["what"].str.startswith("Handed to").to_numpy()
        for i, (when, team) in enumerate(zip(at[moved], incident["by"][moved], strict=True)):
            if when < end:  # team names above the lane, staggered so neighbours do not collide
                ax.annotate(
                    str(team),
                    (when, y - 0.3),
                    xytext=(2, 2 + 11 * (i % 2)),
                    textcoords="offset points",
                    fontsize=8,
                    ha="left",
                    va="bottom",
                )
                ax.plot([when], [y - 0.3], marker="v", color="0.1", ms=6)
    if len(said):
        when = _local(said[c.AT], tz)
        shown = (when < end).to_numpy()
        ax.plot(when[shown], np.full(int(shown.sum()), len(lanes) + 1), ls="none", marker="o", ms=7,
                color=PALETTE[4], markeredgecolor="white")
    _mark_declaration(ax, record, tz)
    ax.set_yticks(range(len(labels)), labels)
    ax.set_ylim(len(labels) - 0.4, -0.6)
    first = min(_local(timeline[c.AT], tz).min(), _local([record[c.DECLARED_AT]], tz)[0])
    ax.set_xlim(first - pd.Timedelta(minutes=15), end)
    _time_axis(ax)
    handles = [
        plt.Rectangle((0, 0), 1, 1, color=col)
        for col in (
            _STATE_COLOURS["in_progress"],
            _STATE_COLOURS["awaiting_customer"],
            _STATE_COLOURS["resolved"],
        )
    ]
    handles += [plt.Line2D([], [], color="0.15"), plt.Line2D([], [], color="0.15", ls="--")]
    ax.legend(
        handles,
        ["being worked", "waiting", "resolved", "declared", "stood down"],
        loc="upper center",
        bbox_to_anchor=(0.5, -0.28),
        ncol=5,
    )
    ax.set_title("Command levels activated and the incident's progress")
    ax.grid(axis="y", visible=False)
    return ax


def plot_surge(
    slots: pd.DataFrame, record: pd.Series, *, interval: str, ax: plt.Axes | None = None
) -> plt.Axes:
    """Contacts per interval (bars, the surge window darker) against the usual level for that
    weekday and time (line) with its 95% band."""
    ax = ax if ax is not None else plt.subplots(figsize=(10, 3.4))[1]
    tz = record[c.DECLARED_AT].tz
    at, width, middle = _intervals(slots["slot_start"], tz)
    inside = slots["in_window"].to_numpy()
    if slots["expected"].notna().any():
        ax.fill_between(
            middle,
            slots["band_low"],
            slots["band_high"],
            color=PALETTE[0],
            alpha=0.15,
            step="mid",
            label="usual range (95%)",
            zorder=1,
        )
    ax.bar(
        at[~inside],
        slots["observed"][~inside],
        width=width * 0.9,
        align="edge",
        color="0.7",
        label="contacts",
        zorder=2,
    )
    ax.bar(
        at[inside],
        slots["observed"][inside],
        width=width * 0.9,
        align="edge",
        color=PALETTE[3],
        label="contacts in the surge window",
        zorder=2,
    )
    if slots["expected"].notna().any():
        ax.step(
            middle,
            slots["expected"],
            where="mid",
            color=PALETTE[0],
            lw=1.8,
            label="usual for the time",
            zorder=3,
        )
    _mark_declaration(ax, record, tz)
    _time_axis(ax)
    ax.set(ylabel=f"Contacts per {interval}", title="Contacts on the affected queues against the usual level")
    ax.legend(loc="upper right")
    return ax


def plot_staffing(staffing: pd.DataFrame, record: pd.Series, *, ax: plt.Axes | None = None) -> plt.Axes:
    """Agents needed per interval to hold the service-level target (Erlang C and A) at the
    surge's arrivals and at the usual ones, against the agents there were."""
    ax = ax if ax is not None else plt.subplots(figsize=(10, 3.2))[1]
    tz = record[c.DECLARED_AT].tz
    at, width, middle = _intervals(staffing["slot_start"], tz)
    source = str(staffing["agents_source"].iloc[0]) if len(staffing) else ""
    ax.bar(at, staffing["agents"], width=width * 0.9, align="edge", color="0.8", label=f"agents {source}")
    ax.step(
        middle,
        staffing["needed_erlang_c"],
        where="mid",
        color=PALETTE[3],
        lw=1.8,
        label="needed for the surge (Erlang C)",
    )
    if staffing["needed_erlang_a"].notna().any():
        ax.step(
            middle,
            pd.to_numeric(staffing["needed_erlang_a"]),
            where="mid",
            color=PALETTE[3],
            lw=1.4,
            ls="--",
            label="needed for the surge (Erlang A)",
        )
    ax.step(
        middle,
        staffing["usual_needed_erlang_c"],
        where="mid",
        color=PALETTE[0],
        lw=1.4,
        label="needed at the usual level (Erlang C)",
    )
    _mark_declaration(ax, record, tz)
    _time_axis(ax)
    ax.set(ylabel="Agents", title="Agents needed to hold the service-level target")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.3), ncol=2)
    return ax
