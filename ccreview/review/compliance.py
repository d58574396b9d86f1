"""What the review says about compliance: targets, agreed criteria, grading, who held the clock."""

from __future__ import annotations

from functools import cached_property

import numpy as np
import pandas as pd

from ccreview.data import columns as c
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
    compliance_rates,
    least_compliant_segments,
)
from ccreview.stats.intervals import wilson_interval

__all__ = ["ComplianceResults"]

#: a team's mis-grading is not called out below this rate, however low the overall rate
MIN_STANDOUT_RATE = 0.01


class ComplianceResults:
    """What the review says about compliance: targets, every agreed criterion, grading, who held the clock.

    A part of :class:`~ccreview.review.review.Review`, which supplies ``params``, ``data``
    and the period slices these properties read."""

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
        return {"as_of": self.as_of, "start": self.params.start, "absent": absent,
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
        return judged_in(self.all_criteria, start=self.params.start, as_of=self.as_of)

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
                             as_of=self.as_of, events=events, start=self.params.start,
                             outcomes=self.all_outcomes)

    @cached_property
    def breach_owners(self) -> pd.DataFrame:
        """For each breached target of the period, the team holding the incident when it fell due."""
        if "incident_events" not in self.data or not len(self.outcomes):
            return pd.DataFrame(columns=[c.INCIDENT_ID, c.PRIORITY, "target", "due_at", c.TEAM])
        return breach_owners(self.outcomes, self.data["incidents"], self.data["incident_events"],
                             as_of=self.as_of)

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
        return holding_periods(self.data["incident_events"], self.incidents, as_of=self.as_of)

    @cached_property
    def unknown_teams(self) -> pd.DataFrame:
        """Teams the data names (assigned team, event team) that ``services.yaml`` does not
        list: ``team`` and ``incidents`` (how many incidents of the period name it), most
        first. A report that reads team roles from services.yaml says so instead of counting
        them as no one's."""
        known = set(self.params.services.teams["name"].astype(str))
        frames = []
        if c.ASSIGNED_TEAM in self.incidents:
            frames.append(pd.DataFrame({c.INCIDENT_ID: self.incidents[c.INCIDENT_ID].array,
                                        c.TEAM: self.incidents[c.ASSIGNED_TEAM].array}))
        if len(self.holding):
            frames.append(self.holding[[c.INCIDENT_ID, c.TEAM]])
        if not frames:
            return pd.DataFrame({c.TEAM: pd.Series(dtype=str), "incidents": pd.Series(dtype=int)})
        named = pd.concat(frames, ignore_index=True).dropna()
        named[c.TEAM] = named[c.TEAM].astype(str)
        named = named[~named[c.TEAM].isin(known) & named[c.TEAM].str.strip().ne("")]
        counts = named.drop_duplicates().groupby(c.TEAM).size().rename("incidents")
        return (counts.sort_values(ascending=False, kind="stable").reset_index())

    @cached_property
    def compliance(self) -> pd.DataFrame:
        """Compliance per target, overall."""
        return compliance_rates(self.outcomes)

    @cached_property
    def compliance_by_priority(self) -> pd.DataFrame:
        """Compliance per target and priority."""
        return compliance_rates(self.outcomes, by=c.PRIORITY)

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
