"""Timings that once sat in tests as wall-clock assertions (they flaked on a busy 2-core machine).

Usage: ``make bench-kernels`` (or ``python benchmarks/bench_stats.py``). Prints a Markdown table
to paste into benchmarks/RESULTS.md: the bootstrap median difference on half a million values
a side, and generating the small demo year.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable

import numpy as np

from ccreview.demo.generator import generate
from ccreview.stats.duration_tests import median_difference


def best_of(runs: int, work: Callable[[], object]) -> float:
    """The fastest of ``runs`` timings of ``work()``, in seconds."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    rng = np.random.default_rng(5)
    before, after = rng.lognormal(2.0, 1.0, 500_000), rng.lognormal(2.05, 1.0, 500_000)
    median = best_of(3, lambda: median_difference(before, after))
    with tempfile.TemporaryDirectory() as folder:
        demo = best_of(2, lambda: generate(folder, seed=7, scale="small"))
    print("| kernel | best of runs (s) |\n| --- | ---: |")
    print(f"| `median_difference`, 500,000 values a side, 2,000 bootstrap draws | {median:.2f} |")
    print(f"| `generate(scale='small')`, a year of demo data | {demo:.2f} |")


if __name__ == "__main__":
    main()
