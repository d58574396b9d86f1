"""The validated data set handed on: accepted and quarantined rows per table, counts that reconcile."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

__all__ = [
    "ASSUMPTION_COLUMNS",
    "Dataset",
    "ISSUE_COLUMNS",
    "TableResult",
]


ISSUE_COLUMNS = ["table", "file", "row", "column", "value", "problem"]
#: what the kit assumed to keep a row rather than lose it (counted, shown in data health)
ASSUMPTION_COLUMNS = ["table", "column", "rows", "assumption"]


def no_assumptions() -> pd.DataFrame:
    """An empty table of assumptions."""
    return pd.DataFrame({"table": pd.Series(dtype=str), "column": pd.Series(dtype=str),
                         "rows": pd.Series(dtype="int64"), "assumption": pd.Series(dtype=str)})


@dataclass
class TableResult:
    """One validated table.

    Attributes
    ----------
    name : str
        Canonical table name.
    source : str
        The file it came from (as given in the parameters).
    data : DataFrame
        Accepted rows, typed, canonical columns plus ``source_row``.
    rejected : DataFrame
        Quarantined rows with their original text, ``source_row`` and ``reasons``.
    issues : DataFrame
        One row per problem: table, file, row, column, value, problem.
    rows_read : int
        Data rows in the file.
    ignored_columns : list of str
        Columns in the file that are not part of the canonical table.
    absent_columns : list of str
        Canonical columns the file does not have (their values are all missing,
        and metrics that need them say so instead of showing a number).
    assumptions : DataFrame
        What was filled in to keep rows rather than lose them: table, column, rows
        (how many accepted rows) and assumption (what was done, in words).
    """

    name: str
    source: str
    data: pd.DataFrame
    rejected: pd.DataFrame
    issues: pd.DataFrame
    rows_read: int
    ignored_columns: list[str] = field(default_factory=list)
    absent_columns: list[str] = field(default_factory=list)
    assumptions: pd.DataFrame = field(default_factory=no_assumptions)

    def has(self, column: str) -> bool:
        """Whether the file supplied ``column``."""
        return column not in self.absent_columns

    @property
    def rows_accepted(self) -> int:
        """Rows that passed validation."""
        return len(self.data)

    @property
    def rows_rejected(self) -> int:
        """Rows quarantined."""
        return len(self.rejected)


@dataclass
class Dataset:
    """All validated tables of a run, keyed by canonical table name."""

    tables: dict[str, TableResult]
    timezone: str

    def __contains__(self, name: str) -> bool:
        return name in self.tables

    def __getitem__(self, name: str) -> pd.DataFrame:
        """Accepted rows of table ``name``."""
        try:
            return self.tables[name].data
        except KeyError:
            raise KeyError(
                f"table {name!r} was not loaded for this run; add it under 'data:' in the "
                f"parameter file (loaded: {', '.join(self.tables) or 'none'})"
            ) from None

    def health(self) -> pd.DataFrame:
        """Rows read, accepted and rejected per table (a tidy DataFrame)."""
        rows = [
            {
                "table": t.name,
                "file": t.source,
                "rows_read": t.rows_read,
                "rows_accepted": t.rows_accepted,
                "rows_rejected": t.rows_rejected,
            }
            for t in self.tables.values()
        ]
        return pd.DataFrame(rows, columns=["table", "file", "rows_read", "rows_accepted",
                                           "rows_rejected"])

    def assumptions(self) -> pd.DataFrame:
        """Every assumption made to keep rows, across tables (:data:`ASSUMPTION_COLUMNS`)."""
        frames = [t.assumptions for t in self.tables.values() if len(t.assumptions)]
        return pd.concat(frames, ignore_index=True) if frames else no_assumptions()

    def issues(self) -> pd.DataFrame:
        """Every row-level problem found, across tables."""
        frames = [t.issues for t in self.tables.values() if len(t.issues)]
        if not frames:
            return pd.DataFrame(columns=ISSUE_COLUMNS)
        return pd.concat(frames, ignore_index=True)
