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

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ccreview.config.kpi_settings import SERVICE_LEVEL_VARIANTS, KpiSettings
from ccreview.data import columns as c
from ccreview.exceptions import ParameterError
from ccreview.kpis.catalogue import METRICS, REAL_TIME_CHANNELS, Metric

__all__ = [
    "CONTACT_METRICS",
    "SEGMENT_COLUMNS",
    "backlog_age_profile",
    "contact_kpis",
    "kpi_series",
    "kpi_values",
    "observations",
    "service_level_definition",
]

#: columns a metric can be split by, where its table carries them
SEGMENT_COLUMNS = (c.QUEUE, c.CHANNEL, c.PRIORITY, c.CATEGORY, c.ASSIGNED_TEAM, c.TEAM)

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


def _segments(table: pd.DataFrame, rows: np.ndarray | slice) -> dict:
    # .array keeps Arrow-backed strings as they are (a round trip through numpy objects
    # costs most of the time on millions of contacts)
    return {col: table[col].array[rows] for col in SEGMENT_COLUMNS if col in table}


def _ratio(at, numerator, denominator, segments: dict) -> pd.DataFrame:
    return pd.DataFrame({"at": getattr(at, "array", at), "numerator": np.asarray(numerator, dtype=float),
                         "denominator": np.asarray(denominator, dtype=float), **segments})


def _values(at, values, segments: dict) -> pd.DataFrame:
    return pd.DataFrame({"at": getattr(at, "array", at), "value": np.asarray(values, dtype=float),
                         **segments})


def _contact_observations(name: str, contacts: pd.DataFrame, settings: KpiSettings
                          ) -> pd.DataFrame | None:
    abandoned = contacts[c.ABANDONED].fillna(False).to_numpy(dtype=bool)
    wait = (contacts[c.WAIT_S].to_numpy(dtype=float, na_value=np.nan) if c.WAIT_S in contacts
            else np.full(len(contacts), np.nan))
    arrived = contacts[c.ARRIVED_AT].array  # indexing the array skips the index's own copy
    if name in ("contacts_offered", "contacts_answered"):
        rows = slice(None) if name == "contacts_offered" else ~abandoned
        return _ratio(arrived[rows], 1.0, np.nan, _segments(contacts, rows))
    if name == "average_handle_time":
        handle = contacts[c.HANDLE_S].to_numpy(dtype=float, na_value=np.nan)
        rows = ~abandoned & ~np.isnan(handle)
        return _values(arrived[rows], handle[rows], _segments(contacts, rows))
    if name == "first_contact_resolution":
        fcr = contacts[c.FIRST_CONTACT_RESOLVED]
        rows = ~abandoned & fcr.notna().to_numpy()
        return _ratio(arrived[rows], fcr.to_numpy(dtype=float, na_value=0)[rows], 1.0,
                      _segments(contacts, rows))
    # matching text costs more than the rest: only the metrics of phone and chat do it
    realtime = contacts[c.CHANNEL].isin(REAL_TIME_CHANNELS).to_numpy()
    if name in ("abandonment_rate", "abandonment_rate_excl_short"):
        rows = realtime
        if name == "abandonment_rate_excl_short":
            rows = realtime & ~(abandoned & (wait < settings.short_abandon_s))
        return _ratio(arrived[rows], abandoned[rows], 1.0, _segments(contacts, rows))
    if name == "service_level":
        t, s = settings.service_level_threshold_s, settings.short_abandon_s
        answered_known = ~abandoned & ~np.isnan(wait)
        within = answered_known & (wait <= t)
        ab_within, ab_short = abandoned & (wait <= t), abandoned & (wait < s)
        offered = abandoned | answered_known
        numerator, denominator = {
            "offered": (within, offered),
            "answered": (within, answered_known),
            "abandons_within_t_met": (within | ab_within, offered),
            "abandons_within_t_excluded": (within, offered & ~ab_within),
            "short_abandons_met": (within | ab_short, offered),
            "short_abandons_excluded": (within, offered & ~ab_short),
        }[settings.service_level_variant]
        rows = realtime & denominator
        return _ratio(arrived[rows], numerator[rows], 1.0, _segments(contacts, rows))
    if name == "average_speed_of_answer":
        rows = realtime & ~abandoned & ~np.isnan(wait)
        return _values(arrived[rows], wait[rows], _segments(contacts, rows))
    return None


