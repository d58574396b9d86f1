"""Performance sections: how each KPI moved (real change or noise) and its control chart."""

from __future__ import annotations

import html

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ccreview.data import columns as c
from ccreview.kpis.catalogue import METRICS
from ccreview.kpis.compute import service_level_definition
from ccreview.report.formatting import (
    details_html,
    figure_html,
    fmt_change,
    fmt_metric,
    fmt_metric_pair,
    note_html,
    paragraphs_html,
    table_html,
)
from ccreview.report.sections.base import Section
from ccreview.review.review import Review
from ccreview.stats.control_charts import signals_summary
from ccreview.stats.effects import (
    DECREASED,
    IMPROVED,
    INCREASED,
    NO_CHANGE,
    NO_MATERIAL_CHANGE,
    TOO_LITTLE_DATA,
    WORSENED,
)
from ccreview.stats.run_rules import DEFAULT_RULES, RULES, false_signal_rate, resolve_rules
from ccreview.stats.techniques import CHART, RAG
from ccreview.wording import fmt_count, fmt_day, fmt_number, fmt_pct, in_sentence, plural

__all__ = ["ControlCharts", "Performance", "TechniqueEfficiency"]

#: readable names of the segment columns
SEGMENT_WORDS = {c.QUEUE: "queue", c.CHANNEL: "channel", c.PRIORITY: "priority",
                 c.CATEGORY: "category", c.ASSIGNED_TEAM: "team", c.TEAM: "team"}
#: chart point -> its adjective
ADJECTIVE = {"day": "daily", "week": "weekly"}
#: how the technique study's verdict (TechniqueComparison.trusted) is shown
TRUSTED_LABELS = {CHART: "control chart", RAG: "month-on-month RAG", None: "neither clearly"}
VERDICT_ORDER = {WORSENED: 0, IMPROVED: 1, INCREASED: 2, DECREASED: 2, NO_MATERIAL_CHANGE: 3,
                 NO_CHANGE: 3, TOO_LITTLE_DATA: 4}


def _interval(row) -> str:
    if pd.isna(row.ci_low):
        return "–"
    return f"{fmt_change(row.ci_low, row.metric, row.effect_scale)} to " \
           f"{fmt_change(row.ci_high, row.metric, row.effect_scale)}"


def _readable(table: pd.DataFrame) -> pd.DataFrame:
    """Comparison rows as a reader sees them: label, values, change, interval, verdict."""
    return pd.DataFrame({
        "kpi": [METRICS[m].label for m in table[c.METRIC]],
        "this_period": [fmt_metric(v, m) for v, m in zip(table["after"], table[c.METRIC],
                                                          strict=True)],
        "earlier": [fmt_metric(v, m) for v, m in zip(table["before"], table[c.METRIC],
                                                     strict=True)],
        "change": [fmt_change(v, m, s) for v, m, s in zip(table["difference"], table[c.METRIC],
                                                          table["effect_scale"], strict=True)],
        "interval": [_interval(r) for r in table.itertuples()],
        "verdict": table["verdict"].to_numpy(),
    })


