"""Validation: turn raw files into canonical, typed tables and quarantine bad rows.

Every problem is reported at once. Problems that make a file unusable (a missing
required column) are *fatal* and are raised together as one
:class:`~ccreview.exceptions.InputError`. Problems in a row (an unparseable or
impossible timestamp, resolved before opened, a negative duration, a duplicate
id, a value outside the allowed set, a link to an unknown record) quarantine
that row with its reasons; the run goes on and the counts reconcile:
``rows_read == rows_accepted + rows_rejected``. Rows an importer refused
(:attr:`ccreview.data.readers.RawTable.rejected`) join the quarantine with the importer's
reasons and the export's row numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ccreview.data import columns as c
from ccreview.data.dataset import ISSUE_COLUMNS, Dataset, TableResult, no_assumptions
from ccreview.data.parse import ParseOptions, parse_column
from ccreview.data.readers import RawTable, read_raw
from ccreview.data.row_rules import ASSUMPTIONS, ROW_CHECKS
from ccreview.data.schema import TABLES, Table
from ccreview.exceptions import InputError
from ccreview.wording import did_you_mean

__all__ = ["Dataset", "InputSources", "TableResult", "load_dataset", "load_inputs", "validate_table"]


class InputSources(Protocol):
    """What :func:`load_inputs` reads of a run's parameters
    (:class:`ccreview.config.parameters.RunParameters` has these attributes)."""

    data: Mapping[str, Path]
    imports: Mapping[str, Path]
    timezone: str
    timestamp_format: str | dict | None
    date_format: str | dict | None

def load_dataset(
    paths: dict[str, str | Path | RawTable],
    *,
    timezone: str,
    display_names: dict[str, str] | None = None,
    timestamp_format: str | dict | None = None,
    date_format: str | dict | None = None,
) -> Dataset:
    """Read and validate every table named in ``paths``.

    Parameters
    ----------
    paths : dict
        Canonical table name -> file path, or a :class:`~ccreview.data.readers.RawTable` an
        importer made.
    timezone : str
        The centre's IANA time zone; naive timestamps are read as local time there.
    display_names : dict, optional
        Table name -> how to name the file in messages (defaults to the path).
    timestamp_format, date_format : str, optional
        strftime formats for exports that do not write ISO 8601.

    Returns
    -------
    Dataset

    Raises
    ------
    InputError
        Listing every fatal problem across all files (missing files, empty files,
        missing required columns, an incidents file none of whose rows is usable),
        so they can all be fixed in one go.
    """
    display_names = display_names or {}
    fatal: list[str] = []
    raws: dict[str, RawTable] = {}
    for name, path in paths.items():
        if name not in TABLES:
            fatal.append(f"unknown table {name!r} under 'data:'; known: {', '.join(TABLES)}")
            continue
        if isinstance(path, RawTable):
            raws[name] = path
            continue
        try:
            raws[name] = read_raw(path)
        except InputError as exc:
            fatal.extend(f"{p} (table '{name}')" for p in exc.problems)
    if "incidents" in raws and raws["incidents"].frame.empty:
        fatal.append(f"{display_names.get('incidents', raws['incidents'].path)}: has a header but "
                     "no data rows; the review needs incidents. Export the period again.")
    for name, raw in raws.items():
        missing = [col for col in TABLES[name].required if col not in raw.frame.columns]
        if missing:
            columns = [col for col in raw.frame.columns if col != c.SOURCE_ROW]
            hints = "".join(did_you_mean(col, columns) for col in missing)
            fatal.append(
                f"{display_names.get(name, raw.path)}: required column(s) missing for table "
                f"'{name}': {', '.join(missing)}.{hints} The file has: {', '.join(columns)}. "
                "Rename the columns in the export (see the table of input columns in README.md)."
            )
    if fatal:
        raise InputError(fatal)
    results: dict[str, TableResult] = {}
    for name in TABLES:  # referenced tables validate first
        if name in raws:
            results[name] = validate_table(
                raws[name],
                TABLES[name],
                timezone=timezone,
                timestamp_format=_for_table(timestamp_format, name),
                date_format=_for_table(date_format, name),
                source=str(display_names.get(name, raws[name].path)),
                known_keys={ref: results[ref].data[TABLES[ref].key] for ref in results
                            if TABLES[ref].key},
                quarantined_keys={ref: results[ref].rejected[TABLES[ref].key] for ref in results
                                  if TABLES[ref].key and len(results[ref].rejected)},
            )
    incidents = results.get("incidents")
    if incidents is not None and incidents.rows_read and not incidents.rows_accepted:
        common = incidents.issues["problem"].value_counts()
        raise InputError(
            f"{incidents.source}: none of its {incidents.rows_read:,} rows could be used; the "
            f"commonest problem ({common.iloc[0]:,} times): {common.index[0]}"
        )
    return Dataset(results, timezone)


def _is_in(values: pd.Series, keys: pd.Series) -> np.ndarray:
    """``values.isin(keys)`` as one Arrow hash look-up (pandas builds a Python scalar per key
    first, which costs seconds for a few hundred thousand ids)."""
    if not len(keys):
        return np.zeros(len(values), dtype=bool)
    text = [pa.chunked_array(part.astype("string[pyarrow]").array.__arrow_array__())
            for part in (values, keys)]
    found = pc.is_in(text[0], value_set=pc.unique(text[1].combine_chunks()))
    return found.to_numpy().astype(bool)


def _for_table(spec: str | dict | None, table: str) -> str | dict | None:
    """The format(s) a table's file is read with: one for all files, or its own entry."""
    return spec.get(table) if isinstance(spec, dict) else spec


