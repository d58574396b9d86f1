"""The monitoring-methods review: QA methods, evaluators and samples over the twelve months to
the end of the period. :class:`MonitoringResults` is mixed into
:class:`~ccreview.review.review.Review`."""

from __future__ import annotations

from functools import cached_property

import pandas as pd

from ccreview.data import columns as c
from ccreview.kpis import monitoring as mon

__all__ = ["MONITORING_MONTHS", "MonitoringResults"]

#: QA methods are compared over this many months to the end of the period (a quarter alone
#: holds too few critical errors to compare methods)
MONITORING_MONTHS = 12


class MonitoringResults:
    """QA-method results of a :class:`~ccreview.review.review.Review`."""

    @cached_property
    def qa_for_methods(self) -> pd.DataFrame | None:
        """QA evaluations of the twelve months to the period end (None without the table)."""
        if "qa_evaluations" not in self.data:
            return None
        qa = self.data["qa_evaluations"]
        start = self.params.end - pd.DateOffset(months=MONITORING_MONTHS)
        inside = (qa[c.EVALUATED_AT] >= start) & (qa[c.EVALUATED_AT] < self.params.end)
        return qa[inside.to_numpy()].reset_index(drop=True)

    def method_profile(self, hours: dict[str, float] | None = None) -> pd.DataFrame:
        """Each QA method's coverage, precision, detection, timeliness and cost."""
        contacts = self.data["contacts"] if "contacts" in self.data else None
        return mon.method_profile(self.qa_for_methods, contacts, hours={**mon.DEFAULT_HOURS, **(hours or {})})

    @cached_property
    def evaluator_leniency(self) -> pd.DataFrame:
        """Evaluators whose scores sit apart from the others'."""
        return mon.evaluator_leniency(self.qa_for_methods)

    @cached_property
    def evaluator_agreement(self) -> dict:
        """Agreement on contacts scored twice."""
        return mon.agreement(self.qa_for_methods)

    @cached_property
    def qa_sample_sizes(self) -> pd.DataFrame:
        """What the QA sample can tell, against what it would need."""
        months = (self.params.end - self.params.start).days / 30.44
        return mon.qa_sample_sizes(self.qa_for_methods, months=months)
