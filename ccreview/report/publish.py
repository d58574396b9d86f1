"""Publishing: executed notebooks to self-contained HTML, the index page, the
run manifest, and the atomic move of a finished run into ``reports/``.

Only this module writes report files. A run is assembled in a staging folder
beside its destination and moved into place when complete, so a failed or
interrupted run never damages an earlier published one.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ccreview.exceptions import PublishError

# the outputs a notebook hands to the publication (the one-line summary for the index,
# tables for downloads/, sections that failed) are defined with the sanitizer that reads them
from ccreview.report.sanitize import (
    DOWNLOAD_MIMETYPE,
    SECTION_FAILURE_MIMETYPE,
    SUMMARY_MIMETYPE,
    NotebookContents,
    redact_html,
    sanitize_notebook,
)

__all__ = [
    "DOWNLOAD_MIMETYPE",
    "SECTION_FAILURE_MIMETYPE",
    "SUMMARY_MIMETYPE",
    "HtmlExporter",
    "add_table_of_contents",
    "check_replaceable",
    "clean_stale_staging",
    "is_published_run",
    "recover_interrupted",
    "download_name",
    "earlier_runs",
    "move_into_place",
    "publish_notebook",
    "write_index",
    "write_manifest",
]

TEMPLATES = Path(__file__).parent / "templates"
def download_name(stem: str) -> str:
    """A safe file name for a download: ``"Compliance by priority"`` -> ``"compliance_by_priority.csv"``."""
    return re.sub(r"[^a-z0-9]+", "_", stem.lower()).strip("_") + ".csv"
CSS = (TEMPLATES / "ccreview" / "report.css").read_text(encoding="utf-8")
_H2 = re.compile(r'<h2 id="([^"]+)">(.*?)(?:<a class="anchor-link"[^>]*>.*?</a>)?</h2>', re.S)


class HtmlExporter:
    """Export executed notebooks to HTML without code, reusing one nbconvert exporter."""

    def __init__(self) -> None:
        from nbconvert import HTMLExporter

        self._exporter = HTMLExporter(
            template_name="ccreview",
            extra_template_basedirs=[str(TEMPLATES)],
            exclude_input=True,
            exclude_input_prompt=True,
            exclude_output_prompt=True,
            embed_images=True,
        )
        # cells tagged "analyst-only" (notes for JupyterLab users) stay out of reports
        self._exporter.register_preprocessor(self._tag_remover(), enabled=True)

    @staticmethod
    def _tag_remover():
        from nbconvert.preprocessors import TagRemovePreprocessor

        return TagRemovePreprocessor(remove_cell_tags={"analyst-only"}, enabled=True)

    def export(
        self, notebook_path: Path, html_path: Path, *, context: dict[str, Any],
        downloads: Path,
    ) -> NotebookContents:
        """Write ``html_path`` from ``notebook_path``, after making the notebook fit to
        publish (:func:`publish_notebook`): tables it handed over are written to
        ``downloads``, and the page's text is redacted as the notebook's is.

        Returns what the notebook handed over (summary, failed sections, hidden stderr).
        """
        nb, found = publish_notebook(notebook_path)
        for name, text in found.downloads.items():
            (downloads / download_name(Path(name).stem)).write_text(text, encoding="utf-8",
                                                                   newline="")
        nb.metadata["title"] = context.get("title", "")
        body, _ = self._exporter.from_notebook_node(
            nb, resources={"ccreview": {**context, "css": CSS}}
        )
        html_path.write_text(redact_html(add_table_of_contents(body)), encoding="utf-8")
        return found


#: pages cut from a notebook's executed cells, by cell tag: tag -> (page name, title). The
#: recommendations page is the incident review's register appendix, published on its own for
#: stakeholders: the same cells, computed once, so both pages show the same numbers
PART_PAGES = {"register-page": ("recommendations", "Recommendations")}


def export_parts(exporter: HtmlExporter, notebook_path: Path, folder: Path, *,
                 context: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Write the pages of :data:`PART_PAGES` that an executed, published notebook holds cells
    for, into ``folder``; returns ``(name, title, html file)`` of each one written."""
    import nbformat

    nb = nbformat.read(notebook_path, as_version=4)
    written = []
    for tag, (name, title) in PART_PAGES.items():
        cells = [cell for cell in nb.cells if tag in cell.get("metadata", {}).get("tags", [])]
        if not cells:
            continue
        for cell in cells:  # on its own page an appendix is not "Appendix F" of anything
            if cell.cell_type == "markdown":
                cell.source = re.sub(r"^(#+\s*)Appendix [A-Z]\.\s*", r"\1", cell.source, flags=re.M)
        part = nbformat.v4.new_notebook(metadata={**nb.metadata, "title": title}, cells=cells)
        body, _ = exporter._exporter.from_notebook_node(
            part, resources={"ccreview": {**context, "title": title, "css": CSS}})
        (folder / f"{name}.html").write_text(redact_html(add_table_of_contents(body)), encoding="utf-8")
        written.append((name, title, f"{name}.html"))
    return written


