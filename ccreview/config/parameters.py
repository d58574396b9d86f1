"""Run parameter files (``parameters/*.yaml``): read, check, resolve paths.

A parameter file is checked completely before any notebook starts: unknown
keys are rejected with a did-you-mean suggestion, types and dates are checked,
and every path must exist. Paths are relative to the parameter file.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from ccreview.config.change_settings import ChangeSettings, read_change_settings
from ccreview.config.criteria import (
    Criteria,
    Objective,
    Services,
    load_criteria,
    load_objectives,
    load_services,
)
from ccreview.config.formats import check_formats
from ccreview.config.kpi_settings import KpiSettings, read_kpi_settings
from ccreview.config.register import read_register
from ccreview.config.themes import (
    Themes,
    load_themes,
)
from ccreview.config.values import parse_date
from ccreview.config.yaml_files import check_keys, read_yaml
from ccreview.data.schema import TABLES
from ccreview.exceptions import ConfigError, ParameterError
from ccreview.wording import did_you_mean, fmt_day

__all__ = ["KEYS", "RunParameters", "read_parameters", "parse_period"]

#: every key a parameter file may hold, with what it means
KEYS = {
    "run": "name of the run; the report is published under reports/<run>/",
    "title": "title shown on the reports",
    "organisation": "the contact centre's name, shown on the reports",
    "series": "the review series the run belongs to; the index lists earlier runs of the same "
              "series only (default: the organisation)",
    "period": "the review period: 2026-Q3, or {start: 2026-07-01, end: 2026-09-30}",
    "data": "table name -> input file (CSV, Parquet or Excel)",
    "imports": "importer name -> export it reads, e.g. servicenow: incident_event_log.zip",
    "criteria": "path of criteria.yaml (calendars, priority matrix, targets)",
    "objectives": "path of objectives.yaml (objectives and KPI targets)",
    "services": "path of services.yaml (services and team responsibilities)",
    "themes": "path of themes.yaml (feedback themes; default: the kit's contact-centre themes)",
    "recommendations": "path of the recommendations register (CSV) carried from run to run",
    "notebooks": "notebooks to run, by name (files in notebooks/)",
    "notebooks_dir": "where the notebooks are (default: the kit's notebooks/ folder)",
    "reports_dir": "where runs are published (default: reports/ beside parameters/)",
    "cell_timeout_s": "seconds a single notebook cell may run before the run fails",
    "timestamp_format": "strftime format of date-times that are not ISO 8601, e.g. '%d/%m/%Y %H:%M':"
                        " one for every file, or per table (and per column): "
                        "{contacts: '%d/%m/%Y %H:%M', incidents: {opened_at: '%m/%d/%Y %H:%M'}}",
    "date_format": "strftime format of dates that are not ISO 8601, e.g. '%d/%m/%Y'; one for "
                   "every file, or per table (and per column), as timestamp_format",
    "kpis": "definition choices: service_level {threshold_s, variant}, short_abandon_s",
    "control_charts": "baseline {start, end}, run rules and the metrics charted",
    "change_evaluation": "min_weeks_before, min_weeks_after, exclude_special_causes",
    "what_if_criteria": "path of another criteria.yaml to recompute compliance under, side by side",
}
#: metrics charted when the parameter file does not choose
DEFAULT_CHART_METRICS = ("abandonment_rate", "service_level", "average_handle_time",
                         "response_compliance", "resolution_compliance", "median_resolution_h",
                         "csat", "incidents_opened")
_CHART_KEYS = {"baseline": "{start, end} dates", "rules": "run rules by name",
               "metrics": "catalogue metrics to chart", "frequency": "week (default) or day"}
#: control-chart frequency word -> kpi_series freq
CHART_FREQUENCIES = {"week": "W", "day": "D"}
_RUN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
#: a run name becomes folder names (<run>, .<run>.building-*, <run>-failed): keep them short
MAX_RUN_NAME = 80
#: the notebooks ship inside the package (``ccreview/notebooks``, the project's ``notebooks/``)
NOTEBOOKS_DIR = Path(str(resources.files("ccreview").joinpath("notebooks"))).resolve()


@dataclass(frozen=True)
class RunParameters:
    """A checked parameter file with paths resolved and configuration loaded."""

    run: str
    title: str
    organisation: str
    start: pd.Timestamp
    end: pd.Timestamp
    data: dict[str, Path]
    criteria: Criteria
    objectives: list[Objective]
    services: Services
    notebooks: list[str]
    notebooks_dir: Path
    reports_dir: Path
    cell_timeout_s: int
    source: Path
    #: one format for every file, or table -> format, or table -> {column -> format}
    timestamp_format: str | dict | None = None
    date_format: str | dict | None = None
    #: importer name -> the export it reads
    imports: dict[str, Path] = field(default_factory=dict)
    #: criteria, objectives and services files by key, for the run manifest
    config_files: dict[str, Path] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)
    #: definition choices for the KPIs (service-level variant, thresholds)
    kpi_settings: KpiSettings = field(default_factory=KpiSettings)
    #: control-chart baseline ``[start, end)``; None: the 26 weeks before the period
    chart_baseline: tuple[pd.Timestamp, pd.Timestamp] | None = None
    #: run rules by name; None: the defaults of :mod:`ccreview.stats.control_charts`
    chart_rules: tuple[str, ...] | None = None
    chart_metrics: tuple[str, ...] = DEFAULT_CHART_METRICS
    #: control-chart points: "W" (weeks) or "D" (days, for periods of a few weeks)
    chart_freq: str = "W"
    #: change evaluation: minimum history, special causes
    change_settings: ChangeSettings = field(default_factory=ChangeSettings)
    #: alternative criteria for the "what if" comparison
    what_if_criteria: Criteria | None = None
    #: the review series (runs of one series list each other); "" means the organisation
    series: str = ""
    #: feedback themes (``themes:``; default: the kit's own)
    themes: Themes | None = None
    #: the recommendations register (``recommendations:``); None when not kept
    register_path: Path | None = None

    @property
    def series_name(self) -> str:
        """The series this run belongs to: ``series``, else the organisation."""
        return self.series or self.organisation

    @property
    def input_files(self) -> dict[str, Path]:
        """Every file the run reads, by table or importer name."""
        return {**self.data, **self.imports}

    @property
    def timezone(self) -> str:
        """The centre's time zone (from ``criteria.yaml``)."""
        return self.criteria.timezone

    @property
    def period_label(self) -> str:
        """``"1 Jul 2026 – 30 Sep 2026"``."""
        last = self.end - pd.Timedelta(days=1)
        return f"{fmt_day(self.start)} – {fmt_day(last)}"

    def notebook_path(self, name: str) -> Path:
        """Path of notebook ``name``."""
        return self.notebooks_dir / f"{name}.ipynb"


