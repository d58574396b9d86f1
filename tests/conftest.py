"""Shared fixtures: small files written on the fly, and the seeded demo data set."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` (creating folders) and return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory) -> Path:
    """The small demo data set (seed 7), generated once per test session."""
    from ccreview.demo.generator import generate

    out = tmp_path_factory.mktemp("demo")
    generate(out, seed=7, scale="small")
    return out


TABLES = ["incidents", "incident_events", "contacts", "feedback", "qa_evaluations", "changes",
          "major_incidents", "debriefs", "actions", "communications"]

#: markup planted in data and parameters; reports must show it as text and run none of it
TITLE_PAYLOAD = 'Review <script>alert("title")</script>'
ORG_PAYLOAD = '<img src=x onerror=alert("org")>'
CATEGORY_PAYLOAD = '<script>alert("category")</script>'
TEAM_PAYLOAD = '<img src=x onerror=alert("team")>'
#: personal data planted in the data and the configuration; no published file may hold it
PERSONAL = {"owner": "Zoë.Müller@exämple.de", "consulted": "call Jane on 07700 900123",
            "category": "customer jane.doe@example.com tel:+442079460018",
            "team_description": "Desk lead on +44 20 7946 0018"}
#: an id of 12 digits that must survive redaction
KEPT_ID = "123456789012"


def make_params(folder: Path, data: Path, *, run: str = "test-run", title: str = "Test review",
                organisation: str = "Test centre", extra: str = "",
                notebooks: str = "[incident_review]") -> Path:
    """Write a parameter file for the tables in ``data``, publishing under ``folder/reports``."""
    params = folder / "parameters"
    params.mkdir(parents=True, exist_ok=True)
    for name in ("criteria.yaml", "objectives.yaml", "services.yaml"):
        shutil.copy(ROOT / "parameters" / name, params / name)
    lines = "\n".join(f"  {t}: {data / (t + '.csv')}" for t in TABLES)
    text = (f"run: {run}\ntitle: '{title}'\norganisation: '{organisation}'\nperiod: 2026-Q3\n"
            f"data:\n{lines}\ncriteria: criteria.yaml\nobjectives: objectives.yaml\n"
            f"services: services.yaml\nnotebooks: {notebooks}\n"
            f"reports_dir: {folder / 'reports'}\n{extra}")
    return write(params / f"{run}.yaml", text)


@pytest.fixture()
def project_params(tmp_path, demo_dir) -> Path:
    """A parameter file for the demo data, publishing into a temporary reports folder."""
    return make_params(tmp_path, demo_dir)


@pytest.fixture(scope="session")
def published(tmp_path_factory, demo_dir):
    """One real run of the demo review through the command line, with markup planted in a
    category, a team name, the title and the organisation."""
    import subprocess
    import sys

    import pandas as pd

    base = tmp_path_factory.mktemp("published")
    data = base / "data"
    shutil.copytree(demo_dir, data)
    incidents = pd.read_csv(data / "incidents.csv", dtype=str, keep_default_na=False)
    in_period = incidents.index[incidents["opened_at"].str.startswith("2026-08")]
    incidents.loc[in_period[:5], "category"] = CATEGORY_PAYLOAD
    incidents.loc[in_period[5:40], "assigned_team"] = TEAM_PAYLOAD
    incidents.loc[in_period[40:60], "category"] = PERSONAL["category"]
    incidents.loc[in_period[60:70], "category"] = f"order {KEPT_ID}"
    incidents.to_csv(data / "incidents.csv", index=False)
    changes = pd.read_csv(data / "changes.csv", dtype=str, keep_default_na=False)
    changes.loc[changes["change_id"] == "C-002", "consultation_outcome"] = CATEGORY_PAYLOAD
    changes.loc[changes["change_id"] == "C-001", "owner"] = PERSONAL["owner"]
    changes.loc[changes["change_id"] == "C-001", "consulted"] = PERSONAL["consulted"]
    changes.to_csv(data / "changes.csv", index=False)
    majors = pd.read_csv(data / "major_incidents.csv", dtype=str, keep_default_na=False)
    majors.loc[majors["declared_at"].str.startswith("2026-08"), "bronze_by"] = PERSONAL["consulted"]
    majors.loc[majors["declared_at"].str.startswith("2026-08"), "cause"] = PERSONAL["category"]
    majors.to_csv(data / "major_incidents.csv", index=False)
    params = make_params(base, data, run="e2e", title=TITLE_PAYLOAD, organisation=ORG_PAYLOAD,
                         notebooks="[incident_review, change_evaluation, major_incident]")
    services = params.parent / "services.yaml"
    services.write_text(services.read_text().replace(
        "First line; logs, grades and keeps the customer informed", PERSONAL["team_description"]))
    result = subprocess.run([sys.executable, "-m", "ccreview.cli", "run", str(params)],
                            capture_output=True, text=True, timeout=600)
    return {"result": result, "params": params, "reports": base / "reports"}
