"""Compliance kernels on the large generated quarter, against plain baselines.

Usage: ``python benchmarks/bench_compliance.py [--sample 20000] [--repeat 3]``.

(a) The business-hours clock (:func:`ccreview.clocks.business_hours.elapsed_seconds` and its inverse
    :func:`~ccreview.clocks.business_hours.add_seconds`) against a row-wise pandas reference
    (``DataFrame.apply`` per row, walking the days in Python) on the same intervals: the
    row-wise version runs on a random sample and is extrapolated to all rows (it would
    take many minutes on all of them); results on the sample must be identical.
(b) The per-incident x criterion table (:func:`ccreview.incidents.criteria_table.criterion_table`: targets
    with pauses, priority grading and every procedure rule of parameters/criteria.yaml)
    against an equivalent DuckDB SQL query on the same in-memory DataFrames; both outputs
    are compared row by row.

The data (``large`` scale, 3 months, seed 7, as ``make bench``) is generated once into
benchmarks/work/ and validated once into a Parquet cache there. Prints Markdown for
benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from ccreview.clocks.business_hours import add_seconds, elapsed_seconds
from ccreview.config.criteria import Criteria, load_criteria
from ccreview.config.rules import EVENT_PREFIX, MAJOR_TIMES
from ccreview.data import columns as c
from ccreview.incidents.criteria_table import criterion_table

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TABLES = ("incidents", "incident_events", "major_incidents")
SEED, SCALE, MONTHS = 7, "large", 3


def load_data(work: Path) -> tuple[dict[str, pd.DataFrame], dict[str, list[str]]]:
    """The validated tables (generated and validated once, then read from Parquet)."""
    cache = work / f"compliance-{SCALE}-{MONTHS}m-seed{SEED}"
    if not (cache / "incidents.parquet").exists():
        from ccreview.data.validate import load_inputs
        from ccreview.demo.generator import generate
        from ccreview.review.parameters import load_parameters

        data = work / f"{SCALE}-{MONTHS}m-seed{SEED}"
        if not (data / "truth.json").exists():
            generate(data, seed=SEED, scale=SCALE, months=MONTHS, progress=print)
        params = cache / "parameters.yaml"
        cache.mkdir(parents=True, exist_ok=True)
        for name in ("criteria.yaml", "objectives.yaml", "services.yaml"):
            (cache / name).write_text((ROOT / "parameters" / name).read_text())
        params.write_text("run: bench-compliance\nperiod: 2026-Q3\ndata:\n" + "".join(
            f"  {t}: {data / (t + '.csv')}\n" for t in TABLES)
            + "criteria: criteria.yaml\nobjectives: objectives.yaml\nservices: services.yaml\n"
              "notebooks: [incident_review]\n")
        dataset = load_inputs(load_parameters(params))
        absent = {}
        for name in TABLES:
            dataset.tables[name].data.to_parquet(cache / f"{name}.parquet", index=False)
            absent[name] = dataset.tables[name].absent_columns
        (cache / "absent.txt").write_text("\n".join(f"{t}:{c_}" for t, cols in absent.items()
                                                    for c_ in cols))
    tables = {t: pd.read_parquet(cache / f"{t}.parquet") for t in TABLES}
    absent: dict[str, list[str]] = {}
    for line in (cache / "absent.txt").read_text().split():
        table, column = line.split(":")
        absent.setdefault(table, []).append(column)
    return tables, absent


def best_of(repeat: int, fn):
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return min(times), result


# ----------------------------------------------------------------- (a) the clock, row-wise
def row_elapsed(row: pd.Series, calendar, timezone: str) -> float:
    """Business seconds between two instants: walk the days of the wall clock."""
    start = row["start"].tz_convert(timezone).tz_localize(None).to_pydatetime()
    end = row["end"].tz_convert(timezone).tz_localize(None).to_pydatetime()
    total, day = 0.0, start.date()
    while day <= end.date():
        if day not in calendar.holidays:
            for t_open, t_close in calendar.hours.get(day.weekday(), ()):
                lo = max(start, datetime.combine(day, t_open))
                hi = min(end, datetime.combine(day, t_close))
                total += max((hi - lo).total_seconds(), 0.0)
        day += timedelta(days=1)
    return total


def row_add(row: pd.Series, calendar, timezone: str) -> pd.Timestamp:
    """The instant ``seconds`` of business time after ``start``: walk the days."""
    start = row["start"].tz_convert(timezone).tz_localize(None).to_pydatetime()
    remaining, day = row["seconds"], start.date()
    if remaining == 0:
        return row["start"]
    while True:
        if day not in calendar.holidays:
            for t_open, t_close in calendar.hours.get(day.weekday(), ()):
                lo = max(start, datetime.combine(day, t_open))
                hi = datetime.combine(day, t_close)
                length = (hi - lo).total_seconds()
                if length >= remaining:
                    return pd.Timestamp(lo + timedelta(seconds=remaining)).tz_localize(
                        timezone, ambiguous=True, nonexistent="shift_forward")
                remaining -= max(length, 0.0)
        day += timedelta(days=1)


def bench_clock(incidents: pd.DataFrame, criteria: Criteria, *, sample: int, repeat: int) -> list:
    calendar, tz = criteria.calendars["office_hours"], criteria.timezone
    done = incidents[incidents[c.RESOLVED_AT].notna()]
    frame = pd.DataFrame({"start": done[c.OPENED_AT].to_numpy(), "end": done[c.RESOLVED_AT].to_numpy()})
    frame["start"] = done[c.OPENED_AT].array
    frame["end"] = done[c.RESOLVED_AT].array
    n = len(frame)
    fast_s, fast = best_of(repeat, lambda: elapsed_seconds(frame["start"], frame["end"],
                                                          calendar=calendar, timezone=tz))
    part = frame.sample(sample, random_state=SEED)
    t = time.perf_counter()
    slow = part.apply(row_elapsed, axis=1, args=(calendar, tz))
    slow_s = (time.perf_counter() - t) * n / sample
    diff = np.abs(fast.loc[part.index].to_numpy() - slow.to_numpy()).max()
    rows = [("elapsed_seconds (office hours)", n, fast_s, slow_s, f"max |difference| {diff:.1e} s")]

    frame["seconds"] = np.minimum(fast.to_numpy(), 200 * 3600.0)
    fast_s, due = best_of(repeat, lambda: add_seconds(frame["start"], frame["seconds"].to_numpy(),
                                                     calendar=calendar, timezone=tz))
    part = frame.sample(sample, random_state=SEED + 1)
    t = time.perf_counter()
    slow = part.apply(row_add, axis=1, args=(calendar, tz))
    slow_s = (time.perf_counter() - t) * n / sample
    same = int((due.loc[part.index].to_numpy() == pd.Series(list(slow)).dt.tz_convert(tz)
                .to_numpy()).sum())
    rows.append(("add_seconds (office hours)", n, fast_s, slow_s, f"{same:,} of {sample:,} equal"))
    if diff > 1e-6 or same != sample:
        raise SystemExit("the vectorised clock and the row-wise reference disagree")
    return rows


# ------------------------------------------------------------- (b) the table, in DuckDB SQL
def _q(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _literal(value) -> str:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return str(value) if isinstance(value, int | float) else _q(value)


def duckdb_sql(criteria: Criteria, as_of: pd.Timestamp) -> str:
    """One SQL query giving the same table as :func:`criterion_table` (24x7 clocks only)."""
    hours = criteria.target_hours
    if any(not criteria.calendars[name].always_open for name in hours["calendar"]):
        raise SystemExit("the SQL baseline implements 24x7 targets only")
    asof = f"{int(pd.Timestamp(as_of).value // 1000)}"
    prio = ", ".join(f"({int(r.priority)}, {r.response!r}, {r.resolution!r})"
                     for r in hours.itertuples())
    matrix = ", ".join(f"({i}, {u}, {p})" for (i, u), p in criteria.priority_matrix.items())
    pause = ", ".join(_q(s) for s in criteria.pause_states) or "NULL"
    extra_joins, extra_cols, selects = [], [], []
    sources: dict[str, str] = {col: col for col in (c.OPENED_AT, c.FIRST_RESPONSE_AT,
                                                    c.RESOLVED_AT, c.CLOSED_AT)}

    def source(name: str) -> str:
        if name in sources:
            return sources[name]
        alias = f"s{len(sources)}"
        if name in MAJOR_TIMES:
            extra_joins.append(f"LEFT JOIN (SELECT incident_id, min(epoch_us({name})) AS v FROM "
                               f"major_incidents GROUP BY 1) {alias} USING (incident_id)")
        else:
            state = name[len(EVENT_PREFIX):]
            extra_joins.append(f"LEFT JOIN (SELECT incident_id, min(t) AS v FROM ev WHERE state = "
                               f"{_q(state)} GROUP BY 1) {alias} USING (incident_id)")
        extra_cols.append(f"{alias}.v AS {alias}")
        sources[name] = alias
        return alias

    def select(name, unit, cases, measured, target, scope="TRUE"):
        whens = " ".join(f"WHEN {cond} THEN {{}}" for cond, _, _ in cases[:-1])
        status = "CASE " + whens.format(*[_q(s) for _, s, _ in cases[:-1]]) + \
            f" ELSE {_q(cases[-1][1])} END"
        detail = "CASE " + whens.format(*[_q(d) for _, _, d in cases[:-1]]) + \
            f" ELSE {_q(cases[-1][2])} END"
        return (f"SELECT incident_id, {_q(name)} AS criterion, "
                f"CASE WHEN cancelled THEN 'not_applicable' WHEN NOT ({scope}) THEN 'not_applicable' "
                f"ELSE {status} END AS outcome, "
                f"CAST({measured} AS DOUBLE) AS measured, CAST({target} AS DOUBLE) AS target, "
                f"{_q(unit)} AS unit, CASE WHEN cancelled THEN 'cancelled' "
                f"WHEN NOT ({scope}) THEN 'outside the rule''s scope' ELSE {detail} END AS detail, "
                f"{{judged}} AS judged_at FROM w")

    ok, bad, na = "passed", "failed", "not_applicable"
    for target in ("response", "resolution"):
        done = "fr" if target == "response" else "rs"
        sel = select(target, "h", [
            (f"{target}_h IS NULL", na, "no target for its priority"),
            (f"{target}_done AND {target}_el <= {target}_h", ok, "within its target"),
            (f"{target}_done", bad, "completed after its target"),
            (f"NOT ({target}_el <= {target}_h)", bad, "open and past its target"),
            (None, na, "open, within its target so far")],
            f"{target}_el", f"{target}_h")
        judged = (f"make_timestamp(CASE WHEN {target}_done THEN {done} WHEN {target}_h IS NOT NULL "
                  f"AND NOT ({target}_el <= {target}_h) THEN {asof} END)")
        selects.append(sel.replace("{judged}", judged))
    grading = select("priority_grading", "priority", [
        ("impact IS NULL OR urgency IS NULL", na, "impact or urgency missing"),
        ("expected IS NULL OR priority IS NULL", na, "impact x urgency not in the matrix"),
        ("priority = expected", ok, "as the matrix"),
        ("priority > expected", bad, "under-graded"),
        (None, bad, "over-graded")], "priority", "expected")
    selects.append(grading.replace("{judged}", "make_timestamp(opened_at)"))
    reopen_cols = []
    for rule in criteria.rules:
        p = rule.params
        scope = " AND ".join(f"coalesce({col} IN ({', '.join(map(_literal, vals))}), FALSE)"
                             for col, vals in rule.applies_to.items()) or "TRUE"
        if rule.kind == "within":
            if not criteria.calendars[str(p["clock"])].always_open:
                raise SystemExit("the SQL baseline implements 24x7 rules only")
            b, e = source(p["from"]), source(p["to"])
            limit = p["within"].total_seconds()
            taken = f"((coalesce({e}, {asof}) - {b}) / 1e6)"
            last = (bad, f"no {p['to']} and the time is up") if p["if_missing"] == "fail" else \
                (na, f"no {p['to']}")
            cases = [(f"{b} IS NULL", na, f"no {p['from']}"),
                     (f"{e} IS NOT NULL AND {taken} <= {limit}", ok, "in time"),
                     (f"{e} IS NOT NULL", bad, "too late"),
                     (f"{taken} <= {limit}", na, f"no {p['to']} yet; time not up"),
                     ("TRUE", *last), (None, na, f"no {p['to']}")]
            sel = select(rule.id, "h", cases, f"CASE WHEN {e} IS NOT NULL AND {b} IS NOT NULL "
                         f"THEN {taken} / 3600 END", limit / 3600, scope)
        elif rule.kind == "before":
            f, t = source(p["first"]), source(p["then"])
            sel = select(rule.id, "h", [(f"{t} IS NULL", na, f"no {p['then']} yet"),
                                        (f"{f} IS NULL", bad, f"no {p['first']}"),
                                        (f"{f} <= {t}", ok, "in order"),
                                        (None, bad, f"{p['first']} after {p['then']}")],
                         f"({t} - {f}) / 3.6e9", 0.0, scope)
        elif rule.kind == "at_most":
            col = p["column"]
            sel = select(rule.id, "count", [(f"{col} IS NULL", na, f"no {col}"),
                                            (f"{col} <= {p['max']}", ok, f"at most {p['max']}"),
                                            (None, bad, f"more than {p['max']}")],
                         col, float(p["max"]), scope)
        elif rule.kind == "recorded":
            col, once = p["column"], p["once"]
            reached = f"{source(once)} IS NOT NULL" if once else "TRUE"
            sel = select(rule.id, "", [(f"NOT ({reached})", na, f"no {once} yet"),
                                       (f"{col} IS NOT NULL AND trim({col}) <> ''", ok, "recorded"),
                                       (None, bad, f"{col} empty")], "NULL", "NULL", scope)
        elif rule.kind == "no_reopen_within":
            k = len(reopen_cols)
            res = ", ".join(_q(s) for s in p["resolved_states"])
            reo = ", ".join(_q(s) for s in p["reopen_states"])
            extra_joins.append(
                f"LEFT JOIN (SELECT r.incident_id, any_value(r.v) AS res, min(x.t) AS reo FROM "
                f"(SELECT incident_id, min(t) AS v FROM ev WHERE state IN ({res}) GROUP BY 1) r "
                f"LEFT JOIN ev x ON x.incident_id = r.incident_id AND x.state IN ({reo}) "
                f"AND x.t > r.v GROUP BY 1) ro{k} USING (incident_id)")
            extra_cols += [f"ro{k}.res AS res{k}", f"ro{k}.reo AS reo{k}"]
            reopen_cols.append(k)
            window = p["within"].total_seconds()
            gap = f"((reo{k} - res{k}) / 1e6)"
            sel = select(rule.id, "h", [
                (f"res{k} IS NULL", na, "not resolved"),
                (f"reo{k} IS NOT NULL AND {gap} <= {window}", bad, "reopened within the window"),
                (f"({asof} - res{k}) / 1e6 < {window}", na, "window still open"),
                (None, ok, "not reopened within the window")],
                f"{gap} / 3600", window / 3600, scope)
        else:
            raise SystemExit(f"no SQL for rule kind {rule.kind}")
        selects.append(sel.replace("{judged}", "make_timestamp(opened_at)"))
    return f"""