def _for_column(spec: str | dict | None, column: str) -> str | None:
    """The format a column is read with: the table's, or the column's own entry."""
    return spec.get(column) if isinstance(spec, dict) else spec


def load_inputs(params: InputSources, *, display_names: dict[str, str] | None = None) -> Dataset:
    """Load and validate every input of a run: its files and what its importers make.

    Tables named under ``data:`` take precedence over the same table from an importer.
    """
    from ccreview.data.importers import IMPORTERS

    sources: dict[str, str | Path | RawTable] = {}
    names = dict(display_names or {})
    for importer, path in params.imports.items():
        for table, raw in IMPORTERS[importer](path).items():
            sources[table] = raw
            names.setdefault(table, f"{names.get(importer, path)} ({importer} import)")
    sources.update(params.data)
    return load_dataset(sources, timezone=params.timezone, display_names=names,
                        timestamp_format=params.timestamp_format, date_format=params.date_format)


def validate_table(
    raw: RawTable,
    table: Table,
    *,
    timezone: str,
    timestamp_format: str | dict | None = None,
    date_format: str | dict | None = None,
    source: str | None = None,
    known_keys: dict[str, pd.Series] | None = None,
    quarantined_keys: dict[str, pd.Series] | None = None,
) -> TableResult:
    """Type, check and split one raw table into accepted and quarantined rows.

    Parameters
    ----------
    raw : RawTable
        As returned by :func:`ccreview.data.readers.read_raw` (headers already normalised).
    table : Table
        The canonical table it should match.
    timezone : str
        The centre's IANA time zone.
    timestamp_format, date_format : str, optional
        strftime formats for exports that do not write ISO 8601.
    source : str, optional
        How to name the file in messages.
    known_keys : dict, optional
        Table name -> Series of its accepted keys, to check references against.
        References to tables not given here are not checked.
    quarantined_keys : dict, optional
        Table name -> keys of its quarantined rows, so a reference to one is
        explained as such rather than as unknown.

    Returns
    -------
    TableResult
    """
    source = source or str(raw.path)
    def options_for(column: str) -> ParseOptions:
        return ParseOptions(timezone, _for_column(timestamp_format, column),
                            _for_column(date_format, column))

    frame = raw.frame
    rows = frame[c.SOURCE_ROW].to_numpy()
    parsed_columns: dict[str, object] = {}
    problems: list[pd.DataFrame] = []

    def report(mask: np.ndarray | pd.Series, column: str, values: pd.Series, problem: str) -> None:
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        shown = values[mask].astype("string").fillna("")
        problems.append(pd.DataFrame({"index": frame.index[mask], "column": column,
                                      "value": shown.to_numpy(), "problem": problem}))

    for col in table.columns:
        if col.name not in frame.columns:
            empty = parse_column(pd.Series(pd.NA, index=frame.index), col, options_for(col.name))
            parsed_columns[col.name] = empty.values.array
            continue
        parsed = parse_column(frame[col.name], col, options_for(col.name))
        parsed_columns[col.name] = parsed.values.array  # positional: no index alignment
        for mask, message in parsed.problems:
            report(mask, col.name, frame[col.name], message)
        if not col.nullable:
            report(
                parsed.missing,
                col.name,
                frame[col.name],
                f"is empty; {col.name} is required for every row",
            )

    typed = pd.DataFrame(parsed_columns, index=frame.index)

    for earlier, later in table.order:
        first, second = typed[earlier], typed[later]
        bad = (first.notna() & second.notna() & (second < first)).to_numpy()
        shown = pd.Series(pd.NA, index=frame.index, dtype="string")
        if bad.any():  # format only the offending rows: formatting timestamps is slow
            shown[bad] = (second[bad].astype("string") + f" ({earlier} "
                          + first[bad].astype("string") + ")")
        report(bad, later, shown,
               f"is before {earlier}; correct whichever timestamp is wrong in the source system")

    for needs, check in ROW_CHECKS.get(table.name, ()):
        if not set(needs) <= set(frame.columns):  # a rule on an absent column cannot apply
            continue
        for mask, column, message in check(typed, frame):
            report(mask, column, frame[column] if column in frame else typed[column], message)

    for column, target in table.references.items():
        if known_keys is None or target not in known_keys:
            continue
        value = typed[column]
        unknown = value.notna().to_numpy() & ~_is_in(value, known_keys[target])
        held = (_is_in(value, quarantined_keys.get(target, pd.Series(dtype="string")))
                if quarantined_keys else False)
        report(unknown & held, column, value,
               f"refers to a row of {target} that was itself quarantined; fix that row first")
        report(unknown & ~held, column, value,
               f"refers to a record that does not exist in {target}; add it there or correct the id")

    if table.key:
        key = typed[table.key]
        dup = (key.notna() & key.duplicated(keep="first")).to_numpy()
        if dup.any():
            first_row = pd.Series(rows, index=frame.index).groupby(key).transform("first")
            shown = pd.Series(pd.NA, index=frame.index, dtype="string")
            shown[dup] = key[dup] + " (first on row " + first_row[dup].astype("string") + ")"
            report(dup, table.key, shown,
                   f"duplicate {table.key}: the same id is on an earlier row; keep one row per id")

    issues = _assemble_issues(problems, table.name, source, rows)
    bad_index = issues.attrs.pop("index", np.array([], dtype=int))
    rejected_mask = np.zeros(len(frame), dtype=bool)
    rejected_mask[bad_index] = True
    typed[c.SOURCE_ROW] = rows
    rejected = frame.loc[rejected_mask].copy()
    if len(rejected):
        reasons = (
            (issues["column"] + ": " + issues["problem"])
            .groupby(issues["row"].to_numpy())
            .agg("; ".join)
        )
        rejected[c.REASONS] = reasons.reindex(rejected[c.SOURCE_ROW].to_numpy()).to_numpy()
    else:
        rejected[c.REASONS] = pd.Series(dtype="string")
    refused = raw.rejected if raw.rejected is not None else frame.iloc[:0]
    if len(refused):  # rows the importer refused join the quarantine, in the export's order
        more = _refused_issues(refused, table.name, source)
        issues = (pd.concat([issues, more], ignore_index=True) if len(issues) else more)
        issues = issues.sort_values("row", kind="stable").reset_index(drop=True)
        rejected = (pd.concat([rejected, refused], ignore_index=True) if len(rejected)
                    else refused.copy())
        rejected = rejected.sort_values(c.SOURCE_ROW, kind="stable")
    ignored = [col for col in frame.columns if col not in table.names and col != c.SOURCE_ROW]
    absent = [col for col in table.names if col not in frame.columns]
    accepted = typed.loc[~rejected_mask].reset_index(drop=True)
    assumptions = (ASSUMPTIONS[table.name](accepted, absent) if table.name in ASSUMPTIONS
                   else no_assumptions())
    return TableResult(
        name=table.name,
        source=source,
        data=accepted,
        assumptions=assumptions,
        rejected=rejected.reset_index(drop=True),
        issues=issues,
        rows_read=len(frame) + len(refused),
        ignored_columns=ignored,
        absent_columns=absent,
    )


