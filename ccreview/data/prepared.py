"""Validated data handed from the runner to the notebooks.

The runner loads and validates the raw exports once and saves the result in a
*prepared* folder (Parquet for accepted rows, CSV for quarantined rows and the
issue list, JSON for the counts); every notebook of the run reads that folder
instead of re-reading the raw files.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ccreview.data.dataset import ASSUMPTION_COLUMNS, ISSUE_COLUMNS, Dataset, TableResult, no_assumptions
from ccreview.data.redact import write_csv

__all__ = ["QUARANTINE_SUFFIX", "load_prepared", "save_prepared"]

QUARANTINE_SUFFIX = "_quarantined.csv"
ISSUES_FILE = "data_issues.csv"
#: the prepared folder's own copies (never the published downloads)
REJECTED_SUFFIX = "_quarantined.parquet"
ISSUES_PARQUET = "data_issues.parquet"


def save_prepared(dataset: Dataset, prepared_dir: Path, downloads_dir: Path) -> None:
    """Save accepted rows, quarantined rows and issues (Parquet, for the notebooks) and
    publish the quarantined rows and issues (CSV, for download).

    The downloads are written only, never read back: they are redacted (e-mail addresses,
    phone numbers) and defused against spreadsheet formula injection, so the notebooks read
    the prepared folder's own copies, which hold the rows as validated.
    """
    prepared_dir.mkdir(parents=True, exist_ok=True)
    downloads_dir.mkdir(parents=True, exist_ok=True)
    summary = {"timezone": dataset.timezone, "tables": {}}
    for name, result in dataset.tables.items():
        result.data.to_parquet(prepared_dir / f"{name}.parquet", index=False)
        _text_frame(result.rejected).to_parquet(prepared_dir / f"{name}{REJECTED_SUFFIX}",
                                                 index=False)
        if result.rows_rejected:
            write_csv(result.rejected, downloads_dir / f"{name}{QUARANTINE_SUFFIX}")
        summary["tables"][name] = {
            "source": result.source,
            "rows_read": result.rows_read,
            "ignored_columns": result.ignored_columns,
            "absent_columns": result.absent_columns,
            "assumptions": result.assumptions.to_dict(orient="records"),
        }
    issues = dataset.issues()
    _text_frame(issues).to_parquet(prepared_dir / ISSUES_PARQUET, index=False)
    write_csv(issues, downloads_dir / ISSUES_FILE)
    (prepared_dir / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")


def _text_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Quarantined rows and issues as text columns (what Parquet stores without fuss)."""
    return frame.astype({col: "string" for col in frame.columns if col != "row"})


def load_prepared(prepared_dir: str | Path, downloads_dir: str | Path | None = None) -> Dataset:
    """Read a prepared folder back into a :class:`~ccreview.data.validate.Dataset`.

    ``downloads_dir`` is accepted for callers of earlier versions and not read: the
    prepared folder holds everything.
    """
    prepared_dir = Path(prepared_dir)
    summary = json.loads((prepared_dir / "summary.json").read_text(encoding="utf-8"))
    issues = pd.read_parquet(prepared_dir / ISSUES_PARQUET)
    if not len(issues):
        issues = pd.DataFrame(columns=ISSUE_COLUMNS)
    tables = {}
    for name, info in summary["tables"].items():
        rejected = pd.read_parquet(prepared_dir / f"{name}{REJECTED_SUFFIX}")
        tables[name] = TableResult(
            name=name,
            source=info["source"],
            data=pd.read_parquet(prepared_dir / f"{name}.parquet"),
            rejected=rejected,
            issues=issues[issues["table"] == name].reset_index(drop=True),
            rows_read=int(info["rows_read"]),
            ignored_columns=list(info["ignored_columns"]),
            absent_columns=list(info["absent_columns"]),
            assumptions=(pd.DataFrame(info["assumptions"], columns=ASSUMPTION_COLUMNS)
                         if info.get("assumptions") else no_assumptions()),
        )
    return Dataset(tables, summary["timezone"])
