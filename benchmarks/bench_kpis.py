"""KPI computation against plain DuckDB SQL on the large demo quarter (issue: KPIs at most 1.5x DuckDB).

Usage: ``.venv/bin/python benchmarks/bench_kpis.py [--repeat 5] [--segments-as-category]``.

Generates the large quarter once into benchmarks/work/ (as ``bench_run.py`` does), loads and
validates its contacts once and keeps them as Parquet in ``benchmarks/work/kpi-cache/`` (the
form in which the review's notebooks read them), then times, in this one process:

* ours: :func:`~ccreview.kpis.contacts.contact_kpis` (every contact metric in one pass, as the review's
  scorecard computes them) for the quarter overall, by queue and weekly; and, for reference,
  the metric-by-metric path (:func:`~ccreview.kpis.observations.observations` with
  :func:`~ccreview.kpis.compute.kpi_values` and :func:`~ccreview.kpis.compute.kpi_series`) that the
  comparisons and charts use;
* DuckDB: the same values in three plain SQL queries (overall, by queue, per whole week from
  Monday, local time) over the same in-memory DataFrame, and again over an Arrow table made from
  it (the conversion is timed separately).

The three are run in turn, ``--repeat`` times, and the best time of each is kept. Every value
and count is checked to agree (to 1e-9) before any time is printed.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from ccreview.config.kpi_settings import KpiSettings
from ccreview.data import columns as c
from ccreview.data.validate import load_inputs
from ccreview.demo.generator import generate
from ccreview.kpis.compute import kpi_series, kpi_values
from ccreview.kpis.contacts import contact_kpis
from ccreview.kpis.observations import observations
from ccreview.review.parameters import load_parameters

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
METRICS = ("contacts_offered", "contacts_answered", "abandonment_rate", "abandonment_rate_excl_short",
           "service_level", "average_speed_of_answer", "average_handle_time", "first_contact_resolution")
TOLERANCE = 1e-9

# One SELECT serves the three groupings; each metric's value and its n (what `kpi_values` calls n:
# contacts counted, trials, or values measured). Service level is ICMI formula 3 ("offered"), the
# parameter files' default; an abandon with an unknown wait is not a short abandon.
SQL = """
SELECT {key}
    count(*) AS contacts_offered__value,
    count(*) AS contacts_offered__n,
    count(*) FILTER (WHERE NOT abandoned) AS contacts_answered__value,
    count(*) FILTER (WHERE NOT abandoned) AS contacts_answered__n,
    avg(abandoned::INT) FILTER (WHERE realtime) AS abandonment_rate__value,
    count(*) FILTER (WHERE realtime) AS abandonment_rate__n,
    avg(abandoned::INT) FILTER (WHERE realtime AND NOT (abandoned AND coalesce(wait_s < $short_s, false)))
        AS abandonment_rate_excl_short__value,
    count(*) FILTER (WHERE realtime AND NOT (abandoned AND coalesce(wait_s < $short_s, false)))
        AS abandonment_rate_excl_short__n,
    avg((NOT abandoned AND wait_s <= $threshold_s)::INT)
        FILTER (WHERE realtime AND (abandoned OR wait_s IS NOT NULL)) AS service_level__value,
    count(*) FILTER (WHERE realtime AND (abandoned OR wait_s IS NOT NULL)) AS service_level__n,
    avg(wait_s) FILTER (WHERE realtime AND NOT abandoned) AS average_speed_of_answer__value,
    count(wait_s) FILTER (WHERE realtime AND NOT abandoned) AS average_speed_of_answer__n,
    avg(handle_s) FILTER (WHERE NOT abandoned) AS average_handle_time__value,
    count(handle_s) FILTER (WHERE NOT abandoned) AS average_handle_time__n,
    avg(first_contact_resolved::INT) FILTER (WHERE NOT abandoned) AS first_contact_resolution__value,
    count(first_contact_resolved) FILTER (WHERE NOT abandoned) AS first_contact_resolution__n
