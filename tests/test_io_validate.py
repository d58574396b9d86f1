"""Readers and validation rules: every bad input, with the message checked."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ccreview.data import columns as c
from ccreview.data.readers import read_raw
from ccreview.data.validate import load_dataset
from ccreview.exceptions import InputError

from .conftest import write

TZ = "Europe/London"
HEADER = "incident_id,opened_at,resolved_at,priority,channel,status,closed_at\n"
GOOD = "INC1,2026-07-01 09:00,2026-07-01 10:00,2,phone,closed,2026-07-02 10:00\n"


def load(tmp_path, text, name="incidents", encoding="utf-8"):
    path = write(tmp_path / f"{name}.csv", text, encoding)
    return load_dataset({name: path}, timezone=TZ)


def problems(ds, name="incidents"):
    issues = ds.tables[name].issues
    return list(zip(issues["row"], issues["column"], issues["problem"], strict=True))


# --- readers --------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"])
def test_csv_in_common_encodings_with_and_without_bom(tmp_path, encoding):
    text = "incident_id,opened_at,priority,category\nINC1,2026-07-01 09:00,2,Café réseau\n"
    ds = load(tmp_path, text, encoding=encoding)
    assert ds["incidents"][c.CATEGORY].tolist() == ["Café réseau"]
    assert list(ds["incidents"][c.INCIDENT_ID]) == ["INC1"]


def test_semicolon_delimited_csv_and_messy_headers(tmp_path):
    ds = load(tmp_path, "Incident ID;Opened At;Priority\nINC1;2026-07-01 09:00;2\n")
    assert ds.tables["incidents"].rows_accepted == 1


def test_parquet_and_excel_give_the_same_rows(tmp_path):
    frame = pd.DataFrame({"incident_id": ["INC1", "INC2"],
                          "opened_at": ["2026-07-01 09:00", "2026-07-01 10:00"],
                          "priority": [2, 3]})
    frame.to_parquet(tmp_path / "a.parquet")
    frame.to_excel(tmp_path / "a.xlsx", index=False)
    for path, label, first in ((tmp_path / "a.parquet", "record", 1), (tmp_path / "a.xlsx", "row", 2)):
        raw = read_raw(path)
        assert raw.row_label == label
        assert raw.frame[c.SOURCE_ROW].tolist() == [first, first + 1]
        ds = load_dataset({"incidents": path}, timezone=TZ)
        assert ds["incidents"][c.PRIORITY].tolist() == [2, 3]


def test_missing_file_is_fatal_and_named(tmp_path):
    with pytest.raises(InputError, match=r"nope\.csv: file not found"):
        load_dataset({"incidents": tmp_path / "nope.csv"}, timezone=TZ)


def test_empty_file_is_fatal(tmp_path):
    with pytest.raises(InputError, match=r"incidents\.csv: the file is empty"):
        load(tmp_path, "")


def test_header_only_incidents_file_is_fatal(tmp_path):
    with pytest.raises(InputError, match="has a header but no data rows; the review needs incidents"):
        load(tmp_path, HEADER)


def test_header_only_file_is_an_empty_table_for_other_tables(tmp_path):
    inc = write(tmp_path / "incidents.csv", HEADER + GOOD)
    mi = write(tmp_path / "major_incidents.csv", "major_incident_id,declared_at\n")
    ds = load_dataset({"incidents": inc, "major_incidents": mi}, timezone=TZ)
    assert ds.tables["major_incidents"].rows_read == 0
    assert len(ds["major_incidents"]) == 0


def test_rules_on_absent_columns_do_not_apply(tmp_path):
    ds = load(tmp_path, "incident_id,opened_at,priority,status\nINC1,2026-07-01 09:00,2,closed\n")
    assert ds.tables["incidents"].rows_rejected == 0
    assert not ds.tables["incidents"].has("closed_at")
    assert "closed_at" in ds.tables["incidents"].absent_columns


def test_missing_required_columns_are_all_reported_at_once(tmp_path):
    inc = write(tmp_path / "incidents.csv", "incident_id,priority\nINC1,2\n")
    con = write(tmp_path / "contacts.csv", "contact_id,queue\nC1,billing\n")
    with pytest.raises(InputError) as err:
        load_dataset({"incidents": inc, "contacts": con}, timezone=TZ)
    message = str(err.value)
    assert "2 problems" in message
    assert "incidents.csv: required column(s) missing for table 'incidents': opened_at" in message
    assert "arrived_at, channel, abandoned" in message


# --- row rules ------------------------------------------------------------------------


def test_good_rows_are_accepted_and_typed(tmp_path):
    ds = load(tmp_path, HEADER + GOOD)
    inc = ds["incidents"]
    assert str(inc[c.OPENED_AT].dt.tz) == TZ
    assert inc[c.OPENED_AT].iloc[0] == pd.Timestamp("2026-07-01 09:00", tz=TZ)
    assert inc[c.PRIORITY].iloc[0] == 2


def test_offsets_are_converted_to_the_centre_time_zone(tmp_path):
    ds = load(tmp_path, "incident_id,opened_at,priority\nA,2026-07-01T08:00:00Z,1\n"
                        "B,2026-01-10T09:00:00+01:00,1\n")
    got = ds["incidents"][c.OPENED_AT].tolist()
    assert got == [pd.Timestamp("2026-07-01 09:00", tz=TZ), pd.Timestamp("2026-01-10 08:00", tz=TZ)]


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        ("INC2,03/04/2026 10:00,,2,phone,new,", "opened_at", "is a day/month or month/day"),
        ("INC2,2026-02-30 10:00,,2,phone,new,", "opened_at", "is an impossible date-time under any reading"),
        ("INC2,yesterday 10:00,,2,phone,new,", "opened_at", "is not a date-time; expected ISO"),
        ("INC2,1900-01-01 09:00,,2,phone,new,", "opened_at", "impossible date"),
        ("INC2,2026-07-01 09:00,2026-07-01 08:00,2,phone,resolved,", "resolved_at",
         "is before opened_at; correct whichever timestamp"),
        ("INC2,2026-07-01 09:00,,9,phone,new,", "priority", "is above the maximum 5"),
        ("INC2,2026-07-01 09:00,,x,phone,new,", "priority", "is not a whole number"),
        ("INC2,2026-07-01 09:00,,2,fax,new,", "channel", "is not an allowed value; use one of: phone"),
        ("INC2,2026-03-29 01:30,,2,phone,new,", "opened_at", "does not exist in Europe/London"),
        ("INC1,2026-07-01 09:00,,2,phone,new,", "incident_id",
         "duplicate incident_id: the same id is on an earlier row"),
        (",2026-07-01 09:00,,2,phone,new,", "incident_id", "is empty; incident_id is required"),
        ("INC2,2026-07-01 09:00,,2,phone,closed,", "closed_at", "status is 'closed'"),
    ],
)
def test_bad_rows_are_quarantined_with_file_row_column_and_fix(tmp_path, row, column, message):
    ds = load(tmp_path, HEADER + GOOD + row + "\n")
    result = ds.tables["incidents"]
    assert result.rows_read == 2 and result.rows_accepted == 1 and result.rows_rejected == 1
    found = problems(ds)
    assert any(r == 3 and col == column and message in text for r, col, text in found), found
    assert result.issues["file"].iloc[0].endswith("incidents.csv")
    assert message in result.rejected[c.REASONS].iloc[0]
    assert result.rejected[c.SOURCE_ROW].tolist() == [3]


def test_every_problem_in_a_row_is_listed(tmp_path):
    ds = load(tmp_path, HEADER + GOOD.replace("INC1", "INC0") + "INC1,bad,,9,fax,nonsense,\n")
    columns = {col for _, col, _ in problems(ds)}
    assert columns == {"opened_at", "priority", "channel", "status"}
    assert ds.tables["incidents"].rows_rejected == 1


def test_counts_reconcile(tmp_path):
    dup = "INC3,2026-07-01 09:00,,2,phone,new,\n"
    rows = GOOD + "INC2,x,,2,phone,new,\n" + dup + dup
    ds = load(tmp_path, HEADER + rows)
    health = ds.health().iloc[0]
    assert (health.rows_read, health.rows_accepted, health.rows_rejected) == (4, 2, 2)


def test_negative_duration_and_answered_abandon_in_contacts(tmp_path):
    text = ("contact_id,arrived_at,channel,queue,answered_at,wait_s,abandoned\n"
            "C1,2026-07-01 09:00,phone,billing,2026-07-01 09:01,60,false\n"
            "C2,2026-07-01 09:00,phone,billing,,-5,true\n"
            "C3,2026-07-01 09:00,phone,billing,2026-07-01 09:01,60,true\n")
    ds = load(tmp_path, text, name="contacts")
    found = problems(ds, "contacts")
    assert (3, "wait_s", "is below the minimum 0 (a negative or impossible value)") in found
    assert any(r == 4 and col == "abandoned" and "either answered or abandoned" in t
               for r, col, t in found)
    assert ds.tables["contacts"].rows_accepted == 1


def test_events_for_unknown_incidents_are_quarantined(tmp_path):
    inc = write(tmp_path / "incidents.csv", HEADER + GOOD)
    ev = write(tmp_path / "incident_events.csv",
               "incident_id,at,state\nINC1,2026-07-01 09:00,new\nINC9,2026-07-01 09:00,new\n")
    ds = load_dataset({"incidents": inc, "incident_events": ev}, timezone=TZ)
    found = problems(ds, "incident_events")
    assert found == [(3, "incident_id", found[0][2])]
    assert "refers to a record that does not exist in incidents" in found[0][2]


def test_events_of_quarantined_incidents_say_so(tmp_path):
    inc = write(tmp_path / "incidents.csv", HEADER + GOOD + "INC2,bad,,2,phone,new,\n")
    ev = write(tmp_path / "incident_events.csv", "incident_id,at,state\nINC2,2026-07-01 09:00,new\n")
    ds = load_dataset({"incidents": inc, "incident_events": ev}, timezone=TZ)
    assert "refers to a row of incidents that was itself quarantined" in problems(
        ds, "incident_events")[0][2]


def test_order_and_duplicate_values_show_both_sides(tmp_path):
    ds = load(tmp_path, HEADER + GOOD + "INC1,2026-07-01 09:00,2026-07-01 08:00,2,phone,resolved,\n")
    values = ds.tables["incidents"].issues.set_index("column")["value"]
    assert values["resolved_at"] == "2026-07-01 08:00:00+01:00 (opened_at 2026-07-01 09:00:00+01:00)"
    assert values["incident_id"] == "INC1 (first on row 2)"


def test_unknown_columns_are_ignored_and_reported(tmp_path):
    ds = load(tmp_path, "incident_id,opened_at,priority,colour\nINC1,2026-07-01 09:00,2,red\n")
    assert ds.tables["incidents"].ignored_columns == ["colour"]


# --- real exports (../shared/data) ----------------------------------------------------

from .conftest import SHARED_DATA  # noqa: E402

SERVICENOW = SHARED_DATA / "servicenow-uci" / "incident_event_log.zip"
BANK = SHARED_DATA / "anonymous-bank" / "calls-1999-02.txt.gz"


@pytest.mark.skipif(not SERVICENOW.exists(), reason=f"real ServiceNow export absent: {SERVICENOW}")
def test_reads_the_real_servicenow_zip():
    raw = read_raw(SERVICENOW)
    # the publisher states 141,712 rows and 36 columns (UCI dataset 498)
    assert len(raw.frame) == 141_712
    assert len(raw.frame.columns) == 36 + 1  # plus source_row
    assert raw.frame["number"].nunique() == 24_918
    assert raw.frame[c.SOURCE_ROW].iloc[-1] == 141_713


@pytest.mark.skipif(not BANK.exists(), reason=f"real bank call log absent: {BANK}")
def test_reads_the_real_gzipped_tab_separated_call_log():
    raw = read_raw(BANK)
    assert len(raw.frame) == 33_344  # stated in shared/data/README.md
    assert "vru_line" in raw.frame.columns  # "vru+line" normalised
    assert raw.frame["outcome"].isin(["AGENT", "HANG", "PHANTOM"]).all()


def test_zip_with_several_files_is_refused(tmp_path):
    import zipfile

    with zipfile.ZipFile(tmp_path / "two.zip", "w") as archive:
        archive.writestr("a.csv", "x\n1\n")
        archive.writestr("b.csv", "x\n2\n")
    with pytest.raises(InputError, match="must hold exactly one CSV file; it holds 2"):
        read_raw(tmp_path / "two.zip")


def test_bare_dates_are_local_midnight_not_utc_offsets(tmp_path):
    path = write(tmp_path / "incidents.csv", "incident_id,opened_at,priority\nA,2026-07-01,1\n")
    ds = load_dataset({"incidents": path}, timezone="America/New_York")
    assert ds["incidents"][c.OPENED_AT].iloc[0] == pd.Timestamp("2026-07-01", tz="America/New_York")


CONTACT_HEADER = "contact_id,arrived_at,channel,queue,abandoned,handle_s\n"


@pytest.mark.parametrize(("value", "expected"), [("1,234", 1234.0), ("1,234,567.5", 1234567.5),
                                                  ("12.5", 12.5), ("-3", -3.0)])
def test_numbers_with_thousands_separators(tmp_path, value, expected):
    text = CONTACT_HEADER + f'C1,2026-07-01 09:00,phone,q,false,"{value}"\n'
    ds = load(tmp_path, text, name="contacts")
    if expected < 0:
        assert ds.tables["contacts"].rows_rejected == 1
    else:
        assert ds["contacts"][c.HANDLE_S].iloc[0] == expected


@pytest.mark.parametrize("value", ["12,5", "1.234,5", "1,23"])
def test_decimal_commas_are_flagged_not_misread(tmp_path, value):
    text = CONTACT_HEADER + f'C1,2026-07-01 09:00,phone,q,false,"{value}"\n'
    ds = load(tmp_path, text, name="contacts")
    assert ds.tables["contacts"].rows_rejected == 1
    assert "write decimals with a point" in problems(ds, "contacts")[0][2]


def test_incidents_with_no_usable_row_stop_the_run(tmp_path):
    with pytest.raises(InputError, match=r"none of its 2 rows could be used; the commonest problem"):
        load(tmp_path, HEADER + "INC1,01/07/2026 09:00,,2,phone,new,\nINC2,02/07/2026 09:00,,2,phone,new,\n")


def test_timestamp_and_date_formats_read_day_first_exports(tmp_path):
    inc = write(tmp_path / "incidents.csv", "incident_id,opened_at,priority\nA,31/07/2026 14:05,1\n")
    ch = write(tmp_path / "changes.csv",
               "change_id,title,status,implemented_on\nC1,t,implemented,31/07/2026\n")
    ds = load_dataset({"incidents": inc, "changes": ch}, timezone=TZ,
                      timestamp_format="%d/%m/%Y %H:%M", date_format="%d/%m/%Y")
    assert ds["incidents"][c.OPENED_AT].iloc[0] == pd.Timestamp("2026-07-31 14:05", tz=TZ)
    assert ds["changes"][c.IMPLEMENTED_ON].iloc[0] == pd.Timestamp("2026-07-31")


def test_unparseable_closed_at_is_not_also_called_empty(tmp_path):
    ds = load(tmp_path, HEADER + GOOD + "INC2,2026-07-01 09:00,,2,phone,closed,03/01/2026 13:36\n")
    found = [t for _, col, t in problems(ds) if col == "closed_at"]
    assert len(found) == 1 and "day/month" in found[0]


def test_misspelt_required_header_gets_a_suggestion(tmp_path):
    with pytest.raises(InputError, match="opened_at. Did you mean 'opend_at'"):
        load(tmp_path, "incident_id,opend_at,priority\nINC1,2026-07-01 09:00,2\n")


def test_utf8_bom_on_a_cp1252_file(tmp_path):
    path = tmp_path / "incidents.csv"
    path.write_bytes(b"\xef\xbb\xbfincident_id,opened_at,priority,category\n"
                     + "INC1,2026-07-01 09:00,2,Caf\xe9\n".encode("cp1252"))
    ds = load_dataset({"incidents": path}, timezone=TZ)
    assert ds["incidents"][c.CATEGORY].tolist() == ["Café"]


def test_closed_without_a_resolution_time_is_resolved_at_its_close_and_counted(tmp_path):
    """Reference 1.11: an incident is open until resolved. A closed one with no resolution
    time uses its close time (never "open" for ever); a cancelled one is left as it is;
    one marked resolved with neither time cannot be placed and is quarantined."""
    from ccreview.kpis.compute import backlog_age_profile

    text = HEADER + (
        "INC1,2026-07-01 09:00,,2,phone,closed,2026-07-03 10:00\n"  # closed, no resolution
        "INC2,2026-07-01 09:00,2026-07-01 12:00,2,phone,closed,2026-07-02 10:00\n"
        "INC3,2026-07-01 09:00,,2,phone,cancelled,2026-07-01 11:00\n"
        "INC4,2026-07-01 09:00,,2,phone,resolved,\n"  # resolved, but when?
        "INC5,2026-07-01 09:00,,2,phone,in_progress,\n")  # really open
    ds = load(tmp_path, text)
    data = ds["incidents"].set_index(c.INCIDENT_ID)
    assert data.loc["INC1", c.RESOLVED_AT] == pd.Timestamp("2026-07-03 10:00", tz=TZ)
    assert pd.isna(data.loc["INC3", c.RESOLVED_AT])
    assert "INC4" not in data.index
    assert problems(ds) == [(5, "resolved_at", "is empty but status is 'resolved'; add the "
                                               "resolution time (or the closure time)")]
    assumed = ds.assumptions()
    assert assumed[["table", "column", "rows"]].values.tolist() == [["incidents", "resolved_at", 1]]
    backlog = backlog_age_profile(ds["incidents"], at=pd.Timestamp("2026-08-01", tz=TZ))
    assert backlog.attrs["open"] == 1  # INC5 only


def test_assumptions_survive_the_prepared_folder(tmp_path):
    from ccreview.data.prepared import load_prepared, save_prepared

    ds = load(tmp_path, HEADER + "INC1,2026-07-01 09:00,,2,phone,closed,2026-07-03 10:00\n")
    save_prepared(ds, tmp_path / "prepared", tmp_path / "downloads")
    back = load_prepared(tmp_path / "prepared", tmp_path / "downloads")
    pd.testing.assert_frame_equal(back.assumptions(), ds.assumptions())


@pytest.mark.parametrize("value", ["31/02/2026 25:00", "2026-02-30 10:00", "2026-07-01 24:30",
                                   "13/13/2026 10:00"])
def test_an_impossible_timestamp_is_called_impossible_not_ambiguous(tmp_path, value):
    """31/02/2026 25:00 reads neither as day/month nor month/day (no 31 February, no month
    31, no hour 25): setting timestamp_format would not help, so the message must not say so."""
    ds = load(tmp_path, HEADER + GOOD + f"INC2,{value},,2,phone,new,\n")
    [(row, column, problem)] = problems(ds)
    assert (row, column) == (3, "opened_at")
    assert problem.startswith("is an impossible date-time under any reading")
    assert "timestamp_format" not in problem


def test_a_slashed_timestamp_that_reads_both_ways_is_still_ambiguous(tmp_path):
    ds = load(tmp_path, HEADER + GOOD + "INC2,03/04/2026 10:00,,2,phone,new,\n")
    [(_, _, problem)] = problems(ds)
    assert "ambiguous" in problem and "timestamp_format" in problem


def test_a_row_with_the_wrong_number_of_fields_is_quarantined_with_its_row_number(tmp_path):
    """One malformed row used to reject the whole file, naming no row (issue #12). Now
    each such row is quarantined with its row number (header = row 1, as a spreadsheet
    counts; a quoted value spanning two lines is still one row) and the rest is read,
    numbered as before."""
    text = ("incident_id,opened_at,priority,category\n"
            "INC1,2026-07-01 09:00,2,Network\n"
            "INC2,2026-07-01 09:00,2\n"  # row 3: 3 fields of 4
            'INC3,2026-07-01 09:00,2,"Network\non two lines"\n'  # row 4: 4 fields
            "INC4,2026-07-01 09:00,2,Network,extra\n"  # row 5: 5 fields
            "INC5,2026-07-01 09:00,2,Network\n")  # row 6
    ds = load(tmp_path, text)
    result = ds.tables["incidents"]
    assert result.rows_read == 5 and result.rows_accepted == 3 and result.rows_rejected == 2
    assert result.data[c.SOURCE_ROW].tolist() == [2, 4, 6]
    assert result.data[c.INCIDENT_ID].tolist() == ["INC1", "INC3", "INC5"]
    found = problems(ds)
    assert [(row, column) for row, column, _ in found] == [(3, ""), (5, "")]
    assert "the row has 3 fields where the header has 4" in found[0][2]
    assert "the row has 5 fields where the header has 4" in found[1][2]
    assert ds["incidents"][c.CATEGORY].tolist()[1] == "Network\non two lines"
    assert result.rejected[c.SOURCE_ROW].tolist() == [3, 5]


def test_blank_lines_count_as_rows_as_a_spreadsheet_counts_them(tmp_path):
    """Two blank lines after row 2: the bad value on the fifth line is row 5, not row 3."""
    text = HEADER + GOOD + "\n\n" + "INC2,2026-07-01 09:00,,9,phone,new,\n" + \
        "INC3,2026-07-01 09:00,,2,phone,new,\n"
    ds = load(tmp_path, text)
    assert problems(ds) == [(5, "priority", "is above the maximum 5")]
    assert ds["incidents"][c.SOURCE_ROW].tolist() == [2, 6]


def big_file(tmp_path, tail: bytes) -> Path:
    """An incidents file whose first megabyte is ASCII, then ``tail`` rows."""
    rows = "".join(f"INC{i:07d},2026-07-01 09:00,2,Network\n" for i in range(40_000))
    path = tmp_path / "incidents.csv"
    path.write_bytes(b"incident_id,opened_at,priority,category\n" + rows.encode() + tail)
    assert path.stat().st_size > (1 << 20)
    return path


def test_a_stray_byte_past_the_first_megabyte_quarantines_its_row_only(tmp_path):
    """UTF-8 with one cp1252 byte late in the file: the row with the stray byte is
    quarantined, and the accented UTF-8 names elsewhere stay as written (they were
    garbled to 'ZoÃ«' when the whole file was re-read as cp1252)."""
    tail = ("X1,2026-07-01 09:00,2,Zoë's team\n".encode()
            + b"X2,2026-07-01 09:00,2,Caf\xe9\n"
            + "X3,2026-07-01 09:00,2,Müller\n".encode())
    ds = load_dataset({"incidents": big_file(tmp_path, tail)}, timezone=TZ)
    data = ds["incidents"].set_index(c.INCIDENT_ID)
    assert data.loc["X1", c.CATEGORY] == "Zoë's team" and data.loc["X3", c.CATEGORY] == "Müller"
    assert "X2" not in data.index
    [(row, column, problem)] = problems(ds)
    assert (row, column) == (40_003, "category") and "not valid UTF-8" in problem
    result = ds.tables["incidents"]
    assert result.rows_read == result.rows_accepted + result.rows_rejected == 40_003


def test_a_single_byte_export_with_an_ascii_first_megabyte_is_read_as_cp1252(tmp_path):
    ds = load_dataset({"incidents": big_file(tmp_path, b"X2,2026-07-01 09:00,2,Caf\xe9\n")},
                      timezone=TZ)
    assert ds["incidents"].set_index(c.INCIDENT_ID).loc["X2", c.CATEGORY] == "Café"
    assert problems(ds) == []


def test_headers_that_collide_once_normalised_are_named(tmp_path):
    with pytest.raises(InputError, match=r"columns 'priority', 'Priority ' all read as 'priority'"):
        load(tmp_path, "incident_id,opened_at,priority,Priority \nINC1,2026-07-01 09:00,2,3\n")
