"""Rules across the columns of one row, applied after each value is typed: checks that
quarantine a row (an abandoned contact with an answer time, a score outside its scale) and
assumptions that keep one (a closed incident's close time as its resolution time)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ccreview.data import columns as c
from ccreview.data.dataset import no_assumptions

__all__ = ["ASSUMPTIONS", "ROW_CHECKS", "SCALE_RANGES"]


def _contact_checks(typed: pd.DataFrame, frame: pd.DataFrame):
    abandoned = typed[c.ABANDONED].fillna(False).to_numpy(dtype=bool)
    answered = typed[c.ANSWERED_AT].notna().to_numpy()
    yield (
        abandoned & answered,
        c.ABANDONED,
        "is true but answered_at is set; a contact is either answered or abandoned",
    )


def _empty(frame: pd.DataFrame, column: str) -> np.ndarray:
    """Cells left blank in the file (an unparseable cell is reported apart); True throughout
    when the file has no such column (its values are all missing)."""
    if column not in frame:
        return np.ones(len(frame), dtype=bool)
    return frame[column].astype("string").str.strip().fillna("").eq("").to_numpy()


def _incident_checks(typed: pd.DataFrame, frame: pd.DataFrame):
    if c.CLOSED_AT in frame:
        closed = typed[c.STATUS].isin(["closed"]).to_numpy() & _empty(frame, c.CLOSED_AT)
        yield closed, c.CLOSED_AT, "is empty but status is 'closed'; add the closure time"
    if c.RESOLVED_AT not in frame:
        return
    resolved = (typed[c.STATUS].isin(["resolved"]).to_numpy() & _empty(frame, c.RESOLVED_AT)
                & _empty(frame, c.CLOSED_AT))
    yield (resolved, c.RESOLVED_AT,
           "is empty but status is 'resolved'; add the resolution time (or the closure time)")


def _incident_assumptions(accepted: pd.DataFrame, absent: list[str]) -> pd.DataFrame:
    """A closed incident without a resolution time is not open: its close time stands in
    (reference 1.11: an open incident is one not yet resolved). Cancelled ones are left
    as they are; they have no targets and are never backlog. A file with no resolution
    column at all is not given one: its resolution measures are not measurable."""
    if c.RESOLVED_AT in absent:
        return no_assumptions()
    cancelled = accepted[c.STATUS].eq("cancelled").to_numpy(dtype=bool, na_value=False)
    fill = (accepted[c.RESOLVED_AT].isna() & accepted[c.CLOSED_AT].notna()).to_numpy() & ~cancelled
    if not fill.any():
        return no_assumptions()
    accepted.loc[fill, c.RESOLVED_AT] = accepted.loc[fill, c.CLOSED_AT]
    return pd.DataFrame({"table": ["incidents"], "column": [c.RESOLVED_AT],
                         "rows": [int(fill.sum())],
                         "assumption": ["closed without a resolution time: the close time is "
                                        "used as the resolution time, so they are not counted "
                                        "as open"]})


#: the range of each feedback scale
SCALE_RANGES = {"csat_1_5": (1, 5), "nps_0_10": (0, 10), "ces_1_5": (1, 5), "ces_1_7": (1, 7)}


def _feedback_checks(typed: pd.DataFrame, frame: pd.DataFrame):
    score = typed[c.SCORE].astype("Float64")
    for scale, (low, high) in SCALE_RANGES.items():
        on_scale = typed[c.SCALE].eq(scale).to_numpy(dtype=bool, na_value=False)
        outside = on_scale & ((score < low) | (score > high)).to_numpy(dtype=bool, na_value=False)
        yield (outside, c.SCORE,
               f"is outside the {scale} scale ({low} to {high}); check the scale column or the score")


#: table -> (columns the rule needs in the file, rule)
ROW_CHECKS = {
    "feedback": (((c.SCORE, c.SCALE), _feedback_checks),),
    "contacts": (((c.ABANDONED, c.ANSWERED_AT), _contact_checks),),
    "incidents": (((c.STATUS,), _incident_checks),),
}

#: table -> what is filled in on accepted rows rather than losing them
ASSUMPTIONS = {"incidents": _incident_assumptions}
