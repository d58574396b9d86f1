"""KPI values, segments and weekly series from the KPI catalogue.

Every catalogue metric (:data:`ccreview.kpis.catalogue.METRICS`) is computed the same
way: :func:`observations` turns the canonical tables into one row per thing
counted or measured, placed in time by ``at``. Ratio metrics carry a
``numerator`` and a ``denominator`` per row (so any grouping is a sum), counts
carry a ``numerator`` of 1, and duration or score metrics carry a ``value``.
:func:`kpi_values` and :func:`kpi_series` then aggregate those rows for a
period, a segment or each week, so the scorecard, the period comparisons and
the control charts all read the same numbers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ccreview.config.kpi_settings import SERVICE_LEVEL_VARIANTS, KpiSettings
from ccreview.data import columns as c
from ccreview.exceptions import ParameterError
from ccreview.kpis.catalogue import METRICS, Metric

__all__ = [
    "backlog_age_profile",
    "kpi_series",
    "kpi_values",
    "service_level_definition",
]

#: backlog age buckets (upper bounds in days) and their labels, reference section 1.11
AGE_BUCKETS = (1, 3, 7, 30, np.inf)
AGE_LABELS = ("under 1 day", "1-3 days", "3-7 days", "7-30 days", "over 30 days")


def service_level_definition(settings: KpiSettings) -> str:
    """The service-level definition a report prints, with T and the variant named."""
    source, words = SERVICE_LEVEL_VARIANTS[settings.service_level_variant]
    t, s = f"{settings.service_level_threshold_s:g}", f"{settings.short_abandon_s:g}"
    words = words.replace("within T", f"within {t} s")
    return (f"Phone and chat contacts, {words} (variant '{settings.service_level_variant}', "
            f"{source}; 'within' means a wait of at most {t} s; short abandons wait under {s} s; "
            "answered contacts with an unknown wait are left out).")


def _ticks(at: pd.Series) -> tuple[np.ndarray, int]:
    """Instants since 1970 UTC as int64 counts of the column's own unit (no copy), and the
    nanoseconds in one count. NaT is the smallest int64."""
    unit = at.dt.unit
    return at.to_numpy(dtype=f"datetime64[{unit}]").view(np.int64), pd.Timedelta(1, unit=unit).value


def _window(obs: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> np.ndarray | slice:
    """Rows of ``obs`` whose ``at`` lies in ``[start, end)``: a mask, or a slice when all do."""
    at, tick = _ticks(obs["at"])
    keep = (at >= -(-pd.Timestamp(start).value // tick)) & (at < -(-pd.Timestamp(end).value // tick))
    return slice(None) if keep.all() else keep


def _ns(times: pd.DatetimeIndex) -> np.ndarray:
    """Timezone-naive times as int64 nanoseconds since 1970."""
    return times.to_numpy(dtype="datetime64[ns]").view(np.int64)


def _to_local(ticks: np.ndarray, tick: int, tz) -> np.ndarray:
    return _ns(pd.DatetimeIndex(ticks * tick, tz="UTC").tz_convert(tz).tz_localize(None)) // tick


def _local_ticks(ticks: np.ndarray, tick: int, tz) -> np.ndarray:
    """Local wall-clock times (what ``tz_localize(None)`` gives) of UTC instants, in ticks.

    Converting millions of instants one by one is slow, so the zone's offset is looked up
    once per hour of the span they cover and added; the instants of an hour at whose end
    the offset differs are converted one by one. Exact unless a zone changes its offset
    twice within one hour, which none does.
    """
    if tz is None or not len(ticks):
        return ticks
    per_hour = 3_600 * 10**9 // tick
    first = ticks.min() // per_hour * per_hour
    grid = np.arange(first, ticks.max() + 2 * per_hour, per_hour, dtype=np.int64)
    offset = _to_local(grid, tick, tz) - grid
    if (offset == offset[0]).all():  # no clock change in the span
        return ticks + offset[0]
    hour = (ticks - first) // per_hour
    local = ticks + offset[hour]
    changing = np.append(offset[:-1] != offset[1:], False)[hour]
    if changing.any():
        local[changing] = _to_local(ticks[changing], tick, tz)
    return local


def _group_sum(column: pd.Series, rows: np.ndarray | slice, codes: np.ndarray, sizes: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
    """Sum and number of the known values of ``column[rows]`` per group code; ``sizes`` is
    the number of rows per code."""
    x = column.to_numpy(dtype=float, na_value=np.nan)[rows]
    known = ~np.isnan(x)
    if not known.all():
        x, codes = x[known], codes[known]
        sizes = np.bincount(codes, minlength=len(sizes))
    if (x == 1).all():  # counts (a denominator of one per contact): the sums are the sizes
        return sizes.astype(float), sizes
    if len(sizes) == 1:  # a plain sum is quicker, and pairwise, so closer
        return np.array([x.sum()], dtype=float), sizes
    # (bincount of no rows gives integers)
    return np.bincount(codes, weights=x, minlength=len(sizes)).astype(float, copy=False), sizes


def _aggregate(metric: Metric, obs: pd.DataFrame, rows: np.ndarray | slice, codes: np.ndarray,
               groups: int) -> pd.DataFrame:
    """Value, n and the parts of ``metric`` per group: row ``k`` sums up the rows of
    ``obs[rows]`` whose code is ``k`` (codes 0 to ``groups - 1``, one per row)."""
    sizes = np.array([len(codes)]) if groups == 1 else np.bincount(codes, minlength=groups)
    if metric.kind in ("proportion", "rate", "count"):
        numerator, _ = _group_sum(obs["numerator"], rows, codes, sizes)
        total, known = _group_sum(obs["denominator"], rows, codes, sizes)
        out = pd.DataFrame({"numerator": numerator, "denominator": np.where(known > 0, total, np.nan)})
        if metric.kind == "count":
            out["value"] = out["numerator"]
            out["n"] = out["numerator"]
        else:
            with np.errstate(invalid="ignore", divide="ignore"):
                out["value"] = metric.scale * out["numerator"] / out["denominator"].where(
                    out["denominator"] > 0)
            out["n"] = out["denominator"].fillna(0)
        return out
    if metric.statistic == "mean":
        total, n = _group_sum(obs["value"], rows, codes, sizes)
        with np.errstate(invalid="ignore", divide="ignore"):
            stat = total / n
    else:
        values = pd.Series(obs["value"].to_numpy(dtype=float, na_value=np.nan)[rows])
        grouped = values.groupby(codes)
        stat = {"median": grouped.median, "p90": lambda: grouped.quantile(0.9)}[metric.statistic]()
        stat = stat.reindex(range(groups)).to_numpy()
        n = grouped.count().reindex(range(groups), fill_value=0).to_numpy()
    out = pd.DataFrame({"value": stat, "n": n})
    out["numerator"], out["denominator"] = np.nan, np.nan
    return out


def _category_codes(key: pd.Categorical) -> tuple[np.ndarray, pd.Index]:
    """Group codes of a categorical in sorted label order, missing values last (what
    ``pd.factorize(sort=True, use_na_sentinel=False)`` gives, without hashing the rows)."""
    categories = pd.Index(key.categories)
    order = np.argsort(categories.astype(str), kind="stable")
    rank = np.empty(len(order), dtype=np.intp)
    rank[order] = np.arange(len(order))
    raw = key.codes
    codes = np.full(len(raw), len(order), dtype=np.intp)  # missing values: the last group
    known = raw >= 0
    codes[known] = rank[raw[known]]  # (a column with no value at all has no categories)
    labels = categories[order]
    if (raw < 0).any():
        labels = labels.append(pd.Index([np.nan], dtype=object))
    return codes, labels


def _segment_codes(key) -> tuple[np.ndarray, pd.Index]:
    """Group codes and labels of a segment column's values, sorted with missing last (as
    ``groupby(sort=True, dropna=False)`` orders them); categoricals by their codes."""
    if isinstance(key, pd.Categorical):
        return _category_codes(key)
    if isinstance(key, pd.arrays.NumpyExtensionArray):
        key = key.to_numpy()
    codes, labels = pd.factorize(key, sort=True, use_na_sentinel=False)
    return codes, pd.Index(labels)


def kpi_values(
    obs: pd.DataFrame,
    *,
    metric: str,
    start: pd.Timestamp,
    end: pd.Timestamp,
    by: str | None = None,
) -> pd.DataFrame:
    """The metric's value in ``[start, end)``, overall or per segment.

    Returns
    -------
    DataFrame
        ``metric``, the ``by`` column (when given), ``value``, ``n`` (trials,
        contacts, or values measured), ``numerator`` and ``denominator`` (ratio
        metrics).
    """
    spec = METRICS[metric]
    rows = _window(obs, start, end)
    if by:
        if by not in obs:
            raise ParameterError(f"metric {metric!r} cannot be split by {by!r}: its table has no "
                                 "such column.")
        key = obs[by].array[rows]
        codes, labels = _segment_codes(key)
        out = _aggregate(spec, obs, rows, codes, len(labels))
        if isinstance(key, pd.Categorical):  # categories no row has are left out, as groupby does
            present = np.bincount(codes, minlength=len(labels)) > 0
            out, labels = out[present].reset_index(drop=True), pd.Index(labels)[present]
        # segment labels become text after grouping (a few groups, not millions of rows)
        out.index = pd.Index(pd.Index(labels).astype("string").fillna("(blank)"), name=by)
        out = out.reset_index()
    else:
        n_rows = len(obs) if isinstance(rows, slice) else int(rows.sum())
        if n_rows:
            out = _aggregate(spec, obs, rows, np.zeros(n_rows, dtype=np.intp), 1)
        else:
            out = pd.DataFrame({"value": [0.0 if spec.kind == "count" else np.nan], "n": [0.0],
                                "numerator": [0.0], "denominator": [np.nan]})
    out.insert(0, "metric", metric)
    return out


def kpi_series(
    obs: pd.DataFrame,
    *,
    metric: str,
    start: pd.Timestamp,
    end: pd.Timestamp,
    freq: str = "W",
) -> pd.DataFrame:
    """The metric per day (``"D"``), week (``"W"``, weeks from Monday) or month (``"M"``) in
    ``[start, end)``.

    Only whole periods are kept: a partial first or last week would show as a
    false dip. Periods with no observations appear with ``n = 0``.

    Returns
    -------
    DataFrame
        ``period_start`` (timezone-naive date), ``value``, ``n``, ``numerator``,
        ``denominator``, ``days`` (length of the period).
    """
    spec = METRICS[metric]
    rows = _window(obs, start, end)
    at, tick = _ticks(obs["at"])
    period, periods, days = _period_codes(at[rows], tick, obs["at"].dt.tz, start, end, freq)
    out = _aggregate(spec, obs, rows, period, len(periods) + 1).iloc[:len(periods)]
    out.index = periods
    out["numerator"] = out["numerator"].fillna(0) if spec.kind != "duration" else out["numerator"]
    out["days"] = days
    return out.rename_axis(c.PERIOD_START).reset_index()


def backlog_age_profile(incidents: pd.DataFrame, *, at: pd.Timestamp) -> pd.DataFrame:
    """Incidents open at instant ``at`` by age (calendar days since opening).

    An incident is open at ``at`` when it was opened before and not resolved by then
    (cancelled incidents are left out); reference section 1.11.

    Returns
    -------
    DataFrame
        ``age``, ``n``, ``share``; ``.attrs["median_age_days"]`` holds the median age.
    """
    opened, resolved = incidents[c.OPENED_AT], incidents[c.RESOLVED_AT]
    is_open = ((opened < at) & ~(resolved <= at).fillna(False)).to_numpy().copy()
    if c.STATUS in incidents:
        is_open &= incidents[c.STATUS].ne("cancelled").fillna(True).to_numpy()
    age = (at - opened[is_open]).dt.total_seconds().to_numpy() / 86400
    bucket = np.searchsorted(np.asarray(AGE_BUCKETS), age, side="right")
    counts = np.bincount(bucket, minlength=len(AGE_LABELS))[: len(AGE_LABELS)]
    total = counts.sum()
    out = pd.DataFrame({"age": AGE_LABELS, "n": counts,
                        "share": counts / total if total else np.zeros(len(counts))})
    out.attrs["median_age_days"] = float(np.median(age)) if len(age) else float("nan")
    out.attrs["open"] = int(total)
    return out


def _period_codes(at: np.ndarray, tick: int, tz, start: pd.Timestamp, end: pd.Timestamp,
                  freq: str) -> tuple[np.ndarray, pd.DatetimeIndex, np.ndarray]:
    """Whole weeks (from Monday) or months of ``[start, end)`` and each instant's one (the
    number of periods for instants outside them: a partial first or last week would show as a
    false dip), from its local wall-clock time."""
    # whole local days: an instant shifted across a clock change lands at 23:00 or 01:00
    first, stop = start.tz_localize(None).ceil("D"), end.tz_localize(None).floor("D")
    if freq == "W":
        periods = pd.date_range(first + pd.Timedelta(days=(7 - first.day_of_week) % 7), stop,
                                freq="7D")
        ends = periods + pd.Timedelta(days=7)
    elif freq == "M":
        periods = pd.date_range(first if first.day == 1 else first + pd.offsets.MonthBegin(1), stop,
                                freq="MS")
        ends = periods + pd.offsets.MonthBegin(1)
    elif freq == "D":
        periods = pd.date_range(first, stop, freq="D")
        ends = periods + pd.Timedelta(days=1)
    else:
        raise ParameterError(f"freq {freq!r}: use 'D' (days), 'W' (weeks) or 'M' (months).")
    periods, ends = periods[ends <= stop], ends[ends <= stop]
    local = _local_ticks(at, tick, tz)
    starts = _ns(periods) // tick
    if freq in ("W", "D") and len(periods):  # periods all alike: a division finds each one's
        period = (local - starts[0]) // ((7 if freq == "W" else 1) * 86_400 * 10**9 // tick)
    else:
        period = np.searchsorted(np.append(starts, _ns(ends[-1:]) // tick), local, side="right") - 1
    period = np.where((period >= 0) & (period < len(periods)), period, len(periods))
    return period, periods, (ends - periods).days.to_numpy(dtype=float)
