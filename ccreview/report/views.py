"""How the analysis results look: charts and notebook HTML of the result objects.

The result classes of the analysis layers (:class:`~ccreview.stats.control_charts.ControlChart`,
the change models, the technique study, period comparisons, the grading audit) carry data and
``.table``; this module draws them. Importing it registers each view with
:func:`ccreview.presentable.register_view`, so ``result.plot(ax=None)`` and the notebook
display work while the analysis code imports no plotting or HTML.
"""

from __future__ import annotations

import html

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import matplotlib.ticker as mticker
import numpy as np
import pandas as pd

from ccreview.data import columns as c
from ccreview.incidents import grading
from ccreview.presentable import register_view
from ccreview.report.change_plots import plot_change_result, plot_did_gap
from ccreview.report.formatting import figure_html, note_html, paragraphs_html, table_html
from ccreview.report.plots import PALETTE, _axes, mark_axis_origin
from ccreview.stats import change_models as models
from ccreview.stats import change_results as results
from ccreview.stats import change_verdicts as verdicts
from ccreview.stats import comparisons as cmp
from ccreview.stats import control_charts as spc
from ccreview.stats import effects
from ccreview.stats import techniques as tech
from ccreview.wording import fmt_day, fmt_number, fmt_pct, plural

__all__ = [
    "change_result_html",
    "control_chart_html",
    "grading_audit_html",
    "period_comparison_html",
    "plot_change_result",
    "plot_control_chart",
    "plot_did_gap",
    "plot_grading_audit",
    "plot_technique_comparison",
    "technique_comparison_html",
    "verdict_html",
]


def plot_control_chart(
    chart, ax: plt.Axes | None = None, *, title: str | None = None, ylabel: str | None = None,
    legend: bool = True,
) -> plt.Axes:
    """Series, centre line, limits (steps where they vary), shaded baseline, signals marked."""
    ax = _axes(ax)
    t = _break_at_jumps(chart.table)
    x = t[spc.PERIOD]
    dates = pd.api.types.is_datetime64_any_dtype(x)
    if not (dates or pd.api.types.is_numeric_dtype(x)):
        x = pd.Series(np.arange(len(t)), index=t.index)
        ax.set_xticks(x.to_numpy(), t[spc.PERIOD].astype(str).to_numpy(), rotation=45, ha="right")
    ax.fill_between(
        x,
        0,
        1,
        where=t[spc.IN_BASELINE].to_numpy(),
        step="mid",
        color=PALETTE[7],
        alpha=0.15,
        lw=0,
        transform=ax.get_xaxis_transform(),
        label="Baseline",
    )
    ax.step(x, t[spc.UCL], where="mid", color=PALETTE[7], ls="--", lw=1, label="Control limits")
    ax.step(x, t[spc.LCL], where="mid", color=PALETTE[7], ls="--", lw=1)
    ax.step(x, t[spc.CENTRE], where="mid", color="0.25", lw=1, label="Centre line")
    ax.plot(x, t[spc.VALUE], marker="o", markersize=3, color=PALETTE[0], lw=1.2, label="Value")
    hit = t[spc.SIGNAL].to_numpy(dtype=bool)
    ax.scatter(x[hit], t[spc.VALUE][hit], marker="D", s=36, color=PALETTE[3], zorder=3, label="Signal")
    if spc.SET_ASIDE in t and t[spc.SET_ASIDE].to_numpy(dtype=bool).any():
        aside = t[spc.SET_ASIDE].to_numpy(dtype=bool)
        ax.scatter(x[aside], t[spc.VALUE][aside], marker="o", s=70, facecolors="none", edgecolors="0.2",
                   zorder=4, label="Left out of the limits")
    ax.set(
        title=title or spc._capital(spc.KIND_LABELS[chart.kind]),
        ylabel=ylabel or "",
        xlabel="Period" if not dates else "Period starting",
    )
    if dates:
        locator = mdates.AutoDateLocator(maxticks=6)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    if chart.kind == spc.P:
        ax.yaxis.set_major_formatter(mticker.PercentFormatter(1.0))
    if legend:
        ax.legend(loc="upper left", bbox_to_anchor=(1, 1))
    mark_axis_origin(ax)
    return ax


def _break_at_jumps(table: pd.DataFrame) -> pd.DataFrame:
    """The chart table with an empty row wherever the periods jump (between a baseline and the
    period), so lines are not drawn across weeks that are not on the chart."""
    x = table[spc.PERIOD]
    if len(table) < 3 or not pd.api.types.is_datetime64_any_dtype(x):
        return table
    steps = x.diff()
    jumps = (steps > 1.5 * steps.median()).to_numpy()
    if not jumps.any():
        return table
    breaks = table[jumps].copy()
    breaks[spc.PERIOD] = x[jumps] - steps.median() / 2
    for column in breaks.columns:
        if column != spc.PERIOD:
            breaks[column] = False if table[column].dtype == bool else np.nan
    return pd.concat([table, breaks]).sort_values(spc.PERIOD, kind="stable").reset_index(drop=True)


