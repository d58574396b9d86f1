"""Recommendations with memory: this run's recommendations merged into the register.

The same problem keeps its id from run to run (``<rule>:<subject>``, e.g.
``missed-target:resolution_compliance``), so a recommendation found again is the same row,
with the user's own decisions (status, owner, due date, change id, notes) kept and the
evidence refreshed. New findings join as *proposed*; an open recommendation whose evidence
this run no longer finds is marked, for a person to close ("resolved by itself?").
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ccreview.config.register import OPEN_STATUSES, REGISTER_COLUMNS

__all__ = ["KEPT_FROM_REGISTER", "update_register"]

#: what the user decides: never overwritten by a run once set
KEPT_FROM_REGISTER = ("status", "owner", "due", "change_id", "notes", "proposed_on")
#: what the run knows better: refreshed every time the recommendation is found
_REFRESHED = ("title", "action", "priority", "metric", "evidence")


def update_register(register: pd.DataFrame, current: pd.DataFrame, *, run: str, on: str) -> pd.DataFrame:
    """The register after this run.

    Parameters
    ----------
    register : DataFrame
        The register as read (:func:`ccreview.config.register.read_register`).
    current : DataFrame
        This run's recommendations: ``recommendation_id`` and the refreshed columns.
    run : str
        The run's name (``last_seen_run``).
    on : str
        The run's date (``YYYY-MM-DD``), the ``proposed_on`` of new rows.

    Returns
    -------
    DataFrame
        The register's rows in their order (none dropped, none reordered), then the new
        ones; ``evidence_now`` says "found again", "new", or why an open item needs a look.
    """
    register = register.copy()
    current = current.copy()
    for column in REGISTER_COLUMNS:
        if column not in current:
            current[column] = ""
    current = current.astype({k: str for k in REGISTER_COLUMNS}).set_index("recommendation_id")
    ids = register["recommendation_id"]
    found = ids.isin(current.index).to_numpy()
    if found.any():
        fresh = current.loc[ids[found]]
        for column in _REFRESHED:
            register.loc[found, column] = fresh[column].to_numpy()
        for column in KEPT_FROM_REGISTER:  # fill what the user left empty
            empty = found & register[column].eq("").to_numpy()
            register.loc[empty, column] = current.loc[ids[empty], column].to_numpy()
        register.loc[found, "last_seen_run"] = run
        register.loc[found, "evidence_now"] = "found again"
    open_ = register["status"].isin(OPEN_STATUSES).to_numpy()
    register.loc[~found & open_, "evidence_now"] = (
        f"not found by run {run}: resolved by itself? Check, then close it or keep it open")
    register.loc[~found & ~open_, "evidence_now"] = np.where(
        register.loc[~found & ~open_, "status"].eq("implemented"),
        f"not found by run {run}, as an implemented change should make it", "")
    new = current[~current.index.isin(ids)].reset_index()
    new["status"] = "proposed"
    new["proposed_on"] = on
    new["last_seen_run"] = run
    new["evidence_now"] = "new"
    return pd.concat([register, new[[c for c in register.columns if c in new]]], ignore_index=True
                     ).fillna("")
