"""Words every layer uses in messages, warnings and sentences: counts, days, suggestions.

Kept at the bottom of the package so a validation message, a statistical caveat and a
report sentence word things the same way.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

import numpy as np
import pandas as pd

__all__ = [
    "did_you_mean",
    "fmt_count",
    "fmt_day",
    "fmt_days",
    "in_sentence",
    "strength_of_evidence",
    "fmt_hours",
    "fmt_number",
    "fmt_pct",
    "format_value",
    "hours_unit",
    "is_missing",
    "plural",
]


def plural(n: int, noun: str, plural_form: str | None = None) -> str:
    """``plural(1, "row")`` -> ``"1 row"``; ``plural(1200, "row")`` -> ``"1,200 rows"``."""
    return f"{n:,} {noun if n == 1 else (plural_form or noun + 's')}"


def in_sentence(label: str) -> str:
    """A measure's label inside a sentence: "Average handle time" -> "average handle time",
    but names and acronyms keep their capitals ("Net Promoter Score", "CSAT", "P90 ...")."""
    words = label.split()
    if not words:
        return label
    first = words[0]
    proper = len(words) > 1 and all(w[:1].isupper() for w in words if w[:1].isalpha())
    if proper or (len(first) > 1 and first[1:2].isupper()) or any(ch.isdigit() for ch in first):
        return label
    return first[:1].lower() + label[1:]


def strength_of_evidence(p: float) -> str:
    """A p- or q-value in words a manager reads: "overwhelming evidence, p < 0.001",
    "strong evidence, p = 0.004", "some evidence, p = 0.03", "little evidence, p = 0.20"."""
    if p is None or not np.isfinite(p):
        return "evidence not assessed"
    shown = "p < 0.001" if p < 0.001 else f"p = {p:.3f}" if p < 0.01 else f"p = {p:.2f}"
    words = ("overwhelming evidence" if p < 0.001 else "strong evidence" if p < 0.01
             else "some evidence" if p < 0.05 else "little evidence")
    return f"{words}, {shown}"


def fmt_day(value: pd.Timestamp) -> str:
    """``"1 Jul 2026"`` (portable: no platform-specific strftime flags)."""
    return f"{value.day} {value:%b %Y}"


def fmt_days(values: list[pd.Timestamp]) -> str:
    """Several days as a reader writes them: ``"10, 17 and 24 Aug 2026"``; days in different
    months or years keep their own month (``"27 Jul and 3 Aug 2026"``)."""
    days = sorted(pd.Timestamp(v) for v in values)
    if not days:
        return ""
    if len(days) == 1:
        return fmt_day(days[0])
    same_month = all((d.year, d.month) == (days[0].year, days[0].month) for d in days)
    same_year = all(d.year == days[0].year for d in days)
    if same_month:
        parts = [str(d.day) for d in days[:-1]] + [fmt_day(days[-1])]
    elif same_year:
        parts = [f"{d.day} {d:%b}" for d in days[:-1]] + [fmt_day(days[-1])]
    else:
        parts = [fmt_day(d) for d in days]
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return ``" Did you mean 'x'?"`` for the closest choice, or ``""``."""
    match = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f" Did you mean {match[0]!r}?" if match else ""


def is_missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value))


def fmt_count(value: object) -> str:
    """``12345`` -> ``"12,345"``."""
    return "–" if is_missing(value) else f"{int(value):,}"


def fmt_pct(value: object, digits: int = 1) -> str:
    """``0.8234`` -> ``"82.3%"``."""
    return "–" if is_missing(value) else f"{100 * float(value):.{digits}f}%"


def fmt_hours(value: object, unit: str | None = None) -> str:
    """Hours in the unit a reader expects: ``"45 min"``, ``"5.2 h"``, ``"3.1 days"``.

    ``unit`` ("min", "h" or "days") forces one unit, so numbers compared in one
    sentence share it; :func:`hours_unit` picks it for a set of values.
    """
    if is_missing(value):
        return "–"
    hours = float(value)
    unit = unit or hours_unit([hours])
    if unit == "min":
        return f"{hours * 60:.0f} min"
    if unit == "h":
        return f"{hours:.1f} h"
    return f"{hours / 24:.1f} days"


def hours_unit(values: list[float]) -> str:
    """The unit that suits the largest of ``values`` (hours): min, h or days."""
    largest = max((v for v in values if not is_missing(v)), default=0.0)
    return "min" if largest < 1 else "h" if largest < 48 else "days"


def fmt_number(value: object, digits: int = 1) -> str:
    """``1234.56`` -> ``"1,234.6"``."""
    return "–" if is_missing(value) else f"{float(value):,.{digits}f}"


def format_value(value: float, unit: str) -> str:
    """Format a KPI value in its unit."""
    return {"share": fmt_pct, "hours": fmt_hours, "count": fmt_count,
            "seconds": lambda v: f"{fmt_number(v, 0)} s"}.get(unit, fmt_number)(value)