def parse_period(value: Any, timezone: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Return ``[start, end)`` as timezone-aware midnights for a period value.

    ``"2026-Q3"`` covers 1 Jul to 30 Sep 2026 inclusive; a mapping with
    ``start`` and ``end`` dates covers both days inclusive.

    Raises
    ------
    ParameterError
    """
    if isinstance(value, str) and re.fullmatch(r"\d{4}-Q[1-4]", value.strip(), re.I):
        quarter = pd.Period(value.strip().upper(), freq="Q")
        start, last = quarter.start_time, quarter.end_time.normalize()
    elif isinstance(value, dict) and set(value) == {"start", "end"}:
        start = parse_date(value["start"], where="period: start", error=ParameterError)
        last = parse_date(value["end"], where="period: end", error=ParameterError)
    else:
        raise ParameterError(
            f"period: {value!r} is not a period; write 2026-Q3, or start and end dates: "
            "{start: 2026-07-01, end: 2026-09-30}."
        )
    if last < start:
        raise ParameterError(f"period: end {last:%Y-%m-%d} is before start {start:%Y-%m-%d}.")
    # midnight may not exist on a clock-change day (e.g. America/Havana): take the next instant
    localise = {"nonexistent": "shift_forward", "ambiguous": True}
    return (start.tz_localize(timezone, **localise),
            (last + pd.Timedelta(days=1)).tz_localize(timezone, **localise))


def read_parameters(
    path: str | Path, *, metrics: Collection[str], chart_rules: Collection[str]
) -> RunParameters:
    """Read and check a run parameter file and the configuration it points at.

    Use :func:`ccreview.review.parameters.load_parameters`, which passes the names below.

    Parameters
    ----------
    path : str or Path
        The parameter file.
    metrics : collection of str
        KPI catalogue ids that objectives and control charts may name.
    chart_rules : collection of str
        Run-rule and rule-set names that ``control_charts.rules`` may name.

    Raises
    ------
    ParameterError
        Listing every problem in the parameter file and the criteria, objectives
        and services files it points at.
    """
    path = Path(path).resolve()
    if not path.is_file():
        raise ParameterError(f"{path}: parameter file not found.")
    data = read_yaml(path, ParameterError)
    base = path.parent
    problems: list[str] = []
    check_keys(data, KEYS, where=str(path), problems=problems)
    for key in ("run", "period", "criteria", "objectives", "services", "notebooks"):
        if key not in data:
            problems.append(f"{path}: '{key}' is missing: {KEYS[key]}.")
    run = str(data.get("run", ""))
    if "run" in data and not _RUN_NAME.fullmatch(run):
        problems.append(f"{path}: run {run!r} must be letters, digits, '-', '_' or '.', "
                        "starting with a letter or digit, e.g. 2026-Q3 (it becomes a folder "
                        "name).")
    elif len(run) > MAX_RUN_NAME:
        problems.append(f"{path}: run is {len(run)} characters long; keep it to {MAX_RUN_NAME} "
                        "or fewer (it becomes a folder name), e.g. 2026-Q3.")

    def existing(key: str, value: Any) -> Path | None:
        if not isinstance(value, str) or not value.strip():
            problems.append(f"{path}: {key} must be a file path, got {value!r}.")
            return None
        target = (base / value).resolve()
        if not target.exists():
            problems.append(f"{path}: {key}: {value} does not exist (looked for {target}).")
            return None
        return target

    data_paths: dict[str, Path] = {}
    tables = data.get("data") or {}
    if not isinstance(tables, dict):
        problems.append(f"{path}: data: expected 'table: file' lines, e.g. incidents: x.csv.")
        tables = {}
    check_keys(tables, TABLES, where=f"{path}: data", problems=problems)
    from ccreview.data.importers import IMPORTERS

    imports: dict[str, Path] = {}
    wanted = data.get("imports") or {}
    if not isinstance(wanted, dict):
        problems.append(f"{path}: imports: expected 'importer: file' lines, e.g. "
                        "servicenow: incident_event_log.zip.")
        wanted = {}
    check_keys(wanted, IMPORTERS, where=f"{path}: imports", problems=problems)
    for name, value in wanted.items():
        if name in IMPORTERS:
            resolved = existing(f"imports.{name}", value)
            if resolved:
                imports[name] = resolved
    if "incidents" not in tables and not wanted:
        problems.append(f"{path}: data: 'incidents' is required (or an importer under "
                        "'imports:' that provides it); the review is built on it.")
    for name, value in tables.items():
        if name in TABLES:
            resolved = existing(f"data.{name}", value)
            if resolved:
                data_paths[name] = resolved
    notebooks = data.get("notebooks") or []
    if not isinstance(notebooks, list) or not all(isinstance(n, str) for n in notebooks):
        problems.append(f"{path}: notebooks: expected a list of names, e.g. [incident_review].")
        notebooks = []
    notebooks_dir = NOTEBOOKS_DIR
    if "notebooks_dir" in data:
        notebooks_dir = existing("notebooks_dir", data["notebooks_dir"]) or NOTEBOOKS_DIR
    available = sorted(p.stem for p in notebooks_dir.glob("*.ipynb"))
    for name in notebooks:
        if name not in available:
            problems.append(f"{path}: notebooks: no notebook {name!r}.{did_you_mean(name, available)}"
                            f" Available: {', '.join(available)}.")
    timeout = data.get("cell_timeout_s", 600)
    if not isinstance(timeout, int) or isinstance(timeout, bool) or timeout <= 0:
        problems.append(f"{path}: cell_timeout_s must be a positive whole number of seconds.")
    for key in ("timestamp_format", "date_format"):
        if key in data:
            problems.extend(f"{path}: {p}" for p in check_formats(key, data[key]))
    config_paths = {k: existing(k, data.get(k))
                    for k in ("criteria", "objectives", "services", "what_if_criteria", "themes")
                    if k in data}
    # every problem at once: configuration and period are checked even when the
    # parameter file itself has problems
    loaded: dict[str, Any] = {}
    loaders = {"criteria": load_criteria, "services": load_services,
               "what_if_criteria": load_criteria, "themes": load_themes,
               "objectives": lambda p: load_objectives(p, known_metrics=list(metrics))}
    for key, loader in loaders.items():
        if config_paths.get(key):
            try:
                loaded[key] = loader(config_paths[key])
            except ConfigError as exc:
                problems.append(str(exc))
    timezone = loaded["criteria"].timezone if "criteria" in loaded else "UTC"
    if "period" in data:
        try:
            start, end = parse_period(data["period"], timezone)
        except ParameterError as exc:
            problems.append(f"{path}: {exc}")
    kpi_settings = read_kpi_settings(data.get("kpis"), where=f"{path}: kpis", problems=problems,
                                 metrics=metrics)
    changes = read_change_settings(data.get("change_evaluation"), where=f"{path}: change_evaluation",
                                   problems=problems)
    charts = _chart_settings(data.get("control_charts"), where=f"{path}: control_charts",
                             timezone=timezone, problems=problems, metrics=metrics,
                             chart_rules=chart_rules)
    if data.get("recommendations"):  # a register that cannot be read stops the run early
        try:
            read_register(base / str(data["recommendations"]))
        except ConfigError as exc:
            problems.append(str(exc))
    if problems:
        raise ParameterError("\n".join(problems))
    criteria, objectives, services = loaded["criteria"], loaded["objectives"], loaded["services"]
    reports_dir = (base / str(data.get("reports_dir", "../reports"))).resolve()
    return RunParameters(
        run=run,
        title=str(data.get("title", f"Incident review {run}")),
        organisation=str(data.get("organisation", "")),
        series=str(data.get("series", "") or ""),
        themes=loaded.get("themes") or load_themes(),
        register_path=(base / str(data["recommendations"])).resolve() if data.get("recommendations")
        else None,
        start=start,
        end=end,
        data=data_paths,
        criteria=criteria,
        objectives=objectives,
        services=services,
        notebooks=list(notebooks),
        notebooks_dir=notebooks_dir,
        reports_dir=reports_dir,
        cell_timeout_s=int(timeout),
        timestamp_format=data.get("timestamp_format"),
        imports=imports,
        date_format=data.get("date_format"),
        source=path,
        config_files=dict(config_paths),
        raw=data,
        kpi_settings=kpi_settings,
        chart_baseline=charts["baseline"],
        chart_rules=charts["rules"],
        chart_metrics=charts["metrics"],
        chart_freq=charts["freq"],
        change_settings=changes,
        what_if_criteria=loaded.get("what_if_criteria"),
    )


def _chart_settings(spec: Any, *, where: str, timezone: str, problems: list[str],
                    metrics: Collection[str], chart_rules: Collection[str]) -> dict:
    """``control_charts:`` -> baseline, rules and metrics (checked against the catalogue)."""
    out: dict[str, Any] = {"baseline": None, "rules": None, "metrics": DEFAULT_CHART_METRICS,
                           "freq": "W"}
    if spec is None:
        return out
    if not isinstance(spec, dict):
        problems.append(f"{where}: expected keys {', '.join(_CHART_KEYS)}.")
        return out
    check_keys(spec, _CHART_KEYS, where=where, problems=problems)
    if "baseline" in spec:
        try:
            out["baseline"] = parse_period(spec["baseline"], timezone)
        except ParameterError as exc:
            problems.append(f"{where}.baseline: {exc}")
    if "frequency" in spec:
        word = str(spec["frequency"])
        if word in CHART_FREQUENCIES:
            out["freq"] = CHART_FREQUENCIES[word]
        else:
            problems.append(f"{where}.frequency: {word!r} is not a frequency; use "
                            f"{' or '.join(CHART_FREQUENCIES)}.")
    for key, known in (("rules", list(chart_rules)), ("metrics", list(metrics))):
        if key not in spec:
            continue
        names = spec[key]
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            problems.append(f"{where}.{key}: expected a list of names, e.g. [{next(iter(known))}].")
            continue
        for name in names:
            if name not in known:
                problems.append(f"{where}.{key}: no {key[:-1]} {name!r}.{did_you_mean(name, known)}"
                                f" Known: {', '.join(known)}.")
        out[key] = tuple(names)
    return out
