"""How often a period comparison says "changed" when nothing changed (issue #11).

Runs the seeded scenarios of ``tests/test_false_alarms.py`` with more replicates, judged
per contact (the kit before issue #11) and with the day as the unit of evidence (now),
and prints a Markdown table for ``benchmarks/RESULTS.md``.

    python benchmarks/bench_false_alarms.py [--replicates 600]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.test_false_alarms import NO_CHANGE, called_rate, duration_called_rate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--replicates", type=int, default=600)
    n = parser.parse_args().replicates
    started = time.perf_counter()
    print(f"| scenario (no true effect, {n} replicates) | per contact (before) | days as units (now) |")
    print("| --- | ---: | ---: |")
    for scenario in NO_CHANGE:
        old = called_rate(scenario, replicates=n, days=False)
        new = called_rate(scenario, replicates=n)
        print(f"| {scenario} | {old:.1%} | {new:.1%} |")
    for statistic in ("median", "mean", "p90"):
        old = duration_called_rate(statistic, replicates=n // 2, days=False)
        new = duration_called_rate(statistic, replicates=n // 2)
        print(f"| hours to resolve, {statistic}, day level varying 20% ({n // 2} replicates) "
              f"| {old:.1%} | {new:.1%} |")
    print()
    print("| power (true effect, 300 replicates) | days as units |")
    print("| --- | ---: |")
    cases = (("share, day sd 2 points", 0.02, "+2 points of an 80% share, day sd 2 points"),
             ("share, day sd 2 points", 0.01, "+1 point, day sd 2 points"),
             ("volume, 10% day variation", 0.06, "+6% volume, day variation 10%"),
             ("volume, 10% day variation", 0.03, "+3% volume, day variation 10%"))
    for scenario, effect, label in cases:
        print(f"| {label} | {called_rate(scenario, replicates=300, effect=effect):.1%} |")
    print(f"\n({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
