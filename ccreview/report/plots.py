"""Charts for the reports: seaborn on Matplotlib, colour-blind-safe palette.

Every function takes ``ax=None``, draws, and returns the Axes; none shows or
saves a figure.
"""

from __future__ import annotations

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import pandas as pd
import seaborn as sns

from ccreview.data import columns as c
from ccreview.report.formatting import priority_label

__all__ = [
    "PALETTE",
    "mark_axis_origin",
    "plot_compliance",
    "plot_resolution_distribution",
    "plot_resolution_trend",
    "plot_weekly_counts",
    "use_style",
]

#: Okabe-Ito-derived palette, distinguishable with the common colour-vision deficiencies
PALETTE = sns.color_palette("colorblind")


def use_style() -> None:
    """Apply the report style (white grid, readable fonts, colour-blind palette)."""
    sns.set_theme(style="whitegrid", palette=PALETTE, rc={
        "figure.figsize": (9, 3.6), "axes.titlesize": 12, "axes.titleweight": "bold",
        "axes.labelsize": 10, "legend.fontsize": 9, "legend.frameon": False,
    })


def _axes(ax: plt.Axes | None) -> plt.Axes:
    return ax if ax is not None else plt.subplots()[1]


def plot_weekly_counts(
    counts: pd.DataFrame, *, hue: str | None = None, title: str, ylabel: str,
    ax: plt.Axes | None = None,
) -> plt.Axes:
    """Line chart of ``n`` per ``period_start`` (week), optionally one line per ``hue``."""
    ax = _axes(ax)
    sns.lineplot(data=counts, x=c.PERIOD_START, y="n", hue=hue, marker="o", markersize=3, ax=ax)
    ax.set(title=title, xlabel="Week starting", ylabel=ylabel)
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_locator(mticker.MaxNLocator(integer=True))
    ax.yaxis.set_major_formatter(mticker.StrMethodFormatter("{x:,.0f}"))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))
    if hue:
        ax.legend(title=hue.replace("_", " ").capitalize(), loc="upper left",
                  bbox_to_anchor=(1, 1))
    return ax


#: rates from fewer cases than this get their counts written on the bar
SMALL_SAMPLE = 30


def plot_compliance(rates: pd.DataFrame, *, ax: plt.Axes | None = None) -> plt.Axes:
    """Compliance rate per priority and target with 95% interval bars.

    Each priority has one slot on the x axis, so a target with no data for a
    priority leaves a gap instead of shifting its bars.
    """
    ax = _axes(ax)
    targets = list(dict.fromkeys(rates["target"]))
    priorities = sorted(rates[c.PRIORITY].dropna().unique())
    slot = {p: i for i, p in enumerate(priorities)}
    width = 0.8 / max(len(targets), 1)
    for i, (target, colour) in enumerate(zip(targets, PALETTE, strict=False)):
        part = rates[rates["target"] == target]
        x = part[c.PRIORITY].map(slot).to_numpy(dtype=float) + (i - (len(targets) - 1) / 2) * width
        ax.bar(x, part["rate"], width=width * 0.9, color=colour, label=target.capitalize())
        ax.errorbar(x, part["rate"], yerr=[part["rate"] - part["ci_low"],
                                           part["ci_high"] - part["rate"]],
                    fmt="none", ecolor="black", elinewidth=1, capsize=3)
        # a few cases: say how many ("1 of 1"), so a full bar is not read as a sure 100%
        if "met" in part and "n" in part:
            for xi, met, n in zip(x, part["met"], part["n"], strict=True):
                if 0 < n < SMALL_SAMPLE:
                    ax.annotate(f"{int(met)} of {int(n)}", (xi, 0.02), ha="center", va="bottom",
                                fontsize=8, color="white" if met / n > 0.1 else "black")
    ax.set_xticks(range(len(priorities)), [priority_label(p) for p in priorities])
    ax.set(title="Targets met, by priority (bars: 95% interval)", xlabel="Priority",
           ylabel="Share met", ylim=(0, 1.05))
    ax.yaxis.set_major_formatter(mticker.PercentFormatter(1.0))
    ax.legend(loc="upper left", bbox_to_anchor=(1, 1))
    return ax


def plot_resolution_trend(trend: pd.DataFrame, *, ax: plt.Axes | None = None) -> plt.Axes:
    """Weekly median and 90th percentile time to resolve (hours)."""
    ax = _axes(ax)
    ax.plot(trend[c.PERIOD_START], trend["median_h"], marker="o", markersize=3,
            color=PALETTE[0], label="Median")
    ax.plot(trend[c.PERIOD_START], trend["p90_h"], marker="s", markersize=3,
            color=PALETTE[3], label="90th percentile")
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_locator(mticker.MaxNLocator(integer=True))
    ax.yaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _: f"{v:,.0f} h"))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))
    ax.set(title="Time to resolve, incidents resolved each week", xlabel="Week resolved",
           ylabel="Hours (calendar clock)")
    ax.legend(loc="upper left", bbox_to_anchor=(1, 1))
    return ax


def plot_resolution_distribution(
    hours: pd.DataFrame, *, targets: pd.Series | None = None, ax: plt.Axes | None = None
) -> plt.Axes:
    """Box plot of time to resolve (hours, log scale) per priority, with targets marked.

    Parameters
    ----------
    hours : DataFrame
        ``priority`` and ``hours`` columns, one row per resolved incident.
    targets : Series, optional
        Resolution target in hours, indexed by priority; drawn as a tick per box.
    """
    ax = _axes(ax)
    order = sorted(hours[c.PRIORITY].dropna().unique())
    data = hours.assign(label=hours[c.PRIORITY].map(priority_label))
    labels = [priority_label(p) for p in order]
    sns.boxplot(data=data, x="label", y="hours", order=labels, ax=ax, color=PALETTE[0],
                showfliers=False, width=0.5)
    if targets is not None:
        for i, priority in enumerate(order):
            if priority in targets.index:
                ax.plot([i - 0.35, i + 0.35], [targets[priority]] * 2, color=PALETTE[3], lw=2,
                        label="Resolution target" if i == 0 else None)
        ax.legend(loc="upper left", bbox_to_anchor=(1, 1))
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(mticker.FixedLocator([0.25, 1, 4, 8, 24, 72, 168, 720]))
    ax.yaxis.set_major_formatter(mticker.FixedFormatter(
        ["15 min", "1 h", "4 h", "8 h", "1 day", "3 days", "1 week", "30 days"]))
    ax.yaxis.set_minor_formatter(mticker.NullFormatter())
    ax.set(title="Time to resolve by priority (box: middle half; whiskers: the rest, "
                 "outliers not drawn)", xlabel="Priority", ylabel="Calendar time (log scale)")
    ax.title.set_size(10)
    return ax


def mark_axis_origin(ax: plt.Axes) -> None:
    """Say on the y axis when it does not start at zero, so a small move is not read as a big one."""
    low, high = ax.get_ylim()
    if low > 0 and high > 0:
        label = ax.get_ylabel()
        ax.set_ylabel(f"{label} (axis not from 0)" if label else "axis not from 0")
