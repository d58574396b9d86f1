"""Real change or noise for the KPI catalogue: period comparisons and control charts.

Both read the rows :func:`ccreview.kpis.observations.observations` makes, so a comparison, a
chart and the scorecard agree on what a metric counts.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ccreview.data import columns as c
from ccreview.kpis.catalogue import METRICS
from ccreview.kpis.compute import kpi_series, kpi_values
from ccreview.stats import kinds
from ccreview.stats.attribute_charts import p_chart, u_chart
from ccreview.stats.control_charts import ControlChart, xmr_chart
from ccreview.stats.run_rules import DEFAULT_RULES

__all__ = [
    "BASELINE_WEEKS",
    "comparison_rows",
    "metric_chart",
]

#: weeks before the review period that make the default control-chart baseline
BASELINE_WEEKS = 26


def _samples(obs: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, by: str | None
             ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per segment, the values in ``[start, end)`` and each value's local day (its unit of
    evidence, :mod:`ccreview.stats.duration_tests`)."""
    at = obs["at"]
    part = obs.loc[((at >= start) & (at < end)).to_numpy()]
    local = part["at"].dt.tz_convert(start.tz).dt.tz_localize(None)
    day = ((local - start.tz_localize(None).normalize()) // pd.Timedelta(days=1)).to_numpy(
        dtype=np.int64)
    values = part["value"].to_numpy(dtype=float)
    if not by:
        return {"all": (values, day)}
    codes, names = pd.factorize(part[by], use_na_sentinel=False)
    labels = pd.Index(names).astype("string").fillna("(blank)")
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(1, len(labels)))
    return dict(zip(labels, zip(np.split(values[order], bounds), np.split(day[order], bounds),
                                strict=True), strict=True))