def _incident_observations(name: str, incidents: pd.DataFrame) -> pd.DataFrame | None:
    if name == "incidents_opened":
        return _ratio(incidents[c.OPENED_AT], 1.0, np.nan, _segments(incidents, slice(None)))
    if name in ("escalation_rate", "reassignment_rate"):
        column = c.ESCALATED if name == "escalation_rate" else c.REASSIGNMENT_COUNT
        values = incidents[column].to_numpy(dtype=float, na_value=np.nan)
        rows = ~np.isnan(values)
        return _ratio(incidents[c.OPENED_AT][rows], values[rows] > 0, 1.0, _segments(incidents, rows))
    if name in ("median_response_h", "p90_response_h"):
        hours = (incidents[c.FIRST_RESPONSE_AT] - incidents[c.OPENED_AT]).dt.total_seconds() / 3600
        rows = hours.notna().to_numpy()
        return _values(incidents[c.FIRST_RESPONSE_AT][rows], hours[rows], _segments(incidents, rows))
    if name in ("median_resolution_h", "p90_resolution_h"):
        hours = (incidents[c.RESOLVED_AT] - incidents[c.OPENED_AT]).dt.total_seconds() / 3600
        rows = hours.notna().to_numpy()
        return _values(incidents[c.RESOLVED_AT][rows], hours[rows], _segments(incidents, rows))
    if name == "reopen_rate":
        rows = incidents[c.RESOLVED_AT].notna().to_numpy()
        reopened = incidents[c.REOPEN_COUNT].to_numpy(dtype=float, na_value=0) > 0
        return _ratio(incidents[c.RESOLVED_AT][rows], reopened[rows], 1.0, _segments(incidents, rows))
    return None


def _outcome_observations(name: str, outcomes: pd.DataFrame, incidents: pd.DataFrame
                          ) -> pd.DataFrame | None:
    target = {"response_compliance": "response", "resolution_compliance": "resolution",
              "median_resolution_sla_h": "resolution"}.get(name)
    if target is None:
        return None
    judged = outcomes[(outcomes["target"] == target).to_numpy()
                      & outcomes["outcome"].isin(["met", "breached"]).to_numpy()]
    pos = pd.Index(incidents[c.INCIDENT_ID]).get_indexer(judged[c.INCIDENT_ID])
    segments = {col: incidents[col].array.take(pos) for col in SEGMENT_COLUMNS if col in incidents}
    if name == "median_resolution_sla_h":
        done = judged["completed_at"].notna().to_numpy()
        return _values(judged["judged_at"][done], judged["elapsed_h"].to_numpy()[done],
                       {k: v[done] for k, v in segments.items()})
    return _ratio(judged["judged_at"], (judged["outcome"] == "met").to_numpy(), 1.0, segments)


def _feedback_observations(name: str, feedback: pd.DataFrame, contacts: pd.DataFrame | None
                           ) -> pd.DataFrame | None:
    kind, scale = feedback[c.KIND], feedback[c.SCALE]
    score = feedback[c.SCORE].to_numpy(dtype=float, na_value=np.nan)
    if name == "csat":
        rows = ((kind == "survey") & (scale == "csat_1_5")).to_numpy() & ~np.isnan(score)
        return _ratio(feedback[c.RECEIVED_AT][rows], score[rows] >= 4, 1.0, _segments(feedback, rows))
    if name == "nps":
        rows = ((kind == "survey") & (scale == "nps_0_10")).to_numpy() & ~np.isnan(score)
        points = np.select([score >= 9, score <= 6], [100.0, -100.0], 0.0)
        return _values(feedback[c.RECEIVED_AT][rows], points[rows], _segments(feedback, rows))
    if name == "complaints_per_1000_contacts":
        if contacts is None:
            return None
        rows = (kind == "complaint").to_numpy()
        both = pd.concat([_ratio(feedback[c.RECEIVED_AT][rows], 1.0, 0.0, {}),
                          _ratio(contacts[c.ARRIVED_AT], 0.0, 1.0, {})], ignore_index=True)
        return both
    return None


