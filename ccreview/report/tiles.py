"""The first screen: the bottom line and the headline tiles, from :func:`headline_kpis`."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd

from ccreview.report.formatting import fmt_change
from ccreview.stats.effects import DECREASED, IMPROVED, INCREASED, NO_CHANGE, NO_MATERIAL_CHANGE, WORSENED
from ccreview.wording import format_value

__all__ = ["sparkline_svg", "tile_html", "tiles_html"]

#: verdict -> (words on a tile, CSS class)
VERDICT_WORDS = {IMPROVED: ("better", "ccr-status-ok"), WORSENED: ("worse", "ccr-status-bad"),
                 INCREASED: ("up", "ccr-status-warn"), DECREASED: ("down", "ccr-status-warn"),
                 NO_MATERIAL_CHANGE: ("no material change", "ccr-muted"),
                 NO_CHANGE: ("within noise", "ccr-muted")}


def sparkline_svg(values, *, width: int = 120, height: int = 28, label: str = "") -> str:
    """A small inline SVG line of the weekly values (gaps where a week has no value), the last
    point marked; empty when fewer than two values."""
    y = np.asarray(values, dtype=float)
    known = np.isfinite(y)
    if known.sum() < 2:
        return ""
    low, high = float(np.nanmin(y)), float(np.nanmax(y))
    span = high - low or 1.0
    x = np.linspace(2, width - 4, len(y))
    top = 3 + (height - 6) * (1 - (y - low) / span)
    segments, current = [], []
    for xi, yi, ok in zip(x, top, known, strict=True):
        if ok:
            current.append(f"{xi:.1f},{yi:.1f}")
        elif current:
            segments.append(current)
            current = []
    if current:
        segments.append(current)
    lines = "".join(f'<polyline points="{" ".join(s)}" fill="none" stroke="currentColor" '
                    'stroke-width="1.5"/>' for s in segments)
    last = int(np.flatnonzero(known)[-1])
    return (f'<svg class="ccr-spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            f'role="img" aria-label="{html.escape(label)}">{lines}'
            f'<circle cx="{x[last]:.1f}" cy="{top[last]:.1f}" r="2.2" fill="currentColor"/></svg>')


def tile_html(row, *, against: str) -> str:
    """One headline tile: value, target and status, previous value, change and its verdict,
    and the weekly sparkline."""
    value = format_value(row.value, row.unit)
    parts = [f'<div class="label">{html.escape(row.label)}</div>',
             f'<div class="value">{html.escape(value)}</div>']
    if pd.notna(row.target):
        css = {True: "ccr-status-ok", False: "ccr-status-bad"}.get(row.met, "ccr-status-warn")
        status = {True: "met", False: "missed"}.get(row.met, "not judged")
        sign = "≥" if row.better == "higher" else "≤"
        parts.append(f'<div class="target">target {sign} {html.escape(format_value(row.target, row.unit))}'
                     f' · <span class="{css}">{status}</span></div>')
    if pd.notna(row.previous):
        words, css = VERDICT_WORDS.get(row.verdict, ("", "ccr-muted"))
        change = fmt_change(row.difference, row.metric, row.effect_scale)
        verdict = f' · <span class="{css}">{html.escape(words)}</span>' if words else ""
        parts.append(f'<div class="change">{html.escape(against)}: '
                     f'{html.escape(format_value(row.previous, row.unit))} '
                     f'({html.escape(change)}){verdict}</div>')
    spark = sparkline_svg(row.weekly, label=f"{row.label}, week by week in the period")
    if spark:
        parts.append(f'<div class="spark" title="week by week in the period">{spark}</div>')
    return f'<div class="ccr-kpi">{"".join(parts)}</div>'


def tiles_html(headline: pd.DataFrame, *, against: str) -> str:
    """The tiles in two rows: operations, then customers (when the data has them)."""
    out = []
    for group, title in (("operations", "Operations"), ("customers", "Customers")):
        part = headline[headline["group"] == group]
        if not len(part):
            continue
        tiles = "".join(tile_html(row, against=against) for row in part.itertuples(index=False))
        out.append(f'<div class="ccr-kpi-group"><div class="ccr-kpi-group-title">{title}</div>'
                   f'<div class="ccr-kpis">{tiles}</div></div>')
    return "".join(out)
