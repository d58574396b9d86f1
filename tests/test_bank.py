"""The bank call-log importer: a small file with every quirk of the log, and the real
February 1999 log checked against a plain pandas reading done here and against rows
copied from the file by hand."""

from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pytest

from ccreview.cli import main
from ccreview.data import columns as c
from ccreview.data.importers import IMPORTERS, import_bank_calls
from ccreview.data.readers import RawTable
from ccreview.data.validate import load_dataset, load_inputs
from ccreview.exceptions import InputError
from ccreview.review.parameters import load_parameters

from .conftest import ROOT, SHARED_DATA, write

LOG = SHARED_DATA / "anonymous-bank" / "calls-1999-02.txt.gz"
PARAMS = ROOT / "parameters" / "bank-1999-02.yaml"
TZ = "Asia/Jerusalem"
real_log = pytest.mark.skipif(not LOG.exists(), reason=f"real bank call log absent: {LOG}")

HEADER = ("vru+line\tcall_id\tcustomer_id\tpriority\ttype\tdate\tvru_entry\tvru_exit\tvru_time\t"
          "q_start\tq_exit\tq_time\toutcome\tser_start\tser_exit\tser_time\tserver")
#: one call per quirk (fields separated by spaces here, by tabs in the file), and what it is
SYNTHETIC = [
    # row 2: queued, served
    "AA0101 100 111 2 PS 990201 8:19:42 8:19:47 5 8:19:47 8:20:21 34 AGENT 8:20:20 8:22:04 104 MICHAL",
    # row 3: from VRU to agent
    "AA0101 101 0 0 NW 990201 7:02:47 7:02:56 9 0:00:00 0:00:00 0 AGENT 7:02:55 7:05:41 166 DORIT",
    # row 4: hung up in VRU
    "AA0101 102 0 0 PS 990201 17:16:03 17:17:16 73 0:00:00 0:00:00 0 HANG 0:00:00 0:00:00 0 NO_SERVER",
    # row 5: abandoned in queue
    "AA0101 103 222 1 PE 990201 8:09:16 8:09:22 6 8:09:22 8:09:27 5 HANG 0:00:00 0:00:00 0 NO_SERVER",
    # row 6: phantom
    "AA0101 104 333 2 PS 990202 9:13:33 9:13:42 9 9:13:42 9:14:12 30 PHANTOM 9:13:40 9:14:18 38 NO_SERVER",
    # row 7: negative vru_time
    "AA0101 105 444 2 NE 990207 9:48:14 9:47:17 -57 9:47:17 9:50:11 174 AGENT 9:50:11 9:51:28 77 KAZAV",
    # row 8: service over midnight
    "AA0101 106 0 0 IN 990220 23:59:32 23:59:44 12 0:00:00 0:00:00 0 AGENT 23:59:43 0:01:28 105 DARMON",
    # row 9: queue over midnight
    "AA0101 107 0 0 TT 990210 23:59:19 23:59:19 0 23:59:29 0:00:26 57 HANG 0:00:00 0:00:00 0 NO_SERVER",
    # row 10: queued after midnight
    "AA0101 108 555 1 PS 990210 23:59:56 23:59:56 0 0:00:02 0:00:29 27 AGENT 0:00:29 0:00:58 29 BENSION",
    # row 11: served, no agent
    "AA0101 109 0 0 PS 990201 7:31:45 7:31:55 10 0:00:00 0:00:00 0 AGENT 7:31:54 7:31:59 5 NO_SERVER",
    # row 12: service unrecorded
    "AA0101 110 666 2 PS 990202 13:44:47 13:44:53 6 13:44:53 13:45:06 13 AGENT 0:00:00 0:00:00 0 YIFAT",
    # row 13: unknown outcome
    "AA0101 111 0 0 PS 990201 9:00:00 9:00:05 5 9:00:05 9:00:10 5 XFER 0:00:00 0:00:00 0 NO_SERVER",
    # row 14: unknown type
    "AA0101 112 0 0 ZZ 990201 9:10:00 9:10:05 5 9:10:05 9:10:10 5 HANG 0:00:00 0:00:00 0 NO_SERVER",
    # row 15: bad time
    "AA0101 113 0 0 PS 990201 9:2:00 9:20:05 5 9:20:05 9:20:10 5 HANG 0:00:00 0:00:00 0 NO_SERVER",
    # row 16: same call_id, other line
    "AA0202 100 0 0 PS 990201 9:30:00 9:30:05 5 9:30:05 9:30:15 10 AGENT 9:30:14 9:31:00 46 TOVA",
    # row 17: duplicate pair
    "AA0202 100 0 0 PS 990201 9:40:00 9:40:05 5 9:40:05 9:40:15 10 AGENT 9:40:14 9:41:00 46 TOVA",
]


