"""Make text safe to publish: personal data redacted, spreadsheet formulas defused, CSV
written so that no value can split a row.

Reports, published notebooks and downloads are read by people who must not see
customers' e-mail addresses or phone numbers; this module is the one redactor all of
them use (the report's HTML helpers, the section downloads, the quarantine files). CSV
files are opened in spreadsheets, which run a cell that starts with ``=``, ``+``, ``-``
or ``@`` as a formula.

What counts as a phone number: a ``tel:`` link; a number written with a leading ``+``;
9 or more digits with spaces, dots, dashes or brackets between them; or a national
number of 10 or 11 digits starting with 0. A bare run of digits that does not start with
0 is an id (an order or account number) and is kept, as are dates and times.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["CARD", "EMAIL", "PHONE", "redaction_counts", "csv_text", "defuse_formulas", "personal_data_table",
           "redact_frame", "redact_string", "redact_text", "write_csv"]

#: e-mail addresses, including non-ASCII local parts and domains (Zoë@exämple.de)
EMAIL = r"[\w.%+\-']+@[\w\-]+(?:\.[\w\-]+)*\.[^\W\d_]{2,}"
#: phone-number candidates (each judged by :func:`_is_phone`); not inside a word, id or date
PHONE = (r"(?:tel:\s*)?(?<![\w\-/.])(?!\d{4}-\d{2}-\d{2})"
         r"\+?\(?\d[\d\s.\-()]{7,}\d(?![\w\-])")
#: payment-card candidates: 13-19 digits, spaces or dashes between groups (judged by Luhn)
CARD = r"(?<![\w\-/.])\d(?:[ \-]?\d){12,18}(?![\w\-])"
_EMAIL_RE, _PHONE_RE, _CARD_RE = re.compile(EMAIL), re.compile(PHONE), re.compile(CARD)


def _luhn_valid(digits: str) -> bool:
    """The Luhn check of ISO/IEC 7812-1 (every card number passes it; 9 in 10 other
    numbers of that length do not)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _card(match: re.Match) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return "[card]" if 13 <= len(digits) <= 19 and _luhn_valid(digits) else match.group(0)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _is_phone(match: str) -> bool:
    """Whether a candidate is a phone number (the module notes): 9+ digits, and written
    as one (``tel:``, a leading ``+``, spaces, dashes or brackets between groups, dots
    between three or more groups, or 10-11 digits from a leading 0). A bare digit run is
    an id; a single dot makes a decimal."""
    digits = sum(ch.isdigit() for ch in match)
    if digits < 9:
        return False
    body = match.strip()
    if body.startswith(("tel:", "+")):
        return True
    if any(ch in body for ch in " -()\t"):
        return True
    if body.count(".") >= 2:
        return True
    return "." not in body and body.startswith("0") and digits in (10, 11)


def _phone(match: re.Match) -> str:
    return "[phone]" if _is_phone(match.group(0)) else match.group(0)


def redact_string(text: str) -> str:
    """One text with e-mail addresses as ``[email]``, payment-card numbers as ``[card]`` and
    phone numbers as ``[phone]``."""
    return _PHONE_RE.sub(_phone, _CARD_RE.sub(_card, _EMAIL_RE.sub("[email]", text)))


def redact_text(values: pd.Series) -> pd.Series:
    """Replace e-mail addresses with ``[email]``, card numbers with ``[card]`` and phone
    numbers with ``[phone]``."""
    text = values.astype("string")
    text = text.str.replace(EMAIL, "[email]", regex=True)
    text = text.str.replace(CARD, _card, regex=True)
    return text.str.replace(PHONE, _phone, regex=True)


def redaction_counts(values: pd.Series) -> dict[str, int]:
    """How many texts hold an e-mail address, a card number or a phone number (what
    :func:`redact_text` replaces): ``{"emails": n, "cards": n, "phones": n}``."""
    text = values.dropna().astype("string")
    codes, distinct = pd.factorize(text)
    uniques = pd.Series(distinct, dtype="string")
    weight = np.bincount(codes, minlength=len(uniques))
    emails = uniques.str.contains(EMAIL, regex=True).to_numpy(dtype=bool, na_value=False)
    # the regular expressions pick the few candidates; only those are judged one by one
    cards = np.zeros(len(uniques), dtype=bool)
    maybe = uniques.str.contains(CARD, regex=True).to_numpy(dtype=bool, na_value=False)
    cards[maybe] = (uniques[maybe].str.replace(CARD, _card, regex=True) != uniques[maybe]).to_numpy(bool)
    phones = np.zeros(len(uniques), dtype=bool)
    maybe = uniques.str.contains(PHONE, regex=True).to_numpy(dtype=bool, na_value=False)
    without_cards = uniques[maybe].str.replace(CARD, _card, regex=True)
    phones[maybe] = (without_cards.str.replace(PHONE, _phone, regex=True) != without_cards).to_numpy(bool)
    return {"emails": int(weight[emails].sum()), "cards": int(weight[cards].sum()),
            "phones": int(weight[phones].sum())}


def personal_data_table(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Where the data holds e-mail addresses or phone numbers (what every publication
    redacts): ``table``, ``column``, ``emails`` and ``phones`` (rows holding one), for the
    text columns that are not ids. Scans each column's distinct values once."""
    rows = []
    for name, frame in tables.items():
        for column in frame.columns:
            values = frame[column]
            if column.endswith("_id") or not (
                    pd.api.types.is_string_dtype(values.dtype) or values.dtype == object
                    or isinstance(values.dtype, pd.CategoricalDtype)):
                continue
            codes, uniques = pd.factorize(values)
            if not len(uniques):
                continue
            emails, phones = _flags(pd.Series(uniques).astype("string"))
            counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
            found = int(counts[emails].sum()), int(counts[phones].sum())
            if any(found):
                rows.append({"table": name, "column": column, "emails": found[0],
                             "phones": found[1]})
    return pd.DataFrame(rows, columns=["table", "column", "emails", "phones"])


def _flags(text: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    emails = text.str.contains(EMAIL, regex=True).to_numpy(dtype=bool, na_value=False)
    phones = (text.str.findall(PHONE)
              .map(lambda found: isinstance(found, list) and any(_is_phone(f) for f in found))
              .to_numpy(dtype=bool))
    return emails, phones


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
                                  or out[column].dtype == object
                                  or isinstance(out[column].dtype, pd.CategoricalDtype)):
            continue
        out[column] = defuse_formulas(redact_text(out[column].astype("string")))
    return out


def csv_text(frame: pd.DataFrame) -> str:
    """``frame`` as published CSV: redacted, formulas defused, and every value holding a
    delimiter, a quote, a line feed or a carriage return quoted (RFC 4180 line ends), so
    no reader splits a row inside a value."""
    buffer = io.StringIO()
    redact_frame(frame).to_csv(buffer, index=False, lineterminator="\r\n",
                               quoting=csv.QUOTE_MINIMAL)
    return buffer.getvalue()


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write :func:`csv_text` of ``frame`` to ``path`` (UTF-8)."""
    Path(path).write_text(csv_text(frame), encoding="utf-8", newline="")
