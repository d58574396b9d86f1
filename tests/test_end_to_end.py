"""End to end: generate small demo data, run `ccreview run`, read what was published."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from ccreview.review.review import open_review
from ccreview.runner import run
from ccreview.wording import fmt_count, fmt_pct

from .conftest import CATEGORY_PAYLOAD, ORG_PAYLOAD, TEAM_PAYLOAD, TITLE_PAYLOAD, write

pytestmark = pytest.mark.slow

SECTIONS = ["Executive summary", "How performance moved: real change or noise", "Control charts",
            "Compliance with agreed targets", "Time to resolve", "Volumes",
            "Major incidents, debriefs and actions", "The case for change",
            "Appendix A. Data health", "Appendix B. Procedures: every agreed criterion",
            "Appendix C. Which monitoring technique to trust",
            "Appendix D. Handoffs between the contact centre and resolver teams",
            "Appendix E. Metric definitions and glossary", "Appendix F. Recommendations register"]


def test_run_succeeds_and_prints_the_index(published):
    result = published["result"]
    assert result.returncode == 0, result.stderr
    index = Path(result.stdout.strip().splitlines()[-1])
    assert index == published["reports"] / "e2e" / "index.html"
    assert index.exists()
    assert "incident_review: done" in result.stderr  # progress is visible


def test_each_change_of_the_period_gets_its_own_report(published):
    run_dir = published["reports"] / "e2e"
    manifest = json.loads((run_dir / "run.json").read_text())
    changes = {nb["name"]: nb for nb in manifest["notebooks"] if nb["name"].startswith("change_")}
    # Q3 2026: C-002 (this quarter) and C-001 (followed up from the quarter before)
    assert set(changes) == {"change_evaluation-C-001", "change_evaluation-C-002"}
    assert changes["change_evaluation-C-001"]["summary"].startswith("Verdict: achieved.")
    # the planted null change is never "achieved": the interval rules the expected fall out or,
    # with the gap between the groups allowed to drift, is too wide to say
    assert changes["change_evaluation-C-002"]["summary"].startswith(("Verdict: not achieved.",
                                                                     "Verdict: inconclusive."))
    index = (run_dir / "index.html").read_text()
    assert 'href="change_evaluation-C-001.html"' in index
    page = (run_dir / "change_evaluation-C-002.html").read_text().replace("&quot;", '"')
    assert "Change C-002: New greeting script on the general queue" in page
    assert CATEGORY_PAYLOAD not in page  # a consultation note from the register, escaped
    assert '&lt;script&gt;alert("category")&lt;/script&gt;' in page
    review = (run_dir / "incident_review.html").read_text()
    assert "Changes and their evidence" in review and "achieved" in review
    assert 'href="change_evaluation-C-002.html"' in review  # the summary links to the evidence


def test_report_has_sections_and_no_code(published):
    page = (published["reports"] / "e2e" / "incident_review.html").read_text()
    starts = []
    for section in SECTIONS:
        found = re.search(rf"<h2[^>]*>{re.escape(section)}", page)
        assert found, section
        starts.append(found.start())
    assert starts == sorted(starts)  # the main body first, the appendices last
    assert 'class="ccr-toc"' in page
    body = re.sub(r"<style.*?</style>", "", page, flags=re.S)
    for code_marker in ("jp-CodeMirrorEditor", "hl-ipython3", "open_review(", "import ", "Traceback",
                        "Warning:", "<pre>"):
        assert code_marker not in body, code_marker
    assert "Analysts: change the parameter file" not in page  # analyst-only cell removed


def test_report_needs_no_network(published):
    for page in (published["reports"] / "e2e").glob("*.html"):
        text = page.read_text()
        assert not re.search(r"""<script[^>]+src=""", text), page.name
        assert not re.search(r"""(src|href)=["']https?://""", text), page.name
        assert "@import url(http" not in text


