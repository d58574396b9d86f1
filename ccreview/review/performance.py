"""How performance moved: period comparisons, control charts and the monitoring-technique study."""

from __future__ import annotations

from functools import cached_property

import numpy as np
import pandas as pd

from ccreview.clocks.periods import comparison_windows
from ccreview.data import columns as c
from ccreview.data.schema import TABLES
from ccreview.kpis.catalogue import MATERIAL_CHANGE, METRIC_BETTER, METRICS
from ccreview.kpis.compute import kpi_series
from ccreview.review.comparisons import BASELINE_WEEKS, comparison_rows, metric_chart
from ccreview.stats import kinds
from ccreview.stats.comparisons import compare_periods
from ccreview.stats.control_charts import MIN_BASELINE_POINTS, ControlChart
from ccreview.stats.run_rules import DEFAULT_RULES
from ccreview.wording import plural

__all__ = ["PerformanceResults"]

#: the columns each table's metrics are compared by, besides overall
SEGMENTS_COMPARED = {"contacts": (c.QUEUE, c.CHANNEL), "incidents": (c.PRIORITY, c.CHANNEL)}


class PerformanceResults:
    """How performance moved: period comparisons, control charts and the monitoring-technique study.

    A part of :class:`~ccreview.review.review.Review`, which supplies ``params``, ``data``
    and the period slices these properties read."""

    @cached_property
    def comparisons(self) -> pd.DataFrame:
        """Each metric this period against the previous one and the same one a year earlier,
        overall and per segment (:func:`ccreview.stats.comparisons.compare_periods`; one
        Benjamini-Hochberg family for all rows of a comparison).

        Columns: ``against`` (which earlier period), the columns of ``compare_periods`` with
        ``before``/``after`` on the metric's reporting scale, and ``segment_by`` (the column
        split by, "" overall). A comparison whose earlier period has no data is left out and
        named in ``.attrs["skipped"]``.
        """
        frames, skipped = [], []
        now = (self.params.start, self.as_of)
        for label, start, end in comparison_windows(*now):
            rows = []
            for name, metric in METRICS.items():
                obs = self.observations(name)
                if obs is None or metric.kind == kinds.SNAPSHOT or not len(obs):
                    continue
                if obs["at"].min() > start + pd.Timedelta(days=7):
                    continue  # the data does not reach back to this period
                for by in (None, *SEGMENTS_COMPARED.get(metric.table, ())):
                    if by and by not in obs:
                        continue
                    part = comparison_rows(obs, metric=name, before=(start, end), after=now, by=by)
                    rows.append(part.assign(segment_by=by or ""))
            if not rows:
                skipped.append(label)
                continue
            family = pd.concat(rows, ignore_index=True)
            material = {**MATERIAL_CHANGE, **dict(self.params.kpi_settings.material_change)}
            table = compare_periods(family, directions=METRIC_BETTER, material=material)
            table["segment_by"] = family["segment_by"].to_numpy()
            table.insert(0, "against", label)
            frames.append(table)
        out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        if len(out):  # rates and counts shown per 1,000 contacts or per day, as the metric reads
            scale = out[c.METRIC].map({n: m.scale for n, m in METRICS.items()}).to_numpy()
            rate = (out["kind"] == "rate").to_numpy()
            for col in ("before", "after"):
                out[col] = np.where(rate, out[col] * scale, out[col])
        out.attrs["skipped"] = skipped
        return out

    @cached_property
    def chart_baseline(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        """Weeks that set the control limits: the parameter file's, else the 26 before the period."""
        if self.params.chart_baseline:
            return self.params.chart_baseline
        start = self.params.start
        first = (start.tz_localize(None) - pd.Timedelta(weeks=BASELINE_WEEKS)).tz_localize(start.tz)
        return first, start

    @cached_property
    def control_charts(self) -> dict[str, ControlChart]:
        """Weekly control chart of each charted metric, from the baseline to the period end."""
        charts = {}
        rules = self.params.chart_rules or DEFAULT_RULES
        for name in self.params.chart_metrics:
            obs = self.observations(name)
            if obs is None or METRICS[name].kind == kinds.SNAPSHOT:
                continue
            baseline, note = self._baseline_for(obs, name)
            chart = metric_chart(obs, metric=name, start=min(baseline[0], self.params.start),
                                 end=self.as_of, baseline=baseline, rules=rules,
                                 freq=self.params.chart_freq, period_start=self.params.start,
                                 data_days=self.data_days)
            if note:
                chart.warnings.insert(0, note)
            charts[name] = chart
        return charts

    @cached_property
    def data_days(self) -> pd.DatetimeIndex:
        """The local days on which any table of the run has a row (its main timestamp): the
        days the export covers. A day outside them is missing data, not a quiet day."""
        tz = self.params.start.tz
        days = []
        for name in self.data.tables:
            if name not in self.data or name not in TABLES:
                continue
            column = next((col.name for col in TABLES[name].columns
                           if col.kind == "datetime" and col.required), None)
            frame = self.data[name]
            if column is None or column not in frame or not len(frame):
                continue
            local = frame[column].dt.tz_convert(tz).dt.tz_localize(None).dt.normalize()
            days.append(pd.unique(local.dropna()))
        return pd.DatetimeIndex(np.unique(np.concatenate(days))) if days else pd.DatetimeIndex([])

    def _baseline_for(self, obs: pd.DataFrame, name: str
                      ) -> tuple[tuple[pd.Timestamp, pd.Timestamp], str | None]:
        """The chart's baseline: the parameter file's; else the weeks before the period when
        at least 12 of them carry a tenth of a typical week's volume; else the period itself
        (a first, "phase I" chart), with a note saying so."""
        if self.params.chart_baseline:
            return self.params.chart_baseline, None
        base = self.chart_baseline
        series = kpi_series(obs, metric=name, start=base[0], end=self.params.end,
                            freq=self.params.chart_freq)
        before = (series[c.PERIOD_START] < base[1].tz_localize(None)).to_numpy()
        typical = series.loc[~before, "n"].median() if (~before).any() else 0
        usable = int((series.loc[before, "n"] >= 0.1 * typical).sum()) if typical > 0 else 0
        if usable >= MIN_BASELINE_POINTS:
            return base, None
        unit = "day" if self.params.chart_freq == "D" else "week"
        return (self.params.start, self.params.end), (
            f"Only {plural(usable, unit)} before the period {'has' if usable == 1 else 'have'} "
            f"enough data for a baseline ({MIN_BASELINE_POINTS} are needed), so the centre line "
            f"and limits come from the period's own {unit}s: a first chart that shows which "
            f"{unit}s were unlike the rest of the period. Give earlier "
            "exports, or a baseline under control_charts in the parameter file.")

    @cached_property
    def stable_window(self) -> tuple[pd.Timestamp, pd.Timestamp] | None:
        """The longest stretch before the period with no implemented change in it: the weeks
        a "nothing changed" world is resampled from (None when there is no data before)."""
        first = min((obs["at"].min() for name in self.params.chart_metrics
                     if (obs := self.observations(name)) is not None and len(obs)), default=None)
        if first is None or first >= self.params.start:
            return None
        cuts = [first.tz_localize(None).normalize()]
        if "changes" in self.data:
            changes = self.data["changes"]
            days = changes.loc[(changes[c.STATUS] == "implemented").to_numpy(), c.IMPLEMENTED_ON]
            cuts += sorted(d for d in days.dropna() if cuts[0] < d < self.params.start.tz_localize(None))
        cuts.append(self.params.start.tz_localize(None))
        spans = list(zip(cuts[:-1], cuts[1:], strict=True))
        start, end = max(spans, key=lambda span: span[1] - span[0])
        tz = self.params.start.tz
        return start.tz_localize(tz), end.tz_localize(tz)

    @cached_property
    def technique_comparisons(self) -> dict:
        """Month-on-month RAG against control charts on each charted metric, resampled from the
        stable window (:func:`ccreview.stats.techniques.technique_comparison`)."""
        from ccreview.stats.technique_signals import MIN_STABLE_WEEKS, stable_weeks
        from ccreview.stats.techniques import technique_comparison

        window = self.stable_window
        if window is None:
            return {}
        exclude = []
        if "major_incidents" in self.data:
            declared = self.data["major_incidents"][c.DECLARED_AT].dropna().dt.tz_localize(None)
            exclude = [(d.normalize(), d.normalize()) for d in declared]
        out = {}
        for name in self.params.chart_metrics:
            obs, metric = self.observations(name), METRICS[name]
            if obs is None or metric.kind == kinds.SNAPSHOT:
                continue
            weekly = kpi_series(obs, metric=name, start=window[0], end=window[1])
            stable = stable_weeks(weekly, exclude=exclude)
            if stable.sum() < MIN_STABLE_WEEKS:
                self.technique_notes.append(
                    f"{metric.label}: only {int(stable.sum())} stable weeks before the period "
                    f"(at least {MIN_STABLE_WEEKS} are needed), so the techniques are not compared.")
                continue
            kind = kinds.CHART_SERIES_KIND[metric.kind]
            out[name] = technique_comparison(
                # counts are charted per day: a week's "cases" are its days
                weekly.assign(n=weekly["days"], value=weekly["numerator"] / weekly["days"])
                if metric.kind == kinds.COUNT else weekly,
                kind=kind, better=metric.better, stable=stable, laney=True,
                rules=self.params.chart_rules or DEFAULT_RULES)
        return out
