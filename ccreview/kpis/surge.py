"""The contact surge a major incident brings: contacts per interval against the level usual for
that weekday and time of day, the surge's size with an interval, the service customers got
during it, and the agents that would have held the service-level target (Erlang C and A).

The usual level of each interval is the mean of the same local weekday and time in the
``history_weeks`` before (weeks overlapping another major incident, or before the data starts,
are left out). The surge's size is the contacts in the window less the usual count, with a 95%
interval from the weekly counts' spread (:func:`usual_range`: a prediction interval on the log
scale, its variance never below Poisson's, so a few unusually steady weeks cannot make an
ordinary window look like a surge). Seeded no-change simulations (tests/test_major.py) show a
surge is called where there is none at most 2.5% of the time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from ccreview.config.kpi_settings import KpiSettings
from ccreview.config.major_settings import MajorSettings
from ccreview.data import columns as c
from ccreview.kpis.contacts import contact_kpis
from ccreview.stats.erlang import agents_for_service_level

__all__ = ["ContactSurge", "SERVICE_METRICS", "contact_surge", "surge_size", "usual_range"]

_WEEK = np.int64(7 * 86_400 * 10**9)
#: the service measures compared during the surge and usually
SERVICE_METRICS = (
    "contacts_offered",
    "service_level",
    "abandonment_rate",
    "average_speed_of_answer",
    "average_handle_time",
)
_LIVE = ("phone", "chat")


@dataclass
class ContactSurge:
    """One major incident's contact surge (see :func:`contact_surge`)."""

    #: per interval of the chart: ``slot_start``, ``observed``, ``expected``, ``band_low``,
    #: ``band_high``, ``in_window``
    slots: pd.DataFrame
    #: one row: ``observed``, ``expected``, ``extra``, ``extra_low``, ``extra_high``, ``weeks``,
    #: ``beyond_usual``, ``window_start``, ``window_end``
    size: pd.DataFrame
    #: ``metric``, ``during``, ``usual``, ``n_during``, ``n_usual``
    service: pd.DataFrame
    #: per interval of the window: offered, usual offered, agents seen answering, agents needed
    staffing: pd.DataFrame
    queues: tuple[str, ...]
    notes: list[str] = field(default_factory=list)


def _local(times: pd.Series | pd.Timestamp, tz) -> np.ndarray:
    """Local wall-clock nanoseconds (so shifting by 7 days keeps the weekday and time)."""
    if isinstance(times, pd.Timestamp):
        return np.int64(times.tz_convert(tz).tz_localize(None).as_unit("ns").value)
    return times.dt.tz_convert(tz).dt.tz_localize(None).astype("datetime64[ns]").to_numpy().view(np.int64)


def _aware(local_ns: np.ndarray, tz) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(local_ns.astype("datetime64[ns]")).tz_localize(
        tz, ambiguous=np.zeros(len(local_ns), dtype=bool), nonexistent="shift_forward"
    )


