"""Command line: ``ccreview run``, ``ccreview check`` and ``ccreview demo-data``.

A thin wrapper: each command calls one Python function and turns the kit's
errors into a short message and a non-zero exit code, never a traceback wall.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Sequence
from importlib import metadata

from ccreview.exceptions import CCReviewError, InputError, NotebookError

__all__ = ["main"]

EXIT_NOTEBOOK_FAILED = 1
EXIT_BAD_INPUT = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ccreview",
        description="Contact-centre incident review: run parameterised notebooks and publish "
                    "HTML reports.",
    )
    parser.add_argument("--version", action="version",
                        version=f"ccreview {metadata.version('ccreview')}")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a review and publish reports/<run>/index.html")
    run.add_argument("parameters", help="parameter file, e.g. parameters/2026-Q3.yaml")
    run.add_argument("--reports-dir", help="publish here instead of the parameter file's "
                                           "reports_dir")
    check = sub.add_parser("check", help="check a parameter file and its input files, "
                                         "without running notebooks")
    check.add_argument("parameters", help="parameter file, e.g. parameters/2026-Q3.yaml")
    demo = sub.add_parser("demo-data", help="generate the seeded demo data set")
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--scale", default="small", help="small, medium or large")
    demo.add_argument("--months", type=int, default=12, help="months of data (default 12)")
    demo.add_argument("--end", default="2026-09-30", help="last day generated (YYYY-MM-DD)")
    demo.add_argument("--out", required=True, help="output folder, e.g. data/demo")
    init = sub.add_parser("init", help="lay out a first quarter: parameter and configuration files "
                                       "and one CSV per table with the exact headers")
    init.add_argument("dir", help="folder to create (nothing in it is overwritten)")
    project = sub.add_parser("demo", help="generate the demo data and parameter files in a folder "
                                           "and run the demo review there (no checkout needed)")
    project.add_argument("--dir", default="ccreview-demo", help="folder (default ccreview-demo)")
    project.add_argument("--seed", type=int, default=7)
    project.add_argument("--scale", default="small", help="small, medium or large")
    return parser


def _interrupt(signum, frame) -> None:  # SIGTERM is handled like Ctrl-C
    raise KeyboardInterrupt


def _list_reports(result) -> None:
    """Every published report's path (to stderr; the index page's path is stdout's one line)."""
    for notebook in result.notebooks:
        if notebook.html:
            print(f"  {result.index.parent / notebook.html}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``ccreview`` command; returns the exit code."""
    args = _parser().parse_args(argv)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)
    try:
        if args.command == "run":
            from ccreview.runner import raise_for_failures, run

            result = run(args.parameters, reports_dir=args.reports_dir)
            _list_reports(result)
            print(result.index)
            raise_for_failures(result)
        elif args.command == "demo":
            from ccreview.demo.project import demo_project
            from ccreview.runner import raise_for_failures, run

            parameters = demo_project(args.dir, seed=args.seed, scale=args.scale,
                                      progress=lambda line: print(line, file=sys.stderr))
            result = run(parameters)
            _list_reports(result)
            print(result.index)
            raise_for_failures(result)
        elif args.command == "init":
            from ccreview.demo.scaffold import init_project

            parameters = init_project(args.dir, progress=lambda line: print(line, file=sys.stderr))
            print(parameters)
            print(f"Fill in {parameters} and the CSVs under {parameters.parent.parent / 'data'}, "
                  f"then: ccreview check {parameters}", file=sys.stderr)
        elif args.command == "check":
            return _check(args.parameters)
        elif args.command == "demo-data":
            from ccreview.demo.generator import generate

            truth = generate(args.out, seed=args.seed, scale=args.scale, months=args.months,
                             end=args.end, progress=lambda line: print(line, file=sys.stderr))
            print(f"Demo data ({args.scale}, seed {args.seed}) written to {args.out}; "
                  f"planted truths in {args.out}/truth.json ({len(truth['rows'])} tables).")
    except NotebookError as exc:
        print(f"ccreview: {exc}", file=sys.stderr)
        return EXIT_NOTEBOOK_FAILED
    except InputError as exc:
        print(f"ccreview: cannot use the input files.\n{exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except CCReviewError as exc:
        print(f"ccreview: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("ccreview: interrupted; nothing was published.", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (ccreview check ... | head -1): not an error
        try:  # nothing more can reach it; keep the interpreter's final flush quiet too
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (AttributeError, OSError, ValueError):
            pass
        return 0
    return 0


def _check(parameters: str) -> int:
    from ccreview.data.validate import load_inputs
    from ccreview.review.parameters import load_parameters
    from ccreview.review.readiness import blocking_problems, input_warnings
    from ccreview.runner import tidy_reports_folder

    params = load_parameters(parameters)
    for line in tidy_reports_folder(params.reports_dir, params.run):
        print(line)
    print(f"Parameters: {params.source} are valid (period {params.period_label}, "
          f"time zone {params.timezone}).")
    dataset = load_inputs(params)
    print(f"\n{'table':<16} {'rows read':>12} {'accepted':>12} {'quarantined':>12}  file")
    for t in dataset.tables.values():
        print(f"{t.name:<16} {t.rows_read:>12,} {t.rows_accepted:>12,} {t.rows_rejected:>12,}  "
              f"{t.source}")
    issues = dataset.issues()
    if len(issues):
        print(f"\nFirst problems (of {len(issues):,}):")
    for row in issues.head(20).itertuples(index=False):
        print(f"  {row.file}, row {row.row}, column {row.column}: value {row.value!r} "
              f"{row.problem}")
    warnings, blocking = input_warnings(dataset), blocking_problems(dataset)
    if warnings:
        print("\nWarnings:")
        for line in warnings:
            print(f"  - {line}")
    if blocking:
        print("\nNot ready to run:")
        for line in blocking:
            print(f"  - {line}")
        return EXIT_BAD_INPUT
    print("\nReady to run: quarantined rows will be left out and listed in the report."
          if len(issues) else "\nReady to run: every row is usable.")
    if warnings:
        print("Read the warnings above first: they name measures this data cannot show.")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
