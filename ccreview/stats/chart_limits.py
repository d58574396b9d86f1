"""What every control chart shares: seasonal group centres, phase-I revision, gap notes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ccreview.exceptions import ParameterError
from ccreview.stats.run_rules import SIGMAS, z_scores
from ccreview.wording import fmt_day, plural

__all__ = ["MAX_REVISIONS", "MAX_SET_ASIDE", "gap_and_revision_notes", "group_centres", "revised_limits"]


def _frequency_word(labels: pd.Index) -> str:
    """ "weekly " for labels a week apart (typically), "daily ", "monthly ", "quarterly ", else ""."""
    if not isinstance(labels, pd.DatetimeIndex) or len(labels) < 2:
        return ""
    days = pd.Series(labels).diff().median() / pd.Timedelta(days=1)
    spans = (("daily ", 1, 1), ("weekly ", 7, 7), ("monthly ", 28, 31), ("quarterly ", 89, 92))
    for word, low, high in spans:
        if low <= days <= high:
            return word
    return ""



def _group_codes(groups: object, size: int) -> np.ndarray:
    """Integer group codes per point (all 0 when ``groups`` is None)."""
    if groups is None:
        return np.zeros(size, dtype=int)
    values = pd.Series(np.asarray(groups).reshape(-1))
    if len(values) != size:
        raise ParameterError(f"groups: has {len(values)} values for {size} points; give one group per point "
                             "(e.g. the weekday of each day).")
    return pd.factorize(values, use_na_sentinel=False)[0]


def group_centres(weighted: np.ndarray, weights: np.ndarray, mask: np.ndarray, codes: np.ndarray
                  ) -> np.ndarray:
    """Per point, its group's pooled centre over ``mask``: sum(weighted) / sum(weights) (NaN if none)."""
    size = int(codes.max()) + 1 if len(codes) else 0
    top = np.bincount(codes[mask], weights=weighted[mask], minlength=size)
    bottom = np.bincount(codes[mask], weights=weights[mask], minlength=size)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_group = np.where(bottom > 0, top / bottom, np.nan)
    return per_group[codes]


#: revisions of phase-I limits, and the most of a baseline they may set aside
MAX_REVISIONS, MAX_SET_ASIDE = 5, 0.25


def revised_limits(limits, value: np.ndarray, usable: np.ndarray, *, revise: bool):
    """Run ``limits(mask) -> (centre, sigma, extra)`` on the usable baseline points, then again
    without the points beyond the limits until none is left (:data:`MAX_REVISIONS`,
    :data:`MAX_SET_ASIDE`). Returns ``(centre, sigma, extra, set_aside)``."""
    set_aside = np.zeros(len(value), dtype=bool)
    centre, sigma, extra = limits(usable)
    for _ in range(MAX_REVISIONS if revise else 0):
        z = z_scores(value, centre=centre, sigma=sigma)
        beyond = usable & ~set_aside & (np.abs(z) > SIGMAS)
        if not beyond.any() or (set_aside | beyond).sum() > MAX_SET_ASIDE * usable.sum():
            break
        set_aside |= beyond
        centre, sigma, extra = limits(usable & ~set_aside)
    return centre, sigma, extra, set_aside


def _when(labels: pd.Index) -> list[str]:
    return [fmt_day(v) if isinstance(v, pd.Timestamp) else str(v) for v in labels]


def gap_and_revision_notes(labels: pd.Index, missing: np.ndarray, shown: np.ndarray, set_aside: np.ndarray,
                           grouped: bool) -> list[str]:
    """Plain sentences: where data are missing, which baseline points were set aside, the groups."""
    word = _frequency_word(labels).strip() or "period"
    word = {"daily": "day", "weekly": "week", "monthly": "month", "quarterly": "quarter"}.get(word, word)
    notes = []
    gaps = missing & shown
    if gaps.any():
        named = _when(labels[gaps])
        listed = ", ".join(named[:6]) + (f" and {len(named) - 6} more" if len(named) > 6 else "")
        notes.append(f"No data for {plural(int(gaps.sum()), word)} ({listed}): shown as "
                     f"{'a gap' if gaps.sum() == 1 else 'gaps'}, left out of the limits, never a signal.")
    if set_aside.any():
        named = _when(labels[set_aside])
        count = plural(int(set_aside.sum()), "baseline " + word)
        notes.append(f"The limits were re-estimated without {count} "
                     f"beyond the first limits ({', '.join(named[:6])}{' ...' if len(named) > 6 else ''}): "
                     "special causes in a baseline would widen the limits enough to hide the next one.")
    if grouped:
        notes.append(f"Each weekday has its own centre line, from the baseline's {word}s of that weekday, "
                     "so the weekly cycle (busy Mondays, quiet weekends) is not read as signals.")
    return notes
