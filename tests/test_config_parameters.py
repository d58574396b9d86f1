"""Parameter files and configuration: every mistake named with file and key."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from ccreview.config.criteria import load_criteria, load_objectives, load_services
from ccreview.config.parameters import KEYS, parse_period
from ccreview.config.values import parse_duration
from ccreview.exceptions import ConfigError, ParameterError
from ccreview.kpis.catalogue import METRICS
from ccreview.review.parameters import load_parameters

from .conftest import ROOT, write


@pytest.fixture()
def param_dir(tmp_path):
    for name in ("criteria.yaml", "objectives.yaml", "services.yaml"):
        shutil.copy(ROOT / "parameters" / name, tmp_path / name)
    write(tmp_path / "inc.csv", "incident_id,opened_at,priority\nINC1,2026-07-01 09:00,2\n")
    return tmp_path


BASE = ("run: q3\nperiod: 2026-Q3\ndata:\n  incidents: inc.csv\ncriteria: criteria.yaml\n"
        "objectives: objectives.yaml\nservices: services.yaml\nnotebooks: [incident_review]\n")


def test_shipped_defaults_load():
    criteria = load_criteria(ROOT / "parameters" / "criteria.yaml")
    assert criteria.priority_matrix[(3, 3)] == 5  # reference 1.16: low x low = 5 - Planning
    assert criteria.targets.set_index("priority").loc[1, "response"] == pd.Timedelta(minutes=15)
    assert criteria.calendars["office_hours"].hours[5][0][1].hour == 13  # Saturday to 13:00
    objectives = load_objectives(ROOT / "parameters" / "objectives.yaml",
                                 known_metrics=list(METRICS))
    assert {k["metric"] for o in objectives for k in o.kpis} <= set(METRICS)
    services = load_services(ROOT / "parameters" / "services.yaml")
    assert services.contact_centre_team == "Service Desk"


def test_template_documents_every_parameter_key():
    template = (ROOT / "parameters" / "template.yaml").read_text()
    for key in KEYS:
        assert key in template, key


def test_valid_parameter_file(param_dir):
    params = load_parameters(write(param_dir / "p.yaml", BASE))
    assert params.start == pd.Timestamp("2026-07-01", tz="Europe/London")
    assert params.end == pd.Timestamp("2026-10-01", tz="Europe/London")
    assert params.data["incidents"] == (param_dir / "inc.csv").resolve()
    assert params.period_label == "1 Jul 2026 – 30 Sep 2026"


def test_unknown_keys_get_a_did_you_mean(param_dir):
    with pytest.raises(ParameterError) as err:
        load_parameters(write(param_dir / "p.yaml", BASE + "notebook: [x]\ncriterias: a\n"))
    text = str(err.value)
    assert "unknown key 'notebook'. Did you mean 'notebooks'?" in text
    assert "unknown key 'criterias'. Did you mean 'criteria'?" in text


def test_unknown_table_and_missing_path_and_notebook(param_dir):
    text = BASE.replace("incidents: inc.csv", "incidents: missing.csv\n  incident: inc.csv")
    text = text.replace("[incident_review]", "[incident_reveiw]")
    with pytest.raises(ParameterError) as err:
        load_parameters(write(param_dir / "p.yaml", text))
    message = str(err.value)
    assert "data: unknown key 'incident'. Did you mean 'incidents'?" in message
    assert "data.incidents: missing.csv does not exist" in message
    assert "no notebook 'incident_reveiw'. Did you mean 'incident_review'?" in message


@pytest.mark.parametrize(
    ("value", "message"),
    [("2026-Q5", "is not a period"), ({"start": "2026-09-01", "end": "2026-08-01"},
                                      "end 2026-08-01 is before start 2026-09-01"),
     ({"start": "2026-13-01", "end": "2026-12-01"}, "is not a date that exists")],
)
def test_bad_periods(value, message):
    with pytest.raises(ParameterError, match=message):
        parse_period(value, "Europe/London")


def test_bad_run_name_and_timeout(param_dir):
    text = BASE.replace("run: q3", "run: q3/../x") + "cell_timeout_s: -1\n"
    with pytest.raises(ParameterError) as err:
        load_parameters(write(param_dir / "p.yaml", text))
    assert "must be letters, digits" in str(err.value)
    assert "cell_timeout_s must be a positive whole number" in str(err.value)


def test_invalid_yaml_names_line(param_dir):
    with pytest.raises(ParameterError, match=r"line \d+, column \d+\): not valid YAML"):
        load_parameters(write(param_dir / "p.yaml", "run: [unclosed\n"))


def test_criteria_problems_are_all_reported(tmp_path):
    text = """version: x
timezone: Mars/Olympus
calendars:
  office:
    hours: {mon: "18:00-08:00", tue: "08:00-12:00,11:00-13:00", funday: "08:00-10:00"}
priority_matrix:
  1: [1, 2, 7]
  2: [2, 2, 2]
priorities:
  1: {name: Critical, response: 15min, resolution: 4h, calendar: ofice}
  2: {name: High, response: soon, resolution: 8h}
