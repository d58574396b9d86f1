"""``ccreview run``: validate, load once, execute the notebooks, publish.

The command-line interface is a thin wrapper over :func:`run`.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ccreview.config.parameters import RunParameters
from ccreview.data.prepared import save_prepared
from ccreview.data.readers import file_sha256
from ccreview.data.validate import load_inputs
from ccreview.exceptions import NotebookError, PublishError
from ccreview.kernels import kernel_threads, private_runtime_dir, stop_kernels
from ccreview.report.manifest import display_path, report_context, run_manifest
from ccreview.report.publish import OWNER_FILE
from ccreview.review.jobs import NOTEBOOK_COST, Job, plan_jobs
from ccreview.review.parameters import load_parameters

__all__ = ["NotebookResult", "RunResult", "describe_failure", "raise_for_failures", "run"]

@dataclass
class NotebookResult:
    """How one notebook fared."""

    name: str
    status: str  # "ok" or "failed"
    seconds: float
    html: str | None = None
    error: str = ""
    hidden_warnings: int = 0
    summary: str = ""


@dataclass
class RunResult:
    """The outcome of :func:`run`."""

    index: Path
    ok: bool
    notebooks: list[NotebookResult] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def failures(self) -> list[NotebookResult]:
        """Notebooks that failed."""
        return [nb for nb in self.notebooks if nb.status != "ok"]


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run(
    parameters: str | Path,
    *,
    reports_dir: str | Path | None = None,
    progress: Callable[[str], None] = _log,
    max_workers: int | None = None,
) -> RunResult:
    """Run a review: check parameters, load and validate data once, execute and publish.

    Parameters
    ----------
    parameters : str or Path
        The run's parameter file.
    reports_dir : str or Path, optional
        Overrides ``reports_dir`` of the parameter file.
    progress : callable
        Receives one line per step (default: printed to stderr).
    max_workers : int, optional
        Notebooks executed at once (default: the number of CPU cores).

    Returns
    -------
    RunResult
        ``ok`` is False when a notebook failed; the run is then published to
        ``<run>-failed/`` and the earlier ``<run>/`` is left untouched.

    Raises
    ------
    ParameterError, ConfigError, InputError
        Before anything is written, when the parameters, configuration or input
        files cannot be used.
    """
    started = datetime.now(UTC)
    clock = time.perf_counter()
    timings: dict[str, float] = {}
    progress(f"Checking parameters {parameters}")
    params = load_parameters(parameters)
    reports = Path(reports_dir).resolve() if reports_dir else params.reports_dir
    # fingerprint inputs and configuration once, as they are when the run reads them
    fingerprints = {path: file_sha256(path) for path in
                    [*params.input_files.values(), params.source,
                     *params.config_files.values()]}
    progress(f"Loading and validating {len(params.input_files)} input file(s)")
    t = time.perf_counter()
    names = {name: display_path(path) for name, path in params.input_files.items()}
    dataset = load_inputs(params, display_names=names)
    timings["load_validate"] = time.perf_counter() - t
    for table in dataset.tables.values():
        note = f" ({table.rows_rejected:,} quarantined)" if table.rows_rejected else ""
        progress(f"  {table.name}: {table.rows_read:,} rows read, {table.rows_accepted:,} "
                 f"accepted{note}")
    reports.mkdir(parents=True, exist_ok=True)
    for line in tidy_reports_folder(reports, params.run):
        progress(line)
    staging = Path(tempfile.mkdtemp(prefix=f".{params.run}.building-", dir=reports))
    # owner-only while it holds the validated rows; readable once they are gone
    (staging / OWNER_FILE).write_text(str(os.getpid()))
    try:
        t = time.perf_counter()
        prepared = staging / "_prepared"
        save_prepared(dataset, prepared, staging / "downloads")
        timings["save_prepared"] = time.perf_counter() - t
        (staging / "notebooks").mkdir()
        jobs = plan_jobs(params, dataset)
        with private_runtime_dir(staging / ".runtime"):
            results = _execute_all(params, jobs, staging, prepared, progress, max_workers,
                                   timings)
        t = time.perf_counter()
        _export_all(params, jobs, staging, results, started, progress, fingerprints)
        timings["export_html"] = time.perf_counter() - t
        shutil.rmtree(prepared)
        (staging / OWNER_FILE).unlink()
        staging.chmod(0o755)  # a published report is for reading
        ok = all(r.status == "ok" for r in results)
        folder = params.run if ok else f"{params.run}-failed"
        timings["total"] = time.perf_counter() - clock
        manifest = run_manifest(params, dataset, jobs, results, started, timings, ok, fingerprints)
        from ccreview.report.publish import earlier_runs, move_into_place, write_index, write_manifest

        write_manifest(staging / "run.json", manifest)
        write_index(staging / "index.html", manifest, earlier=earlier_runs(reports, exclude=folder,
                                                                        series=params.series_name))
        move_into_place(staging, reports / folder)
    except OSError as exc:  # a full disk, a permission: the user's to fix, said plainly
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(exc, PublishError):
            raise
        raise PublishError(
            f"could not write the run under {reports}: {exc.strerror or exc} "
            f"({getattr(exc, 'filename', None) or 'a file of the run'}). Free some space or fix "
            "the folder's permissions and run again; nothing was published and the earlier "
            "run, if any, is as it was.") from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    index = reports / folder / "index.html"
    for failure in (r for r in results if r.status != "ok"):
        progress(f"FAILED {failure.name}: {failure.error}")
    if not ok and (reports / params.run).exists():
        progress(f"The earlier published run {reports / params.run} was left untouched.")
    return RunResult(index=index, ok=ok, notebooks=results, timings=timings)


def tidy_reports_folder(reports: Path, run_name: str) -> list[str]:
    """Before a run: finish or undo an interrupted publication, remove staging folders of
    killed runs, and refuse early if publishing would replace a folder this kit did not
    create. Returns what was done, to be told to the user."""
    from ccreview.report.publish import check_replaceable, clean_stale_staging, recover_interrupted

    done = []
    for name in (run_name, f"{run_name}-failed"):
        done += recover_interrupted(reports, name)
        check_replaceable(reports / name)
    done += clean_stale_staging(reports, f".{run_name}.building-")
    return done


def _execute_all(
    params: RunParameters,
    jobs: list[Job],
    staging: Path,
    prepared: Path,
    progress: Callable[[str], None],
    max_workers: int | None,
    timings: dict[str, float],
) -> list[NotebookResult]:
    # papermill imports nbformat's validator, whose optional 'iri' format check
    # imports rfc3987-syntax (about 3 s of grammar building). Notebook validation
    # does not use that format, so skip the import in this process.
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
    import papermill  # noqa: F401  (imported once, before the threads start)

    workers = max_workers or min(len(jobs), os.cpu_count() or 1) or 1
    progress(f"Running {len(jobs)} notebook(s), {workers} at a time")
    with kernel_threads(workers), ThreadPoolExecutor(max_workers=workers) as pool:
        started = sorted(range(len(jobs)), key=lambda i: -NOTEBOOK_COST.get(jobs[i].notebook, 1))
        submitted = {i: pool.submit(_execute_one, params, jobs[i], staging, prepared) for i in started}
        futures = [submitted[i] for i in range(len(jobs))]  # results in the plan's order
        results = []
        try:
            for future in futures:
                result = future.result()
                timings[f"notebook:{result.name}"] = result.seconds
                verdict = "done" if result.status == "ok" else "FAILED"
                progress(f"  {result.name}: {verdict} in {result.seconds:.1f} s")
                results.append(result)
        except BaseException:  # Ctrl-C or SIGTERM: stop the kernels, so the threads end
            for future in futures:
                future.cancel()
            stop_kernels()
            raise
    return results


def _execute_one(params: RunParameters, job: Job, staging: Path, prepared: Path) -> NotebookResult:
    import papermill as pm

    name = job.name
    output = staging / "notebooks" / f"{name}.ipynb"
    t = time.perf_counter()
    try:
        pm.execute_notebook(
            str(params.notebook_path(job.notebook)),
            str(output),
            parameters={"parameters_file": str(params.source), "prepared_dir": str(prepared),
                        **job.parameters},
            kernel_name="python3",
            progress_bar=False,
            log_output=False,
            request_save_on_cell_execute=True,  # so a timed-out cell can be located
            execution_timeout=params.cell_timeout_s,
            cwd=str(params.notebooks_dir),
            # the kernel only talks to this process on localhost; keep its start-up
            # warning about unencrypted TCP out of the user's console
            extra_arguments=["--IPKernelApp.log_level=ERROR"],
        )
    except Exception as exc:  # any failure is reported on the index, never hidden
        return NotebookResult(name, "failed", time.perf_counter() - t,
                              error=describe_failure(exc, output, params.cell_timeout_s))
    return NotebookResult(name, "ok", time.perf_counter() - t)


def describe_failure(exc: BaseException, output: Path, timeout_s: int) -> str:
    """One line naming the failing cell and the error, for the console and the index.

    Cells are numbered as in the source notebook (papermill's injected parameters
    cell is not counted) and quoted by their first line. A cell timeout leaves no
    error output in the notebook, so it is recognised from the exception and
    located from papermill's cell metadata.
    """
    from papermill.exceptions import PapermillExecutionError

    where = _failing_cell(output)
    if isinstance(exc, PapermillExecutionError):
        message = str(exc.evalue).strip().splitlines()[-1] if exc.evalue else ""
        return f"{where} raised {exc.ename}: {message}"
    if isinstance(exc, TimeoutError) or "timed out" in str(exc).lower():
        return f"{where} did not finish within the cell timeout of {timeout_s} s (cell_timeout_s)"
    return f"{where}: {type(exc).__name__}: {str(exc).strip()[:300]}"


def _failing_cell(output: Path) -> str:
    import nbformat

    try:
        nb = nbformat.read(output, as_version=4)
    except Exception:
        return "a cell"
    number, failed, last_started = 0, None, None
    for cell in nb.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if "injected-parameters" in tags or "papermill-error-cell-tag" in tags:
            continue
        number += 1
        meta = cell.get("metadata", {}).get("papermill", {})
        if cell.cell_type != "code":
            continue
        if meta.get("status") in ("running", "failed") or meta.get("exception"):
            failed = failed or (number, cell)
        if meta.get("start_time"):
            last_started = (number, cell)
    # a timed-out cell is marked "completed" by papermill: it is the last one started
    found = failed or last_started
    if not found:
        return "a cell"
    number, cell = found
    first = cell.source.strip().splitlines()[0][:60] if cell.source.strip() else ""
    return f"cell {number} ({first!r})"


def _export_all(
    params: RunParameters,
    jobs: list[Job],
    staging: Path,
    results: list[NotebookResult],
    started: datetime,
    progress: Callable[[str], None],
    fingerprints: dict[Path, str],
) -> None:
    from ccreview.report.publish import HtmlExporter, export_parts, publish_notebook

    context = report_context(params, started, fingerprints)
    exporter = HtmlExporter()
    titles = {job.name: job.title for job in jobs}
    parts: list[tuple[Job, NotebookResult]] = []  # pages cut from a notebook (the register)
    for result in results:
        executed = staging / "notebooks" / f"{result.name}.ipynb"
        if result.status != "ok":  # its error is on the index; its notebook is published
            if executed.exists():   # sanitized like the others
                publish_notebook(executed)
            continue
        html = staging / f"{result.name}.html"
        try:
            title = titles[result.name]
            found = exporter.export(executed, html, context={**context, "title": title},
                                    downloads=staging / "downloads")
            result.hidden_warnings, result.summary = found.hidden, found.summary
            result.html = html.name
            parts += [(Job(name, result.name, title), NotebookResult(
                name, "ok", 0.0, html=page, summary=f"From the {titles[result.name]}, on its own page."))
                for name, title, page in export_parts(exporter, executed, staging, context=context)]
            if found.failures:  # the rest of the report is published; the run is not "ok"
                result.status = "failed"
                result.error = "; ".join(
                    f"section {f['section']} could not be computed ({f['error']})"
                    for f in found.failures)
                for text in found.stderr:  # the technical detail goes to the run log
                    progress(f"  {result.name}: {text.rstrip()}")
        except Exception as exc:
            result.status, result.error = "failed", f"HTML export failed: {exc}"
    jobs += [job for job, _ in parts]
    results += [page for _, page in parts]
    progress(f"Published HTML for {sum(r.html is not None for r in results)} report(s)")


def raise_for_failures(result: RunResult) -> None:
    """Raise :class:`NotebookError` naming every failed notebook, if any."""
    if result.failures:
        lines = "\n".join(f"  - {r.name}: {r.error}" for r in result.failures)
        raise NotebookError(f"{len(result.failures)} notebook(s) failed:\n{lines}\n"
                            f"See {result.index}")
