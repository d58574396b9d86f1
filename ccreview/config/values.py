"""Value parsing shared by the configuration files: durations such as '4h', '3 business days' or '30m'."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from ccreview.exceptions import ConfigError

__all__ = [
    "parse_duration",
]


def parse_duration(value: Any, *, where: str) -> pd.Timedelta:
    """Parse ``"15min"``, ``"4h"``, ``"2d"`` or ``"90s"`` into a Timedelta.

    Raises
    ------
    ConfigError
        Naming ``where`` and showing the accepted forms.
    """
    match = _DURATION.match(str(value).lower())
    if not match or float(match.group(1)) <= 0:
        raise ConfigError(
            f"{where}: {value!r} is not a duration; write a positive number with a unit, "
            "e.g. 90s, 15min, 4h or 2d."
        )
    return pd.Timedelta(seconds=float(match.group(1)) * _UNIT_SECONDS[match.group(2)])


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|secs|m|min|mins|h|hr|hrs|d|day|days)\s*$")


_UNIT_SECONDS = {"s": 1, "sec": 1, "secs": 1, "m": 60, "min": 60, "mins": 60, "h": 3600,
                 "hr": 3600, "hrs": 3600, "d": 86400, "day": 86400, "days": 86400}
