"""Charts of the change models: before and after, and the gap a difference in differences models."""

from __future__ import annotations

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import matplotlib.ticker as mticker

from ccreview.data import columns as c
from ccreview.report.plots import PALETTE, mark_axis_origin
from ccreview.stats import change_models as models

__all__ = ["plot_change_result", "plot_did_gap"]


def plot_change_result(
    result, ax: plt.Axes | None = None, *, title: str | None = None, ylabel: str | None = None
) -> plt.Axes:
    """Observed points, fitted segments, the dashed counterfactual and the implementation date."""
    ax = ax if ax is not None else plt.subplots()[1]
    for i, (part, label, (point, fit)) in enumerate(result._series()):
        colour, fit_colour = PALETTE[point], PALETTE[fit]
        used, post = ~part[models.EXCLUDED].to_numpy(bool), part[models.POST].to_numpy(bool)
        x, prefix = part[c.PERIOD_START], "" if label == "Observed" else f"{label}: "
        ax.scatter(x[used], part[models.OBSERVED][used], s=14, color=colour, label=label, zorder=3)
        if (~used).any():
            ax.scatter(
                x[~used],
                part[models.OBSERVED][~used],
                s=18,
                facecolors="none",
                edgecolors=colour,
                label=None if i else ("Left out of the fit (the change's week, special causes)"
                                      if result.special_causes else "Period of the change (not fitted)"),
                zorder=3,
            )
        for segment, name in ((used & ~post, f"{prefix}fitted".capitalize()), (used & post, None)):
            ax.plot(x[segment], part[models.FITTED][segment], color=fit_colour, lw=2, label=name)
        if (used & post).any() and part[models.COUNTERFACTUAL][used & post].notna().any():
            ax.plot(
                x[used & post],
                part[models.COUNTERFACTUAL][used & post],
                color=fit_colour,
                lw=1.5,
                ls="--",
                label=f"{prefix}without the change".capitalize(),
            )
    if result.implemented_on is not None:
        ax.axvline(result.implemented_on, color="0.35", ls=":", lw=1.2, label="Change implemented")
    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    if result.unit == "share":
        ax.yaxis.set_major_formatter(mticker.PercentFormatter(1.0))
    ax.set(
        title=title or result._title,
        xlabel=f"{result.period.capitalize()} starting",
        ylabel=ylabel or {models.RATE: "Rate", models.SHARE: "Share"}.get(result.kind, "Value"),
    )
    ax.legend(loc="upper left", bbox_to_anchor=(1, 1))
    mark_axis_origin(ax)
    return ax


def plot_did_gap(result, ax: plt.Axes | None = None, *, title: str | None = None,
                 ylabel: str | None = None) -> plt.Axes:
    """The changed group minus the comparison group, week by week: the gap the difference in
    differences models, its fit and the gap expected without the change (dashed). Two groups at
    different levels on one axis hide a change of a few units; their gap shows it."""
    ax = ax if ax is not None else plt.subplots()[1]
    frame = result.fitted
    treated = frame[frame[models.GROUP] == models.TREATED].set_index(c.PERIOD_START)
    control = frame[frame[models.GROUP] == models.CONTROL].set_index(c.PERIOD_START)
    gap = treated[models.OBSERVED] - control[models.OBSERVED]
    used = ~treated[models.EXCLUDED].to_numpy(bool)
    post = treated[models.POST].to_numpy(bool)
    x = gap.index
    ax.axhline(0, color="0.6", lw=0.8)
    ax.scatter(x[used], gap[used], s=14, color=PALETTE[0], label="Changed minus comparison", zorder=3)
    if (~used).any():
        ax.scatter(x[~used], gap[~used], s=18, facecolors="none", edgecolors=PALETTE[0],
                   label="Left out of the fit", zorder=3)
    fitted = treated[models.FITTED] - control[models.OBSERVED]
    counterfactual = treated[models.COUNTERFACTUAL] - control[models.OBSERVED]
    ax.plot(x[used & ~post], fitted[used & ~post], color=PALETTE[3], lw=2, label="Fitted gap")
    ax.plot(x[used & post], fitted[used & post], color=PALETTE[3], lw=2)
    ax.plot(x[used & post], counterfactual[used & post], color=PALETTE[3], lw=1.5, ls="--",
            label="Gap without the change")
    if result.implemented_on is not None:
        ax.axvline(result.implemented_on, color="0.35", ls=":", lw=1.2, label="Change implemented")
    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    if result.unit == "share":
        ax.yaxis.set_major_formatter(mticker.PercentFormatter(1.0))
    ax.set(title=title or "Changed group minus comparison group",
           xlabel=f"{result.period.capitalize()} starting", ylabel=ylabel or "Difference")
    ax.legend(loc="upper left", bbox_to_anchor=(1, 1))
    return ax