def contact_surge(
    contacts: pd.DataFrame,
    *,
    window: tuple[pd.Timestamp, pd.Timestamp],
    queues: tuple[str, ...] | None,
    timezone: str,
    settings: MajorSettings,
    kpi_settings: KpiSettings,
    service_target: float,
    exclude: list[tuple[pd.Timestamp, pd.Timestamp]] = (),
    agents_logged_in: int | None = None,
) -> ContactSurge:
    """Measure the surge of contacts on ``queues`` (all queues when None) in ``window``.

    Parameters
    ----------
    contacts : DataFrame
        The validated contacts (all of them: the history comes from before the window).
    window : (Timestamp, Timestamp)
        The surge window (timezone-aware); it is widened to whole intervals.
    settings : MajorSettings
        The interval, the weeks of history and how much to chart before the window.
    kpi_settings : KpiSettings
        The service-level threshold and definition.
    service_target : float
        The share to answer within the threshold (the staffing what-if holds it).
    exclude : list of (Timestamp, Timestamp)
        Other major incidents' windows: history weeks overlapping one are left out.
    agents_logged_in : int, optional
        The agents logged in, when known; otherwise agents seen answering are counted.
    """
    tz = contacts[c.ARRIVED_AT].dt.tz or timezone
    step = np.int64(settings.surge_interval.value)
    notes: list[str] = []
    on_queues = contacts if not queues else contacts[contacts[c.QUEUE].isin(queues).to_numpy()]
    start, end = _local(window[0], tz), _local(window[1], tz)
    w0, w1 = start - start % step, end + (-end) % step
    before = np.int64(settings.before_declaration.value)
    edges = np.arange(w0 - before - (before % step), w1 + before + step, step)
    times = np.sort(_local(on_queues[c.ARRIVED_AT], tz))
    first_seen = _local(contacts[c.ARRIVED_AT].min(), tz) if len(contacts) else w0
    counts = np.stack(
        [np.diff(np.searchsorted(times, edges - k * _WEEK)) for k in range(settings.history_weeks + 1)]
    )  # a row per week, 0 = the incident's
    blocked = [(_local(a, tz), _local(b, tz)) for a, b in exclude if pd.notna(a) and pd.notna(b)]
    usable = np.array(
        [
            k > 0
            and w0 - k * _WEEK >= first_seen
            and not any(a < w1 - k * _WEEK and b > w0 - k * _WEEK for a, b in blocked)
            for k in range(settings.history_weeks + 1)
        ]
    )
    weeks = np.flatnonzero(usable)
    in_window = (edges[:-1] >= w0) & (edges[:-1] < w1)
    history = counts[weeks].astype(float)
    k = len(weeks)
    if k < 2:
        notes.append(
            f"Only {k} earlier week(s) without another major incident are in the data, so the "
            "usual level of contacts cannot be estimated; the surge is shown without it."
        )
    mean, low, high = usual_range(history if k else np.empty((0, len(edges) - 1)))
    slots = pd.DataFrame(
        {
            "slot_start": _aware(edges[:-1], tz),
            "observed": counts[0],
            "expected": mean,
            "band_low": low,
            "band_high": high,
            "in_window": in_window,
        }
    )
    size = pd.DataFrame(
        [
            {
                **surge_size(int(counts[0][in_window].sum()), history[:, in_window].sum(axis=1)),
                "window_start": _aware(np.array([w0]), tz)[0],
                "window_end": _aware(np.array([w1]), tz)[0],
            }
        ]
    )
    spans = [
        (_aware(np.array([w0 - j * _WEEK]), tz)[0], _aware(np.array([w1 - j * _WEEK]), tz)[0]) for j in weeks
    ]
    service = _service(on_queues, (size["window_start"][0], size["window_end"][0]), spans, kpi_settings)
    staffing = _staffing(on_queues, slots[in_window], step, kpi_settings, service_target, agents_logged_in)
    return ContactSurge(slots, size, service, staffing, tuple(queues or ()), notes)


def usual_range(history: np.ndarray, *, confidence: float = 0.95) -> tuple[np.ndarray, ...]:
    """The usual count and the prediction interval of one more week's count, per column of
    ``history`` (rows: earlier weeks). Computed on the log scale, ``log(1 + count)``, where
    week-to-week changes in the rate are multiplicative, as ``mean ± t(K-1) · s · √(1 + 1/K)``
    (Hahn, Meeker & Escobar, *Statistical Intervals*, 2nd ed., §4.6), with ``s²`` never below
    the Poisson variance on that scale, ``μ / (1 + μ)²``; then taken back to counts.

    Returns
    -------
    mean, low, high : ndarray
        The arithmetic mean count, and the interval's bounds (counts, low at least 0).
    """
    history = np.atleast_2d(np.asarray(history, dtype=float))
    k = history.shape[0]
    mean = history.mean(axis=0) if k else np.full(history.shape[1], np.nan)
    if k < 2:
        nan = np.full(history.shape[1], np.nan)
        return mean, nan, nan
    logs = np.log1p(history)
    centre = logs.mean(axis=0)
    mu = np.expm1(centre)
    var = np.maximum(logs.var(axis=0, ddof=1), mu / (1 + mu) ** 2)
    margin = stats.t.ppf(0.5 + confidence / 2, k - 1) * np.sqrt(var * (1 + 1 / k))
    return mean, np.maximum(np.expm1(centre - margin), 0.0), np.expm1(centre + margin)


def surge_size(observed: int, history: np.ndarray, *, confidence: float = 0.95) -> dict:
    """Extra contacts in a window: ``observed`` less the usual count of the same window in
    earlier weeks (``history``), with the interval from :func:`usual_range`.

    Returns
    -------
    dict
        ``observed``, ``expected``, ``extra``, ``extra_low``, ``extra_high``, ``weeks`` (K) and
        ``beyond_usual`` (more contacts than the usual range allows: a surge beyond chance).
    """
    history = np.asarray(history, dtype=float).reshape(-1, 1)
    mean, low, high = (float(v[0]) for v in usual_range(history, confidence=confidence))
    k = history.shape[0]
    return {
        "observed": int(observed),
        "expected": mean,
        "extra": observed - mean,
        "extra_low": observed - high,
        "extra_high": observed - low,
        "weeks": k,
        "beyond_usual": bool(k >= 2 and observed > high),
    }


