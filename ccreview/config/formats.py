"""Reading options of the parameter file: ``timestamp_format`` and ``date_format``, for
one file or per table and column, checked before anything is read."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ccreview.data.schema import TABLES
from ccreview.wording import did_you_mean

__all__ = ["check_formats"]


def _format_problem(where: str, value: Any) -> str | None:
    """Why ``value`` is not a usable strftime format, or None."""
    example = "e.g. '%d/%m/%Y %H:%M' for 31/07/2026 14:05"
    if not isinstance(value, str) or "%" not in value:
        return f"{where} {value!r} is not a strftime format; write one, {example}."
    sample = datetime(2026, 7, 31, 14, 5, 6)
    try:
        datetime.strptime(sample.strftime(value), value)
    except ValueError as exc:
        return f"{where} {value!r} is not a valid strftime format ({exc}); {example}."
    return None


def check_formats(key: str, value: Any) -> list[str]:
    """Problems with ``timestamp_format`` or ``date_format``: a format, or per table (a
    name of the input tables) a format or a mapping of column -> format."""
    if not isinstance(value, dict):
        return [p] if (p := _format_problem(key, value)) else []
    problems = []
    for table, spec in value.items():
        if table not in TABLES:
            problems.append(f"{key}: {table!r} is not an input table.{did_you_mean(table, TABLES)}"
                            f" Use one of: {', '.join(TABLES)}.")
            continue
        if isinstance(spec, dict):
            for column, fmt in spec.items():
                if column not in TABLES[table].names:
                    problems.append(f"{key}: {table}.{column} is not a column of {table}."
                                    f"{did_you_mean(column, TABLES[table].names)}")
                elif p := _format_problem(f"{key}: {table}.{column}", fmt):
                    problems.append(p)
        elif p := _format_problem(f"{key}: {table}", spec):
            problems.append(p)
    return problems
