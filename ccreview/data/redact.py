"""Make text safe to publish: personal data redacted, spreadsheet formulas defused.

Reports and downloads are read by people who must not see customers' e-mail
addresses or phone numbers, and CSV files are opened in spreadsheets, which run
a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["EMAIL", "PHONE", "defuse_formulas", "redact_frame", "redact_text"]

EMAIL = r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}"
#: international or national numbers of 9+ digits, spaces, dots, dashes or brackets between
PHONE = (r"(?<![\w\-:])(?!\d{4}-\d{2}-\d{2})"  # not an ISO date
         r"(?:\+\d{1,3}[\s.\-]?)?(?:\(?\d[\d\s.\-()]{7,}\d)(?![\w])")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def redact_text(values: pd.Series) -> pd.Series:
    """Replace e-mail addresses with ``[email]`` and phone numbers with ``[phone]``."""
    text = values.astype("string")
    text = text.str.replace(EMAIL, "[email]", regex=True)
    return text.str.replace(PHONE, "[phone]", regex=True)


def defuse_formulas(values: pd.Series) -> pd.Series:
    """Prefix ``'`` to text a spreadsheet would run as a formula (``=cmd|...``)."""
    text = values.astype("string")
    risky = text.str.startswith(_FORMULA_START).fillna(False)
    numeric = pd.to_numeric(text, errors="coerce").notna()  # "-5" is a number, not a formula
    return text.mask(risky & ~numeric, "'" + text)


def redact_frame(frame: pd.DataFrame, *, skip: tuple[str, ...] = ()) -> pd.DataFrame:
    """Redact and defuse every text column of ``frame`` except those in ``skip``."""
    out = frame.copy()
    for column in out.columns:
        if column in skip or not (pd.api.types.is_string_dtype(out[column].dtype)
                                  or out[column].dtype == object):
            continue
        out[column] = defuse_formulas(redact_text(out[column]))
    return out
