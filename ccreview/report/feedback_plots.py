"""Charts of the feedback review: theme shares by voice, and their change over the weeks."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import PercentFormatter

from ccreview.feedback.tagging import UNCOVERED, VOICES
from ccreview.report.plots import PALETTE

__all__ = ["plot_theme_shares", "plot_theme_weeks"]


def plot_theme_shares(shares: pd.DataFrame, *, ax: plt.Axes | None = None) -> plt.Axes:
    """Horizontal bars: each theme's share of each voice's comments, 95% whiskers."""
    ax = ax if ax is not None else plt.subplots()[1]
    shown = shares[shares["theme"] != UNCOVERED]
    labels = list(dict.fromkeys(shown["label"]))[::-1]
    voices = [v for v in VOICES if v in set(shown["voice"])]
    height = 0.8 / max(len(voices), 1)
    y = np.arange(len(labels))
    for i, voice in enumerate(voices):
        part = shown[shown["voice"] == voice].set_index("label").reindex(labels)
        offset = y + (i - (len(voices) - 1) / 2) * height
        ax.barh(offset, part["share"], height=height, color=PALETTE[i % len(PALETTE)], label=voice)
        err = np.clip(np.vstack([part["share"] - part["ci_low"], part["ci_high"] - part["share"]]), 0, None)
        ax.errorbar(part["share"], offset, xerr=err, fmt="none", ecolor="0.3", capsize=2, lw=0.8)
    ax.set_yticks(y, labels)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set(xlabel="Share of the voice's comments that mention the theme (95% interval)",
           title="What customers, agents and resolver teams write about")
    ax.legend(loc="lower right")
    return ax


def plot_theme_weeks(weekly: pd.DataFrame, *, themes: list[str], labels: dict[str, str],
                     shade: list[pd.Timestamp] | None = None, ax: plt.Axes | None = None) -> plt.Axes:
    """Lines: the weekly share of complaints carrying each of ``themes``; degraded weeks shaded."""
    ax = ax if ax is not None else plt.subplots()[1]
    for i, theme in enumerate(themes):
        part = weekly[weekly["theme"] == theme].sort_values("period_start")
        ax.plot(part["period_start"].dt.tz_localize(None), part["share"], marker="o", ms=3,
                color=PALETTE[i % len(PALETTE)], label=labels.get(theme, theme))
    for start in shade or []:
        start = pd.Timestamp(start).tz_localize(None)
        ax.axvspan(start, start + pd.Timedelta(days=7), color="0.85", zorder=0)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set(ylabel="Share of the week's complaints", ylim=(0, None),
           title="Complaint themes week by week" + (" (degraded weeks shaded)" if shade else ""))
    ax.legend(loc="upper left", fontsize="small")
    return ax
