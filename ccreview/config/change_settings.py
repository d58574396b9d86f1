"""How changes are evaluated, as a parameter file sets it (``change_evaluation:``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ccreview.config.yaml_files import check_keys

__all__ = ["CHANGE_KEYS", "ChangeSettings", "read_change_settings"]

CHANGE_KEYS = {
    "min_weeks_before": "weeks of data needed before a change to estimate what it interrupted (default 8)",
    "min_weeks_after": "weeks of data needed after a change before a verdict is given (default 8)",
    "exclude_special_causes": "leave degraded weeks and major-incident weeks out of the fits (default true)",
}


@dataclass(frozen=True)
class ChangeSettings:
    """Change-evaluation choices (``change_evaluation:`` in the parameter file).

    Attributes
    ----------
    min_weeks_before, min_weeks_after : int
        Fewest weekly points on each side of a change; fewer gives "too little data" and the
        date by which there will be enough.
    exclude_special_causes : bool
        Leave weeks with a known special cause (a degraded week, a major incident) out of the
        interrupted time series and the difference in differences; the report names them.
    """

    min_weeks_before: int = 8
    min_weeks_after: int = 8
    exclude_special_causes: bool = True


def read_change_settings(spec: Any, *, where: str, problems: list[str]) -> ChangeSettings:
    """``change_evaluation:`` -> :class:`ChangeSettings`; problems are appended, not raised."""
    if spec is None:
        return ChangeSettings()
    if not isinstance(spec, dict):
        problems.append(f"{where}: expected keys {', '.join(CHANGE_KEYS)}, e.g. min_weeks_after: 8.")
        return ChangeSettings()
    check_keys(spec, CHANGE_KEYS, where=where, problems=problems)
    values: dict[str, Any] = {}
    for key in ("min_weeks_before", "min_weeks_after"):
        if key in spec:
            value = spec[key]
            if isinstance(value, bool) or not isinstance(value, int) or not 3 <= value <= 104:
                problems.append(f"{where}.{key}: {value!r} is not a number of weeks; give a whole "
                                "number from 3 to 104 (8 is usual).")
            else:
                values[key] = value
    if "exclude_special_causes" in spec:
        value = spec["exclude_special_causes"]
        if isinstance(value, bool):
            values["exclude_special_causes"] = value
        else:
            problems.append(f"{where}.exclude_special_causes: {value!r} is not true or false.")
    return ChangeSettings(**values)