"""
    with pytest.raises(ConfigError) as err:
        load_criteria(write(tmp_path / "criteria.yaml", text))
    message = str(err.value)
    for expected in ["'Mars/Olympus' is not an IANA time zone", "closes before it opens",
                     "opening spans overlap", "'funday' is not a weekday",
                     "unknown calendar 'ofice'. Did you mean 'office'?",
                     "'soon' is not a duration", "to priority 7, which has no targets"]:
        assert expected in message, expected
    assert "to priority 2, which has no targets" not in message  # it has; they are invalid


def test_objectives_reject_unknown_metric(param_dir):
    write(param_dir / "objectives.yaml",
          "objectives:\n  - id: O\n    title: T\n    kpis:\n      - {metric: servce_level, target: 0.8}\n")
    with pytest.raises(ParameterError,
                       match="unknown metric 'servce_level'. Did you mean 'service_level'"):
        load_parameters(write(param_dir / "p.yaml", BASE))


@pytest.mark.parametrize(("text", "seconds"), [("90s", 90), ("15min", 900), ("4h", 14400),
                                               ("2d", 172800), ("1.5 h", 5400)])
def test_durations(text, seconds):
    assert parse_duration(text, where="x").total_seconds() == seconds


def test_all_problems_across_parameters_configuration_and_period_at_once(param_dir):
    criteria = (param_dir / "criteria.yaml").read_text().replace("Europe/London", "Mars/Olympus")
    write(param_dir / "criteria.yaml", criteria)
    text = BASE.replace("period: 2026-Q3", "period: 2026-Q5") + "notebook: x\n"
    with pytest.raises(ParameterError) as err:
        load_parameters(write(param_dir / "p.yaml", text))
    message = str(err.value)
    assert "unknown key 'notebook'" in message
    assert "'Mars/Olympus' is not an IANA time zone" in message
    assert "p.yaml: period: '2026-Q5' is not a period" in message


def test_impossible_date_in_yaml_is_a_clear_error(param_dir):
    text = BASE.replace("period: 2026-Q3", "period: {start: 2026-07-01, end: 2026-09-31}")
    with pytest.raises(ParameterError, match="impossible date such as 2026-09-31"):
        load_parameters(write(param_dir / "p.yaml", text))


def test_targets_for_priorities_the_matrix_never_gives(tmp_path):
    text = (ROOT / "parameters" / "criteria.yaml").read_text()
    text = text.replace("  3: [3, 4, 5]", "  3: [3, 4, 4]")  # nothing maps to 5 any more
    with pytest.raises(ConfigError) as err:
        load_criteria(write(tmp_path / "criteria.yaml", text))
    message = str(err.value)
    assert f"{tmp_path / 'criteria.yaml'}: priorities.5 has targets, but the priority_matrix " \
           "never gives priority 5" in message
    assert "priorities.4" not in message


def test_calendar_without_hours_cannot_carry_targets(tmp_path):
    text = (ROOT / "parameters" / "criteria.yaml").read_text()
    text = text.replace("calendars:\n", "calendars:\n  closed:\n    hours: {}\n", 1)
    text = text.replace("3: {name: Moderate, response: 2h, resolution: 48h, calendar: 24x7}",
                        "3: {name: Moderate, response: 2h, resolution: 48h, calendar: closed}")
    with pytest.raises(ConfigError, match=r"priorities.3.calendar: calendar 'closed' has no "
                                          r"opening hours"):
        load_criteria(write(tmp_path / "criteria.yaml", text))


def test_unknown_top_level_key_suggests_rules(tmp_path):
    text = (ROOT / "parameters" / "criteria.yaml").read_text().replace("\nrules:\n", "\nrule:\n")
    with pytest.raises(ConfigError, match="unknown key 'rule'. Did you mean 'rules'"):
        load_criteria(write(tmp_path / "criteria.yaml", text))


def test_change_evaluation_settings_are_read_and_checked():
    from ccreview.config.change_settings import ChangeSettings, read_change_settings

    problems: list[str] = []
    settings = read_change_settings({"min_weeks_before": 12, "exclude_special_causes": False},
                                    where="p.yaml: change_evaluation", problems=problems)
    assert settings == ChangeSettings(min_weeks_before=12, min_weeks_after=8, exclude_special_causes=False)
    assert problems == []
    read_change_settings({"min_weeks_after": 1, "exclude_special_cause": True, "min_weeks_before": "8"},
                         where="p.yaml: change_evaluation", problems=problems)
    text = "\n".join(problems)
    assert "min_weeks_after: 1 is not a number of weeks" in text
    assert "min_weeks_before: '8' is not a number of weeks" in text
    assert "unknown key 'exclude_special_cause'" in text and "Did you mean 'exclude_special_causes'" in text


def test_a_copied_notebook_still_finds_the_default_parameter_file(tmp_path, monkeypatch):
    from ccreview.review.parameters import PROJECT, resolve_parameters_file

    monkeypatch.chdir(tmp_path)  # a notebook copied to a folder of its own
    found = resolve_parameters_file("../parameters/demo.yaml")
    assert found == (PROJECT / "parameters" / "demo.yaml").resolve() and found.exists()
    assert resolve_parameters_file("nowhere.yaml") == Path("nowhere.yaml")  # named as given
