"""One number per measure: on every shipped parameter file, each KPI shown in more than one
place (the summary tile, the finding, the index one-liner, the section tables, the
downloads, the period comparison) shows the same value, and that value is the one an
independent computation in this file gets from the validated rows (issue #12).

The references below are written from the definitions (metric-definitions.md 1.1-1.9 and
the attribution stated in :mod:`ccreview.incidents.targets`), not from the kit's code: a
row-by-row walk of each incident's events for the pauses and the instant a breach was
decided, plain pandas for the contact measures.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from bs4 import BeautifulSoup

from ccreview.data.validate import load_inputs
from ccreview.review.parameters import load_parameters
from ccreview.runner import run

from .conftest import ROOT

SHARED = ROOT.parent / "shared" / "data"
REAL_TIME = ("phone", "chat")
DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*(s|min|h|d)$")
SECONDS = {"s": 1, "min": 60, "h": 3600, "d": 86400}


def seconds(text: str) -> float:
    number, unit = DURATION.match(str(text).strip()).groups()
    return float(number) * SECONDS[unit]


# --- the runs ------------------------------------------------------------------------------

def shipped_run(name: str, folder: Path, demo_dir: Path) -> Path:
    """Copy a shipped parameter file (and its configuration) into ``folder``, pointing its
    data at what this machine has, and publish it there."""
    params = folder / "parameters"
    shutil.copytree(ROOT / "parameters", params)
    path = params / f"{name}.yaml"
    text = path.read_text()
    if name == "demo":
        text = text.replace("../data/demo/", f"{demo_dir}/").replace(
            "[incident_review, change_evaluation]", "[incident_review]")
    text = text.replace("../../shared/data/", f"{SHARED}/")
    path.write_text(text + f"\nreports_dir: {folder / 'reports'}\n")
    return path


NEEDS = {"demo": None, "servicenow-2016": SHARED / "servicenow-uci" / "incident_event_log.zip",
         "bank-1999-02": SHARED / "anonymous-bank" / "calls-1999-02.txt.gz"}


@pytest.fixture(scope="module", params=sorted(NEEDS))
def published(request, demo_dir, tmp_path_factory):
    name = request.param
    if NEEDS[name] is not None and not NEEDS[name].exists():
        pytest.skip(f"{NEEDS[name]} is not beside the checkout")
    folder = tmp_path_factory.mktemp(name)
    params_file = shipped_run(name, folder, demo_dir)
    result = run(params_file, progress=lambda _: None)
    assert result.ok, result.failures
    out = result.index.parent
    return {"name": name, "params": params_file, "folder": out,
            "page": (out / "incident_review.html").read_text(encoding="utf-8"),
            "index": (out / "index.html").read_text(encoding="utf-8")}


@pytest.fixture(scope="module")
def reference(published):
    return independent_values(published["params"])


# --- the places ----------------------------------------------------------------------------

def percent(text: str) -> float:
    return float(text.strip().rstrip("%").replace(",", "")) / 100


def tiles(page: str) -> dict[str, str]:
    """Summary tiles of the KPIs this module has an independent reference for: label -> the
    value as printed (the customer tiles, CSAT, NPS and complaints, have none here; their
    values are tied to the one implementation in tests/test_first_screen.py)."""
    found = dict(re.findall(r'<div class="label">(.*?)</div><div class="value">(.*?)</div>', page))
    return {label: text for label, text in found.items() if label in LABELS}


def findings(page: str) -> dict[str, tuple[float, int]]:
    """'Response targets were met for 68.3% of incidents judged ... n = 24,437)'."""
    found = re.findall(r"(Response|Resolution) targets were met for ([\d.]+)% of incidents judged"
                       r" in the period \(95% CI [\d.]+% to [\d.]+%, n = ([\d,]+)\)", page)
    return {t.lower(): (float(p) / 100, int(n.replace(",", ""))) for t, p, n in found}


def index_line(index: str) -> dict[str, float]:
    found = re.search(r"response ([\d.]+)%, resolution ([\d.]+)% met", index)
    return {} if not found else {"response": float(found[1]) / 100,
                                 "resolution": float(found[2]) / 100}


def table_by_caption(page: str, caption: str) -> pd.DataFrame:
    soup = BeautifulSoup(page, "html.parser")
    for table in soup.find_all("table"):
        if table.caption and caption in table.caption.get_text():
            head = [th.get_text(strip=True) for th in table.thead.find_all("th")]
            rows = [[td.get_text(strip=True) for td in tr.find_all(["td", "th"])]
                    for tr in table.tbody.find_all("tr")]
            return pd.DataFrame(rows, columns=head)
    raise AssertionError(f"no table captioned {caption!r}")


def downloads(published, name: str) -> pd.DataFrame:
    return pd.read_csv(published["folder"] / "downloads" / name)


# --- the independent references ------------------------------------------------------------

def independent_values(params_file: Path) -> dict[str, tuple[float, int]]:
    """(value, n) per KPI, computed here from the validated rows."""
    params = load_parameters(params_file)
    data = load_inputs(params)
    raw = yaml.safe_load(params_file.read_text())
    out: dict[str, tuple[float, int]] = {}
    start, end = params.start, params.end
    if "incidents" in data:
        criteria = yaml.safe_load(Path(params.config_files["criteria"]).read_text())
        out.update(compliance_by_hand(data, criteria, start, end))
        inc = data["incidents"]
        resolved = inc[(inc["resolved_at"] >= start) & (inc["resolved_at"] < end)]
        reopened = resolved["reopen_count"].fillna(0) > 0
        out["reopen_rate"] = (reopened.mean(), len(resolved)) if len(resolved) else (np.nan, 0)
    if "contacts" in data:
        out.update(contacts_by_hand(data["contacts"], raw.get("kpis") or {}, start, end))
    return out


def compliance_by_hand(data, criteria: dict, start, end) -> dict[str, tuple[float, int]]:
    inc = data["incidents"]
    tz = inc["opened_at"].dt.tz
    as_of = end  # the shipped exports run past their periods (checked below)
    recorded = pd.concat([inc[col].dropna() for col in ("opened_at", "resolved_at", "closed_at")])
    assert recorded.max() >= end - pd.Timedelta(days=1), "extend this reference to censoring"
    priorities = {int(k): v for k, v in criteria["priorities"].items()}
    assert all(v["calendar"] == "24x7" for v in priorities.values()), (
        "a business calendar: extend this reference")
    pause_states = set(criteria.get("pause_states") or [])
    events = data["incident_events"] if "incident_events" in data else None
    pauses: dict[str, list[tuple[pd.Timestamp, pd.Timestamp]]] = {}
    if events is not None and pause_states:
        ordered = events.sort_values(["incident_id", "at"], kind="stable")
        following = ordered.groupby("incident_id")["at"].shift(-1)
        paused = ordered[ordered["state"].isin(pause_states)]
        for incident, begin, until in zip(paused["incident_id"], paused["at"],
                                          following[paused.index], strict=True):
            pauses.setdefault(incident, []).append((begin, until))
    live = inc[inc["status"].ne("cancelled").fillna(True)]
    out = {}
    for target, column in (("response", "first_response_at"), ("resolution", "resolved_at")):
        met = judged = 0
        for row in live[["incident_id", "priority", "opened_at", column]].itertuples(index=False):
            if pd.isna(row.priority) or int(row.priority) not in priorities:
                continue
            allowed = pd.Timedelta(seconds=seconds(priorities[int(row.priority)][target]))
            opened, done = row.opened_at, getattr(row, column)
            finished = pd.notna(done) and done <= as_of
            stop = done if finished else as_of
            stretches = []  # this incident's pauses, clipped to [opened, stop], merged
            for begin, until in sorted(pauses.get(row.incident_id, [])):
                until = stop if pd.isna(until) else min(until, stop)
                begin = max(begin, opened)
                if until <= begin:
                    continue
                if stretches and begin <= stretches[-1][1]:
                    stretches[-1] = (stretches[-1][0], max(stretches[-1][1], until))
                else:
                    stretches.append((begin, until))
            elapsed = (stop - opened) - sum((b - a for a, b in stretches), pd.Timedelta(0))
            if finished and elapsed <= allowed:
                decided, is_met = done, True
            elif elapsed > allowed:  # breached: decided when the time ran out
                decided, is_met = opened + allowed, False
                for a, b in stretches:  # each pause before the time ran out moves it on
                    if a < decided:
                        decided += b - a
                decided = min(decided, stop)
            else:
                continue  # still running, not judged
            if start <= decided.tz_convert(tz) < end:
                judged += 1
                met += is_met
        out[f"{target}_compliance"] = (met / judged if judged else np.nan, judged)
    return out


def contacts_by_hand(contacts: pd.DataFrame, kpis: dict, start, end) -> dict:
    period = contacts[(contacts["arrived_at"] >= start) & (contacts["arrived_at"] < end)]
    live = period[period["channel"].isin(REAL_TIME)]
    abandoned = live["abandoned"].fillna(False).astype(bool)
    wait = live["wait_s"].astype(float)
    threshold = float((kpis.get("service_level") or {}).get("threshold_s", 20))
    variant = (kpis.get("service_level") or {}).get("variant", "offered")
    assert variant == "offered", "extend this reference to the variant"
    answered = ~abandoned & wait.notna()
    offered = abandoned | answered
    within = answered & (wait <= threshold)
    out = {"abandonment_rate": (abandoned.mean(), len(live)),
           "service_level": (within[offered].mean(), int(offered.sum()))}
    out["average_speed_of_answer"] = (wait[answered].mean(), int(answered.sum()))
    return out


# --- the tests -----------------------------------------------------------------------------

LABELS = {"Response compliance": "response_compliance",
          "Resolution compliance": "resolution_compliance", "Reopen rate": "reopen_rate",
          "Service level": "service_level", "Abandonment rate": "abandonment_rate",
          "Average speed of answer": "average_speed_of_answer"}


@pytest.mark.slow
def test_every_kpi_shown_twice_shows_the_independent_number_everywhere(published, reference):
    page, index = published["page"], published["index"]
    shown = tiles(page)
    assert shown, "no summary tiles"
    scorecard = downloads(published, "kpi_scorecard.csv").set_index("metric")
    for label, text in shown.items():
        metric = LABELS[label]
        value, n = reference[metric]
        # the download holds the unrounded number: it is the reference's
        assert scorecard.loc[metric, "value"] == pytest.approx(value, abs=1e-12), metric
        if text.endswith("%"):
            assert text == f"{100 * value:.1f}%", (label, text, value)
    targets = findings(page)
    line = index_line(index)
    if "incidents" in load_inputs(load_parameters(published["params"])):
        criteria = downloads(published, "criteria_scorecard.csv").set_index("criterion")
        by_priority = downloads(published, "compliance_by_priority.csv")
        on_page = table_by_caption(page, "Every agreed criterion").set_index("criterion")
        for target in ("response", "resolution"):
            value, n = reference[f"{target}_compliance"]
            assert targets[target] == (pytest.approx(round(value, 3), abs=5e-4), n)
            assert line[target] == pytest.approx(round(value, 3), abs=5e-4)
            assert criteria.loc[target, "n"] == n
            assert criteria.loc[target, "rate"] == pytest.approx(value, abs=1e-12)
            part = by_priority[by_priority["target"] == target]
            assert part["n"].sum() == n and part["met"].sum() / n == pytest.approx(value)
            assert on_page.loc[target, "judged"] == f"{n:,}"
            assert on_page.loc[target, "met %"] == f"{100 * value:.1f}%"
    comparisons = published["folder"] / "downloads" / "kpi_comparisons.csv"
    if comparisons.exists():  # the period's side of every comparison is the same number
        table = pd.read_csv(comparisons)
        overall = table[table["segment_by"].isna() & table["kind"].eq("proportion")]
        for metric, after in zip(overall["metric"], overall["after"], strict=True):
            if metric in reference:
                assert after == pytest.approx(reference[metric][0], abs=1e-12), metric


#: better directions, from metric-definitions.md (not from the kit's catalogue)
BETTER = {"service_level": "higher", "abandonment_rate": "lower", "response_compliance": "higher",
          "resolution_compliance": "higher", "reopen_rate": "lower",
          "average_speed_of_answer": "lower"}


@pytest.mark.slow
def test_the_scorecard_judges_each_target_from_the_independent_value(published, reference):
    """Each KPI target of objectives.yaml, judged here from the reference value and the
    reference's better direction: the scorecard download and the tiles agree."""
    params = load_parameters(published["params"])
    objectives = yaml.safe_load(Path(params.config_files["objectives"]).read_text())
    card = downloads(published, "kpi_scorecard.csv").set_index("metric")
    shown = {LABELS[label]: text for label, text in tiles(published["page"]).items()}
    checked = 0
    for objective in objectives["objectives"]:
        for kpi in objective["kpis"]:
            metric, target = kpi["metric"], float(kpi["target"])
            value, _ = reference[metric]
            met = value >= target if BETTER[metric] == "higher" else value <= target
            assert bool(card.loc[metric, "met"]) == met, metric
            assert card.loc[metric, "target"] == target
            assert metric in shown
            checked += 1
    assert checked == len(card)


