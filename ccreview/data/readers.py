"""Readers for the input files: CSV (any common encoding, with or without BOM),
Parquet and Excel.

Readers return every column as read, plus the row number a user would see when
opening the file (a spreadsheet counts the header as row 1), so validation can
point at the exact row. Nothing here judges the values; :mod:`ccreview.data.validate`
does.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from ccreview.data import columns as c
from ccreview.exceptions import InputError

__all__ = ["RawTable", "file_sha256", "normalise_header", "read_raw"]

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_SAMPLE_BYTES = 1 << 20
_DELIMITERS = ",;\t|"


@dataclass
class RawTable:
    """A file as read: every value untouched, plus where each row came from.

    Attributes
    ----------
    frame : DataFrame
        The file's columns under normalised snake_case headers, plus
        ``source_row`` (the row number a user sees in the file).
    path : Path
        The file read.
    row_label : str
        What ``source_row`` counts: ``"row"`` for CSV and Excel (header is row 1),
        ``"record"`` for Parquet (first record is 1).
    rejected : DataFrame, optional
        Rows an importer refused, so that validation quarantines and counts them
        (rows read = rows in ``frame`` + rows here): the row's values as text (any
        columns), ``source_row`` and ``reasons``, written as validation writes its
        own: ``"column: problem"``, several joined by ``"; "``.
    """

    frame: pd.DataFrame
    path: Path
    row_label: str = "row"
    rejected: pd.DataFrame | None = None


def normalise_header(name: object) -> str:
    """Return a header as an identifier-safe snake_case name (``"Opened At "`` -> ``"opened_at"``)."""
    # a UTF-8 byte-order mark survives as "\ufeff", or as "ï»¿" when the rest of the
    # file was not UTF-8 and it was read as cp1252
    text = str(name).replace("\ufeff", "").removeprefix("ï»¿").strip().lower()
    return re.sub(r"\W+", "_", text).strip("_")


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes, read in chunks (for the run manifest)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 22), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_raw(path: str | Path) -> RawTable:
    """Read a CSV, Parquet or Excel file without interpreting its values.

    Parameters
    ----------
    path : str or Path
        ``.csv``/``.txt``/``.tsv`` (optionally ``.gz``, or alone in a ``.zip``),
        ``.parquet`` or ``.xlsx``/``.xls``.

    Returns
    -------
    RawTable

    Raises
    ------
    InputError
        When the file is missing, empty, has no data rows, or cannot be read,
        with the path and what to do about it.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: file not found. Check the path in the parameter file.")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: the file is empty (0 bytes). Export it again.")
    suffixes = [s.lower() for s in path.suffixes]
    malformed = None
    try:
        if ".parquet" in suffixes or ".pq" in suffixes:
            frame, label, first = pd.read_parquet(path), "record", 1
        elif suffixes and suffixes[-1] in (".xlsx", ".xlsm", ".xls"):
            frame, label, first = pd.read_excel(path, sheet_name=0, dtype=object), "row", 2
        else:
            (frame, malformed), label, first = _read_csv(path), "row", 2
    except InputError:
        raise
    except Exception as exc:  # the reader's own message is the most precise one
        raise InputError(
            f"{path}: could not be read ({type(exc).__name__}: {exc}). "
            "Check that it is a CSV, Parquet or Excel file and not open in another program."
        ) from exc
    frame.columns = [normalise_header(col) for col in frame.columns]
    if not len(frame.columns):
        raise InputError(f"{path}: no columns found; the first line must hold column names.")
    # a header with no rows is a valid, empty table (a quarter without major incidents);
    # the loader decides whether the table may be empty
    rows = pd.RangeIndex(first, first + len(frame)).to_numpy()
    rejected = None
    if malformed is not None:  # rows left out for their field count: number the rest around them
        rows = np.delete(np.arange(first, first + len(frame) + len(malformed)),
                         malformed[c.SOURCE_ROW].to_numpy() - first)
        rejected = malformed
    frame[c.SOURCE_ROW] = rows
    return RawTable(frame.reset_index(drop=True), path, label, rejected=rejected)