class Performance(Section):
    """Every KPI this period against earlier periods: estimate, 95% interval, verdict."""

    def __init__(self, review: Review) -> None:
        super().__init__(review)
        self.table = review.comparisons
        if len(self.table):
            self.downloads = {"kpi_comparisons": self.table}

    def _body_html(self) -> str:
        review = self.review
        table = self.table
        parts = []
        if not len(table):
            parts.append(note_html(
                "No earlier period is in the data, so nothing can be compared yet. Include the "
                "previous quarter's exports in the parameter file to see how the KPIs moved."))
            return "".join(parts) + self._backlog_html()
        for label in table.attrs.get("skipped", []):
            parts.append(note_html(f"No comparison with the {label}: the data does not reach back "
                                   "that far."))
        for against, rows in table.groupby("against", sort=False):
            overall = rows[rows["segment_by"] == ""]
            tested = rows["q_value"].notna().sum()
            first = review.params.start
            parts.append(f"<h3>Against the {html.escape(str(against))}</h3>")
            parts.append(paragraphs_html(self._headline(overall, against, tested, first)))
            shown = _readable(overall).rename(columns={"earlier": str(against)})
            labels = {"kpi": "KPI", "this_period": "this period", "interval": "95% interval"}
            parts.append(details_html(f"Every KPI against the {against} ({len(shown)})", table_html(
                shown, labels=labels, caption=f"Each KPI this period against the {against}")))
            moved = rows[(rows["segment_by"] != "")
                         & rows["verdict"].isin([IMPROVED, WORSENED])].copy()
            if len(moved):
                moved["order"] = moved["verdict"].map(VERDICT_ORDER)
                moved = moved.sort_values(["order", "q_value"])
                shown = _readable(moved)
                shown.insert(1, "segment", [f"{SEGMENT_WORDS.get(b, b)} {s}" for b, s in
                                            zip(moved["segment_by"], moved["segment"], strict=True)])
                parts.append(details_html(
                    f"Segments that moved beyond chance ({len(shown)}, worsened first)",
                    table_html(shown.rename(columns={"earlier": str(against)}), labels=labels,
                               max_rows=15, caption="Segments that moved beyond chance")))
        parts.append(details_html("How changes are judged", self._method_html()))
        return "".join(parts) + self._backlog_html()

    def _headline(self, overall: pd.DataFrame, against: str, tested: int,
                  start: pd.Timestamp) -> list[str]:
        sentences = []
        for verdict in (WORSENED, IMPROVED):
            rows = overall[overall["verdict"] == verdict]
            if len(rows):
                pairs = [(r.metric, fmt_metric_pair(r.after, r.before, r.metric)) for r in rows.itertuples()]
                items = ", ".join(f"{in_sentence(METRICS[m].label)} ({after} against {before})"
                                  for m, (after, before) in pairs)
                sentences.append(f"{verdict.capitalize()} beyond chance: {items}.")
        slight = overall[overall["verdict"] == NO_MATERIAL_CHANGE]
        if len(slight):
            sentences.append("Moved beyond chance, but by less than counts as material: " + ", ".join(
                in_sentence(METRICS[m].label) for m in slight[c.METRIC]) + ".")
        steady = overall[overall["verdict"] == NO_CHANGE]
        if len(steady):
            sentences.append("No evidence of change: " + ", ".join(
                in_sentence(METRICS[m].label) for m in steady[c.METRIC]) + ".")
        sentences.append(f"{plural(int(tested), 'comparison')} against the {against} were tested "
                         "together, overall and by segment, so that at most about 1 in 20 of the "
                         "changes called real is a false alarm.")
        return sentences

    def _method_html(self) -> str:
        settings = self.review.params.kpi_settings
        return paragraphs_html([
            "How changes are judged: the unit of evidence is the day, not the contact, "
            "because days differ far more than chance among contacts explains. Shares are "
            "compared by the difference in percentage points and volumes and complaints by "
            "the ratio of rates (allowing for each period's mix of weekdays), with intervals "
            "widened by how much the days vary (quasi-likelihood dispersion; Newcombe's and "
            "the exact Poisson interval where the days vary no more than chance); averages by "
            "Welch's t interval, medians and 90th percentiles by a bootstrap interval of the "
            "difference, each widened by the day-to-day design effect. A change is called "
            "real when its Benjamini-Hochberg q-value is at most 0.05 and its interval leaves "
            "out no change; simulated with nothing changed, this happens in about 5% of "
            "comparisons.",
            "Service level here: " + service_level_definition(settings),
        ])

    def _backlog_html(self) -> str:
        backlog = self.review.backlog
        if not len(backlog) or not backlog.attrs.get("open"):
            return ""
        review = self.review
        median = backlog.attrs["median_age_days"]
        when = (f"At the end of the period ({fmt_day(review.params.end - pd.Timedelta(days=1))})"
                if review.as_of >= review.params.end else
                f"When the data ends ({fmt_day(review.as_of)}, before the period does)")
        text = (f"{when}, {plural(backlog.attrs['open'], 'incident')}"
                f" {'was' if backlog.attrs['open'] == 1 else 'were'} open, with a median age of "
                f"{fmt_number(median, 1)} days.")
        return ("<h3>Backlog at the period end</h3>" + paragraphs_html([text])
                + table_html(backlog, formats={"n": fmt_count, "share": fmt_pct},
                             labels={"n": "incidents"}, caption="Open incidents by age"))