def test_a_major_incidents_extra_contacts_are_one_number_everywhere(published):
    """Issue #16: the surge's extra contacts in the review's table, the incident's report and
    the index agree, and equal a plain count: contacts on the queue in the window, less the
    mean count of the same weekday and time in the eight weeks before."""
    if published["name"] != "demo":
        pytest.skip("only the demo has major incidents")
    folder = published["folder"]
    reports = sorted(folder.glob("major_incident-*.html"))
    assert reports
    contacts = load_inputs(load_parameters(published["params"]))["contacts"]
    table = table_by_caption(published["page"], "Major incidents declared in the period")
    table = table.set_index("Major incident")
    for report in reports:
        mid = report.stem.removeprefix("major_incident-")
        lead = re.search(r"([\d,]+) contacts arrived from (\d\d:\d\d) on (\d+ \w+ \d{4}) to (\d\d:\d\d), "
                         r"against (\d+) usual .*?: about (\d+) extra contacts", report.read_text())
        observed, start, day, end, _, extra = lead.groups()
        window = [pd.Timestamp(f"{day} {hhmm}", tz="Europe/London") for hhmm in (start, end)]
        local = contacts[contacts["queue"] == "technical"]["arrived_at"].dt.tz_convert("Europe/London")
        wall = local.dt.tz_localize(None)
        a, b = (w.tz_localize(None) for w in window)
        counts = [int(((wall >= a - pd.Timedelta(weeks=k)) & (wall < b - pd.Timedelta(weeks=k))).sum())
                  for k in range(9)]
        assert int(observed.replace(",", "")) == counts[0]
        reference = counts[0] - np.mean(counts[1:])
        assert int(extra) == round(reference)
        assert table.loc[mid, "Extra contacts (95% interval)"].startswith(f"{round(reference)} (")
        assert f"about {round(reference)} extra contacts" in published["index"]
