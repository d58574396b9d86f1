"""``ccreview init DIR``: the skeleton of a first quarter, ready to fill in.

It writes the parameter file and the three configuration files the review reads, and one
CSV per canonical table holding exactly the header the kit expects, so an analyst exports
into the right shape instead of guessing; and it says how much history each analysis needs.
Nothing already in ``DIR`` is overwritten.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

from ccreview.data.schema import TABLES
from ccreview.demo.project import copy_starter

__all__ = ["HISTORY_NEEDED", "init_project"]

#: what each analysis needs beyond the period itself
HISTORY_NEEDED = (
    "Period comparisons: the previous period's data (and the same period a year earlier, 15 months "
    "in all, for year-on-year).",
    "Control charts: 26 weeks before the period for a baseline (with less, the period's own weeks "
    "set the limits, and the report says so).",
    "Change evaluation: 8 weeks before and 8 after each change, a year before it at best.",
    "Which monitoring technique to trust: a year of stable weeks before the period.",
)
#: the data folder the template's ``data:`` paths point at
DATA_FOLDER = Path("data") / "2026-Q3"


def init_project(folder: str | Path, *, progress: Callable[[str], None] = lambda line: None) -> Path:
    """Write ``folder/parameters`` (``review.yaml`` and its configuration) and
    ``folder/data/2026-Q3/<table>.csv`` (headers only). Returns the parameter file."""
    folder = Path(folder).resolve()
    parameters = folder / "parameters"
    parameters.mkdir(parents=True, exist_ok=True)
    for source, target in (("template.yaml", "review.yaml"), ("criteria.yaml", "criteria.yaml"),
                           ("objectives.yaml", "objectives.yaml"), ("services.yaml", "services.yaml")):
        if copy_starter(source, parameters / target, progress=progress):
            progress(f"wrote {parameters / target}")
    data = folder / DATA_FOLDER
    data.mkdir(parents=True, exist_ok=True)
    for name, table in TABLES.items():
        path = data / f"{name}.csv"
        if path.exists():
            progress(f"kept {path} as it was")
            continue
        with path.open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerow(table.names)
        required = ", ".join(table.required) or "none"
        progress(f"wrote {path} (header only; required columns: {required})")
    progress("History each analysis needs:")
    for line in HISTORY_NEEDED:
        progress(f"  - {line}")
    return parameters / "review.yaml"
