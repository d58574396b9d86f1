"""The recommendations register: one row per recommendation, kept beside the parameters and
edited in a spreadsheet, carried from run to run.

Each run reads it (this module checks it, every problem at once, naming the spreadsheet
row), carries the open items forward, adds what the run newly finds as *proposed* and
publishes the updated register with the run; the user's file is never written. The
columns are :data:`REGISTER_COLUMNS`; a register may hold only some of them (the rest are
filled), and any column of its own is kept as it is.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ccreview.exceptions import ConfigError
from ccreview.wording import did_you_mean

__all__ = ["OPEN_STATUSES", "REGISTER_COLUMNS", "RegisterError", "STATUSES", "read_register"]

#: the life of a recommendation
STATUSES = ("proposed", "accepted", "rejected", "in progress", "implemented", "closed")
#: statuses whose recommendation still asks for work
OPEN_STATUSES = ("proposed", "accepted", "in progress")
REGISTER_COLUMNS = ["recommendation_id", "title", "action", "owner", "priority", "status",
                    "proposed_on", "due", "change_id", "metric", "evidence", "last_seen_run",
                    "evidence_now", "notes"]
_DATES = ("proposed_on", "due")


class RegisterError(ConfigError):
    """The recommendations register cannot be read as it is."""


def read_register(path: str | Path) -> pd.DataFrame:
    """Read and check a register; a file that does not exist yet is an empty register.

    Returns
    -------
    DataFrame
        Every column as text (dates as ``YYYY-MM-DD``), in the file's row order.

    Raises
    ------
    RegisterError
        Naming the file, spreadsheet row and column of every problem: an unknown status,
        an id given twice or missing, a date that is not a date.
    """
    path = Path(path)
    if not path.exists():
        return pd.DataFrame(columns=REGISTER_COLUMNS)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise RegisterError(f"{path}: cannot be read as a CSV register ({str(exc).splitlines()[0]}). "
                            "Save it from the spreadsheet as CSV UTF-8.") from None
    frame.columns = [str(col).strip() for col in frame.columns]
    problems = []
    for column in ("recommendation_id", "status"):
        if column not in frame:
            problems.append(f"{path}: no {column!r} column; a register needs at least "
                            "recommendation_id and status.")
    if problems:
        raise RegisterError("\n".join(problems))
    frame = frame.apply(lambda col: col.str.strip())
    row = pd.Series(range(2, len(frame) + 2), index=frame.index)  # the spreadsheet's row numbers
    ids = frame["recommendation_id"]
    for r in row[ids.eq("")]:
        problems.append(f"{path}: row {r}: recommendation_id is empty; give every row its id "
                        "(keep the one the run gave it).")
    repeated = ids[ids.ne("") & ids.duplicated(keep=False)]
    for value, rows in row[repeated.index].groupby(repeated).agg(list).items():
        problems.append(f"{path}: rows {', '.join(map(str, rows))}: recommendation_id {value!r} is "
                        "given more than once; keep one row per recommendation.")
    status = frame["status"].str.lower()
    for r, value in zip(row[~status.isin(STATUSES)], frame["status"][~status.isin(STATUSES)], strict=True):
        problems.append(f"{path}: row {r}: status {value!r} is not one of {', '.join(STATUSES)}."
                        f"{did_you_mean(value, STATUSES)}")
    for column in _DATES:
        if column not in frame:
            continue
        given = frame[column].ne("")
        parsed = pd.to_datetime(frame[column].where(given), format="%Y-%m-%d", errors="coerce")
        for r, value in zip(row[given & parsed.isna()], frame[column][given & parsed.isna()], strict=True):
            problems.append(f"{path}: row {r}: {column} {value!r} is not a date; write it as "
                            "YYYY-MM-DD, e.g. 2026-12-31.")
    if problems:
        raise RegisterError("\n".join(problems))
    frame["status"] = status
    for column in REGISTER_COLUMNS:
        if column not in frame:
            frame[column] = ""
    extra = [col for col in frame.columns if col not in REGISTER_COLUMNS]
    return frame[REGISTER_COLUMNS + extra]