def test_report_numbers_match_the_package(published):
    page = (published["reports"] / "e2e" / "incident_review.html").read_text()
    review = open_review(published["params"])
    assert f"{fmt_count(len(review.incidents))} incidents were opened" in page
    for row in review.compliance.itertuples():
        assert (f"{row.target.capitalize()} targets were met for {fmt_pct(row.rate)}") in page
    health = review.data.health()
    rejected = int(health["rows_rejected"].sum())
    assert f"{fmt_count(rejected)} rows of the input files" in page
    assert rejected > 0


def test_manifest_and_downloads(published):
    run_dir = published["reports"] / "e2e"
    manifest = json.loads((run_dir / "run.json").read_text())
    assert manifest["status"] == "ok"
    assert manifest["notebooks"][0]["status"] == "ok"
    assert "incidents; response" in manifest["notebooks"][0]["summary"]
    assert manifest["notebooks"][0]["summary"] in (run_dir / "index.html").read_text()
    assert len(manifest["inputs"]["incidents"]["sha256"]) == 64
    assert {"load_validate", "export_html", "total"} <= set(manifest["timings_s"])
    for row in manifest["data_health"]:
        assert row["rows_read"] == row["rows_accepted"] + row["rows_rejected"]
    assert (run_dir / "downloads" / "incidents_quarantined.csv").exists()
    assert not (run_dir / "_prepared").exists()


def test_each_major_incident_of_the_period_gets_its_own_report(published):
    """Issue #16: the major_incident notebook runs once per major incident declared in the
    period, each listed on the index with its summary; the review names the lapses."""
    run_dir = published["reports"] / "e2e"
    manifest = json.loads((run_dir / "run.json").read_text())
    majors = {nb["name"]: nb for nb in manifest["notebooks"] if nb["name"].startswith("major_incident-")}
    assert set(majors) == {"major_incident-MI-007"}  # the small demo's one major incident in Q3
    entry = majors["major_incident-MI-007"]
    assert entry["status"] == "ok" and entry["title"].startswith("Major incident MI-007: ")
    assert "extra contacts" in entry["summary"] and "hot debrief late" in entry["summary"]
    index = (run_dir / "index.html").read_text()
    assert entry["summary"] in index
    page = (run_dir / "major_incident-MI-007.html").read_text()
    for heading in ("The major incident", "Timeline", "The contact surge",
                    "Staffing: what would have held the target", "Debriefs and actions"):
        assert re.search(rf"<h2[^>]*>{re.escape(heading)}", page), heading
    assert "could not be computed" not in page
    review = open_review(published["params"])
    summary = (run_dir / "incident_review.html").read_text()
    missing = review.outstanding_debriefs.iloc[0]
    assert f"never held: the structured debrief of {missing['major_incident_id']}" in summary
    assert f"{len(review.overdue_actions)} debrief actions open past the due date" in summary
    assert "Debriefs never held" in summary and "Debrief actions overdue" in summary  # recommendations
    assert 'href="major_incident-MI-007.html"' in summary


def test_the_index_says_why_a_fanned_out_notebook_did_not_run(project_params, tmp_path):
    text = project_params.read_text()
    text = re.sub(r"  major_incidents: .*\n|  debriefs: .*\n|  actions: .*\n", "", text)
    text = text.replace("notebooks: [incident_review]", "notebooks: [major_incident]")
    project_params.write_text(text)
    result = run(project_params, progress=lambda _: None)
    index = result.index.read_text()
    assert "Major incident reports" in index and "Not run: no major_incidents file was supplied." in index
    assert not list(result.index.parent.glob("major_incident-*.html"))


# --- failures ------------------------------------------------------------------------


def notebook(path: Path, *sources: str) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell('parameters_file = ""\nprepared_dir = None',
                                          metadata={"tags": ["parameters"]})]
    nb.cells += [nbformat.v4.new_code_cell(s) for s in sources]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, path)