WITH inc AS (
  SELECT incident_id, epoch_us(opened_at) AS opened_at, epoch_us(first_response_at) AS fr,
         epoch_us(resolved_at) AS rs, epoch_us(resolved_at) AS resolved_at,
         epoch_us(first_response_at) AS first_response_at, epoch_us(closed_at) AS closed_at,
         priority, impact, urgency, category, resolution_code, reassignment_count, reopen_count,
         coalesce(status = 'cancelled', FALSE) AS cancelled
  FROM incidents),
ev AS MATERIALIZED (
  SELECT e.incident_id, epoch_us(e.at) AS t, e.state,
         lead(epoch_us(e.at)) OVER (PARTITION BY e.incident_id ORDER BY e.at, e.source_row) AS nx
  FROM incident_events e SEMI JOIN incidents i ON e.incident_id = i.incident_id),
pz AS (SELECT incident_id, t AS b, nx AS e FROM ev WHERE state IN ({pause})),
prio(priority, response_h, resolution_h) AS (VALUES {prio}),
mx(impact, urgency, expected) AS (VALUES {matrix}),
base AS (
  SELECT i.*, p.response_h, p.resolution_h,
         fr IS NOT NULL AND fr <= {asof} AS response_done,
         rs IS NOT NULL AND rs <= {asof} AS resolution_done,
         CASE WHEN fr IS NOT NULL AND fr <= {asof} THEN fr ELSE {asof} END AS response_stop,
         CASE WHEN rs IS NOT NULL AND rs <= {asof} THEN rs ELSE {asof} END AS resolution_stop
  FROM inc i LEFT JOIN prio p USING (priority)),
