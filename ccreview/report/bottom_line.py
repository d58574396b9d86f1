"""The bottom line: two or three sentences on how the period went, from computed results.

Every number comes from a table the sections show too: the targets and tiles from
:func:`~ccreview.review.headline.headline_kpis`, the movements from the overall and segment rows
of :attr:`Review.comparisons` against the previous period, the degraded weeks and what happened
in them from :attr:`Review.degraded_weeks`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ccreview.data import columns as c
from ccreview.kpis.catalogue import METRICS
from ccreview.kpis.compute import kpi_values
from ccreview.report.formatting import priority_label
from ccreview.report.narrative import degraded_weeks
from ccreview.review.headline import previous_period_rows
from ccreview.stats.effects import IMPROVED, WORSENED
from ccreview.wording import fmt_pct, format_value, in_sentence, plural

__all__ = ["bottom_line"]

#: segment column -> the word a reader uses
SEGMENT_WORDS = {c.QUEUE: "queue", c.CHANNEL: "channel", c.PRIORITY: "priority"}


def _listing(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _largest_moves(rows: pd.DataFrame, k: int = 3) -> list[str]:
    """The ``k`` largest relative moves, as "customer satisfaction (72.6% → 65.5%)"."""
    if not len(rows):
        return []
    before, after = rows["before"].astype(float), rows["after"].astype(float)
    size = (after - before).abs() / before.abs().replace(0, np.nan)
    top = rows.assign(_size=size.fillna(0)).sort_values("_size", ascending=False).head(k)
    out = []
    for metric, row in top.iterrows():
        spec = METRICS[metric]
        out.append(f"{in_sentence(spec.label)} ({format_value(row['before'], spec.unit)} → "
                   f"{format_value(row['after'], spec.unit)})")
    return out


def _targets_sentence(headline: pd.DataFrame) -> str:
    judged = headline.dropna(subset=["target"])
    judged = judged[judged["met"].notna()]
    if not len(judged):
        return ""
    missed = judged[judged["met"].eq(False)]
    if not len(missed):
        return f"All {len(judged)} KPI targets were met"
    names = [in_sentence(label) for label in missed["label"]]
    return f"{len(missed)} of {len(judged)} KPI targets were missed ({_listing(names)})"


def _concentration(review) -> str:
    table = review.comparisons
    if not len(table):
        return ""
    rows = table[(table["segment_by"] != "") & table["against"].str.startswith("previous")
                 & (table["verdict"] == WORSENED)]
    if len(rows) < 3:
        return ""
    counts = rows.groupby(["segment_by", "segment"]).size().sort_values(ascending=False)
    (column, segment), top = counts.index[0], int(counts.iloc[0])
    second = int(counts.iloc[1]) if len(counts) > 1 else 0
    if top < 3 or top < 1.5 * second:
        return ""
    name = (f"priority {priority_label(segment)}" if column == c.PRIORITY
            else f"{SEGMENT_WORDS.get(column, column)} {segment}")
    return (f"The worsening concentrates in {name}: {plural(top, 'measure')} got worse there, more than "
            "in any other segment.")


#: a segment must hold this share of the volume to be named as where a missed target sits
MIN_SEGMENT_SHARE = 0.05


def _worst_segment(review, headline: pd.DataFrame) -> str:
    """Where the worst-missed target sits, when no earlier period says where things worsened:
    the segment (queue or channel for contacts, priority or channel for incidents) whose value
    lies furthest on the wrong side of the whole period's, among segments with at least 5% of
    the volume, from :func:`~ccreview.kpis.compute.kpi_values` (the number the sections use)."""
    missed = headline[headline["met"].eq(False) & headline["unit"].eq("share")]
    if not len(missed):
        return ""
    gap = (missed["value"] - missed["target"]).abs() / missed["target"].abs()
    row = missed.loc[gap.idxmax()]
    obs = review.observations(row["metric"])
    if obs is None or not len(obs):
        return ""
    best = None
    for column in SEGMENT_WORDS:
        if column not in obs or obs[column].nunique(dropna=True) < 2:
            continue
        values = kpi_values(obs, metric=row["metric"], start=review.params.start, end=review.as_of, by=column)
        values = values[values["n"] >= MIN_SEGMENT_SHARE * values["n"].sum()]
        if not len(values):
            continue
        sign = -1.0 if row["better"] == "higher" else 1.0
        worst = values.loc[(sign * values["value"]).idxmax()]
        excess = sign * (worst["value"] - row["value"])
        if excess > 0 and (best is None or excess > best[0]):
            best = (excess, column, worst[column], worst["value"])
    if best is None:
        return ""
    _, column, segment, value = best
    name = (f"priority {priority_label(segment)}" if column == c.PRIORITY
            else f"{SEGMENT_WORDS[column]} {segment}")
    return (f"{in_sentence(row['label'])[:1].upper()}{in_sentence(row['label'])[1:]} was furthest from its "
            f"target in {name}: {format_value(value, 'share')} against {format_value(row['value'], 'share')} "
            "overall.")


def _degraded(review) -> str:
    if "contacts" not in review.data:
        return ""
    found = degraded_weeks(review.weekly_contacts, review.degraded_weeks)
    if found is None:
        return ""
    several = found.count > 1
    text = (f"Service broke down in the week{'s' if several else ''} starting {found.weeks}: "
            f"{fmt_pct(found.abandonment)} of calls and chats abandoned against "
            f"{fmt_pct(found.abandonment_elsewhere)} in the other weeks")
    if found.causes:
        return text + f", with {found.cause_text}."
    return text + "; the data holds no major incident, change or surge that explains it."


def bottom_line(review, headline: pd.DataFrame) -> list[str]:
    """Two or three sentences: targets and the largest moves against the previous period,
    where the worsening concentrates, and the one structural event (degraded weeks and what
    the data knows happened in them)."""
    first = _targets_sentence(headline)
    previous = previous_period_rows(review)
    if len(previous):
        against = str(previous["against"].iloc[0])
        worse, better = previous[previous["verdict"] == WORSENED], previous[previous["verdict"] == IMPROVED]
        moved = (f"against the {against}, {plural(len(worse), 'measure')} got worse beyond chance and "
                 f"{len(better) or 'none'} better")
        largest = _largest_moves(worse)
        if largest:
            moved += f", most of all {_listing(largest)}"
        first = f"{first}; {moved}" if first else moved[:1].upper() + moved[1:]
    sentences = [first + "."] if first else []
    where = _concentration(review) or _worst_segment(review, headline)
    sentences += [s for s in (where, _degraded(review)) if s]
    return sentences