def publish_notebook(notebook_path: Path):
    """Sanitize an executed notebook in place (:func:`ccreview.report.sanitize.sanitize_notebook`)
    and return it with what it handed over."""
    import nbformat

    nb = nbformat.read(notebook_path, as_version=4)
    found = sanitize_notebook(nb)
    nbformat.write(nb, notebook_path)
    return nb, found


def _short_title(text: str) -> str:
    """A heading as the contents bar shows it: without markup, and without what follows a colon
    ("How performance moved: real change or noise" -> "How performance moved")."""
    plain = re.sub(r"<[^>]+>", "", text).strip()
    return plain.split(":")[0].strip() or plain


def add_table_of_contents(page: str) -> str:
    """Insert a table of contents of the ``<h2>`` sections at the page's placeholder."""
    items = [
        f'<li><a href="#{anchor}">{_short_title(text)}</a></li>'
        for anchor, text in _H2.findall(page)
    ]
    nav = ""
    if items:
        nav = ('<nav class="ccr-toc" aria-label="Contents"><div class="ccr-toc-inner">'
               '<span class="ccr-toc-title">Contents</span>'
               f"<ol>{''.join(items)}</ol></div></nav>")
    return page.replace("<!--ccreview:toc-->", nav, 1)


def write_manifest(path: Path, manifest: dict[str, Any]) -> None:
    """Write ``run.json`` (indented, keys sorted, UTF-8)."""
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True, default=str) + "\n",
                    encoding="utf-8")


def earlier_runs(reports_dir: Path, *, exclude: str, series: str | None = None
                 ) -> list[dict[str, Any]]:
    """Published runs in ``reports_dir`` (from their ``run.json``), newest first: only those
    of ``series`` when given (a manifest without a series belongs to its organisation's),
    so unrelated runs that share the folder are not listed as this review's history."""
    runs = []
    for manifest in reports_dir.glob("*/run.json"):
        if manifest.parent.name == exclude or manifest.parent.name.startswith("."):
            continue
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(data, dict):
            continue
        if series is not None and data.get("series", data.get("organisation", "")) != series:
            continue
        period = data.get("period", {})
        runs.append({"folder": manifest.parent.name, "status": data.get("status", "?"),
                     "finished": data.get("finished", ""), "title": data.get("title", ""),
                     "period": period.get("label", "") if isinstance(period, dict) else ""})
    return sorted(runs, key=lambda r: r["finished"], reverse=True)