def _assemble_issues(
    problems: list[pd.DataFrame], table: str, source: str, rows: np.ndarray
) -> pd.DataFrame:
    if not problems:
        issues = pd.DataFrame(columns=ISSUE_COLUMNS)
        issues.attrs["index"] = np.array([], dtype=int)
        return issues
    found = pd.concat(problems, ignore_index=True).sort_values(["index", "column"], kind="stable")
    issues = pd.DataFrame(
        {
            "table": table,
            "file": source,
            "row": rows[found["index"].to_numpy()],
            "column": found["column"].to_numpy(),
            "value": found["value"].to_numpy(),
            "problem": found["problem"].to_numpy(),
        }
    ).reset_index(drop=True)
    issues.attrs["index"] = np.unique(found["index"].to_numpy())
    return issues


def _refused_issues(refused: pd.DataFrame, table: str, source: str) -> pd.DataFrame:
    """One issue per reason of the rows an importer refused ("column: problem; ...")."""
    reasons = (refused[c.REASONS].astype("string").fillna("refused by the importer")
               .reset_index(drop=True).str.split("; ").explode())
    parts = reasons.str.split(": ", n=1, expand=True).reindex(columns=[0, 1])
    named = parts[1].notna()
    column = parts[0].where(named, "")
    values = pd.Series("", index=reasons.index, dtype="string")
    for name in column[named].unique():  # a handful of columns, not rows
        if name in refused.columns:
            mask = (column == name).to_numpy()
            values[mask] = refused[name].astype("string").to_numpy()[reasons.index[mask]]
    return pd.DataFrame({
        "table": table,
        "file": source,
        "row": refused[c.SOURCE_ROW].to_numpy()[reasons.index],
        "column": column.to_numpy(),
        "value": values.fillna("").to_numpy(),
        "problem": parts[1].where(named, parts[0]).to_numpy(),
    })
