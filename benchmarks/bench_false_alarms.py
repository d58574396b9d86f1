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

from tests.test_change_false_alarms import (
    DID_SCENARIOS,
    ITS_SCENARIOS,
    LONG,
    did_called_rate,
    its_called_rate,
)
from tests.test_false_alarms import NO_CHANGE, called_rate, duration_called_rate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--replicates", type=int, default=600)
    parser.add_argument("--changes-only", action="store_true", help="only the change models' table")
    arguments = parser.parse_args()
    n = arguments.replicates
    if arguments.changes_only:
        change_models(n)
        return
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
    change_models(n)
    print(f"\n({time.perf_counter() - started:.0f} s)")


def change_models(n: int) -> None:
    """The change models' rows: 30 weekly points, the change at week 15."""
    print()
    print(f"| change model, no true effect, 30 weeks ({n} replicates) | independent errors "
          "| AR(1) errors (now) | trends confirmed parallel |")
    print("| --- | ---: | ---: | ---: |")
    for scenario in ITS_SCENARIOS:
        old = its_called_rate(scenario, replicates=n, errors="independent")
        new = its_called_rate(scenario, replicates=n)
        print(f"| interrupted time series, {scenario}, AR(1) phi 0.6 | {old:.1%} | {new:.1%} | |")
    for scenario in DID_SCENARIOS:
        old, _ = did_called_rate(scenario, replicates=n, errors="independent")
        new, parallel = did_called_rate(scenario, replicates=n)
        noise = "" if "white" in scenario else ", AR(1) phi 0.6"
        print(f"| difference in differences, {scenario}{noise} | {old:.1%} | {new:.1%} | {parallel:.1%} |")
    print()
    print("| power (true effect, 52 weeks before and 15 after, 200 replicates) | AR(1) errors |")
    print("| --- | ---: |")
    for effect in (30.0, 45.0):
        rate = its_called_rate("continuous", replicates=200, effect=effect, weeks=LONG)
        print(f"| interrupted time series, +{effect:.0f} s on a 300 s handle time (weeks sd 10 s) "
              f"| {rate:.1%} |")
    for effect in (-0.5, -0.7):
        rate, _ = did_called_rate("share", replicates=200, effect=effect, weeks=LONG)
        print(f"| difference in differences, log-odds {effect:+.1f} on a 10% share | {rate:.1%} |")


if __name__ == "__main__":
    main()