def control_chart_html(chart) -> str:
    signals = chart.signals
    fmt = fmt_pct if chart.kind == spc.P else (lambda v: fmt_number(v, 3))
    text = (
        f"<p><strong>{html.escape(spc._capital(spc.KIND_LABELS[chart.kind]))}</strong>: "
        f"{plural(len(chart.table), 'point')}; centre line {fmt(chart.centre)} from a baseline of "
        f"{plural(chart.baseline_points, 'point')}; {plural(len(signals), 'point')} "
        f"{'signals' if len(signals) == 1 else 'signal'} under the rules checked "
        f"({html.escape(', '.join(chart.rules))}).</p>"
    )
    notes = "".join(note_html(w) for w in chart.warnings)
    if not len(signals):
        return text + notes
    shown = signals[[spc.PERIOD, spc.VALUE, spc.LCL, spc.UCL, spc.RULES_FIRED]]
    formats = {spc.VALUE: fmt, spc.LCL: fmt, spc.UCL: fmt}
    return (
        text
        + notes
        + table_html(shown, formats=formats, labels={spc.RULES_FIRED: "rules fired"}, max_rows=10)
    )


def verdict_html(verdict) -> str:
    return (
        f"<p><strong>{html.escape(verdict.verdict.capitalize())}.</strong> "
        f"{html.escape(verdict.sentence)}</p>"
    )


def change_result_html(result) -> str:
    parts = [paragraphs_html([result.headline(), *result._notes()])]
    change_periods = [d for d in result.excluded if d not in result.special_causes]
    if change_periods:
        days = ", ".join(fmt_day(d) for d in change_periods)
        parts.append(
            f'<p class="ccr-small">Left out of the fit: the {result.period} starting '
            f"{html.escape(days)}, partly before and partly after the change.</p>"
        )
    if result.special_causes:
        days = ", ".join(fmt_day(d) for d in result.special_causes)
        parts.append(
            f'<p class="ccr-small">Left out of the fit as special causes: the {result.period}s '
            f"starting {html.escape(days)}.</p>"
        )
    parts += [note_html(w) for w in result.warnings]
    if len(result.fitted):
        fig, ax = plt.subplots()
        result.plot(ax=ax)
        parts.append(
            figure_html(
                fig,
                alt=f"{result._title}: observed values by {result.period}, the fitted "
                "model and what would have been expected without the change.",
            )
        )
    change, level = (lambda v: verdicts._change(v, result.unit)), (lambda v: verdicts._level(v, result.unit))
    parts.append(
        table_html(
            result.effect,
            caption="Average effect after the change",
            formats={
                models.ESTIMATE: change,
                models.CI_LOW: change,
                models.CI_HIGH: change,
                models.STD_ERROR: change,
                models.P_VALUE: verdicts._p_cell,
                models.FITTED: level,
                models.COUNTERFACTUAL: level,
            },
        )
    )
    if len(result.table):
        number = {
            col: verdicts._g for col in (models.ESTIMATE, models.STD_ERROR, models.CI_LOW, models.CI_HIGH)
        } | {models.P_VALUE: verdicts._p_cell}
        caption = "Coefficients" + (
            " (rate ratios; std_error on the log scale)" if result.kind == models.RATE else ""
        )
        parts.append(table_html(result.table, formats=number, caption=caption))
    return "".join(parts)


def plot_technique_comparison(comparison, ax: plt.Axes | None = None) -> plt.Axes:
    """Grouped bars: false-alarm shares and detection rates per technique, median delays noted."""
    ax = _axes(ax)
    s = comparison.settings
    measures = [
        (tech.FALSE_PER_MONTH, "False alarm in a month"),
        (tech.RUNS_WITH_FALSE, f"False alarm in {s['months']} months"),
    ]
    measures += [
        (tech.detection_column(k), f"{k:g}-sigma worsening found\nwithin {s['detect_within']} weeks")
        for k in s["shift_sigmas"]
    ]
    slots = np.arange(len(measures))[::-1]
    height = 0.8 / len(comparison.table)
    for i, row in enumerate(comparison.table.itertuples(index=False)):
        shares = np.array([getattr(row, col) for col, _ in measures], dtype=float)
        y = slots + (len(comparison.table) - 1) / 2 * height - i * height
        ax.barh(y, shares, height=height * 0.9, color=PALETTE[i], label=row.label)
        for k, yk, share in zip(s["shift_sigmas"], y[2:], shares[2:], strict=True):
            delay = getattr(row, tech.delay_column(k))
            text = "median not reached" if np.isnan(delay) else f"median {fmt_number(delay, 0)} wk"
            ax.text(share + 0.01, yk, text, va="center", fontsize=8)
    ax.set_yticks(slots, [label for _, label in measures])
    ax.set(
        xlim=(0, 1.15),
        xlabel="Share of simulated runs or months",
        title="Month-on-month RAG against a control chart (resampled from stable weeks)",
    )
    ax.xaxis.set_major_formatter(mticker.PercentFormatter(1.0))
    ax.legend(loc="upper left", bbox_to_anchor=(1, 1))
    return ax


