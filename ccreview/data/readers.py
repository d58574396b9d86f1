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
    malformed = numbers = None
    try:
        if ".parquet" in suffixes or ".pq" in suffixes:
            frame, label, first = pd.read_parquet(path), "record", 1
        elif suffixes and suffixes[-1] in (".xlsx", ".xlsm", ".xls"):
            frame, label, first = pd.read_excel(path, sheet_name=0, dtype=object), "row", 2
        else:
            (frame, malformed, numbers), label, first = _read_csv(path), "row", 2
    except InputError:
        raise
    except Exception as exc:  # the reader's own message is the most precise one
        raise InputError(
            f"{path}: could not be read ({type(exc).__name__}: {exc}). "
            "Check that it is a CSV, Parquet or Excel file and not open in another program."
        ) from exc
    raw_columns = [str(col) for col in frame.columns]
    frame.columns = [normalise_header(col) for col in frame.columns]
    if not len(frame.columns):
        raise InputError(f"{path}: no columns found; the first line must hold column names.")
    # a header with no rows is a valid, empty table (a quarter without major incidents);
    # the loader decides whether the table may be empty
    normalised = pd.Series(frame.columns)
    if normalised.duplicated().any():
        clash = normalised[normalised.duplicated()].iloc[0]
        original = [o for o, n in zip(raw_columns, normalised, strict=True) if n == clash]
        raise InputError(f"{path}: columns {', '.join(map(repr, original))} all read as "
                         f"{clash!r} once spaces and capitals are set aside; keep one of them "
                         "or rename the others.")
    rows = (pd.RangeIndex(first, first + len(frame)).to_numpy() if numbers is None else numbers)
    frame[c.SOURCE_ROW] = rows
    return RawTable(frame.reset_index(drop=True), path, label, rejected=malformed)


def _read_csv(path: Path) -> tuple[pd.DataFrame, pd.DataFrame | None, np.ndarray | None]:
    """The file's rows as text, the rows set aside (their field count, or bytes that are
    not text in the file's encoding) and each kept row's row number when it is not simply
    its position (None)."""
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
    mixed = False
    try:
        with _open_binary(path) as handle:
            arrow = pacsv.read_csv(handle, read_options, parse_options, convert_options)
    except pa.ArrowInvalid as exc:
        if not (encoding == "utf-8" and "UTF8" in str(exc).upper()):
            raise InputError(f"{path}: {_explain_arrow_error(exc)}") from exc
        # bytes past the sample are not UTF-8: decide for the whole file, once
        encoding, data, mixed = _decode_whole_file(path, bom_length)
        skipped.clear()
        arrow = pacsv.read_csv(pa.BufferReader(data), pacsv.ReadOptions(block_size=1 << 24),
                               parse_options, convert_options)
    if len(set(arrow.column_names)) != len(arrow.column_names):
        dupes = sorted({n for n in arrow.column_names if arrow.column_names.count(n) > 1})
        raise InputError(f"{path}: column names appear twice: {', '.join(dupes)}. Rename them.")
    frame = arrow.to_pandas(types_mapper=lambda t: pd.StringDtype() if t == pa.string() else None)
    malformed, rows = None, None
    if skipped or _has_blank_lines(path):
        malformed, rows = _row_numbers(path, encoding, bom_length, delimiter, len(header),
                                       skipped)
    if mixed:
        frame, rows, malformed = _set_aside_undecodable(frame, rows, malformed)
    return frame, malformed, rows


def _decode_whole_file(path: Path, bom_length: int) -> tuple[str, bytes, bool]:
    """A file whose first megabyte is UTF-8 but not the rest: UTF-8 with a few stray bytes
    (valid non-ASCII UTF-8 elsewhere in it) keeps its encoding, the stray bytes shown as
    U+FFFD and their rows set aside; a file with no non-ASCII UTF-8 at all is a single-byte
    export (cp1252). Returns the encoding, the text as UTF-8 bytes, and whether it mixes."""
    with _open_binary(path) as handle:
        raw = handle.read()[bom_length:]
    text = raw.decode("utf-8", errors="replace")
    if re.search("[^\x00-\x7f\ufffd]", text):
        return "utf-8", text.encode("utf-8"), True
    return "cp1252", raw.decode("cp1252", errors="replace").encode("utf-8"), False