ps AS (
  SELECT b.incident_id,
    {_paused_sum("response")} AS response_paused,
    {_paused_sum("resolution")} AS resolution_paused
  FROM base b JOIN pz z USING (incident_id) GROUP BY 1),
w AS MATERIALIZED (
  SELECT b.*, mx.expected,
    CASE WHEN response_h IS NOT NULL THEN ((response_stop - opened_at) / 1e6
         - coalesce(response_paused, 0)) / 3600 END AS response_el,
    CASE WHEN resolution_h IS NOT NULL THEN ((resolution_stop - opened_at) / 1e6
         - coalesce(resolution_paused, 0)) / 3600 END AS resolution_el
    {''.join(', ' + x for x in extra_cols)}
  FROM base b LEFT JOIN ps USING (incident_id) LEFT JOIN mx USING (impact, urgency)
  {' '.join(extra_joins)})
{' UNION ALL '.join(selects)}
"""


def _paused_sum(target: str) -> str:
    stop = f"b.{target}_stop"
    until = f"least(coalesce(z.e, {stop}), {stop})"
    begin = "greatest(z.b, b.opened_at)"
    return f"sum(({until} - {begin}) / 1e6) FILTER (WHERE {until} > {begin})"


def compare(ours: pd.DataFrame, theirs: pd.DataFrame) -> None:
    key = ["criterion", c.INCIDENT_ID]
    a = ours.astype({"criterion": str, "outcome": str, "unit": str, "detail": str,
                     c.INCIDENT_ID: str}).sort_values(key).reset_index(drop=True)
    b = theirs.astype({"criterion": str, "outcome": str, "unit": str, "detail": str,
                       c.INCIDENT_ID: str}).sort_values(key).reset_index(drop=True)
    if len(a) != len(b):
        raise SystemExit(f"row counts differ: {len(a)} vs {len(b)}")
    for col in ("criterion", c.INCIDENT_ID, "outcome", "unit", "detail"):
        bad = a[col].ne(b[col])
        if bad.any():
            raise SystemExit(f"{col} differs in {bad.sum()} rows, e.g.\n"
                             f"{a[bad].head(3)}\n{b[bad].head(3)}")
    for col in ("measured", "target"):
        x, y = a[col].to_numpy(float), b[col].to_numpy(float)
        if not np.allclose(x, y, rtol=1e-9, atol=1e-9, equal_nan=True):
            raise SystemExit(f"{col} differs")
    ja = a["judged_at"].dt.tz_convert("UTC").dt.tz_localize(None).dt.as_unit("us")
    jb = pd.to_datetime(b["judged_at"]).dt.as_unit("us")  # make_timestamp: naive UTC
    if not ((ja == jb) | (ja.isna() & jb.isna())).all():
        raise SystemExit("judged_at differs")


def bench_table(tables, absent, criteria: Criteria, *, repeat: int) -> list:
    """Ours against DuckDB, given the same DataFrames (and, DuckDB's best case, the same data
    as Arrow tables, converted beforehand and not timed)."""
    import duckdb
    import pyarrow as pa

    as_of = pd.Timestamp("2026-10-01", tz=criteria.timezone)
    incidents, events, major = (tables[t] for t in TABLES)
    ours_s, ours = best_of(repeat, lambda: criterion_table(
        incidents, criteria=criteria, as_of=as_of, events=events, major_incidents=major,
        absent=absent))
    sql = duckdb_sql(criteria, as_of)
    rows = [("criterion_table (ours: pandas + numpy), DataFrames in, DataFrame out", len(ours),
             ours_s)]
    for inputs, label in (("pandas", "DataFrames in, DataFrame out"),
                          ("arrow", "Arrow tables in, Arrow table out")):
        con = duckdb.connect()
        con.execute(f"SET threads = {os.cpu_count()}")
        for name in TABLES:
            frame = tables[name]
            con.register(name, frame if inputs == "pandas" else
                         pa.Table.from_pandas(frame, preserve_index=False))
        fetch = (lambda q, con=con: con.sql(q).df()) if inputs == "pandas" else \
            (lambda q, con=con: con.sql(q).to_arrow_table())
        seconds, theirs = best_of(repeat, lambda fetch=fetch: fetch(sql))
        compare(ours, theirs if inputs == "pandas" else theirs.to_pandas())
        rows.append((f"DuckDB SQL, {label}", len(theirs), seconds))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sample", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    import duckdb

    tables, absent = load_data(HERE / "work")
    criteria = load_criteria(ROOT / "parameters" / "criteria.yaml")
    inc, ev = tables["incidents"], tables["incident_events"]
    print(f"\n### {time.strftime('%Y-%m-%d')} — `python benchmarks/bench_compliance.py` "
          f"({SCALE}, {MONTHS} months, seed {SEED}), {platform.machine()}, {os.cpu_count()} cores, "
          f"DuckDB {duckdb.__version__}, pandas {pd.__version__}\n")
    print(f"Rows: {len(inc):,} incidents, {len(ev):,} incident events, "
          f"{len(tables['major_incidents']):,} major incidents (validated, in memory).\n")
    print("(a) Business-hours clock, office_hours calendar, intervals opened_at -> resolved_at; "
          f"row-wise reference timed on {args.sample:,} random rows and extrapolated.\n")
    print("| kernel | rows | vectorised (s) | row-wise apply (s, extrapolated) | speed-up | check |")
    print("| --- | ---: | ---: | ---: | ---: | --- |")
    for name, n, fast, slow, check in bench_clock(inc, criteria, sample=args.sample,
                                                  repeat=args.repeat):
        print(f"| {name} | {n:,} | {fast:.3f} | {slow:,.1f} | {slow / fast:,.0f}x | {check} |")
    rows = bench_table(tables, absent, criteria, repeat=args.repeat)
    print(f"\n(b) Per-incident x criterion table ({len(criteria.rules)} procedure rules + 2 "
          f"targets + grading), best of {args.repeat}; outputs compared row by row: equal.\n")
    print("| implementation | rows out | seconds |\n| --- | ---: | ---: |")
    for name, n, seconds in rows:
        print(f"| {name} | {n:,} | {seconds:.2f} |")
    duck = min(r[2] for r in rows[1:])
    print(f"\nOurs / fastest DuckDB = {rows[0][2] / duck:.2f} (goal: at most 1.5).")


if __name__ == "__main__":
    main()
