"""Vectorised parsing of raw column values into canonical types.

Each parser returns the typed values, which values were missing, and the
problems found as ``(mask, message)`` pairs; nothing here loops over rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from ccreview.data.schema import Column

__all__ = ["MISSING_TOKENS", "ParseOptions", "Parsed", "parse_column", "to_local_time"]

#: values read as "missing" in typed (non-text) columns, compared case-insensitively
MISSING_TOKENS = ("", "na", "n/a", "nan", "null", "none", "nat", "-")
_TRUE = ("true", "t", "yes", "y", "1", "1.0")
_FALSE = ("false", "f", "no", "n", "0", "0.0")
#: a UTC offset after a time of day ("09:30Z", "09:30:00+01:00"); a bare date's "-01" is not one
_OFFSET = r":\d\d(?:\.\d+)? ?(?:[zZ]|[+-]\d\d(?::?\d\d)?)$"  # fast in RE2: no \s*
#: 1,234 or 1,234,567.5: commas as thousands separators (anything else with a comma is ambiguous)
_THOUSANDS = r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$"
EARLIEST = pd.Timestamp("1970-01-01", tz="UTC")
#: timestamps later than this many days after the run are impossible
FUTURE_DAYS = 400


@dataclass
class Parsed:
    """Result of parsing one column."""

    values: pd.Series
    missing: np.ndarray
    problems: list[tuple[np.ndarray, str]] = field(default_factory=list)


@dataclass(frozen=True)
class ParseOptions:
    """How to read values: the centre's time zone and, for exports that do not
    write ISO 8601, the strftime formats of date-times and dates."""

    timezone: str
    timestamp_format: str | None = None
    date_format: str | None = None


def parse_column(raw: pd.Series, column: Column, options: ParseOptions | str) -> Parsed:
    """Parse a raw column according to its canonical :class:`~ccreview.data.schema.Column`.

    Parameters
    ----------
    raw : Series
        Values as read (strings from CSV, typed values from Parquet or Excel).
    column : Column
        The canonical column definition.
    options : ParseOptions or str
        Reading options, or just the IANA zone for naive timestamps.

    Returns
    -------
    Parsed
    """
    if isinstance(options, str):
        options = ParseOptions(options)
    parser = _PARSERS[column.kind]
    return parser(raw, column, options)


def _text(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    text = raw.astype("string").str.strip()
    missing = (text.isna() | (text == "")).to_numpy(dtype=bool)
    return text.mask(missing), missing


def _typed_text(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    text = raw.astype("string").str.strip()
    missing = (text.isna() | text.str.lower().isin(MISSING_TOKENS)).to_numpy(dtype=bool)
    return text.mask(missing), missing


def _parse_text(raw: pd.Series, column: Column, options: ParseOptions) -> Parsed:
    text, missing = _text(raw)
    return Parsed(text, missing)


def _on_uniques(text: pd.Series, func) -> pd.Series:
    """Apply a string transformation once per distinct value (columns with few values)."""
    codes, uniques = pd.factorize(text)
    mapped = func(pd.Series(uniques, dtype="string")).to_numpy(dtype=object)
    lookup = np.append(mapped, pd.NA)  # code -1 (missing) picks the trailing NA
    return pd.Series(lookup[codes], index=text.index, dtype="string")


def _parse_category(raw: pd.Series, column: Column, options: ParseOptions) -> Parsed:
    text, missing = _typed_text(raw)
    norm = _on_uniques(text, lambda u: u.str.lower().str.replace(r"[\s\-]+", "_", regex=True))
    if column.synonyms:
        norm = norm.replace(column.synonyms)
    result = Parsed(norm, missing)
    if column.allowed:
        bad = (~missing) & ~norm.isin(column.allowed).fillna(False).to_numpy(dtype=bool)
        allowed = ", ".join(column.allowed)
        result.problems.append((bad, f"is not an allowed value; use one of: {allowed}"))
        result.values = norm.mask(bad)
    return result


def _parse_number(raw: pd.Series, column: Column, options: ParseOptions) -> Parsed:
    if pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype):
        number = pd.to_numeric(raw, errors="coerce").astype("Float64")
        missing = number.isna().to_numpy(dtype=bool)
        unparseable = decimal_comma = np.zeros(len(raw), dtype=bool)
    else:
        text, missing = _typed_text(raw)
        has_comma = text.str.contains(",", regex=False).fillna(False).to_numpy(dtype=bool)
        thousands = np.zeros(len(text), dtype=bool)
        if has_comma.any():
            thousands[has_comma] = text[has_comma].str.match(_THOUSANDS).fillna(False).to_numpy(
                dtype=bool)
        decimal_comma = (~missing) & has_comma & ~thousands
        cleaned = text.str.replace(",", "", regex=False) if thousands.any() else text
        cleaned = cleaned.where(thousands | ~has_comma, text)
        number = pd.to_numeric(cleaned.mask(decimal_comma), errors="coerce").astype("Float64")
        unparseable = (~missing) & ~decimal_comma & number.isna().to_numpy(dtype=bool)
    result = Parsed(number, missing)
    noun = "a whole number" if column.kind == "int" else "a number"
    result.problems.append((unparseable, f"is not {noun}"))
    result.problems.append((decimal_comma, "has a comma that is not a thousands separator; "
                                           "write decimals with a point, e.g. 12.5"))
    infinite = (number.notna() & ~np.isfinite(number.astype(float))).to_numpy(dtype=bool)
    result.problems.append((infinite, "is not a finite number (inf, or too large to hold)"))
    if column.kind == "int":
        fractional = (number.notna() & (number != number.round())).to_numpy(dtype=bool)
        fractional &= ~infinite
        result.problems.append((fractional, "is not a whole number"))
    if column.minimum is not None:
        low = (number < column.minimum).fillna(False).to_numpy(dtype=bool)
        limit = _fmt(column.minimum)
        result.problems.append((low, f"is below the minimum {limit} (a negative or impossible value)"))
    if column.maximum is not None:
        high = (number > column.maximum).fillna(False).to_numpy(dtype=bool)
        result.problems.append((high, f"is above the maximum {_fmt(column.maximum)}"))
    bad = np.logical_or.reduce([mask for mask, _ in result.problems])
    number = number.mask(bad)
    result.values = number.round().astype("Int64") if column.kind == "int" else number
    return result


def _parse_bool(raw: pd.Series, column: Column, options: ParseOptions) -> Parsed:
    if pd.api.types.is_bool_dtype(raw.dtype):
        values = raw.astype("boolean")
        return Parsed(values, values.isna().to_numpy(dtype=bool))
    text, missing = _typed_text(raw)
    low = _on_uniques(text, lambda u: u.str.lower())
    values = pd.Series(pd.NA, index=raw.index, dtype="boolean")
    values = values.mask(low.isin(_TRUE).fillna(False), True)
    values = values.mask(low.isin(_FALSE).fillna(False), False)
    bad = (~missing) & values.isna().to_numpy(dtype=bool)
    return Parsed(values, missing, [(bad, "is not true/false (use true, false, yes, no, 1 or 0)")])


def _parse_datetime(raw: pd.Series, column: Column, options: ParseOptions) -> Parsed:
    timezone = options.timezone
    values, missing, unparseable, gap = to_local_time(raw, timezone, fmt=options.timestamp_format)
    now = pd.Timestamp.now(tz="UTC")
    implausible = (
        (values < EARLIEST) | (values > now + pd.Timedelta(days=FUTURE_DAYS))
    ).fillna(False).to_numpy(dtype=bool)
    slashed = np.zeros(len(raw), dtype=bool)
    impossible = np.zeros(len(raw), dtype=bool)
    if unparseable.any():  # only look at the values that failed: regexes are not free
        impossible[unparseable] = _impossible(raw[unparseable])
        slashed[unparseable] = _looks_slashed(raw[unparseable])
        slashed &= ~impossible
    swapped = _swapped_order(raw, options.timestamp_format, missing, unparseable, timezone)
    if swapped:  # a wrong day/month order mis-dates every value that happens to fit it
        wrong = ~missing
        return Parsed(values.mask(wrong).dt.as_unit("us"), missing, [(wrong, swapped)])
    if options.timestamp_format:  # a format was given: "set timestamp_format" is no help
        slashed &= False
    expected = (f"the format {options.timestamp_format!r} (timestamp_format)"
                if options.timestamp_format else "ISO 8601, e.g. 2026-07-01 09:30:00 or "
                                                 "2026-07-01T09:30:00+01:00")
    problems = [
        (unparseable & ~slashed & ~impossible, f"is not a date-time; expected {expected}"),
        (impossible, "is an impossible date-time under any reading (day/month or month/day): "
                     "no such day in that month, or an hour past 23 or a minute past 59; "
                     "correct it in the source system"),
        (slashed, "is a day/month or month/day date-time, which is ambiguous; set "
                  "timestamp_format in the parameter file, e.g. timestamp_format: "
                  "'%d/%m/%Y %H:%M' for 31/07/2026 14:05"),
        (gap, f"does not exist in {timezone} (the clocks went forward over it); "
              "check the source system's time zone setting"),
        (implausible, "is an impossible date (before 1970 or far in the future)"),
    ]
    return Parsed(values.mask(implausible).dt.as_unit("us"), missing, problems)


def _swapped_order(raw: pd.Series, fmt: str | None, missing: np.ndarray,
                   unparseable: np.ndarray, timezone: str) -> str:
    """When most values fail the declared format but nearly all fit it with day and month
    swapped, the declared order is wrong for this file: the message saying so ("" when
    not). The values that fitted are then mis-dated too (3 March read for 3 March or 3
    April alike), so none of the column can be trusted."""
    filled = ~missing
    if not fmt or "%d" not in fmt or "%m" not in fmt or unparseable.sum() <= 0.5 * filled.sum():
        return ""
    other = fmt.replace("%d", "\0").replace("%m", "%d").replace("\0", "%m")
    _, _, still_bad, _ = to_local_time(raw[filled], timezone, fmt=other)
    if still_bad.mean() > 0.1:
        return ""
    first = "day" if fmt.index("%d") < fmt.index("%m") else "month"
    actual = "month" if first == "day" else "day"
    return (f"does not fit the declared timestamp_format {fmt!r}, which reads the {first} "
            f"first, while most of this file's values fit {other!r} ({actual} first): the "
            f"declared order is probably wrong for this file. Set timestamp_format for this "
            f"file to {other!r}; until then none of the column is used, as the values that "
            "fit either order would be mis-dated")


_SLASHED_PARTS = r"^\s*(\d{1,2})[/.](\d{1,2})[/.](\d{2,4})(?:[ T]+(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?)?"
_ISO_PARTS = r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]+(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?)?"


def _possible(year, month, day, hour, minute, second) -> np.ndarray:
    """Whether the numbers make a date-time that exists on some calendar day (missing
    times count as midnight)."""
    year, month, day = (v.astype(float) for v in (year, month, day))
    year = year.where(year >= 100, year + 2000).fillna(2000)
    dates = pd.to_datetime(pd.DataFrame({"year": year, "month": month.fillna(1),
                                         "day": day.fillna(1)}), errors="coerce")
    hour, minute, second = (v.astype(float).fillna(0) for v in (hour, minute, second))
    clock = hour.between(0, 23) & minute.between(0, 59) & second.between(0, 59)
    return (dates.notna() & clock).to_numpy(dtype=bool)


def _impossible(raw: pd.Series) -> np.ndarray:
    """Values shaped like a date-time whose numbers fit no reading: 31/02/2026 25:00 is
    neither day/month nor month/day, 2026-02-30 has no day 30."""
    text = raw.astype("string")
    out = np.zeros(len(text), dtype=bool)
    slashed = text.str.extract(_SLASHED_PARTS).apply(pd.to_numeric, errors="coerce")
    shaped = slashed[0].notna().to_numpy()
    if shaped.any():
        a, b, y, h, m, sec = (slashed[i] for i in range(6))
        either = _possible(y, b, a, h, m, sec) | _possible(y, a, b, h, m, sec)
        out |= shaped & ~either
    iso = text.str.extract(_ISO_PARTS).apply(pd.to_numeric, errors="coerce")
    shaped = iso[0].notna().to_numpy()
    if shaped.any():
        out |= shaped & ~_possible(*(iso[i] for i in range(6)))
    return out


def _looks_slashed(raw: pd.Series) -> np.ndarray:
    text = raw.astype("string")
    return text.str.match(r"^\s*\d{1,2}[/.]\d{1,2}[/.]\d{2,4}").fillna(False).to_numpy(dtype=bool)


def _parse_date(raw: pd.Series, column: Column, options: ParseOptions) -> Parsed:
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        values = raw.dt.tz_localize(None) if raw.dt.tz is not None else raw
        values = values.dt.normalize()
        return Parsed(values, values.isna().to_numpy(dtype=bool))
    text, missing = _typed_text(raw)
    fmt = options.date_format or "ISO8601"
    values = pd.to_datetime(text, format=fmt, errors="coerce")
    if getattr(values.dt, "tz", None) is not None:
        values = values.dt.tz_localize(None)
    values = values.dt.normalize()
    bad = (~missing) & values.isna().to_numpy(dtype=bool)
    expected = (f"the format {options.date_format!r} (date_format)" if options.date_format
                else "YYYY-MM-DD, e.g. 2026-07-01; for other forms set date_format")
    return Parsed(values, missing, [(bad, f"is not a date; expected {expected}")])


def to_local_time(
    raw: pd.Series, timezone: str, *, fmt: str | None = None
) -> tuple[pd.Series, np.ndarray, np.ndarray, np.ndarray]:
    """Parse timestamps into timezone-aware values in ``timezone``.

    Values with a UTC offset are converted; naive values are taken as local
    wall-clock time. ``fmt`` (a strftime format) reads exports that do not write
    ISO 8601; with ``%z`` in it, values carry their offset. Wall-clock times that
    repeat when clocks go back are read as the first (summer-time) occurrence;
    times inside the spring-forward gap do not exist and are reported.

    Returns
    -------
    values, missing, unparseable, in_gap
        The parsed Series and three boolean masks.
    """
    ZoneInfo(timezone)  # raises early on an unknown zone
    n = len(raw)
    if isinstance(raw.dtype, pd.DatetimeTZDtype):
        values = raw.dt.tz_convert(timezone)
        none = np.zeros(n, dtype=bool)
        return values, values.isna().to_numpy(dtype=bool), none, none
    if pd.api.types.is_datetime64_dtype(raw.dtype):
        naive = raw
        missing = raw.isna().to_numpy(dtype=bool)
        unparseable = np.zeros(n, dtype=bool)
        aware = None
        has_offset = np.zeros(n, dtype=bool)
    else:
        text, missing = _typed_text(raw)
        if fmt:
            return _parse_with_format(text, missing, timezone, fmt)
        has_offset = text.str.contains(_OFFSET, regex=True).fillna(False).to_numpy(dtype=bool)
        naive = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[us]")
        if (~has_offset & ~missing).any():
            naive = pd.to_datetime(text.mask(has_offset), format="ISO8601", errors="coerce")
        if getattr(naive.dt, "tz", None) is not None:  # pragma: no cover - defensive
            naive = naive.dt.tz_localize(None)
        aware = _parse_with_offset(text, has_offset, timezone) if has_offset.any() else None
        parsed_any = naive.notna().to_numpy(dtype=bool).copy()
        if aware is not None:
            parsed_any |= aware.notna().to_numpy(dtype=bool)
        unparseable = (~missing) & ~parsed_any
    localised = naive.dt.tz_localize(
        timezone, nonexistent="NaT", ambiguous=np.ones(n, dtype=bool)
    )
    gap = naive.notna().to_numpy(dtype=bool) & localised.isna().to_numpy(dtype=bool)
    values = localised
    if aware is not None:
        values = localised.where(~has_offset, aware)
    return values, missing, unparseable, gap


def _parse_with_format(
    text: pd.Series, missing: np.ndarray, timezone: str, fmt: str
) -> tuple[pd.Series, np.ndarray, np.ndarray, np.ndarray]:
    parsed = pd.to_datetime(text, format=fmt, errors="coerce", utc="%z" in fmt)
    unparseable = (~missing) & parsed.isna().to_numpy(dtype=bool)
    if "%z" in fmt:
        values = parsed.dt.tz_convert(timezone)
        return values, missing, unparseable, np.zeros(len(text), dtype=bool)
    values = parsed.dt.tz_localize(timezone, nonexistent="NaT", ambiguous=np.ones(len(text), bool))
    gap = parsed.notna().to_numpy(dtype=bool) & values.isna().to_numpy(dtype=bool)
    return values, missing, unparseable, gap


def _parse_with_offset(text: pd.Series, has_offset: np.ndarray, timezone: str) -> pd.Series:
    """Parse strings carrying a UTC offset; the common export form goes through Arrow's
    fast parser, anything else through pandas' ISO 8601 parser."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arrow = pa.array(text.where(has_offset), type=pa.string())
    fast = pc.strptime(arrow, format="%Y-%m-%d %H:%M:%S%z", unit="us", error_is_null=True)
    parsed = pd.Series(fast.to_pandas(), index=text.index)
    if parsed.dt.tz is None:  # pragma: no cover - Arrow returns UTC-aware timestamps
        parsed = parsed.dt.tz_localize("UTC")
    parsed = parsed.dt.as_unit("us")
    rest = has_offset & parsed.isna().to_numpy()
    if rest.any():
        parsed[rest] = pd.to_datetime(text[rest], format="ISO8601", utc=True,
                                      errors="coerce").dt.as_unit("us")
    return parsed.dt.tz_convert(timezone)


def _fmt(number: float) -> str:
    return f"{number:g}"


_PARSERS = {
    "id": _parse_text,
    "text": _parse_text,
    "category": _parse_category,
    "int": _parse_number,
    "float": _parse_number,
    "bool": _parse_bool,
    "datetime": _parse_datetime,
    "date": _parse_date,
}