def write_index(path: Path, manifest: dict[str, Any], *, earlier: list[dict[str, Any]]) -> None:
    """Write the run's ``index.html``: every report with its status, and earlier runs."""
    e = html.escape
    rows = []
    for nb in manifest["notebooks"]:
        ok = nb["status"] == "ok"
        link = f'<a href="{e(nb["html"])}">{e(nb["title"])}</a>' if nb.get("html") else e(nb["title"])
        status = ('<span class="ccr-status-ok">published</span>' if ok
                  else '<span class="ccr-status-bad">FAILED</span>')
        detail = e(nb.get("summary", "")) if ok else f"<code>{e(nb.get('error', ''))}</code>"
        if nb.get("hidden_warnings"):
            detail += (f'<br><span class="ccr-small">{nb["hidden_warnings"]} library warning '
                       "output(s) left out of the report and its published notebook; the run "
                       "log shows them.</span>")
        # a page cut from another notebook's run (export_parts) takes no time of its own
        seconds = f"{nb['seconds']:.1f} s" if nb["seconds"] else "–"
        rows.append(f"<tr><td>{link}</td><td>{status}</td><td class='num'>{seconds}</td>"
                    f"<td>{detail}</td></tr>")
    rows += [f"<tr><td>{e(s['title'])}</td><td><span class='ccr-small'>not run</span></td>"
             f"<td class='num'>–</td><td>{e(s['reason'])}</td></tr>" for s in manifest.get("skipped", [])]
    health = "".join(
        f"<tr><td>{e(t['table'])}</td><td>{e(t['file'])}</td><td class='num'>{t['rows_read']:,}"
        f"</td><td class='num'>{t['rows_accepted']:,}</td><td class='num'>{t['rows_rejected']:,}"
        "</td></tr>"
        for t in manifest["data_health"]
    )
    past = "".join(
        f'<li><a href="../{e(r["folder"])}/index.html">{e(r["folder"])}</a> — {e(r["title"])}'
        f'{" · " + e(r["period"]) if r.get("period") else ""} '
        f'({e(r["status"])}, finished {e(_when(r["finished"]))})</li>'
        for r in earlier
    ) or "<li>None yet.</li>"
    failed = [nb for nb in manifest["notebooks"] if nb["status"] != "ok"]
    banner = ""
    if failed:
        banner = (f'<div class="ccr-note"><strong>{len(failed)} of {len(manifest["notebooks"])} '
                  "reports failed.</strong> The error of each is shown below; the earlier "
                  "published run, if any, was left as it was.</div>")
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{e(manifest["title"])} — reports</title>
<style>{CSS}</style></head>
<body class="ccr-index">
<header class="ccr-header"><div class="ccr-kicker">{e(manifest.get("organisation", ""))}</div>
<div class="ccr-title">{e(manifest["title"])}</div>
<div class="ccr-sub">{e(manifest["period"]["label"])} · run <code>{e(manifest["run"])}</code>
· finished {e(_when(manifest["finished"]))}</div></header>
<main>
{banner}
<h2>Reports</h2>
<table class="ccr-table"><thead><tr><th>Report</th><th>Status</th><th class="num">Run time</th>
<th>Summary</th></tr></thead><tbody>{"".join(rows)}</tbody></table>
<h2>Data loaded</h2>
<table class="ccr-table"><thead><tr><th>Table</th><th>File</th><th class="num">Rows read</th>
<th class="num">Accepted</th><th class="num">Quarantined</th></tr></thead><tbody>{health}</tbody>
</table>
<p class="ccr-small">Quarantined rows, with the reason for each, are in
<a href="downloads/">downloads/</a>. The run manifest (parameters, input fingerprints, package
versions, timings) is <a href="run.json">run.json</a>.</p>
<h2>Earlier runs</h2><ul>{past}</ul>
</main></body></html>
"""
    path.write_text(page, encoding="utf-8")


def _when(iso: str) -> str:
    """``"2026-11-28T17:39:02+00:00"`` -> ``"2026-11-28 17:39 UTC"``."""
    try:
        stamp = datetime.fromisoformat(str(iso)).astimezone(UTC)
    except ValueError:
        return str(iso)
    return stamp.strftime("%Y-%m-%d %H:%M UTC")


#: the file that marks a folder as a run this kit published (and so may replace)
MANIFEST = "run.json"
#: the file in a staging folder naming the process that builds it
OWNER_FILE = ".building-pid"


def is_published_run(folder: Path) -> bool:
    """Whether ``folder`` holds a run this kit published (its run manifest)."""
    manifest = folder / MANIFEST
    if not manifest.is_file():
        return False
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and "run" in data and "notebooks" in data


def check_replaceable(target: Path) -> None:
    """Refuse to publish over a folder this kit did not create.

    Raises
    ------
    PublishError
        When ``target`` exists and is not a published run (no run manifest).
    """
    if target.exists() and not is_published_run(target):
        raise PublishError(
            f"{target} exists but is not a run this kit published (it has no {MANIFEST}), so "
            "publishing there would delete it. Move or rename that folder, or give the run "
            "another name ('run:' in the parameter file).")


def recover_interrupted(reports_dir: Path, name: str) -> list[str]:
    """Finish what an interrupted publication of ``reports_dir/name`` left behind.

    A publication moves the earlier run aside (``.<name>.previous-*``), moves the new one
    in, then deletes the earlier one. If it stopped before the second step there is no
    ``<name>`` but a set-aside earlier run: it is put back. If it stopped before the third,
    the set-aside copy is removed. Only folders holding a run manifest are touched.

    Returns
    -------
    list of str
        What was done, one sentence each (empty when nothing was left behind).
    """
    target = reports_dir / name
    aside = sorted((p for p in reports_dir.glob(f".{name}.previous-*")
                    if p.is_dir() and is_published_run(p)), key=lambda p: p.stat().st_mtime)
    done = []
    if aside and not target.exists():
        os.rename(aside[-1], target)
        done.append(f"An interrupted publication had moved the earlier run {target} aside; "
                    "it has been put back.")
        aside = aside[:-1]
    for folder in aside:
        shutil.rmtree(folder, ignore_errors=True)
        done.append(f"Removed {folder.name}, a copy of an earlier run that an interrupted "
                    "publication had already replaced.")
    return done


def clean_stale_staging(reports_dir: Path, prefix: str) -> list[str]:
    """Remove staging folders (``prefix*``) whose building process no longer runs: a run
    killed outright leaves them, and they hold every accepted row unredacted."""
    done = []
    for folder in reports_dir.glob(f"{prefix}*"):
        if not folder.is_dir():
            continue
        try:
            pid = int((folder / OWNER_FILE).read_text().strip())
        except (OSError, ValueError):
            pid = None
        if pid is not None and _alive(pid):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        done.append(f"Removed {folder.name}, left behind by a run that was killed.")
    return done


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def move_into_place(staging: Path, target: Path) -> None:
    """Replace ``target`` with the finished ``staging`` folder.

    Each step is a rename on one file system: the earlier run is moved aside,
    the new one moved in, and only then is the earlier one deleted. If the
    second rename fails, the earlier run is put back; if the process dies between
    the steps, :func:`recover_interrupted` completes or undoes the swap on the next run.
    A ``target`` that is not a published run is never replaced (:func:`check_replaceable`).
    """
    check_replaceable(target)
    aside = target.parent / f".{target.name}.previous-{uuid.uuid4().hex[:8]}"
    had_previous = target.exists()
    if had_previous:
        os.rename(target, aside)
    try:
        os.rename(staging, target)
    except BaseException:
        if had_previous:
            os.rename(aside, target)
        raise
    if had_previous:
        shutil.rmtree(aside, ignore_errors=True)