def synthetic_log(tmp_path):
    """The quirk file, gzip-compressed with Windows line endings like the real log."""
    path = tmp_path / "calls.txt.gz"
    lines = [HEADER, *(row.replace(" ", "\t") for row in SYNTHETIC), ""]
    path.write_bytes(gzip.compress("\r\n".join(lines).encode()))
    return path


def at(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz=TZ)


@pytest.fixture()
def quirks(tmp_path):
    raws = import_bank_calls(synthetic_log(tmp_path))
    contacts = load_dataset(raws, timezone=TZ).tables["contacts"]
    return contacts, contacts.data.set_index(c.CONTACT_ID)


def test_importer_is_registered():
    assert IMPORTERS["bank_calls"] is import_bank_calls


def test_every_row_is_accepted_or_quarantined_with_its_reason(quirks):
    contacts, _ = quirks
    assert contacts.rows_read == len(SYNTHETIC) == 16
    # refused by the importer: rows 4 (VRU hang-up), 6 (phantom), 7 (negative), 13, 14, 15;
    # by validation: row 17 (duplicate vru_line-call_id)
    assert contacts.rows_rejected == 7
    assert contacts.rows_accepted == 9
    issues = contacts.issues.set_index("row")
    assert issues.loc[4, "column"] == "q_start" and issues.loc[4, "value"] == "0:00:00"
    assert "never offered to an agent" in issues.loc[4, "problem"]
    assert (issues.loc[6, "column"], issues.loc[6, "value"]) == ("outcome", "PHANTOM")
    assert (issues.loc[7, "column"], issues.loc[7, "value"]) == ("vru_time", "-57")
    assert "negative duration" in issues.loc[7, "problem"]
    assert (issues.loc[13, "column"], issues.loc[13, "value"]) == ("outcome", "XFER")
    assert (issues.loc[14, "column"], issues.loc[14, "value"]) == ("type", "ZZ")
    assert (issues.loc[15, "column"], issues.loc[15, "value"]) == ("vru_entry", "9:2:00")
    assert (issues.loc[17, "column"], issues.loc[17, "value"]) == (
        c.CONTACT_ID, "AA0202-100 (first on row 16)")
    rejected = contacts.rejected
    assert rejected[c.SOURCE_ROW].tolist() == [4, 6, 7, 13, 14, 15, 17]
    assert rejected[c.REASONS].notna().all()
    assert rejected.loc[0, c.CONTACT_ID] == "AA0101-102"


def test_queued_and_served_call(quirks):
    _, data = quirks
    row = data.loc["AA0101-100"]
    assert row[c.ARRIVED_AT] == at("1999-02-01 08:19:47")  # q_start
    assert row[c.ANSWERED_AT] == at("1999-02-01 08:20:21")  # q_exit = q_start + 34 s
    assert row[c.ENDED_AT] == at("1999-02-01 08:22:04")  # ser_exit
    assert (row[c.WAIT_S], row[c.HANDLE_S], row[c.ABANDONED]) == (34, 104, False)
    assert (row[c.AGENT], row[c.CUSTOMER_ID], row[c.QUEUE], row[c.CHANNEL]) == (
        "MICHAL", "111", "regular", "phone")


def test_call_served_straight_from_the_vru_waits_zero(quirks):
    _, data = quirks
    row = data.loc["AA0101-101"]
    assert row[c.ARRIVED_AT] == row[c.ANSWERED_AT] == at("1999-02-01 07:02:56")  # vru_exit
    assert row[c.WAIT_S] == 0 and row[c.HANDLE_S] == 166
    assert pd.isna(row[c.CUSTOMER_ID])  # customer_id 0: unidentified
    assert row[c.QUEUE] == "prospective_customer"


