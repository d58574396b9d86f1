"""The review of one period: its parameters, its validated data, and every result
computed from them, once and on demand.

A notebook opens the review once (``review = open_review(...)``) and shows each
section of :mod:`ccreview.report.sections` with one expression.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from ccreview.clocks.periods import full_weeks
from ccreview.config.parameters import RunParameters, parse_period
from ccreview.data import columns as c
from ccreview.data.dataset import Dataset
from ccreview.data.prepared import load_prepared
from ccreview.data.schema import TABLES, empty_frame
from ccreview.data.validate import load_inputs
from ccreview.incidents.targets import (
    TargetClocks,
    in_period,
    target_clocks,
    target_outcomes,
)
from ccreview.kpis.catalogue import METRICS
from ccreview.kpis.compute import backlog_age_profile, kpi_values
from ccreview.kpis.contacts import contact_kpis
from ccreview.kpis.observations import SEGMENT_COLUMNS, observations
from ccreview.review.compliance import ComplianceResults
from ccreview.review.feedback import FeedbackResults
from ccreview.review.major import MajorIncidentResults
from ccreview.review.monitoring import MonitoringResults
from ccreview.review.parameters import load_parameters
from ccreview.review.performance import PerformanceResults
from ccreview.review.special_causes import degraded_week_causes
from ccreview.review.subset import SubsetDataset, subset_dataset
from ccreview.stats import kinds

__all__ = ["CENSORING_SLACK", "Review", "open_review"]

#: data ending this much before the period end is judged where it ends (censored after)
CENSORING_SLACK = pd.Timedelta(days=1)
#: the columns that say when something was recorded, per table
_RECORDED_AT = {
    "incidents": (c.OPENED_AT, c.FIRST_RESPONSE_AT, c.RESOLVED_AT, c.CLOSED_AT),
    "incident_events": (c.AT,),
    "contacts": (c.ARRIVED_AT,),
}




class Review(ComplianceResults, PerformanceResults, FeedbackResults, MajorIncidentResults, MonitoringResults):
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
    def data_ends(self) -> pd.Timestamp | None:
        """The last instant any incident, event or contact records: where the export was
        taken, at the latest (None without timestamps)."""
        found = []
        for table, columns in _RECORDED_AT.items():
            if table in self.data:
                frame = self.data[table]
                found += [frame[col].max() for col in columns if col in frame]
        found = [t for t in found if pd.notna(t)]
        return max(found) if found else None

    @cached_property
    def as_of(self) -> pd.Timestamp:
        """When the data is judged: the period end, or where the data ends when that is more
        than a day earlier. A target still running when the export was taken is not judged,
        and the weeks after it are not charted: they are censored, not a signal."""
        ends = self.data_ends
        if ends is not None and ends < self.params.end - CENSORING_SLACK:
            return ends
        return self.params.end

    @cached_property
    def clocks(self) -> TargetClocks:
        """Every incident's target clocks (business hours, pauses) as known at the period
        end, computed once for the outcomes, the criterion table and the grading audit."""
        events = self.data["incident_events"] if "incident_events" in self.data else None
        return target_clocks(self.data["incidents"], criteria=self.params.criteria,
                             as_of=self.as_of, events=events)

    @cached_property
    def all_outcomes(self) -> pd.DataFrame:
        """Response and resolution outcomes of every incident, as known at the period end
        (the earlier periods' outcomes feed the comparisons and control charts)."""
        return target_outcomes(self.data["incidents"], criteria=self.params.criteria,
                               as_of=self.as_of, clocks=self.clocks)

    @cached_property
    def outcomes(self) -> pd.DataFrame:
        """Response and resolution outcomes judged in the period."""
        return in_period(self.all_outcomes, start=self.params.start, end=self.as_of)

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
        (:func:`ccreview.kpis.observations.observations`); None when its table is absent."""
        if name not in self._observations:
            outcomes = self.all_outcomes if METRICS[name].table == "incidents" else None
            found = None if self.missing_reason(name) else observations(
                name, self.tables, settings=self.params.kpi_settings, outcomes=outcomes)
            self._observations[name] = found
        return self._observations[name]

    @cached_property
    def weekly_contacts(self) -> pd.DataFrame:
        """Contact KPIs per whole week of the period, one row per week, from
        :func:`~ccreview.kpis.contacts.contact_kpis` (so the definitions the parameter file
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

    @cached_property
    def degraded_weeks(self) -> pd.DataFrame:
        """The period's degraded weeks (:func:`~ccreview.review.special_causes.degraded_week_starts`)
        with what the data knows happened in them: ``period_start`` and ``causes``."""
        return degraded_week_causes(
            self.weekly_contacts,
            major_incidents=self.data["major_incidents"] if "major_incidents" in self.data else None,
            changes=self.data["changes"] if "changes" in self.data else None,
            timezone=str(self.params.start.tz))

    def full_weeks(self, table: pd.DataFrame) -> pd.DataFrame:
        """Keep the weeks of a weekly table that lie wholly inside the period."""
        return full_weeks(table, start=self.params.start, end=self.params.end)

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
        return backlog_age_profile(self.data["incidents"], at=self.as_of)

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
            if not note and metric.kind == kinds.SNAPSHOT:
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
            if not note and (np.isnan(value) or (metric.kind != kinds.COUNT and n == 0)):
                note = "no data in the period"
            rows.append({"metric": name, "value": value, "n": n, "note": note})
        return pd.DataFrame(rows)

    @cached_property
    def change_evaluations(self) -> dict:
        """Changes implemented in this period or the one before, each evaluated
        (:func:`ccreview.review.changes.evaluate_change`), by change id."""
        from ccreview.review.changes import changes_to_evaluate

        if "changes" not in self.data:
            return {}
        due = changes_to_evaluate(self.data["changes"], start=self.params.start, end=self.params.end)
        return {cid: self.change_evaluation(cid) for cid in due[c.CHANGE_ID]}

    @cached_property
    def change_stems(self) -> dict[str, str]:
        """File-name stems of the register's changes, distinct for distinct ids
        (:func:`ccreview.review.changes.change_stems`)."""
        from ccreview.review.changes import change_stems

        return change_stems(self.data["changes"][c.CHANGE_ID]) if "changes" in self.data else {}

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


def open_review(parameters_file: str | Path, *, prepared_dir: str | Path | None = None,
                period: object = None, queue: object = None, team: object = None) -> Review:
    """Open a review for a parameter file.

    Parameters
    ----------
    parameters_file : str or Path
        The run's parameter file.
    prepared_dir : str or Path, optional
        Validated data saved by ``ccreview run``; when omitted (interactive use),
        the raw files are loaded and validated here.
    period : str or dict, optional
        Another review period than the parameter file's (``"2026-Q2"``, ``{start, end}``).
    queue, team : str, optional
        Review one queue or one team (several separated by commas) on its own
        (:func:`~ccreview.review.subset.subset_dataset`).

    Returns
    -------
    Review
    """
    params = load_parameters(parameters_file)
    if period is not None and str(period).strip():
        start, end = parse_period(period, str(params.start.tz))
        params = replace(params, start=start, end=end)
    if prepared_dir:
        data = load_prepared(prepared_dir)
    else:
        data = load_inputs(params)
    data = subset_dataset(data, queue=queue, team=team)
    if isinstance(data, SubsetDataset):
        params = replace(params, title=f"{params.title} — {data.description}")
    return Review(params, data)
