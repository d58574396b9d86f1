"""Personal data and spreadsheet formulas in published text."""

import pandas as pd

from ccreview.data.redact import defuse_formulas, redact_frame, redact_text


def test_emails_and_phone_numbers_are_redacted():
    text = pd.Series([
        "Mail jane.doe@example.com now", "Call me back on 07700 900123, please",
        "or +44 7700 900456", "ticket INC0001234 at 09:30 on 2026-07-01", None,
    ])
    out = redact_text(text).tolist()
    assert out[0] == "Mail [email] now"
    assert out[1] == "Call me back on [phone], please"
    assert out[2] == "or [phone]"
    assert out[3] == "ticket INC0001234 at 09:30 on 2026-07-01"  # ids, times and dates stay
    assert pd.isna(out[4])


def test_formulas_are_defused_but_numbers_kept():
    out = defuse_formulas(pd.Series(['=HYPERLINK("x")', "+cmd", "@SUM(A1)", "-5", "-2.5", "ok"]))
    assert out.tolist() == ["'=HYPERLINK(\"x\")", "'+cmd", "'@SUM(A1)", "-5", "-2.5", "ok"]


def test_redact_frame_leaves_numbers_alone():
    frame = pd.DataFrame({"comment": ["call 07700 900123"], "n": [3]})
    out = redact_frame(frame)
    assert out["comment"].iloc[0] == "call [phone]" and out["n"].iloc[0] == 3
