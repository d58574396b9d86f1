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
    from ccreview.demo import generate

    out = tmp_path_factory.mktemp("demo")
    generate(out, seed=7, scale="small")
    return out


@pytest.fixture()
def project_params(tmp_path, demo_dir) -> Path:
    """A parameter file for the demo data, publishing into a temporary reports folder."""
    params = tmp_path / "parameters"
    params.mkdir()
    for name in ("criteria.yaml", "objectives.yaml", "services.yaml"):
        shutil.copy(ROOT / "parameters" / name, params / name)
    tables = ["incidents", "incident_events", "contacts", "feedback", "qa_evaluations",
              "changes", "major_incidents", "debriefs", "actions"]
    lines = "\n".join(f"  {t}: {demo_dir / (t + '.csv')}" for t in tables)
    text = (f"run: test-run\ntitle: Test review\norganisation: Test centre\nperiod: 2026-Q3\n"
            f"data:\n{lines}\ncriteria: criteria.yaml\nobjectives: objectives.yaml\n"
            f"services: services.yaml\nnotebooks: [incident_review]\n"
            f"reports_dir: {tmp_path / 'reports'}\n")
    return write(params / "test.yaml", text)