def _has_blank_lines(path: Path) -> bool:
    """Whether the file has an empty line (the CSV parser skips them, a spreadsheet counts
    them as rows), scanning its bytes in large blocks."""
    tail = b""
    with _open_binary(path) as handle:
        while block := handle.read(1 << 24):
            edge = tail + block[:2]  # a blank line across two blocks
            if (b"\n\n" in block or b"\n\r\n" in block or b"\n\n" in edge
                    or b"\n\r\n" in edge):
                return True
            tail = block[-2:]
    return False


def _set_aside_undecodable(frame: pd.DataFrame, rows: np.ndarray | None,
                           malformed: pd.DataFrame | None):
    """Rows holding bytes that were not UTF-8 (now U+FFFD) go to the quarantine, with the
    column named: their text cannot be trusted, the rest of the file can."""
    rows = np.arange(2, 2 + len(frame)) if rows is None else rows
    bad = np.zeros(len(frame), dtype=bool)
    where = np.full(len(frame), "", dtype=object)
    for column in frame.columns:
        hit = frame[column].astype("string").str.contains("\ufffd", regex=False).to_numpy(
            dtype=bool, na_value=False) & ~bad
        where[hit] = column
        bad |= hit
    if not bad.any():
        return frame, rows, malformed
    aside = frame[bad].astype("string").fillna("")
    aside = aside.assign(**{c.SOURCE_ROW: rows[bad], c.REASONS: [
        f"{normalise_header(col)}: holds bytes that are not valid UTF-8 (the file mixes "
        "encodings), shown as \ufffd, so export the file again as UTF-8" for col in where[bad]]})
    aside.columns = [normalise_header(col) if col not in (c.SOURCE_ROW, c.REASONS) else col
                     for col in aside.columns]
    malformed = aside if malformed is None else pd.concat([malformed, aside], ignore_index=True)
    return frame[~bad].reset_index(drop=True), rows[~bad], malformed


def _row_numbers(path: Path, encoding: str, bom_length: int, delimiter: str, expected: int,
                 skipped: list[tuple[int, int, str]]) -> tuple[pd.DataFrame | None, np.ndarray]:
    """Each row's spreadsheet row number (the header is row 1, a blank line is a row) and
    the rows the parser left out for their field count.

    The parser says neither, so the file is read once more by the standard csv module,
    counting fields per record (only when rows were left out or lines are blank).
    """
    with _open_binary(path) as handle:
        stream = io.TextIOWrapper(handle, encoding=encoding, errors="replace", newline="")
        if bom_length and encoding.startswith("utf-8"):
            stream.read(1)
        widths = np.fromiter((len(record) for record in csv.reader(stream, delimiter=delimiter)),
                             dtype=np.int64)
    widths = widths[1:]  # the header
    blank = widths == 0
    number = np.arange(2, 2 + len(widths))
    bad = (widths != expected) & ~blank
    if bad.sum() != len(skipped):
        raise InputError(
            f"{path}: {len(skipped)} row(s) have a different number of fields from the header "
            f"({expected}) and they could not be located. Check for a missing or extra "
            "delimiter, or a stray quote.")
    good = number[~bad & ~blank]
    if not skipped:
        return None, good
    actual = np.array([s[1] for s in skipped])
    reasons = [f"the row has {a} fields where the header has {expected}, so its values cannot "
               f"be matched to columns (check for a missing or extra '{delimiter}' or an "
               "unquoted one inside a value)" for a in actual]
    return pd.DataFrame({"row_text": [s[2] for s in skipped], c.SOURCE_ROW: number[bad],
                         c.REASONS: reasons}), good


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