FROM (
    SELECT *,
        channel IN ('phone', 'chat') AS realtime,
        date_trunc('week', timezone($tz, arrived_at)) AS week
    FROM contacts
    WHERE arrived_at >= $start AND arrived_at < $end
)
{where}
{group}
"""
GROUPINGS = {
    "overall": ("", "", ""),
    "queue": ("queue,", "", "GROUP BY queue ORDER BY queue"),
    "week": ("week,", "WHERE week >= $first_week AND week + INTERVAL 7 DAY <= $end_day",
             "GROUP BY week ORDER BY week"),
}


def load_contacts(scale: str, months: int, seed: int):
    """The validated contacts of the generated quarter, and the run parameters."""
    work = HERE / "work"
    data = work / f"{scale}-{months}m-seed{seed}"
    if not (data / "truth.json").exists():
        t = time.perf_counter()
        generate(data, seed=seed, scale=scale, months=months, progress=print)
        print(f"generated in {time.perf_counter() - t:.1f} s")
    params_dir = work / "parameters"
    params_dir.mkdir(parents=True, exist_ok=True)
    for name in ("criteria.yaml", "objectives.yaml", "services.yaml"):
        shutil.copy(ROOT / "parameters" / name, params_dir / name)
    params_file = params_dir / "bench_kpis.yaml"
    # incidents too, so contacts referring to unknown incidents are quarantined as in a real run
    params_file.write_text(
        f"run: bench-kpis\ntitle: KPI benchmark\nperiod: 2026-Q3\n"
        f"data:\n  incidents: {data / 'incidents.csv'}\n  contacts: {data / 'contacts.csv'}\n"
        f"criteria: criteria.yaml\nobjectives: objectives.yaml\nservices: services.yaml\n"
        f"notebooks: [incident_review]\nreports_dir: {work / 'reports'}\n")
    params = load_parameters(params_file)
    cache = work / "kpi-cache" / f"{data.name}-contacts.parquet"
    if not cache.exists() or cache.stat().st_mtime < (data / "contacts.csv").stat().st_mtime:
        t = time.perf_counter()
        dataset = load_inputs(params)
        print(f"loaded and validated in {time.perf_counter() - t:.1f} s (cached in {cache})")
        cache.parent.mkdir(parents=True, exist_ok=True)
        dataset["contacts"].to_parquet(cache, index=False)
    return pd.read_parquet(cache), params


def ours(contacts: pd.DataFrame, *, start: pd.Timestamp, end: pd.Timestamp, settings: KpiSettings,
         stages: dict[str, float] | None = None) -> dict[str, pd.DataFrame]:
    """Every metric overall, by queue and weekly, through ccreview.kpis.compute (seconds per step
    added to ``stages`` when given)."""
    tables = {"contacts": contacts}
    found: dict[str, list[pd.DataFrame]] = {"overall": [], "queue": [], "week": []}
    stages = {} if stages is None else stages
    clock = time.perf_counter()

    def lap(step: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        stages[step] = stages.get(step, 0.0) + now - clock
        clock = now

    for name in METRICS:
        obs = observations(name, tables, settings=settings)
        lap("observations")
        found["overall"].append(kpi_values(obs, metric=name, start=start, end=end))
        lap("kpi_values overall")
        found["queue"].append(kpi_values(obs, metric=name, start=start, end=end, by=c.QUEUE))
        lap("kpi_values by queue")
        weekly = kpi_series(obs, metric=name, start=start, end=end, freq="W")
        lap("kpi_series weekly")
        found["week"].append(weekly.rename(columns={c.PERIOD_START: "week"}).assign(metric=name))
    return {k: pd.concat(v, ignore_index=True) for k, v in found.items()}


def ours_one_pass(contacts: pd.DataFrame, *, start: pd.Timestamp, end: pd.Timestamp,
                  settings: KpiSettings) -> dict[str, pd.DataFrame]:
    """The same numbers through :func:`ccreview.kpis.contacts.contact_kpis`, the one-pass path the
    review's scorecard uses: three calls (overall, by queue, weekly)."""
    kw = {"start": start, "end": end, "settings": settings}
    weekly = contact_kpis(contacts, freq="W", **kw).rename(columns={c.PERIOD_START: "week"})
    return {"overall": contact_kpis(contacts, **kw), "queue": contact_kpis(contacts, by=c.QUEUE, **kw),
            "week": weekly.drop(columns="days")}


