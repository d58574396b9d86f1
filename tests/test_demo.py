"""Tests of :mod:`ccreview.demo.generator`: determinism, canonical columns, planted truths, bad rows.

The planted effects are checked against the files with plain pandas, independently of
the generator's own bookkeeping. Sampling tolerances are 4 binomial standard errors
(|estimate - planted| < 4 * sqrt(p (1 - p) / n)), so a correct generator fails a check
with probability about 6e-5.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ccreview.data import columns as c
from ccreview.data.schema import CHANNELS, TABLES
from ccreview.demo import generator as demo
from ccreview.demo.generator import SCALES, generate
from ccreview.exceptions import ParameterError

FILES = [*(f"{name}.csv" for name in TABLES), "truth.json"]
# ITIL impact x urgency -> priority, written out independently of the generator
MATRIX = {(1, 1): 1, (1, 2): 2, (1, 3): 3, (2, 1): 2, (2, 2): 3, (2, 3): 4,
          (3, 1): 3, (3, 2): 4, (3, 3): 5}
DEGRADED = ("2026-08-10", "2026-08-30")


def _digests(folder: Path) -> dict[str, str]:
    return {f: hashlib.sha256((folder / f).read_bytes()).hexdigest() for f in FILES}


def _read(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False,
                       na_values=[""])


def _ts(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, utc=True, format="ISO8601", errors="coerce")


def _within(estimate: float, planted: float, n: int) -> tuple[bool, float]:
    tol = 4 * np.sqrt(planted * (1 - planted) / n)
    return abs(estimate - planted) < tol, tol


@pytest.fixture(scope="module")
def year(tmp_path_factory):
    """One small-scale year (the default 2025-10-01 .. 2026-09-30), timed."""
    out = tmp_path_factory.mktemp("demo_year")
    lines: list[str] = []
    t0 = time.perf_counter()
    truth = generate(out, seed=7, scale="small", progress=lines.append)
    return {"out": out, "truth": truth, "lines": lines, "seconds": time.perf_counter() - t0}


@pytest.fixture(scope="module")
def contacts(year):
    df = _read(year["out"], "contacts")
    df[c.WAIT_S] = df[c.WAIT_S].astype(float)
    df = df[~df[c.CONTACT_ID].duplicated() & (df[c.WAIT_S] >= 0)]
    day = df[c.ARRIVED_AT].str[:10]  # local calendar date as written
    df["degraded"] = (day >= DEGRADED[0]) & (day <= DEGRADED[1])
    df["day"] = day
    return df


def test_same_seed_gives_identical_files_and_other_seed_differs(tmp_path):
    runs = {}
    for label, seed in (("a", 3), ("b", 3), ("c", 4)):
        generate(tmp_path / label, seed=seed, scale="small", months=2)
        runs[label] = _digests(tmp_path / label)
    assert runs["a"] == runs["b"]
    assert runs["a"]["contacts.csv"] != runs["c"]["contacts.csv"]
    assert runs["a"]["incidents.csv"] != runs["c"]["incidents.csv"]


def test_files_have_canonical_columns_in_order_and_counted_rows(year):
    for name, table in TABLES.items():
        df = _read(year["out"], name)
        expected = [col for col in table.names if col not in demo.NOT_GENERATED]
        assert list(df.columns) == expected, name
        assert year["truth"]["rows"][name] == len(df), name
    on_disk = json.loads((year["out"] / "truth.json").read_text(encoding="utf-8"))
    assert on_disk == year["truth"]
    assert year["lines"][0].startswith("incidents: ") and year["lines"][0].endswith(" rows")


def test_small_year_is_sized(year):
    # how long generation takes is measured by benchmarks/bench_stats.py, not asserted here
    rows = year["truth"]["rows"]
    assert 0.9 * SCALES["small"].contacts_per_year < rows["contacts"] < 1.15 * 40_000
    assert 0.9 * SCALES["small"].incidents_per_year < rows["incidents"] < 1.15 * 4_000


def test_formats(year):
    inc = _read(year["out"], "incidents")
    ok = inc[c.CLOSED_AT].dropna()
    assert ok.str.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+0[01]:00").all()
    assert set(inc[c.ESCALATED]) == {"true", "false"}
    actions = _read(year["out"], "actions")
    undated = year["truth"]["bad_row_ids"]["actions"]["no_due_date"]  # planted, to be reported
    assert actions[c.DUE_ON].isna().sum() == len(undated)
    assert actions.loc[~actions[c.ACTION_ID].isin(undated), c.DUE_ON].str.fullmatch(r"\d{4}-\d\d-\d\d").all()


def test_c001_real_effect_on_billing_abandonment(year, contacts):
    # live billing contacts outside the degraded period; planted 0.09 -> 0.05 on 2026-05-05.
    # n is about 6,500 before and 3,800 after, so 4 SE is about 0.014 on either side.
    live = contacts[(contacts[c.QUEUE] == "billing") & contacts[c.CHANNEL].isin(["phone", "chat"])
                    & ~contacts["degraded"]]
    planted = year["truth"]["changes"]["C-001"]
    after = live["day"] >= planted[c.IMPLEMENTED_ON]
    for part, target in ((live[~after], planted["before"]), (live[after], planted["after"])):
        rate = (part[c.ABANDONED] == "true").mean()
        ok, tol = _within(rate, target, len(part))
        assert ok, f"abandonment {rate:.4f} vs planted {target} (tolerance {tol:.4f}, n={len(part)})"
    assert year["truth"]["realised"]["billing_abandonment_after"] == pytest.approx(
        (live[after][c.ABANDONED] == "true").mean(), abs=1e-3)


def test_field_services_under_grades_priority(year):
    inc = _read(year["out"], "incidents")
    inc = inc[~inc[c.INCIDENT_ID].duplicated() & inc[c.PRIORITY].isin(list("12345"))]
    prio = inc[c.PRIORITY].astype(int)
    matrix = pd.Series([MATRIX[(int(i), int(u))] for i, u in
                        zip(inc[c.IMPACT], inc[c.URGENCY], strict=True)], index=inc.index)
    fs = inc[c.ASSIGNED_TEAM] == "Field Services"
    planted = year["truth"]["mis_prioritising_team"]
    assert planted[c.TEAM] == "Field Services" and planted["direction"] == "under"
    # priority + 1 capped at 5 (so invisible on matrix P5), plus the 3 % noise on the rest
    expected = planted["rate"] * (matrix[fs] < 5).mean() + (1 - planted["rate"]) * 0.03
    rate = (prio[fs] != matrix[fs]).mean()
    ok, tol = _within(rate, expected, int(fs.sum()))  # n ~ 470: 4 SE ~ 0.09
    assert ok, f"Field Services mis-grade {rate:.3f} vs {expected:.3f} (tolerance {tol:.3f})"
    assert (prio[fs] > matrix[fs])[prio[fs] != matrix[fs]].mean() > 0.9
    others = (prio[~fs] != matrix[~fs]).mean()
    assert _within(others, planted["noise_rate_elsewhere"], int((~fs).sum()))[0]


def test_degraded_period_waits_longer(contacts):
    live = contacts[contacts[c.CHANNEL].isin(["phone", "chat"])]
    ratio = (live.loc[live["degraded"], c.WAIT_S].mean()
             / live.loc[~live["degraded"], c.WAIT_S].mean())
    assert ratio > 2.0  # planted factor 3 on the mean wait
    abandon = live.groupby("degraded")[c.ABANDONED].apply(lambda s: (s == "true").mean())
    assert abandon[True] > 1.5 * abandon[False]


def test_event_history_consistent_with_incidents(year):
    inc = _read(year["out"], "incidents")
    ev = _read(year["out"], "incident_events")
    ev = ev[ev[c.INCIDENT_ID].isin(inc[c.INCIDENT_ID])]
    assert len(ev) / inc[c.INCIDENT_ID].nunique() >= 6
    ev["t"] = _ts(ev[c.AT])
    assert (ev.groupby(c.INCIDENT_ID)["t"].diff().dropna() >= pd.Timedelta(0)).all()
    clean = inc[~inc[c.INCIDENT_ID].duplicated(keep=False)
                & ~inc[c.INCIDENT_ID].isin(year["truth"]["bad_row_ids"]["incidents"][
                    "resolved_before_opened"])].set_index(c.INCIDENT_ID)
    last = ev.groupby([c.INCIDENT_ID, c.STATE])["t"].max().unstack()
    closed = clean[c.CLOSED_AT].dropna().index
    assert (last.loc[closed, "closed"] == _ts(clean.loc[closed, c.CLOSED_AT])).all()
    assert (last.loc[closed, "resolved"] == _ts(clean.loc[closed, c.RESOLVED_AT])).all()
    reassigned = ev[ev[c.STATE] == "assigned"].groupby(c.INCIDENT_ID).size()
    escalated = clean[clean[c.ESCALATED] == "true"]
    expected = escalated[c.REASSIGNMENT_COUNT].astype(int) + 1
    assert (reassigned.reindex(escalated.index) == expected).all()


def test_bad_row_counts_match_truth(year):
    out, bad = year["out"], year["truth"]["bad_rows"]
    inc = _read(out, "incidents")
    opened, resolved = _ts(inc[c.OPENED_AT]), _ts(inc[c.RESOLVED_AT])
    found = {
        "resolved_before_opened": int((resolved < opened).sum()),
        "unparseable_opened_at": int(opened.isna().sum()),
        "duplicate_incident_id": int(inc[c.INCIDENT_ID].duplicated().sum()),
        "priority_out_of_range": int((~inc[c.PRIORITY].isin(list("12345"))).sum()),
    }
    assert found == {k: bad["incidents"][k] for k in found}
    con = _read(out, "contacts")
    found = {
        "duplicate_contact_id": int(con[c.CONTACT_ID].duplicated().sum()),
        "negative_wait_s": int((con[c.WAIT_S].astype(float) < 0).sum()),
        "unknown_channel": int((~con[c.CHANNEL].isin(CHANNELS)).sum()),
    }
    assert found == {k: bad["contacts"][k] for k in found}
    ev = _read(out, "incident_events")
    orphans = int((~ev[c.INCIDENT_ID].isin(inc[c.INCIDENT_ID])).sum())
    assert orphans == bad["incident_events"]["unknown_incident_id"] == 2


def test_major_incidents_debriefs_and_planted_text(year):
    out, truth = year["out"], year["truth"]
    mi = _read(out, "major_incidents")
    planted = [i for ids in truth["bad_row_ids"]["major_incidents"].values() for i in ids]
    assert set(planted) <= set(mi[c.MAJOR_INCIDENT_ID])
    mi = mi[~mi[c.MAJOR_INCIDENT_ID].isin(planted)]
    inc = _read(out, "incidents").drop_duplicates(c.INCIDENT_ID).set_index(c.INCIDENT_ID)
    assert len(mi) >= 6
    assert (inc.loc[mi[c.INCIDENT_ID], c.IS_MAJOR] == "true").all()
    assert (inc.loc[mi[c.INCIDENT_ID], c.PRIORITY] == "1").all()
    deb = _read(out, "debriefs")
    (missing,) = truth["debriefs"]["missing"]
    held = deb[(deb[c.MAJOR_INCIDENT_ID] == missing[c.MAJOR_INCIDENT_ID])][c.KIND]
    assert missing[c.KIND] not in set(held)
    (late,) = truth["debriefs"]["late"]
    row = deb.set_index(c.DEBRIEF_ID).loc[late[c.DEBRIEF_ID]]
    stood = mi.set_index(c.MAJOR_INCIDENT_ID).loc[late[c.MAJOR_INCIDENT_ID], c.STOOD_DOWN_AT]
    assert _ts(pd.Series([row[c.HELD_AT]]))[0] - _ts(pd.Series([stood]))[0] > pd.Timedelta(
        hours=truth["debriefs"]["rules"][late[c.KIND]]["due_within_hours"])
    fb = _read(out, "feedback").set_index(c.FEEDBACK_ID)
    text = " ".join(fb.loc[[p[c.FEEDBACK_ID] for p in truth["feedback"]["planted_text"]],
                           c.COMMENT])
    for needle in ("jane.doe@example.com", "07700 900123", '<script>alert("x")</script>',
                   "<img src=x onerror=alert(1)>"):
        assert needle in text
    changes = _read(out, "changes").set_index(c.CHANGE_ID)
    assert changes.loc["C-001", c.METRIC] == "abandonment_rate"
    assert changes.loc["C-002", c.IMPLEMENTED_ON] == "2026-07-13"


@pytest.mark.parametrize("kwargs", [{"scale": "huge"}, {"months": 0}, {"end": "31/09/2026"}])
def test_bad_parameters_raise_parameter_error(tmp_path, kwargs):
    with pytest.raises(ParameterError) as err:
        generate(tmp_path, **kwargs)
    assert isinstance(err.value, ValueError)
    if "scale" in kwargs:
        assert all(name in str(err.value) for name in ("small", "medium", "large"))
    assert not list(tmp_path.iterdir())
