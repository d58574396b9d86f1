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


def test_non_ascii_emails_tel_links_and_written_numbers_are_redacted_ids_kept():
    from ccreview.data.redact import redact_string

    cases = {
        "Zoë.Müller@exämple.de wrote": "[email] wrote",
        "tel:+441234567890 or tel:020 7946 0018": "[phone] or [phone]",
        "+44 (0)20 7946 0018": "[phone]",
        "020.7946.0018": "[phone]",
        "07700900123": "[phone]",  # national, 11 digits from a 0
        "order 123456789012 ok": "order 123456789012 ok",  # a bare digit run is an id
        "account 9876543210": "account 9876543210",
        "INC-123456789": "INC-123456789",
        "ratio 0.123456789": "ratio 0.123456789",  # a decimal
        "at 09:30 on 2026-07-01, 1,234.50 EUR": "at 09:30 on 2026-07-01, 1,234.50 EUR",
    }
    for text, expected in cases.items():
        assert redact_string(text) == expected, text
    assert redact_text(pd.Series(list(cases))).tolist() == list(cases.values())


def test_csv_text_quotes_carriage_returns_so_no_row_splits():
    """A carriage return inside a value used to be written unquoted: a reader split the
    row there and a formula payload began the next line (issue #13)."""
    import csv
    import io

    from ccreview.data.redact import csv_text

    frame = pd.DataFrame({"id": ["A", "B"], "note": ["line one\r=HYPERLINK(\"x\")", "a,b \"c\"\nd"],
                          "n": [1, 2]})
    text = csv_text(frame)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == ["id", "note", "n"] and len(rows) == 3
    assert rows[1] == ["A", "line one\r=HYPERLINK(\"x\")", "1"]
    assert rows[2] == ["B", "a,b \"c\"\nd", "2"]
    back = pd.read_csv(io.StringIO(text))
    assert len(back) == 2
    starts = [line for line in text.replace("\r\n", "\n").split("\n") if line.startswith("=")]
    assert starts == []  # no line of the file starts with the payload


def test_personal_data_is_counted_per_column_without_ids():
    from ccreview.data.redact import personal_data_table

    tables = {"changes": pd.DataFrame({"change_id": ["jane@example.com"],
                                       "owner": ["jane@example.com"]}),
              "feedback": pd.DataFrame({"comment": ["call 07700 900123", "fine", "call 07700 900123"],
                                        "score": [1, 2, 3]})}
    table = personal_data_table(tables)
    assert table.values.tolist() == [["changes", "owner", 1, 0], ["feedback", "comment", 0, 2]]
