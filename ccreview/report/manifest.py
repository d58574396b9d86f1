"""What a run records about itself: the context printed on every report (inputs and their
fingerprints, versions) and the run manifest ``run.json``."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = ["PACKAGES", "display_path", "package_versions", "report_context", "run_manifest"]

PACKAGES = ("ccreview", "pandas", "numpy", "scipy", "statsmodels", "matplotlib", "seaborn",
            "papermill", "nbconvert", "pyarrow")

def display_path(path: Path) -> str:
    """A path as the user typed it: relative to the working folder where it lies inside it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def report_context(params, started: datetime,
             fingerprints: dict[Path, str]) -> dict[str, Any]:
    """The run's facts every report prints: titles, period, inputs with fingerprints,
    versions (``params`` are :class:`~ccreview.config.parameters.RunParameters`)."""
    return {
        "organisation": params.organisation,
        "title": params.title,
        "run_title": params.title,
        "period": params.period_label,
        "run": params.run,
        "generated": started.strftime("%Y-%m-%d %H:%M UTC"),
        "version": metadata.version("ccreview"),
        "parameters_file": display_path(params.source),
        "criteria_version": params.criteria.version,
        "inputs": [{"table": name, "file": display_path(path), "sha256": fingerprints[path]}
                   for name, path in params.input_files.items()],
        "packages": package_versions(),
    }


def package_versions() -> dict[str, str]:
    """Versions of the packages the numbers depend on, and Python's."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    versions["python"] = sys.version.split()[0]
    return versions


def run_manifest(params, dataset, jobs, results, started, timings, ok, fingerprints) -> dict[str, Any]:
    """``run.json``: parameters, input and configuration fingerprints, data health, each
    notebook's outcome (and the notebooks not run, with why), versions and timings."""
    from ccreview.review.jobs import skipped_notebooks

    inputs = {name: {"path": display_path(path), "sha256": fingerprints[path],
                     "bytes": path.stat().st_size} for name, path in params.input_files.items()}
    configs = {key: {"path": display_path(path), "sha256": fingerprints[path]}
               for key, path in params.config_files.items()}
    configs["parameters"] = {"path": display_path(params.source),
                             "sha256": fingerprints[params.source]}
    return {
        "run": params.run,
        "title": params.title,
        "organisation": params.organisation,
        "series": params.series_name,
        "status": "ok" if ok else "failed",
        "period": {"start": params.start.date().isoformat(),
                   "end_exclusive": params.end.date().isoformat(),
                   "label": params.period_label, "timezone": params.timezone},
        "parameters_file": display_path(params.source),
        "parameters": params.raw,
        "criteria_version": params.criteria.version,
        "inputs": inputs,
        "configuration": configs,
        "data_health": dataset.health().to_dict(orient="records"),
        "notebooks": [{"name": r.name, "title": {j.name: j.title for j in jobs}[r.name],
                       "status": r.status, "seconds": round(r.seconds, 2), "html": r.html,
                       "error": r.error, "hidden_warnings": r.hidden_warnings,
                       "summary": r.summary} for r in results],
        "skipped": skipped_notebooks(params, dataset),
        "packages": package_versions(),
        "timings_s": {k: round(v, 3) for k, v in timings.items()},
        "started": started.isoformat(),
        "finished": datetime.now(UTC).isoformat(),
    }
