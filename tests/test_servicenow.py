"""The ServiceNow importer and a review run on the real log (UCI dataset 498), checked
against the publisher's counts and against figures computed here with plain pandas."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from ccreview.data import columns as c
from ccreview.data.importers import import_servicenow
from ccreview.data.validate import load_inputs
from ccreview.review.parameters import load_parameters

from .conftest import ROOT, SHARED_DATA

LOG = SHARED_DATA / "servicenow-uci" / "incident_event_log.zip"
PARAMS = ROOT / "parameters" / "servicenow-2016.yaml"
pytestmark = pytest.mark.skipif(not LOG.exists(), reason=f"real ServiceNow export absent: {LOG}")


@pytest.fixture(scope="module")
def plain():
    """The log read with pandas alone, the latest update of each incident picked by hand."""
    log = pd.read_csv(LOG, dtype=str, keep_default_na=False)
    log["mod"] = log["sys_mod_count"].astype(int)
    log["updated"] = pd.to_datetime(log["sys_updated_at"], format="%d/%m/%Y %H:%M")
    last = log.sort_values(["number", "mod", "updated"]).groupby("number").tail(1)
    return log, last


@pytest.fixture(scope="module")
def dataset():
    return load_inputs(load_parameters(PARAMS))


def test_counts_match_the_publisher(dataset):
    # UCI dataset 498: 141,712 events of 24,918 incidents
    assert dataset.tables["incident_events"].rows_read == 141_712
    assert dataset.tables["incidents"].rows_read == 24_918
    for table in dataset.tables.values():
        assert table.rows_read == table.rows_accepted + table.rows_rejected


def test_undocumented_state_is_quarantined_with_its_value(dataset, plain):
    log, _ = plain
    issues = dataset.tables["incident_events"].issues
    state = issues[issues["column"] == c.STATE]
    assert len(state) == (log["incident_state"] == "-100").sum() == 5
    assert set(state["value"]) == {"-100"}
    assert state["problem"].str.startswith("is not an allowed value").all()


def test_final_values_and_priorities_match_a_plain_reading(dataset, plain):
    _, last = plain
    incidents = pd.concat([dataset["incidents"][[c.INCIDENT_ID, c.PRIORITY]],
                           dataset.tables["incidents"].rejected[[c.INCIDENT_ID, c.PRIORITY]]
                           .astype({c.PRIORITY: "Int64"})])
    mine = incidents[c.PRIORITY].value_counts().sort_index()
    theirs = last["priority"].str.extract(r"^(\d)", expand=False).astype(int).value_counts()
    assert mine.to_dict() == theirs.sort_index().to_dict()
    closed = (last["incident_state"] == "Closed").sum()
    status = pd.concat([dataset["incidents"][c.STATUS],
                        dataset.tables["incidents"].rejected[c.STATUS]])
    assert (status == "closed").sum() == closed


def test_first_response_is_the_first_update_out_of_new(plain):
    log, _ = plain
    incidents = import_servicenow(LOG)["incidents"].frame.set_index(c.INCIDENT_ID)
    one = log[log["number"] == "INC0000045"].sort_values(["mod", "updated"])
    first = one.loc[one["incident_state"] != "New", "updated"].iloc[0]
    assert incidents.loc["INC0000045", c.FIRST_RESPONSE_AT] == f"{first:%Y-%m-%d %H:%M:00}"


@pytest.mark.slow
def test_the_review_runs_on_the_real_log(tmp_path, plain, dataset):
    from ccreview.runner import run

    _, last = plain
    opened = pd.to_datetime(last["opened_at"], format="%d/%m/%Y %H:%M")
    in_period = last[(opened >= "2016-03-01") & (opened < "2016-06-01")]
    result = run(PARAMS, reports_dir=tmp_path, progress=lambda _: None)
    assert result.ok, result.failures
    page = (tmp_path / "servicenow-2016" / "incident_review.html").read_text()
    rejected = pd.to_datetime(dataset.tables["incidents"].rejected[c.OPENED_AT])
    quarantined_in_period = ((rejected >= "2016-03-01") & (rejected < "2016-06-01")).sum()
    expected = len(in_period) - quarantined_in_period
    assert re.search(rf"{expected:,} incidents were opened", page)


def test_made_sla_is_reconciled_with_the_recomputed_targets(plain):
    from ccreview.review.review import open_review

    _, last = plain
    review = open_review(PARAMS)
    table = review.reconciliation.set_index("target")
    assert set(table.index) == {"response", "resolution"}
    for target, row in table.iterrows():
        assert row["agree"] + row["source_met_we_breached"] + row["source_breached_we_met"] == row["n"]
        judged = review.outcomes[(review.outcomes["target"] == target)
                                 & review.outcomes["outcome"].isin(["met", "breached"])]
        flags = last.set_index("number")["made_sla"]  # read here with pandas alone
        theirs = judged["incident_id"].map(flags).eq("true").to_numpy()
        ours = judged["outcome"].eq("met").to_numpy()
        assert row["n"] == len(judged)
        assert row["agree"] == (theirs == ours).sum()