def _qa_observations(name: str, qa: pd.DataFrame) -> pd.DataFrame | None:
    if name == "qa_score":
        score = qa[c.SCORE].to_numpy(dtype=float, na_value=np.nan)
        rows = ~np.isnan(score)
        return _values(qa[c.EVALUATED_AT][rows], score[rows], _segments(qa, rows))
    if name == "critical_error_rate":
        flag = qa[c.CRITICAL_ERROR]
        rows = flag.notna().to_numpy()
        return _ratio(qa[c.EVALUATED_AT][rows], flag.to_numpy(dtype=float, na_value=0)[rows], 1.0,
                      _segments(qa, rows))
    return None


def observations(
    name: str,
    tables: Mapping[str, pd.DataFrame],
    *,
    settings: KpiSettings = KpiSettings(),
    outcomes: pd.DataFrame | None = None,
) -> pd.DataFrame | None:
    """One row per thing metric ``name`` counts or measures.

    Parameters
    ----------
    name : str
        A catalogue metric (:data:`~ccreview.kpis.catalogue.METRICS`).
    tables : mapping
        Canonical tables by name (``incidents``, ``contacts``, ...); missing ones are fine.
    settings : KpiSettings
        Definition choices (service-level variant, thresholds).
    outcomes : DataFrame, optional
        Target outcomes (:func:`ccreview.incidents.targets.target_outcomes`), for the
        compliance metrics.

    Returns
    -------
    DataFrame or None
        ``at`` and either ``numerator`` and ``denominator`` (ratio and count metrics)
        or ``value`` (duration and score metrics), plus whichever segment columns
        the source carries. None when the tables needed are absent.
    """
    metric = METRICS[name]
    table = tables.get(metric.table)
    if table is None:
        return None
    missing = [col for col in metric.needs if col not in table]
    if missing:
        return None
    if metric.table == "contacts":
        return _contact_observations(name, table, settings)
    if metric.table == "incidents":
        if outcomes is not None:
            found = _outcome_observations(name, outcomes, table)
            if found is not None:
                return found
        return _incident_observations(name, table)
    if metric.table == "feedback":
        return _feedback_observations(name, table, tables.get("contacts"))
    if metric.table == "qa_evaluations":
        return _qa_observations(name, table)
    return None


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
    codes = np.where(raw < 0, len(order), rank[np.maximum(raw, 0)]).astype(np.intp)
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


#: the catalogue's contact metrics, which :func:`contact_kpis` computes together
CONTACT_METRICS = tuple(name for name, m in METRICS.items() if m.table == "contacts")


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


