"""Theme shares over time, and whether a theme's share changed, with the day as the unit.

A theme's share of a voice's comments is a proportion whose days vary far more than
sampling explains (an outage fills one week with the same complaint), so the comparison
is :func:`ccreview.stats.comparisons.compare_periods` with daily units: the per-comment
interval is widened by the days' Pearson dispersion, exactly as the KPI section compares
its measures, and the verdicts across themes hold their false discovery rate.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ccreview.data import columns as c
from ccreview.feedback.tagging import UNCOVERED
from ccreview.stats.comparisons import compare_periods

__all__ = ["compare_theme_shares", "theme_share_series"]


def theme_share_series(comments: pd.DataFrame, matrix: pd.DataFrame, *, within: np.ndarray,
                       freq: str = "W") -> pd.DataFrame:
    """Each theme's share of a group's comments (``within``: customers' complaints, agents'
    notes) per week (``freq="W"``) or month (``"MS"``).

    Returns
    -------
    DataFrame
        ``period_start``, ``theme``, ``comments``, ``of``, ``share``.
    """
    mine = np.asarray(within, dtype=bool)
    if not mine.any():
        return pd.DataFrame(columns=["period_start", "theme", "comments", "of", "share"])
    at = comments[c.RECEIVED_AT][mine].dt.tz_localize(None)
    start = at.dt.to_period("W-SUN" if freq == "W" else "M").dt.start_time.to_numpy()
    hits = matrix.loc[mine].astype(int)
    hits.index = start
    counts = hits.groupby(level=0).sum()
    totals = pd.Series(1, index=start).groupby(level=0).sum()
    long = counts.stack().rename("comments").reset_index()
    long.columns = ["period_start", "theme", "comments"]
    long["of"] = long["period_start"].map(totals).to_numpy()
    long["share"] = long["comments"] / long["of"]
    tz = comments[c.RECEIVED_AT].dt.tz
    long["period_start"] = pd.to_datetime(long["period_start"]).dt.tz_localize(tz)
    return long


def compare_theme_shares(comments: pd.DataFrame, matrix: pd.DataFrame, *, before: np.ndarray,
                         after: np.ndarray, within: np.ndarray, against: str = "",
                         material: float = 0.02) -> pd.DataFrame:
    """Did each theme's share of a group's comments change between two sets of days?

    Parameters
    ----------
    comments, matrix : DataFrame
        Comments (with ``voice`` and ``received_at``) and their theme matrix.
    before, after : ndarray of bool
        Which comments belong to the reference and to the compared days.
    within : ndarray of bool
        The group whose comments are shared out (customers' complaints, agents' notes).
    against : str
        What the reference is, for the table ("previous period", "other weeks").
    material : float
        The smallest change in share that matters (0.02: two points).

    Returns
    -------
    DataFrame
        The columns of :func:`~ccreview.stats.comparisons.compare_periods` per theme
        (``metric`` holds the theme id), and ``against``; the uncovered share is left out.
    """
    mine = np.asarray(within, dtype=bool)
    day = comments[c.RECEIVED_AT].dt.tz_localize(None).dt.normalize().to_numpy()
    themes = [t for t in matrix.columns if t != UNCOVERED]
    if not themes:
        return pd.DataFrame()
    daily = {}  # per side: the day's comments carrying each theme, all themes at once
    for side, mask in (("before", before & mine), ("after", after & mine)):
        hits = pd.DataFrame(matrix.loc[mask, themes].to_numpy(dtype=float), index=day[mask], columns=themes)
        grouped = hits.groupby(level=0)
        daily[side] = (grouped.sum(), grouped.size().to_numpy(float),
                       pd.DatetimeIndex(grouped.size().index).day_of_week.to_numpy())
    rows = []
    for theme in themes:
        sides = {side: (sums[theme].to_numpy(), size, weekday)
                 for side, (sums, size, weekday) in daily.items()}
        rows.append({
            c.METRIC: theme, "segment": "all", "kind": "proportion", "better": "lower",
            "before_count": sides["before"][0].sum(), "before_total": sides["before"][1].sum(),
            "after_count": sides["after"][0].sum(), "after_total": sides["after"][1].sum(),
            "before_units": np.column_stack(sides["before"]),
            "after_units": np.column_stack(sides["after"])})
    frame = pd.DataFrame(rows)
    usable = (frame["before_total"] > 0) & (frame["after_total"] > 0)
    if not usable.any():
        return pd.DataFrame()
    table = compare_periods(frame[usable].reset_index(drop=True),
                            material={t: material for t in themes})
    table["against"] = against
    return table