def test_abandoned_in_queue(quirks):
    _, data = quirks
    row = data.loc["AA0101-103"]
    assert row[c.ABANDONED] and pd.isna(row[c.ANSWERED_AT]) and pd.isna(row[c.HANDLE_S])
    assert row[c.ENDED_AT] == at("1999-02-01 08:09:27")  # left the queue (q_exit)
    assert row[c.WAIT_S] == 5 and pd.isna(row[c.AGENT])
    assert row[c.QUEUE] == "regular_english"


def test_midnight_adds_a_day(quirks):
    _, data = quirks
    service = data.loc["AA0101-106"]  # ser 23:59:43 -> 0:01:28 on 20 Feb
    assert service[c.ANSWERED_AT] == at("1999-02-20 23:59:44")
    assert service[c.ENDED_AT] == at("1999-02-21 00:01:28")
    queue = data.loc["AA0101-107"]  # queue 23:59:29 -> 0:00:26 on 10 Feb, hung up
    assert queue[c.ARRIVED_AT] == at("1999-02-10 23:59:29")
    assert queue[c.ENDED_AT] == at("1999-02-11 00:00:26") and queue[c.WAIT_S] == 57
    late = data.loc["AA0101-108"]  # VRU at 23:59:56, queue from 0:00:02 the next day
    assert late[c.ARRIVED_AT] == at("1999-02-11 00:00:02")
    assert late[c.ANSWERED_AT] == at("1999-02-11 00:00:29")
    assert late[c.ENDED_AT] == at("1999-02-11 00:00:58")


def test_served_without_agent_or_service_times(quirks):
    _, data = quirks
    no_agent = data.loc["AA0101-109"]
    assert pd.isna(no_agent[c.AGENT]) and no_agent[c.HANDLE_S] == 5
    assert not no_agent[c.ABANDONED] and pd.notna(no_agent[c.ANSWERED_AT])
    unrecorded = data.loc["AA0101-110"]
    assert unrecorded[c.ANSWERED_AT] == at("1999-02-02 13:45:06")  # q_exit
    assert pd.isna(unrecorded[c.HANDLE_S]) and pd.isna(unrecorded[c.ENDED_AT])
    assert unrecorded[c.AGENT] == "YIFAT"


def test_call_ids_repeat_across_lines(quirks):
    _, data = quirks
    assert {"AA0101-100", "AA0202-100"} <= set(data.index)


def test_a_file_that_is_not_the_log_is_refused(tmp_path):
    path = write(tmp_path / "other.tsv", "call_id\toutcome\n1\tAGENT\n")
    with pytest.raises(InputError, match=r"missing for the bank_calls importer: vru_line"):
        import_bank_calls(path)


def test_rows_an_importer_refuses_join_the_quarantine(tmp_path):
    frame = pd.DataFrame({c.CONTACT_ID: ["A", "C"], c.ARRIVED_AT: ["2026-07-01 09:00"] * 2,
                          c.CHANNEL: "phone", c.QUEUE: "q", c.ABANDONED: "false",
                          c.SOURCE_ROW: [2, 5]})
    refused = pd.DataFrame({"code": ["X", "Y"], c.SOURCE_ROW: [4, 3],
                            c.REASONS: ["code: is X; other: is bad", "no column named"]})
    raw = RawTable(frame, tmp_path / "x.csv", rejected=refused)
    result = load_dataset({"contacts": raw}, timezone=TZ).tables["contacts"]
    assert (result.rows_read, result.rows_accepted, result.rows_rejected) == (4, 2, 2)
    assert result.rejected[c.SOURCE_ROW].tolist() == [3, 4]
    issues = result.issues
    assert issues[["row", "column", "value", "problem"]].values.tolist() == [
        [3, "", "", "no column named"],
        [4, "code", "X", "is X"],
        [4, "other", "", "is bad"],
    ]


# --- the real log -------------------------------------------------------------------