def contact_kpis(
    contacts: pd.DataFrame,
    *,
    start: pd.Timestamp,
    end: pd.Timestamp,
    settings: KpiSettings = KpiSettings(),
    by: str | None = None,
    freq: str | None = None,
) -> pd.DataFrame:
    """Every contact metric of the catalogue in one pass over the contacts.

    The same numbers as :func:`observations` with :func:`kpi_values` (overall or ``by`` a
    segment) or :func:`kpi_series` (``freq``), metric by metric, but the contacts of the
    period are selected, grouped and read once for all of them: on a quarter of millions
    of contacts that is what keeps the scorecard quick.

    Returns
    -------
    DataFrame
        ``metric``, then ``by`` (segment label) or ``period_start`` and ``days`` (with
        ``freq``), then ``value``, ``n``, ``numerator``, ``denominator``.
    """
    at, tick = _ticks(contacts[c.ARRIVED_AT])
    keep = (at >= -(-start.value // tick)) & (at < -(-end.value // tick))
    labels: pd.Index | None = None
    days = None
    if freq:
        codes, periods, days = _period_codes(at[keep], tick, contacts[c.ARRIVED_AT].dt.tz,
                                             start, end, freq)
        groups = len(periods) + 1
    elif by:
        codes, labels = _segment_codes(contacts[by].array[keep])
        groups = len(labels)
    else:
        codes, groups = np.zeros(int(keep.sum()), dtype=np.intp), 1

    def total(weights: np.ndarray) -> np.ndarray:
        return np.bincount(codes, weights=weights.astype(float, copy=False), minlength=groups)

    def column(name: str) -> np.ndarray:
        return (contacts[name].to_numpy(dtype=float, na_value=np.nan)[keep] if name in contacts
                else np.full(len(codes), np.nan))

    abandoned = contacts[c.ABANDONED].fillna(False).to_numpy(dtype=bool)[keep]
    wait, handle = column(c.WAIT_S), column(c.HANDLE_S)
    fcr = column(c.FIRST_CONTACT_RESOLVED) if c.FIRST_CONTACT_RESOLVED in contacts else None
    realtime = contacts[c.CHANNEL].isin(REAL_TIME_CHANNELS).to_numpy()[keep]
    t, s = settings.service_level_threshold_s, settings.short_abandon_s
    answered_known = ~abandoned & ~np.isnan(wait)
    within = answered_known & (wait <= t)
    ab_within, ab_short = abandoned & (wait <= t), abandoned & (wait < s)
    offered = abandoned | answered_known
    sl_num, sl_den = {
        "offered": (within, offered), "answered": (within, answered_known),
        "abandons_within_t_met": (within | ab_within, offered),
        "abandons_within_t_excluded": (within, offered & ~ab_within),
        "short_abandons_met": (within | ab_short, offered),
        "short_abandons_excluded": (within, offered & ~ab_short),
    }[settings.service_level_variant]
    excl_short = realtime & ~(abandoned & (wait < s))
    ratios = {  # metric -> (numerator, denominator) per contact
        "abandonment_rate": (abandoned & realtime, realtime),
        "abandonment_rate_excl_short": (abandoned & excl_short, excl_short),
        "service_level": (sl_num & realtime & sl_den, realtime & sl_den),
    }
    if fcr is not None:
        judged = ~abandoned & ~np.isnan(fcr)
        ratios["first_contact_resolution"] = (np.where(judged, fcr, 0.0), judged)
    means = {"average_speed_of_answer": np.where(realtime & ~abandoned, wait, np.nan),
             "average_handle_time": np.where(abandoned, np.nan, handle)}
    frames = []
    for name in CONTACT_METRICS:
        spec = METRICS[name]
        if any(col not in contacts for col in spec.needs):
            continue
        if name in ("contacts_offered", "contacts_answered"):
            counted = total(np.ones(len(codes)) if name == "contacts_offered" else ~abandoned)
            part = {"value": counted, "n": counted, "numerator": counted,
                    "denominator": np.full(groups, np.nan)}
        elif name in ratios:
            numerator, denominator = (total(x) for x in ratios[name])
            with np.errstate(invalid="ignore", divide="ignore"):
                value = np.where(denominator > 0, spec.scale * numerator / denominator, np.nan)
            part = {"value": value, "n": denominator, "numerator": numerator,
                    "denominator": np.where(denominator > 0, denominator, np.nan)}
        elif name in means:
            x = means[name]
            known = ~np.isnan(x)
            n = np.bincount(codes[known], minlength=groups)
            sums = np.bincount(codes[known], weights=x[known], minlength=groups)
            with np.errstate(invalid="ignore", divide="ignore"):
                part = {"value": sums / n, "n": n, "numerator": np.full(groups, np.nan),
                        "denominator": np.full(groups, np.nan)}
        else:
            continue
        frame = pd.DataFrame(part)
        frame.insert(0, "metric", name)
        if freq:
            frame = frame.iloc[:-1].assign(**{c.PERIOD_START: periods, "days": days})
        elif by:
            frame[by] = pd.Index(labels).astype("string").fillna("(blank)")
            frame = frame[frame["n"].to_numpy() > 0]  # segments the metric counts nothing in
        frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    lead = ["metric", *([c.PERIOD_START, "days"] if freq else [by] if by else [])]
    return out[lead + ["value", "n", "numerator", "denominator"]]