def test_failed_and_timed_out_notebooks_never_replace_a_published_run(published, tmp_path):
    run_dir = published["reports"] / "e2e"
    before = (run_dir / "index.html").read_bytes()
    nb_dir = tmp_path / "notebooks"
    nb_dir.mkdir()
    notebook(nb_dir / "failing.ipynb", "x = 1", "raise ValueError('planted failure')")
    notebook(nb_dir / "slow.ipynb", "import time\ntime.sleep(60)")
    text = published["params"].read_text().replace("[incident_review, change_evaluation, major_incident]",
                                                    "[failing, slow]")
    params = write(published["params"].with_name("fail.yaml"),
                   text + f"notebooks_dir: {nb_dir}\ncell_timeout_s: 3\n")
    result = subprocess.run([sys.executable, "-m", "ccreview.cli", "run", str(params)],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 1
    assert ("failing: cell 3 (\"raise ValueError('planted failure')\") raised ValueError: "
            "planted failure") in result.stderr
    assert "slow: cell 2 ('import time') did not finish within the cell timeout of 3 s" in result.stderr
    assert (run_dir / "index.html").read_bytes() == before
    failed_index = (published["reports"] / "e2e-failed" / "index.html").read_text()
    assert failed_index.count("FAILED") == 2
    assert "planted failure" in failed_index
    assert not list(published["reports"].glob(".e2e*"))  # no staging folder left behind


def test_a_section_that_raises_stops_only_itself_and_fails_the_run(published, tmp_path):
    """A section that raises shows, in its place, that it could not be computed and why;
    the sections after it publish; the traceback is in the run log (neither the page nor
    the published notebook holds it); the run exits non-zero and the earlier published run
    is untouched."""
    run_dir = published["reports"] / "e2e"
    before = (run_dir / "index.html").read_bytes()
    nb_dir = tmp_path / "notebooks"
    nb_dir.mkdir()
    notebook(nb_dir / "sections.ipynb",
             "from ccreview.report import sections\nfrom ccreview.review import open_review\n"
             "review = open_review(parameters_file, prepared_dir=prepared_dir)",
             "class Broken(sections.Volumes):\n"
             "    def __init__(self, review):\n"
             "        super().__init__(review)\n"
             "        raise ZeroDivisionError('planted in a section')\n"
             "Broken(review)",
             "sections.DataHealth(review)")
    text = (published["params"].read_text().replace("run: e2e", "run: e2e-sections")
            .replace("[incident_review, change_evaluation, major_incident]", "[sections]"))
    params = write(published["params"].with_name("sections.yaml"),
                   text + f"notebooks_dir: {nb_dir}\n")
    result = subprocess.run([sys.executable, "-m", "ccreview.cli", "run", str(params)],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 1, result.stderr
    assert "section Broken could not be computed (ZeroDivisionError: planted in a section)" in (
        result.stderr)
    assert (run_dir / "index.html").read_bytes() == before
    folder = published["reports"] / "e2e-sections-failed"
    page = (folder / "sections.html").read_text()
    assert "This part of the report (Broken) could not be computed." in page
    assert "a fault in the kit, not in the data" in page
    assert "rows were read from" in page  # the data health section after it published
    assert "Traceback" not in page and "planted in a section" not in page
    executed = (folder / "notebooks" / "sections.ipynb").read_text()
    assert "Traceback" not in executed and '"name": "stderr"' not in executed
    assert "Traceback" in result.stderr and "ZeroDivisionError" in result.stderr
    assert "FAILED" in (folder / "index.html").read_text()


def test_interrupted_publication_leaves_the_earlier_run(published, monkeypatch):
    run_dir = published["reports"] / "e2e"
    before = (run_dir / "index.html").read_bytes()

    def boom(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("ccreview.report.publish.HtmlExporter.export", boom)
    with pytest.raises(KeyboardInterrupt):
        run(published["params"], progress=lambda _: None)
    assert (run_dir / "index.html").read_bytes() == before
    assert not list(published["reports"].glob(".e2e*"))


def test_notebook_runs_as_an_analyst_would(published, tmp_path):
    """Without prepared data (as in JupyterLab), the notebook loads and validates itself."""
    import papermill as pm

    from .conftest import ROOT

    out = tmp_path / "analyst.ipynb"
    pm.execute_notebook(str(ROOT / "notebooks" / "incident_review.ipynb"), str(out),
                        parameters={"parameters_file": str(published["params"])},
                        cwd=str(ROOT / "notebooks"), progress_bar=False, kernel_name="python3")
    nb = nbformat.read(out, as_version=4)
    html_outputs = [o for cell in nb.cells if cell.cell_type == "code"
                    for o in cell.get("outputs", []) if "text/html" in o.get("data", {})]
    assert len(html_outputs) == len(SECTIONS)
    assert not [o for cell in nb.cells for o in cell.get("outputs", [])
                if o.get("output_type") == "error"]


def test_markup_from_data_and_parameters_is_shown_as_text(published):
    run_dir = published["reports"] / "e2e"
    for page in ("incident_review.html", "index.html"):
        text = (run_dir / page).read_text()
        for payload in (TITLE_PAYLOAD, ORG_PAYLOAD, CATEGORY_PAYLOAD, TEAM_PAYLOAD):
            assert payload not in text, (page, payload)
        shown = text.replace("&quot;", '"').replace("&#34;", '"')
        assert 'Review &lt;script&gt;alert("title")&lt;/script&gt;' in shown, page
        assert '&lt;img src=x onerror=alert("org")&gt;' in shown, page
    report = (run_dir / "incident_review.html").read_text().replace("&quot;", '"')
    assert '<td>&lt;script&gt;alert("category")&lt;/script&gt;</td>' in report
    assert '<td>&lt;img src=x onerror=alert("team")&gt;</td>' in report


def test_key_tables_are_published_as_csv(published):
    import pandas as pd

    run_dir = published["reports"] / "e2e"
    review = open_review(published["params"])
    table = pd.read_csv(run_dir / "downloads" / "compliance_by_priority.csv")
    expected = review.compliance_by_priority
    assert table["n"].tolist() == expected["n"].tolist()
    assert table["rate"].to_numpy() == pytest.approx(expected["rate"].to_numpy())
    page = (run_dir / "incident_review.html").read_text()
    for name in ("kpi_scorecard", "incidents_by_category", "priority_grading_by_team",
                 "time_to_resolve_by_priority"):
        assert (run_dir / "downloads" / f"{name}.csv").exists(), name
        assert f'href="downloads/{name}.csv"' in page, name
    # data from the export is published redacted and defused, like the quarantined rows
    teams = pd.read_csv(run_dir / "downloads" / "priority_grading_by_team.csv")
    assert TEAM_PAYLOAD in teams["assigned_team"].tolist()  # markup is text in a CSV, kept


def test_report_stays_within_its_size_budget(published):
    size = (published["reports"] / "e2e" / "incident_review.html").stat().st_size
    assert size < 5 * 2**20, f"{size / 2**20:.1f} MB"  # issue #6: under 5 MB


def test_no_published_file_holds_personal_data_and_ids_survive(published):
    """E-mail addresses and phone numbers planted in the change register (owner, consulted),
    in free text (category) and in a configuration label (a team's description) reach no
    published page, notebook or download; a 12-digit order number is not taken for a
    phone number (issue #13)."""
    from .conftest import KEPT_ID

    folder = published["reports"] / "e2e"
    texts = {path: path.read_text(encoding="utf-8", errors="replace")
             for path in folder.rglob("*") if path.suffix in (".html", ".ipynb", ".csv")}
    assert any(p.suffix == ".ipynb" for p in texts) and any(p.suffix == ".csv" for p in texts)
    needles = ["Zoë.Müller", "exämple.de", "jane.doe@example.com", "07700 900123",
               "+442079460018", "7946 0018"]
    for path, text in texts.items():
        for needle in needles:
            assert needle not in text, (path.name, needle)
    page = (folder / "incident_review.html").read_text(encoding="utf-8")
    assert f"order {KEPT_ID}" in page or any(f"order {KEPT_ID}" in t for t in texts.values())
    assert "[email]" in page
    assert "Personal data in the data (redacted wherever published)" in page
