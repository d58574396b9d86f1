"""A catalogue of careless and hostile inputs (issue #13). Each is judged as a user would:
a clear message that names the file, row, column or key and how to fix it, no traceback,
the right exit code, counts that reconcile and nothing silently lost or mis-read."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from ccreview.cli import main

from .conftest import make_params, write


@pytest.fixture()
def project(demo_dir, tmp_path):
    """A private copy of the demo data and configuration; returns (params, data folder)."""
    data = tmp_path / "data"
    shutil.copytree(demo_dir, data)
    return make_params(tmp_path, data), data


def edit_csv(path: Path, change) -> None:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    change(frame).to_csv(path, index=False)


def cli(capsys, *argv) -> tuple[int, str]:
    """Run the command in-process: any exception other than the kit's own messages fails
    the test (it would have been a traceback)."""
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    text = out.out + out.err
    assert "Traceback" not in text
    return code, text


def issues(params, table: str) -> pd.DataFrame:
    from ccreview.data.validate import load_inputs
    from ccreview.review.parameters import load_parameters

    ds = load_inputs(load_parameters(params))
    result = ds.tables[table]
    assert result.rows_read == result.rows_accepted + result.rows_rejected
    return result.issues


# --- silent loss or mis-reading --------------------------------------------------------------

def test_a_misspelt_optional_header_is_named_with_the_measures_it_costs(project, capsys):
    params, data = project
    edit_csv(data / "incidents.csv", lambda f: f.rename(columns={"resolved_at": "resolved_att"}))
    code, text = cli(capsys, "check", params)
    assert code == 0
    assert "column 'resolved_att' is not a column of incidents" in text
    assert "Did you mean 'resolved_at'?" in text
    assert "has no resolved_at column, so these cannot be measured: Resolution compliance" in text


def test_blank_or_na_in_a_required_column_is_quarantined(project):
    params, data = project

    def blank(frame):
        frame.loc[[3, 4], "priority"] = ""
        frame.loc[[5], "priority"] = "n/a"
        return frame

    edit_csv(data / "incidents.csv", blank)
    found = issues(params, "incidents")
    rows = found.loc[found["column"] == "priority", "row"].tolist()
    assert rows[:3] == [5, 6, 7]  # spreadsheet rows of data rows 3, 4, 5
    assert (found.loc[found["row"].isin([5, 6, 7]), "problem"]
            == "is empty; priority is required for every row").all()


@pytest.mark.parametrize("value", ["inf", "-inf", "1e400", "Infinity"])
def test_infinite_numbers_are_quarantined(project, value):
    params, data = project
    edit_csv(data / "contacts.csv", lambda f: f.assign(wait_s=f["wait_s"].where(f.index != 0, value)))
    found = issues(params, "contacts")
    first = found[(found["row"] == 2) & (found["column"] == "wait_s")]
    assert first["problem"].str.contains("not a finite number|not a number").any()


def test_scores_outside_their_scale_are_quarantined(project):
    params, data = project

    def out_of_scale(frame):
        frame.loc[frame.index[frame["scale"] == "csat_1_5"][:2], "score"] = "50"
        frame.loc[frame.index[frame["scale"] == "nps_0_10"][:1], "score"] = "11"
        return frame

    edit_csv(data / "feedback.csv", out_of_scale)
    found = issues(params, "feedback")
    problems = found.loc[found["column"] == "score", "problem"].value_counts()
    assert problems["is outside the csat_1_5 scale (1 to 5); check the scale column or the score"] == 2
    assert problems["is outside the nps_0_10 scale (0 to 10); check the scale column or the score"] == 1


def test_check_is_not_ready_when_a_file_loses_most_of_its_rows(project, capsys):
    params, _ = project
    write(params, params.read_text() + "timestamp_format: {contacts: '%d/%m/%Y %H:%M'}\n")
    code, text = cli(capsys, "check", params)
    assert code == 2
    assert "Not ready to run" in text and "would be quarantined" in text
    assert "Ready to run" not in text.replace("Not ready to run", "")


def test_formats_are_declared_per_file_and_per_column(project):
    """One day-first export among ISO ones: its format applies to it alone (issue #13: a
    format for every file quarantined 74,319 rows of seven other tables)."""
    params, data = project
    original = pd.read_csv(data / "contacts.csv", dtype=str, keep_default_na=False)

    def day_first(frame):
        stamp = pd.to_datetime(frame["arrived_at"], utc=True).dt.tz_convert("Europe/London")
        return frame.assign(arrived_at=stamp.dt.strftime("%d/%m/%Y %H:%M:%S"))

    edit_csv(data / "contacts.csv", day_first)
    write(params, params.read_text() + "timestamp_format: {contacts: {arrived_at: '%d/%m/%Y %H:%M:%S'}}\n")
    from ccreview.data.validate import load_inputs
    from ccreview.review.parameters import load_parameters

    ds = load_inputs(load_parameters(params))
    contacts = ds.tables["contacts"]
    assert not (contacts.issues["column"] == "arrived_at").any()
    assert ds.tables["incidents"].issues.empty or not (
        ds.tables["incidents"].issues["problem"].str.contains("format").any())
    # every accepted contact is read back at the instant the ISO export gave (a wall-clock
    # time in the repeated autumn hour reads as its first occurrence, hence "nearly")
    first = original.drop_duplicates("contact_id")  # a planted duplicate: the first is kept
    truth = pd.to_datetime(first.set_index("contact_id")["arrived_at"], utc=True,
                           errors="coerce")
    read = contacts.data.set_index("contact_id")["arrived_at"].dt.tz_convert("UTC")
    same = (read == truth.reindex(read.index).dt.floor("s")).mean()
    assert same > 0.999


@pytest.mark.parametrize("spec, message", [
    ("'%'", "is not a valid strftime format"),
    ("'%Q'", "is not a valid strftime format"),
    ("'dd/mm/yyyy'", "is not a strftime format"),
    ("{contact: '%d/%m/%Y'}", "'contact' is not an input table. Did you mean 'contacts'?"),
    ("{contacts: {arived_at: '%d/%m/%Y'}}", "contacts.arived_at is not a column of contacts"),
])
def test_a_bad_format_is_a_parameter_message(project, capsys, spec, message):
    params, _ = project
    write(params, params.read_text() + f"timestamp_format: {spec}\n")
    code, text = cli(capsys, "check", params)
    assert code == 2 and message in text and "timestamp_format" in text


def test_a_month_first_file_declared_day_first_is_named_not_half_mis_dated(project, capsys):
    """Read day-first, a month-first export would put 3 April on 4 March for every row
    whose day is 12 or less and quarantine the rest: the file is flagged instead."""
    params, data = project

    def month_first(frame):
        stamp = pd.to_datetime(frame["arrived_at"], utc=True).dt.tz_convert("Europe/London")
        return frame.assign(arrived_at=stamp.dt.strftime("%m/%d/%Y %H:%M"))

    edit_csv(data / "contacts.csv", month_first)
    write(params, params.read_text() + "timestamp_format: {contacts: '%d/%m/%Y %H:%M'}\n")
    found = issues(params, "contacts")
    arrived = found[found["column"] == "arrived_at"]
    assert arrived["problem"].str.contains("the declared order is probably wrong for this file").all()
    assert "'%m/%d/%Y %H:%M'" in arrived["problem"].iloc[0]
    code, text = cli(capsys, "check", params)
    assert code == 2 and "Not ready to run" in text


# --- tracebacks instead of messages ----------------------------------------------------------

REPLACEMENTS = ["text", 5, [1, 2], {"a": 1}, None, [{"b": [1]}], True]


def structural_cases():
    """Every top-level key of the shipped parameter and configuration files, its value
    replaced by each of a scalar, a list, a mapping and nothing."""
    import yaml

    from .conftest import ROOT

    for name in ("criteria.yaml", "objectives.yaml", "services.yaml", "demo.yaml"):
        data = yaml.safe_load((ROOT / "parameters" / name).read_text())
        for key in data:
            for i, value in enumerate(REPLACEMENTS):
                yield pytest.param(name, key, value, id=f"{name}:{key}:{i}")


@pytest.mark.parametrize("name, key, value", list(structural_cases()))
def test_any_value_of_the_wrong_shape_is_a_message_not_a_traceback(project, name, key, value):
    import yaml

    from ccreview.exceptions import CCReviewError
    from ccreview.review.parameters import load_parameters

    params, _ = project
    target = params if name == "demo.yaml" else params.parent / name
    data = yaml.safe_load(target.read_text())
    if name == "demo.yaml" and key in ("data", "reports_dir"):
        pytest.skip("the test's own paths")
    data[key] = value
    target.write_text(yaml.safe_dump(data, allow_unicode=True))
    try:
        load_parameters(params)
    except CCReviewError as exc:
        assert str(exc).strip()
        assert "Traceback" not in str(exc)


@pytest.mark.parametrize("edit, message", [
    (lambda t: t.replace("pause_states:", "timezone: UTC\npause_states:"),
     "key 'timezone' is given twice"),
    (lambda t: t.replace("1: {name: Critical, response: 15min", "1: {name: Critical, response: 15h"),
     "the response target (15h) is longer than the resolution target (4h)"),
    (lambda t: t.replace("pause_states: [awaiting_customer, awaiting_vendor]",
                         "pause_states: [new, assigned, in_progress, awaiting_customer]"),
     "pause_states include every working state"),
    (lambda t: t.replace("calendars:\n  office_hours:", "calendars:\n  - office_hours:"),
     "calendars: expected a mapping"),
    (lambda t: "a: &a [1, 2]\nb: *a\n" + t, "YAML aliases (*name) are not allowed"),
])
def test_contradictory_or_unsafe_criteria_are_refused_naming_file_and_key(project, capsys, edit,
                                                                          message):
    params, _ = project
    criteria = params.parent / "criteria.yaml"
    criteria.write_text(edit(criteria.read_text()))
    code, text = cli(capsys, "check", params)
    assert code == 2 and message in text and "criteria.yaml" in text


def test_an_alias_bomb_is_refused_before_it_expands(project, capsys):
    params, _ = project
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]" for i in range(1, 9)]
    params.write_text("\n".join(lines) + "\n" + params.read_text())
    code, text = cli(capsys, "check", params)
    assert code == 2 and "YAML aliases" in text


def test_an_oversized_parameter_file_is_refused_unread(project, capsys):
    params, _ = project
    params.write_text(params.read_text() + "#" + "x" * (2 << 20) + "\n")
    code, text = cli(capsys, "check", params)
    assert code == 2 and "too large for a parameter or configuration file" in text


@pytest.mark.parametrize("run, message", [
    ("x" * 300, "keep it to 80 or fewer"),
    ('"q3\\n"', "must be letters, digits"),
    ("../q3", "must be letters, digits"),
])
def test_run_names_that_cannot_be_folder_names_are_refused(project, capsys, run, message):
    params, _ = project
    params.write_text(params.read_text().replace("run: test-run", f"run: {run}"))
    code, text = cli(capsys, "check", params)
    assert code == 2 and message in text


@pytest.mark.parametrize("period", ["{start: 01/07/2026, end: 30/09/2026}",
                                    "{start: 2026-07-01, end: 30.09.2026}"])
def test_period_dates_are_iso_or_refused_with_an_example(project, capsys, period):
    params, _ = project
    params.write_text(params.read_text().replace("period: 2026-Q3", f"period: {period}"))
    code, text = cli(capsys, "check", params)
    assert code == 2 and "is not a date written YYYY-MM-DD (e.g. 2026-07-01)" in text


def test_change_ids_that_differ_by_case_or_punctuation_never_share_a_file():
    """C-001, c_001, C/001 and c-001 used to map to one report file (and one set of
    downloads) on a case-blind file system, so one evaluation was lost or showed another's
    data."""
    from ccreview.report.publish import download_name
    from ccreview.review.changes import change_stems, report_name

    ids = ["C-001", "c_001", "C/001", "c-001", "C-002"]
    stems = change_stems(ids)
    reports = {report_name(i, stems).lower() for i in ids}
    downloads = {download_name(f"{stems[i]}_weekly_series") for i in ids}
    assert len(reports) == len(downloads) == len(ids)
    assert stems["C-002"] == "C-002"  # an id that meets no other keeps its readable name
    assert change_stems(ids) == stems  # the same on every run


def test_check_piped_into_head_ends_quietly(project, monkeypatch):
    """``ccreview check ... | head -1``: once the reader has gone, writing raises
    BrokenPipeError; the command ends quietly instead of with a traceback."""
    import io

    params, _ = project

    class ClosedPipe(io.StringIO):
        def write(self, text):
            if self.getvalue():
                raise BrokenPipeError(32, "Broken pipe")
            return super().write(text)

    monkeypatch.setattr("sys.stdout", ClosedPipe())
    assert main(["check", str(params)]) == 0


def test_a_full_disk_while_saving_is_a_message_and_leaves_nothing(project, capsys, monkeypatch):
    import errno

    import ccreview.runner as runner

    params, _ = project

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", "/reports/x/_prepared/a.parquet")

    monkeypatch.setattr(runner, "save_prepared", full)
    code, text = cli(capsys, "run", params)
    assert code == 2
    assert "could not write the run" in text and "No space left on device" in text
    reports = params.parent.parent / "reports"
    assert not list(reports.glob(".*building*")) and not (reports / "test-run").exists()
