"""What a publication may hold: the executed notebooks and the HTML pages are redacted with
the one redactor (:mod:`ccreview.data.redact`), and a published notebook keeps no more
than its page shows (no stderr streams, no copies of the downloads)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ccreview.data.redact import redact_string

__all__ = ["EMPTY_SECTION_MIMETYPE", "NotebookContents", "drop_empty_sections", "redact_html",
           "sanitize_notebook"]

DOWNLOAD_MIMETYPE = "application/vnd.ccreview.download+json"
SUMMARY_MIMETYPE = "application/vnd.ccreview.summary+json"
SECTION_FAILURE_MIMETYPE = "application/vnd.ccreview.section-failure+json"
#: a section with nothing to show for want of data: it and its heading are left off the page
EMPTY_SECTION_MIMETYPE = "application/vnd.ccreview.empty-section+json"
#: markup that is not text: scripts, styles and tags (their attributes included)
_NOT_TEXT = re.compile(r"(<script\b.*?</script\s*>|<style\b.*?</style\s*>|<!--.*?-->|<[^>]+>)",
                       re.S | re.I)


def redact_html(page: str) -> str:
    """Redact personal data in the text of an HTML page or fragment; scripts, styles and
    tags are left as they are."""
    parts = _NOT_TEXT.split(page)
    return "".join(part if i % 2 else redact_string(part) for i, part in enumerate(parts))


@dataclass
class NotebookContents:
    """What a sanitized notebook handed over: the tables to publish as downloads (name ->
    CSV text), its one-line summary, the sections that could not be computed, how many
    stderr outputs were left out and their text (for the run log)."""

    downloads: dict[str, str] = field(default_factory=dict)
    summary: str = ""
    failures: list[dict[str, str]] = field(default_factory=list)
    hidden: int = 0
    stderr: list[str] = field(default_factory=list)


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact_string(value)
    if isinstance(value, list):
        return [_redact_value(v) for v in value]
    return value


def drop_empty_sections(nb) -> list[tuple[str, str]]:
    """Remove, in place, each section that said it has nothing to show (its output carries
    :data:`EMPTY_SECTION_MIMETYPE`) together with its heading cell, so neither the page nor its
    contents lists it; one line after the first section says what was not supplied. Returns
    ``(heading, reason)`` per section removed."""
    import nbformat

    removed, keep = [], []
    for cell in nb.cells:
        marker = next((o.get("data", {}).get(EMPTY_SECTION_MIMETYPE) for o in cell.get("outputs", [])
                       if EMPTY_SECTION_MIMETYPE in o.get("data", {})), None)
        if cell.cell_type == "code" and marker is not None:
            heading = ""
            if keep and keep[-1].cell_type == "markdown" and keep[-1].source.lstrip().startswith("## "):
                lines = keep.pop().source.lstrip()[3:].splitlines()
                heading = lines[0].strip() if lines else ""
            removed.append((heading, str(marker.get("reason", ""))))
            continue
        keep.append(cell)
    if removed:
        by_reason: dict[str, list[str]] = {}
        for heading, reason in removed:
            name = re.sub(r"^Appendix [A-Z]\.\s*", "", heading).split(":")[0].strip()
            by_reason.setdefault(reason, []).append(name)
        listed = "; ".join(f"{reason}, so not shown: {', '.join(n for n in names if n)}"
                           for reason, names in by_reason.items())
        note = nbformat.v4.new_markdown_cell(f"*Left out for want of data:* {listed}.")
        first_section = next((i for i, c in enumerate(keep) if c.cell_type == "markdown"
                              and c.source.lstrip().startswith("## ")), None)
        # after the first section's output: the first code cell after its heading
        at = next((i + 1 for i, c in enumerate(keep) if first_section is not None and i > first_section
                   and c.cell_type == "code"), len(keep))
        keep.insert(at, note)
    nb.cells = keep
    return removed


def sanitize_notebook(nb) -> NotebookContents:
    """Make an executed notebook (``nbformat`` node, changed in place) fit to publish and
    return what it handed over."""
    drop_empty_sections(nb)
    found = NotebookContents()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        kept = []
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                found.hidden += 1
                found.stderr.append(redact_string(str(output.get("text", ""))))
                continue
            data = output.get("data", {})
            found.summary = data.get(SUMMARY_MIMETYPE, {}).get("summary", found.summary)
            if SECTION_FAILURE_MIMETYPE in data:
                failure = {k: redact_string(str(v)) for k, v in data[SECTION_FAILURE_MIMETYPE].items()}
                data[SECTION_FAILURE_MIMETYPE] = failure
                found.failures.append(failure)
            for item in data.pop(DOWNLOAD_MIMETYPE, {}).get("files", []):
                found.downloads[item["name"]] = item["csv"]  # already redacted by csv_text
            for mime in list(data):
                if mime == "text/html":
                    data[mime] = redact_html("".join(data[mime]) if isinstance(data[mime], list)
                                             else data[mime])
                elif mime.startswith("text/"):
                    data[mime] = _redact_value(data[mime])
            if output.get("output_type") == "stream":
                output["text"] = redact_string(str(output.get("text", "")))
            if output.get("output_type") == "error":
                output["evalue"] = redact_string(str(output.get("evalue", "")))
                output["traceback"] = _redact_value(list(output.get("traceback", [])))
            kept.append(output)
        cell["outputs"] = kept
    return found