@pytest.fixture(scope="module")
def plain():
    """The log read with pandas alone: times as seconds after midnight, flags by hand."""
    log = pd.read_csv(LOG, sep="\t", dtype=str, keep_default_na=False)
    for col in ("vru_entry", "q_start", "q_exit", "ser_start", "ser_exit"):
        h, m, s = (log[col].str.split(":", expand=True)[i].astype(int) for i in range(3))
        log[col + "_s"] = h * 3600 + m * 60 + s
    for col in ("vru_time", "q_time", "ser_time"):
        log[col + "_n"] = log[col].astype(int)
    log["id"] = log["vru+line"] + "-" + log["call_id"]
    log["row"] = np.arange(2, len(log) + 2)  # the header is row 1
    log["never_queued"] = (log["q_start"] == "0:00:00") & (log["q_exit"] == "0:00:00")
    log["negative"] = log["vru_time_n"] < 0
    return log


@pytest.fixture(scope="module")
def dataset():
    return load_inputs(load_parameters(PARAMS))


@real_log
def test_a_run_without_incidents_loads_its_contacts(dataset):
    assert list(dataset.tables) == ["contacts"]
    assert "incidents" not in dataset


@real_log
def test_rows_in_equal_accepted_plus_quarantined(dataset, plain):
    contacts = dataset.tables["contacts"]
    assert contacts.rows_read == len(plain) == 33_344  # stated in shared/data/README.md
    assert contacts.rows_read == contacts.rows_accepted + contacts.rows_rejected
    assert contacts.rejected[c.SOURCE_ROW].is_unique
    assert sorted(set(contacts.rejected[c.SOURCE_ROW]) | set(contacts.data[c.SOURCE_ROW])) == \
        plain["row"].tolist()


@real_log
def test_counts_match_a_plain_reading(dataset, plain):
    contacts = dataset.tables["contacts"]
    data = contacts.data
    outcome = plain["outcome"]
    # counted by this plain reading of the February 1999 log (pinned so a changed file shows)
    assert outcome.value_counts().to_dict() == {"AGENT": 27_162, "HANG": 5_904, "PHANTOM": 278}
    assert plain["never_queued"].sum() == 15_007  # q_start 0:00:00 on 15,008: one queued at midnight
    assert (plain["never_queued"] & (outcome == "AGENT")).sum() == 13_066
    assert (plain["never_queued"] & (outcome == "HANG")).sum() == 1_941
    assert plain["negative"].sum() == 25
    assert (plain["id"].duplicated()).sum() == 0 and plain["call_id"].nunique() == 15_516

    refused = plain[(outcome == "PHANTOM") | (plain["never_queued"] & (outcome == "HANG"))
                    | plain["negative"]]
    assert contacts.rows_rejected == len(refused) == 2_242
    assert set(contacts.rejected[c.SOURCE_ROW]) == set(refused["row"])
    kept = plain.drop(refused.index)
    answered = data[c.ANSWERED_AT].notna()
    assert answered.sum() == (kept["outcome"] == "AGENT").sum() == 27_141
    assert data[c.ABANDONED].sum() == (kept["outcome"] == "HANG").sum() == 3_961
    assert (data[c.ABANDONED] == ~answered).all()
    assert data[c.AGENT].isna().sum() - data[c.ABANDONED].sum() == (
        (kept["outcome"] == "AGENT") & (kept["server"] == "NO_SERVER")).sum()
    # per reason, as the data-health section lists them
    by_column = contacts.issues["column"].value_counts().to_dict()
    assert by_column == {"q_start": 1_941, "outcome": 278, "vru_time": 25}


@real_log
def test_never_queued_calls_are_answered_at_once(dataset, plain):
    data = dataset["contacts"].set_index(c.CONTACT_ID)
    straight = plain.loc[plain["never_queued"] & (plain["outcome"] == "AGENT") & ~plain["negative"],
                         "id"]
    rows = data.loc[straight]  # every one of them was accepted
    assert (rows[c.WAIT_S] == 0).all()
    assert (rows[c.ARRIVED_AT] == rows[c.ANSWERED_AT]).all()