def _service(
    contacts: pd.DataFrame, window: tuple, spans: list[tuple], settings: KpiSettings
) -> pd.DataFrame:
    """Service during the window and, pooled, in the same windows of the history weeks."""
    during = contact_kpis(contacts, start=window[0], end=window[1], settings=settings).set_index("metric")
    if spans:
        at = contacts[c.ARRIVED_AT]
        inside = np.zeros(len(contacts), dtype=bool)
        for a, b in spans:  # a few weeks
            inside |= ((at >= a) & (at < b)).to_numpy(dtype=bool)
        usual = contact_kpis(
            contacts[inside], start=min(a for a, _ in spans), end=max(b for _, b in spans), settings=settings
        ).set_index("metric")
        usual.loc["contacts_offered", ["value", "n"]] /= len(spans)  # per week, as "during" is one window
    else:
        usual = during.iloc[:0]
    out = pd.DataFrame({"metric": list(SERVICE_METRICS)})
    out["during"] = out["metric"].map(during["value"])
    out["usual"] = out["metric"].map(usual["value"]) if len(usual) else np.nan
    out["n_during"] = out["metric"].map(during["n"])
    out["n_usual"] = out["metric"].map(usual["n"]) if len(usual) else np.nan
    return out


def _staffing(
    contacts: pd.DataFrame,
    slots: pd.DataFrame,
    step: np.int64,
    settings: KpiSettings,
    target: float,
    agents_logged_in: int | None,
) -> pd.DataFrame:
    """Per interval of the window: the agents that would have held ``target`` of live contacts
    answered within the threshold (Erlang C, and Erlang A with the patience seen), at the
    surge's arrivals and at the usual ones, against the agents seen answering."""
    seconds = step / 1e9
    live = contacts[contacts[c.CHANNEL].isin(_LIVE).to_numpy()]
    begin, finish = slots["slot_start"].min(), slots["slot_start"].max() + pd.Timedelta(seconds=seconds)
    during = live[((live[c.ARRIVED_AT] >= begin) & (live[c.ARRIVED_AT] < finish)).to_numpy()]
    answered = during[c.HANDLE_S].notna() & ~during[c.ABANDONED].fillna(False)
    aht = float(during.loc[answered.to_numpy(), c.HANDLE_S].mean()) if answered.any() else np.nan
    abandons = int(during[c.ABANDONED].fillna(False).sum())
    waited = float(during[c.WAIT_S].fillna(0).sum())
    # exponential patience, censored by answer (no recorded waits: unknown, Erlang A not used)
    patience = waited / abandons if abandons and waited > 0 else np.nan
    codes = ((during[c.ARRIVED_AT] - begin).dt.total_seconds() // seconds).astype(int).to_numpy()
    offered = np.bincount(codes, minlength=len(slots))[: len(slots)]
    out = pd.DataFrame(
        {
            "slot_start": slots["slot_start"].to_numpy(),
            "offered": offered,
            "usual_offered": slots["expected"].to_numpy(),
        }
    )
    if agents_logged_in is not None:
        out["agents"] = agents_logged_in
        out["agents_source"] = "logged in (parameter)"
    else:
        got = live[live[c.ANSWERED_AT].notna().to_numpy()]
        got = got[((got[c.ANSWERED_AT] >= begin) & (got[c.ANSWERED_AT] < finish)).to_numpy()]
        code = ((got[c.ANSWERED_AT] - begin).dt.total_seconds() // seconds).astype(int)
        seen = got.groupby(code.to_numpy())[c.AGENT].nunique()
        out["agents"] = seen.reindex(range(len(slots)), fill_value=0).to_numpy()
        out["agents_source"] = "seen answering"
    threshold = settings.service_level_threshold_s
    for column, arrivals in (
        ("needed_erlang_c", out["offered"]),
        ("usual_needed_erlang_c", out["usual_offered"]),
    ):
        out[column] = [
            agents_for_service_level(n / seconds, aht, threshold, target) if n > 0 and np.isfinite(aht) else 0
            for n in arrivals
        ]  # a few dozen intervals
    out["needed_erlang_a"] = [
        agents_for_service_level(n / seconds, aht, threshold, target, model="erlang_a", patience_s=patience)
        if n > 0 and np.isfinite(aht) and np.isfinite(patience)
        else pd.NA
        for n in out["offered"]
    ]
    out.attrs.update({"handle_s": aht, "patience_s": patience, "target": target, "threshold_s": threshold})
    return out
