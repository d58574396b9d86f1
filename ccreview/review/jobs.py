"""The notebook runs of a review: one per notebook, and the fanned-out notebooks once per item
(``change_evaluation`` per change to evaluate, ``major_incident`` per major incident declared
in the period), with the reason for each notebook that has nothing to run on."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ccreview.config.parameters import RunParameters
from ccreview.data import columns as c
from ccreview.data.dataset import Dataset

__all__ = ["FAN_OUT", "NOTEBOOK_COST", "Job", "plan_jobs", "review_title", "skipped_notebooks"]

#: the period's length in days (inclusive range) -> the word for a review of it
PERIOD_WORDS = (
    (6, 8, "Weekly"),
    (28, 31, "Monthly"),
    (89, 92, "Quarterly"),
    (181, 184, "Half-yearly"),
    (365, 366, "Annual"),
)
#: notebooks run once per item: notebook -> the parameter each run receives
FAN_OUT = {"change_evaluation": "change_id", "major_incident": "major_incident_id"}
#: a notebook's relative cost: the costliest start first (longest-first scheduling on few cores)
NOTEBOOK_COST = {"incident_review": 4, "feedback_review": 3}


def review_title(params: RunParameters, dataset: Dataset) -> str:
    """The review's title: the parameter file's ``title`` when it gives one, else the period's
    length and what the data holds ("Monthly contact-centre review" for a month of call logs,
    "Quarterly incident review"), never a quarter's name for a month."""
    if str(params.raw.get("title") or "").strip():
        return params.title
    days = (params.end - params.start).days
    word = next((w for low, high, w in PERIOD_WORDS if low <= days <= high), "")
    what = "incident review" if "incidents" in dataset else "contact-centre review"
    return f"{word} {what}" if word else what[:1].upper() + what[1:]


@dataclass(frozen=True)
class Job:
    """One execution of a notebook: its output name, title and extra parameters."""

    name: str
    notebook: str
    title: str
    parameters: dict[str, Any] = field(default_factory=dict)


def _items(notebook: str, params: RunParameters, dataset: Dataset) -> list[tuple[str, str, str]]:
    """(output name, title, id) of each run of a fanned-out notebook, in date order."""
    if notebook == "change_evaluation":
        from ccreview.review.changes import change_stems, changes_to_evaluate, report_name

        changes = dataset["changes"] if "changes" in dataset else None
        due = changes_to_evaluate(changes, start=params.start, end=params.end)
        stems = change_stems(changes[c.CHANGE_ID]) if changes is not None else {}
        return [
            (report_name(str(i), stems), f"Change {i}: {t}", str(i))
            for i, t in zip(due[c.CHANGE_ID], due.get(c.TITLE, pd.Series(dtype=str)), strict=True)
        ]
    from ccreview.review.changes import change_stems
    from ccreview.review.major import major_report_name

    if "major_incidents" not in dataset:
        return []
    table = dataset["major_incidents"]
    stems = change_stems(table[c.MAJOR_INCIDENT_ID])
    declared = table[
        ((table[c.DECLARED_AT] >= params.start) & (table[c.DECLARED_AT] < params.end)).to_numpy()
    ]
    declared = declared.sort_values(c.DECLARED_AT, kind="stable")
    return [
        (
            major_report_name(str(i), stems),
            f"Major incident {i}: {t}" if isinstance(t, str) else f"Major incident {i}",
            str(i),
        )
        for i, t in zip(declared[c.MAJOR_INCIDENT_ID], declared[c.TITLE], strict=True)
    ]


def plan_jobs(params: RunParameters, dataset: Dataset) -> list[Job]:
    """The notebook runs of a review, in the parameter file's order of notebooks."""
    jobs = []
    for notebook in params.notebooks:
        if notebook not in FAN_OUT:
            title = (
                review_title(params, dataset)
                if notebook == "incident_review"
                else notebook.replace("_", " ").capitalize()
            )
            jobs.append(Job(notebook, notebook, title))
            continue
        jobs += [
            Job(name, notebook, title, {FAN_OUT[notebook]: item})
            for name, title, item in _items(notebook, params, dataset)
        ]
    return jobs


def skipped_notebooks(params: RunParameters, dataset: Dataset) -> list[dict[str, str]]:
    """The fanned-out notebooks of the parameter file with nothing to run on, and why (the
    index says so, so a missing report is never a mystery)."""
    out = []
    period = params.period_label
    for notebook in params.notebooks:
        if notebook not in FAN_OUT or _items(notebook, params, dataset):
            continue
        if notebook == "change_evaluation":
            reason = (
                "no changes file was supplied"
                if "changes" not in dataset
                else f"no change in the register was implemented in {period} or the period before"
            )
            out.append({"title": "Change evaluations", "reason": f"Not run: {reason}."})
        else:
            reason = (
                "no major_incidents file was supplied"
                if "major_incidents" not in dataset
                else f"no major incident was declared in {period}"
            )
            out.append({"title": "Major incident reports", "reason": f"Not run: {reason}."})
    return out
