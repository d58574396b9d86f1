"""Every contact metric of the catalogue in one pass over the contacts (the scorecard's fast path)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ccreview.config.kpi_settings import KpiSettings
from ccreview.data import columns as c
from ccreview.kpis.catalogue import METRICS, REAL_TIME_CHANNELS, service_level_masks
from ccreview.kpis.compute import (
    _period_codes,
    _segment_codes,
    _ticks,
)

__all__ = [
    "CONTACT_METRICS",
    "contact_kpis",
]


#: the catalogue's contact metrics, which :func:`contact_kpis` computes together
CONTACT_METRICS = tuple(name for name, m in METRICS.items() if m.table == "contacts")


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
    s = settings.short_abandon_s
    sl_num, sl_den = service_level_masks(abandoned, wait, settings)
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
