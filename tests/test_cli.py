"""The command line: short messages and exit codes, never a traceback wall."""

from __future__ import annotations

import subprocess
import sys

from .conftest import write


def ccreview(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ccreview.cli", *args], capture_output=True,
                          text=True, timeout=120)


def test_missing_parameter_file(tmp_path):
    result = ccreview("run", str(tmp_path / "nope.yaml"))
    assert result.returncode == 2
    assert "nope.yaml: parameter file not found" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_parameters_list_every_problem(tmp_path):
    path = write(tmp_path / "p.yaml", "run: x\nperid: 2026-Q3\n")
    result = ccreview("run", str(path))
    assert result.returncode == 2
    assert "unknown key 'perid'. Did you mean 'period'?" in result.stderr
    assert "'incidents' is required (or an importer" in result.stderr
    assert "Traceback" not in result.stderr


def test_fatal_input_problems_stop_before_publishing(project_params, tmp_path):
    broken = tmp_path / "broken.csv"
    write(broken, "incident_id,priority\nINC1,2\n")
    text = project_params.read_text()
    text = "\n".join(
        f"  incidents: {broken}" if line.startswith("  incidents:") else line
        for line in text.splitlines())
    path = write(tmp_path / "parameters" / "broken.yaml", text + "\n")
    result = ccreview("run", str(path))
    assert result.returncode == 2
    assert "cannot use the input files" in result.stderr
    assert "broken.csv: required column(s) missing for table 'incidents': opened_at" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "reports").exists() or not any((tmp_path / "reports").iterdir())


def test_demo_data_unknown_scale(tmp_path):
    result = ccreview("demo-data", "--scale", "huge", "--out", str(tmp_path / "d"))
    assert result.returncode == 2
    assert "small" in result.stderr and "large" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_command_prints_health(project_params):
    result = ccreview("check", str(project_params))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "are valid (period 1 Jul 2026 – 30 Sep 2026, time zone Europe/London)" in out
    line = next(ln for ln in out.splitlines() if ln.startswith("incidents "))
    read, accepted, quarantined = (int(x.replace(",", "")) for x in line.split()[1:4])
    assert read == accepted + quarantined and quarantined == 6  # the demo plants 6 bad incidents
    assert "row " in out and "Ready to run" in out


def test_version():
    result = ccreview("--version")
    assert result.returncode == 0 and result.stdout.startswith("ccreview ")


def test_init_lays_out_a_quarter_with_the_exact_headers_and_overwrites_nothing(tmp_path):
    from ccreview.data.schema import TABLES

    folder = tmp_path / "quarter"
    result = ccreview("init", str(folder))
    assert result.returncode == 0, result.stderr
    parameters = folder / "parameters" / "review.yaml"
    assert result.stdout.strip() == str(parameters)
    for name in ("review.yaml", "criteria.yaml", "objectives.yaml", "services.yaml"):
        assert (folder / "parameters" / name).exists()
    for name, table in TABLES.items():
        header = (folder / "data" / "2026-Q3" / f"{name}.csv").read_text(encoding="utf-8").strip()
        assert header.split(",") == table.names
    assert "26 weeks before the period" in result.stderr and "15 months" in result.stderr
    # the scaffold's parameter file is valid; its empty tables are named, not a traceback
    checked = ccreview("check", str(parameters))
    assert "are valid" in checked.stdout + checked.stderr and "Traceback" not in checked.stderr
    assert "has a header but no data rows" in checked.stdout + checked.stderr
    # a second init keeps what is there
    (folder / "parameters" / "review.yaml").write_text("run: mine\n", encoding="utf-8")
    again = ccreview("init", str(folder))
    assert again.returncode == 0 and "kept" in again.stderr
    assert (folder / "parameters" / "review.yaml").read_text(encoding="utf-8") == "run: mine\n"