def technique_comparison_html(comparison) -> str:
    s = comparison.settings
    method = (
        f"{plural(s['n_sim'], 'simulated run')} of {s['baseline_weeks']} baseline weeks and "
        f"{s['months']} monitored 4-week months, resampled from "
        f"{plural(s['stable_weeks'], 'stable week')} ({s['resampling']}); shifts of "
        f"{', '.join(f'{k:g}' for k in s['shift_sigmas'])} × the weekly standard deviation "
        f"({fmt_number(s['weekly_sd'], 4)}) in the worse direction."
    )
    formats = {
        col: fmt_pct
        for col in comparison.table.columns
        if col in (tech.FALSE_PER_MONTH, tech.RUNS_WITH_FALSE, tech.AMBER_PER_MONTH)
        or col.startswith("detection_rate")
    }
    formats.update(
        {
            col: (lambda v: fmt_number(v, 1))
            for col in comparison.table.columns
            if col.startswith("median_delay")
        }
    )
    labels = {
        tech.LABEL: "technique",
        tech.FALSE_PER_MONTH: "false alarm in a month",
        tech.RUNS_WITH_FALSE: f"false alarm in {s['months']} months",
        tech.AMBER_PER_MONTH: "amber in a month",
    }
    for k in s["shift_sigmas"]:
        labels[tech.detection_column(k)] = f"{k:g}σ worsening found within {s['detect_within']} weeks"
        labels[tech.delay_column(k)] = f"{k:g}σ: median delay (weeks)"
    shown = comparison.table.drop(columns=[tech.TECHNIQUE])
    return (
        f"<p><strong>{html.escape(comparison.recommendation)}</strong></p>"
        f"<p>{html.escape(method)}</p>"
        + "".join(note_html(w) for w in comparison.warnings)
        + table_html(shown, formats=formats, labels=labels)
    )


def period_comparison_html(comparison) -> str:
    shown = comparison.table[
        [
            c.METRIC,
            effects.SEGMENT,
            effects.KIND,
            effects.BEFORE,
            effects.AFTER,
            effects.DIFFERENCE,
            effects.CI_LOW,
            effects.CI_HIGH,
            effects.Q_VALUE,
            effects.VERDICT,
            effects.NOTE,
        ]
    ]
    level = f"{comparison.confidence:.0%}"
    caption = (
        f"Change from the earlier to the later period: difference (after - before; "
        f"proportions in 0-1 units) or ratio (after / before) for rates, with a {level} "
        f"interval. Benjamini-Hochberg q-values; a change is reported when q <= "
        f"{comparison.alpha:g}."
    )
    number = lambda v: "–" if pd.isna(v) else f"{v:.4g}"  # noqa: E731
    html = table_html(
        shown,
        caption=caption,
        formats={
            name: number
            for name in (
                effects.BEFORE,
                effects.AFTER,
                effects.DIFFERENCE,
                effects.CI_LOW,
                effects.CI_HIGH,
                effects.Q_VALUE,
            )
        },
    )
    thin = int((comparison.table[effects.VERDICT] == effects.TOO_LITTLE_DATA).sum())
    if thin:
        html += note_html(
            f"{plural(thin, 'comparison')} had too little data for a verdict: see the note column of the "
            "table."
        )
    return html


def plot_grading_audit(audit, ax=None):
    """Heat map of the wide table (counts), returning the Axes."""
    ax = ax or plt.gca()
    wide = audit.wide
    ax.imshow(wide.to_numpy(), cmap="Blues")
    ax.set_xticks(range(wide.shape[1]), [f"P{int(p)}" for p in wide.columns])
    ax.set_yticks(range(wide.shape[0]), [f"P{int(p)}" for p in wide.index])
    for (i, j), value in np.ndenumerate(wide.to_numpy()):
        ax.text(j, i, f"{value:,}", ha="center", va="center", fontsize=8)
    ax.set_xlabel("recorded priority")
    ax.set_ylabel("priority from impact x urgency")
    return ax


def grading_audit_html(audit) -> str:
    return audit.wide.rename_axis(index="expected \\ recorded").to_html() + audit.effect.to_html(
        index=False, float_format=lambda v: f"{v:.3f}"
    )


register_view(spc.ControlChart, plot=plot_control_chart, html=control_chart_html)
register_view(verdicts.Verdict, html=verdict_html)
register_view(results._Result, plot=plot_change_result, html=change_result_html)
register_view(tech.TechniqueComparison, plot=plot_technique_comparison, html=technique_comparison_html)
register_view(cmp.PeriodComparison, html=period_comparison_html)
register_view(grading.GradingAudit, plot=plot_grading_audit, html=grading_audit_html)
