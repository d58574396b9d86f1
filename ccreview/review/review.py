"""The review of one period: its parameters, its validated data, and every result
computed from them, once and on demand.

A notebook opens the review once (``review = open_review(...)``) and shows each
section of :mod:`ccreview.report.sections` with one expression.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from ccreview.config.parameters import RunParameters
from ccreview.data import columns as c
from ccreview.data.prepared import load_prepared
from ccreview.data.schema import TABLES, empty_frame
from ccreview.data.validate import Dataset, load_inputs
from ccreview.incidents.criteria_table import (
    criterion_catalogue,
    criterion_rates,
    criterion_table,
    criterion_trend,
    data_health,
    judged_in,
    what_if,
)
from ccreview.incidents.grading import GradingAudit, expected_priority, grading_audit
from ccreview.incidents.handoffs import breach_owners, holding_periods
from ccreview.incidents.targets import (
    TargetClocks,
    compliance_rates,
    in_period,
    least_compliant_segments,
    target_clocks,
    target_outcomes,
)
from ccreview.kpis.catalogue import METRIC_BETTER, METRICS, full_weeks
from ccreview.kpis.compute import backlog_age_profile, kpi_series, kpi_values
from ccreview.kpis.contacts import contact_kpis
from ccreview.kpis.observations import SEGMENT_COLUMNS, observations
from ccreview.review.comparisons import BASELINE_WEEKS, comparison_rows, comparison_windows, metric_chart
from ccreview.review.parameters import load_parameters
from ccreview.stats.comparisons import compare_periods
from ccreview.stats.control_charts import MIN_BASELINE_POINTS, ControlChart
from ccreview.stats.intervals import wilson_interval
from ccreview.stats.run_rules import DEFAULT_RULES
from ccreview.wording import plural

__all__ = ["MIN_STANDOUT_RATE", "Review", "open_review"]

#: the columns each table's metrics are compared by, besides overall
SEGMENTS_COMPARED = {"contacts": (c.QUEUE, c.CHANNEL), "incidents": (c.PRIORITY, c.CHANNEL)}

#: a team's mis-grading is not called out below this rate, however low the overall rate
MIN_STANDOUT_RATE = 0.01


class Review:
    """A review period's data and everything computed from it (computed once, on demand)."""

    def __init__(self, params: RunParameters, data: Dataset) -> None:
        self.params = params
        self.data = data if "incidents" in data else _WithoutIncidents(data, params.timezone)
        self._observations: dict[str, pd.DataFrame | None] = {}
        self._evaluations: dict = {}
        #: why a metric's monitoring techniques were not compared
        self.technique_notes: list[str] = []

    def _in_period(self, table: str, at: str) -> pd.DataFrame:
        if table not in self.data and table != "incidents":  # incidents: an empty table
            return pd.DataFrame(columns=[at])
        frame = self.data[table]
        mask = (frame[at] >= self.params.start) & (frame[at] < self.params.end)
        return frame.loc[mask.to_numpy()]

    @cached_property
    def incidents(self) -> pd.DataFrame:
        """Incidents opened in the period."""
        return self._in_period("incidents", c.OPENED_AT)

    @cached_property
    def contacts(self) -> pd.DataFrame:
        """Contacts that arrived in the period."""
        return self._in_period("contacts", c.ARRIVED_AT)

    @cached_property
    def resolved(self) -> pd.DataFrame:
        """Incidents resolved in the period (whenever opened)."""
        return self._in_period("incidents", c.RESOLVED_AT)

    @cached_property
    def clocks(self) -> TargetClocks:
        """Every incident's target clocks (business hours, pauses) as known at the period
        end, computed once for the outcomes, the criterion table and the grading audit."""
        events = self.data["incident_events"] if "incident_events" in self.data else None
        return target_clocks(self.data["incidents"], criteria=self.params.criteria,
                             as_of=self.params.end, events=events)

    @cached_property
    def all_outcomes(self) -> pd.DataFrame:
        """Response and resolution outcomes of every incident, as known at the period end
        (the earlier periods' outcomes feed the comparisons and control charts)."""
        return target_outcomes(self.data["incidents"], criteria=self.params.criteria,
                               as_of=self.params.end, clocks=self.clocks)

    @cached_property
    def outcomes(self) -> pd.DataFrame:
        """Response and resolution outcomes judged in the period."""
        return in_period(self.all_outcomes, start=self.params.start, end=self.params.end)

    @cached_property
    def tables(self) -> dict[str, pd.DataFrame]:
        """The validated tables, by name, with the few-valued columns metrics are split by
        (queue, channel, team ...) held as categoricals: grouping millions of contacts then
        works on small integer codes instead of text."""
        out = {}
        for name in self.data.tables:
            if name not in self.data:
                continue
            frame = self.data[name]
            few = {col: "category" for col in SEGMENT_COLUMNS
                   if col in frame and frame[col].dtype != "category"}
            out[name] = frame.astype(few) if few else frame
        return out

    def observations(self, name: str) -> pd.DataFrame | None:
        """What catalogue metric ``name`` counts or measures, one row each, over all the data
        (:func:`ccreview.kpis.compute.observations`); None when its table is absent."""
        if name not in self._observations:
            outcomes = self.all_outcomes if METRICS[name].table == "incidents" else None
            found = None if self.missing_reason(name) else observations(
                name, self.tables, settings=self.params.kpi_settings, outcomes=outcomes)
            self._observations[name] = found
        return self._observations[name]

    @cached_property
    def reconciliation(self) -> pd.DataFrame:
        """The source system's own SLA flag against each recomputed target.

        One row per target: ``n`` (incidents judged on both), ``agree``, ``source_met_we_breached``,
        ``source_breached_we_met`` and ``agreement`` (share). Empty when the incidents
        carry no source flag.
        """
        incidents = self.data["incidents"]
        if "incidents" not in self.data or not self.data.tables["incidents"].has(c.SOURCE_SLA_MET):
            return pd.DataFrame()
        flag = incidents.set_index(c.INCIDENT_ID)[c.SOURCE_SLA_MET]
        judged = self.outcomes[self.outcomes["outcome"].isin(["met", "breached"])]
        theirs = judged[c.INCIDENT_ID].map(flag)
        known = theirs.notna().to_numpy()
        ours = judged["outcome"].eq("met").to_numpy()[known]
        theirs = theirs.to_numpy(dtype=bool, na_value=False)[known]
        table = pd.DataFrame({"target": judged["target"].to_numpy()[known],
                              "agree": ours == theirs,
                              "source_met_we_breached": theirs & ~ours,
                              "source_breached_we_met": ~theirs & ours})
        out = table.groupby("target", sort=False).agg(
            n=("agree", "size"), agree=("agree", "sum"),
            source_met_we_breached=("source_met_we_breached", "sum"),
            source_breached_we_met=("source_breached_we_met", "sum")).reset_index()
        out["agreement"] = out["agree"] / out["n"]
        return out

    def _criterion_inputs(self) -> dict:
        absent = {name: result.absent_columns for name, result in self.data.tables.items()}
        return {"as_of": self.params.end, "start": self.params.start, "absent": absent,
                "events": self.data["incident_events"] if "incident_events" in self.data else None,
                "major_incidents": (self.data["major_incidents"] if "major_incidents" in self.data
                                    else None)}

    @cached_property
    def all_criteria(self) -> pd.DataFrame:
        """Every incident against every agreed criterion, as known at the period end."""
        return criterion_table(self.data["incidents"], criteria=self.params.criteria,
                               **{**self._criterion_inputs(), "start": None}, clocks=self.clocks)

    @cached_property
    def criteria_table(self) -> pd.DataFrame:
        """Every incident judged in the period against every agreed criterion (targets,
        grading, procedure rules): :func:`ccreview.incidents.criteria_table.criterion_table`."""
        return judged_in(self.all_criteria, start=self.params.start, as_of=self.params.end)

    @cached_property
    def criteria_scorecard(self) -> pd.DataFrame:
        """Compliance per criterion with Wilson intervals, its statement and severity."""
        rates = criterion_rates(self.criteria_table)
        catalogue = criterion_catalogue(self.params.criteria)
        return catalogue.merge(rates, on="criterion", how="left")

    @cached_property
    def criteria_trend(self) -> pd.DataFrame:
        """Compliance per criterion and month over all incidents, as known at the period end."""
        return criterion_trend(self.all_criteria, freq="M", timezone=self.params.timezone)

    @cached_property
    def grading_audit(self) -> GradingAudit:
        """Expected against recorded priority, and what mis-grading does to compliance."""
        events = self.data["incident_events"] if "incident_events" in self.data else None
        return grading_audit(self.data["incidents"], criteria=self.params.criteria,
                             as_of=self.params.end, events=events, start=self.params.start,
                             outcomes=self.all_outcomes)

    @cached_property
    def breach_owners(self) -> pd.DataFrame:
        """For each breached target of the period, the team holding the incident when it fell due."""
        if "incident_events" not in self.data or not len(self.outcomes):
            return pd.DataFrame(columns=[c.INCIDENT_ID, c.PRIORITY, "target", "due_at", c.TEAM])
        return breach_owners(self.outcomes, self.data["incidents"], self.data["incident_events"],
                             criteria=self.params.criteria, as_of=self.params.end)

    @cached_property
    def what_if(self) -> pd.DataFrame:
        """Compliance per criterion now and under ``what_if_criteria`` (empty when not given)."""
        if self.params.what_if_criteria is None:
            return pd.DataFrame()
        return what_if(self.data["incidents"], criteria=self.params.criteria,
                       alternative=self.params.what_if_criteria, **self._criterion_inputs(),
                       current=self.criteria_table)

    @cached_property
    def clock_health(self) -> pd.DataFrame:
        """Data the clocks have to cope with (no events, events before opening, DST gaps)."""
        events = self.data["incident_events"] if "incident_events" in self.data else None
        return data_health(self.data["incidents"], events, issues=self.data.issues())

    @cached_property
    def segments(self) -> pd.DataFrame:
        """Teams, channels and categories with the most breaches beyond the overall rate."""
        if not len(self.outcomes):
            return pd.DataFrame()
        return least_compliant_segments(self.outcomes, self.data["incidents"],
                                        by=[c.ASSIGNED_TEAM, c.CHANNEL, c.CATEGORY])

    @cached_property
    def holding(self) -> pd.DataFrame:
        """Stretches of time each incident opened in the period spent with one team."""
        if "incident_events" not in self.data:
            return pd.DataFrame()
        return holding_periods(self.data["incident_events"], self.incidents, as_of=self.params.end)

    @cached_property
    def compliance(self) -> pd.DataFrame:
        """Compliance per target, overall."""
        return compliance_rates(self.outcomes)

    @cached_property
    def compliance_by_priority(self) -> pd.DataFrame:
        """Compliance per target and priority."""
        return compliance_rates(self.outcomes, by=c.PRIORITY)

    @cached_property
    def weekly_contacts(self) -> pd.DataFrame:
        """Contact KPIs per whole week of the period, one row per week, from
        :func:`~ccreview.kpis.compute.contact_kpis` (so the definitions the parameter file
        chose hold here too): ``period_start``, then per contact metric its ``value`` under
        the metric's name and its ``<metric>_numerator`` and ``<metric>_denominator``."""
        if "contacts" not in self.data:
            return pd.DataFrame()
        weekly = contact_kpis(self.tables["contacts"], start=self.params.start, end=self.params.end,
                              settings=self.params.kpi_settings, freq="W")
        if not len(weekly):
            return pd.DataFrame()
        wide = weekly.pivot(index=c.PERIOD_START, columns=c.METRIC,
                            values=["value", "numerator", "denominator"])
        out = wide["value"].copy()
        for part in ("numerator", "denominator"):
            out = out.join(wide[part].add_suffix(f"_{part}"))
        out.columns.name = None
        return out.reset_index()

    def full_weeks(self, table: pd.DataFrame) -> pd.DataFrame:
        """Keep the weeks of a weekly table that lie wholly inside the period."""
        return full_weeks(table, start=self.params.start, end=self.params.end)

    @cached_property
    def grading(self) -> pd.DataFrame:
        """Recorded vs expected priority per assigned team (impact x urgency matrix)."""
        inc = self.incidents
        matrix = self.params.criteria.priority_matrix
        known = inc[c.IMPACT].notna() & inc[c.URGENCY].notna()
        part = inc.loc[known.to_numpy()]
        expected = expected_priority(part[c.IMPACT], part[c.URGENCY], matrix)
        in_matrix = ~np.isnan(expected)
        work = pd.DataFrame({
            c.ASSIGNED_TEAM: part[c.ASSIGNED_TEAM].fillna("(blank)").to_numpy()[in_matrix],
            "mismatch": (part[c.PRIORITY].to_numpy(dtype=float) != expected)[in_matrix],
        })
        table = work.groupby(c.ASSIGNED_TEAM).agg(n=("mismatch", "size"),
                                                  mis_graded=("mismatch", "sum")).reset_index()
        table["rate"] = table["mis_graded"] / table["n"]
        table["ci_low"], table["ci_high"] = wilson_interval(table["mis_graded"], table["n"])
        overall = table["mis_graded"].sum() / max(table["n"].sum(), 1)
        # called out when even the low end of its interval is over twice the overall rate
        # (and over one incident in a hundred, so a spotless desk flags nobody)
        table["stands_out"] = table["ci_low"] > max(2 * overall, MIN_STANDOUT_RATE)
        table = table.sort_values("rate", ascending=False).reset_index(drop=True)
        table.attrs["overall_rate"] = overall
        return table

    def missing_reason(self, name: str) -> str:
        """Why catalogue metric ``name`` cannot be computed from the files given, or ``""``."""
        metric = METRICS[name]
        if metric.table not in self.data.tables:
            return f"no {metric.table} file was given"
        table = self.data.tables[metric.table]
        absent = [col for col in metric.needs if not table.has(col)]
        if absent:
            return f"{table.source} has no {', '.join(absent)} column"
        return ""

    @cached_property
    def backlog(self) -> pd.DataFrame:
        """Incidents open at the period end by age (:func:`ccreview.kpis.compute.backlog_age_profile`)."""
        if "incidents" not in self.data:
            return pd.DataFrame(columns=["age", "n", "share"])
        return backlog_age_profile(self.data["incidents"], at=self.params.end)

    @cached_property
    def kpis(self) -> pd.DataFrame:
        """Every catalogue metric for the period: ``metric``, ``value``, ``n`` and ``note``
        (why it is missing, when it is)."""
        rows = []
        contacts = pd.DataFrame()
        if "contacts" in self.data:  # every contact metric in one pass over the contacts
            contacts = contact_kpis(self.tables["contacts"], start=self.params.start,
                                    end=self.params.end, settings=self.params.kpi_settings)
            contacts = contacts.set_index("metric")
        for name, metric in METRICS.items():
            note, value, n = self.missing_reason(name), np.nan, 0.0
            if not note and metric.kind == "snapshot":
                value = n = float(self.backlog.attrs.get("open", np.nan))
            elif not note and name in contacts.index:
                value, n = float(contacts.loc[name, "value"]), float(contacts.loc[name, "n"])
            elif not note:
                obs = self.observations(name)
                if obs is None:
                    note = "not computable from the files given"
                else:
                    row = kpi_values(obs, metric=name, start=self.params.start,
                                     end=self.params.end).iloc[0]
                    value, n = float(row["value"]), float(row["n"])
            if not note and (np.isnan(value) or (metric.kind != "count" and n == 0)):
                note = "no data in the period"
            rows.append({"metric": name, "value": value, "n": n, "note": note})
        return pd.DataFrame(rows)

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
        now = (self.params.start, self.params.end)
        for label, start, end in comparison_windows(*now):
            rows = []
            for name, metric in METRICS.items():
                obs = self.observations(name)
                if obs is None or metric.kind == "snapshot" or not len(obs):
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
            table = compare_periods(family, directions=METRIC_BETTER)
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
            if obs is None or METRICS[name].kind == "snapshot":
                continue
            baseline, note = self._baseline_for(obs, name)
            chart = metric_chart(obs, metric=name, start=min(baseline[0], self.params.start),
                                 end=self.params.end, baseline=baseline, rules=rules,
                                 freq=self.params.chart_freq)
            if note:
                chart.warnings.insert(0, note)
            charts[name] = chart
        return charts

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
        from ccreview.stats.technique_signals import stable_weeks
        from ccreview.stats.techniques import MIN_STABLE_WEEKS, technique_comparison

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
            if obs is None or metric.kind == "snapshot":
                continue
            weekly = kpi_series(obs, metric=name, start=window[0], end=window[1])
            stable = stable_weeks(weekly, exclude=exclude)
            if stable.sum() < MIN_STABLE_WEEKS:
                self.technique_notes.append(
                    f"{metric.label}: only {int(stable.sum())} stable weeks before the period "
                    f"(at least {MIN_STABLE_WEEKS} are needed), so the techniques are not compared.")
                continue
            kind = {"duration": "continuous", "score": "continuous"}.get(metric.kind, metric.kind)
            kind = "rate" if kind == "count" else kind
            out[name] = technique_comparison(
                # counts are charted per day: a week's "cases" are its days
                weekly.assign(n=weekly["days"], value=weekly["numerator"] / weekly["days"])
                if metric.kind == "count" else weekly,
                kind=kind, better=metric.better, stable=stable, laney=True,
                rules=self.params.chart_rules or DEFAULT_RULES)
        return out

    @cached_property
    def change_evaluations(self) -> dict:
        """Changes implemented in this period or the one before, each evaluated
        (:func:`ccreview.review.changes.evaluate_change`), by change id."""
        from ccreview.review.changes import changes_to_evaluate

        if "changes" not in self.data:
            return {}
        due = changes_to_evaluate(self.data["changes"], start=self.params.start, end=self.params.end)
        return {cid: self.change_evaluation(cid) for cid in due[c.CHANGE_ID]}

    def change_evaluation(self, change_id: str):
        """The evidence for one change of the register (computed once)."""
        from ccreview.review.changes import evaluate_change

        if change_id not in self._evaluations:
            self._evaluations[change_id] = evaluate_change(self, change_id)
        return self._evaluations[change_id]

    def kpi(self, name: str) -> float:
        """The value of catalogue metric ``name`` for the period (NaN when not computable)."""
        return float(self.kpis.set_index("metric").loc[name, "value"])

    @cached_property
    def changes_implemented(self) -> pd.DataFrame:
        """Changes of the register implemented in the period: what, where, expected effect."""
        if "changes" not in self.data:
            return pd.DataFrame()
        changes = self.data["changes"]
        day = changes[c.IMPLEMENTED_ON]
        start, end = self.params.start.tz_localize(None), self.params.end.tz_localize(None)
        done = changes[((day >= start) & (day < end)).to_numpy()]
        scope = (done[[c.SCOPE_QUEUE, c.SCOPE_TEAM, c.SCOPE_CATEGORY, c.SCOPE_CHANNEL]]
                 .astype("string").fillna("").agg(lambda r: ", ".join(v for v in r if v), axis=1))
        size = done[c.EXPECTED_EFFECT].abs().map(lambda v: f" by {v:g}", na_action="ignore")
        expected = (done[c.EXPECTED_DIRECTION].astype("string").fillna("")
                    + size.astype("string").fillna("")).str.strip()
        return pd.DataFrame({
            c.CHANGE_ID: done[c.CHANGE_ID].to_numpy(),
            c.TITLE: done[c.TITLE].to_numpy(),
            c.IMPLEMENTED_ON: done[c.IMPLEMENTED_ON].dt.strftime("%Y-%m-%d").to_numpy(),
            "scope": scope.to_numpy(dtype=object) if len(done) else [],
            c.METRIC: done[c.METRIC].to_numpy(),
            "expected": expected.to_numpy(dtype=object) if len(done) else [],
            c.OWNER: done[c.OWNER].to_numpy(),
        })

    @cached_property
    def scorecard(self) -> pd.DataFrame:
        """KPI targets from objectives.yaml, each with the period's value and whether it is met."""
        rows = []
        for objective in self.params.objectives:
            for kpi in objective.kpis:
                metric = METRICS[kpi["metric"]]
                value = self.kpi(metric.name)
                note = self.kpis.set_index("metric").loc[metric.name, "note"]
                target = float(kpi["target"])
                met = value >= target if metric.better == "higher" else value <= target
                rows.append({"objective": objective.title, "metric": metric.name,
                             "label": metric.label, "unit": metric.unit, "better": metric.better,
                             "value": value,
                             "target": target, "met": bool(met) if not np.isnan(value) else None,
                             "note": note})
        return pd.DataFrame(rows, columns=["objective", "metric", "label", "unit", "better",
                                           "value", "target", "met", "note"])


class _WithoutIncidents:
    """A run's data when no incidents were given: ``"incidents" in data`` is False (so the
    report says the file was not given), but ``data["incidents"]`` is an empty, typed table,
    so every incident result is computed as empty rather than failing."""

    def __init__(self, data: Dataset, timezone: str) -> None:
        self._data = data
        self._empty = empty_frame(TABLES["incidents"], timezone=timezone)

    def __contains__(self, name: str) -> bool:
        return name in self._data

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self._empty if name == "incidents" else self._data[name]

    def __getattr__(self, name: str):
        return getattr(self._data, name)


def open_review(parameters_file: str | Path, *, prepared_dir: str | Path | None = None) -> Review:
    """Open a review for a parameter file.

    Parameters
    ----------
    parameters_file : str or Path
        The run's parameter file.
    prepared_dir : str or Path, optional
        Validated data saved by ``ccreview run``; when omitted (interactive use),
        the raw files are loaded and validated here.

    Returns
    -------
    Review
    """
    params = load_parameters(parameters_file)
    if prepared_dir:
        data = load_prepared(prepared_dir)
    else:
        data = load_inputs(params)
    return Review(params, data)