class ControlCharts(Section):
    """Weekly control charts of the charted KPIs, with the run rules' signals listed."""

    def __init__(self, review: Review) -> None:
        super().__init__(review)
        self.charts = review.control_charts
        frames = [chart.table.assign(metric=name) for name, chart in self.charts.items()]
        self.table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        signals = [signals_summary(chart, metric=name, better=METRICS[name].better)
                   for name, chart in self.charts.items()]
        self.signals = (pd.concat(signals, ignore_index=True) if signals else pd.DataFrame())
        if len(self.table):
            self.downloads = {"control_chart_points": self.table}

    def plot(self, ax=None, *, metric: str | None = None):
        """One KPI's control chart on ``ax`` (``metric``; default the first charted), or, with
        no ``ax`` and no ``metric``, all of them as small multiples; returns the Axes."""
        if not self.charts:
            raise ValueError("No charted KPI can be computed from the files given.")
        if metric is not None or ax is not None:
            name = metric or next(iter(self.charts))
            return self.charts[name].plot(ax, title=METRICS[name].label)
        columns = 3
        rows = -(-len(self.charts) // columns)
        fig, axes = plt.subplots(rows, columns, figsize=(4.4 * columns, 2.4 * rows), squeeze=False)
        for ax_, (name, chart) in zip(axes.flat, self.charts.items(), strict=False):
            chart.plot(ax_, title=METRICS[name].label, legend=False)
            ax_.set_xlabel("")
        for ax_ in list(axes.flat)[len(self.charts):]:
            ax_.set_visible(False)
        fig.tight_layout()
        return axes

    def _body_html(self) -> str:
        review = self.review
        if not self.charts:
            return note_html("None of the charted metrics can be computed from the files given.")
        first, last = review.chart_baseline
        rules = resolve_rules(review.params.chart_rules or DEFAULT_RULES)
        unit = "day" if review.params.chart_freq == "D" else "week"
        method = paragraphs_html([
            f"Each chart shows a KPI {unit} by {unit}. The centre line and the control limits "
            f"come from the baseline {unit}s ({fmt_day(first)} to "
            f"{fmt_day(last - pd.Timedelta(days=1))}, shaded, unless a note says otherwise): "
            f"points inside the dashed limits are the {unit}-to-{unit} noise of a process that has "
            f"not changed. A diamond marks a {unit} where a run rule signals a real change. "
            f"Baseline {unit}s beyond the first limits (an outage, a special cause) are circled and "
            f"left out, and the limits worked out again without them. A {unit} with no data is a "
            "gap, never a zero" + ("; each weekday has its own centre line." if unit == "day" else "."),
            "Rules checked: " + " ".join(f"{RULES[r]}" for r in rules),
            self._chance_sentence(rules, unit),
        ])
        in_period = self._signals_in_period()
        if len(in_period):
            parts = [paragraphs_html([self._signals_sentence(in_period, unit)]),
                     details_html(f"Every signal in the review period ({len(in_period)})", table_html(
                         in_period, caption="Signals in the review period",
                         labels={"first_period": f"from {unit} of", "last_period": f"to {unit} of",
                                 "points": f"{unit}s"}))]
        else:
            parts = [paragraphs_html([f"No charted KPI signalled in the review period: the "
                                      f"{unit}s stayed within what the baseline's noise explains."])]
        parts.append(details_html("How to read these charts", method))
        figures, notes = [], []
        for name, chart in self.charts.items():
            metric = METRICS[name]
            fig, ax = plt.subplots(figsize=(4.4, 2.4))
            axis = {"share": "share", "seconds": "seconds", "hours": "hours",
                    "count": "per day", "per 1,000": "per 1,000 contacts"}.get(metric.unit, "")
            chart.plot(ax, title=metric.label, ylabel=axis, legend=False)
            ax.set_xlabel("")
            n_signals = int(chart.table["signal"].sum())
            figures.append(figure_html(
                fig, alt=f"Control chart of {ADJECTIVE[unit]} {in_sentence(metric.label)}: centre line, "
                         f"control limits and {plural(n_signals, 'signal')} marked."))
            notes.extend(f"{metric.label}: {w}" for w in chart.warnings)
        parts.append(f'<div class="ccr-multiples">{"".join(figures)}</div>')
        parts.append('<p class="ccr-small">Shaded: baseline. Dashed: control limits. Line: centre. '
                     "Diamond: signal. Circle: baseline point left out of the limits.</p>")
        if notes:
            parts.append(details_html(f"Notes on the charts ({len(notes)})", paragraphs_html(notes)))
        return "".join(parts)

    def _signals_sentence(self, in_period: pd.DataFrame, unit: str) -> str:
        """Which KPIs moved, for the better or the worse, in words."""
        meaning = in_period["better or worse"]
        worse = sorted({in_sentence(k) for k in in_period.loc[meaning == "worse", "kpi"]})
        better = sorted({in_sentence(k) for k in in_period.loc[meaning == "better", "kpi"]})
        parts = []
        if worse:
            parts.append(f"signals for the worse in {', '.join(worse)}")
        if better:
            parts.append(f"for the better in {', '.join(better)}")
        if not parts:
            return f"{plural(len(in_period), 'signal')} in the period, on KPIs with no better side."
        return f"In the review period: {'; '.join(parts)}."

    def _chance_sentence(self, rules: tuple[str, ...], unit: str) -> str:
        """How often these rules signal by chance over the review period's points."""
        review = self.review
        step = pd.Timedelta(days=1 if unit == "day" else 7)
        points = int((review.as_of - review.params.start) // step)
        # the limits are estimated from each chart's baseline, which makes chance signals
        # more frequent than with known limits: the rate is simulated the same way
        baseline = int(np.median([chart.baseline_points for chart in self.charts.values()]))
        rate = false_signal_rate(rules, points=points, baseline_points=baseline,
                                 groups=7 if unit == "day" else 1)
        charts = len(self.charts)
        some = 1 - (1 - rate) ** charts
        return (f"By chance alone, a KPI that has not changed shows at least one signal over "
                f"the period's {points} {unit}s in about {fmt_pct(rate, 0)} of periods with "
                f"these rules; across the {charts} charts below, some chart does so in about "
                f"{fmt_pct(some, 0)}. A single signal is a reason to look, not proof; a "
                "sustained run, or a signal that agrees with other evidence, is stronger.")

    def _signals_in_period(self) -> pd.DataFrame:
        if not len(self.signals):
            return pd.DataFrame()
        start = self.review.params.start.tz_localize(None).normalize()
        last = pd.to_datetime(self.signals["last_period"])
        part = self.signals[(last >= start - pd.Timedelta(days=6)).to_numpy()]
        return pd.DataFrame({
            "kpi": [METRICS[m].label for m in part["metric"]],
            "first_period": pd.to_datetime(part["first_period"]).dt.strftime("%d %b %Y").to_numpy(),
            "last_period": pd.to_datetime(part["last_period"]).dt.strftime("%d %b %Y").to_numpy(),
            "points": part["points"].to_numpy(),
            "direction": part["direction"].to_numpy(),
            "better or worse": part["meaning"].replace("", "–").to_numpy(),
            "rules": part["rules"].str.replace("_", " ").to_numpy(),
        })


class TechniqueEfficiency(Section):
    """Which monitoring technique to trust: month-on-month RAG against control charts."""

    def __init__(self, review: Review) -> None:
        super().__init__(review)
        self.comparisons = review.technique_comparisons
        rows = []
        for name, result in self.comparisons.items():
            table = result.table.set_index("technique")
            rag, chart = table.loc["month_on_month_rag"], table.loc["control_chart"]
            rows.append({
                "kpi": METRICS[name].label, "chart": chart["label"].split(" (")[0],
                "rag_false_alarms": rag["false_alarms_per_month"],
                "chart_false_alarms": chart["false_alarms_per_month"],
                "rag_found_2sd": rag["detection_rate_2sd"],
                "chart_found_2sd": chart["detection_rate_2sd"],
                "rag_delay_2sd": rag["median_delay_weeks_2sd"],
                "chart_delay_2sd": chart["median_delay_weeks_2sd"],
                "trust": TRUSTED_LABELS[result.trusted],
            })
        self.table = pd.DataFrame(rows)
        if len(self.table):
            self.downloads = {"technique_comparison": self.table}

    def plot(self, ax=None, *, metric: str | None = None):
        """The technique comparison of one KPI (default the first studied) on ``ax``."""
        if not self.comparisons:
            raise ValueError("Too little history before the period to score the techniques on.")
        return self.comparisons[metric or next(iter(self.comparisons))].plot(ax)

    def empty_reason(self) -> str | None:
        if not self.comparisons:
            return "too little history before the period to score the techniques on"
        return None
    def _body_html(self) -> str:
        window = self.review.stable_window
        if not self.comparisons or window is None:
            return note_html("There is too little data before the review period, so the "
                             "techniques cannot be compared on this centre's own history yet: "
                             "include earlier exports (at least 12 weeks) in the parameter "
                             "file.") + "".join(note_html(n) for n in self.review.technique_notes)
        first = next(iter(self.comparisons.values()))
        s = first.settings
        trusted = int((self.table["trust"] == "control chart").sum())
        parts = [paragraphs_html([
            "A monitoring technique is worth trusting when it stays quiet while nothing changes "
            "and speaks up soon when something does. Both are measured here on this centre's own "
            f"weeks from {fmt_day(window[0])} to {fmt_day(window[1] - pd.Timedelta(days=1))}, "
            "when no agreed change went live (major-incident days left out): "
            f"{plural(s['n_sim'], 'simulated half-year')} are resampled from those weeks in "
            f"blocks of {s.get('block_weeks', 4)}, once as they were (any alarm is false) and "
            "once with a sustained worsening of two weekly standard deviations planted (how "
            "often and how fast each technique finds it).",
            "The month-on-month comparison turns a 4-week month RED when it is over 5% worse "
            "than the month before; the control chart sets its limits from 12 baseline weeks "
            "and applies the run rules of the control-chart section.",
            f"The control chart is the better technique for {trusted} of "
            f"{plural(len(self.table), 'KPI')}. " + first.recommendation.replace(
                "Trust", f"For {in_sentence(METRICS[next(iter(self.comparisons))].label)}: trust", 1),
        ])]
        parts.append(table_html(
            self.table,
            formats={col: fmt_pct for col in ("rag_false_alarms", "chart_false_alarms",
                                              "rag_found_2sd", "chart_found_2sd")}
            | {col: (lambda v: fmt_number(v, 1)) for col in ("rag_delay_2sd", "chart_delay_2sd")},
            labels={"kpi": "KPI", "chart": "control chart",
                    "rag_false_alarms": "RAG: false alarm in a month",
                    "chart_false_alarms": "chart: false alarm in a month",
                    "rag_found_2sd": "RAG: a 2-standard-deviation worsening found within 12 weeks",
                    "chart_found_2sd": "chart: found in 12 weeks",
                    "rag_delay_2sd": "RAG: median weeks to find",
                    "chart_delay_2sd": "chart: median weeks to find", "trust": "trust"},
            caption="False alarms when nothing changed, and detection of a planted worsening"))
        fig, ax = plt.subplots(figsize=(8, 3.4))
        first.plot(ax)
        label = in_sentence(METRICS[next(iter(self.comparisons))].label)
        parts.append(figure_html(fig, alt=f"Bar chart comparing month-on-month RAG and the control "
                                          f"chart on {label}: false alarms and detection rates."))
        for name, result in self.comparisons.items():
            parts.extend(note_html(f"{METRICS[name].label}: {w}") for w in result.warnings)
        parts.extend(note_html(n) for n in self.review.technique_notes)
        return "".join(parts)