def _read_csv(path: Path) -> pd.DataFrame:
    with _open_binary(path) as handle:
        sample = handle.read(_SAMPLE_BYTES)
    encoding, bom_length = _detect_encoding(sample)
    text = sample[bom_length:].decode(encoding, errors="replace")
    header_line = text.splitlines()[0] if text.strip() else ""
    if not header_line.strip():
        raise InputError(f"{path}: the first line is blank; the first line must hold column names.")
    delimiter = _sniff_delimiter(header_line)
    header = next(csv.reader([header_line], delimiter=delimiter))
    read_options = pacsv.ReadOptions(encoding=encoding, block_size=1 << 24)
    skipped: list[tuple[int, int, str]] = []

    def skip(row) -> str:  # a row with too few or too many fields: kept aside, not fatal
        skipped.append((row.expected_columns, row.actual_columns, row.text))
        return "skip"

    parse_options = pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True,
                                       invalid_row_handler=skip)
    convert_options = pacsv.ConvertOptions(
        column_types={name: pa.string() for name in header},
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    try:
        with _open_binary(path) as handle:
            arrow = pacsv.read_csv(handle, read_options, parse_options, convert_options)
    except pa.ArrowInvalid as exc:
        if encoding == "utf-8" and "UTF8" in str(exc).upper():
            read_options.encoding = "cp1252"
            with _open_binary(path) as handle:
                arrow = pacsv.read_csv(handle, read_options, parse_options, convert_options)
        else:
            raise InputError(f"{path}: {_explain_arrow_error(exc)}") from exc
    if len(set(arrow.column_names)) != len(arrow.column_names):
        dupes = sorted({n for n in arrow.column_names if arrow.column_names.count(n) > 1})
        raise InputError(f"{path}: column names appear twice: {', '.join(dupes)}. Rename them.")
    frame = arrow.to_pandas(types_mapper=lambda t: pd.StringDtype() if t == pa.string() else None)
    return frame, (_malformed_rows(path, encoding, bom_length, delimiter, skipped)
                   if skipped else None)


def _malformed_rows(path: Path, encoding: str, bom_length: int, delimiter: str,
                    skipped: list[tuple[int, int, str]]) -> pd.DataFrame:
    """The rows the CSV parser left out for their field count, with their row numbers.

    The parser does not say where a row was, so the file is read once more by the
    standard csv module, counting fields per record (only when rows were left out).
    """
    with _open_binary(path) as handle:
        stream = io.TextIOWrapper(handle, encoding=encoding, errors="replace", newline="")
        if bom_length:
            stream.read(1)
        widths = np.fromiter((len(record) for record in csv.reader(stream, delimiter=delimiter)),
                             dtype=np.int64)
    expected = skipped[0][0]
    widths = widths[1:]  # the header
    blank = widths == 0  # blank lines are no records for either parser
    positions = np.flatnonzero((widths != expected) & ~blank)
    if len(positions) != len(skipped):
        raise InputError(
            f"{path}: {len(skipped)} row(s) have a different number of fields from the header "
            f"({expected}), e.g. {skipped[0][2][:80]!r}, and they could not be located. Check "
            "for a missing or extra delimiter, or a stray quote.")
    # a spreadsheet's row number: the header is row 1, blank lines are not rows
    number = 2 + np.cumsum(~blank)[positions] - 1
    actual = np.array([s[1] for s in skipped])
    reasons = [f"the row has {a} fields where the header has {expected}, so its values cannot "
               f"be matched to columns (check for a missing or extra '{delimiter}' or an "
               "unquoted one inside a value)" for a in actual]
    return pd.DataFrame({"row_text": [s[2] for s in skipped], c.SOURCE_ROW: number,
                         c.REASONS: reasons})


def _open_binary(path: Path):
    """Open a CSV, a gzip-compressed CSV or a zip archive holding exactly one CSV."""
    suffix = path.suffix.lower()
    if suffix == ".gz":
        return pa.input_stream(str(path), compression="gzip")
    if suffix == ".zip":
        archive = zipfile.ZipFile(path)
        members = [m for m in archive.namelist() if not m.endswith("/")]
        if len(members) != 1:
            archive.close()
            raise InputError(f"{path}: a zip archive must hold exactly one CSV file; it holds "
                             f"{len(members)} ({', '.join(members[:5])}). Unzip it and point "
                             "the parameter file at the CSV.")
        return archive.open(members[0])
    return open(path, "rb")


def _detect_encoding(sample: bytes) -> tuple[str, int]:
    """Encoding of a CSV from its BOM, else UTF-8 if the sample decodes, else cp1252."""
    for bom, name in _BOMS:
        if sample.startswith(bom):
            return name, len(bom)
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(sample, final=False)
        return "utf-8", 0
    except UnicodeDecodeError:
        return "cp1252", 0


def _sniff_delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in _DELIMITERS}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _explain_arrow_error(exc: Exception) -> str:
    message = str(exc)
    match = re.search(r"Expected (\d+) columns, got (\d+)", message)
    if match:
        return (
            f"a row has {match.group(2)} fields where the header has {match.group(1)} "
            f"({message.splitlines()[-1][:120]}). Quote values that contain the delimiter."
        )
    return f"could not be parsed as CSV: {message[:300]}"
