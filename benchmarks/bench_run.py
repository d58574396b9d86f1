"""End-to-end benchmark: `ccreview run` on the large generated quarter, by phase.

Usage: ``make bench`` (or ``python benchmarks/bench_run.py [--scale large] [--months 3]``).
Generates the data once into benchmarks/work/ (reused while seed, scale and months match),
runs the review, and prints a Markdown table to paste into benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import threading
import time
from pathlib import Path

import psutil
import yaml

from ccreview.data.schema import TABLES as CANONICAL
from ccreview.demo.generator import generate
from ccreview.runner import run

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
#: the notebooks of the demo run (parameters/demo.yaml): the budget holds with all of them
DEMO_NOTEBOOKS = tuple(yaml.safe_load((ROOT / "parameters" / "demo.yaml").read_text())["notebooks"])
#: every table the generator writes
TABLES = list(CANONICAL)


class ChildMemory:
    """Peak resident memory of this process's children (notebook kernels), sampled.

    ``RUSAGE_CHILDREN`` cannot be used: a child's high-water mark includes the
    parent's pages it shared between fork and exec.
    """

    def __init__(self, every_s: float = 0.2) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, args=(every_s,), daemon=True)

    def _sample(self, every_s: float) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            for child in me.children(recursive=True):
                try:
                    self.peak = max(self.peak, child.memory_info().rss)
                except psutil.Error:
                    pass
            time.sleep(every_s)

    def __enter__(self) -> ChildMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", default="large")
    parser.add_argument("--months", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--notebooks", default=",".join(DEMO_NOTEBOOKS),
                        help="notebooks to run (default: those the demo runs)")
    args = parser.parse_args()
    work = HERE / "work"
    data = work / f"{args.scale}-{args.months}m-seed{args.seed}"
    if not (data / "truth.json").exists():
        t = time.perf_counter()
        generate(data, seed=args.seed, scale=args.scale, months=args.months, progress=print)
        print(f"generated in {time.perf_counter() - t:.1f} s")
    truth = json.loads((data / "truth.json").read_text())
    params_dir = work / "parameters"
    params_dir.mkdir(parents=True, exist_ok=True)
    for name in ("criteria.yaml", "objectives.yaml", "services.yaml"):
        shutil.copy(ROOT / "parameters" / name, params_dir / name)
    lines = "\n".join(f"  {t}: {data / (t + '.csv')}" for t in TABLES)
    params = params_dir / "bench.yaml"
    params.write_text(f"run: bench-{args.scale}\ntitle: Benchmark review\nperiod: 2026-Q3\n"
                      f"data:\n{lines}\ncriteria: criteria.yaml\nobjectives: objectives.yaml\n"
                      f"services: services.yaml\nnotebooks: [{args.notebooks}]\n"
                      f"reports_dir: {work / 'reports'}\ncell_timeout_s: 1800\n")
    t = time.perf_counter()
    with ChildMemory() as children:
        result = run(params, progress=print)
    wall = time.perf_counter() - t
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = children.peak / 2**20
    rows = truth["rows"]
    print(f"\n### {time.strftime('%Y-%m-%d')} — `make bench` ({args.scale}, {args.months} months, "
          f"seed {args.seed}), {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores\n")
    print(f"Rows: {rows['contacts']:,} contacts, {rows['incidents']:,} incidents, "
          f"{rows['incident_events']:,} events (CSV).\n")
    print("| phase | seconds |\n| --- | ---: |")
    for phase, seconds in result.timings.items():
        print(f"| {phase} | {seconds:.1f} |")
    print(f"| wall clock (in-process `run`) | {wall:.1f} |")
    print(f"\nPeak RSS: runner process {own:,.0f} MiB (includes generation if it ran in the same "
          f"call); largest notebook kernel {kids:,.0f} MiB. Status: {'ok' if result.ok else 'FAILED'}.")


if __name__ == "__main__":
    main()