def _daily_units(obs: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, by: str | None,
                 *, count: bool) -> dict[str, np.ndarray]:
    """Per segment, each local day's numerator, denominator and weekday (0 = Monday) in
    ``[start, end)`` (an array of shape (days, 3)): the units of evidence of a proportion or rate comparison
    (:mod:`ccreview.stats.dispersion`). For a count (incidents opened) every day of the
    period is a unit, with an exposure of one day, including days with none."""
    at = obs["at"]
    rows = ((at >= start) & (at < end)).to_numpy()
    if not rows.any():
        return {}
    local = at[rows].dt.tz_convert(start.tz).dt.tz_localize(None)
    first = start.tz_localize(None).normalize()
    days = max(int(np.ceil((end.tz_localize(None) - first) / pd.Timedelta(days=1))), 1)
    day = np.clip(((local - first) // pd.Timedelta(days=1)).to_numpy(dtype=np.int64), 0, days - 1)
    if by:
        codes, names = pd.factorize(obs[by].array[rows], use_na_sentinel=False)
        labels = list(pd.Index(names).astype("string").fillna("(blank)"))
    else:
        codes, labels = np.zeros(rows.sum(), dtype=np.int64), ["all"]
    key = codes * days + day
    size = len(labels) * days
    numerator = np.bincount(key, weights=obs["numerator"].to_numpy(dtype=float)[rows],
                            minlength=size).reshape(len(labels), days)
    if count:
        denominator = np.ones_like(numerator)
    else:
        denominator = np.bincount(key, weights=np.nan_to_num(
            obs["denominator"].to_numpy(dtype=float)[rows]), minlength=size).reshape(len(labels),
                                                                                   days)
    weekday = (first.day_of_week + np.arange(days)) % 7
    return {label: np.column_stack([numerator[i], denominator[i], weekday])
            for i, label in enumerate(labels)}


def comparison_rows(
    obs: pd.DataFrame,
    *,
    metric: str,
    before: tuple[pd.Timestamp, pd.Timestamp],
    after: tuple[pd.Timestamp, pd.Timestamp],
    by: str | None = None,
) -> pd.DataFrame:
    """The input rows of :func:`ccreview.stats.comparisons.compare_periods` for one metric.

    Proportions and rates carry the counts of each period; counts (volumes) are compared
    as events per day; durations and scores carry each period's values.

    Returns
    -------
    DataFrame
        ``metric``, ``segment``, ``kind``, ``statistic`` and the counts or values of both periods;
        empty for snapshot metrics, which are not tested.
    """
    spec = METRICS[metric]
    if spec.kind == kinds.SNAPSHOT:
        return pd.DataFrame()
    if spec.kind in kinds.VALUES:
        first, second = _samples(obs, *before, by), _samples(obs, *after, by)
        names = sorted(set(first) | set(second))
        empty = (np.array([], dtype=float), np.array([], dtype=np.int64))
        return pd.DataFrame({
            c.METRIC: metric, "segment": names, "kind": kinds.COMPARISON_KIND[spec.kind],
            "statistic": spec.statistic,
            "before_values": [first.get(n, empty)[0] for n in names],
            "after_values": [second.get(n, empty)[0] for n in names],
            "before_days": [first.get(n, empty)[1] for n in names],
            "after_days": [second.get(n, empty)[1] for n in names]})
    parts = []
    for (start, end), side in ((before, "before"), (after, "after")):
        values = kpi_values(obs, metric=metric, start=start, end=end, by=by)
        values = values.rename(columns={by: "segment"}) if by else values.assign(segment="all")
        if spec.kind == kinds.COUNT:
            values["denominator"] = (end - start).total_seconds() / 86400  # events per day
        parts.append(values.set_index("segment")[["numerator", "denominator"]]
                     .add_prefix(f"{side}_"))
    both = parts[0].join(parts[1], how="outer").fillna(0).reset_index()
    kind = kinds.COMPARISON_KIND[spec.kind]
    count = spec.kind == kinds.COUNT
    units = [_daily_units(obs, *window, by, count=count) for window in (before, after)]
    segments = both["segment"].astype("string").fillna("(blank)")
    empty = np.zeros((0, 3))
    return pd.DataFrame({
        c.METRIC: metric, "segment": both["segment"], "kind": kind, "statistic": spec.statistic,
        "before_count": both["before_numerator"], "before_total": both["before_denominator"],
        "after_count": both["after_numerator"], "after_total": both["after_denominator"],
        "before_units": [units[0].get(s, empty) for s in segments],
        "after_units": [units[1].get(s, empty) for s in segments]})


def metric_chart(
    obs: pd.DataFrame,
    *,
    metric: str,
    start: pd.Timestamp,
    end: pd.Timestamp,
    baseline: tuple[pd.Timestamp, pd.Timestamp],
    rules: Sequence[str] | str = DEFAULT_RULES,
    freq: str = "W",
    period_start: pd.Timestamp | None = None,
    data_days: pd.DatetimeIndex | None = None,
) -> ControlChart:
    """The weekly (or daily, ``freq="D"``) control chart suited to a catalogue metric.

    Proportions get a p chart (varying weekly counts), rates and counts a u chart (per
    contact, or per day), durations and scores an XmR chart of the weekly statistic. p and u
    limits are widened by Laney's sigma_z when the baseline weeks vary more than sampling
    explains (Laney 2002): with thousands of contacts a week, classic limits are so tight that
    nearly every week signals. Limits are revised without the baseline points beyond them
    (phase I); a daily chart gives each weekday its own centre line.

    Gaps are gaps: a day on which no table of the run has a single row (``data_days``, local
    dates; default: the days the metric's own observations fall on) is a day with no data, so
    a count is per day *with data* (a week of an export that lost two days is not a fall in
    volume), and a period with none is not drawn and never signals. A quiet day with rows
    elsewhere (events, contacts) but no new incident is a zero, not a gap.

    Parameters
    ----------
    obs : DataFrame
        :func:`ccreview.kpis.observations.observations` of the metric.
    start, end : Timestamp
        The weeks charted (whole weeks inside ``[start, end)``).
    baseline : (Timestamp, Timestamp)
        Weeks starting in ``[baseline[0], baseline[1])`` set the centre line and limits.
    rules
        Run rules by name (:data:`ccreview.stats.run_rules.RULES`).
    period_start : Timestamp, optional
        The review period's start: weeks before it that are not in the baseline are left off
        the chart (it shows the baseline and the period only).
    """
    spec = METRICS[metric]
    series = kpi_series(obs, metric=metric, start=start, end=end, freq=freq)
    weeks = series[c.PERIOD_START]
    window = (baseline[0].tz_localize(None), baseline[1].tz_localize(None))
    in_base = ((weeks >= window[0]) & (weeks < window[1])).to_numpy()
    shown = None if period_start is None else in_base | (weeks >= period_start.tz_localize(None)).to_numpy()
    options = {"index": weeks, "baseline": in_base, "rules": rules, "shown": shown,
               "groups": weeks.dt.day_of_week.to_numpy() if freq == "D" else None}
    if spec.kind == kinds.PROPORTION:
        return p_chart(series["numerator"], series["n"], laney="auto", **options)
    if spec.kind == kinds.RATE:
        # per 1,000 contacts: the unit is a thousand contacts
        return u_chart(series["numerator"], series["denominator"].fillna(0) / spec.scale,
                       laney="auto", **options)
    if spec.kind == kinds.COUNT:
        if data_days is None:
            data_days = observed_days(obs, start.tz)
        days = days_with_data(data_days, series)
        return u_chart(series["numerator"], days, laney="auto", **options)
    # times and counts of seconds cannot fall below zero, and their limits do not either
    floor = 0.0 if spec.unit in ("hours", "seconds") else None
    return xmr_chart(series["value"], floor=floor, **options)


def observed_days(obs: pd.DataFrame, tz) -> pd.DatetimeIndex:
    """The local calendar days on which ``obs`` has a row."""
    if not len(obs):
        return pd.DatetimeIndex([])
    local = obs["at"].dt.tz_convert(tz).dt.tz_localize(None).dt.normalize()
    return pd.DatetimeIndex(pd.unique(local.dropna()))


def days_with_data(data_days: pd.DatetimeIndex, series: pd.DataFrame) -> np.ndarray:
    """Per period of ``series`` (a :func:`kpi_series`), how many of its days have data."""
    starts = pd.DatetimeIndex(series[c.PERIOD_START])
    ends = starts + pd.to_timedelta(series["days"].to_numpy(float), unit="D")
    day_values = np.sort(pd.DatetimeIndex(data_days).to_numpy())
    count = np.searchsorted(day_values, ends.to_numpy()) - np.searchsorted(day_values, starts.to_numpy())
    return count.astype(float)