def with_duckdb(con: duckdb.DuckDBPyConnection, source, query_params: dict) -> dict[str, pd.DataFrame]:
    """The same numbers from three SQL queries over ``source`` (a DataFrame or an Arrow table)."""
    con.register("contacts", source)
    found = {}
    for grouping, (key, where, group) in GROUPINGS.items():
        sql = SQL.format(key=key, where=where, group=group)
        used = {k: v for k, v in query_params.items() if f"${k}" in sql}
        found[grouping] = con.execute(sql, used).df()
    con.unregister("contacts")
    return found


def tidy(sql_result: pd.DataFrame, key: str | None) -> pd.DataFrame:
    """Wide SQL output (``<metric>__value``, ``<metric>__n``) as one row per metric and group."""
    ids = [key] if key else []
    long = sql_result.melt(id_vars=ids, var_name="column")
    long[["metric", "what"]] = long["column"].str.split("__", expand=True)
    return long.pivot_table(index=["metric", *ids], columns="what", values="value",
                            dropna=False).reset_index()


def check_equal(mine: dict[str, pd.DataFrame], theirs: dict[str, pd.DataFrame]) -> int:
    """Raise unless every value and n agree; return the number of values compared."""
    compared = 0
    for grouping, key in (("overall", None), ("queue", c.QUEUE), ("week", "week")):
        ids = ["metric", key] if key else ["metric"]
        a = mine[grouping].astype({key: str} if key == c.QUEUE else {})
        b = tidy(theirs[grouping], key).astype({key: str} if key == c.QUEUE else {})
        both = a.merge(b, on=ids, how="outer", suffixes=("", "_sql"), indicator=True)
        if (both["_merge"] != "both").any():
            raise AssertionError(f"{grouping}: groups differ:\n{both[both['_merge'] != 'both']}")
        for what in ("value", "n"):
            x, y = both[what].to_numpy(float), both[f"{what}_sql"].to_numpy(float)
            same = (np.isnan(x) & np.isnan(y)) | (np.abs(x - y) <= TOLERANCE * np.maximum(1, np.abs(y)))
            if not same.all():
                shown = both.loc[~same, [*ids, what, f"{what}_sql"]]
                raise AssertionError(f"{grouping} {what} differs:\n{shown}")
            compared += len(x)
    return compared


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="large")
    parser.add_argument("--months", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--segments-as-text", action="store_true",
                        help="keep channel and queue as validation leaves them (Arrow-backed text); by "
                             "default they are categoricals, as Review.tables holds them")
    args = parser.parse_args()
    contacts, params = load_contacts(args.scale, args.months, args.seed)
    to_category = 0.0
    if not args.segments_as_text:  # as Review.tables holds them, converted once per run
        t = time.perf_counter()
        contacts = contacts.astype({c.CHANNEL: "category", c.QUEUE: "category"})
        to_category = time.perf_counter() - t
    start, end, settings = params.start, params.end, KpiSettings()
    first_day, end_day = start.tz_localize(None).ceil("D"), end.tz_localize(None).floor("D")
    query_params = {
        "tz": params.timezone, "start": start.to_pydatetime(), "end": end.to_pydatetime(),
        "short_s": settings.short_abandon_s, "threshold_s": settings.service_level_threshold_s,
        "first_week": (first_day + pd.Timedelta(days=(7 - first_day.day_of_week) % 7)).to_pydatetime(),
        "end_day": end_day.to_pydatetime(),
    }
    con = duckdb.connect()
    threads = con.execute("SELECT current_setting('threads')").fetchall()[0][0]

    t = time.perf_counter()
    arrow = pa.Table.from_pandas(contacts, preserve_index=False)
    to_arrow = time.perf_counter() - t

    mine = ours(contacts, start=start, end=end, settings=settings)
    one_pass = ours_one_pass(contacts, start=start, end=end, settings=settings)
    compared = sum(check_equal(found, with_duckdb(con, source, query_params))
                   for source in (contacts, arrow) for found in (mine, one_pass))
    print(f"results agree: {compared:,} values and counts compared (tolerance {TOLERANCE:g})")

    steps: list[dict[str, float]] = []
    runs = {
        "ccreview.kpis.compute (observations + kpi_values x2 + kpi_series, 8 metrics)":
            lambda: ours(contacts, start=start, end=end, settings=settings, stages=steps[-1]),
        "ccreview.kpis.contacts.contact_kpis, one pass per grouping (3 calls, 8 metrics)":
            lambda: ours_one_pass(contacts, start=start, end=end, settings=settings),
        "DuckDB SQL over the pandas DataFrame (3 queries)":
            lambda: with_duckdb(con, contacts, query_params),
        "DuckDB SQL over an Arrow table (3 queries; conversion not included)":
            lambda: with_duckdb(con, arrow, query_params),
    }
    times: dict[str, list[float]] = {label: [] for label in runs}
    for _ in range(args.repeat):  # in turn, so that load from other processes hits all alike
        steps.append({})
        for label, run in runs.items():
            t = time.perf_counter()
            run()
            times[label].append(time.perf_counter() - t)
    best = {label: min(v) for label, v in times.items()}
    per_metric_s, ours_s, df_s, arrow_s = best.values()

    flag = " --segments-as-text" if args.segments_as_text else ""
    print(f"\n### {time.strftime('%Y-%m-%d')}: `.venv/bin/python benchmarks/bench_kpis.py "
          f"--repeat {args.repeat}{flag}`\n")
    print(f"{len(contacts):,} validated contacts ({args.scale}, {args.months} months, seed {args.seed}), "
          f"period {start:%Y-%m-%d} to {end:%Y-%m-%d} ({params.timezone}); "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
          f"DuckDB {duckdb.__version__} with {threads} threads, pandas {pd.__version__}, "
          f"numpy {np.__version__}, pyarrow {pa.__version__}.\n")
    print(f"| computation | best of {args.repeat} (s) | all runs (s) |\n| --- | ---: | --- |")
    for label, values in times.items():
        print(f"| {label} | {best[label]:.2f} | {', '.join(f'{v:.2f}' for v in values)} |")
    print(f"| pandas DataFrame -> Arrow table (once) | {to_arrow:.2f} | |")
    if to_category:
        print(f"| queue and channel text -> categoricals (once, as the review does) | {to_category:.2f} | |")
    fastest = min(steps, key=lambda s: sum(s.values()))
    print("\nOurs by step, in its fastest run: "
          + ", ".join(f"{step} {seconds:.2f} s" for step, seconds in fastest.items()) + ".")
    print(f"\nRatio of the metric-by-metric path to DuckDB over the DataFrame: {per_metric_s / df_s:.2f}.")
    print(f"\nRatio ours (one pass, as the review computes the scorecard) / DuckDB: "
          f"{ours_s / df_s:.2f} (over the DataFrame), "
          f"{ours_s / arrow_s:.2f} (over Arrow, conversion excluded), "
          f"{ours_s / (arrow_s + to_arrow):.2f} (over Arrow, conversion included). Target: at most 1.5.")


if __name__ == "__main__":
    main()
