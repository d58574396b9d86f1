"""The definitions of the measures a report shows, with their catalogue ids, and a glossary."""

from __future__ import annotations

import pandas as pd

from ccreview.data import columns as c
from ccreview.kpis.catalogue import METRICS
from ccreview.kpis.compute import service_level_definition
from ccreview.report.formatting import table_html
from ccreview.report.sections.base import Section
from ccreview.review.review import Review

__all__ = ["GLOSSARY", "Definitions"]


class Definitions(Section):
    """The definitions of the metrics this report shows."""

    def __init__(self, review: Review, names: list[str] | None = None, *,
                 change_id: str | None = None) -> None:
        super().__init__(review)
        if change_id is not None:  # the metric a change evaluation shows
            metric = review.change_evaluation(change_id).change[c.METRIC]
            names = [metric] if metric in METRICS else []
        self.glossary = names is None and change_id is None
        if names is None:  # the measures this report can show: those the data supports
            names = [n for n in METRICS if not review.missing_reason(n)]
        chosen = {"service_level": service_level_definition(review.params.kpi_settings)}
        self.table = pd.DataFrame(
            [{"metric": METRICS[n].label, "id": n, "definition": chosen.get(n, METRICS[n].definition),
              "better": METRICS[n].better} for n in names], columns=["metric", "id", "definition", "better"])

    def _body_html(self) -> str:
        if not len(self.table):
            return "<p>The metric named is not in the KPI catalogue.</p>"
        parts = [table_html(self.table, labels={"id": "id (for objectives.yaml)"})]
        if self.glossary:
            parts.append("<h3>Glossary</h3>")
            parts.append(table_html(pd.DataFrame(GLOSSARY, columns=["term", "meaning"])))
        return "".join(parts)


#: the few technical words the report uses, in plain language
GLOSSARY = [
    ("95% interval", "The range the true value lies in, given the data, with 95% confidence. A wide "
                     "interval means few cases."),
    ("beyond chance", "Larger than the ordinary ups and downs from day to day would produce: with "
                      "nothing changed, about 1 comparison in 20 or fewer is called a change."),
    ("no material change", "A change that is real but smaller than the smallest change that matters "
                           "for that measure (for example 1 point of a share)."),
    ("percentage points (pts)", "The difference between two percentages: 60% to 55% is 5 points."),
    ("median, 90th percentile", "Half the incidents took less than the median; nine in ten less than "
                                "the 90th percentile."),
    ("control chart", "A measure week by week with limits from a baseline; a point beyond them, or a "
                      "run on one side, signals a change the weekly noise does not explain."),
    ("special cause", "An event outside the usual process (an outage, a major incident) that moves a "
                      "measure; such weeks are left out of baselines and change evaluations."),
    ("difference in differences", "A change judged against a comparison group it did not touch, so "
                                  "that what hit everyone at once cancels out."),
    ("interrupted time series", "A change judged against the trend before it, extended."),
    ("quarantined", "An input row that could not be used, kept aside with its reason and counted, "
                    "never silently dropped."),
]