@real_log
def test_calls_over_midnight_end_the_next_day(dataset, plain):
    data = dataset["contacts"].set_index(c.CONTACT_ID)
    day = pd.to_datetime(plain.set_index("id")["date"], format="%y%m%d")
    served = (plain["outcome"] == "AGENT") & ~plain["negative"]
    over = plain.loc[served & (plain["ser_exit_s"] < plain["ser_start_s"]), "id"]
    assert len(over) == 16  # ser_exit earlier than ser_start, counted in this plain reading
    ended = data.loc[over, c.ENDED_AT].dt.tz_localize(None).dt.normalize()
    assert (ended == day[over] + pd.Timedelta(days=1)).all()
    queue = plain.loc[~plain["never_queued"] & (plain["q_exit_s"] < plain["q_start_s"]), "id"]
    assert len(queue) == 2  # the queue crossed midnight (both hung up)
    left = data.loc[queue, c.ENDED_AT].dt.tz_localize(None).dt.normalize()
    assert (left == day[queue] + pd.Timedelta(days=1)).all()
    # calls that reached the queue only after midnight: the arrival is the next day
    late = plain.loc[~plain["never_queued"] & ~plain["negative"]
                     & (plain["q_start_s"] < plain["vru_entry_s"]), "id"]
    arrived_day = data[c.ARRIVED_AT].dt.tz_localize(None).dt.normalize()
    moved = arrived_day != day.reindex(data.index)
    assert sorted(data.index[moved]) == sorted(late) == ["AA0102-31056", "AA0115-14375"]
    # every service time is the log's own ser_time
    service = data[c.HANDLE_S].notna()
    assert (data.loc[service, c.HANDLE_S]
            == plain.set_index("id").loc[data.index[service], "ser_time_n"]).all()


@real_log
def test_hand_checked_rows(dataset):
    data = dataset["contacts"].set_index(c.CONTACT_ID)
    # file row 6: AA0101 34540 48178511 2 PS 990201 8:19:42 8:19:47 5 8:19:47 8:20:21 34
    #             AGENT 8:20:20 8:22:04 104 MICHAL
    row = data.loc["AA0101-34540"]
    assert (row[c.ARRIVED_AT], row[c.ANSWERED_AT], row[c.ENDED_AT]) == (
        at("1999-02-01 08:19:47"), at("1999-02-01 08:20:21"), at("1999-02-01 08:22:04"))
    assert (row[c.WAIT_S], row[c.HANDLE_S], row[c.ABANDONED], row[c.AGENT], row[c.CUSTOMER_ID],
            row[c.QUEUE], row[c.SOURCE_ROW]) == (34, 104, False, "MICHAL", "48178511", "regular", 6)
    # file row 2888: AA0102 31307 0 0 PS 990220 23:59:32 23:59:44 12 0:00:00 0:00:00 0
    #                AGENT 23:59:43 0:01:28 105 DARMON  (never queued; service over midnight)
    row = data.loc["AA0102-31307"]
    assert (row[c.ARRIVED_AT], row[c.ANSWERED_AT], row[c.ENDED_AT]) == (
        at("1999-02-20 23:59:44"), at("1999-02-20 23:59:44"), at("1999-02-21 00:01:28"))
    assert (row[c.WAIT_S], row[c.HANDLE_S], row[c.AGENT]) == (0, 105, "DARMON")
    assert pd.isna(row[c.CUSTOMER_ID])
    # file row 5: AA0101 34539 23317894 2 PS 990201 8:09:16 8:09:22 6 8:09:22 8:09:27 5
    #             HANG 0:00:00 0:00:00 0 NO_SERVER  (abandoned in the queue after 5 s)
    row = data.loc["AA0101-34539"]
    assert (row[c.ARRIVED_AT], row[c.ENDED_AT], row[c.WAIT_S], row[c.ABANDONED]) == (
        at("1999-02-01 08:09:22"), at("1999-02-01 08:09:27"), 5, True)
    assert pd.isna(row[c.ANSWERED_AT]) and pd.isna(row[c.AGENT]) and pd.isna(row[c.HANDLE_S])
    # file row 2047: AA0102 30456 ... 9:48:14 9:47:17 -57 ... AGENT: quarantined
    issues = dataset.tables["contacts"].issues.set_index("row")
    assert (issues.loc[2047, "column"], issues.loc[2047, "value"]) == ("vru_time", "-57")
    # file row 109: AA0101 34645 ... PHANTOM: quarantined
    assert (issues.loc[109, "column"], issues.loc[109, "value"]) == ("outcome", "PHANTOM")


@real_log
def test_check_prints_the_counts(capsys):
    assert main(["check", str(PARAMS)]) == 0
    out = capsys.readouterr().out
    assert "time zone Asia/Jerusalem" in out
    assert "contacts" in out and "33,344" in out and "31,102" in out and "2,242" in out
