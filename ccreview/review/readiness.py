"""Whether the data is fit to review, said before anything runs: columns that look like a
misspelt canonical one, columns whose absence leaves measures unmeasurable, and files
that lose most of their rows (usually one wrong reading option, not bad data)."""

from __future__ import annotations

from ccreview.data.dataset import Dataset
from ccreview.data.schema import TABLES
from ccreview.kpis.catalogue import METRICS
from ccreview.wording import did_you_mean, fmt_pct, plural

__all__ = ["MOST_ROWS", "blocking_problems", "input_warnings"]

#: a file losing more than this share of its rows stops ``ccreview check`` from saying "ready"
MOST_ROWS = 0.5


def input_warnings(dataset: Dataset) -> list[str]:
    """Sentences about columns: ignored ones that resemble a canonical column (a misspelt
    header), and absent ones that measures need."""
    out = []
    for t in dataset.tables.values():
        names = TABLES[t.name].names
        for column in t.ignored_columns:
            hint = did_you_mean(column, [n for n in names if n in t.absent_columns])
            if hint:
                out.append(f"{t.source}: column {column!r} is not a column of {t.name}, so it "
                           f"was ignored.{hint} Rename it in the export to use it.")
        for column in t.absent_columns:
            needs = [m.label for m in METRICS.values() if m.table == t.name and column in m.needs]
            if needs:
                out.append(f"{t.source} has no {column} column, so these cannot be measured: "
                           f"{', '.join(needs)}.")
    return out


def blocking_problems(dataset: Dataset) -> list[str]:
    """Why the data is not ready to review: files that lost most of their rows, with the
    commonest reason."""
    out = []
    for t in dataset.tables.values():
        if t.rows_read and t.rows_rejected / t.rows_read > MOST_ROWS:
            common = t.issues["problem"].value_counts()
            reason = (f"; the commonest problem ({plural(int(common.iloc[0]), 'row')}): "
                      f"{common.index[0]}" if len(common) else "")
            out.append(f"{t.source}: {fmt_pct(t.rows_rejected / t.rows_read)} of its rows "
                       f"({t.rows_rejected:,} of {t.rows_read:,}) would be quarantined{reason}. "
                       "That is usually one reading option (a date or time format, a delimiter) "
                       "that does not fit this file; fix it before running.")
    return out
