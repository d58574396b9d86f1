"""One queue or one team reviewed on its own: a :class:`Dataset` narrowed to their rows.

An analyst in JupyterLab sets ``queue`` or ``team`` in the notebook's parameters cell (or a
``period`` other than the parameter file's); :func:`subset_dataset` keeps the rows of every
table that belong to them, so every section computes from the same narrowed data. The data
health still describes the whole export (rows read, quarantined), as it must reconcile with
the files.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

from ccreview.data import columns as c
from ccreview.data.dataset import Dataset
from ccreview.exceptions import ParameterError
from ccreview.wording import did_you_mean

__all__ = ["SubsetDataset", "subset_dataset"]

#: the column each kind of subset selects on, per table (the first one present is used)
SUBSET_COLUMNS = {"queue": (c.QUEUE,), "team": (c.ASSIGNED_TEAM, c.TEAM)}


@dataclass
class SubsetDataset(Dataset):
    """A :class:`Dataset` narrowed to some rows; health, issues and assumptions are the full
    export's (``full``), so the data health still reconciles with the files."""

    full: Dataset | None = None
    description: str = ""

    def health(self) -> pd.DataFrame:
        return self.full.health()

    def assumptions(self) -> pd.DataFrame:
        return self.full.assumptions()

    def issues(self) -> pd.DataFrame:
        return self.full.issues()


def _values(value) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list | tuple | set) else str(value).replace(";", ",").split(",")
    return [str(v).strip() for v in items if str(v).strip()]


def subset_dataset(data: Dataset, *, queue=None, team=None) -> Dataset:
    """``data`` narrowed to the rows of ``queue`` and/or ``team`` (a name or several, comma
    separated). Tables without the column are kept whole, except incident events, which follow
    the incidents kept. Raises :class:`ParameterError` naming an unknown queue or team."""
    wanted = {kind: _values(v) for kind, v in (("queue", queue), ("team", team)) if _values(v)}
    if not wanted:
        return data
    tables = dict(data.tables)
    for kind, values in wanted.items():
        seen: set[str] = set()
        for name, table in tables.items():
            column = next((col for col in SUBSET_COLUMNS[kind] if col in table.data), None)
            if column is None or name == "incident_events":
                continue
            present = table.data[column].astype("string")
            seen |= set(present.dropna().unique())
            tables[name] = replace(table, data=table.data[present.isin(values).fillna(False).to_numpy()])
        unknown = [v for v in values if v not in seen]
        if unknown:
            raise ParameterError(f"{kind}={unknown[0]!r} is not in the data.{did_you_mean(unknown[0], seen)} "
                                 f"Known: {', '.join(sorted(seen)[:20])}.")
    if "incidents" in tables and "incident_events" in tables:
        kept = tables["incidents"].data[c.INCIDENT_ID]
        events = tables["incident_events"]
        tables["incident_events"] = replace(events, data=events.data[events.data[c.INCIDENT_ID].isin(kept)
                                                                      .to_numpy()])
    description = "; ".join(f"{kind} {', '.join(values)}" for kind, values in wanted.items())
    return SubsetDataset(tables=tables, timezone=data.timezone, full=data, description=description)
