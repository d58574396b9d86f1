"""The headline measures of a review's first screen, each from the one implementation.

:func:`headline_kpis` puts together, per measure: the period's value (:meth:`Review.kpi`), the
target of ``objectives.yaml`` and whether it is met (:attr:`Review.scorecard`), the previous
period's value with the change and its verdict (the overall row of :attr:`Review.comparisons`
against the previous period) and the weekly values of the period for a sparkline
(:func:`~ccreview.kpis.compute.kpi_series`). The tiles, the bottom line and the index page
read this table, so they cannot disagree with the sections.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ccreview.data import columns as c
from ccreview.kpis.catalogue import METRICS
from ccreview.kpis.compute import kpi_series

__all__ = ["CUSTOMER_KPIS", "HEADLINE_COLUMNS", "headline_kpis", "previous_period_rows"]

#: customer measures shown beside the operational ones when the data has them
CUSTOMER_KPIS = ("csat", "nps", "complaints_per_1000_contacts")
HEADLINE_COLUMNS = ["metric", "label", "unit", "better", "value", "target", "met", "previous",
                    "difference", "effect_scale", "verdict", "weekly", "group"]


def previous_period_rows(review) -> pd.DataFrame:
    """The overall rows of :attr:`Review.comparisons` against the previous period, by metric."""
    table = review.comparisons
    if not len(table):
        return pd.DataFrame(columns=[c.METRIC]).set_index(c.METRIC)
    rows = table[(table["segment_by"] == "") & table["against"].str.startswith("previous")]
    return rows.drop_duplicates(c.METRIC).set_index(c.METRIC)


def _weekly(review, metric: str) -> list[float]:
    obs = review.observations(metric)
    if obs is None or not len(obs):
        return []
    series = kpi_series(obs, metric=metric, start=review.params.start, end=review.as_of, freq="W")
    return [float(v) for v in series["value"].to_numpy(float)]


def headline_kpis(review) -> pd.DataFrame:
    """One row per headline measure: the scorecard's KPIs (with targets), then the customer
    measures the data has. Columns :data:`HEADLINE_COLUMNS`; ``group`` is "operations" or
    "customers"; ``weekly`` lists the period's whole weeks' values (NaN where a week has none)."""
    card = review.scorecard
    previous = previous_period_rows(review)
    rows = []
    chosen = list(dict.fromkeys(card["metric"]))
    extra = [m for m in CUSTOMER_KPIS if m not in chosen and review.observations(m) is not None
             and len(review.observations(m))]
    for metric in chosen + extra:
        spec = METRICS[metric]
        target_row = card[card["metric"] == metric]
        value = review.kpi(metric)
        if not target_row.empty:
            target, met = float(target_row["target"].iloc[0]), target_row["met"].iloc[0]
        else:
            target, met = np.nan, None
        before = previous.loc[metric] if metric in previous.index else None
        rows.append({
            "metric": metric, "label": spec.label, "unit": spec.unit, "better": spec.better,
            "value": value, "target": target, "met": met,
            "previous": float(before["before"]) if before is not None else np.nan,
            "difference": float(before["difference"]) if before is not None else np.nan,
            "effect_scale": before["effect_scale"] if before is not None else "",
            "verdict": before["verdict"] if before is not None else "",
            "weekly": _weekly(review, metric),
            "group": "customers" if spec.table == "feedback" else "operations",
        })
    return pd.DataFrame(rows, columns=HEADLINE_COLUMNS)
