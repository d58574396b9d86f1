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
from ccreview.data.redact import redact_frame

__all__ = ["QUARANTINE_SUFFIX", "load_prepared", "save_prepared"]

QUARANTINE_SUFFIX = "_quarantined.csv"
ISSUES_FILE = "data_issues.csv"


def save_prepared(dataset: Dataset, prepared_dir: Path, downloads_dir: Path) -> None:
    """Save accepted rows (Parquet) and quarantined rows and issues (CSV, for download).

    The downloads are published: their text is redacted (e-mail addresses, phone
    numbers) and defused against spreadsheet formula injection.
    """
    prepared_dir.mkdir(parents=True, exist_ok=True)
    downloads_dir.mkdir(parents=True, exist_ok=True)
    summary = {"timezone": dataset.timezone, "tables": {}}
    for name, result in dataset.tables.items():
        result.data.to_parquet(prepared_dir / f"{name}.parquet", index=False)
        if result.rows_rejected:
            redact_frame(result.rejected).to_csv(downloads_dir / f"{name}{QUARANTINE_SUFFIX}",
                                                 index=False)
        summary["tables"][name] = {
            "source": result.source,
            "rows_read": result.rows_read,
            "ignored_columns": result.ignored_columns,
            "absent_columns": result.absent_columns,
            "assumptions": result.assumptions.to_dict(orient="records"),
        }
    redact_frame(dataset.issues()).to_csv(downloads_dir / ISSUES_FILE, index=False)
    (prepared_dir / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")


def load_prepared(prepared_dir: str | Path, downloads_dir: str | Path | None = None) -> Dataset:
    """Read a prepared folder back into a :class:`~ccreview.data.validate.Dataset`."""
    prepared_dir = Path(prepared_dir)
    downloads_dir = Path(downloads_dir) if downloads_dir else prepared_dir.parent / "downloads"
    summary = json.loads((prepared_dir / "summary.json").read_text(encoding="utf-8"))
    issues_path = downloads_dir / ISSUES_FILE
    issues = (pd.read_csv(issues_path, dtype={"value": "string"}, keep_default_na=False)
              if issues_path.exists() else pd.DataFrame(columns=ISSUE_COLUMNS))
    tables = {}
    for name, info in summary["tables"].items():
        rejected_path = downloads_dir / f"{name}{QUARANTINE_SUFFIX}"
        rejected = (pd.read_csv(rejected_path, dtype=str, keep_default_na=False)
                    if rejected_path.exists() else pd.DataFrame())
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
