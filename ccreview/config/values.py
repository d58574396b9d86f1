"""Value parsing shared by the configuration files: durations such as '4h', '3 business days'
or '30m', and dates, which are ISO 8601 only (01/07/2026 is 1 July to some and 7 January
to others, so it is refused rather than guessed)."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pandas as pd

from ccreview.exceptions import ConfigError

__all__ = [
    "parse_date",
    "parse_duration",
]

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_date(value: Any, *, where: str, error: type[Exception] = ConfigError) -> pd.Timestamp:
    """A calendar date written ``YYYY-MM-DD`` (YAML reads it as a date) as a naive midnight.

    Raises
    ------
    ConfigError (or ``error``)
        For anything else, with an example; an impossible date (2026-02-30) is named.
    """
    if isinstance(value, datetime.datetime):
        return pd.Timestamp(value).normalize()
    if isinstance(value, datetime.date):
        return pd.Timestamp(value)
    text = str(value).strip()
    if not _ISO_DATE.fullmatch(text):
        raise error(f"{where}: {value!r} is not a date written YYYY-MM-DD (e.g. 2026-07-01); "
                    "dates such as 01/07/2026 are refused because they read as 1 July or 7 "
                    "January depending on the country.")
    try:
        return pd.Timestamp(text)
    except ValueError:
        raise error(f"{where}: {text} is not a date that exists.") from None


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
